// The one way the web app talks to Pivot: the REST API under /v2 with the session's X-Auth-Token. Answers come in
// KAZOO's envelope ({data, status, revision, next_start_key}); errors become an ApiError that keeps the status, the
// message and the per-field errors so forms can show them next to their fields.

export interface Envelope<T> {
  data: T;
  status: string;
  revision?: string;
  next_start_key?: string;
  page_size?: number;
  request_id?: string;
}

/** `{"name":{"required":{"message":"…"}}}` flattened to `{name: ["…"]}`. */
export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: FieldErrors = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The first error of a field (form helpers), or undefined. */
  field(name: string): string | undefined {
    return this.fields[name]?.[0];
  }

  /** One line for a banner: the message and the field errors. */
  get detail(): string {
    const parts = Object.entries(this.fields).map(([k, v]) => `${k}: ${v.join(', ')}`);
    return parts.length ? `${this.message} — ${parts.join('; ')}` : this.message;
  }
}

/** Flattens crossbar's `data` of an error into field → messages (nested objects become dotted names). */
export function fieldErrorsOf(data: unknown, prefix = ''): FieldErrors {
  const out: FieldErrors = {};
  if (!data || typeof data !== 'object' || Array.isArray(data)) return out;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') continue;
    const rules = Object.values(value as Record<string, unknown>);
    const messages = rules
      .map((r) => (r && typeof r === 'object' ? (r as { message?: unknown }).message : undefined))
      .filter((m): m is string => typeof m === 'string');
    if (messages.length) out[prefix + key] = messages;
    else Object.assign(out, fieldErrorsOf(value, `${prefix}${key}.`));
  }
  return out;
}

let token: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Set by the session provider: the token sent with every request and what to do when it stops working. */
export function configureClient(opts: { token?: string; onUnauthorized?: () => void }): void {
  token = opts.token;
  onUnauthorized = opts.onUnauthorized;
}

export function currentToken(): string | undefined {
  return token;
}

export interface RequestOptions {
  /** Extra request headers (If-Match with a document's revision). */
  headers?: Record<string, string>;
  /** JSON body: wrapped as {"data": …} unless `raw`. */
  data?: unknown;
  /** A body sent as is (media uploads), with its Content-Type. */
  raw?: { body: Blob | ArrayBuffer; contentType: string };
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Don't report a 401 as an expired session (the login form itself). */
  anonymous?: boolean;
}

/** A request to /v2{path}; resolves with the envelope, rejects with ApiError. */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Envelope<T>> {
  const url = new URL(`/v2${path}`, window.location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {}))
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (token && !opts.anonymous) headers['X-Auth-Token'] = token;
  let body: BodyInit | undefined;
  if (opts.raw) {
    headers['Content-Type'] = opts.raw.contentType;
    body = opts.raw.body;
  } else if (opts.data !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify({ data: opts.data });
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body, signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'Pivot is not reachable: check that the server is running and your network');
  }
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.anonymous) onUnauthorized?.();
    const message =
      (typeof json?.message === 'string' && json.message) || `${res.status} ${res.statusText || 'request failed'}`;
    throw new ApiError(res.status, message, fieldErrorsOf(json?.data), json?.request_id as string | undefined);
  }
  return (json ?? { data: undefined, status: 'success' }) as unknown as Envelope<T>;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts).then((e) => e.data),
  put: <T>(path: string, data?: unknown, opts?: RequestOptions) =>
    request<T>('PUT', path, { ...opts, data: data ?? {} }).then((e) => e.data),
  post: <T>(path: string, data?: unknown, opts?: RequestOptions) =>
    request<T>('POST', path, { ...opts, data: data ?? {} }).then((e) => e.data),
  patch: <T>(path: string, data: unknown, opts?: RequestOptions) =>
    request<T>('PATCH', path, { ...opts, data }).then((e) => e.data),
  del: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts).then((e) => e.data),
};

/** Every page of a listing (follows next_start_key), up to `max` items. */
export async function listAll<T>(path: string, query: RequestOptions['query'] = {}, max = 5000): Promise<T[]> {
  const out: T[] = [];
  let startKey: string | undefined;
  do {
    const page = await request<T[]>('GET', path, { query: { ...query, start_key: startKey } });
    out.push(...(page.data ?? []));
    startKey = page.next_start_key;
  } while (startKey && out.length < max);
  return out;
}

/** A download (audio, recordings) as an object URL: <audio src> cannot send the token header. Revoke it when done. */
export async function blobUrl(path: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(`/v2${path}`, { headers: token ? { 'X-Auth-Token': token } : {}, signal });
  if (!res.ok) {
    if (res.status === 401) onUnauthorized?.();
    throw new ApiError(res.status, `download failed: ${res.status} ${res.statusText}`);
  }
  return URL.createObjectURL(await res.blob());
}
