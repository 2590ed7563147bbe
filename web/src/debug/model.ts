// Live Debug's data, as the REST API gives it (src/api/pivot-debug.ts, src/store/pivot-debug.ts): one summary line per
// call, the call's records (requests, responses, errors, verbs and modules executed, CDR posts), their grouping into
// iterations, the result of a call or an iteration from its errors, what the Twilio-style error codes mean, the
// list's filters as they live in the URL, and how a live `pivot.debug` event updates a line before the server's
// own line arrives.

/** One line of GET /pivot/debug. */
export interface CallSummary {
  call_id: string;
  created: number;
  last_created?: number;
  debug_id: string;
  uri?: string;
  status_code?: number;
  last_status_code?: number;
  node?: string;
  iteration: number;
  iterations: number;
  duration_ms: number;
  has_schema_errors: boolean;
  has_json_errors: boolean;
  has_errors: boolean;
  has_warnings?: boolean;
  /** The caller, and the number or extension dialled. */
  from_number?: string;
  to_number?: string;
  callflow_id?: string;
  callflow_name?: string;
  error_code?: number;
  error_type?: string;
  error_message?: string;
  result?: Result;
  /** Set by live call events: the call is still up (true) or over (false). */
  live?: boolean;
}

export type RecordKind = 'request' | 'response' | 'error' | 'execution' | 'cdr_request' | 'cdr_response';

export interface DebugError {
  code?: number | string;
  message: string;
  line?: number;
  column?: number;
  type?: string;
}

/** One record of GET /pivot/debug/{call_id}. */
export interface DebugRecord {
  id: string;
  call_id: string;
  account_id: string;
  iteration: number;
  kind: RecordKind;
  created: number;
  debug_id?: string;
  uri?: string;
  method?: string;
  req_headers?: Record<string, string>;
  req_body?: string;
  redirects?: string[];
  timeout_ms?: number;
  resp_status_code?: number;
  resp_headers?: Record<string, string>;
  resp_body?: string;
  duration_ms?: number;
  error?: DebugError;
  schema_errors?: unknown;
  twiml_errors?: unknown;
  verb?: string;
  detail?: Record<string, unknown>;
  from_number?: string;
  to_number?: string;
  callflow_id?: string;
  callflow_name?: string;
  node?: string;
  [key: string]: unknown;
}

/** The answer of POST /pivot/debug/{call_id}/replay. */
export interface ReplayResult {
  id: string;
  call_id: string;
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
  error?: DebugError;
  duration_ms: number;
  notes: string[];
}

// ---- results ---------------------------------------------------------------------------------------------------

export type Result =
  'ok' | 'warning' | 'http_error' | 'timeout' | 'invalid_xml' | 'invalid_json' | 'schema_error' | 'runtime_error';

export const RESULTS: { value: Result; label: string; badge: string }[] = [
  { value: 'ok', label: 'OK', badge: 'badge-ok' },
  { value: 'warning', label: 'Warning', badge: 'badge-warn' },
  { value: 'http_error', label: 'HTTP error', badge: 'badge-bad' },
  { value: 'timeout', label: 'Timeout', badge: 'badge-bad' },
  { value: 'invalid_xml', label: 'Invalid XML', badge: 'badge-bad' },
  { value: 'invalid_json', label: 'Invalid JSON', badge: 'badge-bad' },
  { value: 'schema_error', label: 'Schema error', badge: 'badge-bad' },
  { value: 'runtime_error', label: 'Runtime error', badge: 'badge-bad' },
];

export function resultInfo(result: Result | undefined): { label: string; badge: string } {
  return RESULTS.find((r) => r.value === result) ?? { label: 'Pending', badge: '' };
}

/** Error types that do not stop a request (src/store/pivot-debug.ts SOFT_ERRORS). */
const SOFT = ['warning', 'callback'];

export function isSoftError(e: DebugError | undefined): boolean {
  return SOFT.includes(e?.type ?? '');
}

/** The result an error type gives (src/store/pivot-debug.ts resultOf). */
export function resultOfType(type: string | undefined): Result {
  switch (type) {
    case undefined:
      return 'ok';
    case 'warning':
    case 'callback':
      return 'warning';
    case 'timeout':
      return 'timeout';
    case 'xml':
      return 'invalid_xml';
    case 'json':
      return 'invalid_json';
    case 'schema':
    case 'twiml':
      return 'schema_error';
    case 'runtime':
      return 'runtime_error';
    default:
      return 'http_error';
  }
}

/** A failure, not ok or warning. */
export const isFailure = (r: Result | undefined): boolean => r !== undefined && r !== 'ok' && r !== 'warning';

// ---- error codes -----------------------------------------------------------------------------------------------

const CODES: Record<number, { title: string; text: string }> = {
  11100: {
    title: 'Invalid URL',
    text: 'The URL does not parse, is not http(s), or has no host. Check the action URL or the URL in the document.',
  },
  11200: {
    title: 'HTTP retrieval failure',
    text:
      'Pivot could not get a document: your server answered with a status other than 200, the URL policy refused ' +
      'the address, the request timed out, or the document redirected to itself too often.',
  },
  11205: {
    title: 'HTTP connection failure',
    text: 'The connection to your server was refused, reset or unreachable. Is the server running on that port?',
  },
  11206: { title: 'HTTP protocol violation', text: 'Your server answered with something that is not valid HTTP.' },
  11210: { title: 'HTTP bad host name', text: "The URL's host name does not resolve in DNS." },
  11215: { title: 'Too many redirects', text: 'The request was redirected more than 10 times.' },
  11220: { title: 'TLS handshake error', text: 'The HTTPS connection could not be set up (protocol or cipher).' },
  11235: { title: 'Certificate name mismatch', text: "The server's certificate is not valid for the host name." },
  11236: { title: 'Certificate expired', text: "The server's certificate has expired or is not yet valid." },
  11237: { title: 'Certificate not trusted', text: "The server's certificate is self-signed or its issuer unknown." },
  11750: { title: 'Response too large', text: 'The document is larger than 256 KB.' },
  11770: { title: 'Empty response', text: 'Your server answered 200 with an empty body: Pivot needs a document.' },
  12100: {
    title: 'Document parse failure',
    text: 'The body is not well-formed XML or JSON. The line and column say where the parser stopped.',
  },
  12102: { title: 'Invalid root element', text: 'A TwiML document must have <Response> as its root element.' },
  12200: {
    title: 'Schema validation error',
    text: 'The document parsed, but a verb, attribute or callflow module data is not valid. Nothing of it ran.',
  },
  12300: {
    title: 'Invalid Content-Type',
    text: 'The Content-Type is neither XML nor JSON and the body is neither TwiML nor a callflow.',
  },
  12400: {
    title: 'Internal failure',
    text: 'Something failed while the document ran (or a verb could not do its work: a warning says which).',
  },
  13420: { title: 'Play failure', text: 'A <Play> (or a prompt) could not be played: the media could not be fetched.' },
};

/** What a Twilio-style error code means, as a title and one or two sentences. */
export function explainCode(code: number | string | undefined): { title: string; text: string } | undefined {
  const n = Number(code);
  if (!Number.isInteger(n)) return undefined;
  if (CODES[n]) return CODES[n];
  const verb: Record<string, string> = {
    '132': 'Dial',
    '133': 'Gather',
    '134': 'Play',
    '136': 'Record',
    '139': 'Pause',
  };
  const name = verb[String(n).slice(0, 3)];
  if (n >= 13000 && n < 14000) {
    return {
      title: `${name ? `<${name}>` : 'TwiML verb'} attribute invalid`,
      text: `An attribute of ${name ? `<${name}>` : 'a verb'} has a value out of range or not understood.`,
    };
  }
  return undefined;
}

// ---- grouping ------------------------------------------------------------------------------------------------

export interface Iteration {
  /** Position in the call (1-based), unique even when a second pivot node starts counting again. */
  index: number;
  iteration: number;
  cdr: boolean;
  request?: DebugRecord;
  response?: DebugRecord;
  errors: DebugRecord[];
  executed: DebugRecord[];
}

/**
 * The call's records as iterations, in order: each request opens one (with its response, errors and the verbs or
 * modules it made run); records of an iteration without a request (a request loop stopped before sending) get one of
 * their own; CDR posts are iterations of their own.
 */
export function groupIterations(records: DebugRecord[]): Iteration[] {
  const out: Iteration[] = [];
  let current: Iteration | undefined;
  const open = (r: DebugRecord, cdr: boolean): Iteration => {
    current = { index: out.length + 1, iteration: r.iteration, cdr, errors: [], executed: [] };
    out.push(current);
    return current;
  };
  for (const r of records) {
    const cdr = r.kind === 'cdr_request' || r.kind === 'cdr_response';
    if (r.kind === 'request' || r.kind === 'cdr_request') {
      open(r, cdr).request = r;
      continue;
    }
    const it = current && current.iteration === r.iteration && current.cdr === cdr ? current : open(r, cdr);
    if (r.kind === 'response' || r.kind === 'cdr_response') it.response = r;
    else if (r.kind === 'error') it.errors.push(r);
    else it.executed.push(r);
  }
  return out;
}

/** An iteration's result from its errors (the first stopping one), or ok. */
export function iterationResult(it: Iteration): Result {
  const stop = it.errors.find((e) => !isSoftError(e.error));
  if (stop) return resultOfType(stop.error?.type ?? 'http');
  return it.errors.length ? 'warning' : 'ok';
}

/** The context a session's first record carries. */
export function callContext(
  records: DebugRecord[],
): Pick<CallSummary, 'from_number' | 'to_number' | 'callflow_id' | 'callflow_name'> {
  const first = records.find((r) => r.from_number || r.to_number || r.callflow_name);
  return {
    from_number: first?.from_number,
    to_number: first?.to_number,
    callflow_id: first?.callflow_id,
    callflow_name: first?.callflow_name,
  };
}

// ---- request parts -----------------------------------------------------------------------------------------

export function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

/** The parameters a request carried: its form body, its JSON body's fields, or (GET) its query string. */
export function requestParams(r: DebugRecord): [string, string][] {
  const type = headerValue(r.req_headers, 'content-type') ?? '';
  const body = r.req_body ?? '';
  if (body && /json/i.test(type)) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]);
      }
    } catch {
      return [];
    }
  }
  if (body && /x-www-form-urlencoded/i.test(type)) return [...new URLSearchParams(body)];
  try {
    return [...new URL(r.uri ?? '').searchParams];
  } catch {
    return [];
  }
}

/** A request's signature headers (Twilio's and Pivot's own). */
export const SIGNATURE_HEADERS = ['x-twilio-signature', 'x-pivot-signature'];

/** `https://app.example.com/voice?x=1` → `app.example.com/voice` (the list's short form). */
export function shortUrl(uri: string | undefined): string {
  if (!uri) return '';
  try {
    const u = new URL(uri);
    return `${u.host}${u.pathname}`;
  } catch {
    return uri;
  }
}

/** `a1b2c3d4e5…` → `a1b2c3d4…`: call ids are long. */
export function shortId(id: string, keep = 10): string {
  return id.length > keep + 1 ? `${id.slice(0, keep)}…` : id;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `1234` → `1.2 KB`. */
export function formatBytes(text: string | undefined): string {
  const n = new TextEncoder().encode(text ?? '').length;
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

// ---- filters -----------------------------------------------------------------------------------------------

export const TIME_PRESETS: { value: string; label: string; ms?: number }[] = [
  { value: '', label: 'Any time' },
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: 'custom', label: 'Between…' },
];

/** The list's filters; each lives in the URL's query (`?action=…&number=…&status=…&since=…&from=…&to=…`). */
export interface Filters {
  /** A callflow id. */
  action: string;
  number: string;
  /** A result, `error` (any failure), or '' for all. */
  status: string;
  /** A preset of TIME_PRESETS. */
  since: string;
  /** `datetime-local` values for `since=custom`. */
  from: string;
  to: string;
}

export const NO_FILTERS: Filters = { action: '', number: '', status: '', since: '', from: '', to: '' };

export function filtersOf(query: URLSearchParams): Filters {
  const get = (k: keyof Filters) => query.get(k) ?? '';
  return {
    action: get('action'),
    number: get('number'),
    status: get('status'),
    since: get('since'),
    from: get('from'),
    to: get('to'),
  };
}

export function queryOf(f: Filters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (!v) continue;
    if ((k === 'from' || k === 'to') && f.since !== 'custom') continue;
    q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const hasFilters = (f: Filters): boolean => queryOf(f) !== '';

/** The time window of the filters (ms since epoch), computed against `now`. */
export function timeWindow(f: Filters, now: number): { from?: number; to?: number } {
  const preset = TIME_PRESETS.find((p) => p.value === f.since);
  if (preset?.ms) return { from: now - preset.ms };
  if (f.since !== 'custom') return {};
  const at = (v: string) => {
    const t = v ? new Date(v).getTime() : NaN;
    return Number.isFinite(t) ? t : undefined;
  };
  return { from: at(f.from), to: at(f.to) };
}

/** The API's query for the filters: every filter is applied by the server. */
export function apiQuery(f: Filters, now: number): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.action) q.filter_callflow_id = f.action;
  if (f.number.trim()) q.filter_number = f.number.trim();
  if (f.status) q.filter_result = f.status;
  const w = timeWindow(f, now);
  if (w.from !== undefined) q.created_from = new Date(w.from).toISOString();
  if (w.to !== undefined) q.created_to = new Date(w.to).toISOString();
  return q;
}

const digits = (v: string) => v.replace(/[^0-9*#]/g, '');

/** The same filters in the browser, for lines that arrive live (mirrors the server's). */
export function matchesFilters(s: CallSummary, f: Filters, now: number): boolean {
  if (f.action && s.callflow_id !== f.action) return false;
  const n = f.number.trim();
  if (n) {
    const d = digits(n);
    const hit = [s.from_number, s.to_number].some((v) =>
      !v ? false : d ? digits(v).includes(d) : v.toLowerCase().includes(n.toLowerCase()),
    );
    if (!hit) return false;
  }
  if (f.status === 'error' ? !isFailure(s.result) : f.status && s.result !== f.status) return false;
  const w = timeWindow(f, now);
  if (w.from !== undefined && s.created < w.from) return false;
  if (w.to !== undefined && s.created > w.to) return false;
  return true;
}

// ---- live events -------------------------------------------------------------------------------------------

/**
 * The data of a `pivot.debug` event: the record, and the call's line as GET /pivot/debug has it (the event hub folds
 * it as the store does), with the call's own fields (`from`, `to`, `request` as user@realm, `caller_id_number`).
 */
export type DebugEventData = DebugRecord & {
  call?: Partial<CallSummary> & { caller_id_number?: string; request?: string; to?: string; from?: string };
};

/** The fields of a list line, from the event's `call` (which also has the call's own fields). */
const LINE_KEYS: (keyof CallSummary)[] = [
  'call_id',
  'created',
  'last_created',
  'debug_id',
  'uri',
  'status_code',
  'last_status_code',
  'node',
  'iteration',
  'iterations',
  'duration_ms',
  'has_schema_errors',
  'has_json_errors',
  'has_errors',
  'has_warnings',
  'from_number',
  'to_number',
  'callflow_id',
  'callflow_name',
  'error_code',
  'error_type',
  'error_message',
  'result',
];

/**
 * The list line of a live record: the event carries the call's whole line (the server's own fold, as GET
 * /pivot/debug has it), taken as is; the call's own fields (`from`, `request`…) are left out. An event without a
 * line gives none (the list reads the call again when it next reloads).
 */
export function lineOfEvent(prev: CallSummary | undefined, e: DebugEventData): CallSummary | undefined {
  const hub = e.call;
  if (!hub || hub.result === undefined || typeof hub.created !== 'number') return undefined;
  const line: Partial<CallSummary> = {};
  for (const k of LINE_KEYS) if (hub[k] !== undefined) (line as Record<string, unknown>)[k] = hub[k];
  return { ...(line as CallSummary), live: prev ? prev.live : true };
}
