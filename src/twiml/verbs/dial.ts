// <Dial>: connect the caller to another party. Content: a plain number (`<Dial>+1 (415) 555-1234</Dial>`, stripped
// and normalised to E.164, 13223 when it is not one) or up to 10 nouns (../nouns): Number, Sip, Client and Kazoo's
// User and Device ring together (or one after the other with sequential="true" / Kazoo strategy="single"), while a
// Conference or a Queue takes the caller there and must be alone; a Sip may not be mixed with other nouns.
// Twilio attributes with their defaults: action (none), method POST (13210), timeout 30 s (5..600, 13212),
// timeLimit 14400 s (13216), callerId (13214), answerOnBridge false, hangupOnStar false (13213), record
// do-not-record (13217), recordingTrack both, recordingStatusCallback(+Method,+Event), trim do-not-trim, ringTone,
// sequential false, referUrl/referMethod (warning: SIP REFER is not supported), events.
// Kazoo extras kept: strategy (simultaneous|single), hangupOn (one key), collect_dtmf/collectDtmf (caller DTMF
// during the bridge → Digits), continueOnFail (true; false hangs up after a failed dial without action).
// Kazoo quirks fixed: hangupOnStar works, an explicit strategy works, DialCallDuration/DialBridged/RecordingSid are
// sent, the call continues with the next verb after a Dial without action, and a Conference follows `action`.
// Each leg noun's statusCallback gets call-progress events (initiated, ringing, answered, completed; default
// completed only). With `action` the request is made even when the caller hung up (the session ignores the answer).

import { toE164 } from '../../call/numbers.js';
import type { DialEvent, DialResult, DialStatus, Endpoint } from '../../call/types.js';
import type { AttributeReader } from '../attributes.js';
import {
  NOUN_NAMES,
  ignoreAttributes,
  nounFor,
  readRecordingCallback,
  rfc2822,
  seconds,
  type DialSettings,
  type LegNoun,
  type LegTarget,
  type NounResult,
  type ParsedNoun,
  type RecordingCallbackSpec,
} from '../nouns/index.js';
import { number as numberNoun } from '../nouns/number.js';
import type { HttpMethod, TwimlVerb, VerbContext } from '../types.js';

export const MAX_DIAL_NOUNS = 10;
export const MAX_TIME_LIMIT_S = 86400;

export type DialRecordMode =
  | 'do-not-record'
  | 'record-from-answer'
  | 'record-from-ringing'
  | 'record-from-answer-dual'
  | 'record-from-ringing-dual';
const RECORD_MODES: readonly DialRecordMode[] = [
  'do-not-record',
  'record-from-answer',
  'record-from-ringing',
  'record-from-answer-dual',
  'record-from-ringing-dual',
];

/** Countries Twilio's ringTone accepts. */
const RING_TONES = new Set([
  ...'at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it'.split(' '),
  ...'lt jp mx my nl no nz ph pl pt ru se sg th uk us tw ve za'.split(' '),
]);

export interface DialVerbOptions {
  action?: string;
  method: HttpMethod;
  timeoutS: number;
  timeLimitS: number;
  callerId?: string;
  answerOnBridge: boolean;
  /** hangupOnStar → `*`; Kazoo hangupOn → its key. */
  hangupOnKey?: string;
  record: DialRecordMode;
  recordingTrack: 'both' | 'inbound' | 'outbound';
  recordingStatusCallback?: RecordingCallbackSpec;
  ringTone?: string;
  strategy: 'simultaneous' | 'single';
  collectDigits: boolean;
  continueOnFail: boolean;
  nouns: ParsedNoun[];
}

function readCallerId(p: AttributeReader): string | undefined {
  const raw = p.string('callerId')?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > 128 || !/^[A-Za-z0-9+\-_.,:@]+$/.test(raw)) {
    p.error(13214, `<Dial callerId="${raw}"> must be a phone number, a client id or a SIP user ([A-Za-z0-9+-_.,:@])`);
    return undefined;
  }
  return raw;
}

function readNouns(el: AttributeReader['el'], p: AttributeReader): ParsedNoun[] {
  const nouns: ParsedNoun[] = [];
  const elements = p.elements(NOUN_NAMES, 13215);
  if (el.children.length === 0) {
    // Plain-text number.
    const raw = el.text;
    if (!raw) {
      p.error(13223, '<Dial> needs a number to call or nouns (<Number>, <Sip>, <Client>, <Conference>, <Queue>…)');
      return nouns;
    }
    if (!toE164(raw)) {
      p.error(13223, `<Dial>${raw}</Dial> is not a valid phone number`);
      return nouns;
    }
    nouns.push({ noun: numberNoun, element: el, options: { number: toE164(raw) } });
    return nouns;
  }
  if (el.text) p.warn(12200, '<Dial> has both text and nouns; the text is ignored');
  if (elements.length > MAX_DIAL_NOUNS) {
    p.error(
      13215,
      `<Dial> may contain at most ${MAX_DIAL_NOUNS} nouns (found ${elements.length})`,
      elements[MAX_DIAL_NOUNS],
    );
  }
  for (const child of elements) {
    const noun = nounFor(child.name)!;
    const cp = p.child(child);
    const options = noun.parse(child, cp);
    cp.finish();
    nouns.push({ noun, element: child, options });
  }
  const sessions = nouns.filter((n) => n.noun.kind === 'session');
  if (sessions.length && nouns.length > 1) {
    const first = sessions[0];
    p.error(13215, `<${first.noun.name}> must be the only noun of its <Dial>`, first.element);
  }
  const sips = nouns.filter((n) => n.noun.name === 'Sip');
  if (sips.length && sips.length !== nouns.length) {
    p.error(13215, '<Sip> may not be mixed with other nouns in one <Dial>', sips[0].element);
  }
  return nouns;
}

export const dial: TwimlVerb<DialVerbOptions> = {
  name: 'Dial',
  parse(el, p) {
    const action = p.string('action')?.trim() || undefined;
    const method = p.method('method', 13210);
    const timeoutS = p.int('timeout', 30, { min: 5, max: 600, code: 13212 });
    const timeLimitS = p.int('timeLimit', 14400, { min: 1, max: MAX_TIME_LIMIT_S, code: 13216 });
    const callerId = readCallerId(p);
    const answerOnBridge = p.bool('answerOnBridge', false);
    const hangupOnStar = p.bool('hangupOnStar', false, 13213);
    const hangupOn = p.keys('hangupOn', '', { single: true, code: 13213 });
    if (hangupOn && hangupOnStar && hangupOn !== '*') {
      p.warn(13213, `<Dial> has both hangupOnStar and hangupOn="${hangupOn}"; hangupOn is used`);
    }
    const hangupOnKey = hangupOn || (hangupOnStar ? '*' : undefined);

    // Kazoo's record="true"/"false" is kept: true records from answer.
    let record: DialRecordMode = 'do-not-record';
    const rawRecord = p.string('record')?.trim();
    if (rawRecord === 'true') record = 'record-from-answer';
    else if (rawRecord !== undefined && rawRecord !== 'false')
      record = p.oneOf('record', RECORD_MODES, 'do-not-record', 13217);
    const recordingTrack = p.oneOf('recordingTrack', ['both', 'inbound', 'outbound'] as const, 'both');
    if (recordingTrack === 'outbound') {
      p.warn(12200, '<Dial recordingTrack="outbound"> is not supported yet; both tracks are recorded');
    }
    const recordingStatusCallback = readRecordingCallback(p);
    const trim = p.oneOf('trim', ['trim-silence', 'do-not-trim'] as const, 'do-not-trim');
    if (trim === 'trim-silence') p.warn(12200, '<Dial trim="trim-silence"> is not applied to Dial recordings yet');
    p.string('recordingConfigurationId');
    if (record === 'do-not-record' && (recordingStatusCallback || p.has('recordingTrack'))) {
      p.warn(12200, '<Dial> has recording options but record is do-not-record');
    }

    let ringTone = p.string('ringTone')?.trim() || undefined;
    if (ringTone && !RING_TONES.has(ringTone)) {
      p.warn(12200, `<Dial ringTone="${ringTone}"> is not a known country code; the default ringback is used`);
      ringTone = undefined;
    }

    const sequential = p.bool('sequential', false);
    const strategy = p.has('strategy')
      ? p.oneOf('strategy', ['simultaneous', 'single'] as const, 'simultaneous')
      : sequential
        ? 'single'
        : 'simultaneous';
    const collectDigits = p.has('collect_dtmf') ? p.bool('collect_dtmf', false) : p.bool('collectDtmf', false);
    const continueOnFail = p.bool('continueOnFail', true);

    ignoreAttributes(p, ['referUrl', 'referMethod'], 'SIP REFER is not supported');
    const events = p.string('events')?.trim();
    if (events && events !== 'call-progress-event')
      p.warn(12200, `<Dial events="${events}"> must be call-progress-event`);
    ignoreAttributes(p, ['callReason'], 'branded calling is Twilio-only');
    ignoreAttributes(p, ['ifMachine'], 'answering machine detection is not supported');

    const nouns = readNouns(el, p);
    return {
      action,
      method,
      timeoutS,
      timeLimitS,
      callerId,
      answerOnBridge,
      hangupOnKey,
      record,
      recordingTrack,
      recordingStatusCallback,
      ringTone,
      strategy,
      collectDigits,
      continueOnFail,
      nouns,
    };
  },

  async run(o, ctx) {
    const { call, host } = ctx;
    if (!o.answerOnBridge) await call.answer();
    const settings: DialSettings = {
      timeoutMs: o.timeoutS * 1000,
      timeLimitMs: o.timeLimitS * 1000,
      hangupOnKey: o.hangupOnKey,
      answerOnBridge: o.answerOnBridge,
      record:
        o.record === 'do-not-record'
          ? undefined
          : {
              legs: o.recordingTrack === 'inbound' ? 'caller' : 'both',
              channels: o.record.endsWith('-dual') ? 'dual' : 'mono',
              fromRinging: o.record.startsWith('record-from-ringing'),
            },
      signal: ctx.signal,
    };
    const session = o.nouns.find((n) => n.noun.kind === 'session');
    const result =
      session && session.noun.kind === 'session'
        ? await session.noun.run(session.options, settings, ctx)
        : await dialLegs(o, settings, ctx);

    const params: Record<string, string> = {
      DialCallStatus: result.status,
      ...(result.callSid ? { DialCallSid: result.callSid } : {}),
      DialCallDuration: seconds(result.durationMs),
      DialBridged: String(result.bridged),
      ...result.params,
    };
    Object.assign(params, await recordingParams(o, result, ctx));
    host.trace('Dial', { ...params, ...(o.action ? { action: o.action } : {}) });

    if (o.action) return { kind: 'request', url: host.resolveUrl(o.action), method: o.method, params };
    if (call.state === 'ended') return { kind: 'end' };
    if (!result.bridged && !o.continueOnFail) {
      await call.hangup('NORMAL_CLEARING');
      return { kind: 'end' };
    }
    return { kind: 'next' };
  },
};

/** Ring the leg nouns through `call.dial`, reporting progress to their statusCallbacks. */
async function dialLegs(o: DialVerbOptions, settings: DialSettings, ctx: VerbContext): Promise<NounResult> {
  const { call, host } = ctx;
  const targets: LegTarget[] = await Promise.all(o.nouns.map((n) => (n.noun as LegNoun).target(n.options, ctx)));
  const endpoints: Endpoint[] = [];
  targets.forEach((t, i) => {
    if (t.unresolved)
      host.warn({ code: 12200, message: t.unresolved, element: o.nouns[i].noun.name, level: 'warning' });
    for (const e of t.endpoints) endpoints.push({ ...e, tag: String(i) });
  });
  if (endpoints.length === 0) return { status: 'failed', bridged: false, durationMs: 0 };

  const from = o.callerId ?? call.callerId.number ?? call.from.user;
  const sequence = new Map<string, number>();
  const onEvent = (ev: DialEvent): void => {
    const t = targets[Number(ev.endpoint.tag)];
    const cb = t?.statusCallback;
    if (!cb || !cb.events.includes(ev.status)) return;
    const seq = sequence.get(ev.legId) ?? 0;
    sequence.set(ev.legId, seq + 1);
    const status = legStatus(ev);
    host.callback(host.resolveUrl(cb.url), cb.method, {
      AccountSid: host.accountId,
      ApiVersion: '2010-04-01',
      CallSid: ev.legId,
      ParentCallSid: call.id,
      CallStatus: status,
      Direction: 'outbound-dial',
      From: from,
      To: t.to,
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(seq),
      Timestamp: rfc2822(),
      ...(ev.status === 'completed' ? { CallDuration: seconds(ev.durationMs ?? 0) } : {}),
      ...(ev.sipCode ? { SipResponseCode: String(ev.sipCode) } : {}),
    });
  };

  const result: DialResult = await call.dial({
    endpoints,
    strategy: o.strategy,
    timeoutMs: settings.timeoutMs,
    ...(o.callerId ? { callerId: { number: o.callerId } } : {}),
    answerOnBridge: o.answerOnBridge,
    ...(o.ringTone ? { ringTone: o.ringTone } : {}),
    timeLimitMs: settings.timeLimitMs,
    ...(settings.hangupOnKey ? { hangupOnKey: settings.hangupOnKey } : {}),
    ...(settings.record ? { record: settings.record } : {}),
    collectDigits: o.collectDigits,
    signal: settings.signal,
    onEvent,
  });

  const params: Record<string, string> = {};
  if (o.collectDigits) params.Digits = result.digits ?? '';
  if (o.nouns.some((n) => n.noun.name === 'Sip') && result.sipCode) params.DialSipResponseCode = String(result.sipCode);
  const status: DialStatus = result.status === 'answered' ? 'completed' : result.status;
  return {
    status,
    bridged: result.bridged,
    callSid: result.legId,
    durationMs: result.durationMs,
    recording: result.recording,
    params,
  };
}

/** Twilio CallStatus of a leg for a progress event. */
function legStatus(ev: DialEvent): string {
  switch (ev.status) {
    case 'initiated':
    case 'ringing':
      return ev.status;
    case 'answered':
      return 'in-progress';
    case 'completed':
      return !ev.outcome || ev.outcome === 'answered' ? 'completed' : ev.outcome;
  }
}

/** Keep the recording, report it to recordingStatusCallback, and return the action's Recording* parameters. */
async function recordingParams(
  o: DialVerbOptions,
  result: NounResult,
  ctx: VerbContext,
): Promise<Record<string, string>> {
  const { call, host } = ctx;
  const cb = result.recordingStatusCallback ?? o.recordingStatusCallback;
  const source = result.recordingSource ?? 'DialVerb';
  const base = { AccountSid: host.accountId, ApiVersion: '2010-04-01', CallSid: call.id, RecordingSource: source };
  if (!result.recording) {
    const wanted = o.record !== 'do-not-record' || result.recordingStatusCallback;
    if (wanted && cb?.events.includes('absent')) {
      host.callback(host.resolveUrl(cb.url), cb.method, { ...base, RecordingStatus: 'absent' });
    }
    return {};
  }
  const file = result.recording;
  const saved = await host.saveRecording(file);
  const params = { RecordingUrl: saved.url, RecordingSid: saved.sid, RecordingDuration: seconds(file.durationMs) };
  if (cb?.events.includes('completed')) {
    host.callback(host.resolveUrl(cb.url), cb.method, {
      ...base,
      ...params,
      RecordingStatus: 'completed',
      RecordingChannels: o.record.endsWith('-dual') ? '2' : '1',
      RecordingTrack: o.recordingTrack,
      Timestamp: rfc2822(),
    });
  }
  return params;
}
