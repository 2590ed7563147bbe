import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from '../../helpers/callflow.js';
import { answers, play, played, runCall } from './helpers.js';

test('device: rings the device, bridges, and stops the callflow', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk', sip: { username: 'desk' } });
  const call = await h.run(
    { module: 'device', data: { id: dev.id }, children: { _: play('after') } },
    { script: { endpoint: () => answers } },
  );
  const [dial] = call.entries('dial');
  assert.deepEqual(dial.endpoints, [{ type: 'device', deviceId: dev.id, name: 'Desk' }]);
  assert.equal(dial.strategy, 'simultaneous');
  assert.equal(dial.timeoutMs, 20000, 'timeout 0 means the 20 s default');
  assert.equal(call.entries('bridged').length, 1);
  assert.equal(call.entries('dial_done')[0].status, 'completed');
  assert.deepEqual(played(call), [], 'a bridged call stops: the _ child does not run');
  assert.equal(call.state, 'ended');
});

test('device busy takes the sip:486 child', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk' });
  const call = await h.run(
    { module: 'device', data: { id: dev.id }, children: { 'sip:486': play('busy'), _: play('fallback') } },
    { script: { endpoint: () => ({ rejectCode: 486 }) } },
  );
  assert.deepEqual(
    call.entries('dial_done').map((e) => [e.status, e.sipCode]),
    [['busy', 486]],
  );
  assert.deepEqual(played(call), ['busy']);
});

test('device failure: the cause child is tried before the sip code (cf_util:handle_bridge_failure)', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk' });
  const call = await h.run(
    {
      module: 'device',
      data: { id: dev.id },
      children: { 'sip:486': play('by-code'), USER_BUSY: play('by-cause'), _: play('fallback') },
    },
    { script: { endpoint: () => ({ rejectCode: 486 }) } },
  );
  assert.deepEqual(played(call), ['by-cause']);
});

test('device not answering takes NO_ANSWER, unknown failures take _', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk' });
  const noAnswer = await h.run(
    { module: 'device', data: { id: dev.id, timeout: 15 }, children: { NO_ANSWER: play('no-answer'), _: play('x') } },
    { script: { endpoint: () => ({ noAnswer: true }) } },
  );
  assert.deepEqual(played(noAnswer), ['no-answer']);
  assert.equal(noAnswer.entries('dial')[0].timeoutMs, 15000);
  assert.equal(noAnswer.entries('dial_done')[0].t, 15000);

  const failed = await h.run(
    { module: 'device', data: { id: dev.id }, children: { _: play('fallback') } },
    { script: { endpoint: () => ({ rejectCode: 503 }) } },
  );
  assert.deepEqual(played(failed), ['fallback']);
});

test('a missing or disabled device goes to _ without dialling', async () => {
  const h = await harness();
  const disabled = await h.store.devices.create(h.accountId, { name: 'Off', enabled: false });
  for (const id of ['0123456789abcdef0123456789abcdef', disabled.id]) {
    const call = await h.run({ module: 'device', data: { id }, children: { _: play('fallback') } });
    assert.equal(call.entries('dial').length, 0);
    assert.deepEqual(played(call), ['fallback']);
  }
});

test('can_call_self: false refuses the device the call came from; true dials it', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk' });
  const flow = (canCallSelf: boolean) => ({
    module: 'device',
    data: { id: dev.id, can_call_self: canCallSelf },
    children: { _: play('fallback') },
  });
  const refused = await runCall(h, flow(false), {}, { device_id: dev.id });
  assert.equal(refused.entries('dial').length, 0);
  assert.deepEqual(played(refused), ['fallback']);

  const allowed = await runCall(h, flow(true), { script: { endpoint: () => answers } }, { device_id: dev.id });
  assert.equal(allowed.entries('dial').length, 1);
});

test('delay, timeout, custom_sip_headers, suppress_clid and call forwarding shape the endpoints', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, {
    name: 'Desk',
    custom_sip_headers: { 'X-Device': 'desk' },
    call_forward: { enabled: true, number: '+15557770000' },
  });
  const call = await h.run(
    {
      module: 'device',
      data: {
        id: dev.id,
        delay: 2,
        timeout: 30,
        dial_strategy: 'single',
        suppress_clid: true,
        custom_sip_headers: { 'X-Flow': 'yes' },
      },
    },
    { script: { endpoint: () => answers } },
  );
  const [dial] = call.entries('dial');
  const common = {
    delayMs: 2000,
    timeoutMs: 30000,
    callerId: { name: 'Anonymous', number: 'anonymous' },
    headers: { 'X-Device': 'desk', 'X-Flow': 'yes' },
  };
  assert.deepEqual(dial.endpoints, [
    { type: 'device', deviceId: dev.id, name: 'Desk', ...common },
    { type: 'number', number: '+15557770000', ...common },
  ]);
  assert.equal(dial.strategy, 'single');
  assert.equal(dial.timeoutMs, 30000);
  assert.equal(call.entries('bridged')[0].after, 3000, 'rings after the 2 s delay, answers 1 s later');
});

test('call_forward.substitute dials only the forward number', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, {
    name: 'Desk',
    call_forward: { enabled: true, number: '+15557770000', substitute: true },
  });
  const call = await h.run({ module: 'device', data: { id: dev.id } }, { script: { endpoint: () => answers } });
  assert.deepEqual(call.entries('dial')[0].endpoints, [{ type: 'number', number: '+15557770000' }]);
});

test("a call from a device presents that device's (or its owner's, or the account's) caller id", async () => {
  const h = await harness();
  const owner = await h.store.users.create(h.accountId, {
    username: 'alice',
    caller_id: { internal: { name: 'Alice', number: '1001' } },
  });
  const from = await h.store.devices.create(h.accountId, { name: 'Alice desk', owner_id: owner.id });
  const to = await h.store.devices.create(h.accountId, { name: 'Bob desk' });
  const call = await runCall(
    h,
    { module: 'device', data: { id: to.id } },
    { script: { endpoint: () => answers } },
    { device_id: from.id },
  );
  assert.deepEqual(call.entries('dial')[0].callerId, { number: '1001', name: 'Alice' });

  const outside = await h.run({ module: 'device', data: { id: to.id } }, { script: { endpoint: () => answers } });
  assert.equal(outside.entries('dial')[0].callerId, undefined, "calls from outside keep the call's caller id");
});

test('bridging documentation example: {"module":"device","data":{"id":…}}', async () => {
  const h = await harness();
  const dev = await h.store.devices.create(h.accountId, { name: 'Desk' });
  const call = await h.run({ module: 'device', data: { id: dev.id } }, { script: { endpoint: () => answers } });
  assert.equal(call.entries('bridged').length, 1);
});
