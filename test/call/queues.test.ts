// QueueManager: named FIFO queues per account, handover to waiting agents, stats for waitUrl requests.

import assert from 'node:assert/strict';
import test from 'node:test';
import { DEFAULT_MAX_QUEUE_SIZE, QueueManager, queueSid, type QueueEntry } from '../../src/call/queues.js';
import { ScriptedCall, ScriptedWorld } from '../../src/call/scripted.js';

function setup() {
  let now = 0;
  const q = new QueueManager(() => now);
  const world = new ScriptedWorld();
  const call = (id: string, accountId = 'acc1') => new ScriptedCall({ id, accountId, world, answered: true });
  return { q, call, advance: (ms: number) => (now += ms) };
}

const entry = (r: QueueEntry | 'full'): QueueEntry => {
  assert.notEqual(r, 'full');
  return r as QueueEntry;
};

test('queues are created on demand with a stable QU sid per account and name', () => {
  const { q, call } = setup();
  const e = entry(q.enqueue('acc1', 'support', call('a')));
  assert.match(e.queueSid, /^QU[0-9a-f]{32}$/);
  assert.equal(e.queueSid, queueSid('acc1', 'support'));
  assert.notEqual(queueSid('acc1', 'support'), queueSid('acc2', 'support'));
  assert.notEqual(queueSid('acc1', 'support'), queueSid('acc1', 'sales'));
  assert.deepEqual(q.info('acc1', 'support'), {
    sid: e.queueSid,
    size: 1,
    maxSize: DEFAULT_MAX_QUEUE_SIZE,
    agentsWaiting: 0,
  });
  assert.equal(q.info('acc2', 'support'), undefined, 'another account has its own queue');
  assert.equal(q.take('acc2', 'support'), undefined);
});

test('names are 1 to 64 characters', () => {
  const { q, call } = setup();
  assert.throws(() => q.enqueue('acc1', '', call('a')), RangeError);
  assert.throws(() => q.enqueue('acc1', 'x'.repeat(65), call('a')), RangeError);
  assert.ok(q.enqueue('acc1', 'x'.repeat(64), call('b')) !== 'full');
});

test('FIFO: take returns the first waiting caller; positions move up', () => {
  const { q, call, advance } = setup();
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  advance(1000);
  const b = entry(q.enqueue('acc1', 'line', call('b')));
  const c = entry(q.enqueue('acc1', 'line', call('c')));
  assert.deepEqual([a.position, b.position, c.position], [1, 2, 3]);
  advance(2000);
  const agent = call('agent');
  const taken = q.take('acc1', 'line', agent);
  assert.equal(taken, a);
  assert.equal(a.state, 'taken');
  assert.equal(a.agent, agent);
  assert.equal(a.position, 0);
  assert.equal(a.waitedMs(99999), 3000, 'the wait stops when taken');
  assert.deepEqual([b.position, c.position], [1, 2]);
  assert.equal(q.take('acc1', 'line'), b);
  assert.equal(q.take('acc1', 'line'), c);
  assert.equal(q.take('acc1', 'line'), undefined);
  assert.equal(q.info('acc1', 'line'), undefined, 'an empty queue is forgotten');
});

test('max size: default 100, maxSize sets it, full answers "full"', () => {
  const { q, call } = setup();
  for (let i = 0; i < DEFAULT_MAX_QUEUE_SIZE; i++) entry(q.enqueue('acc1', 'big', call(`c${i}`)));
  assert.equal(q.enqueue('acc1', 'big', call('extra')), 'full');
  entry(q.enqueue('acc1', 'small', call('s1'), { maxSize: 2 }));
  entry(q.enqueue('acc1', 'small', call('s2'), { maxSize: 2 }));
  assert.equal(q.enqueue('acc1', 'small', call('s3'), { maxSize: 2 }), 'full');
  assert.equal(q.info('acc1', 'small')?.maxSize, 2);
});

test('stats: position, wait, average wait of those waiting, size and max size', () => {
  const { q, call, advance } = setup();
  const a = entry(q.enqueue('acc1', 'line', call('a'), { maxSize: 10 }));
  advance(4000);
  const b = entry(q.enqueue('acc1', 'line', call('b')));
  advance(2000);
  assert.deepEqual(q.stats(b), {
    sid: queueSid('acc1', 'line'),
    name: 'line',
    position: 2,
    waitMs: 2000,
    avgWaitMs: 4000,
    size: 2,
    maxSize: 10,
  });
  assert.equal(q.stats(a).waitMs, 6000);
});

test('signals: taken fires when an agent takes the entry, finished when the agent says the bridge ended', () => {
  const { q, call } = setup();
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  assert.equal(a.taken.aborted, false);
  q.take('acc1', 'line');
  assert.equal(a.taken.aborted, true);
  assert.equal(a.finished.aborted, false);
  a.bridgeEnded();
  a.bridgeEnded();
  assert.equal(a.finished.aborted, true);
});

test('leave removes a waiting entry; leaving after being taken changes nothing', () => {
  const { q, call, advance } = setup();
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  const b = entry(q.enqueue('acc1', 'line', call('b')));
  advance(1500);
  q.leave(a);
  assert.equal(a.state, 'left');
  assert.equal(a.waitedMs(10000), 1500);
  assert.equal(b.position, 1);
  q.take('acc1', 'line');
  q.leave(b);
  assert.equal(b.state, 'taken');
});

test('entries of calls that hang up are removed', () => {
  const { q, call } = setup();
  const caller = call('a');
  const a = entry(q.enqueue('acc1', 'line', caller));
  const b = entry(q.enqueue('acc1', 'line', call('b')));
  caller.remoteHangup();
  assert.equal(a.state, 'left');
  assert.equal(b.position, 1);
  assert.equal(q.info('acc1', 'line')?.size, 1);
  assert.equal(q.take('acc1', 'line'), b);
  // An entry for a call already over leaves at once.
  const gone = call('gone');
  gone.remoteHangup();
  assert.equal(entry(q.enqueue('acc1', 'line', gone)).state, 'left');
  assert.equal(q.info('acc1', 'line'), undefined);
});

test('watch: an agent on an empty queue is handed the next caller, agents in order', () => {
  const { q, call } = setup();
  const agent1 = call('agent1');
  const agent2 = call('agent2');
  const w1 = q.watch('acc1', 'line', agent1);
  const w2 = q.watch('acc1', 'line', agent2);
  assert.equal(q.info('acc1', 'line')?.agentsWaiting, 2);
  assert.equal(w1.signal.aborted, false);
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  assert.equal(w1.signal.aborted, true);
  assert.equal(w1.entry, a);
  assert.equal(a.state, 'taken', 'handed over at once');
  assert.equal(a.agent, agent1);
  assert.equal(a.taken.aborted, true);
  assert.equal(w2.signal.aborted, false);
  const b = entry(q.enqueue('acc1', 'line', call('b')));
  assert.equal(w2.entry, b);
  w1.cancel();
  w2.cancel();
  assert.equal(q.info('acc1', 'line'), undefined);
});

test('watch: cancelled and ended agents are skipped', () => {
  const { q, call } = setup();
  const gone = call('gone');
  const w0 = q.watch('acc1', 'line', call('quitter'));
  const w1 = q.watch('acc1', 'line', gone);
  const w2 = q.watch('acc1', 'line', call('agent'));
  w0.cancel();
  gone.remoteHangup();
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  assert.equal(w0.entry, undefined);
  assert.equal(w1.entry, undefined);
  assert.equal(w2.entry, a);
});

test('watch on a queue that already has a caller hands it over at once', () => {
  const { q, call } = setup();
  const a = entry(q.enqueue('acc1', 'line', call('a')));
  const w = q.watch('acc1', 'line', call('agent'));
  assert.equal(w.signal.aborted, true);
  assert.equal(w.entry, a);
});

test('requeue: a caller handed to an agent who is already gone goes back to the head of the queue', async () => {
  const { q, call } = setup();
  const first = entry(q.enqueue('acc1', 'support', call('a')));
  const second = entry(q.enqueue('acc1', 'support', call('b')));
  const gone = call('agent');
  const taken = q.take('acc1', 'support', gone)!;
  assert.equal(taken, first);
  const oldFinished = first.finished;
  await gone.hangup();
  assert.equal(q.requeue(first), true);
  assert.equal(oldFinished.aborted, true, "the caller's Enqueue is woken");
  assert.equal(first.state, 'waiting');
  assert.equal(first.taken.aborted, false, 'a fresh taken signal');
  assert.deepEqual(
    q.waiting('acc1', 'support').map((e) => e.call.id),
    ['a', 'b'],
  );
  assert.equal(q.take('acc1', 'support', call('agent2')), first);
  assert.equal(second.position, 1);
  const hungUp = call('c');
  const third = entry(q.enqueue('acc1', 'support', hungUp));
  q.take('acc1', 'support', call('agent3'));
  q.take('acc1', 'support', call('agent4'));
  await hungUp.hangup();
  assert.equal(q.requeue(third), false, 'a caller who is gone too is not requeued');
});
