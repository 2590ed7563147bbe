import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceRateLimiter } from '../../../src/sip/rate-limit.js';

class Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

describe('SourceRateLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const clock = new Clock();
    const rl = new SourceRateLimiter({ ratePerSecond: 2, burst: 3, clock });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rl.allow('192.0.2.1')),
      [true, true, true, false],
    );
    assert.equal(rl.retryAfter('192.0.2.1'), 1);
    clock.t += 499;
    assert.equal(rl.allow('192.0.2.1'), false);
    clock.t += 1;
    assert.equal(rl.allow('192.0.2.1'), true, 'one token after 500 ms at 2/s');
    assert.equal(rl.allow('192.0.2.1'), false);
    clock.t += 60_000;
    assert.equal(rl.retryAfter('192.0.2.1'), 0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rl.allow('192.0.2.1')),
      [true, true, true, false],
      'refill is capped at burst',
    );
  });

  it('keeps sources independent and honours cost', () => {
    const rl = new SourceRateLimiter({ ratePerSecond: 1, burst: 2, clock: new Clock() });
    assert.equal(rl.allow('a', 2), true);
    assert.equal(rl.allow('a'), false);
    assert.equal(rl.allow('b'), true);
    assert.equal(rl.allow('b', 5), false, 'a refused request takes nothing');
    assert.equal(rl.allow('b'), true);
    rl.reset('a');
    assert.equal(rl.allow('a'), true);
    assert.equal(rl.retryAfter('never-seen'), 0);
  });

  it('bounds memory with LRU eviction', () => {
    const clock = new Clock();
    const rl = new SourceRateLimiter({ ratePerSecond: 1, burst: 1, maxSources: 2, clock });
    assert.equal(rl.allow('a'), true);
    assert.equal(rl.allow('b'), true);
    assert.equal(rl.allow('a'), false); // touches a: b is now least recently used
    assert.equal(rl.allow('c'), true); // evicts b
    assert.equal(rl.size, 2);
    assert.equal(rl.allow('a'), false, 'a was kept (recently used) and is still empty');
    assert.equal(rl.allow('b'), true, 'b was evicted and starts again with a full bucket');
    assert.equal(rl.size, 2);
  });

  it('rejects nonsense settings', () => {
    assert.throws(() => new SourceRateLimiter({ ratePerSecond: 0 }), RangeError);
    assert.throws(() => new SourceRateLimiter({ burst: 0.5 }), RangeError);
  });
});
