import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DialResult } from '../../../src/call/types.js';
import {
  bridgeOutcome,
  customHeaders,
  failureKeys,
  ringbackFor,
  weightedRandomOrder,
} from '../../../src/callflow/modules/_endpoints.js';
import { stop } from '../../../src/callflow/types.js';

const failed = (r: Partial<DialResult>): DialResult => ({ status: 'failed', bridged: false, durationMs: 0, ...r });

test('bridgeOutcome: a bridge (or a caller who gave up) stops; failures list cause, then sip code', () => {
  assert.deepEqual(bridgeOutcome({ status: 'completed', bridged: true, durationMs: 10, sipCode: 200 }), stop);
  assert.deepEqual(bridgeOutcome(failed({ status: 'canceled', sipCode: 487, cause: 'ORIGINATOR_CANCEL' })), stop);
  assert.deepEqual(bridgeOutcome(failed({ status: 'busy', sipCode: 486, cause: 'USER_BUSY' })), {
    next: ['USER_BUSY', 'sip:486'],
  });
  assert.deepEqual(failureKeys(failed({ status: 'busy', sipCode: 603, cause: 'CALL_REJECTED' })), [
    'CALL_REJECTED',
    'sip:603',
  ]);
  // No cause given: derived from the SIP code, else from the status.
  assert.deepEqual(failureKeys(failed({ sipCode: 404 })), ['UNALLOCATED_NUMBER', 'sip:404']);
  assert.deepEqual(failureKeys(failed({ status: 'no-answer' })), ['NO_ANSWER']);
  assert.deepEqual(bridgeOutcome(failed({ status: 'failed' })), { next: ['NORMAL_TEMPORARY_FAILURE'] });
});

test('weightedRandomOrder draws in proportion to weight', () => {
  const items = [
    { id: 'a', weight: 1 },
    { id: 'b', weight: 99 },
  ];
  assert.deepEqual(
    weightedRandomOrder(items, () => 0).map((i) => i.id),
    ['a', 'b'],
  );
  assert.deepEqual(
    weightedRandomOrder(items, () => 0.5).map((i) => i.id),
    ['b', 'a'],
  );
  let firstB = 0;
  let seed = 42;
  const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 1000; i++) if (weightedRandomOrder(items, lcg)[0].id === 'b') firstB++;
  assert.ok(firstB > 950, `b (weight 99) should come first almost always, got ${firstB}/1000`);
});

test('customHeaders takes a flat object or the out part of {in, out}', () => {
  assert.deepEqual(customHeaders({ 'X-A': 'a', 'X-N': 5, 'X-O': { nested: true } }), { 'X-A': 'a', 'X-N': '5' });
  assert.deepEqual(customHeaders({ in: { 'X-In': '1' }, out: { 'X-Out': '2' } }), { 'X-Out': '2' });
  assert.deepEqual(customHeaders({ in: { 'X-In': '1' } }), {});
  assert.deepEqual(customHeaders(undefined), {});
});

test('ringbackFor: media ids, URLs and tones; TTS falls back', () => {
  assert.deepEqual(ringbackFor('abc', 'tone'), { kind: 'media', id: 'abc' });
  assert.deepEqual(ringbackFor('https://x.test/r.wav', 'tone'), { kind: 'url', url: 'https://x.test/r.wav' });
  assert.equal(ringbackFor('tts://ringing', 'early-media'), 'early-media');
  assert.equal(ringbackFor(undefined, 'tone'), 'tone');
});
