// The media engine (main thread): one worker per core, each with its own slice of the RTP port range; sessions
// go to the least-loaded worker. The engine turns worker events into promises and events on `MediaSession`
// handles, hosts conference rooms on the worker of their first member, and restarts a worker that dies after
// failing its sessions with a cause.

import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FrameRing } from './frame-ring.js';
import type { Command, PlayEnd, RecordSpec, RemoteMedia, SessionStats, WorkerEvent } from './protocol.js';

export interface MediaEngineOptions {
  /** Address RTP sockets bind to (and that SDP advertises unless `advertise` is set). */
  host: string;
  ports: { min: number; max: number };
  workers?: number;
  /** End sessions with no RTP for this long once media flowed (default 60 s; 0 = never). */
  rtpTimeoutMs?: number;
}

export class MediaError extends Error {
  constructor(
    message: string,
    /** SIP status the call layer should answer with (503 when no port is free). */
    readonly sipStatus = 503,
  ) {
    super(message);
  }
}

/** @internal One worker and what it carries. */
export interface WorkerSlot {
  index: number;
  worker: Worker;
  ports: { min: number; max: number };
  sessions: Set<MediaSession>;
  lateMs: number;
  /** The worst lateness ever reported. */
  peakLateMs: number;
  restarts: number;
  /** Ports of socket pairs the worker bound ahead of time, and how many more are being bound. */
  spares: number[];
  sparesPending: number;
  /** Opens waiting for a spare in flight (undefined: the worker could not bind one). */
  spareWaiters: ((port: number | undefined) => void)[];
  /** The last spare could not be bound (range full): no new attempt until a session closes. */
  sparesExhausted: boolean;
}

/** Socket pairs each worker keeps bound ahead of time, so a call's media session opens without a round trip. */
export const SPARES_PER_WORKER = 8;

type Pending = { resolve: (v: any) => void };

export class MediaEngine extends EventEmitter {
  private readonly slots: WorkerSlot[] = [];
  private readonly sessions = new Map<number, MediaSession>();
  private readonly rooms = new Map<
    string,
    { slot: WorkerSlot; members: Map<MediaSession, { muted: boolean; deaf: boolean }> }
  >();
  private nextId = 1;
  private stopping = false;

  constructor(readonly options: MediaEngineOptions) {
    super();
  }

  get host(): string {
    return this.options.host;
  }

  start(): void {
    const n = Math.max(1, this.options.workers ?? availableParallelism());
    const { min, max } = this.options.ports;
    const per = Math.floor((max - min + 1) / n);
    if (per < 2) throw new MediaError(`RTP port range ${min}-${max} is too small for ${n} workers`);
    for (let i = 0; i < n; i++) {
      const ports = { min: min + i * per, max: i === n - 1 ? max : min + (i + 1) * per - 1 };
      this.slots.push(this.spawn(i, ports, 0));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const s of [...this.sessions.values()]) await s.close().catch(() => undefined);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
  }

  /** Live sessions, spare socket pairs, and the worst scheduling lateness each worker reported in the last second. */
  load(): { worker: number; sessions: number; spares: number; lateMs: number; peakLateMs: number }[] {
    return this.slots.map((s) => ({
      worker: s.index,
      sessions: s.sessions.size,
      spares: s.spares.length,
      lateMs: s.lateMs,
      peakLateMs: s.peakLateMs,
    }));
  }

  private spawn(index: number, ports: { min: number; max: number }, restarts: number): WorkerSlot {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
    const slot: WorkerSlot = {
      index,
      worker,
      ports,
      sessions: new Set(),
      lateMs: 0,
      peakLateMs: 0,
      restarts,
      spares: [],
      sparesPending: 0,
      spareWaiters: [],
      sparesExhausted: false,
    };
    worker.on('message', (e: WorkerEvent) => this.onEvent(slot, e));
    worker.on('error', (err) => this.emit('workerError', { worker: index, error: err.message }));
    worker.on('exit', (code) => {
      if (this.stopping) return;
      // Every call on that worker loses its media: end them with a cause, then bring the worker back.
      for (const s of [...slot.sessions]) s.fail(`media worker ${index} exited (code ${code})`);
      slot.sessions.clear();
      for (const wake of slot.spareWaiters.splice(0)) wake(undefined);
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.spawn(index, ports, restarts + 1);
      this.emit('workerRestarted', { worker: index, code });
    });
    this.replenish(slot);
    return slot;
  }

  /** Ask the worker for spare socket pairs up to the target. */
  private replenish(slot: WorkerSlot): void {
    if (this.stopping) return;
    while (!slot.sparesExhausted && slot.spares.length + slot.sparesPending < SPARES_PER_WORKER) {
      slot.sparesPending++;
      slot.worker.postMessage({ t: 'spare', ports: slot.ports, host: this.options.host } satisfies Command);
    }
  }

  /** A spare's port: one ready now, or the next one in flight; undefined when none can be had. */
  private async spare(slot: WorkerSlot): Promise<number | undefined> {
    const ready = slot.spares.shift();
    if (ready !== undefined || !slot.sparesPending) return ready;
    return new Promise((resolve) => slot.spareWaiters.push(resolve));
  }

  /**
   * Open a session (an RTP socket pair) on the least-loaded worker, or next to `near` (a bridge's other leg). It
   * takes one of the pairs the worker bound ahead of time when there is one: then no worker round trip is waited for.
   */
  async open(opts: { remote?: RemoteMedia; inbandDtmf?: boolean; near?: MediaSession } = {}): Promise<MediaSession> {
    const slot = opts.near?.slot ?? [...this.slots].sort((a, b) => a.sessions.size - b.sessions.size)[0];
    if (!slot) throw new MediaError('the media engine is not running');
    const spare = await this.spare(slot);
    if (!this.slots.includes(slot)) throw new MediaError(`media worker ${slot.index} restarted`, 503);
    this.replenish(slot);
    const session = new MediaSession(this, this.nextId++, slot);
    this.sessions.set(session.id, session);
    slot.sessions.add(session);
    const opened = new Promise<number>((resolve, reject) => (session.opening = { resolve, reject }));
    slot.worker.postMessage({
      t: 'open',
      id: session.id,
      ports: slot.ports,
      host: this.options.host,
      remote: opts.remote,
      rx: session.rx.buffer,
      tx: session.tx.buffer,
      inbandDtmf: opts.inbandDtmf ?? false,
      rtpTimeoutMs: this.options.rtpTimeoutMs ?? 60_000,
      spare,
    } satisfies Command);
    if (spare !== undefined) {
      // The port is known: the worker's answer only matters if it fails (then the session fails).
      session.port = spare;
      opened.catch((err: Error) => {
        this.forget(session);
        session.fail(err.message);
      });
      return session;
    }
    try {
      session.port = await opened;
    } catch (err) {
      this.forget(session);
      throw new MediaError(`no RTP port available: ${(err as Error).message}`, 503);
    }
    return session;
  }

  /** @internal */
  post(slot: WorkerSlot, cmd: Command): void {
    slot.worker.postMessage(cmd);
  }

  /** @internal */
  forget(session: MediaSession): void {
    this.sessions.delete(session.id);
    session.slot.sessions.delete(session);
    // Its ports are free again: a worker that ran out of spares may bind some now.
    session.slot.sparesExhausted = false;
    this.replenish(session.slot);
    for (const [name, room] of this.rooms) if (room.members.delete(session)) this.publishRoom(name);
  }

  // ---- conference rooms -------------------------------------------------------------------------------

  /** Put `session` in `room` (mixed on the room's worker); it then hears everyone but itself. */
  joinRoom(room: string, session: MediaSession, opts: { muted?: boolean; deaf?: boolean } = {}): void {
    const r = this.rooms.get(room) ?? { slot: session.slot, members: new Map() };
    this.rooms.set(room, r);
    r.members.set(session, { muted: !!opts.muted, deaf: !!opts.deaf });
    this.publishRoom(room);
    session.setSource(session.tx);
  }

  leaveRoom(room: string, session: MediaSession): void {
    const r = this.rooms.get(room);
    if (!r?.members.delete(session)) return;
    session.setSource(null);
    this.publishRoom(room);
  }

  /** A beep everyone in the room hears (entry and exit tones). */
  roomTone(room: string): void {
    const r = this.rooms.get(room);
    if (r) this.post(r.slot, { t: 'room-tone', room });
  }

  private publishRoom(room: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    const members = [...r.members].map(([s, o]) => ({ id: s.id, rx: s.rx.buffer, tx: s.tx.buffer, ...o }));
    this.post(r.slot, { t: 'mix', room, members });
    if (!members.length) this.rooms.delete(room);
  }

  private onEvent(slot: WorkerSlot, e: WorkerEvent): void {
    if (e.t === 'load') {
      slot.lateMs = e.lateMs;
      slot.peakLateMs = Math.max(slot.peakLateMs, e.lateMs);
      return;
    }
    if (e.t === 'spare' || e.t === 'spare-failed') {
      slot.sparesPending--;
      if (e.t === 'spare-failed') slot.sparesExhausted = true;
      const port = e.t === 'spare' ? e.port : undefined;
      const wake = slot.spareWaiters.shift();
      if (wake) wake(port);
      else if (port !== undefined) slot.spares.push(port);
      // Waiters beyond the spares still in flight bind on their own (and get a 503 if the range is full).
      if (!slot.sparesPending) for (const w of slot.spareWaiters.splice(0)) w(undefined);
      return;
    }
    const session = this.sessions.get(e.id);
    if (!session) return;
    session.onEvent(e);
  }
}

/** Main-thread handle of one RTP session in a worker. */
export class MediaSession extends EventEmitter {
  port = 0;
  /** What this session received (for the other leg of a bridge or a mixer) and what a mixer wants it to send. */
  readonly rx = FrameRing.create();
  readonly tx = FrameRing.create();
  closed = false;
  /** @internal */ opening?: { resolve: (port: number) => void; reject: (err: Error) => void };
  private nextOp = 1;
  private readonly ops = new Map<number, Pending>();
  private closing?: Pending;

  constructor(
    private readonly engine: MediaEngine,
    readonly id: number,
    /** @internal */ readonly slot: WorkerSlot,
  ) {
    super();
  }

  private post(cmd: Command): void {
    if (!this.closed) this.engine.post(this.slot, cmd);
  }

  private op<T>(build: (op: number) => Command, signal?: AbortSignal, onAbort?: (op: number) => void): Promise<T> {
    const op = this.nextOp++;
    return new Promise<T>((resolve) => {
      // Only an operation still running is stopped; one that ended lets go of the signal (which may outlive it).
      const abort = (): void => {
        if (!this.ops.has(op)) return;
        if (onAbort) onAbort(op);
        else this.post({ t: 'stop', id: this.id, op });
      };
      this.ops.set(op, {
        resolve: (v) => {
          signal?.removeEventListener('abort', abort);
          resolve(v as T);
        },
      });
      this.post(build(op));
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  setRemote(remote: RemoteMedia, hold = false): void {
    this.post({ t: 'remote', id: this.id, remote, hold });
  }

  /** Play prepared prompt files (8 kHz µ-law), `loop` times (0 = until stopped); keys in `terminators` stop it. */
  play(
    files: string[],
    opts: { loop?: number; terminators?: string; signal?: AbortSignal } = {},
  ): Promise<{ reason: PlayEnd; digit?: string; error?: string }> {
    if (this.closed) return Promise.resolve({ reason: 'stopped' });
    return this.op(
      (op) => ({ t: 'play', id: this.id, op, files, loop: opts.loop ?? 1, terminators: opts.terminators ?? '' }),
      opts.signal,
    );
  }

  record(
    spec: RecordSpec,
    signal?: AbortSignal,
  ): Promise<{ reason: string; durationMs: number; terminator?: string; error?: string }> {
    if (this.closed) return Promise.resolve({ reason: 'stopped', durationMs: 0 });
    return this.op((op) => ({ t: 'record', id: this.id, op, spec }), signal);
  }

  sendDtmf(digits: string, durationMs = 100): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.op((op) => ({ t: 'dtmf', id: this.id, op, digits, durationMs }));
  }

  /** Send what `ring` carries (another session's rx for a bridge), or go back to prompts/silence with null. */
  setSource(ring: FrameRing | null): void {
    this.post({ t: 'source', id: this.id, ring: ring ? ring.buffer : null });
  }

  /** Relay audio both ways between two sessions (each sends what the other receives). */
  static bridge(a: MediaSession, b: MediaSession): void {
    a.setSource(b.rx);
    b.setSource(a.rx);
  }

  static unbridge(a: MediaSession, b: MediaSession): void {
    a.setSource(null);
    b.setSource(null);
  }

  close(): Promise<SessionStats | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const done = new Promise<SessionStats | undefined>((resolve) => (this.closing = { resolve }));
    this.post({ t: 'close', id: this.id });
    this.closed = true;
    return done;
  }

  /** The worker is gone: every pending operation ends, and the call layer hears why. */
  fail(reason: string): void {
    this.closed = true;
    this.opening?.reject(new Error(reason));
    for (const [, p] of this.ops) p.resolve({ reason: 'error', error: reason, durationMs: 0 });
    this.ops.clear();
    this.closing?.resolve(undefined);
    this.emit('failed', reason);
  }

  /** @internal */
  onEvent(e: WorkerEvent): void {
    switch (e.t) {
      case 'opened':
        this.opening?.resolve(e.port);
        this.opening = undefined;
        return;
      case 'open-failed':
        this.opening?.reject(new Error(e.message));
        this.opening = undefined;
        return;
      case 'dtmf':
        this.emit('dtmf', e.digit, e.via);
        return;
      case 'played':
      case 'recorded':
      case 'dtmf-sent': {
        const p = this.ops.get(e.op);
        if (!p) return;
        this.ops.delete(e.op);
        p.resolve(e);
        return;
      }
      case 'latched':
        this.emit('latched', e.address, e.port);
        return;
      case 'rtp-timeout':
        this.emit('rtpTimeout');
        return;
      case 'closed':
        this.engine.forget(this);
        for (const [, p] of this.ops) p.resolve({ reason: 'stopped', durationMs: 0 });
        this.ops.clear();
        this.closing?.resolve(e.stats);
        return;
    }
  }
}
