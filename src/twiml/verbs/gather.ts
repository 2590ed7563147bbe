// <Gather>: collect DTMF and/or speech while nested <Say>/<Play>/<Pause> prompts play. Twilio: action defaults to
// the current document URL, method POST, timeout 5 s, finishOnKey "#" (not part of Digits), no input → next verb
// unless actionOnEmptyResult, bargeIn true (a key stops the prompts and counts as input), speech through ASR.
// Kazoo: the first DTMF killed the nested prompts in a parallel process; a self-closing <Gather/> crashed on the
// first key; only Digits was sent. Here <Gather/> works, FinishedOnKey/SpeechResult/Confidence are sent, and
// speech without a configured ASR provider is a clear warning with a fall-back to DTMF when input allows it.
// With bargeIn="false" the prompts play to the end; keys pressed meanwhile are kept as typed-ahead input.

import { ALL_DTMF, type Call, type CollectOptions, type CollectResult, type SpeechOptions } from '../../call/types.js';
import type { CompiledVerb, HttpMethod, TwimlVerb, VerbContext, VerbOutcome } from '../types.js';
import { play } from './play.js';
import { say } from './say.js';

export interface GatherOptions {
  /** Undefined: the current document URL. */
  action?: string;
  method: HttpMethod;
  timeoutS: number;
  /** One key or '' (none). */
  finishOnKey: string;
  numDigits?: number;
  input: { dtmf: boolean; speech: boolean };
  language?: string;
  hints?: string[];
  speechTimeout?: number | 'auto';
  maxSpeechTimeS: number;
  speechModel?: string;
  enhanced: boolean;
  profanityFilter: boolean;
  partialResultCallback?: string;
  partialResultCallbackMethod: HttpMethod;
  actionOnEmptyResult: boolean;
  bargeIn: boolean;
  debug: boolean;
  nested: CompiledVerb[];
  at: { line: number; column: number };
}

const MAX_SPEECH_S = 60;
/** Kazoo clamped longer timeouts to an hour. */
const MAX_TIMEOUT_S = 3600;

export const gather: TwimlVerb<GatherOptions> = {
  name: 'Gather',
  parse(el, p) {
    const action = p.string('action')?.trim() || undefined;
    const method = p.method('method', 13312);
    let timeoutS = p.int('timeout', 5, { min: 1, code: 13313 });
    if (timeoutS > MAX_TIMEOUT_S) {
      p.warn(13313, `<Gather timeout="${timeoutS}"> is clamped to ${MAX_TIMEOUT_S} seconds`);
      timeoutS = MAX_TIMEOUT_S;
    }
    const finishOnKey = p.keys('finishOnKey', '#', { single: true, code: 13310 });
    const numDigits = p.int('numDigits', undefined, { min: 1, code: 13314 });

    const rawInput = p.string('input');
    const input = { dtmf: true, speech: false };
    if (rawInput !== undefined) {
      const kinds = rawInput.split(/[\s,]+/).filter(Boolean);
      if (kinds.length === 0 || kinds.some((k) => k !== 'dtmf' && k !== 'speech')) {
        p.error(12200, `<Gather input="${rawInput}"> must be dtmf, speech or "dtmf speech"`);
      } else {
        input.dtmf = kinds.includes('dtmf');
        input.speech = kinds.includes('speech');
      }
    }

    const language = p.language(13512);
    const hints = p
      .string('hints')
      ?.split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    let speechTimeout: number | 'auto' | undefined;
    if (p.string('speechTimeout')?.trim() === 'auto') speechTimeout = 'auto';
    else speechTimeout = p.int('speechTimeout', undefined, { min: 0, code: 12200 });
    const maxSpeechTimeS = p.int('maxSpeechTime', MAX_SPEECH_S, { min: 1, max: MAX_SPEECH_S, code: 12200 });
    const speechModel = p.string('speechModel')?.trim() || undefined;
    const enhanced = p.bool('enhanced', false);
    const profanityFilter = p.bool('profanityFilter', true);
    const partialResultCallback = p.string('partialResultCallback')?.trim() || undefined;
    const partialResultCallbackMethod = p.method('partialResultCallbackMethod', 12200);
    if (partialResultCallback) {
      p.warn(
        12200,
        '<Gather partialResultCallback> is not supported yet: speech recognition reports final results only',
      );
    }
    const actionOnEmptyResult = p.bool('actionOnEmptyResult', false);
    const bargeIn = p.bool('bargeIn', true);
    const debug = p.bool('debug', false);

    const nested = p.nested(['Say', 'Play', 'Pause'], 13320);
    if (el.text) p.warn(12200, '<Gather> text outside <Say> is not spoken; it is ignored');

    return {
      action,
      method,
      timeoutS,
      finishOnKey,
      numDigits,
      input,
      language,
      hints: hints?.length ? hints : undefined,
      speechTimeout,
      maxSpeechTimeS,
      speechModel,
      enhanced,
      profanityFilter,
      partialResultCallback,
      partialResultCallbackMethod,
      actionOnEmptyResult,
      bargeIn,
      debug,
      nested,
      at: { line: el.line, column: el.column },
    };
  },

  async run(o, ctx) {
    const { call, host } = ctx;
    const trace = (detail: Record<string, unknown>): void =>
      host.trace('Gather', { ...detail, ...(o.debug ? { options: { ...o, nested: o.nested.length } } : {}) });

    await call.answer();
    // Keys pressed before the Gather started are not input to it.
    call.flushDtmf();

    const prompted = await runPrompts(o, ctx);
    if (prompted === 'hangup' || isEnded(call)) {
      trace({ digits: call.dtmfBuffer, reason: 'hangup' });
      return { kind: 'end' };
    }
    if (prompted === 'aborted') return { kind: 'next' };

    const timeoutMs = o.timeoutS * 1000;
    const dtmf: CollectOptions = {
      maxDigits: o.numDigits ?? Infinity,
      timeoutMs,
      interdigitMs: timeoutMs,
      terminators: o.finishOnKey,
      signal: ctx.signal,
    };
    let result: CollectResult;
    if (o.input.speech) {
      const speech: SpeechOptions = {
        language: o.language ?? (call.language || 'en-US'),
        hints: o.hints,
        speechTimeoutMs: o.speechTimeout === 'auto' ? 'auto' : (o.speechTimeout ?? o.timeoutS) * 1000,
        maxSpeechMs: o.maxSpeechTimeS * 1000,
        model: o.speechModel,
      };
      result = await call.collect({ ...dtmf, dtmf: o.input.dtmf, speech });
      if (result.reason === 'error') {
        const then = o.input.dtmf ? 'listening for keys only' : 'going on to the next verb';
        const message =
          `<Gather input="speech"> cannot listen for speech: ${result.error ?? 'speech recognition failed'}. ` +
          `Configure a speech recognition (ASR) provider in Pivot's media settings to use speech input; ${then}`;
        host.warn({ code: 12400, message, element: 'Gather', ...o.at, level: 'warning' });
        if (!o.input.dtmf) {
          trace({ digits: '', reason: 'error', error: result.error });
          return { kind: 'next' };
        }
        result = await call.collect(dtmf);
      }
    } else {
      result = await call.collect(dtmf);
    }

    const finishedOnKey = result.terminator ?? '';
    trace({
      digits: result.digits,
      reason: result.reason,
      ...(finishedOnKey ? { finishedOnKey } : {}),
      ...(result.speech ? { speech: result.speech.text, confidence: result.speech.confidence } : {}),
      ...(result.error ? { error: result.error } : {}),
    });
    if (result.reason === 'hangup' || isEnded(call)) return { kind: 'end' };
    if (result.reason === 'aborted') return { kind: 'next' };
    if (result.reason === 'error') {
      const message = `<Gather> could not collect input: ${result.error ?? 'collection failed'}`;
      host.warn({ code: 12400, message, element: 'Gather', ...o.at, level: 'warning' });
      return { kind: 'next' };
    }

    const url = o.action ? host.resolveUrl(o.action) : host.documentUrl;
    if (result.speech) {
      const params: Record<string, unknown> = {
        SpeechResult: result.speech.text,
        Confidence: String(result.speech.confidence),
      };
      if (result.digits) params.Digits = result.digits;
      return { kind: 'request', url, method: o.method, params };
    }
    // No digits (a timeout, or the finish key alone) goes on to the next verb unless actionOnEmptyResult.
    if (result.digits || o.actionOnEmptyResult) {
      return {
        kind: 'request',
        url,
        method: o.method,
        params: { Digits: result.digits, FinishedOnKey: finishedOnKey },
      };
    }
    return { kind: 'next' };
  },
};

/** A function, so TypeScript does not keep a narrowed `call.state` across awaits. */
function isEnded(call: Call): boolean {
  return call.state === 'ended';
}

/**
 * Play the nested prompts. With bargeIn, Say and Play stop on any key (the key stays in the DTMF buffer and
 * becomes the first digit), a Pause is cut short by a key, and a key pressed ends the prompts altogether.
 */
async function runPrompts(o: GatherOptions, ctx: VerbContext): Promise<'done' | 'hangup' | 'aborted'> {
  const { call } = ctx;
  if (o.nested.length === 0) return 'done';
  const barge = new AbortController();
  const onKey = (): void => barge.abort();
  if (o.bargeIn) call.on('dtmf', onKey);
  try {
    for (const step of o.nested) {
      if (isEnded(call)) return 'hangup';
      if (ctx.signal?.aborted) return 'aborted';
      if (o.bargeIn && call.dtmfBuffer) break;
      let run: CompiledVerb = step;
      let stepCtx: VerbContext = ctx;
      if (o.bargeIn && (step.verb === say || step.verb === play)) {
        run = { ...step, options: { ...(step.options as object), terminators: ALL_DTMF } };
      } else if (o.bargeIn) {
        stepCtx = { ...ctx, signal: ctx.signal ? AbortSignal.any([ctx.signal, barge.signal]) : barge.signal };
      }
      const outcome: VerbOutcome = await ctx.runVerbs([run], stepCtx);
      if (outcome.kind === 'end') return 'hangup';
    }
  } finally {
    if (o.bargeIn) call.off('dtmf', onKey);
  }
  if (isEnded(call)) return 'hangup';
  return ctx.signal?.aborted ? 'aborted' : 'done';
}
