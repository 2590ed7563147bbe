// The `Call` interface: one leg of a call and the primitives every interpreter (TwiML, Kazoo callflows) uses.
// Real SIP/RTP legs and the scripted in-memory leg used by unit tests both implement it, so interpreters never
// know which one they drive.

export type CallState = 'ringing' | 'early' | 'answered' | 'bridged' | 'ended';
export type CallDirection = 'inbound' | 'outbound-api' | 'outbound-dial';

/** A SIP identity split the way Kazoo sends it: `user@realm`. */
export interface SipIdentity {
  user: string;
  realm: string;
  displayName?: string;
}

export interface CallerId {
  name?: string;
  number?: string;
}

/** Kazoo-style hangup causes; SIP codes map onto them (see `causeFromSipCode`). */
export type HangupCause =
  | 'NORMAL_CLEARING'
  | 'ORIGINATOR_CANCEL'
  | 'USER_BUSY'
  | 'NO_ANSWER'
  | 'CALL_REJECTED'
  | 'UNALLOCATED_NUMBER'
  | 'NO_ROUTE_DESTINATION'
  | 'NORMAL_TEMPORARY_FAILURE'
  | 'DESTINATION_OUT_OF_ORDER'
  | 'INCOMPATIBLE_DESTINATION'
  | 'RECOVERY_ON_TIMER_EXPIRE'
  | 'ALLOTTED_TIMEOUT'
  | 'MEDIA_TIMEOUT'
  | 'SYSTEM_SHUTDOWN';

export type ToneName = 'beep' | 'ringback' | 'busy' | 'congestion';

/**
 * What `play` can play. Fetching is the implementation's job: `url` through the URL policy (the fetcher is
 * injected, so every connection and redirect is checked), `media` as a document of the call's own account.
 */
export type MediaSource =
  | { kind: 'media'; id: string }
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tone'; tone: ToneName | { frequencies: number[]; onMs: number; offMs: number; repeat?: number } }
  | { kind: 'digits'; digits: string }
  | { kind: 'silence'; ms: number };

/** Every blocking primitive can be cut short by an AbortSignal; it then resolves with reason `aborted`. */
export interface Interruptible {
  signal?: AbortSignal;
}

export interface PlayOptions extends Interruptible {
  /** Times to play; 0 repeats until hangup, a terminator or abort. Default 1. */
  loop?: number;
  /** DTMF keys that stop playback. The key pressed stays in the DTMF buffer for a following `collect`. */
  terminators?: string;
}

export interface SayOptions extends PlayOptions {
  voice?: string;
  language?: string;
  engine?: string;
}

export type PlayEnd = 'done' | 'dtmf' | 'hangup' | 'aborted' | 'error';

export interface PlayResult {
  reason: PlayEnd;
  digit?: string;
  /** A human-readable cause when reason is `error` (missing media, TTS failure, URL denied…). */
  error?: string;
}

export interface SpeechOptions {
  language?: string;
  hints?: string[];
  /** Silence after speech that ends recognition; `auto` lets the engine decide. */
  speechTimeoutMs?: number | 'auto';
  maxSpeechMs?: number;
  model?: string;
}

export interface CollectOptions extends Interruptible {
  /** Stop after this many digits (Infinity for no limit). */
  maxDigits: number;
  /** Wait for the first digit. */
  timeoutMs: number;
  /** Wait between digits; defaults to timeoutMs. */
  interdigitMs?: number;
  /** Keys that end collection; they are not part of the digits returned. */
  terminators?: string;
  /** Listen for DTMF (default true). */
  dtmf?: boolean;
  /** Also listen for speech through the configured ASR provider. */
  speech?: SpeechOptions;
}

export interface CollectResult {
  digits: string;
  reason: 'max_digits' | 'terminator' | 'timeout' | 'speech' | 'hangup' | 'aborted' | 'error';
  terminator?: string;
  speech?: { text: string; confidence: number };
  error?: string;
}

export interface RecordOptions extends Interruptible {
  /** Milliseconds of silence that end the recording; 0 disables. */
  silenceTimeoutMs: number;
  maxLengthMs: number;
  beep?: boolean;
  /** Keys that end the recording. */
  terminators?: string;
  trimSilence?: boolean;
  format?: 'wav' | 'mp3';
}

export interface RecordingFile {
  id: string;
  path: string;
  contentType: string;
  durationMs: number;
  sizeBytes: number;
}

export interface RecordResult {
  reason: 'silence' | 'terminator' | 'max_length' | 'hangup' | 'aborted' | 'error';
  terminator?: string;
  durationMs: number;
  recording?: RecordingFile;
  error?: string;
}

/** A background recording of the whole call (record_call, Dial record). */
export interface BackgroundRecordingOptions {
  /** `caller` records what the caller says; `both` mixes (or, with `dual`, splits) both directions. */
  legs: 'caller' | 'both';
  channels?: 'mono' | 'dual';
  maxLengthMs?: number;
  format?: 'wav' | 'mp3';
}

export interface RecordingHandle {
  readonly id: string;
  stop(): Promise<RecordingFile | undefined>;
}

/** Where a dial goes. Resolution of users, ring groups and callflow data into endpoints happens above `call/`. */
export type Endpoint = EndpointCommon &
  (
    | { type: 'device'; deviceId: string; name?: string }
    | { type: 'sip'; uri: string; username?: string; password?: string }
    | { type: 'number'; number: string; resourceId?: string }
  );

export interface EndpointCommon {
  /** Ring this endpoint only after a delay (ring groups). */
  delayMs?: number;
  /** Per-endpoint ring timeout. */
  timeoutMs?: number;
  callerId?: CallerId;
  /** DTMF sent to the callee after it answers (`w` = 0.5 s pause, `W` = 1 s). */
  sendDigits?: string;
  headers?: Record<string, string>;
  /** Free-form tag echoed back in events (e.g. the TwiML noun index). */
  tag?: string;
}

export type DialLegStatus = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface DialEvent {
  status: DialLegStatus;
  endpoint: Endpoint;
  legId: string;
  /** Final outcome of this leg, on `completed`. */
  outcome?: DialStatus;
  sipCode?: number;
  durationMs?: number;
}

export type DialStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface DialOptions extends Interruptible {
  endpoints: Endpoint[];
  strategy: 'simultaneous' | 'single';
  /** Ring timeout for the whole dial (single: per endpoint unless the endpoint says otherwise). */
  timeoutMs: number;
  callerId?: CallerId;
  /** Keep the caller unanswered (ringing) until the callee answers. */
  answerOnBridge?: boolean;
  /** What the caller hears while the callee rings: early media from the callee, a ringback tone, or nothing. */
  ringback?: 'early-media' | 'tone' | 'none' | MediaSource;
  /** Country-specific ringback cadence (TwiML ringTone). */
  ringTone?: string;
  timeLimitMs?: number;
  /** A caller DTMF key that drops the callee and returns from the dial (TwiML hangupOnStar → `*`). */
  hangupOnKey?: string;
  /** Record the bridged call. */
  record?: BackgroundRecordingOptions & { fromRinging?: boolean };
  /** Collect the caller's DTMF during the bridge (Kazoo collect_dtmf). */
  collectDigits?: boolean;
  /** Simultaneous dials end as soon as one endpoint rejects (busy/decline) instead of waiting for the others. */
  failOnSingleReject?: boolean;
  onEvent?: (event: DialEvent) => void;
}

export interface DialResult {
  status: DialStatus;
  /** The legs were actually connected. */
  bridged: boolean;
  legId?: string;
  answeredEndpoint?: Endpoint;
  /** Bridged talk time. */
  durationMs: number;
  sipCode?: number;
  cause?: HangupCause;
  /** Who ended a bridged call. */
  endedBy?: 'caller' | 'callee' | 'time_limit' | 'hangup_key' | 'aborted';
  digits?: string;
  recording?: RecordingFile;
}

export interface ConferenceOptions extends Interruptible {
  /** Room id, already namespaced by account by the caller of this primitive. */
  room: string;
  moderator?: boolean;
  muted?: boolean;
  deaf?: boolean;
  entryTone?: boolean;
  exitTone?: boolean;
  /** Start the conference when this participant enters (else wait for one who does). */
  startOnEnter?: boolean;
  endOnExit?: boolean;
  waitMusic?: MediaSource;
  maxParticipants?: number;
  record?: boolean;
  /** A DTMF key that leaves the conference. */
  hangupOnKey?: string;
  /** Leave the conference after this long. */
  timeLimitMs?: number;
  onEvent?: (event: { type: 'join' | 'leave' | 'start' | 'end'; room: string; participants: number }) => void;
}

export interface ConferenceResult {
  reason: 'hangup' | 'ended' | 'full' | 'left' | 'aborted';
  durationMs: number;
  recording?: RecordingFile;
}

export interface BridgeOptions extends Interruptible {
  timeLimitMs?: number;
  hangupOnKey?: string;
}

export interface BridgeResult {
  endedBy: 'caller' | 'callee' | 'time_limit' | 'hangup_key' | 'aborted';
  durationMs: number;
}

/** What a call used, filled in as it goes; its CDR is written from this at hangup. */
export interface CallUsage {
  /** Pivot requests made for this call. */
  pivotIterations: number;
  /** Recordings kept (ids of `recordings` rows). */
  recordingIds: string[];
  /** Legs this call was bridged with. */
  bridgedWith: string[];
  /** The call that placed this one (a Dial's caller), for an outbound-dial leg. */
  parentCallId?: string;
}

export interface CallEvents {
  state: (state: CallState) => void;
  dtmf: (digit: string) => void;
  hangup: (cause: HangupCause, sipCode?: number) => void;
}

/**
 * One call leg. Primitives resolve (never reject) when the call ends under them: results carry reason `hangup`,
 * and a primitive started on an ended call resolves at once. Drivers check `state === 'ended'` between steps.
 */
export interface Call {
  readonly id: string;
  readonly accountId: string;
  readonly direction: CallDirection;
  readonly state: CallState;
  readonly from: SipIdentity;
  readonly to: SipIdentity;
  /** The Request-URI of the INVITE (the number dialled). */
  readonly request: SipIdentity;
  /** Caller ID presented to the application and to dialled legs (set_cid, prepend_cid change it). */
  callerId: CallerId;
  calleeId: CallerId;
  language: string;
  /**
   * Custom channel variables (set_variable, branch_variable). The routing layer sets `device_id` and `owner_id`
   * for calls from a registered device of the account, `forwarded_from` and `parent_call_id` when known.
   */
  readonly vars: Map<string, string>;
  /** Custom application variables (set_variables) sent to Pivot as Custom-Application-Vars. */
  readonly appVars: Map<string, string>;
  /** Named DTMF collections filled by collect_dtmf (`default` unless named). */
  readonly dtmfCollections: Map<string, string>;
  /** X- headers of the INVITE, sent to Pivot as Custom-SIP-Headers. */
  readonly sipHeaders: Record<string, string>;
  readonly usage: CallUsage;
  readonly startedAt: number;
  readonly answeredAt?: number;
  readonly endedAt?: number;
  readonly hangupCause?: HangupCause;
  readonly hangupSipCode?: number;

  /** Digits received and not yet consumed by `collect`. */
  readonly dtmfBuffer: string;
  flushDtmf(): string;

  /** Answer. An answer that fails (no ACK, transport error) ends the call (`state` becomes `ended`). */
  answer(): Promise<void>;
  /** Signal ringing (180), or early media (183: what is played before the answer reaches the caller). */
  ring(opts?: { earlyMedia?: boolean }): Promise<void>;
  play(source: MediaSource, opts?: PlayOptions): Promise<PlayResult>;
  say(text: string, opts?: SayOptions): Promise<PlayResult>;
  /** Keep the line for `ms` (Infinity: until aborted or hangup) without sending anything. */
  wait(ms: number, opts?: Interruptible): Promise<'done' | 'hangup' | 'aborted'>;
  collect(opts: CollectOptions): Promise<CollectResult>;
  record(opts: RecordOptions): Promise<RecordResult>;
  startRecording(opts: BackgroundRecordingOptions): Promise<RecordingHandle>;
  dial(opts: DialOptions): Promise<DialResult>;
  conference(opts: ConferenceOptions): Promise<ConferenceResult>;
  /**
   * Connect this leg to another existing leg (queues) until one side ends. A primitive running on `other` when
   * the bridge starts is ended with `aborted`; `other`'s driver waits (e.g. `wait(Infinity, {signal})`) until the
   * bridge is over.
   */
  bridgeWith(other: Call, opts?: BridgeOptions): Promise<BridgeResult>;
  sendDtmf(digits: string, opts?: { durationMs?: number }): Promise<void>;
  /** Refuse an unanswered call with a SIP status (486 busy, 603 decline, 503…). */
  reject(sipCode: number, reason?: string): Promise<void>;
  hangup(cause?: HangupCause): Promise<void>;
  /**
   * Stop what the running flow does, keeping the call up for another flow (transfer, redirect): primitives in
   * progress end as on a hangup, and until `resume()` the flow sees the call as ended and cannot hang it up.
   */
  interrupt?(): void;
  resume?(): void;

  on<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this;
  off<E extends keyof CallEvents>(event: E, listener: CallEvents[E]): this;
}

const SIP_CAUSES: Record<number, HangupCause> = {
  404: 'UNALLOCATED_NUMBER',
  408: 'RECOVERY_ON_TIMER_EXPIRE',
  480: 'NO_ANSWER',
  486: 'USER_BUSY',
  487: 'ORIGINATOR_CANCEL',
  488: 'INCOMPATIBLE_DESTINATION',
  600: 'USER_BUSY',
  603: 'CALL_REJECTED',
  502: 'DESTINATION_OUT_OF_ORDER',
  503: 'NORMAL_TEMPORARY_FAILURE',
};

export function causeFromSipCode(code: number): HangupCause {
  return SIP_CAUSES[code] ?? (code >= 200 && code < 300 ? 'NORMAL_CLEARING' : 'NORMAL_TEMPORARY_FAILURE');
}

const CAUSE_SIP_CODES: Partial<Record<HangupCause, number>> = {
  USER_BUSY: 486,
  NO_ANSWER: 480,
  CALL_REJECTED: 603,
  UNALLOCATED_NUMBER: 404,
  NO_ROUTE_DESTINATION: 404,
  INCOMPATIBLE_DESTINATION: 488,
  DESTINATION_OUT_OF_ORDER: 502,
  NORMAL_TEMPORARY_FAILURE: 503,
  SYSTEM_SHUTDOWN: 503,
  RECOVERY_ON_TIMER_EXPIRE: 408,
  ORIGINATOR_CANCEL: 487,
};

/** The SIP status that refuses an unanswered call for a cause (480 when the cause names none). */
export function sipCodeFromCause(cause: HangupCause | undefined): number {
  return (cause && CAUSE_SIP_CODES[cause]) || 480;
}

/** Twilio CallStatus from a hangup cause (Kazoo's kzt_receiver:call_status mapping). */
export function statusFromCause(cause: HangupCause | undefined): 'completed' | 'busy' | 'no-answer' | 'failed' {
  switch (cause) {
    case undefined:
    case 'NORMAL_CLEARING':
    case 'ORIGINATOR_CANCEL':
      return 'completed';
    case 'NO_ANSWER':
      return 'no-answer';
    case 'USER_BUSY':
    case 'CALL_REJECTED':
      return 'busy';
    default:
      return 'failed';
  }
}

export const ALL_DTMF = '0123456789*#ABCD';
