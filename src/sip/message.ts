// SIP message model (RFC 3261 §7): requests and responses with an ordered, case-insensitive header list and a
// raw body. Structured values (URIs, name-addr, Via, CSeq) are parsed on demand by the helpers in ./headers.ts,
// so relaying a header never re-serialises it differently from what arrived.

/** Compact forms (RFC 3261 §7.3.3 and later RFCs) → full lower-case names. */
export const COMPACT_FORMS: Record<string, string> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Canonical spelling used when Pivot writes a header. */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
};

const canonicalCache = new Map<string, string>();

export function canonicalName(lower: string): string {
  // Memoised: this runs for every header line of every message (it was most of the parse time).
  let name = canonicalCache.get(lower);
  if (name === undefined) {
    name = CANONICAL[lower] ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    if (canonicalCache.size < 1024) canonicalCache.set(lower, name);
  }
  return name;
}

/** Normalises a header name: lower case, compact forms expanded. */
export function headerKey(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
}

/**
 * Headers in wire order. Each entry is one header line's value (after unfolding); a line may carry several
 * comma-separated values (`Via: a, b`) — `values()` splits those where the header allows it.
 */
export class Headers {
  private readonly list: { key: string; name: string; value: string }[] = [];

  /** Append one header line. `name` may be compact or any case. */
  append(name: string, value: string): this {
    const key = headerKey(name);
    this.list.push({ key, name: canonicalName(key), value });
    return this;
  }

  /** Replace every line of `name` with one line. */
  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  /** Put a line first (a proxy's Via, a Record-Route). */
  prepend(name: string, value: string): this {
    const key = headerKey(name);
    this.list.unshift({ key, name: canonicalName(key), value });
    return this;
  }

  delete(name: string): this {
    const key = headerKey(name);
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].key === key) this.list.splice(i, 1);
    return this;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.list.some((h) => h.key === key);
  }

  /** The first line's value. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    return this.list.find((h) => h.key === key)?.value;
  }

  /** Every line's value, in order (lines are not split on commas). */
  lines(name: string): string[] {
    const key = headerKey(name);
    return this.list.filter((h) => h.key === key).map((h) => h.value);
  }

  /** Every value in order, lines split on top-level commas (outside quotes and `<>`), e.g. Via, Route, Contact. */
  values(name: string): string[] {
    return this.lines(name).flatMap(splitCommaList);
  }

  /** [canonical name, value] pairs in wire order. */
  entries(): [string, string][] {
    return this.list.map((h) => [h.name, h.value]);
  }

  get size(): number {
    return this.list.length;
  }

  clone(): Headers {
    const h = new Headers();
    for (const e of this.list) h.list.push({ ...e });
    return h;
  }
}

/** Trim SIP linear white space only (not U+FEFF or U+00A0, which String.trim also strips). */
function trimLws(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** Split a header value on commas that are not inside quotes or angle brackets. */
export function splitCommaList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(trimLws(value.slice(start, i)));
      start = i + 1;
    }
  }
  const last = trimLws(value.slice(start));
  if (last || out.length) out.push(last);
  return out.filter((v) => v !== '');
}

export interface SipRequest {
  kind: 'request';
  method: string;
  /** The Request-URI as written. */
  uri: string;
  /** `SIP/2.0`. */
  version: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}

/** The RFC 3261 branch magic cookie (§8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

/** Default reason phrases (RFC 3261 §21 and friends). */
export const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  429: 'Too Many Requests',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};
