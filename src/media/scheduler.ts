// One drift-free packet clock per media worker (DESIGN §3, media.md §2 conclusion 1). Deadlines are absolute,
// t0 + n·tickMs, so timer lateness never accumulates (setInterval drifts by up to 28 %). A late tick runs at once and
// the next deadline stays on the grid; after a stall the missed ticks run back to back until caught up: none is
// skipped, since each one is 20 ms of audio the far end's jitter buffer expects. A single setTimeout is re-armed per
// tick; no busy-waiting.

import { performance } from 'node:perf_hooks';

export type TickHandler = (n: number, lateMs: number) => void;

export interface SchedulerOptions {
  /** Monotonic clock in ms (performance.now by default). */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /**
   * A tick may run this early rather than re-arm a timer for less than it (timers have 1 ms granularity and
   * libuv's cached loop time can fire them a fraction early). Default 1 ms.
   */
  earlyMs?: number;
}

export interface SchedulerStats {
  ticks: number;
  maxLateMs: number;
  avgLateMs: number;
}

export class DriftFreeScheduler {
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly earlyMs: number;
  private readonly fire = (): void => this.run(); // bound once, reused for every timer
  private running = false;
  private timer: unknown = null;
  private t0 = 0;
  private tickMs = 20;
  private n = 0;
  private ticks = 0;
  private lateSum = 0;
  private lateMax = 0;

  /** Called for every tick n with how late it runs (≥ 0); may be set after construction. */
  onTick: TickHandler;

  constructor(onTick: TickHandler = () => {}, options: SchedulerOptions = {}) {
    this.onTick = onTick;
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.earlyMs = options.earlyMs ?? 1;
  }

  get started(): boolean {
    return this.running;
  }

  /** Starts the clock: tick n is due at t0 + n·tickMs, tick 0 right away (asynchronously). */
  start(tickMs = 20): void {
    if (this.running) return;
    this.running = true;
    this.tickMs = tickMs;
    this.t0 = this.now();
    this.n = 0;
    this.arm(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  /** Lateness of ticks since the last resetStats() (or start). */
  stats(): SchedulerStats {
    return {
      ticks: this.ticks,
      maxLateMs: this.lateMax,
      avgLateMs: this.ticks === 0 ? 0 : this.lateSum / this.ticks,
    };
  }

  resetStats(): void {
    this.ticks = 0;
    this.lateSum = 0;
    this.lateMax = 0;
  }

  /** The deadline of the next tick on the scheduler's clock. */
  nextDeadline(): number {
    return this.t0 + this.n * this.tickMs;
  }

  private arm(ms: number): void {
    this.timer = this.setTimer(this.fire, ms);
  }

  private run(): void {
    this.timer = null;
    try {
      // run every tick that is due, catching up back to back after a stall
      while (this.running) {
        const late = this.now() - (this.t0 + this.n * this.tickMs);
        if (late < -this.earlyMs) break;
        const n = this.n++;
        const lateMs = late > 0 ? late : 0;
        this.ticks++;
        this.lateSum += lateMs;
        if (lateMs > this.lateMax) this.lateMax = lateMs;
        this.onTick(n, lateMs);
      }
    } finally {
      // re-armed even when onTick throws (the error still propagates to the worker)
      if (this.running && this.timer === null) this.arm(Math.max(0, this.t0 + this.n * this.tickMs - this.now()));
    }
  }
}
