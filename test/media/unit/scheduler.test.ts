import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriftFreeScheduler } from '../../../src/media/scheduler.js';
import { prng } from './signals.js';

/** A simulated clock whose timers fire like Node's: at least 1 ms, plus whatever delay the test injects. */
class FakeClock {
  t = 1000;
  armed = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;

  constructor(private readonly extraDelay: () => number = () => 0) {}

  readonly now = (): number => this.t;

  readonly setTimer = (fn: () => void, ms: number): number => {
    this.armed++;
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(1, ms) + this.extraDelay(), fn, id });
    return id;
  };

  readonly clearTimer = (id: unknown): void => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };

  get pending(): number {
    return this.timers.length;
  }

  /** Fires timers in order until `until` returns true or none is left. */
  run(until: () => boolean): void {
    while (!until() && this.timers.length > 0) {
      this.timers.sort((a, b) => a.at - b.at);
      const timer = this.timers.shift()!;
      if (timer.at > this.t) this.t = timer.at;
      timer.fn();
    }
  }
}

interface Tick {
  n: number;
  at: number;
  late: number;
}

test('scheduler: 60 simulated seconds with timers up to 15 ms late: 3000 ticks, none skipped, no drift', () => {
  const random = prng(2024);
  // a third of the timers fire 0–15 ms late, a tenth fire up to 0.9 ms early (libuv's cached loop time)
  const clock = new FakeClock(() => {
    const r = random();
    return r < 0.33 ? 15 * random() : r < 0.43 ? -0.9 * random() : 0;
  });
  const ticks: Tick[] = [];
  const scheduler = new DriftFreeScheduler(
    (n, late) => {
      ticks.push({ n, at: clock.t, late });
      clock.t += 0.2; // the work of the tick: sending this worker's packets
    },
    { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  const t0 = clock.t;
  scheduler.start(20);
  clock.run(() => ticks.length === 3000);
  scheduler.stop();
  assert.equal(clock.pending, 0, 'stop() clears the armed timer');

  assert.deepEqual(
    ticks.map((t) => t.n),
    Array.from({ length: 3000 }, (_, n) => n),
    'every tick, in order',
  );
  let sumOffset = 0;
  for (const { n, at, late } of ticks) {
    const offset = at - (t0 + n * 20);
    assert.ok(offset >= -1 && offset <= 16, `tick ${n} at deadline ${offset >= 0 ? '+' : ''}${offset} ms`);
    assert.ok(Math.abs(late - Math.max(0, offset)) < 1e-9);
    sumOffset += offset;
  }
  const mean = sumOffset / ticks.length;
  assert.ok(mean > 0 && mean < 5, `mean lateness ${mean} ms`);
  // no drift: the last tick is still on the t0 + n·20 grid, so the mean period is 20 ms
  const last = ticks[2999];
  assert.ok(Math.abs(last.at - (t0 + 2999 * 20)) <= 16);
  const firstHalf = ticks.slice(0, 1500).reduce((s, t) => s + t.at - (t0 + t.n * 20), 0) / 1500;
  const secondHalf = ticks.slice(1500).reduce((s, t) => s + t.at - (t0 + t.n * 20), 0) / 1500;
  assert.ok(Math.abs(secondHalf - firstHalf) < 1, `lateness does not grow: ${firstHalf} then ${secondHalf}`);
  // one timer per tick at most (plus a few re-arms after an early wake-up): no busy loop
  assert.ok(clock.armed <= 3000 * 1.2, `${clock.armed} timers`);

  const stats = scheduler.stats();
  assert.equal(stats.ticks, 3000);
  assert.ok(stats.maxLateMs <= 16 && stats.maxLateMs > 10);
  assert.ok(Math.abs(stats.avgLateMs - ticks.reduce((s, t) => s + t.late, 0) / 3000) < 1e-9);
});

test('scheduler: after a stall the missed ticks run back to back, then the grid resumes', () => {
  let stall = false;
  const clock = new FakeClock(() => (stall ? ((stall = false), 65) : 0));
  const ticks: Tick[] = [];
  const scheduler = new DriftFreeScheduler(
    (n, late) => {
      ticks.push({ n, at: clock.t, late });
      clock.t += 0.1;
      if (n === 10) stall = true; // the timer armed after tick 10 fires 65 ms late
    },
    { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  const t0 = clock.t;
  scheduler.start();
  clock.run(() => ticks.length === 30);
  scheduler.stop();
  assert.deepEqual(
    ticks.map((t) => t.n),
    Array.from({ length: 30 }, (_, n) => n),
  );
  // tick 11 was due at t0+220 but ran at t0+285; 12, 13 and 14 were due by then and followed at once
  const at = (n: number) => ticks[n].at - t0;
  assert.ok(Math.abs(at(10) - 200) < 1e-9);
  assert.ok(Math.abs(at(11) - 285) < 1e-9);
  assert.ok(Math.abs(at(12) - 285.1) < 1e-9);
  assert.ok(Math.abs(at(14) - 285.3) < 1e-9);
  assert.ok(Math.abs(ticks[11].late - 65) < 1e-9);
  assert.ok(Math.abs(ticks[14].late - 5.3) < 1e-9);
  // tick 15 waits for its own deadline: the grid did not move
  assert.ok(Math.abs(at(15) - 300) < 1.5);
  assert.ok(Math.abs(at(29) - 580) < 1.5);
  assert.ok(Math.abs(scheduler.stats().maxLateMs - 65) < 1e-9);
  scheduler.resetStats();
  assert.deepEqual(scheduler.stats(), { ticks: 0, maxLateMs: 0, avgLateMs: 0 });
});

test('scheduler: stop() from a tick, restart, and a throwing tick keeps the clock running', () => {
  const clock = new FakeClock();
  const seen: number[] = [];
  const scheduler = new DriftFreeScheduler(
    (n) => {
      seen.push(n);
      if (n === 4) scheduler.stop();
    },
    { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  scheduler.start(10);
  assert.equal(scheduler.started, true);
  clock.run(() => false);
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
  assert.equal(scheduler.started, false);
  assert.equal(clock.pending, 0);

  seen.length = 0;
  const t0 = clock.t;
  scheduler.start(10);
  assert.equal(scheduler.nextDeadline(), t0);
  clock.run(() => seen.length === 3);
  assert.deepEqual(seen, [0, 1, 2]);
  scheduler.stop();

  let calls = 0;
  const failing = new DriftFreeScheduler(
    () => {
      calls++;
      if (calls === 2) throw new Error('tick failed');
    },
    { now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer },
  );
  failing.start(20);
  assert.throws(() => clock.run(() => calls >= 2), /tick failed/);
  clock.run(() => calls >= 5);
  assert.equal(calls, 5);
  failing.stop();
});

test('scheduler: real timers keep the grid', async () => {
  const start = performance.now();
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    const scheduler = new DriftFreeScheduler((n) => {
      seen.push(n);
      if (n === 9) {
        scheduler.stop();
        resolve();
      }
    });
    scheduler.start(5);
  });
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(performance.now() - start >= 44);
});
