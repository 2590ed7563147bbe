// HTTP Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616, RFC 8760): a stateless server side
// (challenge and verify) and the client side (answer a challenge), with one tolerant auth-param parser.
//
// Server nonces carry their own issue time and an HMAC over it and the realm, so any node sharing `secret` can
// verify them without shared state (opaque is derived from the realm and not checked: the nonce's HMAC already
// authenticates the challenge); the only state is a small bounded cache of (nonce, nc) pairs already
// accepted, which rejects replays on this node.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipRequest } from './message.js';

// ---- algorithms ---------------------------------------------------------------------------------------------

/** Algorithms understood by both sides, strongest first (RFC 8760 §2.1 adds SHA-256 and SHA-512-256 to SIP). */
export const DIGEST_ALGORITHMS = [
  'SHA-512-256',
  'SHA-512-256-sess',
  'SHA-256',
  'SHA-256-sess',
  'MD5',
  'MD5-sess',
] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

const NODE_HASH: Record<string, string> = { md5: 'md5', 'sha-256': 'sha256', 'sha-512-256': 'sha512-256' };

/** The canonical spelling of a supported algorithm (case-insensitive match), or undefined. */
export function normalizeAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  const lower = (name ?? 'MD5').trim().toLowerCase();
  return DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === lower);
}

function baseOf(alg: DigestAlgorithm): string {
  return alg.toLowerCase().replace(/-sess$/, '');
}

function hexLength(alg: DigestAlgorithm): number {
  return baseOf(alg) === 'md5' ? 32 : 64;
}

function hasher(alg: DigestAlgorithm): (data: string | Buffer) => string {
  const name = NODE_HASH[baseOf(alg)];
  return (data) => createHash(name).update(data).digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** `auth`, `auth-int`, or absent for RFC 2069 compatibility. */
  qop?: string;
  /** Eight hex digits; required with qop. */
  nc?: string;
  /** Required with qop and with the -sess algorithms. */
  cnonce?: string;
  /** Entity body, for qop=auth-int. */
  body?: Buffer | string;
}

/** The request-digest (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1; RFC 2069 when qop is absent), lower-case hex. */
export function computeDigest(i: DigestInput): string {
  const H = hasher(i.algorithm);
  let ha1 = H(`${i.username}:${i.realm}:${i.password}`);
  if (i.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${i.nonce}:${i.cnonce ?? ''}`);
  const qop = i.qop?.toLowerCase();
  const ha2 =
    qop === 'auth-int' ? H(`${i.method}:${i.uri}:${H(i.body ?? Buffer.alloc(0))}`) : H(`${i.method}:${i.uri}`);
  if (qop) return H(`${ha1}:${i.nonce}:${i.nc ?? ''}:${i.cnonce ?? ''}:${qop}:${ha2}`);
  return H(`${ha1}:${i.nonce}:${ha2}`);
}

// ---- auth-param parsing -------------------------------------------------------------------------------------

export interface AuthHeader {
  /** The auth scheme as written (`Digest`). */
  scheme: string;
  /** Parameters by lower-case name, values unquoted and unescaped; the first occurrence of a name wins. */
  params: Record<string, string>;
}

/**
 * Parses a challenge or credentials value: `Digest realm="a, b", nonce=xyz, qop="auth,auth-int"`. Tolerant:
 * whitespace around `=` and commas, missing commas between parameters, escaped quotes, an unterminated final
 * quoted string, and parameters without a value. Returns undefined when there is no scheme token.
 */
export function parseAuthHeader(value: string): AuthHeader | undefined {
  const s = value.trim();
  const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s+|$)/.exec(s);
  if (!m) return undefined;
  return { scheme: m[1], params: parseAuthParams(s.slice(m[0].length)) };
}

/** Parses a comma-separated auth-param list (the part after the scheme). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const n = text.length;
  let i = 0;
  const skip = (chars: string) => {
    while (i < n && chars.includes(text[i])) i++;
  };
  while (i < n) {
    skip(' \t\r\n,');
    if (i >= n) break;
    const nameStart = i;
    while (i < n && !' \t\r\n=,"'.includes(text[i])) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    skip(' \t\r\n');
    let val = '';
    if (text[i] === '=') {
      i++;
      skip(' \t\r\n');
      if (text[i] === '"') {
        i++;
        let out = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          out += text[i++];
        }
        i++; // closing quote (or end of input)
        val = out;
      } else {
        const start = i;
        while (i < n && !' \t\r\n,'.includes(text[i])) i++;
        val = text.slice(start, i);
      }
    } else if (!name) {
      i++; // a stray character (e.g. a lone quote): skip it
      continue;
    }
    if (name && !(name in params)) params[name] = val;
  }
  return params;
}

/** A quoted-string (RFC 3261 §25.1): backslash-escapes `"` and `\`. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

// ---- server -------------------------------------------------------------------------------------------------

export interface WallClock {
  /** Milliseconds since the epoch (nonces carry wall time so that other nodes can check their age). */
  now(): number;
}

export interface DigestServerOptions {
  /** HMAC key for nonces and opaque; share it between nodes. Random per process when absent. */
  secret?: Buffer;
  /** How long a nonce is accepted (default 300 000 ms = 5 min). */
  nonceLifetimeMs?: number;
  /** Wall clock (default `Date.now`). */
  clock?: WallClock;
  /** Accepted credential algorithms (default: all of DIGEST_ALGORITHMS). */
  acceptAlgorithms?: readonly DigestAlgorithm[];
  /** Reject credentials without qop (RFC 2069 style, no replay protection). Default false. */
  requireQop?: boolean;
  /** Size of the (nonce, nc) replay cache (default 20 000 entries). */
  replayCacheSize?: number;
  /**
   * Refuse credentials whose `uri` differs from the Request-URI (RFC 7616 §3.4.6 SHOULD). Off by default: SIPp
   * and some phones put the server's address there; the response, nonce and nc checks still apply to that uri.
   */
  strictUri?: boolean;
}

export interface ChallengeOptions {
  algorithm?: 'MD5' | 'SHA-256' | 'SHA-512-256';
  stale?: boolean;
  /** 407 Proxy-Authenticate instead of 401 WWW-Authenticate. */
  proxy?: boolean;
}

export interface Challenge {
  header: 'WWW-Authenticate' | 'Proxy-Authenticate';
  value: string;
}

export type VerifyFailure = 'missing' | 'unknown_user' | 'bad_response' | 'stale' | 'wrong_realm' | 'malformed';

export type VerifyResult =
  | { ok: true; username: string; algorithm: DigestAlgorithm }
  | { ok: false; reason: VerifyFailure; username?: string; detail?: string };

export interface VerifyOptions {
  /** Which credentials header to read: `www` (Authorization), `proxy` (Proxy-Authorization) or `both` (default). */
  header?: 'www' | 'proxy' | 'both';
}

export type PasswordLookup = (username: string) => Promise<string | undefined>;

const NONCE_PAYLOAD = 14; // 6 bytes issue time (ms) + 8 random bytes
const NONCE_MAC = 16;
/** Nonces dated further in the future than this (clock skew between nodes) are not ours. */
const MAX_FUTURE_SKEW_MS = 60_000;

export class DigestServer {
  readonly nonceLifetimeMs: number;
  private readonly strictUri: boolean;
  private readonly secret: Buffer;
  private readonly clock: WallClock;
  private readonly accept: ReadonlySet<DigestAlgorithm>;
  private readonly requireQop: boolean;
  private readonly replayCacheSize: number;
  /** `nonce nc` pairs already accepted, oldest first (Map keeps insertion order). */
  private readonly seen = new Map<string, true>();

  constructor(opts: DigestServerOptions = {}) {
    this.secret = opts.secret ?? randomBytes(32);
    this.nonceLifetimeMs = opts.nonceLifetimeMs ?? 300_000;
    this.strictUri = opts.strictUri ?? false;
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.accept = new Set(opts.acceptAlgorithms ?? DIGEST_ALGORITHMS);
    this.requireQop = opts.requireQop ?? false;
    this.replayCacheSize = Math.max(1, opts.replayCacheSize ?? 20_000);
  }

  /** A fresh challenge for `realm`: `Digest realm, nonce, opaque, algorithm, qop="auth"[, stale=true]`. */
  challenge(realm: string, opts: ChallengeOptions = {}): Challenge {
    const parts = [
      `Digest realm=${quote(realm)}`,
      `nonce=${quote(this.makeNonce(realm))}`,
      `opaque=${quote(this.opaqueFor(realm))}`,
      `algorithm=${opts.algorithm ?? 'MD5'}`,
      'qop="auth"',
    ];
    if (opts.stale) parts.push('stale=true');
    return { header: opts.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate', value: parts.join(', ') };
  }

  /**
   * Checks the request's Digest credentials for `realm`. Order: credentials present and for this realm, well
   * formed, uri matches the Request-URI, user known, response correct, then nonce freshness and nc replay —
   * so `stale` is only reported for a correct response (RFC 7616 §3.3), telling the client it may retry with
   * the new nonce without asking its user again. A nonce this server cannot authenticate (another secret, a
   * restart without a shared secret) is reported as `stale` too, for the same reason.
   */
  async verify(
    req: SipRequest,
    realm: string,
    lookup: PasswordLookup,
    opts: VerifyOptions = {},
  ): Promise<VerifyResult> {
    const which = opts.header ?? 'both';
    const lines = [
      ...(which !== 'proxy' ? req.headers.lines('authorization') : []),
      ...(which !== 'www' ? req.headers.lines('proxy-authorization') : []),
    ];
    const digests = lines
      .map(parseAuthHeader)
      .filter((h): h is AuthHeader => h !== undefined && h.scheme.toLowerCase() === 'digest');
    if (digests.length === 0) return { ok: false, reason: 'missing' };
    const cred = digests.find((d) => sameRealm(d.params.realm, realm));
    if (!cred) return { ok: false, reason: 'wrong_realm', username: digests[0].params.username };

    const p = cred.params;
    const username = p.username;
    const fail = (reason: VerifyFailure, detail?: string): VerifyResult => ({ ok: false, reason, username, detail });
    if (username === undefined || !p.nonce || p.uri === undefined || !p.response) {
      return fail('malformed', 'username, nonce, uri and response are required');
    }
    const algorithm = normalizeAlgorithm(p.algorithm);
    if (!algorithm || !this.accept.has(algorithm)) return fail('malformed', `unsupported algorithm ${p.algorithm}`);
    const qop = p.qop?.toLowerCase();
    if (qop !== undefined) {
      if (qop !== 'auth' && qop !== 'auth-int') return fail('malformed', `unsupported qop ${p.qop}`);
      if (!/^[0-9a-f]{8}$/i.test(p.nc ?? '') || !p.cnonce) return fail('malformed', 'qop requires nc and cnonce');
    } else if (this.requireQop) {
      return fail('malformed', 'qop is required');
    }
    if (algorithm.endsWith('-sess') && !p.cnonce) return fail('malformed', 'cnonce is required with -sess');
    if (!new RegExp(`^[0-9a-f]{${hexLength(algorithm)}}$`, 'i').test(p.response)) {
      return fail('malformed', 'response is not a digest of the right length');
    }
    if (this.strictUri && !sameUri(p.uri, req.uri)) return fail('malformed', 'uri does not match the Request-URI');

    const password = await lookup(username);
    if (password === undefined) return fail('unknown_user');
    const expected = computeDigest({
      algorithm,
      username,
      realm: p.realm,
      password,
      method: req.method,
      uri: p.uri,
      nonce: p.nonce,
      qop,
      nc: p.nc,
      cnonce: p.cnonce,
      body: req.body,
    });
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(p.response.toLowerCase()))) return fail('bad_response');

    const nonce = this.checkNonce(p.nonce, realm);
    if (nonce !== 'ok') return fail('stale', nonce);
    if (qop !== undefined) {
      const key = `${p.nonce} ${p.nc.toLowerCase()}`;
      if (this.seen.has(key)) return fail('stale', 'nonce count replayed');
      this.seen.set(key, true);
      if (this.seen.size > this.replayCacheSize) this.seen.delete(this.seen.keys().next().value as string);
    }
    return { ok: true, username, algorithm };
  }

  private makeNonce(realm: string): string {
    const payload = Buffer.alloc(NONCE_PAYLOAD);
    payload.writeUIntBE(Math.max(0, Math.floor(this.clock.now())), 0, 6);
    randomBytes(8).copy(payload, 6);
    return Buffer.concat([payload, this.mac(payload, realm)]).toString('base64url');
  }

  private mac(payload: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret)
      .update(payload)
      .update('\0' + realm.toLowerCase())
      .digest()
      .subarray(0, NONCE_MAC);
  }

  /** 'ok', or why the nonce is not acceptable. */
  private checkNonce(nonce: string, realm: string): 'ok' | string {
    if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return 'nonce not issued here';
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_PAYLOAD + NONCE_MAC) return 'nonce not issued here';
    const payload = raw.subarray(0, NONCE_PAYLOAD);
    if (!timingSafeEqual(raw.subarray(NONCE_PAYLOAD), this.mac(payload, realm))) return 'nonce not issued here';
    const age = this.clock.now() - payload.readUIntBE(0, 6);
    if (age < -MAX_FUTURE_SKEW_MS) return 'nonce from the future';
    if (age > this.nonceLifetimeMs) return 'nonce expired';
    return 'ok';
  }

  private opaqueFor(realm: string): string {
    return createHmac('sha256', this.secret)
      .update('opaque\0' + realm.toLowerCase())
      .digest()
      .subarray(0, 12)
      .toString('base64url');
  }
}

function sameRealm(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/**
 * The digest `uri` against the Request-URI: equal as written, or equal after lower-casing scheme and host,
 * dropping `<>`, URI parameters and headers (proxies and some UAs add or reorder those).
 */
function sameUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const norm = (u: string): string => {
    const s = u.trim().replace(/^<(.*)>$/, '$1');
    const m = /^([a-z][a-z0-9+.-]*):(?:([^@;?]*)@)?([^;?]*)/i.exec(s);
    if (!m) return s;
    return `${m[1].toLowerCase()}:${m[2] !== undefined ? m[2] + '@' : ''}${m[3].toLowerCase()}`;
  };
  return norm(digestUri) === norm(requestUri);
}

// ---- client -------------------------------------------------------------------------------------------------

export interface AuthorizeOptions {
  username: string;
  password: string;
  method: string;
  /** The digest-uri: the Request-URI of the request being authorised. */
  uri: string;
  /** Body, for qop=auth-int. */
  body?: Buffer | string;
  /** Client nonce (random when absent). */
  cnonce?: string;
  /** Nonce count for this nonce, 1 for its first use (default 1); a number or eight hex digits. */
  nc?: number | string;
}

function rank(value: string): number {
  const h = parseAuthHeader(value);
  if (!h || h.scheme.toLowerCase() !== 'digest' || !h.params.nonce || h.params.realm === undefined) return -1;
  const alg = normalizeAlgorithm(h.params.algorithm);
  if (!alg) return -1;
  return DIGEST_ALGORITHMS.length - DIGEST_ALGORITHMS.indexOf(alg);
}

/**
 * Of several WWW-/Proxy-Authenticate values, the Digest challenge with the strongest supported algorithm
 * (RFC 8760 §2.4: SHA-512-256, then SHA-256, then MD5); the first offered wins ties. Undefined if none is usable.
 */
export function pickChallenge(values: string[]): string | undefined {
  let best: string | undefined;
  let bestRank = -1;
  for (const v of values) {
    const r = rank(v);
    if (r > bestRank) {
      best = v;
      bestRank = r;
    }
  }
  return best;
}

/** The credentials header answering a challenge header (401 → Authorization, 407 → Proxy-Authorization). */
export function credentialsHeaderFor(challengeHeader: string): 'Authorization' | 'Proxy-Authorization' {
  return challengeHeader.toLowerCase() === 'proxy-authenticate' ? 'Proxy-Authorization' : 'Authorization';
}

/**
 * Answers one Digest challenge: the value for Authorization / Proxy-Authorization. Uses qop=auth when offered
 * (auth-int only when it is the only qop offered), RFC 2069 form when no qop is offered. Throws on a challenge
 * that is not Digest, lacks realm or nonce, or names an unsupported algorithm.
 */
export function authorize(challengeValue: string, o: AuthorizeOptions): string {
  const h = parseAuthHeader(challengeValue);
  if (!h || h.scheme.toLowerCase() !== 'digest') throw new Error('not a Digest challenge');
  const c = h.params;
  if (c.realm === undefined || !c.nonce) throw new Error('Digest challenge without realm or nonce');
  const algorithm = normalizeAlgorithm(c.algorithm);
  if (!algorithm) throw new Error(`unsupported Digest algorithm ${c.algorithm}`);
  const offered =
    c.qop === undefined
      ? []
      : c.qop
          .split(',')
          .map((q) => q.trim().toLowerCase())
          .filter(Boolean);
  const qop = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
  if (offered.length > 0 && !qop) throw new Error(`unsupported qop ${c.qop}`);
  const needCnonce = qop !== undefined || algorithm.endsWith('-sess');
  const cnonce = needCnonce ? (o.cnonce ?? randomBytes(12).toString('hex')) : undefined;
  const nc = qop ? formatNc(o.nc ?? 1) : undefined;
  const response = computeDigest({
    algorithm,
    username: o.username,
    realm: c.realm,
    password: o.password,
    method: o.method,
    uri: o.uri,
    nonce: c.nonce,
    qop,
    nc,
    cnonce,
    body: o.body,
  });
  const parts = [
    `Digest username=${quote(o.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(o.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${algorithm}`,
  ];
  if (cnonce !== undefined) parts.push(`cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`);
  return parts.join(', ');
}

function formatNc(nc: number | string): string {
  if (typeof nc === 'string') {
    if (!/^[0-9a-f]{8}$/i.test(nc)) throw new Error(`nc must be eight hex digits: ${nc}`);
    return nc.toLowerCase();
  }
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new Error(`nc out of range: ${nc}`);
  return nc.toString(16).padStart(8, '0');
}
