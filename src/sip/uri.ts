// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966): parsing, formatting and §19.1.4 comparison.
//
// Parsing is a single left-to-right pass over the text with table-driven character classes (no regular
// expressions), so its cost is linear in the length of the URI. Components are stored unescaped (`%40` → `@`);
// `formatUri` escapes them again where the grammar requires it. Parameter names are case-insensitive and stored in
// lower case. URIs of other schemes are accepted as opaque: `host` then carries the whole scheme-specific part.

import { SipParseError } from './headers.js';

export interface SipUri {
  /** Lower case: `sip`, `sips`, `tel`, or any other scheme (opaque). */
  scheme: string;
  /** Unescaped user part (sip/sips only). */
  user?: string;
  /** Unescaped password (sip/sips only). */
  password?: string;
  /** Host as written (IPv6 references keep their brackets: `[2001:db8::1]`); the number for tel; the opaque part otherwise. */
  host: string;
  port?: number;
  /** URI parameters, names in lower case, values unescaped; `null` for a parameter without a value (`;lr`). */
  params: Record<string, string | null>;
  /** URI headers (`?Route=%3Csip:x%3E`), unescaped. */
  headers: Record<string, string>;
}

// ---- character classes (RFC 3261 §25.1) ----

const C_UNRESERVED = 1; // alphanum / mark
const C_USER = 2; // user-unreserved: & = + $ , ; ? /
const C_PASS = 4; // password extras: & = + $ ,
const C_PARAM = 8; // param-unreserved: [ ] / : & + $
const C_HNV = 16; // hnv-unreserved: [ ] / ? : + $
const C_TOKEN = 32; // token
const C_HOST = 64; // hostname characters (plus `_`, seen in the wild)

const CLASS = new Uint8Array(128);
function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) CLASS[chars.charCodeAt(i)] |= flag;
}
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
mark(ALNUM, C_UNRESERVED | C_TOKEN | C_HOST);
mark("-_.!~*'()", C_UNRESERVED);
mark('&=+$,;?/', C_USER);
mark('&=+$,', C_PASS);
mark('[]/:&+$', C_PARAM);
mark('[]/?:+$', C_HNV);
mark("-.!%*_+`'~", C_TOKEN);
mark('-._', C_HOST);

/** True when `code` is a token character (RFC 3261 `token`). */
export function isTokenChar(code: number): boolean {
  return code < 128 && (CLASS[code] & C_TOKEN) !== 0;
}

/** True when `s` is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function bad(what = 'malformed URI'): SipParseError {
  return new SipParseError(what);
}

/**
 * Scan from `i` while characters belong to `allowed` or are `%HH` escapes; returns the index of the first other
 * character. Throws on a `%` that does not start a valid escape.
 */
function scan(text: string, i: number, allowed: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      if (i + 2 >= n || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) throw bad();
      i += 3;
    } else if (c < 128 && (CLASS[c] & allowed) !== 0) i++;
    else break;
  }
  return i;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode `%HH` escapes (UTF-8 sequences become characters; bytes that are not UTF-8 map to U+0000–U+00FF). */
export function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 128) bytes.push(c);
    else {
      // Non-ASCII text stays as it is: encode to UTF-8 bytes so it survives the decode below.
      const b = Buffer.from(s[i] + (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length ? s[++i] : ''), 'utf8');
      for (const x of b) bytes.push(x);
    }
  }
  const u8 = Uint8Array.from(bytes);
  try {
    return strictUtf8.decode(u8);
  } catch {
    return Buffer.from(u8).toString('latin1');
  }
}

const HEX = '0123456789ABCDEF';

/** Percent-encode every character of `s` outside `allowed` (UTF-8 for non-ASCII). */
function escape(s: string, allowed: number): string {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CLASS[c] & allowed) === 0) break;
    i++;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (const b of Buffer.from(s.slice(i), 'utf8')) {
    out += b < 128 && (CLASS[b] & allowed) !== 0 ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Set a key on a plain object without ever touching its prototype (a parameter may be named `__proto__`). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

// ---- parsing ----

/** Parse a URI. Throws `SipParseError` (`Bad Request (malformed URI)`) when it is not one. */
export function parseUri(text: string): SipUri {
  const n = text.length;
  const colon = text.indexOf(':');
  if (colon <= 0) throw bad();
  const c0 = text.charCodeAt(0) | 0x20;
  if (c0 < 97 || c0 > 122) throw bad();
  for (let i = 1; i < colon; i++) {
    const c = text.charCodeAt(i);
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (!(c < 128 && (CLASS[c] & C_TOKEN) !== 0 && (CLASS[c] & C_HOST) !== 0 && c !== 95) && c !== 43) throw bad();
  }
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSip(text, colon + 1, scheme);
  if (scheme === 'tel') {
    const end = scan(text, colon + 1, C_UNRESERVED | C_PARAM);
    if (end === colon + 1) throw bad();
    const uri: SipUri = { scheme, host: text.slice(colon + 1, end), params: {}, headers: {} };
    if (parseParamsInto(text, end, uri.params) !== n) throw bad();
    return uri;
  }
  // absoluteURI of some other scheme: opaque, but no whitespace, controls, quotes or angle brackets.
  if (colon + 1 === n) throw bad();
  for (let i = colon + 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 34 || c === 60 || c === 62) throw bad();
  }
  return { scheme, host: text.slice(colon + 1), params: {}, headers: {} };
}

function parseSip(text: string, start: number, scheme: string): SipUri {
  const n = text.length;
  const uri: SipUri = { scheme, host: '', params: {}, headers: {} };
  let i = start;
  const at = text.indexOf('@', start);
  if (at >= 0) {
    const userEnd = scan(text, start, C_UNRESERVED | C_USER);
    if (userEnd === start) throw bad();
    uri.user = unescape(text.slice(start, userEnd));
    i = userEnd;
    if (text.charCodeAt(i) === 58 /* : */) {
      const passEnd = scan(text, i + 1, C_UNRESERVED | C_PASS);
      uri.password = unescape(text.slice(i + 1, passEnd));
      i = passEnd;
    }
    if (i !== at) throw bad();
    i = at + 1;
  }
  // host
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close < 0 || close === i + 1) throw bad();
    for (let k = i + 1; k < close; k++) {
      const c = text.charCodeAt(k);
      if (!isHex(c) && c !== 58 && c !== 46) throw bad();
    }
    uri.host = text.slice(i, close + 1);
    i = close + 1;
  } else {
    const hostStart = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 128 && (CLASS[c] & C_HOST) !== 0) i++;
      else break;
    }
    if (i === hostStart) throw bad();
    uri.host = text.slice(hostStart, i);
  }
  // port
  if (text.charCodeAt(i) === 58 /* : */) {
    const portStart = ++i;
    let port = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      port = port * 10 + (c - 48);
      i++;
      if (i - portStart > 5) throw bad();
    }
    if (i === portStart || port > 65535) throw bad();
    uri.port = port;
  }
  i = parseParamsInto(text, i, uri.params);
  // headers
  if (text.charCodeAt(i) === 63 /* ? */) {
    do {
      const nameStart = ++i;
      i = scan(text, i, C_UNRESERVED | C_HNV);
      if (i === nameStart || text.charCodeAt(i) !== 61 /* = */) throw bad();
      const name = unescape(text.slice(nameStart, i));
      const valueStart = ++i;
      i = scan(text, i, C_UNRESERVED | C_HNV);
      setOwn(uri.headers, name, unescape(text.slice(valueStart, i)));
    } while (text.charCodeAt(i) === 38 /* & */);
  }
  if (i !== n) throw bad();
  return uri;
}

/** `;name[=value]` URI parameters from `i`; returns the index after the last one. */
function parseParamsInto(text: string, i: number, params: Record<string, string | null>): number {
  while (text.charCodeAt(i) === 59 /* ; */) {
    const nameStart = ++i;
    i = scan(text, i, C_UNRESERVED | C_PARAM);
    if (i === nameStart) throw bad();
    const name = unescape(text.slice(nameStart, i)).toLowerCase();
    let value: string | null = null;
    if (text.charCodeAt(i) === 61 /* = */) {
      const valueStart = ++i;
      i = scan(text, i, C_UNRESERVED | C_PARAM);
      value = unescape(text.slice(valueStart, i));
    }
    if (!Object.hasOwn(params, name)) setOwn(params, name, value);
  }
  return i;
}

// ---- formatting ----

/** Write a URI; components are escaped where the grammar requires it. */
export function formatUri(uri: SipUri): string {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') {
    return uri.scheme === 'tel' ? `tel:${uri.host}${formatUriParams(uri.params)}` : `${uri.scheme}:${uri.host}`;
  }
  let s = uri.scheme + ':';
  if (uri.user !== undefined) {
    s += escape(uri.user, C_UNRESERVED | C_USER);
    if (uri.password !== undefined) s += ':' + escape(uri.password, C_UNRESERVED | C_PASS);
    s += '@';
  }
  s += uri.host;
  if (uri.port !== undefined) s += ':' + uri.port;
  s += formatUriParams(uri.params);
  let sep = '?';
  for (const name in uri.headers) {
    s += sep + escape(name, C_UNRESERVED | C_HNV) + '=' + escape(uri.headers[name], C_UNRESERVED | C_HNV);
    sep = '&';
  }
  return s;
}

function formatUriParams(params: Record<string, string | null>): string {
  let s = '';
  for (const name in params) {
    const v = params[name];
    s += ';' + escape(name, C_UNRESERVED | C_PARAM) + (v === null ? '' : '=' + escape(v, C_UNRESERVED | C_PARAM));
  }
  return s;
}

// ---- comparison (RFC 3261 §19.1.4) ----

/** Parameters that must match when either URI carries them (§19.1.4). */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

function sameParam(a: string | null, b: string | null): boolean {
  return a === b || (a !== null && b !== null && a.toLowerCase() === b.toLowerCase());
}

/**
 * URI equivalence per RFC 3261 §19.1.4: userinfo is case-sensitive, everything else case-insensitive; escaped
 * characters equal their unescaped form; a component with a default value is not equal to an omitted one;
 * `user`, `ttl`, `method`, `maddr` and `transport` must match when present in either URI, other parameters only
 * when present in both; URI headers must all be present in both and match. tel URIs compare their numbers without
 * visual separators; other schemes compare the opaque part exactly.
 */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') {
    const num = (s: string) => s.replace(/[-.()]/g, '').toLowerCase();
    if (num(a.host) !== num(b.host)) return false;
    const ka = Object.keys(a.params);
    if (ka.length !== Object.keys(b.params).length) return false;
    return ka.every((k) => Object.hasOwn(b.params, k) && sameParam(a.params[k], b.params[k]));
  }
  if (a.scheme !== 'sip' && a.scheme !== 'sips') return a.host === b.host;
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const k of MUST_MATCH) {
    const ina = Object.hasOwn(a.params, k);
    if (ina !== Object.hasOwn(b.params, k)) return false;
    if (ina && !sameParam(a.params[k], b.params[k])) return false;
  }
  for (const k in a.params) {
    if (Object.hasOwn(b.params, k) && !sameParam(a.params[k], b.params[k])) return false;
  }
  const ha = lowerKeys(a.headers);
  const hb = lowerKeys(b.headers);
  if (ha.size !== hb.size) return false;
  for (const [k, v] of ha) if (hb.get(k) !== v) return false;
  return true;
}

function lowerKeys(h: Record<string, string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const k in h) m.set(k.toLowerCase(), h[k]);
  return m;
}
