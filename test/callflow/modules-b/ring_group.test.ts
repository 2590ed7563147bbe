import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint } from '../../../src/call/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import type { CallflowServices } from '../../../src/callflow/types.js';
import { harness } from '../../helpers/callflow.js';
import { answers, captureDials, play, played, runCall } from './helpers.js';

const ids = (endpoints: unknown) => (endpoints as (Endpoint & { deviceId: string })[]).map((e) => e.deviceId);

async function setup() {
  const h = await harness();
  const d1 = await h.store.devices.create(h.accountId, { name: 'd1', created: 1 });
  const d2 = await h.store.devices.create(h.accountId, { name: 'd2', created: 2 });
  const u1 = await h.store.users.create(h.accountId, { username: 'u1' });
  const d3 = await h.store.devices.create(h.accountId, { name: 'd3', owner_id: u1.id, created: 3 });
  const d4 = await h.store.devices.create(h.accountId, { name: 'd4', owner_id: u1.id, created: 4 });
  return { h, d1, d2, u1, d3, d4 };
}

test('bridging documentation example: endpoints as plain device, user and group ids', async () => {
  const { h, d1, d2, u1, d3, d4 } = await setup();
  const flow = {
    module: 'ring_group',
    data: { endpoints: [d1.id, d2.id, u1.id, 'group_1_id'] },
  };
  const checked = flowValidator().validate(flow);
  assert.ok(checked.ok);
  const call = await h.run(checked.flow, { script: { endpoint: (_e, i) => (i === 3 ? answers : { noAnswer: true }) } });
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'simultaneous');
  assert.equal(dial.timeoutMs, 20000);
  assert.deepEqual(ids(dial.endpoints), [d1.id, d2.id, d3.id, d4.id]);
  assert.equal(dial.endpoints && (dial.endpoints as Endpoint[])[0].timeoutMs, 20000, 'member timeout 20 s');
  assert.ok(
    h.log.lines.some((l) => l.msg === 'ring group member skipped'),
    'the unknown group id is skipped with a warning',
  );
  assert.equal(call.entries('bridged').length, 1);
});

test('ring_group, simultaneous with delays: members sorted by delay, the late one answers', async () => {
  const { h, d1, d2 } = await setup();
  const call = await h.run(
    {
      module: 'ring_group',
      data: {
        endpoints: [
          { id: d2.id, endpoint_type: 'device', delay: 5, timeout: 10 },
          { id: d1.id, endpoint_type: 'device', delay: 0, timeout: 10 },
        ],
        timeout: 30,
      },
    },
    {
      script: { endpoint: (e) => ((e as { deviceId: string }).deviceId === d2.id ? answers : { noAnswer: true }) },
    },
  );
  const [dial] = call.entries('dial');
  assert.deepEqual(ids(dial.endpoints), [d1.id, d2.id]);
  assert.deepEqual(
    (dial.endpoints as Endpoint[]).map((e) => [e.delayMs, e.timeoutMs]),
    [
      [undefined, 10000],
      [5000, 10000],
    ],
  );
  assert.equal(dial.timeoutMs, 30000);
  assert.equal(call.entries('bridged')[0].after, 6000, 'rings after its 5 s delay, answers 1 s later');
});

test('ring_group, single: members one after another in the listed order; a user expands to its devices', async () => {
  const { h, d1, u1, d3, d4 } = await setup();
  const call = await h.run(
    {
      module: 'ring_group',
      data: {
        strategy: 'single',
        endpoints: [
          { id: u1.id, endpoint_type: 'user', timeout: 5 },
          { id: d1.id, endpoint_type: 'device', timeout: 5 },
        ],
      },
    },
    { script: { endpoint: (_e, i) => (i === 2 ? answers : { noAnswer: true }) } },
  );
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'single');
  assert.deepEqual(ids(dial.endpoints), [d3.id, d4.id, d1.id]);
  assert.equal(call.entries('bridged')[0].after, 11000);
});

test('ring_group, weighted_random: order drawn by weight from the injected random source, dialled single', async () => {
  const { h, d1, d2, d3 } = await setup();
  const draws = [0.95, 0.0, 0.0];
  (h.services as CallflowServices & { random?: () => number }).random = () => draws.shift() ?? 0;
  const call = await h.run(
    {
      module: 'ring_group',
      data: {
        strategy: 'weighted_random',
        endpoints: [
          { id: d1.id, endpoint_type: 'device', weight: 10 },
          { id: d2.id, endpoint_type: 'device', weight: 30 },
          { id: d3.id, endpoint_type: 'device', weight: 60 },
        ],
      },
    },
    { script: { endpoint: () => answers } },
  );
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'single');
  // 0.95 of 100 falls in d3's share (40..100); then 0 picks the first left (d1), then d2.
  assert.deepEqual(ids(dial.endpoints), [d3.id, d1.id, d2.id]);
});

test('ring_group repeats: rings the group again while nobody answers, then _', async () => {
  const { h, d1, d2 } = await setup();
  const call = await h.run(
    {
      module: 'ring_group',
      data: { endpoints: [d1.id, d2.id], repeats: 3, timeout: 10 },
      children: { _: play('after-repeats') },
    },
    { script: { endpoint: () => ({ noAnswer: true }) } },
  );
  assert.equal(call.entries('dial').length, 3);
  assert.deepEqual(
    call.entries('dial_done').map((e) => [e.t, e.status]),
    [
      [10000, 'no-answer'],
      [20000, 'no-answer'],
      [30000, 'no-answer'],
    ],
  );
  assert.deepEqual(played(call), ['after-repeats']);
});

test('ring_group repeats: a failure child ends the repeats at once; an answer on a repeat stops', async () => {
  const { h, d1 } = await setup();
  const handled = await h.run(
    {
      module: 'ring_group',
      data: { endpoints: [d1.id], repeats: 3 },
      children: { NO_ANSWER: play('no-answer'), _: play('x') },
    },
    { script: { endpoint: () => ({ noAnswer: true }) } },
  );
  assert.equal(handled.entries('dial').length, 1);
  assert.deepEqual(played(handled), ['no-answer']);

  let dials = 0;
  const second = await h.run(
    { module: 'ring_group', data: { endpoints: [d1.id], repeats: 3 }, children: { _: play('x') } },
    { script: { endpoint: () => (++dials === 2 ? answers : { noAnswer: true }) } },
  );
  assert.equal(second.entries('dial').length, 2);
  assert.equal(second.entries('bridged').length, 1);
  assert.deepEqual(played(second), []);
});

test("ring_group leaves out the caller's own device and sends the ringback and ringtone asked for", async () => {
  const { h, d1, d2 } = await setup();
  let dials: ReturnType<typeof captureDials> = [];
  const call = await runCall(
    h,
    {
      module: 'ring_group',
      data: {
        endpoints: [d1.id, d2.id],
        ringback: 'ring-media',
        ringtones: { internal: 'alert-internal' },
        fail_on_single_reject: true,
      },
    },
    { script: { endpoint: () => answers } },
    { device_id: d1.id },
    (c) => (dials = captureDials(c)),
  );
  const [dial] = call.entries('dial');
  assert.deepEqual(dial.endpoints, [
    { type: 'device', deviceId: d2.id, name: 'd2', timeoutMs: 20000, headers: { 'Alert-Info': 'alert-internal' } },
  ]);
  assert.deepEqual(dials[0].ringback, { kind: 'media', id: 'ring-media' });
  assert.equal(dials[0].answerOnBridge, true);
  assert.equal(dials[0].failOnSingleReject, true);

  const plain = await runCall(
    h,
    { module: 'ring_group', data: { endpoints: [d2.id] } },
    { script: { endpoint: () => answers } },
    {},
    (c) => {
      dials = captureDials(c);
    },
  );
  assert.equal(plain.entries('dial').length, 1);
  assert.equal(dials[0].ringback, 'tone', 'a ring group ignores early media: the caller hears a ringback tone');
});

test('ring_group with nobody to ring goes to _', async () => {
  const h = await harness();
  const call = await h.run({
    module: 'ring_group',
    data: { endpoints: [{ id: '0123456789abcdef0123456789abcdef', endpoint_type: 'device' }] },
    children: { _: play('empty') },
  });
  assert.equal(call.entries('dial').length, 0);
  assert.deepEqual(played(call), ['empty']);
});
