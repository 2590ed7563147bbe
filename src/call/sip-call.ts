// The real `Call`: one SIP leg (an IncomingCall or OutgoingCall of the SIP stack) with its RTP session in a media
// worker. Prompts and speech are prepared once into 8 kHz µ-law files by the prompt cache and played by the
// worker; DTMF arrives as RFC 4733 events, in-band tones or SIP INFO and lands in one buffer; recordings are
// written by the worker under the data folder.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MediaSession, type MediaEngine } from '../media/engine.js';
import type { AsrProvider } from '../media/asr/types.js';
import { ASR_NOT_CONFIGURED } from '../media/asr/registry.js';
import { decodeAudio } from '../media/prompts/audio.js';
import type { RemoteMedia } from '../media/protocol.js';
import { randomHex } from '../sip/ids.js';
import type { IncomingCall } from '../sip/incoming-call.js';
import type { OutgoingCall } from '../sip/outgoing-call.js';
import { answerOffer, createOffer, readAnswer, type LocalMedia, type NegotiatedMedia } from '../sip/sdp.js';
import type { SipSession } from '../sip/session.js';
import type { SipStack } from '../sip/stack.js';
import type { ConferenceRooms } from './conference-rooms.js';
import type { CallRegistry } from './registry.js';
import { dialEndpoints, type PlaceOptions, type PlaceResult } from './sip-dial.js';
import type { ResolveTargets, SipTarget } from './targets.js';
import {
  causeFromSipCode,
  sipCodeFromCause,
  type BackgroundRecordingOptions,
  type BridgeOptions,
  type BridgeResult,
  type Call,
  type CallDirection,
  type CallEvents,
  type CallState,
  type CallUsage,
  type CallerId,
  type CollectOptions,
  type CollectResult,
  type ConferenceOptions,
  type ConferenceResult,
  type DialOptions,
  type DialResult,
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

/** Turns a media source into a prepared prompt file (the prompt cache, through the URL policy and TTS). */
export type PreparePrompt = (
  source: MediaSource | { kind: 'tts'; text: string; voice?: string; language?: string; engine?: string },
  accountId: string,
) => Promise<{ path: string } | { error: string }>;

export interface SipCallDeps {
  stack: SipStack;
  media: MediaEngine;
  prepare: PreparePrompt;
  rooms: ConferenceRooms;
  /** Where recordings are written. */
  recordDir: string;
  /** Address advertised in SDP for RTP (default: the media engine's host). */
  mediaAddress?: string;
  /** Speech recognition for `collect` with `speech` (Gather input="speech"); none → a clear error. */
  asr?: AsrProvider;
  /** Longest a call may last; the watchdog hangs it up after that (default 4 h). */
  maxCallMs?: number;
  codecs?: ('PCMU' | 'PCMA')[];
  /** Where dialled endpoints go (devices' contacts, trunks); without it only SIP URIs can be dialled. */
  resolveTargets?: ResolveTargets;
  /** Every leg is registered here while it lives (CDRs, channels, draining). */
  registry?: CallRegistry;
}

export interface CallInfo {
  id?: string;
  accountId: string;
  direction: CallDirection;
  from: SipIdentity;
  to: SipIdentity;
  request: SipIdentity;
  callerId?: CallerId;
  sipHeaders?: Record<string, string>;
  /** The call that placed this leg (a Dial's caller). */
  parentCallId?: string;
}

const ALL_KEYS = '0123456789*#ABCD';

// abort() without a reason builds a DOMException, stack trace and all, on every call; this one is made once.
const STOPPED = new DOMException('stopped by the call', 'AbortError');

/** Where and how to send RTP, from a negotiated SDP. */
export function remoteOf(m: NegotiatedMedia): RemoteMedia {
  return {
    address: m.remoteAddress,
    port: m.remotePort,
    codec: m.codec,
    payloadType: m.payloadType,
    ...(m.telephoneEventPt !== undefined ? { dtmfPayloadType: m.telephoneEventPt } : {}),
  };
}

export class SipCall extends EventEmitter implements Call {
  readonly id: string;
  readonly accountId: string;
  readonly direction: CallDirection;
  readonly from: SipIdentity;
  readonly to: SipIdentity;
  readonly request: SipIdentity;
  callerId: CallerId;
  calleeId: CallerId = {};
  language = 'en-US';
  readonly vars = new Map<string, string>();
  readonly appVars = new Map<string, string>();
  readonly dtmfCollections = new Map<string, string>();
  readonly sipHeaders: Record<string, string>;
  readonly usage: CallUsage = { pivotIterations: 0, recordingIds: [], bridgedWith: [] };
  readonly startedAt = Date.now();
  answeredAt?: number;
  endedAt?: number;
  hangupCause?: HangupCause;
  hangupSipCode?: number;
  private currentState: CallState = 'ringing';
  private buffer = '';
  private negotiated?: NegotiatedMedia;
  private answerSdp?: string;
  private mediaStarted = false;
  /** The SIP status of the last dial that reached nobody (refuses the call if the flow ends unanswered). */
  private lastDialFailure?: number;
  private readonly ended = new AbortController();
  /** Aborted by `interrupt()`: what the flow is doing stops, the call stays up for the flow that replaces it. */
  private interruption = new AbortController();
  private interrupted = false;

  private constructor(
    private readonly deps: SipCallDeps,
    readonly sip: SipSession,
    readonly media: MediaSession,
    info: CallInfo,
  ) {
    super();
    this.id = info.id ?? sip.callId ?? `pivot-${randomHex(8)}`;
    this.accountId = info.accountId;
    this.direction = info.direction;
    this.from = info.from;
    this.to = info.to;
    this.request = info.request;
    this.callerId = info.callerId ?? { number: info.from.user, name: info.from.displayName };
    this.sipHeaders = info.sipHeaders ?? {};
    if (info.parentCallId) this.usage.parentCallId = info.parentCallId;
    // The watchdog: no call outlives its limit, whatever its interpreter does.
    const watchdog = setTimeout(() => void this.terminate('ALLOTTED_TIMEOUT'), deps.maxCallMs ?? 4 * 3_600_000);
    watchdog.unref();
    this.ended.signal.addEventListener('abort', () => clearTimeout(watchdog), { once: true });
    media.on('dtmf', (digit: string, via?: string) => this.receiveDigit(digit, via));
    media.on('failed', () => void this.terminate('MEDIA_TIMEOUT'));
    media.on('rtpTimeout', () => void this.terminate('MEDIA_TIMEOUT'));
    sip.on('dtmf', (digit) => this.receiveDigit(digit, 'info'));
    sip.on('offer', (offer) => this.onReoffer(offer));
    sip.on('terminated', (reason, detail) => {
      const cause: HangupCause =
        reason === 'cancel' ? 'ORIGINATOR_CANCEL' : reason === 'shutdown' ? 'SYSTEM_SHUTDOWN' : 'NORMAL_CLEARING';
      this.end(detail?.status ? causeFromSipCode(detail.status) : cause, detail?.status);
    });
    deps.registry?.add(this);
  }

  private static local(deps: SipCallDeps, port: number): LocalMedia {
    return {
      address: deps.mediaAddress ?? deps.media.host,
      port,
      codecs: deps.codecs ?? ['PCMU', 'PCMA'],
      telephoneEvent: true,
    };
  }

  /**
   * A call that arrived: its media session is opened (or `opening` — started while the call was routed — is used)
   * and the SDP answer computed (sent with `answer`).
   */
  static async inbound(
    deps: SipCallDeps,
    invite: IncomingCall,
    info: CallInfo,
    opening?: Promise<MediaSession>,
  ): Promise<SipCall> {
    const media = await (opening ?? deps.media.open({ inbandDtmf: true }));
    const call = new SipCall(deps, invite, media, info);
    if (invite.offer) {
      const answer = answerOffer(invite.offer, SipCall.local(deps, media.port));
      if (!answer.ok) {
        invite.reject(answer.status, undefined, [['Warning', answer.warning]]);
        await media.close();
        throw new Error(`no common media: ${answer.warning}`);
      }
      call.negotiated = answer.media;
      call.answerSdp = answer.answer;
      // RTP starts with the 183 or the 200: audio before either would be early media nobody asked for.
    } else {
      // Delayed offer: we offer in the 200 and the answer comes in the ACK.
      call.answerSdp = createOffer(SipCall.local(deps, media.port));
    }
    return call;
  }

  /**
   * Send an INVITE for a new leg. The leg exists at once (its media opens first, so early media can be relayed);
   * `answered` settles when it answers or fails. A ring timeout ends it with NO_ANSWER (480), an abort with
   * ORIGINATOR_CANCEL (487); a 2xx whose SDP shares no codec with ours is hung up (488).
   */
  static async place(
    deps: SipCallDeps,
    target: SipTarget,
    info: CallInfo,
    opts: PlaceOptions = {},
  ): Promise<{ call: SipCall; answered: Promise<PlaceResult> }> {
    const media = await deps.media.open({ inbandDtmf: true, near: opts.near });
    const local = SipCall.local(deps, media.port);
    const sip: OutgoingCall = deps.stack.invite({
      uri: target.uri,
      from: {
        user: info.callerId?.number ?? info.from.user,
        ...(target.fromHost ? { host: target.fromHost } : {}),
        ...(info.callerId?.name ? { displayName: info.callerId.name } : {}),
      },
      sdp: createOffer(local),
      headers: Object.entries(opts.headers ?? {}),
      ...(target.auth ? { auth: target.auth } : {}),
      ...(target.dest ? { dest: target.dest } : {}),
    });
    const call = new SipCall(deps, sip, media, { ...info, id: info.id ?? sip.callIdValue });
    sip.on('progress', (status, sdp) => {
      let early = !!call.negotiated;
      if (sdp && !call.negotiated) {
        const answer = readAnswer(sdp, local);
        if (answer.ok) {
          call.negotiated = answer.media;
          media.setRemote(remoteOf(answer.media));
          call.setState('early');
          early = true;
        }
      }
      opts.onProgress?.(status, early);
    });
    const answered = (async (): Promise<PlaceResult> => {
      let timedOut = false;
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            call.end('NO_ANSWER', 480);
            void sip.hangup();
          }, opts.timeoutMs)
        : undefined;
      const onAbort = (): void => {
        call.end('ORIGINATOR_CANCEL', 487);
        void sip.hangup();
      };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      const result = await sip.result;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!result.ok) {
        const status = timedOut ? 480 : result.status;
        const reason = timedOut ? `No Answer (not answered in ${Math.round(opts.timeoutMs! / 1000)} s)` : result.reason;
        call.end(timedOut ? 'NO_ANSWER' : causeFromSipCode(status), status);
        return { ok: false, status, reason };
      }
      const answer = readAnswer(sip.remoteSdp ?? '', local);
      if (!answer.ok) {
        call.end('INCOMPATIBLE_DESTINATION', 488);
        await sip.bye().catch(() => undefined);
        return { ok: false, status: 488, reason: `Not Acceptable Here (${answer.warning})` };
      }
      call.negotiated = answer.media;
      media.setRemote(remoteOf(answer.media));
      call.answeredAt = Date.now();
      call.setState('answered');
      return { ok: true };
    })();
    return { call, answered };
  }

  /** Place a call and wait: the answered leg, or why it failed. */
  static async outbound(
    deps: SipCallDeps,
    target: SipTarget,
    info: CallInfo,
    opts: PlaceOptions = {},
  ): Promise<{ call: SipCall } | { status: number; reason: string }> {
    const { call, answered } = await SipCall.place(deps, target, info, opts);
    const result = await answered;
    return result.ok ? { call } : { status: result.status, reason: result.reason };
  }

  /** While interrupted, the flow being replaced sees the call as over, so it stops at once. */
  get state(): CallState {
    return this.interrupted ? 'ended' : this.currentState;
  }

  /**
   * Stop what the running flow is doing (a transfer, a redirect): primitives in progress end, new ones return at
   * once as on a hung-up call, and the flow cannot hang up or refuse the call. `resume()` gives the call back.
   */
  interrupt(): void {
    if (this.isEnded() || this.interrupted) return;
    this.interrupted = true;
    this.interruption.abort(STOPPED);
  }

  resume(): void {
    if (!this.interrupted) return;
    this.interrupted = false;
    this.interruption = new AbortController();
  }

  /** Send RTP to what the offer of an inbound call asked for (once). */
  private startMedia(): void {
    if (this.mediaStarted || !this.negotiated) return;
    this.mediaStarted = true;
    this.media.setRemote(remoteOf(this.negotiated), this.negotiated.hold);
  }

  /** A method, so TypeScript doesn't keep a narrowed state across awaits. */
  private isEnded(): boolean {
    return this.currentState === 'ended';
  }

  /** Ended, or interrupted: what a primitive answers as a hangup. */
  private isStopped(): boolean {
    return this.interrupted || this.currentState === 'ended';
  }

  get dtmfBuffer(): string {
    return this.buffer;
  }

  flushDtmf(): string {
    const d = this.buffer;
    this.buffer = '';
    return d;
  }

  private setState(state: CallState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  /** `via`: `rtp` (RFC 4733), `inband` (tones in the audio) or `info` (SIP INFO). */
  private receiveDigit(digit: string, via?: string): void {
    if (this.isEnded()) return;
    this.buffer += digit;
    this.emit('dtmf', digit, via);
  }

  private end(cause: HangupCause, sipCode?: number): void {
    if (this.isEnded()) return;
    this.hangupCause = cause;
    this.hangupSipCode = sipCode;
    this.endedAt = Date.now();
    this.setState('ended');
    // Closed first: the worker then ends what the session was doing at once, and the primitives woken by the
    // abort need not tell it to stop each one.
    void this.media.close();
    this.ended.abort(STOPPED);
    this.emit('hangup', cause, sipCode);
  }

  private onReoffer(offer: { sdp?: string; answer(sdp: string): void; reject(status: number): void }): void {
    if (!offer.sdp) return offer.answer(this.answerSdp ?? '');
    const answer = answerOffer(offer.sdp, SipCall.local(this.deps, this.media.port));
    if (!answer.ok) return offer.reject(answer.status);
    this.negotiated = answer.media;
    this.media.setRemote(remoteOf(answer.media), answer.media.hold);
    offer.answer(answer.answer);
  }

  /** A signal that fires when the call ends, is interrupted, or one of `signals` fires (one `any`, not nested). */
  private scope(...signals: (AbortSignal | undefined)[]): AbortSignal {
    const all = [this.ended.signal, this.interruption.signal];
    for (const signal of signals) if (signal) all.push(signal);
    return AbortSignal.any(all);
  }

  // ---- primitives -------------------------------------------------------------------------------------

  async answer(): Promise<void> {
    if (this.currentState !== 'ringing' && this.currentState !== 'early') return;
    const invite = this.sip as IncomingCall;
    if (typeof invite.accept !== 'function') return;
    try {
      this.startMedia();
      const acked = invite.accept({ sdp: this.answerSdp });
      if (this.negotiated) {
        // The caller's offer is known: media (a prompt) may start with the 200 OK; the ACK is only waited for in
        // the background (never coming, it ends the call; a BYE waits for it in the SIP layer).
        acked.catch(() => this.end('RECOVERY_ON_TIMER_EXPIRE'));
      } else await acked;
      if (!this.negotiated && invite.remoteSdp) {
        const answer = readAnswer(invite.remoteSdp, SipCall.local(this.deps, this.media.port));
        if (answer.ok) {
          this.negotiated = answer.media;
          this.media.setRemote(remoteOf(answer.media));
        }
      }
      this.answeredAt = Date.now();
      this.setState('answered');
    } catch {
      this.end('RECOVERY_ON_TIMER_EXPIRE');
    }
  }

  async ring(opts: { earlyMedia?: boolean } = {}): Promise<void> {
    if (this.currentState !== 'ringing') return;
    const invite = this.sip as IncomingCall;
    if (typeof invite.progress !== 'function') return;
    if (opts.earlyMedia && this.answerSdp && this.negotiated) {
      this.startMedia();
      invite.progress(183, { sdp: this.answerSdp });
      this.setState('early');
    } else invite.progress(180);
  }

  private async playPrepared(prepared: { path: string } | { error: string }, opts: PlayOptions): Promise<PlayResult> {
    if (this.isStopped()) return { reason: 'hangup' };
    if ('error' in prepared) return { reason: 'error', error: prepared.error };
    if (this.currentState === 'ringing') await this.answer();
    const stop = new AbortController();
    const signal = this.scope(opts.signal, stop.signal);
    const terminators = opts.terminators ?? '';
    let digit: string | undefined;
    const onDigit = (d: string): void => {
      if (terminators.includes(d)) {
        digit = d;
        stop.abort(STOPPED);
      }
    };
    this.on('dtmf', onDigit);
    try {
      const r = await this.media.play([prepared.path], { loop: opts.loop ?? 1, signal });
      if (digit) return { reason: 'dtmf', digit };
      if (this.isStopped()) return { reason: 'hangup' };
      if (opts.signal?.aborted) return { reason: 'aborted' };
      return r.reason === 'error' ? { reason: 'error', error: r.error } : { reason: 'done' };
    } finally {
      this.off('dtmf', onDigit);
    }
  }

  async play(source: MediaSource, opts: PlayOptions = {}): Promise<PlayResult> {
    // Digits go as RFC 4733 events when the far end takes them (equipment listening for events misses tones).
    if (source.kind === 'digits' && this.negotiated?.telephoneEventPt !== undefined)
      return this.playDigits(source.digits, opts);
    return this.playPrepared(await this.deps.prepare(source, this.accountId), opts);
  }

  private async playDigits(digits: string, opts: PlayOptions): Promise<PlayResult> {
    if (this.isStopped()) return { reason: 'hangup' };
    if (this.currentState === 'ringing') await this.answer();
    for (const d of digits) {
      if (this.isStopped()) return { reason: 'hangup' };
      if (opts.signal?.aborted) return { reason: 'aborted' };
      if (d === 'w' || d === 'W') await this.wait(d === 'w' ? 500 : 1000, { signal: opts.signal });
      else if (ALL_KEYS.includes(d.toUpperCase())) await this.media.sendDtmf(d.toUpperCase(), 100);
    }
    return this.isStopped() ? { reason: 'hangup' } : { reason: 'done' };
  }

  async say(text: string, opts: SayOptions = {}): Promise<PlayResult> {
    const source = {
      kind: 'tts' as const,
      text,
      voice: opts.voice,
      language: opts.language ?? this.language,
      engine: opts.engine,
    };
    return this.playPrepared(await this.deps.prepare(source, this.accountId), opts);
  }

  wait(ms: number, opts: Interruptible = {}): Promise<'done' | 'hangup' | 'aborted'> {
    if (this.isStopped()) return Promise.resolve('hangup');
    const signal = this.scope(opts.signal);
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => finish('done'), ms) : undefined;
      const finish = (why: 'done' | 'hangup' | 'aborted'): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onAbort = (): void => finish(this.isStopped() ? 'hangup' : 'aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async collect(opts: CollectOptions): Promise<CollectResult> {
    if (this.isStopped()) return { digits: '', reason: 'hangup' };
    if (opts.speech) return this.collectSpeech(opts);
    const terminators = opts.terminators ?? '';
    let digits = '';
    const take = (): CollectResult | undefined => {
      while (this.buffer.length) {
        const d = this.buffer[0];
        this.buffer = this.buffer.slice(1);
        if (terminators.includes(d)) return { digits, reason: 'terminator', terminator: d };
        digits += d;
        if (digits.length >= opts.maxDigits) return { digits, reason: 'max_digits' };
      }
      return undefined;
    };
    const early = take();
    if (early) return early;
    const signal = this.scope(opts.signal);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(
          () => done({ digits, reason: 'timeout' }),
          digits ? (opts.interdigitMs ?? opts.timeoutMs) : opts.timeoutMs,
        );
      };
      const onDigit = (): void => {
        const r = take();
        if (r) done(r);
        else arm();
      };
      const onAbort = (): void => done({ digits, reason: this.isStopped() ? 'hangup' : 'aborted' });
      const done = (r: CollectResult): void => {
        clearTimeout(timer);
        this.off('dtmf', onDigit);
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      this.on('dtmf', onDigit);
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }

  /**
   * Speech (and DTMF, unless turned off): record what the caller says until they stop talking, then recognise it.
   * A key pressed first switches to collecting digits.
   */
  private async collectSpeech(opts: CollectOptions): Promise<CollectResult> {
    const asr = this.deps.asr;
    if (!asr) return { digits: '', reason: 'error', error: ASR_NOT_CONFIGURED };
    const speech = opts.speech!;
    const file = join(this.deps.recordDir, `speech-${randomBytes(8).toString('hex')}.wav`);
    const keyPressed = new AbortController();
    const onDigit = (): void => keyPressed.abort(STOPPED);
    if (opts.dtmf !== false) {
      if (this.buffer.length) return this.collect({ ...opts, speech: undefined });
      this.on('dtmf', onDigit);
    }
    const endSilence =
      speech.speechTimeoutMs === 'auto' || speech.speechTimeoutMs === undefined ? 1500 : speech.speechTimeoutMs;
    const r = await this.media.record(
      {
        file,
        legs: 'caller',
        channels: 1,
        maxMs: speech.maxSpeechMs ?? 60_000,
        silenceMs: endSilence,
        leadingSilenceMs: opts.timeoutMs,
        beep: false,
        terminators: '',
        trimSilence: true,
      },
      this.scope(opts.signal, keyPressed.signal),
    );
    this.off('dtmf', onDigit);
    try {
      if (keyPressed.signal.aborted && !this.isStopped()) return this.collect({ ...opts, speech: undefined });
      if (this.isStopped()) return { digits: '', reason: 'hangup' };
      if (opts.signal?.aborted) return { digits: '', reason: 'aborted' };
      if (r.durationMs === 0) return { digits: '', reason: 'timeout' };
      const samples = await decodeAudio(new Uint8Array(readFileSync(file)), 'audio/wav');
      const heard = await asr.recognize(samples, { language: speech.language ?? this.language, hints: speech.hints });
      if (!heard?.text) return { digits: '', reason: 'timeout' };
      return { digits: '', reason: 'speech', speech: { text: heard.text, confidence: heard.confidence } };
    } catch (err) {
      return { digits: '', reason: 'error', error: `speech recognition failed: ${(err as Error).message}` };
    } finally {
      try {
        unlinkSync(file);
      } catch {
        // never written
      }
    }
  }

  private recordingFile(id: string, durationMs: number, path: string): RecordingFile {
    let sizeBytes = 0;
    try {
      sizeBytes = statSync(path).size;
    } catch {
      // the worker could not write it: reported by the reason
    }
    return { id, path, contentType: 'audio/wav', durationMs, sizeBytes };
  }

  async record(opts: RecordOptions): Promise<RecordResult> {
    if (this.isStopped()) return { reason: 'hangup', durationMs: 0 };
    if (this.currentState === 'ringing') await this.answer();
    const id = randomBytes(16).toString('hex');
    const file = join(this.deps.recordDir, `${id}.wav`);
    const stop = new AbortController();
    let infoTerminator: string | undefined;
    const terminators = opts.terminators ?? '';
    const onDigit = (d: string): void => {
      // RTP and in-band digits stop the recording in the worker; this catches SIP INFO ones too.
      if (terminators.includes(d) && !infoTerminator) {
        infoTerminator = d;
        stop.abort(STOPPED);
      }
    };
    this.on('dtmf', onDigit);
    const r = await this.media.record(
      {
        file,
        legs: 'caller',
        channels: 1,
        maxMs: opts.maxLengthMs,
        silenceMs: opts.silenceTimeoutMs,
        beep: opts.beep ?? false,
        terminators,
        trimSilence: opts.trimSilence ?? false,
      },
      this.scope(opts.signal, stop.signal),
    );
    this.off('dtmf', onDigit);
    const terminator = r.terminator ?? infoTerminator;
    this.buffer = terminator ? this.buffer.replace(terminator, '') : this.buffer;
    const reason: RecordResult['reason'] =
      r.reason === 'error'
        ? 'error'
        : terminator
          ? 'terminator'
          : this.isStopped()
            ? 'hangup'
            : r.reason === 'stopped'
              ? 'aborted'
              : (r.reason as RecordResult['reason']);
    const recording = r.durationMs > 0 ? this.recordingFile(id, r.durationMs, file) : undefined;
    return {
      reason,
      durationMs: r.durationMs,
      ...(terminator ? { terminator } : {}),
      ...(recording ? { recording } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  }

  async startRecording(opts: BackgroundRecordingOptions): Promise<RecordingHandle> {
    const id = randomBytes(16).toString('hex');
    const file = join(this.deps.recordDir, `${id}.wav`);
    const stop = new AbortController();
    const done = this.media.record(
      {
        file,
        legs: opts.legs,
        channels: opts.channels === 'dual' ? 2 : 1,
        maxMs: opts.maxLengthMs ?? 3_600_000,
        silenceMs: 0,
        beep: false,
        terminators: '',
        trimSilence: false,
      },
      stop.signal,
    );
    return {
      id,
      stop: async () => {
        stop.abort(STOPPED);
        const r = await done;
        return r.durationMs > 0 ? this.recordingFile(id, r.durationMs, file) : undefined;
      },
    };
  }

  async dial(opts: DialOptions): Promise<DialResult> {
    const resolve = this.deps.resolveTargets;
    // An interruption (a transfer) stops the dial: ringing legs are cancelled, a bridge ends. A hangup keeps its own
    // path (the call's `hangup` event), so the dial still reports how it ended.
    const interruption = this.interruption.signal;
    const result = await dialEndpoints(
      this,
      { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, interruption]) : interruption },
      {
        resolve: async (accountId, endpoint) => {
          if (resolve) return resolve(accountId, endpoint);
          if (endpoint.type === 'sip') return { ok: true, targets: [{ uri: endpoint.uri, label: endpoint.uri }] };
          return { ok: false, status: 404, reason: `Not Found (no route for ${endpoint.type} endpoints)` };
        },
        place: (target, info, opts) => SipCall.place(this.deps, target, info, opts),
      },
    );
    if (!result.bridged && result.sipCode && result.sipCode >= 400) this.lastDialFailure = result.sipCode;
    return result;
  }

  async bridgeWith(other: Call, opts: BridgeOptions = {}): Promise<BridgeResult> {
    if (!(other instanceof SipCall)) throw new Error('a SIP call can only be bridged with another SIP call');
    if (this.isStopped()) return { endedBy: 'caller', durationMs: 0 };
    if (other.state === 'ended') return { endedBy: 'callee', durationMs: 0 };
    const started = Date.now();
    MediaSession.bridge(this.media, other.media);
    this.setState('bridged');
    other.setState('bridged');
    this.usage.bridgedWith.push(other.id);
    other.usage.bridgedWith.push(this.id);
    // Digits pass through: in-band tones already travel in the audio; RFC 4733 and INFO digits are sent again.
    const relay =
      (to: SipCall) =>
      (digit: string, via?: string): void => {
        if (via !== 'inband' && digit !== opts.hangupOnKey) void to.sendDtmf(digit);
      };
    const mineToTheirs = relay(other);
    const theirsToMine = relay(this);
    this.on('dtmf', mineToTheirs);
    other.on('dtmf', theirsToMine);
    const endedBy = await new Promise<BridgeResult['endedBy']>((resolve) => {
      const timer = opts.timeLimitMs ? setTimeout(() => finish('time_limit'), opts.timeLimitMs) : undefined;
      const mine = (): void => finish('caller');
      const theirs = (): void => finish('callee');
      const abort = (): void => finish('aborted');
      const key = (d: string): void => {
        if (d === opts.hangupOnKey) finish('hangup_key');
      };
      const finish = (why: BridgeResult['endedBy']): void => {
        if (timer) clearTimeout(timer);
        this.off('hangup', mine);
        other.off('hangup', theirs);
        this.off('dtmf', key);
        opts.signal?.removeEventListener('abort', abort);
        this.interruption.signal.removeEventListener('abort', abort);
        resolve(why);
      };
      this.once('hangup', mine);
      other.once('hangup', theirs);
      this.on('dtmf', key);
      opts.signal?.addEventListener('abort', abort, { once: true });
      this.interruption.signal.addEventListener('abort', abort, { once: true });
    });
    this.off('dtmf', mineToTheirs);
    other.off('dtmf', theirsToMine);
    MediaSession.unbridge(this.media, other.media);
    for (const c of [this, other]) if (c.currentState === 'bridged') c.setState('answered');
    return { endedBy, durationMs: Date.now() - started };
  }

  async conference(opts: ConferenceOptions): Promise<ConferenceResult> {
    if (this.isStopped()) return { reason: 'hangup', durationMs: 0 };
    if (this.currentState === 'ringing') await this.answer();
    const rooms = this.deps.rooms;
    const { room, full, startedNow } = rooms.join(
      opts.room,
      { callId: this.id, moderator: !!opts.moderator, endOnExit: !!opts.endOnExit },
      opts.startOnEnter !== false,
      opts.maxParticipants,
    );
    if (full) return { reason: 'full', durationMs: 0 };
    const joined = Date.now();
    opts.onEvent?.({ type: 'join', room: opts.room, participants: rooms.size(opts.room) });
    if (startedNow) opts.onEvent?.({ type: 'start', room: opts.room, participants: rooms.size(opts.room) });
    const scope = this.scope(opts.signal);
    const left = new AbortController();
    const onEnd = (): void => left.abort(STOPPED);
    room.once('end', onEnd);
    if (!room.started) {
      // Hold music (or silence) until a member who starts the conference joins.
      const started = new AbortController();
      room.once('start', () => started.abort(STOPPED));
      const waiting = AbortSignal.any([scope, started.signal, left.signal]);
      if (opts.waitMusic) await this.play(opts.waitMusic, { loop: 0, signal: waiting });
      else await this.wait(Infinity, { signal: waiting });
    }
    let reason: ConferenceResult['reason'] = 'hangup';
    let recording: RecordingFile | undefined;
    if (!this.isStopped() && !left.signal.aborted) {
      this.deps.media.joinRoom(opts.room, this.media, { muted: opts.muted, deaf: opts.deaf });
      if (opts.entryTone) this.deps.media.roomTone(opts.room);
      // The room is recorded once, through the leg of the first member who asks: what it hears plus what it says
      // is the whole conference, for as long as that member stays.
      const recorder = opts.record && !room.recordingBy ? await this.startRecording({ legs: 'both' }) : undefined;
      if (recorder) room.recordingBy = this.id;
      const key = (d: string): void => {
        if (d === opts.hangupOnKey) left.abort(STOPPED);
      };
      this.on('dtmf', key);
      const why = await this.wait(opts.timeLimitMs ?? Infinity, { signal: AbortSignal.any([scope, left.signal]) });
      this.off('dtmf', key);
      if (recorder) {
        recording = await recorder.stop();
        room.recordingBy = undefined;
      }
      this.deps.media.leaveRoom(opts.room, this.media);
      if (opts.exitTone) this.deps.media.roomTone(opts.room);
      reason = this.isStopped()
        ? 'hangup'
        : room.ended
          ? 'ended'
          : why === 'aborted' && opts.signal?.aborted
            ? 'aborted'
            : 'left';
    }
    room.off('end', onEnd);
    const endedIt = rooms.leave(opts.room, this.id);
    opts.onEvent?.({ type: 'leave', room: opts.room, participants: rooms.size(opts.room) });
    if (endedIt) opts.onEvent?.({ type: 'end', room: opts.room, participants: 0 });
    return { reason, durationMs: Date.now() - joined, ...(recording ? { recording } : {}) };
  }

  async sendDtmf(digits: string, opts: { durationMs?: number } = {}): Promise<void> {
    if (this.isStopped()) return;
    if (this.negotiated?.telephoneEventPt !== undefined) return this.media.sendDtmf(digits, opts.durationMs ?? 100);
    for (const d of digits) if (ALL_KEYS.includes(d)) await this.sip.sendDtmfInfo(d, opts.durationMs ?? 100);
  }

  async reject(sipCode: number, reason?: string): Promise<void> {
    if (this.isStopped()) return;
    const invite = this.sip as IncomingCall;
    if (this.answeredAt === undefined && typeof invite.reject === 'function') invite.reject(sipCode, reason);
    else await this.sip.bye();
    this.end(causeFromSipCode(sipCode), sipCode);
  }

  /**
   * Hang up; a call never answered is refused instead, with the SIP status of `cause` — or, when the flow just
   * ended (NORMAL_CLEARING), with the status its last dial failed with, so a caller of a busy phone hears 486.
   */
  async hangup(cause: HangupCause = 'NORMAL_CLEARING'): Promise<void> {
    if (this.interrupted) return;
    return this.terminate(cause);
  }

  /** Hang up whatever the flow is doing (the watchdog, a media failure). */
  private async terminate(cause: HangupCause): Promise<void> {
    if (this.isEnded()) return;
    const unanswered = this.answeredAt === undefined && this.direction === 'inbound';
    const status = !unanswered
      ? undefined
      : cause === 'NORMAL_CLEARING'
        ? (this.lastDialFailure ?? 480)
        : sipCodeFromCause(cause);
    this.end(status && cause === 'NORMAL_CLEARING' ? causeFromSipCode(status) : cause, status);
    await this.sip.hangup(status).catch(() => undefined);
  }

  override on<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this {
    return super.off(event, listener);
  }
}
