// A scripted, in-memory `Call` for unit tests of interpreters only. It runs on a virtual clock: primitives take
// virtual time (a Say lasts as long as its text, a collect waits its timeout), everything else (HTTP to a real
// test server, interpreter code) takes none. A test says "caller presses 1 at 2.5 s, hangs up at 9 s" and reads
// back a timeline of what was said, played, recorded and dialled, with virtual timestamps.
//
// The clock of a `ScriptedWorld` advances only when every live call in it is blocked inside a primitive, so
// several calls (queues, conferences) interleave deterministically while real I/O is in flight.

import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { wavHeader } from '../media/recorder.js';
import {
  ALL_DTMF,
  causeFromSipCode,
  type BackgroundRecordingOptions,
  type BridgeOptions,
  type BridgeResult,
  type Call,
  type CallDirection,
  type CallUsage,
  type CallEvents,
  type CallState,
  type CallerId,
  type CollectOptions,
  type CollectResult,
  type ConferenceOptions,
  type ConferenceResult,
  type DialOptions,
  type DialResult,
  type Endpoint,
  type HangupCause,
  type Interruptible,
  type MediaSource,
  type PlayOptions,
  type PlayResult,
  type RecordOptions,
  type RecordResult,
  type RecordingFile,
  type RecordingHandle,
  type SayOptions,
  type SipIdentity,
} from './types.js';

export interface ScriptEvent {
  at: number;
  dtmf?: string;
  hangup?: boolean;
  speech?: { text: string; confidence?: number };
}

/** How a dialled endpoint behaves in a script. */
export interface EndpointBehaviour {
  /** Answer after this long (ms from the moment it starts ringing). */
  answerAfterMs?: number;
  /** Refuse with this SIP code after `answerAfterMs` (default at once). */
  rejectCode?: number;
  /** Never answer. */
  noAnswer?: boolean;
  /** The callee hangs up this long after answering (default: stays until the caller leaves). */
  hangupAfterMs?: number;
}

export interface CallScript {
  events?: ScriptEvent[];
  /** Virtual duration of speech per character of text. Default 50 ms (min 500 ms per Say). */
  sayMsPerChar?: number;
  /** Virtual duration of one play of a media source. Default 2000 ms. */
  mediaMs?: number | ((source: MediaSource) => number);
  /** Returns an error message to make a play fail (missing media, URL denied…). */
  mediaError?: (source: MediaSource) => string | undefined;
  /** When recorded, the caller talks this long before going silent. Default 3000 ms. */
  speakMs?: number;
  /** Behaviour of each dialled endpoint; default answers after 1 s and stays. */
  endpoint?: (endpoint: Endpoint, index: number) => EndpointBehaviour;
  /** Whether an ASR provider is configured (speech results come from `speech` events). */
  asr?: boolean;
  /** Where recordings are written. Default: a temp folder. */
  recordDir?: string;
}

export interface TimelineEntry {
  t: number;
  type: string;
  [detail: string]: unknown;
}

interface Waiter {
  owner: ScriptedCall;
  listen: ScriptedCall[];
  until: number;
  onEvent: (from: ScriptedCall, event: WorldEvent) => string | undefined;
  resolve: (why: string) => void;
}

type WorldEvent =
  | { type: 'dtmf'; digit: string }
  | { type: 'hangup' }
  | { type: 'speech'; text: string; confidence: number }
  | { type: 'room'; what: 'start' | 'end' };

interface Room {
  members: Set<ScriptedCall>;
  started: boolean;
}

export class ScriptedWorld {
  now = 0;
  private readonly calls = new Set<ScriptedCall>();
  private readonly waiters = new Set<Waiter>();
  private tickQueued = false;
  readonly rooms = new Map<string, Room>();

  add(call: ScriptedCall): void {
    this.calls.add(call);
  }

  /** The call's driver is done: the clock no longer waits for it. */
  release(call: ScriptedCall): void {
    this.calls.delete(call);
    this.queueTick();
  }

  block(waiter: Waiter): void {
    this.waiters.add(waiter);
    this.queueTick();
  }

  wake(waiter: Waiter, why: string): void {
    if (!this.waiters.delete(waiter)) return;
    waiter.resolve(why);
  }

  /** Deliver an event from `from` to every waiter listening on it, now. */
  dispatch(from: ScriptedCall, event: WorldEvent): void {
    for (const w of [...this.waiters]) {
      if (!w.listen.includes(from)) continue;
      const why = w.onEvent(from, event);
      if (why) this.wake(w, why);
    }
    this.queueTick();
  }

  private queueTick(): void {
    if (this.tickQueued) return;
    this.tickQueued = true;
    setImmediate(() => {
      this.tickQueued = false;
      this.tick();
    });
  }

  private isBlocked(call: ScriptedCall): boolean {
    for (const w of this.waiters) if (w.owner === call) return true;
    return false;
  }

  private tick(): void {
    const live = [...this.calls].filter((c) => c.state !== 'ended');
    if (live.length === 0 || !live.every((c) => this.isBlocked(c))) return;
    let next = Infinity;
    for (const w of this.waiters) next = Math.min(next, w.until);
    for (const c of live) next = Math.min(next, c.nextEventAt());
    if (next === Infinity) return; // everyone waits forever: the test's own timeout reports it
    this.now = Math.max(this.now, next);
    for (const c of live) c.deliverDueEvents();
    for (const w of [...this.waiters]) if (w.until <= this.now) this.wake(w, 'timeout');
    this.queueTick();
  }
}

export interface ScriptedCallInit {
  id?: string;
  accountId?: string;
  direction?: CallDirection;
  from?: Partial<SipIdentity>;
  to?: Partial<SipIdentity>;
  request?: Partial<SipIdentity>;
  callerId?: CallerId;
  sipHeaders?: Record<string, string>;
  language?: string;
  answered?: boolean;
  script?: CallScript;
  world?: ScriptedWorld;
}

function identity(p: Partial<SipIdentity> | undefined, fallback: SipIdentity): SipIdentity {
  return { ...fallback, ...p };
}

export class ScriptedCall extends EventEmitter implements Call {
  readonly id: string;
  readonly accountId: string;
  readonly direction: CallDirection;
  readonly from: SipIdentity;
  readonly to: SipIdentity;
  readonly request: SipIdentity;
  callerId: CallerId;
  calleeId: CallerId = {};
  language: string;
  readonly vars = new Map<string, string>();
  readonly appVars = new Map<string, string>();
  readonly dtmfCollections = new Map<string, string>();
  readonly sipHeaders: Record<string, string>;
  readonly usage: CallUsage = { pivotIterations: 0, recordingIds: [], bridgedWith: [] };
  readonly startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  hangupCause?: HangupCause;
  hangupSipCode?: number;
  /** Everything that happened on this leg, in virtual time order. */
  readonly timeline: TimelineEntry[] = [];
  readonly world: ScriptedWorld;
  readonly script: CallScript;
  private currentState: CallState;
  private buffer = '';
  private readonly pending: ScriptEvent[];

  constructor(init: ScriptedCallInit = {}) {
    super();
    this.world = init.world ?? new ScriptedWorld();
    this.script = init.script ?? {};
    this.id = init.id ?? `scripted-${randomBytes(6).toString('hex')}`;
    this.accountId = init.accountId ?? 'account0000000000000000000000000';
    this.direction = init.direction ?? 'inbound';
    this.from = identity(init.from, { user: '+15550001111', realm: 'example.test' });
    this.to = identity(init.to, { user: '+15550002222', realm: 'example.test' });
    this.request = identity(init.request, this.to);
    this.callerId = init.callerId ?? { number: this.from.user, name: this.from.displayName };
    this.sipHeaders = init.sipHeaders ?? {};
    this.language = init.language ?? 'en-US';
    this.startedAt = this.world.now;
    this.currentState = init.answered ? 'answered' : 'ringing';
    if (init.answered) this.answeredAt = this.world.now;
    this.pending = [...(init.script?.events ?? [])].sort((a, b) => a.at - b.at);
    this.world.add(this);
  }

  get state(): CallState {
    return this.currentState;
  }

  get dtmfBuffer(): string {
    return this.buffer;
  }

  /** Entries of one type, e.g. `call.entries('say').map(e => e.text)`. */
  entries(type: string): TimelineEntry[] {
    return this.timeline.filter((e) => e.type === type);
  }

  log(type: string, detail: Record<string, unknown> = {}): void {
    this.timeline.push({ t: this.world.now, type, ...detail });
  }

  /** The test's driver is finished with this call. */
  release(): void {
    this.world.release(this);
  }

  /** The far end hangs up right now (from test code, in addition to scripted hangups). */
  remoteHangup(cause: HangupCause = 'NORMAL_CLEARING'): void {
    this.end(cause, undefined, 'remote');
  }

  /** The caller presses a key right now. */
  pressNow(digit: string): void {
    this.receiveDtmf(digit);
  }

  nextEventAt(): number {
    return this.pending[0]?.at ?? Infinity;
  }

  deliverDueEvents(): void {
    while (this.pending.length && this.pending[0].at <= this.world.now && this.currentState !== 'ended') {
      const ev = this.pending.shift()!;
      for (const d of ev.dtmf ?? '') this.receiveDtmf(d);
      if (ev.speech) {
        this.log('speech_heard', { text: ev.speech.text });
        this.world.dispatch(this, { type: 'speech', text: ev.speech.text, confidence: ev.speech.confidence ?? 0.9 });
      }
      if (ev.hangup) this.end('NORMAL_CLEARING', undefined, 'remote');
    }
  }

  private receiveDtmf(digit: string): void {
    if (this.currentState === 'ended') return;
    this.buffer += digit;
    this.log('dtmf_received', { digit });
    this.emit('dtmf', digit);
    this.world.dispatch(this, { type: 'dtmf', digit });
  }

  private end(cause: HangupCause, sipCode: number | undefined, by: 'local' | 'remote'): void {
    if (this.currentState === 'ended') return;
    this.hangupCause = cause;
    this.hangupSipCode = sipCode;
    this.endedAt = this.world.now;
    this.log('hangup', { cause, by, ...(sipCode ? { sipCode } : {}) });
    this.setState('ended');
    this.emit('hangup', cause, sipCode);
    this.world.dispatch(this, { type: 'hangup' });
  }

  private setState(state: CallState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /**
   * Block this call's driver for up to `ms` of virtual time. `onEvent` may end the wait early by returning a
   * reason. Hangup of a listened call and abort end it too.
   */
  private block(
    ms: number,
    opts: { signal?: AbortSignal; listen?: ScriptedCall[]; onEvent?: Waiter['onEvent']; waiter?: (w: Waiter) => void },
  ): Promise<string> {
    if (this.currentState === 'ended') return Promise.resolve('hangup');
    if (opts.signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        owner: this,
        listen: opts.listen ?? [this],
        until: this.world.now + ms,
        onEvent: (from, ev) => opts.onEvent?.(from, ev) ?? (ev.type === 'hangup' ? 'hangup' : undefined),
        resolve: (why) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(why);
        },
      };
      const onAbort = (): void => this.world.wake(waiter, 'aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      opts.waiter?.(waiter);
      this.world.block(waiter);
    });
  }

  flushDtmf(): string {
    const digits = this.buffer;
    this.buffer = '';
    if (digits) this.log('dtmf_flushed', { digits });
    return digits;
  }

  async answer(): Promise<void> {
    if (this.currentState !== 'ringing' && this.currentState !== 'early') return;
    this.answeredAt = this.world.now;
    this.log('answer');
    this.setState('answered');
  }

  async ring(opts: { earlyMedia?: boolean } = {}): Promise<void> {
    if (this.currentState !== 'ringing') return;
    this.log('ring', { earlyMedia: !!opts.earlyMedia });
    if (opts.earlyMedia) this.setState('early');
  }

  private mediaDuration(source: MediaSource): number {
    if (source.kind === 'silence') return source.ms;
    if (source.kind === 'digits') {
      let ms = 0;
      for (const d of source.digits) ms += d === 'w' ? 500 : d === 'W' ? 1000 : 200;
      return ms;
    }
    const m = this.script.mediaMs;
    return typeof m === 'function' ? m(source) : (m ?? 2000);
  }

  private async playFor(
    type: string,
    detail: Record<string, unknown>,
    onceMs: number,
    opts: PlayOptions,
    error?: string,
  ): Promise<PlayResult> {
    if (this.currentState === 'ended') return { reason: 'hangup' };
    if (error) {
      this.log(type, { ...detail, error });
      return { reason: 'error', error };
    }
    const loop = opts.loop ?? 1;
    this.log(type, { ...detail, ...(loop !== 1 ? { loop } : {}) });
    const terminators = opts.terminators ?? '';
    let digit: string | undefined;
    const why = await this.block(loop === 0 ? Infinity : onceMs * loop, {
      signal: opts.signal,
      onEvent: (_from, ev) => {
        if (ev.type === 'hangup') return 'hangup';
        if (ev.type === 'dtmf' && terminators.includes(ev.digit)) {
          digit = ev.digit;
          return 'dtmf';
        }
        return undefined;
      },
    });
    const reason = why === 'timeout' ? 'done' : (why as PlayResult['reason']);
    if (reason !== 'done') this.log(`${type}_stopped`, { reason, ...(digit ? { digit } : {}) });
    return digit ? { reason, digit } : { reason };
  }

  play(source: MediaSource, opts: PlayOptions = {}): Promise<PlayResult> {
    return this.playFor('play', { source }, this.mediaDuration(source), opts, this.script.mediaError?.(source));
  }

  say(text: string, opts: SayOptions = {}): Promise<PlayResult> {
    const ms = Math.max(500, text.length * (this.script.sayMsPerChar ?? 50));
    const detail: Record<string, unknown> = { text };
    if (opts.voice) detail.voice = opts.voice;
    if (opts.language) detail.language = opts.language;
    return this.playFor('say', detail, ms, opts);
  }

  async wait(ms: number, opts: Interruptible = {}): Promise<'done' | 'hangup' | 'aborted'> {
    if (this.currentState === 'ended') return 'hangup';
    this.log('wait', { ms });
    const why = await this.block(ms, { signal: opts.signal });
    return why === 'timeout' ? 'done' : (why as 'hangup' | 'aborted');
  }

  async collect(opts: CollectOptions): Promise<CollectResult> {
    if (this.currentState === 'ended') return { digits: '', reason: 'hangup' };
    const terminators = opts.terminators ?? '';
    const dtmf = opts.dtmf !== false;
    this.log('collect', {
      maxDigits: opts.maxDigits,
      timeoutMs: opts.timeoutMs,
      ...(terminators ? { terminators } : {}),
      ...(opts.speech ? { speech: true } : {}),
    });
    if (opts.speech && !this.script.asr) {
      const error = 'speech recognition is not configured (no ASR provider)';
      this.log('collect_done', { reason: 'error', error });
      return { digits: '', reason: 'error', error };
    }
    let digits = '';
    let result: CollectResult | undefined;
    // Digits already in the buffer count first (typed ahead, or pressed during a prompt).
    const take = (): CollectResult | undefined => {
      while (dtmf && this.buffer.length) {
        const d = this.buffer[0];
        this.buffer = this.buffer.slice(1);
        if (terminators.includes(d)) return { digits, reason: 'terminator', terminator: d };
        digits += d;
        if (digits.length >= opts.maxDigits) return { digits, reason: 'max_digits' };
      }
      return undefined;
    };
    result = take();
    if (!result) {
      const interdigit = opts.interdigitMs ?? opts.timeoutMs;
      let waiter: Waiter | undefined;
      const why = await this.block(digits ? interdigit : opts.timeoutMs, {
        signal: opts.signal,
        waiter: (w) => (waiter = w),
        onEvent: (_from, ev) => {
          if (ev.type === 'hangup') return 'hangup';
          if (ev.type === 'speech' && opts.speech) {
            result = { digits, reason: 'speech', speech: { text: ev.text, confidence: ev.confidence } };
            return 'speech';
          }
          if (ev.type === 'dtmf' && dtmf) {
            result = take();
            if (result) return 'done';
            waiter!.until = this.world.now + interdigit;
          }
          return undefined;
        },
      });
      if (!result) result = { digits, reason: why === 'timeout' ? 'timeout' : (why as 'hangup' | 'aborted') };
    }
    this.log('collect_done', { ...result });
    return result;
  }

  private writeRecording(durationMs: number, format: 'wav' | 'mp3' = 'wav'): RecordingFile {
    const dir = this.script.recordDir ?? join(tmpdir(), 'pivot-scripted-recordings');
    mkdirSync(dir, { recursive: true });
    const id = randomBytes(16).toString('hex');
    const path = join(dir, `${id}.wav`);
    const data = wavTone(durationMs);
    writeFileSync(path, data);
    // Scripted calls always write WAV; an mp3 request is recorded as such in the timeline only.
    return { id, path, contentType: format === 'mp3' ? 'audio/mpeg' : 'audio/wav', durationMs, sizeBytes: data.length };
  }

  async record(opts: RecordOptions): Promise<RecordResult> {
    if (this.currentState === 'ended') return { reason: 'hangup', durationMs: 0 };
    if (opts.beep) this.log('beep');
    this.log('record', {
      maxLengthMs: opts.maxLengthMs,
      silenceTimeoutMs: opts.silenceTimeoutMs,
      ...(opts.terminators ? { terminators: opts.terminators } : {}),
    });
    const start = this.world.now;
    const speakMs = this.script.speakMs ?? 3000;
    const bySilence = opts.silenceTimeoutMs > 0 ? speakMs + opts.silenceTimeoutMs : Infinity;
    const limit = Math.min(opts.maxLengthMs, bySilence);
    const terminators = opts.terminators ?? '';
    let terminator: string | undefined;
    const why = await this.block(limit, {
      signal: opts.signal,
      onEvent: (_from, ev) => {
        if (ev.type === 'hangup') return 'hangup';
        if (ev.type === 'dtmf' && terminators.includes(ev.digit)) {
          terminator = ev.digit;
          this.buffer = this.buffer.replace(ev.digit, '');
          return 'terminator';
        }
        return undefined;
      },
    });
    const elapsed = this.world.now - start;
    const reason: RecordResult['reason'] =
      why === 'timeout' ? (limit === opts.maxLengthMs ? 'max_length' : 'silence') : (why as RecordResult['reason']);
    // Trimming drops the trailing silence that ended the recording.
    const durationMs = opts.trimSilence ? Math.min(elapsed, speakMs) : elapsed;
    const recording = durationMs > 0 ? this.writeRecording(durationMs, opts.format) : undefined;
    this.log('record_done', { reason, durationMs, ...(terminator ? { terminator } : {}) });
    return { reason, durationMs, terminator, recording };
  }

  async startRecording(opts: BackgroundRecordingOptions): Promise<RecordingHandle> {
    const id = randomBytes(16).toString('hex');
    const start = this.world.now;
    this.log('recording_started', { id, legs: opts.legs });
    let stopped = false;
    return {
      id,
      stop: async () => {
        if (stopped) return undefined;
        stopped = true;
        const durationMs = this.world.now - start;
        this.log('recording_stopped', { id, durationMs });
        return this.writeRecording(durationMs, opts.format);
      },
    };
  }

  async dial(opts: DialOptions): Promise<DialResult> {
    if (this.currentState === 'ended') return { status: 'canceled', bridged: false, durationMs: 0 };
    this.log('dial', {
      endpoints: opts.endpoints,
      strategy: opts.strategy,
      timeoutMs: opts.timeoutMs,
      ...(opts.callerId ? { callerId: opts.callerId } : {}),
    });
    if (opts.endpoints.length === 0) {
      this.log('dial_done', { status: 'failed', error: 'no endpoints' });
      return { status: 'failed', bridged: false, durationMs: 0 };
    }
    const behaviour = opts.endpoints.map((e, i) => this.script.endpoint?.(e, i) ?? { answerAfterMs: 1000 });
    const legs = opts.endpoints.map(() => `leg-${randomBytes(6).toString('hex')}`);
    const emit = (i: number, status: 'initiated' | 'ringing' | 'answered' | 'completed', extra = {}): void =>
      opts.onEvent?.({ status, endpoint: opts.endpoints[i], legId: legs[i], ...extra });

    // Work out who answers or fails when, in virtual time from now.
    const start = this.world.now;
    type Outcome = { i: number; at: number; answered: boolean; sipCode?: number };
    const outcomes: Outcome[] = [];
    let offset = 0;
    opts.endpoints.forEach((ep, i) => {
      const b = behaviour[i];
      const ringFrom = (opts.strategy === 'single' ? offset : 0) + (ep.delayMs ?? 0);
      const timeout = ep.timeoutMs ?? opts.timeoutMs;
      const after = b.answerAfterMs ?? (b.rejectCode ? 0 : 1000);
      if (b.noAnswer || after >= timeout) outcomes.push({ i, at: ringFrom + timeout, answered: false, sipCode: 480 });
      else if (b.rejectCode) outcomes.push({ i, at: ringFrom + after, answered: false, sipCode: b.rejectCode });
      else outcomes.push({ i, at: ringFrom + after, answered: true });
      offset = outcomes[outcomes.length - 1].at;
    });
    const cap = opts.strategy === 'single' ? Infinity : opts.timeoutMs;
    let winner: Outcome | undefined = outcomes.filter((o) => o.answered && o.at <= cap).sort((a, b) => a.at - b.at)[0];
    let giveUpAt = winner ? winner.at : Math.min(cap, Math.max(...outcomes.map((o) => o.at)));
    if (opts.failOnSingleReject && opts.strategy === 'simultaneous') {
      const firstReject = outcomes.filter((o) => o.sipCode && o.sipCode !== 480).sort((a, b) => a.at - b.at)[0];
      if (firstReject && firstReject.at < giveUpAt) {
        winner = undefined;
        giveUpAt = firstReject.at;
      }
    }

    opts.endpoints.forEach((_e, i) => emit(i, 'initiated'));
    opts.endpoints.forEach((_e, i) => emit(i, 'ringing'));
    if (!opts.answerOnBridge && this.currentState === 'ringing') await this.ring();
    const ringWhy = await this.block(giveUpAt, {
      signal: opts.signal,
      onEvent: (_f, ev) => (ev.type === 'hangup' ? 'hangup' : undefined),
    });
    if (ringWhy !== 'timeout' || !winner) {
      const failed = outcomes.filter((o) => o.at <= giveUpAt);
      const codes = failed.map((o) => o.sipCode ?? 480);
      const busy = codes.some((c) => c === 486 || c === 600 || c === 603);
      const status =
        ringWhy !== 'timeout' ? 'canceled' : busy ? 'busy' : codes.every((c) => c === 480) ? 'no-answer' : 'failed';
      const sipCode =
        ringWhy !== 'timeout' ? 487 : busy ? codes.find((c) => c === 486 || c === 600 || c === 603) : codes[0];
      opts.endpoints.forEach((_e, i) => emit(i, 'completed', { outcome: status, sipCode }));
      this.log('dial_done', { status, sipCode });
      const legId = legs[failed.length ? failed[failed.length - 1].i : 0];
      const cause = sipCode ? causeFromSipCode(sipCode) : undefined;
      return { status, bridged: false, legId, durationMs: 0, sipCode, cause };
    }

    // Bridged: the other legs are cancelled.
    outcomes.forEach((o) => o.i !== winner.i && emit(o.i, 'completed', { outcome: 'canceled', sipCode: 487 }));
    emit(winner.i, 'answered');
    if (this.currentState === 'ringing' || this.currentState === 'early') await this.answer();
    const answeredAt = this.world.now;
    this.log('bridged', { endpoint: opts.endpoints[winner.i], after: answeredAt - start });
    this.setState('bridged');
    const rec = opts.record ? await this.startRecording(opts.record) : undefined;
    const talk = behaviour[winner.i].hangupAfterMs ?? Infinity;
    const limit = opts.timeLimitMs ?? Infinity;
    let digits = '';
    const why = await this.block(Math.min(talk, limit), {
      signal: opts.signal,
      onEvent: (_f, ev) => {
        if (ev.type === 'hangup') return 'caller';
        if (ev.type === 'dtmf') {
          if (opts.hangupOnKey && ev.digit === opts.hangupOnKey) return 'hangup_key';
          if (opts.collectDigits) digits += ev.digit;
        }
        return undefined;
      },
    });
    const endedBy: DialResult['endedBy'] =
      why === 'timeout' ? (talk <= limit ? 'callee' : 'time_limit') : (why as DialResult['endedBy']);
    const durationMs = this.world.now - answeredAt;
    if (this.currentState === 'bridged') this.setState('answered');
    const recording = rec ? await rec.stop() : undefined;
    emit(winner.i, 'completed', { outcome: 'completed', durationMs });
    this.log('dial_done', { status: 'completed', endedBy, durationMs });
    return {
      status: 'completed',
      bridged: true,
      legId: legs[winner.i],
      answeredEndpoint: opts.endpoints[winner.i],
      durationMs,
      endedBy,
      sipCode: 200,
      ...(opts.collectDigits ? { digits } : {}),
      ...(recording ? { recording } : {}),
    };
  }

  async conference(opts: ConferenceOptions): Promise<ConferenceResult> {
    if (this.currentState === 'ended') return { reason: 'hangup', durationMs: 0 };
    const rooms = this.world.rooms;
    const room = rooms.get(opts.room) ?? { members: new Set<ScriptedCall>(), started: false };
    if (opts.maxParticipants && room.members.size >= opts.maxParticipants) {
      this.log('conference_full', { room: opts.room });
      return { reason: 'full', durationMs: 0 };
    }
    rooms.set(opts.room, room);
    room.members.add(this);
    const joinedAt = this.world.now;
    this.log('conference_join', {
      room: opts.room,
      ...(opts.moderator ? { moderator: true } : {}),
      ...(opts.muted ? { muted: true } : {}),
      ...(opts.deaf ? { deaf: true } : {}),
    });
    opts.onEvent?.({ type: 'join', room: opts.room, participants: room.members.size });
    if (opts.startOnEnter !== false && !room.started) {
      room.started = true;
      opts.onEvent?.({ type: 'start', room: opts.room, participants: room.members.size });
      for (const m of room.members) if (m !== this) this.world.dispatch(m, { type: 'room', what: 'start' });
    }
    if (!room.started) this.log('conference_waiting', { room: opts.room });
    const waited = await this.block(opts.timeLimitMs ?? Infinity, {
      signal: opts.signal,
      onEvent: (_f, ev) => {
        if (ev.type === 'hangup') return 'hangup';
        if (ev.type === 'room' && ev.what === 'end') return 'ended';
        if (ev.type === 'room' && ev.what === 'start') this.log('conference_started', { room: opts.room });
        if (ev.type === 'dtmf' && opts.hangupOnKey === ev.digit) return 'left';
        return undefined;
      },
    });
    const why = waited === 'timeout' ? 'left' : waited;
    room.members.delete(this);
    const durationMs = this.world.now - joinedAt;
    this.log('conference_leave', { room: opts.room, reason: why });
    opts.onEvent?.({ type: 'leave', room: opts.room, participants: room.members.size });
    // The room may already have been ended by someone else's exit.
    if (rooms.get(opts.room) === room && (opts.endOnExit || room.members.size === 0)) {
      for (const m of [...room.members]) this.world.dispatch(m, { type: 'room', what: 'end' });
      rooms.delete(opts.room);
      opts.onEvent?.({ type: 'end', room: opts.room, participants: 0 });
    }
    return { reason: why as ConferenceResult['reason'], durationMs };
  }

  async bridgeWith(other: Call, opts: BridgeOptions = {}): Promise<BridgeResult> {
    if (!(other instanceof ScriptedCall)) throw new Error('a scripted call can only bridge with a scripted call');
    if (this.currentState === 'ended') return { endedBy: 'caller', durationMs: 0 };
    if (other.state === 'ended') return { endedBy: 'callee', durationMs: 0 };
    const start = this.world.now;
    this.log('bridge', { with: other.id });
    other.log('bridge', { with: this.id });
    this.setState('bridged');
    other.setState('bridged');
    const why = await this.block(opts.timeLimitMs ?? Infinity, {
      signal: opts.signal,
      listen: [this, other],
      onEvent: (from, ev) => {
        if (ev.type === 'hangup') return from === this ? 'caller' : 'callee';
        if (ev.type === 'dtmf' && from === this && opts.hangupOnKey === ev.digit) return 'hangup_key';
        return undefined;
      },
    });
    for (const c of [this, other]) if (c.currentState === 'bridged') c.setState('answered');
    const durationMs = this.world.now - start;
    const endedBy = why === 'timeout' ? 'time_limit' : (why as BridgeResult['endedBy']);
    this.log('unbridge', { with: other.id, endedBy });
    other.log('unbridge', { with: this.id, endedBy });
    return { endedBy, durationMs };
  }

  async sendDtmf(digits: string, opts: { durationMs?: number } = {}): Promise<void> {
    if (this.currentState === 'ended') return;
    this.log('send_dtmf', { digits });
    await this.block(digits.length * (opts.durationMs ?? 100), {});
  }

  async reject(sipCode: number, reason?: string): Promise<void> {
    if (this.currentState === 'ended') return;
    this.log('reject', { sipCode, ...(reason ? { reason } : {}) });
    this.end(causeFromSipCode(sipCode), sipCode, 'local');
  }

  async hangup(cause: HangupCause = 'NORMAL_CLEARING'): Promise<void> {
    this.end(cause, undefined, 'local');
  }

  override on<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this {
    return super.off(event, listener);
  }
}

/** Script helpers: `press('12#', 2500)` presses the keys 100 ms apart from 2.5 s. */
export function press(digits: string, atMs: number, gapMs = 100): ScriptEvent[] {
  return [...digits].map((d, i) => ({ at: atMs + i * gapMs, dtmf: d }));
}

export function hangupAt(atMs: number): ScriptEvent {
  return { at: atMs, hangup: true };
}

export function sayAt(text: string, atMs: number, confidence = 0.9): ScriptEvent {
  return { at: atMs, speech: { text, confidence } };
}

/** A valid 8 kHz 16-bit mono WAV of a quiet 440 Hz tone, so uploads and players get real audio. */
function wavTone(durationMs: number): Buffer {
  const samples = Math.round(durationMs * 8);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  return Buffer.concat([wavHeader(data.length, 1), data]);
}

export { ALL_DTMF };
