// Who is calling the REST API: tokens from `PUT /v2/user_auth` or `PUT /v2/api_auth` (kept as SHA-256 digests,
// expiring, revocable), the account each token acts for, and the one access rule — an account reaches itself and
// its descendants, never a sibling or an ancestor. Failed logins are throttled per client and locked out per
// client and account.

import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AccountDoc, AuthTokenRecord, Store } from '../store/types.js';
import { ApiError, forbidden, unauthorized } from './envelope.js';

export interface AuthContext {
  /** The token as the client sends it. */
  token: string;
  accountId: string;
  userId?: string;
  privLevel: 'admin' | 'user';
  method: 'user_auth' | 'api_auth';
  expires: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
}

export const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export class Sessions {
  constructor(
    private readonly store: Store,
    /** Token lifetime. */
    readonly ttlMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(fields: Omit<AuthTokenRecord, 'id' | 'created' | 'expires'>): Promise<AuthContext> {
    const token = randomBytes(32).toString('base64url');
    const created = this.now();
    const record: AuthTokenRecord = { ...fields, id: digest(token), created, expires: created + this.ttlMs };
    await this.store.authTokens.add(record);
    return {
      token,
      accountId: record.account_id,
      userId: record.user_id,
      privLevel: record.priv_level,
      method: record.method,
      expires: record.expires,
    };
  }

  /** The request's token (`X-Auth-Token`, or `Authorization: Bearer`), checked; a clear 401 otherwise. */
  async authenticate(req: FastifyRequest): Promise<AuthContext> {
    const header = req.headers['x-auth-token'];
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
    if (!token) throw unauthorized('authentication required: send the token from PUT /v2/user_auth in X-Auth-Token');
    const record = await this.store.authTokens.get(digest(token));
    if (!record) throw unauthorized('invalid credentials: the token is unknown or was revoked');
    if (record.expires <= this.now()) {
      await this.store.authTokens.delete(record.id);
      throw unauthorized('the token expired: authenticate again');
    }
    const account = await this.store.accounts.get(record.account_id);
    if (!account || account.enabled === false) throw unauthorized('the account of this token is disabled');
    if (record.user_id) {
      const user = await this.store.users.get(record.account_id, record.user_id);
      if (!user || user.enabled === false) throw unauthorized('the user of this token is disabled');
    }
    return {
      token,
      accountId: record.account_id,
      userId: record.user_id,
      privLevel: record.priv_level,
      method: record.method,
      expires: record.expires,
    };
  }

  revoke(token: string): Promise<void> {
    return this.store.authTokens.delete(digest(token));
  }

  /**
   * The account `accountId` if `auth` may act on it (itself or a descendant); 403 otherwise — the same answer
   * whether or not it exists, so ids of other tenants cannot be probed.
   */
  async account(auth: AuthContext, accountId: string): Promise<AccountDoc> {
    const ok = accountId === auth.accountId || (await this.store.accounts.isDescendant(auth.accountId, accountId));
    const account = ok ? await this.store.accounts.get(accountId) : undefined;
    if (!account) throw forbidden(`this token cannot act on account ${accountId}`);
    return account;
  }
}

/** Changes need an admin token; a `user` token reads (and changes only what a route allows it to). */
export function requireAdmin(auth: AuthContext): void {
  if (auth.privLevel !== 'admin') throw forbidden('this needs an admin (priv_level "admin") token');
}

interface Window {
  count: number;
  since: number;
  lockedUntil?: number;
}

/**
 * Login throttling: at most `perMinute` attempts per client address, and `maxFailures` failed logins per client
 * and account within `windowMs` lock that pair out for `lockMs` (answered 429 with Retry-After). In memory: each
 * node of a cluster keeps its own count.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, Window>();
  private readonly failures = new Map<string, Window>();

  constructor(
    private readonly opts = { perMinute: 30, maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt; throws 429 when the client is over its rate or locked out of `account`. */
  attempt(ip: string, account: string): void {
    const now = this.now();
    const locked = this.failures.get(`${ip}|${account}`)?.lockedUntil;
    if (locked && locked > now) throw tooMany(locked - now, 'too many failed logins for this account');
    const w = this.window(this.attempts, ip, 60_000, now);
    if (++w.count > this.opts.perMinute) throw tooMany(w.since + 60_000 - now, 'too many login attempts');
  }

  failed(ip: string, account: string): void {
    const now = this.now();
    const w = this.window(this.failures, `${ip}|${account}`, this.opts.windowMs, now);
    if (++w.count >= this.opts.maxFailures) w.lockedUntil = now + this.opts.lockMs;
  }

  succeeded(ip: string, account: string): void {
    this.failures.delete(`${ip}|${account}`);
  }

  private window(map: Map<string, Window>, key: string, span: number, now: number): Window {
    let w = map.get(key);
    if (!w || (now - w.since > span && !(w.lockedUntil && w.lockedUntil > now))) {
      w = { count: 0, since: now };
      map.set(key, w);
      if (map.size > 10_000) this.prune(map, span, now);
    }
    return w;
  }

  private prune(map: Map<string, Window>, span: number, now: number): void {
    for (const [k, w] of map) if (now - w.since > span && !(w.lockedUntil && w.lockedUntil > now)) map.delete(k);
  }
}

function tooMany(ms: number, message: string): ApiError {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new ApiError(429, `${message}; try again in ${seconds} s`, {}, { 'Retry-After': String(seconds) });
}
