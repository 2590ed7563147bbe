// Logging in, as KAZOO does it:
//   PUT /v2/user_auth  {"data": {"credentials": md5("username:password"), "account_name": "…"}}  (or
//                      account_realm / phone_number instead of account_name; or username + password in clear)
//   PUT /v2/api_auth   {"data": {"api_key": "…"}}
//   GET /v2/token_auth (what the token is) and DELETE /v2/token_auth (revoke it).
// Every answer carries the `auth_token` to send as X-Auth-Token.

import { toE164 } from '../call/numbers.js';
import type { AccountDoc, UserDoc } from '../store/types.js';
import type { Api } from './crossbar.js';
import { fieldError, send, unauthorized } from './envelope.js';
import { credentialsMatcher, credentialsOf } from './passwords.js';
import { digest, type AuthContext } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

const userAuthSchema: JsonSchema = {
  type: 'object',
  properties: {
    credentials: { type: 'string', pattern: '^[0-9a-fA-F]{32}$', description: 'md5 of "username:password"' },
    username: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    method: { type: 'string', enum: ['md5'], default: 'md5' },
    account_name: { type: 'string', minLength: 1, maxLength: 128 },
    account_realm: { type: 'string', minLength: 1, maxLength: 253 },
    phone_number: { type: 'string', minLength: 1, maxLength: 32 },
  },
};

const apiAuthSchema: JsonSchema = {
  type: 'object',
  required: ['api_key'],
  properties: { api_key: { type: 'string', minLength: 16, maxLength: 256 } },
};

interface UserAuth {
  credentials?: string;
  username?: string;
  password?: string;
  account_name?: string;
  account_realm?: string;
  phone_number?: string;
}

/** What a login answers: the account and user the token acts for (KAZOO's fields). */
function sessionData(auth: AuthContext, account: AccountDoc, user?: UserDoc): Record<string, unknown> {
  return {
    account_id: account.id,
    account_name: account.name,
    owner_id: user?.id,
    priv_level: auth.privLevel,
    method: auth.method,
    expires: new Date(auth.expires).toISOString(),
    language: user?.language ?? account.language ?? 'en-us',
    timezone: account.timezone,
    is_reseller: false,
  };
}

export function authRoutes(api: Api): void {
  const { store, sessions, throttle } = api;

  async function accountOf(body: UserAuth): Promise<AccountDoc | undefined> {
    if (body.account_name) return store.accounts.findByName(body.account_name);
    if (body.account_realm) return store.accounts.findByRealm(body.account_realm);
    if (body.phone_number) {
      const owner = await store.phoneNumbers.get(toE164(body.phone_number) ?? body.phone_number);
      return owner ? store.accounts.get(owner.account_id) : undefined;
    }
    return undefined;
  }

  api.route(
    {
      method: 'PUT',
      url: '/user_auth',
      summary: 'Log in as a user: md5 credentials (or username and password) and the account',
      tag: 'auth',
      body: userAuthSchema,
      auth: false,
    },
    async (req, reply) => {
      const body = check<UserAuth>(userAuthSchema, dataOf(req.body));
      if (!body.credentials && !(body.username && body.password)) {
        throw fieldError(
          'credentials',
          'required',
          'send credentials (md5 of "username:password") or username and password',
        );
      }
      if (!body.account_name && !body.account_realm && !body.phone_number) {
        throw fieldError('account_name', 'required', 'name the account: account_name, account_realm or phone_number');
      }
      const key = body.account_name ?? body.account_realm ?? body.phone_number ?? '';
      throttle.attempt(req.ip, key.toLowerCase());
      const credentials = body.credentials ?? credentialsOf(body.username!, body.password!);
      const account = await accountOf(body);
      const user = account && (await findUser(account, credentials, body));
      if (!account || !user || account.enabled === false || user.enabled === false) {
        throttle.failed(req.ip, key.toLowerCase());
        throw unauthorized();
      }
      throttle.succeeded(req.ip, key.toLowerCase());
      const auth = await sessions.issue({
        account_id: account.id,
        user_id: user.id,
        priv_level: user.priv_level === 'admin' ? 'admin' : 'user',
        method: 'user_auth',
      });
      req.auth = auth;
      return send(req, reply, sessionData(auth, account, user), {}, 201);
    },
  );

  /** The user whose stored hash matches: one scrypt for the whole account (see passwords.ts). */
  async function findUser(account: AccountDoc, credentials: string, body: UserAuth): Promise<UserDoc | undefined> {
    const users = body.username
      ? [await store.users.findByUsername(account.id, body.username)].filter((u): u is UserDoc => !!u)
      : (await store.users.list(account.id)).items;
    const matches = await credentialsMatcher(account.id, credentials, body.password);
    for (const user of users) {
      const stored = typeof user.password_hash === 'string' ? user.password_hash : '';
      if (stored && (await matches(stored))) return user;
    }
    return undefined;
  }

  api.route(
    {
      method: 'PUT',
      url: '/api_auth',
      summary: "Log in with an account's API key",
      tag: 'auth',
      body: apiAuthSchema,
      auth: false,
    },
    async (req, reply) => {
      const { api_key } = check<{ api_key: string }>(apiAuthSchema, dataOf(req.body));
      throttle.attempt(req.ip, 'api_key');
      const accountId = await store.apiKeys.accountFor(digest(api_key));
      const account = accountId ? await store.accounts.get(accountId) : undefined;
      if (!account || account.enabled === false) {
        throttle.failed(req.ip, 'api_key');
        throw unauthorized('invalid api_key');
      }
      const auth = await sessions.issue({ account_id: account.id, priv_level: 'admin', method: 'api_auth' });
      req.auth = auth;
      return send(req, reply, sessionData(auth, account), {}, 201);
    },
  );

  api.route(
    { method: 'GET', url: '/token_auth', summary: 'What the current token is: account, user, expiry', tag: 'auth' },
    async (req, reply, auth) => {
      const account = await store.accounts.get(auth.accountId);
      const user = auth.userId ? await store.users.get(auth.accountId, auth.userId) : undefined;
      return send(req, reply, sessionData(auth, account!, user));
    },
  );

  api.route(
    { method: 'DELETE', url: '/token_auth', summary: 'Revoke the current token (log out)', tag: 'auth' },
    async (req, reply, auth) => {
      await sessions.revoke(auth.token);
      req.auth = undefined;
      return send(req, reply, {});
    },
  );
}
