/**
 * The HTTP client for every request Pivot makes to a developer's server: webhooks (voice_url, action URLs),
 * status callbacks and `cdr_url` posts, and media fetches. One core function, {@link httpExchange}, does the work:
 *
 * - every hop (the first URL and each redirect target) passes the {@link UrlPolicy}; the connection itself goes
 *   through an undici Agent whose `connect.lookup` is the policy's lookup, so the socket reaches a checked address;
 * - GET redirects (301/302/303/307/308) are followed, at most {@link MAX_REDIRECTS} (then 11215);
 * - one deadline bounds the whole exchange: DNS, connect, headers, body, redirects;
 * - the response body is capped at `maxBodyBytes`;
 * - failures carry a Twilio error code and a `kind`, and the request and response (when there was one) are always
 *   returned for the debug record.
 */

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { appendQuery, encodeForm, flattenParams, type FormPairs } from './form.js';
import { pivotSignature, twilioSignature, withBodySha256 } from './signing.js';
import { UrlPolicy, UrlPolicyError, type PolicyError } from './url-policy.js';
import { warmConnector } from './warm-connector.js';

export const MAX_REDIRECTS = 10;
export const DEFAULT_MAX_BODY_BYTES = 262_144;
export const DEFAULT_MAX_MEDIA_BYTES = 32 * 1024 * 1024;
export const WEBHOOK_ACCEPT = 'application/xml, text/xml, application/json';

function readVersion(): string {
  for (const rel of ['../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.version && pkg.name?.startsWith('pivot')) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const PIVOT_VERSION = readVersion();
export const DEFAULT_USER_AGENT = `Pivot/${PIVOT_VERSION}`;

export type HttpErrorKind = 'timeout' | 'connect' | 'dns' | 'status' | 'policy' | 'too_large' | 'empty' | 'redirects';

export interface HttpError {
  /** Twilio error code (11100, 11200, 11205, 11206, 11210, 11215, 11220, 11235-11237, 11750, 11770). */
  code: number;
  message: string;
  kind: HttpErrorKind;
}

export interface ExchangeRequestRecord {
  /** The URL of the last hop, query string included (credentials and fragment removed). */
  url: string;
  method: string;
  /** Headers sent on the last hop (an Authorization value is redacted). */
  headers: Record<string, string>;
  body: string | null;
  /** URLs that answered with a redirect, in order (empty when none was followed). */
  redirects: string[];
}

export interface ExchangeResponseRecord<B> {
  status: number;
  /** Lower-case names, original values (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** Decoded text for webhooks, bytes for fetchUrl. Capped at maxBodyBytes. */
  body: B;
  contentType: string | null;
  /** From sending the last hop to the end of its body. */
  durationMs: number;
}

export interface HttpExchange<B> {
  request: ExchangeRequestRecord;
  response?: ExchangeResponseRecord<B>;
  error?: HttpError;
  /** The whole exchange, redirects and policy checks included. */
  durationMs: number;
}

export type WebhookExchange = HttpExchange<string>;
export type FetchExchange = HttpExchange<Buffer>;

export interface HttpDeps {
  policy: UrlPolicy;
  /** Dispatcher to use instead of the policy's shared Agent (its connections must be policy-checked too). */
  dispatcher?: Dispatcher;
}

// ---------------------------------------------------------------------------------------------------------------
// Core

/** Everything the core needs for one exchange. */
export interface HttpSpec {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  timeoutMs: number;
  maxBodyBytes?: number;
  /** Follow 301/302/303/307/308 for GET (default true). Other methods never follow. */
  followRedirects?: boolean;
  /** Which statuses are a success (default: 200 and 206, the Kazoo rule). */
  isSuccess?: (status: number) => boolean;
  /** A successful response must have a non-empty body (default true). */
  requireBody?: boolean;
  /** Extra headers for a hop, computed from the exact URL, method and body sent (signatures). */
  sign?: (hop: {
    url: string;
    method: string;
    body: string | Uint8Array | null;
    first: boolean;
  }) => Record<string, string>;
}

const agents = new WeakMap<UrlPolicy, Agent>();

/**
 * The shared Agent for a policy: keep-alive pooling, every new connection resolved through `policy.lookup`, and a
 * connection kept ahead for origins that need more than one at a time.
 */
export function agentFor(policy: UrlPolicy): Agent {
  let agent = agents.get(policy);
  if (!agent) {
    agent = new Agent({
      connect: warmConnector({ lookup: policy.lookup, timeout: 60_000 }),
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
    });
    agents.set(policy, agent);
  }
  return agent;
}

class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
    this.name = 'DeadlineExceeded';
  }
}

function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/**
 * Splits credentials and the fragment off a URL and normalises it (WHATWG), so the string that is signed is the
 * string sent. Returns null when the URL does not parse (the policy reports it).
 */
export function prepareUrl(raw: string): { url: string; authorization?: string } | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  let authorization: string | undefined;
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`, 'utf-8').toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  u.hash = '';
  return { url: u.href, authorization };
}

function headersRecord(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function redactHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    out[k] = k.toLowerCase() === 'authorization' ? `${v.split(' ')[0]} [redacted]` : v;
  }
  return out;
}

function bodyForRecord(body: string | Uint8Array | null | undefined): string | null {
  if (body === null || body === undefined) return null;
  return typeof body === 'string' ? body : `[${body.byteLength} bytes]`;
}

const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
};

const TLS_CODES: Record<string, number> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 11235,
  CERT_HAS_EXPIRED: 11236,
  CERT_NOT_YET_VALID: 11236,
  DEPTH_ZERO_SELF_SIGNED_CERT: 11237,
  SELF_SIGNED_CERT_IN_CHAIN: 11237,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 11237,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 11237,
};

/** Walks `cause` and AggregateError members looking for something that says what went wrong. */
function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 10) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || out.includes(e)) continue;
    out.push(e);
    const o = e as { cause?: unknown; errors?: unknown[] };
    if (o.cause) queue.push(o.cause);
    if (Array.isArray(o.errors)) queue.push(...o.errors);
  }
  return out;
}

function classify(err: unknown, url: string, timedOut: boolean, timeoutMs: number): HttpError {
  if (timedOut) return { code: 11200, kind: 'timeout', message: `timed out after ${timeoutMs} ms` };
  const chain = errorChain(err);
  for (const e of chain) {
    if (e instanceof UrlPolicyError) return { ...e.policyError };
  }
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the URL
  }
  for (const e of chain) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (code in CONNECT_CODES) return { code: 11205, kind: 'connect', message: `${CONNECT_CODES[code]}: ${host}` };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') {
      return { code: 11210, kind: 'dns', message: `cannot resolve host ${host} (${code})` };
    }
    if (code in TLS_CODES) {
      return { code: TLS_CODES[code], kind: 'connect', message: `TLS certificate error from ${host}: ${code}` };
    }
    if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO') {
      return { code: 11220, kind: 'connect', message: `TLS handshake with ${host} failed (${code})` };
    }
    if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      return { code: 11206, kind: 'connect', message: `HTTP protocol violation from ${host} (${code})` };
    }
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { code: 11200, kind: 'connect', message: `request to ${url} failed: ${msg}` };
}

function policyToHttpError(e: PolicyError, hopUrl: string, redirected: boolean): HttpError {
  return {
    code: e.code,
    kind: e.kind,
    message: redirected ? `redirect to ${hopUrl} refused: ${e.message}` : e.message,
  };
}

/** Reads at most `limit` bytes. On a stream error (timeout, reset) returns what arrived, with the error. */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
): Promise<{ bytes: Buffer; truncated: boolean; error?: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        break; // leaving the loop destroys the stream
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    return { bytes: Buffer.concat(chunks, size), truncated, error };
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The one core: see the module comment. Never throws; errors are in the result. */
export async function httpExchange(spec: HttpSpec, deps: HttpDeps): Promise<FetchExchange> {
  const started = performance.now();
  const maxBodyBytes = spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const isSuccess = spec.isSuccess ?? ((s: number) => s === 200 || s === 206);
  const requireBody = spec.requireBody ?? true;
  const follow = spec.method === 'GET' && (spec.followRedirects ?? true);
  const dispatcher = deps.dispatcher ?? agentFor(deps.policy);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DeadlineExceeded());
  }, spec.timeoutMs);
  const signal = controller.signal;

  const redirects: string[] = [];
  let hopUrl = spec.url;
  let headers: Record<string, string> = { ...(spec.headers ?? {}) };
  const body = spec.body ?? null;
  let record: ExchangeRequestRecord = { url: hopUrl, method: spec.method, headers: {}, body: null, redirects };
  let response: ExchangeResponseRecord<Buffer> | undefined;
  const firstOrigin = originOf(spec.url);

  const finish = (error?: HttpError): FetchExchange => {
    clearTimeout(timer);
    const out: FetchExchange = { request: record, durationMs: round(performance.now() - started) };
    if (response) out.response = response;
    if (error) out.error = error;
    return out;
  };

  try {
    for (let hop = 0; ; hop++) {
      const first = hop === 0;
      const method = first ? spec.method : 'GET';
      const hopBody = first ? body : null;
      const sent: Record<string, string> = {
        ...headers,
        ...(spec.sign ? spec.sign({ url: hopUrl, method, body: hopBody, first }) : {}),
      };
      record = { url: hopUrl, method, headers: redactHeaders(sent), body: bodyForRecord(hopBody), redirects };

      let checked;
      try {
        checked = await raceSignal(deps.policy.check(hopUrl), signal);
      } catch (e) {
        return finish(classify(e, hopUrl, timedOut, spec.timeoutMs));
      }
      if (!checked.ok) return finish(policyToHttpError(checked.error, hopUrl, !first));

      const hopStarted = performance.now();
      let res: Dispatcher.ResponseData;
      try {
        res = await request(hopUrl, {
          method,
          headers: sent,
          body: hopBody ?? undefined,
          signal,
          dispatcher,
        });
      } catch (e) {
        return finish(classify(e, hopUrl, timedOut, spec.timeoutMs));
      }

      const status = res.statusCode;
      const resHeaders = headersRecord(res.headers);
      const location = resHeaders['location'];
      if (follow && REDIRECTS.has(status) && location) {
        let next: string | null = null;
        try {
          const u = new URL(location, hopUrl);
          u.hash = '';
          next = u.href;
        } catch {
          next = null;
        }
        if (next !== null && redirects.length < MAX_REDIRECTS) {
          try {
            await res.body.dump({ limit: 131_072, signal });
          } catch (e) {
            return finish(classify(e, hopUrl, timedOut, spec.timeoutMs));
          }
          redirects.push(hopUrl);
          hopUrl = next;
          if (originOf(next) !== firstOrigin) headers = withoutAuthorization(headers);
          continue;
        }
        // not followed: keep this response for the record and report the failure
        const read = await readBody(res.body, maxBodyBytes);
        response = responseRecord(status, resHeaders, read.bytes, hopStarted);
        if (read.error) return finish(classify(read.error, hopUrl, timedOut, spec.timeoutMs));
        if (next === null) {
          return finish({ code: 11200, kind: 'status', message: `HTTP ${status} from ${hopUrl} with a bad Location` });
        }
        return finish({
          code: 11215,
          kind: 'redirects',
          message: `too many redirects (more than ${MAX_REDIRECTS}) starting at ${spec.url}`,
        });
      }

      const read = await readBody(res.body, maxBodyBytes);
      // the response is kept even when reading its body failed: status and headers help the debug record
      response = responseRecord(status, resHeaders, read.bytes, hopStarted);
      if (read.error) return finish(classify(read.error, hopUrl, timedOut, spec.timeoutMs));
      if (!isSuccess(status)) return finish({ code: 11200, kind: 'status', message: `HTTP ${status} from ${hopUrl}` });
      if (read.truncated) {
        return finish({
          code: 11750,
          kind: 'too_large',
          message: `response body from ${hopUrl} is larger than ${maxBodyBytes} bytes`,
        });
      }
      if (requireBody && read.bytes.length === 0) {
        return finish({ code: 11770, kind: 'empty', message: `empty response body from ${hopUrl}` });
      }
      return finish();
    }
  } catch (e) {
    return finish(classify(e, hopUrl, timedOut, spec.timeoutMs));
  }
}

function responseRecord(
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  hopStarted: number,
): ExchangeResponseRecord<Buffer> {
  return {
    status,
    headers,
    body,
    contentType: headers['content-type'] ?? null,
    durationMs: round(performance.now() - hopStarted),
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function withoutAuthorization(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

/** Decodes a body with the Content-Type's charset when it names one Node knows, else UTF-8. */
export function decodeBody(bytes: Uint8Array, contentType: string | null): string {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  if (m) {
    try {
      return new TextDecoder(m[1]).decode(bytes);
    } catch {
      // unknown label: fall back to UTF-8
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

function toText(x: FetchExchange): WebhookExchange {
  const out: WebhookExchange = { request: x.request, durationMs: x.durationMs };
  if (x.response) out.response = { ...x.response, body: decodeBody(x.response.body, x.response.contentType) };
  if (x.error) out.error = x.error;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Webhooks and callbacks

export interface WebhookRequest {
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, unknown>;
  /** POST body format; ignored for GET. */
  bodyFormat: 'form' | 'json';
  timeoutMs: number;
  /** The account's signing key: adds X-Twilio-Signature and X-Pivot-Signature. */
  signingKey?: string;
  /** Full User-Agent value (default `Pivot/<version>`). */
  userAgent?: string;
  /** Default 262144. */
  maxBodyBytes?: number;
  /** Added to every hop; Pivot's own headers (signatures, Content-Type, User-Agent) take precedence. */
  extraHeaders?: Record<string, string>;
}

interface Mode {
  isSuccess: (status: number) => boolean;
  /** Whitespace-only bodies count as empty, and a success needs a body. */
  requireDocument: boolean;
  accept: string;
}

const DOCUMENT_MODE: Mode = {
  isSuccess: (s) => s === 200 || s === 206,
  requireDocument: true,
  accept: WEBHOOK_ACCEPT,
};
const CALLBACK_MODE: Mode = {
  isSuccess: (s) => s >= 200 && s < 300,
  requireDocument: false,
  accept: '*/*',
};

async function sendWithMode(req: WebhookRequest, deps: HttpDeps, mode: Mode): Promise<WebhookExchange> {
  const prepared = prepareUrl(req.url);
  if (!prepared) {
    // let the policy produce the precise 11100 message
    return toText(
      await httpExchange({ url: req.url, method: req.method, timeoutMs: req.timeoutMs, requireBody: false }, deps),
    );
  }
  const pairs: FormPairs = flattenParams(req.params);
  let url = prepared.url;
  let body: string | null = null;
  const headers: Record<string, string> = { ...(req.extraHeaders ?? {}) };
  let twilioParams: FormPairs | null = null;
  if (req.method === 'GET') {
    url = appendQuery(url, pairs);
  } else if (req.bodyFormat === 'json') {
    body = JSON.stringify(req.params);
    url = withBodySha256(url, body);
    headers['Content-Type'] = 'application/json';
  } else {
    body = encodeForm(pairs);
    twilioParams = pairs;
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  headers['User-Agent'] = req.userAgent ?? DEFAULT_USER_AGENT;
  headers['Accept'] = mode.accept;
  if (prepared.authorization) headers['Authorization'] = prepared.authorization;

  const key = req.signingKey;
  const sign: HttpSpec['sign'] = key
    ? ({ url: hopUrl, method, body: hopBody, first }) => ({
        'X-Twilio-Signature': twilioSignature(key, hopUrl, first ? twilioParams : null),
        'X-Pivot-Signature': pivotSignature(key, {
          method,
          url: hopUrl,
          body: typeof hopBody === 'string' ? hopBody : '',
        }),
      })
    : undefined;

  const x = toText(
    await httpExchange(
      {
        url,
        method: req.method,
        headers,
        body,
        timeoutMs: req.timeoutMs,
        maxBodyBytes: req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        isSuccess: mode.isSuccess,
        requireBody: mode.requireDocument,
        sign,
      },
      deps,
    ),
  );
  if (mode.requireDocument && !x.error && x.response && x.response.body.trim() === '') {
    x.error = { code: 11770, kind: 'empty', message: `empty response body from ${x.request.url}` };
  }
  return x;
}

/**
 * Sends a webhook that must answer with a document (voice_url, Gather/Record/Dial/Redirect actions).
 * Success is 200 or 206 with a non-blank body; anything else is an error, with the response kept.
 */
export function sendWebhook(req: WebhookRequest, deps: HttpDeps): Promise<WebhookExchange> {
  return sendWithMode(req, deps, DOCUMENT_MODE);
}

export type CallbackRequest = Omit<WebhookRequest, 'method' | 'bodyFormat'> & {
  method?: 'GET' | 'POST';
  bodyFormat?: 'form' | 'json';
};

/**
 * Sends a notification whose answer is ignored (statusCallback, recordingStatusCallback, `cdr_url`): POST form by
 * default, any 2xx is a success, an empty body is fine. Same signing, policy, redirects and limits as webhooks.
 */
export function sendCallback(req: CallbackRequest, deps: HttpDeps): Promise<WebhookExchange> {
  return sendWithMode(
    { ...req, method: req.method ?? 'POST', bodyFormat: req.bodyFormat ?? 'form' },
    deps,
    CALLBACK_MODE,
  );
}

/** `cdr_url`-style form POST of a parameter object. */
export function postForm(
  url: string,
  params: Record<string, unknown>,
  opts: Omit<CallbackRequest, 'url' | 'params' | 'method' | 'bodyFormat'>,
  deps: HttpDeps,
): Promise<WebhookExchange> {
  return sendCallback({ ...opts, url, params, method: 'POST', bodyFormat: 'form' }, deps);
}

export interface FetchOptions {
  timeoutMs: number;
  /** Default 32 MiB. */
  maxBodyBytes?: number;
  /** Default `*\/*`. */
  accept?: string;
  userAgent?: string;
  /** Signs the GET like a webhook (X-Twilio-Signature over the URL, X-Pivot-Signature). */
  signingKey?: string;
  headers?: Record<string, string>;
}

/** GETs a resource (Play media, etc.) through the same policy; the body is returned as bytes. */
export async function fetchUrl(url: string, opts: FetchOptions, deps: HttpDeps): Promise<FetchExchange> {
  const prepared = prepareUrl(url);
  const headers: Record<string, string> = {
    ...(opts.headers ?? {}),
    'User-Agent': opts.userAgent ?? DEFAULT_USER_AGENT,
    Accept: opts.accept ?? '*/*',
  };
  if (prepared?.authorization) headers['Authorization'] = prepared.authorization;
  const key = opts.signingKey;
  return httpExchange(
    {
      url: prepared?.url ?? url,
      method: 'GET',
      headers,
      timeoutMs: opts.timeoutMs,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_MEDIA_BYTES,
      sign: key
        ? ({ url: hopUrl, method }) => ({
            'X-Twilio-Signature': twilioSignature(key, hopUrl, null),
            'X-Pivot-Signature': pivotSignature(key, { method, url: hopUrl, body: '' }),
          })
        : undefined,
    },
    deps,
  );
}
