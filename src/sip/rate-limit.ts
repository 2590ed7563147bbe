// A per-source token bucket for unauthenticated SIP requests (issue 3 item 9). The stack asks `allow(ip)`
// before doing any work for a request that carries no valid credentials, and answers 429/503 or drops when it
// says no. Memory is bounded: at most `maxSources` buckets, least recently used evicted first (an evicted
// source simply starts again with a full bucket).

export interface RateLimiterOptions {
  /** Tokens added per second (sustained requests/s per source). Default 20. */
  ratePerSecond?: number;
  /** Bucket size (requests a quiet source may send at once). Default 40. */
  burst?: number;
  /** Sources tracked at most (LRU eviction). Default 10 000. */
  maxSources?: number;
  /** Milliseconds, monotonic is fine (default `performance.now`). Compatible with `Clock` from ./timers.ts. */
  clock?: { now(): number };
}

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceRateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly maxSources: number;
  private readonly clock: { now(): number };
  /** Least recently used first (Map insertion order, refreshed on every use). */
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: RateLimiterOptions = {}) {
    this.ratePerSecond = opts.ratePerSecond ?? 20;
    this.burst = opts.burst ?? 40;
    this.maxSources = Math.max(1, Math.floor(opts.maxSources ?? 10_000));
    if (!(this.ratePerSecond > 0) || !(this.burst >= 1)) throw new RangeError('ratePerSecond > 0 and burst >= 1');
    this.clock = opts.clock ?? { now: () => performance.now() };
  }

  /** Takes `cost` tokens from `ip`'s bucket; false (and nothing taken) when there are not enough. */
  allow(ip: string, cost = 1): boolean {
    const b = this.refill(ip);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
  }

  /** Seconds until `ip` may send one more request (0 when it may now); for a Retry-After header. */
  retryAfter(ip: string): number {
    const b = this.buckets.get(ip);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.clock.now() - b.at) * this.ratePerSecond) / 1000);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.ratePerSecond);
  }

  /** Forgets `ip` (e.g. once it authenticated). */
  reset(ip: string): void {
    this.buckets.delete(ip);
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private refill(ip: string): Bucket {
    const now = this.clock.now();
    let b = this.buckets.get(ip);
    if (b) {
      this.buckets.delete(ip);
      b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) * this.ratePerSecond) / 1000);
      b.at = now;
    } else {
      b = { tokens: this.burst, at: now };
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(ip, b);
    return b;
  }
}
