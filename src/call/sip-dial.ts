// Dialing for real calls (the B2BUA): every endpoint becomes one or more outgoing SIP legs — a device's contacts
// all at once, a number's carrier trunks one after the other — rung simultaneously or one endpoint at a time.
// While they ring the caller hears the callee's early media, a ringback tone, or just gets a 180; the first leg
// to answer wins, the others are cancelled, and the caller is bridged with it until one side ends.

import { MediaSession } from '../media/engine.js';
import type { CallInfo, SipCall } from './sip-call.js';
import { identityOfUri, type SipTarget, type TargetResolution } from './targets.js';
import type {
  DialEvent,
  DialOptions,
  DialResult,
  DialStatus,
  Endpoint,
  MediaSource,
  RecordingHandle,
} from './types.js';
import { causeFromSipCode } from './types.js';

/** How an outgoing leg ended before (or instead of) answering. */
export type PlaceResult = { ok: true } | { ok: false; status: number; reason: string };

export interface PlaceOptions {
  /** Open the leg's media next to this session (same worker: a bridge relays without crossing threads). */
  near?: MediaSession;
  timeoutMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** A provisional response; `early` when it carried SDP (the leg now has media). */
  onProgress?: (status: number, early: boolean) => void;
}

export interface DialEnv {
  resolve(accountId: string, endpoint: Endpoint): Promise<TargetResolution>;
  place(
    target: SipTarget,
    info: CallInfo,
    opts: PlaceOptions,
  ): Promise<{ call: SipCall; answered: Promise<PlaceResult> }>;
}

const REJECTED = new Set([486, 600, 603]);
const NO_ANSWER = new Set([408, 480, 487]);

interface Winner {
  leg: SipCall;
  endpoint: Endpoint;
  index: number;
}

/** One run of `dial`: the legs, who won, why the others failed. */
class DialAttempt {
  /** Cancels every leg still ringing (a winner, the ring timeout, the caller hanging up). */
  private readonly cancel = new AbortController();
  private winner?: Winner;
  private readonly failures: { status: number; reason: string }[] = [];
  private readonly legIds = new Map<number, string>();
  private readonly ringing = new Set<number>();
  private callerGone = false;
  private readonly ringback: Ringback;

  constructor(
    private readonly caller: SipCall,
    private readonly opts: DialOptions,
    private readonly env: DialEnv,
  ) {
    this.ringback = new Ringback(caller, opts);
  }

  emit(index: number, event: Omit<DialEvent, 'endpoint' | 'legId'>): void {
    this.opts.onEvent?.({ ...event, endpoint: this.opts.endpoints[index], legId: this.legIds.get(index) ?? '' });
  }

  async ring(): Promise<Winner | undefined> {
    const stopAll = (): void => {
      this.callerGone = true;
      this.cancel.abort();
    };
    this.caller.once('hangup', stopAll);
    this.opts.signal?.addEventListener('abort', stopAll, { once: true });
    if (this.opts.signal?.aborted) stopAll();
    try {
      if (this.opts.strategy === 'single') {
        for (const [i, endpoint] of this.opts.endpoints.entries()) {
          if (this.winner || this.cancel.signal.aborted) break;
          await this.ringEndpoint(endpoint, i, endpoint.timeoutMs ?? this.opts.timeoutMs);
        }
      } else {
        const timer = setTimeout(() => this.cancel.abort(), this.opts.timeoutMs);
        await Promise.all(
          this.opts.endpoints.map((e, i) =>
            this.ringEndpoint(e, i, Math.min(e.timeoutMs ?? Infinity, this.opts.timeoutMs)),
          ),
        );
        clearTimeout(timer);
      }
    } finally {
      this.caller.off('hangup', stopAll);
      this.opts.signal?.removeEventListener('abort', stopAll);
      this.ringback.stop(this.winner?.leg);
    }
    return this.winner;
  }

  private async ringEndpoint(endpoint: Endpoint, index: number, timeoutMs: number): Promise<void> {
    if (endpoint.delayMs && !(await sleep(endpoint.delayMs, this.cancel.signal))) return;
    if (this.cancel.signal.aborted) return;
    const resolved = await this.env.resolve(this.caller.accountId, endpoint);
    if (!resolved.ok) {
      this.emit(index, { status: 'initiated' });
      this.fail(index, resolved.status, resolved.reason);
      return;
    }
    if (resolved.failover) {
      for (const target of resolved.targets) {
        const r = await this.placeLeg(endpoint, index, target, timeoutMs);
        // Busy or declined is the callee's answer: another trunk would not change it.
        if (r !== 'failed' || REJECTED.has(this.failures.at(-1)?.status ?? 0)) break;
      }
    } else {
      await Promise.all(resolved.targets.map((t) => this.placeLeg(endpoint, index, t, timeoutMs)));
    }
  }

  private fail(index: number, status: number, reason: string): void {
    this.failures.push({ status, reason });
    this.emit(index, { status: 'completed', outcome: outcomeOf(status), sipCode: status });
    // failOnSingleReject: one busy/decline ends a simultaneous dial for everyone.
    if (this.opts.failOnSingleReject && this.opts.strategy === 'simultaneous' && !NO_ANSWER.has(status)) {
      this.cancel.abort();
    }
  }

  private async placeLeg(
    endpoint: Endpoint,
    index: number,
    target: SipTarget,
    timeoutMs: number,
  ): Promise<'won' | 'failed' | 'cancelled'> {
    if (this.cancel.signal.aborted) return 'cancelled';
    const caller = this.caller;
    const callerId = endpoint.callerId ?? this.opts.callerId ?? caller.callerId;
    const callee = identityOfUri(target.uri);
    // The leg exists only once `place` returns; provisional responses come later (they need a network turn).
    const placedLeg: { call?: SipCall } = {};
    const placed = await this.env.place(
      target,
      {
        accountId: caller.accountId,
        direction: 'outbound-dial',
        from: { user: callerId.number ?? caller.from.user, realm: target.fromHost ?? '', displayName: callerId.name },
        to: callee,
        request: callee,
        callerId,
        parentCallId: caller.id,
      },
      {
        near: caller.media,
        timeoutMs,
        signal: this.cancel.signal,
        headers: endpoint.headers,
        onProgress: (status, early) => {
          if (!this.ringing.has(index)) {
            this.ringing.add(index);
            this.emit(index, { status: 'ringing', sipCode: status });
          }
          if (placedLeg.call) this.ringback.progress(placedLeg.call, early);
        },
      },
    );
    const leg = (placedLeg.call = placed.call);
    if (!this.legIds.has(index)) {
      this.legIds.set(index, leg.id);
      this.emit(index, { status: 'initiated' });
    }
    const result = await placed.answered;
    if (!result.ok) {
      if (!this.winner) this.fail(index, result.status, result.reason);
      return 'failed';
    }
    if (this.winner || this.cancel.signal.aborted) {
      // Answered a moment too late: someone else won, or the caller left.
      await leg.hangup('ORIGINATOR_CANCEL');
      return 'cancelled';
    }
    this.winner = { leg, endpoint, index };
    this.legIds.set(index, leg.id);
    this.cancel.abort();
    return 'won';
  }

  /** Why nobody answered, in Twilio's DialCallStatus terms. */
  failure(): DialResult {
    if (this.callerGone)
      return { status: 'canceled', bridged: false, durationMs: 0, sipCode: 487, cause: 'ORIGINATOR_CANCEL' };
    const codes = this.failures.map((f) => f.status);
    const rejected = codes.find((c) => REJECTED.has(c));
    const status: DialStatus =
      rejected !== undefined ? 'busy' : codes.every((c) => NO_ANSWER.has(c)) ? 'no-answer' : 'failed';
    // A ring timeout that cancelled legs without any failure reported counts as no answer.
    const sipCode = rejected ?? codes.find((c) => !NO_ANSWER.has(c)) ?? codes[0] ?? 480;
    const cause = status === 'no-answer' ? 'NO_ANSWER' : causeFromSipCode(sipCode);
    const legId = [...this.legIds.values()].at(-1);
    return { status, bridged: false, durationMs: 0, sipCode, cause, ...(legId ? { legId } : {}) };
  }
}

/**
 * What the caller hears while the legs ring. An unanswered caller gets a 180, or a 183 with our SDP when there
 * is something to hear: the callee's early media relayed, or a ringback tone/prompt. An answered caller (a
 * TwiML app that spoke first) hears the early media or a ringback tone.
 */
class Ringback {
  private earlyLeg?: SipCall;
  private tone?: AbortController;
  private signalled = false;

  constructor(
    private readonly caller: SipCall,
    private readonly opts: DialOptions,
  ) {}

  private get mode(): NonNullable<DialOptions['ringback']> {
    return this.opts.ringback ?? 'early-media';
  }

  progress(leg: SipCall, early: boolean): void {
    const caller = this.caller;
    if (caller.state === 'ended' || this.mode === 'none') {
      if (!this.signalled && caller.state === 'ringing') void caller.ring();
      this.signalled = true;
      return;
    }
    if (early && this.mode === 'early-media' && !this.earlyLeg) {
      this.stopTone();
      this.earlyLeg = leg;
      if (caller.state === 'ringing') void caller.ring({ earlyMedia: true });
      MediaSession.bridge(caller.media, leg.media);
      this.signalled = true;
      return;
    }
    if (this.earlyLeg || this.tone) return;
    const source: MediaSource = typeof this.mode === 'object' ? this.mode : { kind: 'tone', tone: 'ringback' };
    if (caller.state === 'ringing') {
      // A tone needs early media to be heard; without an offer to answer, a plain 180 it is.
      void caller.ring({ earlyMedia: true });
      if (caller.state === 'ringing') {
        this.signalled = true;
        return;
      }
    }
    this.tone = new AbortController();
    void caller.play(source, { loop: 0, signal: this.tone.signal });
  }

  private stopTone(): void {
    this.tone?.abort();
    this.tone = undefined;
  }

  /** Ringing is over: stop the tone, and undo an early-media relay unless that leg is the one being bridged. */
  stop(winner?: SipCall): void {
    this.stopTone();
    if (this.earlyLeg && this.earlyLeg !== winner) MediaSession.unbridge(this.caller.media, this.earlyLeg.media);
    this.earlyLeg = undefined;
  }
}

export async function dialEndpoints(caller: SipCall, opts: DialOptions, env: DialEnv): Promise<DialResult> {
  if (caller.state === 'ended') return { status: 'canceled', bridged: false, durationMs: 0 };
  if (!opts.endpoints.length) return { status: 'failed', bridged: false, durationMs: 0, sipCode: 404 };
  // Twilio answers before dialing unless answerOnBridge; Kazoo's bridges keep the caller ringing (answerOnBridge).
  if (!opts.answerOnBridge && caller.state === 'ringing') await caller.answer();
  let recording: RecordingHandle | undefined;
  if (opts.record?.fromRinging) recording = await caller.startRecording(opts.record);
  const attempt = new DialAttempt(caller, opts, env);
  const winner = await attempt.ring();
  if (!winner || ended(caller)) {
    if (winner) await winner.leg.hangup('ORIGINATOR_CANCEL');
    const file = await recording?.stop();
    return { ...attempt.failure(), ...(file ? { recording: file } : {}) };
  }
  const { leg, endpoint, index } = winner;
  attempt.emit(index, { status: 'answered', sipCode: 200 });
  if (caller.state === 'ringing' || caller.state === 'early') await caller.answer();
  if (endpoint.sendDigits) void sendDigits(leg, endpoint.sendDigits);
  if (opts.record && !recording) recording = await caller.startRecording(opts.record);
  let digits = '';
  const collect = (d: string): void => {
    if (d !== opts.hangupOnKey) digits += d;
  };
  if (opts.collectDigits) caller.on('dtmf', collect);
  const bridged = await caller.bridgeWith(leg, {
    timeLimitMs: opts.timeLimitMs,
    hangupOnKey: opts.hangupOnKey,
    signal: opts.signal,
  });
  caller.off('dtmf', collect);
  if (leg.state !== 'ended') await leg.hangup('NORMAL_CLEARING');
  const file = await recording?.stop();
  attempt.emit(index, { status: 'completed', outcome: 'completed', sipCode: 200, durationMs: bridged.durationMs });
  return {
    status: 'completed',
    bridged: true,
    legId: leg.id,
    answeredEndpoint: endpoint,
    durationMs: bridged.durationMs,
    endedBy: bridged.endedBy,
    sipCode: 200,
    ...(opts.collectDigits ? { digits } : {}),
    ...(file ? { recording: file } : {}),
  };
}

/** A function, so TypeScript doesn't keep a narrowed state across awaits. */
const ended = (call: SipCall): boolean => call.state === 'ended';

function outcomeOf(status: number): DialStatus {
  return REJECTED.has(status) ? 'busy' : NO_ANSWER.has(status) ? 'no-answer' : 'failed';
}

/** DTMF for the callee once it answers; `w` waits half a second, `W` a second. */
async function sendDigits(leg: SipCall, digits: string): Promise<void> {
  for (const d of digits) {
    if (ended(leg)) return;
    if (d === 'w' || d === 'W') await sleep(d === 'w' ? 500 : 1000);
    else await leg.sendDtmf(d);
  }
}

/** Resolves true after `ms`, false when `signal` fires first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
