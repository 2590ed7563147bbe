import { test } from 'node:test';
import assert from 'node:assert/strict';
import { press } from '../../../src/call/scripted.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { harness } from '../../helpers/callflow.js';
import { chain, probe, probeNode, sayNode } from './_probe.js';

test('collect_dtmf: schema defaults and validation errors', () => {
  const ok = flowValidator().validate({ module: 'collect_dtmf', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, {
    max_digits: 1,
    timeout: 5000,
    interdigit_timeout: 2000,
    terminator: '#',
    collection_name: 'default',
  });
  const bad = flowValidator().validate({ module: 'collect_dtmf', data: { max_digits: 0, terminators: ['x'] } });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.path).sort(), ['flow.data.max_digits', 'flow.data.terminators.0']);
});

test('collect_dtmf: digits up to the terminator land in the named collection read by the next node', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const call = await h.run(
    { module: 'collect_dtmf', data: { max_digits: 4, collection_name: 'pin' }, children: { _: probeNode() } },
    { script: { events: press('12#', 1000) } },
  );
  assert.equal(call.entries('answer')[0].t, 0);
  const [done] = call.entries('collect_done');
  assert.equal(done.t, 1200);
  assert.equal(done.reason, 'terminator');
  assert.deepEqual(seen[0].dtmf, { pin: '12' });
  assert.equal(seen[0].t, 1200);
});

test('collect_dtmf: no input times out after 5 s and stores an empty collection', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const call = await h.run({ module: 'collect_dtmf', data: {}, children: { _: probeNode() } });
  assert.equal(call.entries('collect_done')[0].t, 5000);
  assert.deepEqual(seen[0].dtmf, { default: '' });
});

test('collect_dtmf: a key pressed during a prompt counts first; the interdigit timeout ends collection', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const call = await h.run(
    sayNode('Enter your account number', {
      module: 'collect_dtmf',
      data: { max_digits: 6, interdigit_timeout: 1500 },
      children: { _: probeNode() },
    }),
    { script: { events: [...press('7', 300), ...press('8', 1000)] } },
  );
  assert.equal(call.entries('say_stopped')[0].t, 300);
  const [done] = call.entries('collect_done');
  assert.equal(done.digits, '78');
  assert.equal(done.t, 1000 + 1500);
  assert.deepEqual(seen[0].dtmf, { default: '78' });
});

test('collect_dtmf: `terminators` wins over the default `terminator`', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  await h.run(
    { module: 'collect_dtmf', data: { max_digits: 5, terminators: ['*'] }, children: { _: probeNode() } },
    { script: { events: press('1#2*', 500) } },
  );
  assert.deepEqual(seen[0].dtmf, { default: '1#2' });
});

test('collect_dtmf: a hangup while collecting leaves no collection and ends the flow', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const call = await h.run(
    { module: 'collect_dtmf', data: {}, children: { _: probeNode() } },
    { script: { events: [{ at: 2000, hangup: true }] } },
  );
  assert.equal(call.dtmfCollections.size, 0);
  assert.equal(seen.length, 0);
  assert.equal(call.endedAt, 2000);
});

test('flush_dtmf: clears one named collection, or every collection and the buffer', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const flow = chain(
    { module: 'collect_dtmf', data: { collection_name: 'a' } },
    { module: 'collect_dtmf', data: { collection_name: 'b' } },
    { module: 'flush_dtmf', data: { collection_name: 'a' } },
    { module: 'sleep', data: { duration: 1 } },
    probeNode(),
    { module: 'flush_dtmf', data: {} },
    probeNode(),
  );
  await h.run(flow, { script: { events: [...press('1', 100), ...press('2', 200), ...press('3', 500)] } });
  assert.deepEqual(seen[0].dtmf, { b: '2' });
  assert.equal(seen[0].buffer, '3');
  assert.deepEqual(seen[1], { ...seen[0], dtmf: {}, buffer: '' });
  assert.equal(flowValidator().validate({ module: 'flush_dtmf', data: {} }).ok, true);
  const bad = flowValidator().validate({ module: 'flush_dtmf', data: { collection_name: '' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.collection_name');
});

test('send_dtmf: sends the digits with a sane per-key duration, then continues', async () => {
  const ok = flowValidator().validate({ module: 'send_dtmf', data: { digits: '12#' } });
  assert.ok(ok.ok);
  assert.equal(ok.flow.data.duration_ms, '2000');
  const bad = flowValidator().validate({ module: 'send_dtmf', data: { digits: '12x' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.digits');
  assert.ok(!flowValidator().validate({ module: 'send_dtmf', data: {} }).ok);

  const h = await harness();
  const call = await h.run(
    { module: 'send_dtmf', data: { digits: '123' }, children: { _: sayNode('sent') } },
    {
      answered: true,
    },
  );
  assert.equal(call.entries('send_dtmf')[0].digits, '123');
  // Kazoo's default 2000 ms per tone is capped at 500 ms: three keys take 1.5 s.
  assert.equal(call.entries('say')[0].t, 1500);
  const fast = await h.run({
    module: 'send_dtmf',
    data: { digits: '12', duration_ms: 100 },
    children: { _: sayNode('x') },
  });
  assert.equal(fast.entries('say')[0].t, 200);
});
