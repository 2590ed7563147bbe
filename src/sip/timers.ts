// Time for the SIP layers: a `Clock` interface (real in production, `FakeClock` in tests) and the RFC 3261
// timer values T1/T2/T4 (§17.1.1.1, Table 4) with the derived transaction timers.

/** An opaque timer handle returned by `Clock.setTimeout`. */
export type Handle = object;

export interface Clock {
  /** Milliseconds (monotonic for the real clock). */
  now(): number;
  setTimeout(fn: () => void, ms: number): Handle;
  clearTimeout(h: Handle | undefined): void;
}

/** The real clock: `performance.now()` and Node timers (unref'd so SIP timers never hold the process open). */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): Handle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  }

  clearTimeout(h: Handle | undefined): void {
    if (h) clearTimeout(h as ReturnType<typeof setTimeout>);
  }
}

export const realClock: Clock = new RealClock();

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for tests. `advance(ms)` moves time forward and runs every timer that falls due, in due-time
 * order (ties in creation order), including timers scheduled by those timers while inside the window.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Handle {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return { fakeTimer: id };
  }

  clearTimeout(h: Handle | undefined): void {
    const id = (h as { fakeTimer?: number } | undefined)?.fakeTimer;
    if (id !== undefined) this.timers.delete(id);
  }

  /** Moves time forward by `ms`, running due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  /** Runs timers until none is pending (bounded by `maxMs` of fake time). */
  runAll(maxMs = 24 * 3600_000): void {
    const end = this.t + maxMs;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers.delete(next.id);
      this.t = next.at;
      next.fn();
    }
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  private nextDue(end: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const tm of this.timers.values()) {
      if (tm.at > end) continue;
      if (!best || tm.at < best.at || (tm.at === best.at && tm.id < best.id)) best = tm;
    }
    return best;
  }
}

/** RFC 3261 timer base values in milliseconds. */
export interface TimerConfig {
  /** RTT estimate (default 500). */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4000). */
  T2: number;
  /** Maximum duration a message will remain in the network (default 5000). */
  T4: number;
  /** Timer D: wait time for response retransmits of an INVITE client over UDP (default 32000, RFC: > 32 s). */
  D: number;
  /** Delay before the INVITE server transaction sends 100 Trying itself (§17.2.1, default 200). */
  trying: number;
}

export const DEFAULT_TIMERS: TimerConfig = { T1: 500, T2: 4000, T4: 5000, D: 32000, trying: 200 };

export function timerConfig(partial: Partial<TimerConfig> = {}): TimerConfig {
  const c = { ...DEFAULT_TIMERS, ...partial };
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`timer ${k} must be a non-negative number, got ${v}`);
  }
  return c;
}
