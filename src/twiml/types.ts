// The TwiML verb contract. Each verb lives in its own file under ./verbs: `parse` checks the element before
// anything runs (errors carry Twilio codes and positions), `run` executes the parsed options on the call.

import type { Call, Endpoint, RecordingFile } from '../call/types.js';
import type { QueueManager } from '../call/queues.js';
import type { AttributeReader } from './attributes.js';
import type { XmlElement } from './xml.js';

export interface TwimlError {
  /** Twilio error code: 12200 schema, 13xxx verb attributes, 11200 retrieval, 12100 parse… */
  code: number;
  message: string;
  line?: number;
  column?: number;
  /** Element name the error is about. */
  element?: string;
  /** Errors reject the document before it runs; warnings are recorded and the element runs without the bad bit. */
  level: 'error' | 'warning';
}

export type HttpMethod = 'GET' | 'POST';

/** What happened after a verb ran. */
export type VerbOutcome =
  /** Go on with the next verb. */
  | { kind: 'next' }
  /** Stop this document and request `url` (an action or Redirect); `params` are sent with that request only. */
  | { kind: 'request'; url: string; method: HttpMethod; params?: Record<string, unknown> }
  /** The call is over (Hangup, Reject, or the caller left); nothing more runs. */
  | { kind: 'end' }
  /** Leave a queue's wait music (Leave inside an Enqueue waitUrl document). */
  | { kind: 'leave' };

/** What a verb may ask of the Pivot session around it. Implemented in src/pivot, faked in unit tests. */
export interface TwimlHost {
  readonly call: Call;
  readonly accountId: string;
  /**
   * URL of the document being executed, without the parameters Pivot added to it. Enqueue points it at a wait
   * document while that runs, so relative URLs and default actions there resolve against the wait document.
   */
  documentUrl: string;
  /**
   * Resolve a relative URL against `documentUrl` (RFC 3986). A reference that can't be resolved comes back as
   * written, so the request made with it fails visibly in the session (debug record, `_` child).
   */
  resolveUrl(ref: string): string;
  /** The URL policy's verdict on a URL Pivot is about to fetch or hand to the media layer; a message when denied. */
  checkUrl(url: string): Promise<string | undefined>;
  /** `<Set><Variable>` and `<Redirect><Variable>`: sent as parameters on every later request of the session. */
  setUserVar(key: string, value: string): void;
  /** Record what a verb did (debug records and Live Debug). */
  trace(verb: string, detail: Record<string, unknown>): void;
  /** Report a problem found while running (bad media URL…) without stopping the document. */
  warn(error: TwimlError): void;
  /** Keep a recording (and upload it when `uploadUrl` is given); returns the URL and sid the app is told. */
  saveRecording(file: RecordingFile, opts?: { uploadUrl?: string }): Promise<{ url: string; sid: string }>;
  /** A non-controlling callback (statusCallback, recordingStatusCallback): sent in the background, body ignored. */
  callback(url: string, method: HttpMethod, params: Record<string, unknown>): void;
  /** `<Client>` identity → the account's device or user endpoints (empty when unknown). */
  resolveClient(identity: string): Promise<Endpoint[]>;
  /** Kazoo `<User>` / `<Device>` ids → endpoints (empty when unknown). */
  resolveUser(userId: string): Promise<Endpoint[]>;
  resolveDevice(deviceId: string): Promise<Endpoint[]>;
  /** Fetch and check a TwiML document (Enqueue `waitUrl`); standard parameters plus `params` are sent. */
  fetchTwiml(
    url: string,
    method: HttpMethod,
    params: Record<string, unknown>,
  ): Promise<{ ok: true; program: CompiledVerb[]; url: string } | { ok: false; error: TwimlError }>;
  /** Named queues of the account (Enqueue, Dial Queue, Leave). */
  readonly queues: QueueManager;
}

export interface VerbContext {
  host: TwimlHost;
  call: Call;
  /** Set while running nested documents that can be interrupted (Enqueue wait music). */
  signal?: AbortSignal;
  /** True while an Enqueue wait document runs: <Leave> leaves the queue. */
  inQueueWait?: boolean;
  /** Run compiled verbs in order (Gather's nested Say/Play/Pause, Enqueue wait documents). */
  runVerbs(verbs: CompiledVerb[], ctx: VerbContext): Promise<VerbOutcome>;
}

export interface TwimlVerb<O = unknown> {
  name: string;
  /** Read and check attributes, text and children. Errors go to `p`; the returned options are what `run` gets. */
  parse(el: XmlElement, p: AttributeReader): O;
  run(opts: O, ctx: VerbContext): Promise<VerbOutcome>;
}

/** A verb element checked and ready to run. */
export interface CompiledVerb<O = unknown> {
  verb: TwimlVerb<O>;
  element: XmlElement;
  options: O;
}
