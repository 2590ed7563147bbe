// Debug records of a Pivot session (spec §8): request, response, error and execution records per call and
// iteration. With `debug: true` everything is kept; without it, failures are still kept with the exchange that
// failed, because a developer whose call went silent needs to see why.
//
// A session's first record also says who called whom and which callflow (Pivot Callflow Action) ran, for the Live
// Debug list; requests carry their timeout, so a replay (`replayRequest`, POST …/pivot/debug/{call_id}/replay)
// sends the same request again under the same rules: URL policy, fresh signatures, the same timeout.

import { hostname } from 'node:os';
import { toE164 } from '../call/numbers.js';
import type { Call } from '../call/types.js';
import type { Logger, StepRecord } from '../callflow/types.js';
import { flowValidator, type FlowValidator } from '../callflow/validate.js';
import type { PivotDebugInput, PivotDebugRecord, Store } from '../store/types.js';
import { TwimlInterpreter } from '../twiml/interpreter.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  httpExchange,
  parseDocument,
  pivotSignature,
  twilioSignature,
  type HttpError,
  type UrlPolicy,
  type WebhookExchange,
} from './http/index.js';
import { decodeBody } from './http/client.js';

export interface DebugError {
  code?: number;
  message: string;
  line?: number;
  column?: number;
  /** `http`, `timeout`, `policy`, `dns`, `xml`, `json`, `schema`, `twiml`, `runtime`, `warning`, `callback`. */
  type: string;
}

const NODE = hostname();

/** The call as the recorder needs it. */
export type DebugCall = Pick<Call, 'id' | 'accountId' | 'from' | 'to' | 'request' | 'callerId' | 'vars' | 'usage'> & {
  readonly dtmfCollections?: ReadonlyMap<string, string>;
};

export interface DebugRecorderOptions {
  store: Store;
  call: DebugCall;
  /** The pivot node's `debug`: keep everything (else failures only). */
  enabled: boolean;
  log: Logger;
  /** Every record as it is stored (Live Debug events). */
  onRecord?: (record: PivotDebugRecord) => void;
  /** The node's request timeout, kept with each request for replays. */
  timeoutMs?: number;
}

/** Who called whom and the callflow that ran: on a session's first record. */
export interface CallContext {
  from_number?: string;
  to_number?: string;
  callflow_id?: string;
  callflow_name?: string;
}

/**
 * The caller, the number or extension dialled, and the callflow: the routing layer's `callflow_id` when it set one,
 * else the account's callflow listing the dialled number (as the router finds it).
 */
export async function callContext(store: Store, call: DebugCall): Promise<CallContext> {
  const from = call.callerId?.number || call.from.user || undefined;
  const to = call.request.user || call.to.user || undefined;
  const out: CallContext = { ...(from && { from_number: from }), ...(to && { to_number: to }) };
  try {
    const id = call.vars.get('callflow_id');
    let callflow = id ? await store.callflows.get(call.accountId, id) : undefined;
    if (!callflow && to) {
      callflow = await store.callflows.findByNumber(call.accountId, to);
      const e164 = toE164(to);
      if (!callflow && e164 && e164 !== to) callflow = await store.callflows.findByNumber(call.accountId, e164);
    }
    if (callflow) {
      out.callflow_id = callflow.id;
      if (typeof callflow.name === 'string' && callflow.name) out.callflow_name = callflow.name;
    }
  } catch {
    // the list line only misses the action's name
  }
  return out;
}

export class DebugRecorder {
  private readonly store: Store;
  private readonly call: DebugCall;
  private readonly enabled: boolean;
  private readonly log: Logger;
  private readonly onRecord?: (record: PivotDebugRecord) => void;
  private readonly timeoutMs?: number;
  /** Looked up once, written with the first record. */
  private context?: Promise<CallContext>;

  constructor(opts: DebugRecorderOptions) {
    this.store = opts.store;
    this.call = opts.call;
    this.enabled = opts.enabled;
    this.log = opts.log;
    this.onRecord = opts.onRecord;
    this.timeoutMs = opts.timeoutMs;
  }

  private async add(record: Partial<PivotDebugInput> & Pick<PivotDebugInput, 'kind' | 'iteration'>): Promise<void> {
    const first = !this.context;
    this.context ??= callContext(this.store, this.call);
    try {
      const context = first ? await this.context : {};
      const saved = await this.store.pivotDebug.add(this.call.accountId, {
        ...context,
        ...record,
        call_id: this.call.id,
        node: NODE,
      });
      this.onRecord?.(saved);
    } catch (err) {
      this.log.error({ call_id: this.call.id, err: String(err) }, 'could not store a pivot debug record');
    }
  }

  /** The request and response of one exchange; `failed` keeps it even when debug is off. */
  async exchange(iteration: number, x: WebhookExchange, failed: boolean, prefix: '' | 'cdr_' = ''): Promise<void> {
    if (!this.enabled && !failed) return;
    await this.add({
      kind: `${prefix}request` as 'request',
      iteration,
      uri: x.request.url,
      method: x.request.method.toLowerCase(),
      req_headers: x.request.headers,
      req_body: x.request.body ?? '',
      ...(x.request.redirects.length ? { redirects: x.request.redirects } : {}),
      ...(prefix === '' && this.timeoutMs !== undefined ? { timeout_ms: this.timeoutMs } : {}),
    });
    if (x.response) {
      await this.add({
        kind: `${prefix}response` as 'response',
        iteration,
        uri: x.request.url,
        resp_status_code: x.response.status,
        resp_headers: x.response.headers,
        resp_body: x.response.body,
        duration_ms: x.durationMs,
      });
    }
  }

  async error(iteration: number, error: DebugError, extra: Record<string, unknown> = {}): Promise<void> {
    const flags =
      error.type === 'schema'
        ? { schema_errors: extra.schema_errors ?? error.message }
        : error.type === 'json'
          ? { json_errors: { message: error.message, line: error.line, column: error.column } }
          : {};
    await this.add({ kind: 'error', iteration, error, ...flags, ...extra });
  }

  /** What a verb or module did (only with debug on). */
  async execution(iteration: number, what: string, detail: Record<string, unknown>): Promise<void> {
    if (!this.enabled) return;
    await this.add({ kind: 'execution', iteration, verb: what, detail });
  }

  /**
   * A callflow module of a Kazoo JSON answer ran (the executor reports each one): its data, where the flow went
   * next, its error, and what it left on the call (digits collected, recordings made).
   */
  async module(iteration: number, step: StepRecord, before: { recordings: number }): Promise<void> {
    await this.execution(iteration, step.module, moduleDetail(step, this.call, before));
  }
}

/** The execution detail of a callflow module. */
export function moduleDetail(
  step: StepRecord,
  call: Pick<DebugCall, 'usage' | 'dtmfCollections'>,
  before: { recordings: number },
): Record<string, unknown> {
  const o = step.outcome;
  const outcome = !o
    ? undefined
    : 'next' in o
      ? { next: Array.isArray(o.next) ? o.next : [o.next] }
      : 'stop' in o
        ? { stop: o.stop }
        : 'branch' in o
          ? { branch: o.branch.module }
          : { replace: o.replace.module };
  const digits = call.dtmfCollections?.size ? Object.fromEntries(call.dtmfCollections) : undefined;
  const recordings = call.usage.recordingIds.slice(before.recordings);
  return {
    type: 'module',
    data: step.data,
    ...(outcome && { outcome }),
    ...(step.error && { error: step.error }),
    ...(digits && { digits }),
    ...(recordings.length && { recordings }),
  };
}

// ---- replays --------------------------------------------------------------------------------------------------

/** Bounds of a replay's timeout (the pivot node's `req_timeout_ms` bounds). */
const REPLAY_TIMEOUT = { default: 5000, min: 100, max: 30_000 };

/** Headers a replay does not copy: computed again (signatures, framing) or not recorded (credentials). */
const NOT_REPLAYED = new Set([
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'x-twilio-signature',
  'x-pivot-signature',
  'authorization',
]);

export interface ReplayOptions {
  policy: UrlPolicy;
  /** The account's signing key now: the replay is signed afresh. */
  signingKey?: string;
  /** Default: the record's `timeout_ms`, else 5 s (bounded to 100 ms – 30 s). */
  timeoutMs?: number;
}

export interface ReplayResult {
  /** The record replayed. */
  id: string;
  iteration: number;
  replayed_at: number;
  request: { method: string; url: string; headers: Record<string, string>; body: string };
  response?: {
    status: number;
    headers: Record<string, string>;
    body: string;
    content_type?: string;
    duration_ms: number;
  };
  /** A transport failure, or what is wrong with the document returned (with line and column). */
  error?: DebugError;
  /** Whole exchange, policy checks and redirects included. */
  duration_ms: number;
  /** What the replay could not reproduce (a redacted Authorization header). */
  notes: string[];
}

let checker: { interpreter: TwimlInterpreter; validator: FlowValidator } | undefined;

/** What session.ts would have made of a response: undefined when the document is usable. */
export function documentError(response: { body: string; contentType?: string | null }): DebugError | undefined {
  const doc = parseDocument(response);
  if (doc.kind === 'error') {
    const type =
      doc.code === 12100 && doc.message.startsWith('invalid JSON') ? 'json' : doc.code === 11770 ? 'http' : 'xml';
    return { code: doc.code, message: doc.message, line: doc.line, column: doc.column, type };
  }
  checker ??= { interpreter: new TwimlInterpreter(), validator: flowValidator() };
  if (doc.kind === 'kazoo') {
    const checked = checker.validator.validate(doc.flow);
    if (checked.ok) return undefined;
    const first = checked.errors[0];
    return { code: 12200, message: `invalid callflow: ${first.path} ${first.message}`, type: 'schema' };
  }
  const first = checker.interpreter.compile(doc.root).errors[0];
  return first && { code: first.code, message: first.message, line: first.line, column: first.column, type: 'twiml' };
}

function transportError(e: HttpError): DebugError {
  const type = e.kind === 'timeout' || e.kind === 'policy' || e.kind === 'dns' ? e.kind : 'http';
  return { code: e.code, message: e.message, type };
}

/** Thrown when a record cannot be replayed (not a request). */
export class NotReplayable extends Error {}

/**
 * Sends a recorded request again, exactly (method, URL, headers, body), through Pivot's HTTP client: the URL policy
 * applies, signatures are computed afresh with `signingKey`, the timeout is the request's. Nothing is executed on
 * any call: the answer is returned, checked as a webhook document when the record was a webhook request.
 */
export async function replayRequest(record: PivotDebugRecord, opts: ReplayOptions): Promise<ReplayResult> {
  if (record.kind !== 'request' && record.kind !== 'cdr_request') {
    throw new NotReplayable(`record ${record.id} is a ${record.kind} record, not a request`);
  }
  const redirects = Array.isArray(record.redirects) ? (record.redirects as unknown[]).map(String) : [];
  // After redirects the record holds the last hop: start again from the first URL.
  const url = redirects[0] ?? String(record.uri ?? '');
  const method = String(record.method ?? 'get').toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'PUT') {
    throw new NotReplayable(`record ${record.id} has method ${method}, which Pivot does not send`);
  }
  const notes: string[] = [];
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(record.req_headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'authorization') notes.push('the Authorization header was redacted in the record and is not sent');
    if (!NOT_REPLAYED.has(name)) headers[k] = String(v);
  }
  const body = method === 'GET' || !record.req_body ? null : String(record.req_body);
  const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const form = body !== null && /application\/x-www-form-urlencoded/i.test(contentType) ? body : null;
  const params = form === null ? null : [...new URLSearchParams(form)];
  const key = opts.signingKey;
  const requested = opts.timeoutMs ?? (typeof record.timeout_ms === 'number' ? record.timeout_ms : undefined);
  const timeoutMs = Math.min(REPLAY_TIMEOUT.max, Math.max(REPLAY_TIMEOUT.min, requested ?? REPLAY_TIMEOUT.default));
  const webhook = record.kind === 'request';

  const replayedAt = Date.now();
  const x = await httpExchange(
    {
      url,
      method,
      headers,
      body,
      timeoutMs,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      isSuccess: webhook ? (s) => s === 200 || s === 206 : (s) => s >= 200 && s < 300,
      requireBody: webhook,
      sign: key
        ? ({ url: hopUrl, method: hopMethod, body: hopBody, first }) => ({
            'X-Twilio-Signature': twilioSignature(key, hopUrl, first ? params : null),
            'X-Pivot-Signature': pivotSignature(key, {
              method: hopMethod,
              url: hopUrl,
              body: typeof hopBody === 'string' ? hopBody : '',
            }),
          })
        : undefined,
    },
    { policy: opts.policy },
  );
  const out: ReplayResult = {
    id: record.id,
    iteration: record.iteration,
    replayed_at: replayedAt,
    request: {
      method: x.request.method,
      url: x.request.url,
      headers: x.request.headers,
      body: x.request.body ?? '',
    },
    duration_ms: x.durationMs,
    notes,
  };
  if (x.response) {
    const text = decodeBody(x.response.body, x.response.contentType);
    out.response = {
      status: x.response.status,
      headers: x.response.headers,
      body: text,
      ...(x.response.contentType ? { content_type: x.response.contentType } : {}),
      duration_ms: x.response.durationMs,
    };
    if (!x.error && webhook) {
      const bad = documentError({ body: text, contentType: x.response.contentType });
      if (bad) out.error = bad;
    }
  }
  if (x.error) out.error = transportError(x.error);
  return out;
}
