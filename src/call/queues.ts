// Named call queues (TwiML <Enqueue>, <Dial><Queue>, <Leave>): per account, created on demand, FIFO. A queued
// caller's driver waits on `entry.taken` (fired when an agent takes it) and then on `entry.finished` (fired when
// the agent says its bridge is over); an agent facing an empty queue waits on `watch(...).signal`, fired when a
// caller is handed to it. Everything here is synchronous and in-memory: one node's queues.

import { createHash } from 'node:crypto';
import type { Call } from './types.js';

export const MAX_QUEUE_NAME_LENGTH = 64;
export const DEFAULT_MAX_QUEUE_SIZE = 100;
/** Twilio's ceiling for a queue's max size. */
export const MAX_QUEUE_SIZE_LIMIT = 5000;

export type QueueEntryState = 'waiting' | 'taken' | 'left';

/** Figures for a waitUrl request (Twilio's QueueSid, QueuePosition, QueueTime, AvgQueueTime, CurrentQueueSize…). */
export interface QueueStats {
  sid: string;
  name: string;
  /** 1-based position of the entry; 0 once it no longer waits. */
  position: number;
  /** Time this entry has waited (until now, or until it was taken or left). */
  waitMs: number;
  /** Average wait of the callers waiting now. */
  avgWaitMs: number;
  size: number;
  maxSize: number;
}

/** A queue's sid: `QU` + 32 hex, derived from account and name, so it is stable across restarts and nodes. */
export function queueSid(accountId: string, name: string): string {
  return `QU${createHash('sha256').update(`${accountId}:${name}`).digest('hex').slice(0, 32)}`;
}

class Queue {
  readonly sid: string;
  maxSize = DEFAULT_MAX_QUEUE_SIZE;
  readonly entries: QueueEntry[] = [];
  readonly watchers: QueueWatch[] = [];

  constructor(
    readonly key: string,
    readonly accountId: string,
    readonly name: string,
  ) {
    this.sid = queueSid(accountId, name);
  }
}

/** One caller in a queue. */
export class QueueEntry {
  private status: QueueEntryState = 'waiting';
  private takenCtl = new AbortController();
  private finishedCtl = new AbortController();
  /** The agent's call, once taken. */
  agent?: Call;
  takenAt?: number;
  leftAt?: number;
  /** Detaches the hangup listener. */
  detach: () => void = () => {};

  constructor(
    /** @internal */ readonly queue: Queue,
    readonly call: Call,
    readonly enqueuedAt: number,
  ) {}

  get state(): QueueEntryState {
    return this.status;
  }

  get queueSid(): string {
    return this.queue.sid;
  }

  get queueName(): string {
    return this.queue.name;
  }

  /** 1-based position while waiting, 0 afterwards. */
  get position(): number {
    return this.status === 'waiting' ? this.queue.entries.indexOf(this) + 1 : 0;
  }

  /** Fired when an agent takes this caller (stop the wait music, wait for the bridge to end). */
  get taken(): AbortSignal {
    return this.takenCtl.signal;
  }

  /** Fired when the agent's bridge with this caller is over (the caller's <Enqueue> then finishes). */
  get finished(): AbortSignal {
    return this.finishedCtl.signal;
  }

  /** The agent tells the caller's side that the bridge ended. Idempotent. */
  bridgeEnded(): void {
    this.finishedCtl.abort();
  }

  /** Time spent waiting, up to `now` or to when the entry was taken or left. */
  waitedMs(now: number): number {
    return Math.max(0, (this.takenAt ?? this.leftAt ?? now) - this.enqueuedAt);
  }

  /** @internal */
  markTaken(agent: Call | undefined, now: number): void {
    this.status = 'taken';
    this.agent = agent;
    this.takenAt = now;
    this.detach();
    this.takenCtl.abort();
  }

  /**
   * @internal Back to waiting after a handover that never became a bridge (the agent was gone). The old
   * `finished` fires so the caller's <Enqueue> notices, sees `waiting` and waits again.
   */
  markRequeued(): void {
    const finished = this.finishedCtl;
    this.status = 'waiting';
    this.agent = undefined;
    this.takenAt = undefined;
    this.takenCtl = new AbortController();
    this.finishedCtl = new AbortController();
    finished.abort();
  }

  /** @internal */
  markLeft(now: number): void {
    this.status = 'left';
    this.leftAt = now;
    this.detach();
  }
}

/** An agent waiting on an empty queue. `signal` fires when a caller is handed over in `entry`. */
export interface QueueWatch {
  readonly signal: AbortSignal;
  /** The caller handed to this agent (already taken: bridge it). */
  readonly entry?: QueueEntry;
  /** Stop watching (timeout, hangup). Harmless after the handover. */
  cancel(): void;
}

class Watch implements QueueWatch {
  private readonly ctl = new AbortController();
  entry?: QueueEntry;
  constructor(
    readonly agent: Call,
    readonly onCancel: (w: Watch) => void,
  ) {}
  get signal(): AbortSignal {
    return this.ctl.signal;
  }
  handOver(entry: QueueEntry): void {
    this.entry = entry;
    this.ctl.abort();
  }
  cancel(): void {
    this.onCancel(this);
  }
}

export class QueueManager {
  private readonly queues = new Map<string, Queue>();

  constructor(readonly now: () => number) {}

  private key(accountId: string, name: string): string {
    return `${accountId}:${name}`;
  }

  private open(accountId: string, name: string): Queue {
    if (!name || name.length > MAX_QUEUE_NAME_LENGTH) {
      throw new RangeError(`a queue name must have 1 to ${MAX_QUEUE_NAME_LENGTH} characters`);
    }
    const key = this.key(accountId, name);
    let q = this.queues.get(key);
    if (!q) {
      q = new Queue(key, accountId, name);
      this.queues.set(key, q);
    }
    return q;
  }

  /** Forget a queue nobody waits in or on (its sid is derived, so it comes back the same). */
  private prune(q: Queue): void {
    if (q.entries.length === 0 && q.watchers.length === 0) this.queues.delete(q.key);
  }

  /**
   * Put `call` at the end of the queue. `maxSize` (Enqueue maxQueueSize) becomes the queue's max size. When an agent
   * is already waiting on the queue, the caller is handed to it at once: the entry comes back already taken.
   */
  enqueue(accountId: string, name: string, call: Call, opts: { maxSize?: number } = {}): QueueEntry | 'full' {
    const q = this.open(accountId, name);
    if (opts.maxSize !== undefined) q.maxSize = Math.max(1, Math.min(MAX_QUEUE_SIZE_LIMIT, opts.maxSize));
    this.dropEnded(q);
    if (q.entries.length >= q.maxSize) {
      this.prune(q);
      return 'full';
    }
    const entry = new QueueEntry(q, call, this.now());
    q.entries.push(entry);
    if (call.state === 'ended') {
      this.leave(entry);
      return entry;
    }
    const onHangup = (): void => this.leave(entry);
    call.on('hangup', onHangup);
    entry.detach = () => call.off('hangup', onHangup);
    this.handOver(q);
    return entry;
  }

  /** Take the first waiting caller (for `agent`), or undefined when the queue is empty. */
  take(accountId: string, name: string, agent?: Call): QueueEntry | undefined {
    const q = this.queues.get(this.key(accountId, name));
    if (!q) return undefined;
    this.dropEnded(q);
    const entry = q.entries.shift();
    if (entry) entry.markTaken(agent, this.now());
    this.prune(q);
    return entry;
  }

  /**
   * Wait for a caller on an empty queue: the next caller to join is handed to the longest-waiting agent, whose
   * `signal` fires. Call `cancel()` when giving up (timeout, hangup).
   */
  watch(accountId: string, name: string, agent: Call): QueueWatch {
    const q = this.open(accountId, name);
    const w = new Watch(agent, (me) => {
      const i = q.watchers.indexOf(me);
      if (i >= 0) q.watchers.splice(i, 1);
      this.prune(q);
    });
    q.watchers.push(w);
    this.handOver(q);
    return w;
  }

  /**
   * Put a taken caller back at the head of its queue when the agent was gone before the bridge began, so the
   * caller is not dropped. Returns false when the caller is gone too.
   */
  requeue(entry: QueueEntry): boolean {
    if (entry.state !== 'taken' || entry.call.state === 'ended') return false;
    const q = entry.queue;
    entry.markRequeued();
    q.entries.unshift(entry);
    const onHangup = (): void => this.leave(entry);
    entry.call.on('hangup', onHangup);
    entry.detach = () => entry.call.off('hangup', onHangup);
    this.queues.set(q.key, q);
    this.handOver(q);
    return true;
  }

  /** Remove a waiting caller (Leave, hangup, error). Does nothing once it was taken. */
  leave(entry: QueueEntry): void {
    if (entry.state !== 'waiting') return;
    this.remove(entry);
    this.prune(entry.queue);
  }

  private remove(entry: QueueEntry): void {
    const q = entry.queue;
    const i = q.entries.indexOf(entry);
    if (i >= 0) q.entries.splice(i, 1);
    entry.markLeft(this.now());
  }

  /** Figures about an entry and its queue. */
  stats(entry: QueueEntry): QueueStats {
    const q = entry.queue;
    const now = this.now();
    const waiting = q.entries;
    const avg = waiting.length ? waiting.reduce((s, e) => s + e.waitedMs(now), 0) / waiting.length : 0;
    return {
      sid: q.sid,
      name: q.name,
      position: entry.position,
      waitMs: entry.waitedMs(now),
      avgWaitMs: Math.round(avg),
      size: waiting.length,
      maxSize: q.maxSize,
    };
  }

  /** A queue's current size and limits, or undefined when nobody waits in or on it. */
  info(
    accountId: string,
    name: string,
  ): { sid: string; size: number; maxSize: number; agentsWaiting: number } | undefined {
    const q = this.queues.get(this.key(accountId, name));
    if (!q) return undefined;
    return { sid: q.sid, size: q.entries.length, maxSize: q.maxSize, agentsWaiting: q.watchers.length };
  }

  /** Callers currently waiting, in order. */
  waiting(accountId: string, name: string): readonly QueueEntry[] {
    return this.queues.get(this.key(accountId, name))?.entries ?? [];
  }

  private dropEnded(q: Queue): void {
    for (const e of [...q.entries]) if (e.call.state === 'ended') this.remove(e);
  }

  /** Give waiting callers to waiting agents, in order, skipping agents whose call is over. */
  private handOver(q: Queue): void {
    while (q.watchers.length && q.entries.length) {
      const w = q.watchers.shift() as Watch;
      if (w.agent.state === 'ended') continue;
      const entry = q.entries.shift()!;
      entry.markTaken(w.agent, this.now());
      w.handOver(entry);
    }
    this.prune(q);
  }
}
