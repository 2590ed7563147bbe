// Structured SIP header values (RFC 3261 §20, §25): name-addr / addr-spec, Via, CSeq, generic parameters, and
// accessors over a parsed message. Everything here is a single linear scan; errors are `SipParseError`s whose
// message is the reason phrase a UAS sends back, e.g. `Bad Request (malformed Via)`.

import { REASONS, splitCommaList, type SipMessage } from './message.js';
import { formatUri, isTokenChar, parseUri, setOwn, type SipUri } from './uri.js';

// ---- errors ----

/**
 * A message (or part of one) that cannot be parsed. `message` is the reason phrase to answer with
 * (`Bad Request (missing Call-ID)`); `fault` is the part in parentheses; `status` the response code (400 unless
 * another one fits, e.g. 513 for a message over the size limit).
 */
export class SipParseError extends Error {
  readonly status: number;
  readonly fault: string;

  constructor(fault: string, status = 400) {
    super(`${REASONS[status] ?? 'Bad Request'} (${fault})`);
    this.name = 'SipParseError';
    this.fault = fault;
    this.status = status;
  }

  /** The reason phrase for the response: same as `message`. */
  get reason(): string {
    return this.message;
  }
}

// ---- types ----

export interface NameAddr {
  /** Display name, unquoted and unescaped; absent when there is none. */
  displayName?: string;
  uri: SipUri;
  /** The URI exactly as it was written (for relaying without re-serialising). */
  uriText: string;
  /** Header parameters (after `>`, or after an addr-spec); names lower case, values as written (quotes kept). */
  params: Record<string, string | null>;
}

export interface Via {
  /** `SIP/2.0`. */
  protocol: string;
  /** Upper case: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS`, … */
  transport: string;
  /** sent-by host as written (IPv6 references keep their brackets). */
  host: string;
  port?: number;
  /** Every parameter, names lower case, in order. */
  params: Record<string, string | null>;
  branch?: string;
  received?: string;
  /** `null` for a bare `;rport` (RFC 3581 request), a number once filled in, absent when not there. */
  rport?: number | null;
}

// ---- small scanners ----

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Trim SIP whitespace (SP, HTAB, CR, LF) only: `String.prototype.trim` would also eat U+FEFF and U+00A0. */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Index just after the closing quote of the quoted-string starting at `i` (which is `"`), or -1 if unterminated. */
function quotedEnd(s: string, i: number): number {
  for (let k = i + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 92 /* \ */) k++;
    else if (c === 34 /* " */) return k + 1;
  }
  return -1;
}

/** The content of a quoted-string (with or without its quotes), quoted-pairs resolved. */
export function unquote(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34) s = s.slice(1, -1);
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 92 && i + 1 < s.length) i++;
    out += s[i];
  }
  return out;
}

/** A quoted-string for `s`: `"` and `\` and control characters escaped, CR/LF dropped. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10) continue;
    if (c === 34 || c === 92 || (c < 32 && c !== 9) || c === 127) out += '\\';
    out += s[i];
  }
  return out + '"';
}

// ---- generic parameters ----

/**
 * Characters of an unquoted parameter value. The grammar says token / host (token characters plus `:` `[` `]`
 * for IPv6, e.g. `received=2001:db8::1`); devices also send `/`, `@`, `=`… unquoted, which is unambiguous, so
 * anything is accepted up to whitespace, `;`, `,`, a quote, an angle bracket, a backslash or a control character.
 */
function isValueChar(c: number): boolean {
  return c > 32 && c !== 127 && c !== 59 && c !== 44 && c !== 34 && c !== 60 && c !== 62 && c !== 92;
}

/**
 * Parse `*( SEMI generic-param )` starting at `i` to the end of `s`, e.g. ` ; tag = abc;lr`. Names are lower
 * cased; values are kept as written (quoted strings keep their quotes — see `unquote`); `null` means no value.
 * `what` names the header in the error.
 */
export function parseParams(s: string, what = 'parameters', i = 0): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  const n = s.length;
  i = skipWs(s, i);
  while (i < n) {
    if (s.charCodeAt(i) !== 59 /* ; */) throw new SipParseError(`malformed ${what}`);
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError(`malformed ${what}`);
    const name = s.slice(nameStart, i).toLowerCase();
    let value: string | null = null;
    i = skipWs(s, i);
    if (s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      const valueStart = i;
      if (s.charCodeAt(i) === 34) {
        i = quotedEnd(s, i);
        if (i < 0) throw new SipParseError(`malformed ${what}`);
      } else {
        while (i < n && isValueChar(s.charCodeAt(i))) i++;
        if (i === valueStart) throw new SipParseError(`malformed ${what}`);
      }
      value = s.slice(valueStart, i);
      i = skipWs(s, i);
    }
    if (!Object.hasOwn(params, name)) setOwn(params, name, value);
  }
  return params;
}

/** `;name=value;flag` for header parameters (values written as stored). */
export function formatParams(params: Record<string, string | null>): string {
  let s = '';
  for (const name in params) {
    const v = params[name];
    s += v === null ? `;${name}` : `;${name}=${v}`;
  }
  return s;
}

// ---- name-addr / addr-spec ----

/**
 * Parse `name-addr` (`"Display" <uri>;params`, `Display <uri>`, `<uri>`) or `addr-spec` (`uri;params`). In the
 * addr-spec form the URI ends at the first `;` or whitespace: the parameters after it belong to the header
 * (RFC 3261 §20.10), and a URI with `?` headers must be bracketed. `what` names the header in the error.
 */
export function parseNameAddr(value: string, what = 'name-addr'): NameAddr {
  const n = value.length;
  let i = skipWs(value, 0);
  let displayName: string | undefined;
  let uriStart: number;
  let uriEnd: number;
  let angle = false;
  if (value.charCodeAt(i) === 34 /* " */) {
    const end = quotedEnd(value, i);
    if (end < 0) throw new SipParseError(`malformed ${what}`);
    displayName = unquote(value.slice(i, end));
    i = skipWs(value, end);
    if (value.charCodeAt(i) !== 60 /* < */) throw new SipParseError(`malformed ${what}`);
    angle = true;
  } else {
    // A run of tokens and LWS ending at `<` is a display name; anything else is an addr-spec.
    let k = i;
    while (k < n) {
      const c = value.charCodeAt(k);
      if (isTokenChar(c) || isWs(c) || c >= 128) k++;
      else break;
    }
    if (value.charCodeAt(k) === 60) {
      const name = trimLws(value.slice(i, k));
      if (name) displayName = name;
      i = k;
      angle = true;
    }
  }
  if (angle) {
    uriStart = i + 1;
    uriEnd = value.indexOf('>', uriStart);
    if (uriEnd < 0) throw new SipParseError(`malformed ${what}`);
    i = uriEnd + 1;
  } else {
    uriStart = i;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 59 || isWs(c)) break;
      // §20.10: a URI containing a comma, question mark or semicolon must be enclosed in angle brackets.
      if (c === 63 || c === 44 || c === 60 || c === 62 || c === 34) throw new SipParseError(`malformed ${what}`);
      i++;
    }
    uriEnd = i;
  }
  const uriText = value.slice(uriStart, uriEnd);
  let uri: SipUri;
  try {
    uri = parseUri(uriText);
  } catch {
    throw new SipParseError(`malformed ${what}`);
  }
  const params = parseParams(value, what, i);
  const na: NameAddr = { uri, uriText, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** `"Display" <uri>;params` (the display name is quoted whenever present). */
export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName ? quote(na.displayName) + ' ' : '';
  return `${dn}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

// ---- Via ----

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Parse one Via value: `SIP / 2.0 / UDP host:port;branch=…;rport;received=…` (LWS allowed around `/` and `:`). */
export function parseVia(value: string): Via {
  const fail = () => new SipParseError('malformed Via');
  const n = value.length;
  let i = skipWs(value, 0);
  let e = readToken(value, i);
  if (e === i) throw fail();
  const name = value.slice(i, e);
  i = skipWs(value, e);
  if (value.charCodeAt(i) !== 47 /* / */) throw fail();
  i = skipWs(value, i + 1);
  e = readToken(value, i);
  if (e === i) throw fail();
  const version = value.slice(i, e);
  i = skipWs(value, e);
  if (value.charCodeAt(i) !== 47) throw fail();
  i = skipWs(value, i + 1);
  e = readToken(value, i);
  if (e === i) throw fail();
  const transport = value.slice(i, e).toUpperCase();
  i = skipWs(value, e);
  if (i === e) throw fail(); // LWS before sent-by is mandatory
  // sent-by
  let host: string;
  if (value.charCodeAt(i) === 91 /* [ */) {
    const close = value.indexOf(']', i);
    if (close < 0) throw fail();
    host = value.slice(i, close + 1);
    try {
      parseUri('sip:' + host);
    } catch {
      throw fail();
    }
    i = close + 1;
  } else {
    const start = i;
    while (i < n) {
      const c = value.charCodeAt(i);
      if ((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 45 || c === 46 || c === 95) i++;
      else break;
    }
    if (i === start) throw fail();
    host = value.slice(start, i);
  }
  const via: Via = { protocol: `${name.toUpperCase()}/${version}`, transport, host, params: {} };
  i = skipWs(value, i);
  if (value.charCodeAt(i) === 58 /* : */) {
    i = skipWs(value, i + 1);
    const start = i;
    let port = 0;
    while (i < n && i - start < 6) {
      const c = value.charCodeAt(i);
      if (c < 48 || c > 57) break;
      port = port * 10 + c - 48;
      i++;
    }
    if (i === start || port > 65535) throw fail();
    via.port = port;
  }
  const params = parseParams(value, 'Via', i);
  via.params = params;
  if (Object.hasOwn(params, 'branch')) {
    if (params.branch === null) throw fail();
    via.branch = params.branch;
  }
  if (Object.hasOwn(params, 'received')) {
    if (params.received === null) throw fail();
    via.received = params.received;
  }
  if (Object.hasOwn(params, 'rport')) {
    const r = params.rport;
    if (r === null) via.rport = null;
    else {
      if (!/^\d{1,5}$/.test(r) || Number(r) > 65535) throw fail();
      via.rport = Number(r);
    }
  }
  return via;
}

/** Write a Via value. `branch`, `received` and `rport` override the same names in `params` when set. */
export function formatVia(via: Via): string {
  const params: Record<string, string | null> = { ...via.params };
  if (via.branch !== undefined) params.branch = via.branch;
  if (via.received !== undefined) params.received = via.received;
  if (via.rport !== undefined) params.rport = via.rport === null ? null : String(via.rport);
  const port = via.port !== undefined ? `:${via.port}` : '';
  return `${via.protocol}/${via.transport} ${via.host}${port}${formatParams(params)}`;
}

// ---- CSeq and scalars ----

/**
 * `CSeq: 0009 INVITE` → `{ seq: 9, method: 'INVITE' }`. A number that is not a 32-bit unsigned integer throws
 * `CSeq number out of range` (RFC 3261 further requires < 2**31 in requests: see `checkRequest`).
 */
export function parseCSeq(value: string): { seq: number; method: string } {
  const n = value.length;
  let i = skipWs(value, 0);
  const start = i;
  while (i < n && value.charCodeAt(i) === 48) i++; // leading zeros
  const sig = i;
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === start) throw new SipParseError('malformed CSeq');
  const digits = i - sig;
  const j = skipWs(value, i);
  if (j === i) throw new SipParseError('malformed CSeq');
  const e = readToken(value, j);
  if (e === j || skipWs(value, e) !== n) throw new SipParseError('malformed CSeq');
  if (digits > 10) throw new SipParseError('CSeq number out of range');
  const seq = digits === 0 ? 0 : Number(value.slice(sig, i));
  if (seq > 0xffffffff) throw new SipParseError('CSeq number out of range');
  return { seq, method: value.slice(j, e) };
}

/** A non-negative decimal (delta-seconds, Max-Forwards…); `undefined` when not 1*DIGIT; capped at 2**32-1. */
function parseDigits(value: string): number | undefined {
  const s = trimLws(value);
  if (s.length === 0) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    if (v <= 0xffffffff) v = v * 10 + (c - 48);
  }
  return Math.min(v, 0xffffffff);
}

// ---- accessors over a message ----

function required(msg: SipMessage, key: string, name: string): string {
  const v = msg.headers.get(key);
  if (v === undefined) throw new SipParseError(`missing ${name}`);
  return v;
}

/** The Call-ID (throws `missing Call-ID`). */
export function callId(msg: SipMessage): string {
  const v = trimLws(required(msg, 'call-id', 'Call-ID'));
  if (!v) throw new SipParseError('malformed Call-ID');
  return v;
}

export function cseq(msg: SipMessage): { seq: number; method: string } {
  return parseCSeq(required(msg, 'cseq', 'CSeq'));
}

/** Every Via value in order, across lines and commas. */
export function vias(msg: SipMessage): Via[] {
  return msg.headers.values('via').map(parseVia);
}

/** The first Via value (throws `missing Via`). */
export function topVia(msg: SipMessage): Via {
  const first = splitCommaList(required(msg, 'via', 'Via'))[0];
  if (first === undefined) throw new SipParseError('malformed Via');
  return parseVia(first);
}

export function from(msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'from', 'From'), 'From');
}

export function to(msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'to', 'To'), 'To');
}

/** The `tag` parameter of a From/To value. */
export function tagOf(na: NameAddr): string | undefined {
  const t = na.params.tag;
  return t === null ? undefined : t;
}

/** Contact values in order; `'*'` for the REGISTER wildcard. */
export function contacts(msg: SipMessage): (NameAddr | '*')[] {
  return msg.headers.values('contact').map((v) => (v === '*' ? '*' : parseNameAddr(v, 'Contact')));
}

export function routes(msg: SipMessage): NameAddr[] {
  return msg.headers.values('route').map((v) => parseNameAddr(v, 'Route'));
}

export function recordRoutes(msg: SipMessage): NameAddr[] {
  return msg.headers.values('record-route').map((v) => parseNameAddr(v, 'Record-Route'));
}

/** Max-Forwards, or `undefined` when absent (throws `malformed Max-Forwards`). */
export function maxForwards(msg: SipMessage): number | undefined {
  const v = msg.headers.get('max-forwards');
  if (v === undefined) return undefined;
  const n = parseDigits(v);
  if (n === undefined) throw new SipParseError('malformed Max-Forwards');
  return n;
}

/**
 * Expiry in seconds: the `expires` parameter of `contact` when given and present, else the Expires header, else
 * `undefined`. Values beyond 2**32-1 are capped there (RFC 4475 §3.1.2.4 allows treating them as defaults; a
 * registrar clamps to its own maximum anyway). Throws `malformed Expires` on a non-numeric value.
 */
export function expiresOf(msg: SipMessage, contact?: NameAddr): number | undefined {
  const p = contact?.params.expires;
  if (p !== undefined) {
    const n = p === null ? undefined : parseDigits(p);
    if (n === undefined) throw new SipParseError('malformed Contact expires');
    return n;
  }
  const v = msg.headers.get('expires');
  if (v === undefined) return undefined;
  const n = parseDigits(v);
  if (n === undefined) throw new SipParseError('malformed Expires');
  return n;
}
