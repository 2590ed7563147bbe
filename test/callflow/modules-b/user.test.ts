import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint } from '../../../src/call/types.js';
import { harness } from '../../helpers/callflow.js';
import { answers, captureDials, play, played, runCall } from './helpers.js';

async function userWithTwoDevices() {
  const h = await harness();
  const u = await h.store.users.create(h.accountId, { username: 'bob', first_name: 'Bob' });
  const desk = await h.store.devices.create(h.accountId, { name: 'Desk', owner_id: u.id, created: 1 });
  const phone = await h.store.devices.create(h.accountId, { name: 'Phone', owner_id: u.id, created: 2 });
  return { h, u, desk, phone };
}

test('user, simultaneous: rings every device of the user at once', async () => {
  const { h, u, desk, phone } = await userWithTwoDevices();
  const call = await h.run(
    { module: 'user', data: { id: u.id } },
    { script: { endpoint: (_e, i) => (i === 1 ? answers : { noAnswer: true }) } },
  );
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'simultaneous');
  assert.equal(dial.timeoutMs, 20000);
  assert.deepEqual(dial.endpoints, [
    { type: 'device', deviceId: desk.id, name: 'Desk', timeoutMs: 20000 },
    { type: 'device', deviceId: phone.id, name: 'Phone', timeoutMs: 20000 },
  ]);
  const bridged = call.entries('bridged')[0];
  assert.equal((bridged.endpoint as Endpoint & { deviceId: string }).deviceId, phone.id);
  assert.equal(bridged.after, 1000);
});

test('user, single: the first device is busy, the second answers', async () => {
  const { h, u, desk, phone } = await userWithTwoDevices();
  const call = await h.run(
    { module: 'user', data: { id: u.id, strategy: 'single', timeout: 10 } },
    { script: { endpoint: (_e, i) => (i === 0 ? { rejectCode: 486, answerAfterMs: 2000 } : answers) } },
  );
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'single');
  assert.deepEqual(
    (dial.endpoints as (Endpoint & { deviceId: string })[]).map((e) => [e.deviceId, e.timeoutMs]),
    [
      [desk.id, 10000],
      [phone.id, 10000],
    ],
  );
  const bridged = call.entries('bridged')[0];
  assert.equal((bridged.endpoint as Endpoint & { deviceId: string }).deviceId, phone.id);
  assert.equal(bridged.after, 3000, 'the second device rings once the first refused (2 s), answers 1 s later');
});

test('user: every device failing takes the failure child; no devices goes to _', async () => {
  const { h, u } = await userWithTwoDevices();
  const busy = await h.run(
    { module: 'user', data: { id: u.id }, children: { USER_BUSY: play('busy'), _: play('fallback') } },
    { script: { endpoint: () => ({ rejectCode: 486 }) } },
  );
  assert.deepEqual(played(busy), ['busy']);

  const lonely = await h.store.users.create(h.accountId, { username: 'lonely' });
  const none = await h.run({ module: 'user', data: { id: lonely.id }, children: { _: play('fallback') } });
  assert.equal(none.entries('dial').length, 0);
  assert.deepEqual(played(none), ['fallback']);
});

test("user: a call from one of the user's own devices is refused unless can_call_self", async () => {
  const { h, u, desk } = await userWithTwoDevices();
  const flow = (can: boolean) => ({
    module: 'user',
    data: { id: u.id, can_call_self: can },
    children: { _: play('x') },
  });
  const refused = await runCall(h, flow(false), {}, { device_id: desk.id });
  assert.equal(refused.entries('dial').length, 0);
  assert.deepEqual(played(refused), ['x']);

  const allowed = await runCall(h, flow(true), { script: { endpoint: () => answers } }, { device_id: desk.id });
  assert.equal((allowed.entries('dial')[0].endpoints as Endpoint[]).length, 2);
});

test('user: disabled devices are skipped; delay and custom_sip_headers apply to every device', async () => {
  const { h, u, desk, phone } = await userWithTwoDevices();
  await h.store.devices.update(h.accountId, desk.id, { enabled: false });
  const call = await h.run(
    { module: 'user', data: { id: u.id, delay: 3, custom_sip_headers: { 'X-Team': 'sales' } } },
    { script: { endpoint: () => answers } },
  );
  assert.deepEqual(call.entries('dial')[0].endpoints, [
    {
      type: 'device',
      deviceId: phone.id,
      name: 'Phone',
      delayMs: 3000,
      timeoutMs: 20000,
      headers: { 'X-Team': 'sales' },
    },
  ]);
});

test('user: simultaneous rings with a ringback tone, single passes early media; fail_on_single_reject is passed on', async () => {
  const { h, u } = await userWithTwoDevices();
  const options = [];
  for (const strategy of ['simultaneous', 'single']) {
    let dials: ReturnType<typeof captureDials> = [];
    await runCall(
      h,
      { module: 'user', data: { id: u.id, strategy, fail_on_single_reject: true } },
      { script: { endpoint: () => answers } },
      {},
      (c) => (dials = captureDials(c)),
    );
    options.push([dials[0].ringback, dials[0].answerOnBridge, dials[0].failOnSingleReject]);
  }
  assert.deepEqual(options, [
    ['tone', true, true],
    ['early-media', true, true],
  ]);
});
