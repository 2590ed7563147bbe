// Document types and repository interfaces. Every repository is async so a PostgreSQL implementation can
// satisfy the same interfaces; callers never see SQL or rows.

/** Kazoo documents are open: any field the store does not know about is kept as is. */
export interface Extensible {
  [key: string]: unknown;
}

/** Fields the store owns on every document. Timestamps are milliseconds since the epoch. */
export interface Meta {
  id: string;
  created: number;
  modified: number;
}

/** A stored per-account document. */
export type Stored<F> = F & Meta & { account_id: string };

/** Input to `create`: the fields, optionally with a caller-chosen id or creation time (imports, tests). */
export type NewDoc<F> = F & { id?: string; created?: number };

/** A JSON merge patch (RFC 7396): nested objects merge, `null` removes a field, arrays are replaced. */
export type Patch<F> = { [K in keyof F]?: F[K] | null };

export interface ListOptions {
  /** Page size; all matching documents when absent. */
  limit?: number;
  /** Opaque key from a previous page's `nextStartKey`; that item is the first of this page. */
  startKey?: string;
  /** Inclusive bounds on `created` (ms). */
  createdFrom?: number;
  createdTo?: number;
  /** Field equality (dotted paths allowed, e.g. `sip.username`); for arrays, membership. */
  filter?: Record<string, string>;
}

export interface Page<T> {
  items: T[];
  nextStartKey?: string;
}

// ---- accounts ------------------------------------------------------------------------------------------

export interface AccountFields extends Extensible {
  name: string;
  realm: string;
  parent_id?: string;
  enabled?: boolean;
  signing_key?: string;
  timezone?: string;
  language?: string;
  caller_id?: Record<string, { number?: string; name?: string }>;
}

export type AccountDoc = AccountFields &
  Meta & {
    /** Ancestor ids, root first; empty for a root account. */
    tree: string[];
    enabled: boolean;
    signing_key: string;
  };

export interface AccountRepo {
  /** Creates a root account, or a sub-account when `parent_id` is set. Generates `signing_key` when absent. */
  create(doc: NewDoc<AccountFields>): Promise<AccountDoc>;
  get(id: string): Promise<AccountDoc | undefined>;
  /** Merges; `parent_id` and `tree` cannot change here. */
  update(id: string, patch: Patch<AccountFields>): Promise<AccountDoc>;
  /** Deletes the account and everything it owns; refuses (ConflictError `children`) while it has sub-accounts. */
  delete(id: string): Promise<void>;
  findByName(name: string): Promise<AccountDoc | undefined>;
  findByRealm(realm: string): Promise<AccountDoc | undefined>;
  children(id: string): Promise<AccountDoc[]>;
  /** All accounts below `id`, at any depth, parents before their children. */
  descendants(id: string): Promise<AccountDoc[]>;
  /** True when `ancestorId` is a strict ancestor of `id`. */
  isDescendant(ancestorId: string, id: string): Promise<boolean>;
}

// ---- per-account documents -----------------------------------------------------------------------------

export interface DocRepo<F> {
  create(accountId: string, doc: NewDoc<F>): Promise<Stored<F>>;
  /** Undefined when missing or owned by another account. */
  get(accountId: string, id: string): Promise<Stored<F> | undefined>;
  /** Merge patch (a full document works too); bumps `modified`. */
  update(accountId: string, id: string, patch: Patch<F>): Promise<Stored<F>>;
  /** Replaces every field except id, account_id and created. */
  replace(accountId: string, id: string, doc: F): Promise<Stored<F>>;
  delete(accountId: string, id: string): Promise<void>;
  /** Ordered by created, then id. */
  list(accountId: string, opts?: ListOptions): Promise<Page<Stored<F>>>;
}

export interface UserFields extends Extensible {
  username?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  priv_level?: 'admin' | 'user';
  enabled?: boolean;
}
export type UserDoc = Stored<UserFields>;

export interface UserRepo extends DocRepo<UserFields> {
  /** Case-insensitive; usernames are unique within an account (ConflictError `username`). */
  findByUsername(accountId: string, username: string): Promise<UserDoc | undefined>;
}

export interface DeviceFields extends Extensible {
  name?: string;
  device_type?: string;
  owner_id?: string;
  enabled?: boolean;
  sip?: { username?: string; password?: string; [key: string]: unknown };
}
export type DeviceDoc = Stored<DeviceFields>;

export interface DeviceRepo extends DocRepo<DeviceFields> {
  /** `sip.username` is unique within an account (ConflictError `sip.username`). */
  findBySipUsername(accountId: string, username: string): Promise<DeviceDoc | undefined>;
  listByOwner(accountId: string, ownerId: string): Promise<DeviceDoc[]>;
}

export interface CallflowNode {
  module: string;
  data?: Record<string, unknown>;
  children?: Record<string, CallflowNode>;
}

export interface CallflowFields extends Extensible {
  name?: string;
  /** Numbers and extensions; each unique within the account (ConflictError `numbers`). */
  numbers?: string[];
  /** Regular expressions matched against dialled numbers. */
  patterns?: string[];
  flow?: CallflowNode;
}
export type CallflowDoc = Stored<CallflowFields>;

export interface CallflowRepo extends DocRepo<CallflowFields> {
  findByNumber(accountId: string, number: string): Promise<CallflowDoc | undefined>;
  /** Callflows with at least one pattern, ordered by created. */
  listWithPatterns(accountId: string): Promise<CallflowDoc[]>;
}

export interface VmboxFields extends Extensible {
  mailbox: string;
  name?: string;
  owner_id?: string;
  pin?: string;
}
export type VmboxDoc = Stored<VmboxFields>;

export interface VmboxRepo extends DocRepo<VmboxFields> {
  /** Mailbox numbers are unique within an account (ConflictError `mailbox`). */
  findByMailbox(accountId: string, mailbox: string): Promise<VmboxDoc | undefined>;
}

export interface MediaFields extends Extensible {
  name: string;
  media_source: 'upload' | 'tts' | 'recording';
  content_type?: string;
  /** File under the data dir. */
  path?: string;
  tts?: { text: string; voice?: string; language?: string };
}
export type MediaDoc = Stored<MediaFields>;

/** Menus, temporal rules, conferences and resources (carrier trunks) need no indexed fields. */
export interface NamedFields extends Extensible {
  name?: string;
}

// ---- phone numbers -------------------------------------------------------------------------------------

export type NumberState = 'in_service' | 'reserved';

export interface PhoneNumberFields extends Extensible {
  state?: NumberState;
}

export type PhoneNumberDoc = PhoneNumberFields & {
  number: string;
  account_id: string;
  state: NumberState;
  created: number;
  modified: number;
};

/** E.164 numbers, unique system-wide. Callers normalise numbers before they reach the store. */
export interface PhoneNumberRepo {
  /** Adds the number to the account (or merges `doc` when it already has it); ConflictError `number` otherwise. */
  assign(accountId: string, number: string, doc?: PhoneNumberFields): Promise<PhoneNumberDoc>;
  get(number: string): Promise<PhoneNumberDoc | undefined>;
  getForAccount(accountId: string, number: string): Promise<PhoneNumberDoc | undefined>;
  list(accountId: string): Promise<PhoneNumberDoc[]>;
  release(accountId: string, number: string): Promise<void>;
}

// ---- pivot debug ---------------------------------------------------------------------------------------

export type PivotDebugKind = 'request' | 'response' | 'error' | 'execution' | 'cdr_request' | 'cdr_response';

export interface PivotDebugError {
  code?: string | number;
  message: string;
  line?: number;
  column?: number;
  /** What failed, e.g. `schema`, `json`, `xml`, `http`, `timeout`; `schema` and `json` set the summary flags. */
  type?: string;
}

export interface PivotDebugInput extends Extensible {
  id?: string;
  created?: number;
  call_id: string;
  iteration: number;
  kind: PivotDebugKind;
  uri?: string;
  method?: string;
  req_headers?: Record<string, string>;
  req_body?: string;
  resp_status_code?: number;
  resp_headers?: Record<string, string>;
  resp_body?: string;
  duration_ms?: number;
  error?: PivotDebugError;
  schema_errors?: unknown;
  json_errors?: unknown;
  node?: string;
  /** The call's caller and the number or extension it dialled (on a session's first record). */
  from_number?: string;
  to_number?: string;
  /** The callflow (the Pivot Callflow Action) the call ran, when known (on a session's first record). */
  callflow_id?: string;
  callflow_name?: string;
  /** A request's timeout (replays use it). */
  timeout_ms?: number;
  /** An `execution` record: the TwiML verb or callflow module, and what it did. */
  verb?: string;
  detail?: Record<string, unknown>;
}

export type PivotDebugRecord = PivotDebugInput & { id: string; account_id: string; created: number };

/** One line of the Live Debug call list. */
export interface PivotCallSummary {
  call_id: string;
  /** First record's time. */
  created: number;
  /** `YYYYMM-<call_id>` (UTC month of `created`), Kazoo's debug id form. */
  debug_id: string;
  /** URI of the first request. */
  uri?: string;
  /** Status code of the first response. */
  status_code?: number;
  node?: string;
  /** Lowest and highest iteration seen. */
  iteration: number;
  iterations: number;
  /** Sum of the records' `duration_ms`. */
  duration_ms: number;
  has_schema_errors: boolean;
  has_json_errors: boolean;
  /** Any `error` record (warnings and failed status callbacks included). */
  has_errors: boolean;
  /** Time of the latest record. */
  last_created: number;
  /** Caller (caller id number, else SIP user) and the number or extension dialled. */
  from_number?: string;
  to_number?: string;
  /** The Pivot Callflow Action (callflow) the call ran. */
  callflow_id?: string;
  callflow_name?: string;
  /** Status code of the latest webhook response. */
  last_status_code?: number;
  /** The first error that stopped a request (not a warning): Twilio-style code, kind and message. */
  error_code?: number;
  error_type?: string;
  error_message?: string;
  /** A warning (or a failed status callback) was recorded. */
  has_warnings: boolean;
  /** What became of the call's requests, from the first error: see {@link PivotDebugResult}. */
  result: PivotDebugResult;
}

/**
 * `ok`; `warning` (ran, with warnings); `http_error` (no usable answer: connection, DNS, URL policy, non-2xx, empty
 * body, too large — 11100/11200/11205/11206/11210/11215/11220/1123x/11750/11770); `timeout`; `invalid_xml` and
 * `invalid_json` (12100, with line and column); `schema_error` (12200 and TwiML verb errors); `runtime_error`
 * (12400: the document failed while it ran).
 */
export type PivotDebugResult =
  'ok' | 'warning' | 'http_error' | 'timeout' | 'invalid_xml' | 'invalid_json' | 'schema_error' | 'runtime_error';

export interface PivotDebugListOptions {
  createdFrom?: number;
  createdTo?: number;
  limit?: number;
  startKey?: string;
}

export interface PivotDebugRepo {
  add(accountId: string, record: PivotDebugInput): Promise<PivotDebugRecord>;
  /** One summary per call, newest first. */
  listCalls(accountId: string, opts?: PivotDebugListOptions): Promise<Page<PivotCallSummary>>;
  /** Every record of the call, oldest first; accepts a plain call id or `YYYYMM-<call_id>`. */
  forCall(accountId: string, callIdOrDebugId: string): Promise<PivotDebugRecord[]>;
  /** Deletes calls whose latest record is older than `cutoff` (epoch ms); returns the records deleted. */
  purgeOlderThan(cutoff: number): Promise<number>;
}

// ---- call records --------------------------------------------------------------------------------------

export interface CdrFields extends Extensible {
  call_id: string;
}
export type CdrDoc = Stored<CdrFields>;

export interface CdrRepo {
  add(accountId: string, doc: NewDoc<CdrFields>): Promise<CdrDoc>;
  get(accountId: string, id: string): Promise<CdrDoc | undefined>;
  list(accountId: string, opts?: ListOptions): Promise<Page<CdrDoc>>;
  forCall(accountId: string, callId: string): Promise<CdrDoc[]>;
}

export interface RecordingFields extends Extensible {
  call_id: string;
  path: string;
  content_type: string;
  duration_ms: number;
  size_bytes: number;
}
export type RecordingDoc = Stored<RecordingFields>;

/** Rows only: the caller owns the audio files (deleting a row does not delete `path`). */
export interface RecordingRepo {
  add(accountId: string, doc: NewDoc<RecordingFields>): Promise<RecordingDoc>;
  get(accountId: string, id: string): Promise<RecordingDoc | undefined>;
  list(accountId: string, opts?: ListOptions): Promise<Page<RecordingDoc>>;
  delete(accountId: string, id: string): Promise<void>;
}

export type VoicemailFolder = 'new' | 'saved' | 'deleted';

export interface VoicemailMessageFields extends Extensible {
  vmbox_id: string;
  folder?: VoicemailFolder;
  caller_id_number?: string;
  caller_id_name?: string;
  duration_ms?: number;
  media_id?: string;
  path?: string;
}
export type VoicemailMessageDoc = Stored<VoicemailMessageFields> & { folder: VoicemailFolder };

export interface VoicemailMessageRepo {
  /** The vmbox must belong to the account (NotFoundError otherwise); folder defaults to `new`. */
  add(accountId: string, doc: NewDoc<VoicemailMessageFields>): Promise<VoicemailMessageDoc>;
  get(accountId: string, id: string): Promise<VoicemailMessageDoc | undefined>;
  /** Oldest first. */
  listForBox(accountId: string, vmboxId: string, folder?: VoicemailFolder): Promise<VoicemailMessageDoc[]>;
  setFolder(accountId: string, id: string, folder: VoicemailFolder): Promise<VoicemailMessageDoc>;
  delete(accountId: string, id: string): Promise<void>;
}

// ---- API sessions ----------------------------------------------------------------------------------------

/** An API token, stored by the SHA-256 of its value (the value itself is only ever in the client's hands). */
export interface AuthTokenRecord {
  /** SHA-256 (hex) of the token. */
  id: string;
  account_id: string;
  user_id?: string;
  priv_level: 'admin' | 'user';
  method: 'user_auth' | 'api_auth';
  created: number;
  expires: number;
}

export interface AuthTokenRepo {
  add(record: AuthTokenRecord): Promise<void>;
  get(id: string): Promise<AuthTokenRecord | undefined>;
  delete(id: string): Promise<void>;
  /** Deletes every token of a user (password changed, user deleted). */
  deleteForUser(accountId: string, userId: string): Promise<number>;
  purgeExpired(now: number): Promise<number>;
}

/** One API key per account, stored by its SHA-256. */
export interface ApiKeyRepo {
  /** Sets (or replaces) the account's key. */
  set(accountId: string, keyHash: string): Promise<void>;
  /** The account whose key hashes to `keyHash`. */
  accountFor(keyHash: string): Promise<string | undefined>;
  /** When the account's key was set, if it has one. */
  createdFor(accountId: string): Promise<number | undefined>;
}

// ---- the store -----------------------------------------------------------------------------------------

export interface Store {
  accounts: AccountRepo;
  users: UserRepo;
  devices: DeviceRepo;
  callflows: CallflowRepo;
  menus: DocRepo<NamedFields>;
  temporalRules: DocRepo<NamedFields>;
  media: DocRepo<MediaFields>;
  vmboxes: VmboxRepo;
  conferences: DocRepo<NamedFields>;
  resources: DocRepo<NamedFields>;
  phoneNumbers: PhoneNumberRepo;
  pivotDebug: PivotDebugRepo;
  cdrs: CdrRepo;
  recordings: RecordingRepo;
  voicemailMessages: VoicemailMessageRepo;
  authTokens: AuthTokenRepo;
  apiKeys: ApiKeyRepo;
  /** Highest applied migration version. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
