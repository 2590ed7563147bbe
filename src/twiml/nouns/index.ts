// The nouns of <Dial>, one file each, and the contract between them and the Dial verb.
//
// Leg nouns (Number, Sip, Client, and Kazoo's User and Device) become endpoints that `call.dial` rings together
// (or one after the other); session nouns (Conference, Queue) take the caller somewhere else and must be alone in
// their <Dial>. Noun files import helpers from here and this file reaches them only inside `nounFor`, so the
// import cycle between them is harmless whichever file is loaded first.

import type { BackgroundRecordingOptions, DialStatus, Endpoint, RecordingFile } from '../../call/types.js';
import type { AttributeReader } from '../attributes.js';
import type { HttpMethod, VerbContext } from '../types.js';
import type { XmlElement } from '../xml.js';
import { client } from './client.js';
import { conference } from './conference.js';
import { device } from './device.js';
import { number } from './number.js';
import { queue } from './queue.js';
import { sip } from './sip.js';
import { user } from './user.js';

export type CallProgressEvent = 'initiated' | 'ringing' | 'answered' | 'completed';
export const CALL_PROGRESS_EVENTS: readonly CallProgressEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

/** A noun's statusCallback: the URL as written (resolved when sent), its method and the events wanted. */
export interface StatusCallbackSpec<E extends string = CallProgressEvent> {
  url: string;
  method: HttpMethod;
  events: E[];
}

/** recordingStatusCallback of Dial or Conference. */
export type RecordingCallbackEvent = 'in-progress' | 'completed' | 'absent';
export type RecordingCallbackSpec = StatusCallbackSpec<RecordingCallbackEvent>;

/** What a leg noun rings. */
export interface LegTarget {
  endpoints: Endpoint[];
  /** `To` of the leg's status callbacks: the number, the SIP URI, `client:<identity>`… */
  to: string;
  statusCallback?: StatusCallbackSpec;
  /** Set when the noun named something unknown (a Client nobody registered): that leg fails. */
  unresolved?: string;
}

/** The Dial attributes a session noun honours. */
export interface DialSettings {
  timeoutMs: number;
  timeLimitMs: number;
  hangupOnKey?: string;
  answerOnBridge: boolean;
  record?: BackgroundRecordingOptions & { fromRinging?: boolean };
  signal?: AbortSignal;
}

/** How a session noun ended, for the Dial action. */
export interface NounResult {
  status: DialStatus;
  bridged: boolean;
  /** DialCallSid. */
  callSid?: string;
  durationMs: number;
  recording?: RecordingFile;
  /** The noun's own recordingStatusCallback (Conference), used instead of Dial's. */
  recordingStatusCallback?: RecordingCallbackSpec;
  recordingSource?: string;
  /** Extra parameters for the Dial action (QueueSid…). */
  params?: Record<string, string>;
}

interface NounBase<O> {
  name: string;
  /** Check the noun element; errors and warnings go to `p`. */
  parse(el: XmlElement, p: AttributeReader): O;
}

export interface LegNoun<O = any> extends NounBase<O> {
  kind: 'leg';
  target(opts: O, ctx: VerbContext): Promise<LegTarget>;
}

export interface SessionNoun<O = any> extends NounBase<O> {
  kind: 'session';
  run(opts: O, dial: DialSettings, ctx: VerbContext): Promise<NounResult>;
}

export type DialNoun = LegNoun | SessionNoun;

/** A noun element checked and ready to run. */
export interface ParsedNoun {
  noun: DialNoun;
  element: XmlElement;
  options: unknown;
}

export const NOUN_NAMES = ['Number', 'Sip', 'Client', 'Conference', 'Queue', 'User', 'Device'] as const;

/** The noun called `name`, or undefined. */
export function nounFor(name: string): DialNoun | undefined {
  switch (name) {
    case 'Number':
      return number;
    case 'Sip':
      return sip;
    case 'Client':
      return client;
    case 'Conference':
      return conference;
    case 'Queue':
      return queue;
    case 'User':
      return user;
    case 'Device':
      return device;
    default:
      return undefined;
  }
}

// ---- helpers shared by the nouns and Dial ------------------------------------------------------------------

/** A space (or comma) separated event list; unknown names are errors. `def` when the attribute is absent. */
export function readEvents<E extends string>(
  p: AttributeReader,
  name: string,
  allowed: readonly E[],
  def: E[],
  code = 12200,
): E[] {
  const raw = p.string(name);
  if (raw === undefined || raw.trim() === '') return def;
  const list = raw.split(/[\s,]+/).filter(Boolean);
  const bad = list.filter((e) => !(allowed as readonly string[]).includes(e));
  if (bad.length) {
    p.error(code, `<${p.el.name} ${name}="${raw}">: unknown event ${bad.join(', ')} (allowed: ${allowed.join(', ')})`);
    return def;
  }
  return [...new Set(list)] as E[];
}

/** `statusCallback`, `statusCallbackMethod` and `statusCallbackEvent` of a leg noun (default event: completed). */
export function readStatusCallback(p: AttributeReader, methodCode = 12200): StatusCallbackSpec | undefined {
  const url = p.string('statusCallback')?.trim();
  const method = p.method('statusCallbackMethod', methodCode);
  const events = readEvents(p, 'statusCallbackEvent', CALL_PROGRESS_EVENTS, ['completed']);
  if (!url) {
    if (p.has('statusCallbackEvent')) p.warn(12200, `<${p.el.name}> has statusCallbackEvent but no statusCallback`);
    return undefined;
  }
  return { url, method, events };
}

/** `recordingStatusCallback`, `…Method`, `…Event` (default event: completed). */
export function readRecordingCallback(p: AttributeReader): RecordingCallbackSpec | undefined {
  const url = p.string('recordingStatusCallback')?.trim();
  const method = p.method('recordingStatusCallbackMethod', 12200);
  const events = readEvents<RecordingCallbackEvent>(
    p,
    'recordingStatusCallbackEvent',
    ['in-progress', 'completed', 'absent'],
    ['completed'],
  );
  if (!url) return undefined;
  if (events.includes('in-progress')) {
    p.warn(
      12200,
      `<${p.el.name} recordingStatusCallbackEvent="in-progress"> is not sent yet; completed and absent are`,
    );
  }
  return { url, method, events };
}

const SEND_DIGITS = /^[0-9*#A-DwW]+$/;

/** `sendDigits` of <Number> and <Sip>: DTMF sent once the callee answers (`w` 0.5 s pause, `W` 1 s). */
export function readSendDigits(p: AttributeReader, code: number): string | undefined {
  const raw = p.string('sendDigits')?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!SEND_DIGITS.test(raw)) {
    p.error(code, `<${p.el.name} sendDigits="${raw}"> may only contain 0-9, *, #, A-D, w and W`);
    return undefined;
  }
  return raw;
}

/** The whisper `url` and its `method` of a leg noun: checked, then ignored with a warning. */
export function readWhisper(p: AttributeReader, methodCode: number): void {
  p.method('method', methodCode);
  const url = p.string('url')?.trim();
  if (url) {
    p.warn(
      12200,
      `<${p.el.name} url="${url}">: whisper documents are not supported yet; the callee is connected directly`,
    );
  }
}

/** Read attributes Pivot accepts but does not act on, with one warning naming them. */
export function ignoreAttributes(p: AttributeReader, names: readonly string[], why: string): void {
  const present = names.filter((n) => p.has(n));
  for (const n of present) p.string(n);
  if (present.length) p.warn(12200, `<${p.el.name}> ${present.join(', ')}: ${why}; ignored`);
}

/** Whole seconds, as Twilio reports durations. */
export function seconds(ms: number): string {
  return String(Math.max(0, Math.round(ms / 1000)));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 2822 date in UTC, as Twilio's `Timestamp`: `Mon, 16 Aug 2010 03:45:01 +0000`. */
export function rfc2822(ms: number = Date.now()): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}
