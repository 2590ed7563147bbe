// Accounts and sub-accounts (KAZOO's /v2/accounts):
//   GET/POST/PATCH/DELETE /accounts/{id}, PUT /accounts/{id} creates a sub-account under {id},
//   GET /accounts/{id}/children | descendants | parents,
//   GET/PUT /accounts/{id}/pivot/signing_key (the webhook signing key; PUT rotates it),
//   GET/PUT /accounts/{id}/api_key (PUT makes a new key, shown once; only its digest is kept).
// A token reaches its own account and the accounts below it; changes need an admin token.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { newSigningKey } from '../store/ids.js';
import type { AccountDoc, AccountFields, Patch } from '../store/types.js';
import type { Api } from './crossbar.js';
import { forbidden, revisionOf, send } from './envelope.js';
import { randomSecret } from './passwords.js';
import { digest, requireAdmin } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

const realm = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' };

export const accountSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    realm,
    timezone: { type: 'string', maxLength: 64 },
    language: { type: 'string', maxLength: 16 },
    enabled: { type: 'boolean' },
    caller_id: { type: 'object' },
  },
};
const newAccountSchema: JsonSchema = { ...accountSchema, required: ['name'] };

/** Fields a client never sets nor sees as such. */
const HIDDEN = ['signing_key', 'tree', 'superduper_admin'];
const FIXED = ['id', 'created', 'modified', 'parent_id', 'tree', 'signing_key', 'superduper_admin'];

/** An account as the API shows it (no secrets; the tree as `parent_id` only). */
export function publicAccount(a: AccountDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (!HIDDEN.includes(k) && !k.startsWith('pvt_')) out[k] = v;
  return out;
}

const summary = (a: AccountDoc) => ({ id: a.id, name: a.name, realm: a.realm, parent_id: a.parent_id });

const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'account';

function clientFields(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!FIXED.includes(k) && !k.startsWith('pvt_')) out[k] = v;
  return out;
}

export function accountRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };

  api.route<P>(
    { method: 'GET', url: '/accounts/:account_id', summary: 'Read an account', tag: 'accounts' },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, publicAccount(account), { revision: revisionOf(account) });
    },
  );

  api.route<P>(
    {
      method: 'PUT',
      url: '/accounts/:account_id',
      summary: 'Create a sub-account under this account',
      tag: 'accounts',
      body: newAccountSchema,
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const parent = await sessions.account(auth, req.params.account_id);
      const data = clientFields(check<Record<string, unknown>>(newAccountSchema, dataOf(req.body)));
      const fields = { ...data, parent_id: parent.id } as AccountFields;
      if (!fields.realm) fields.realm = await freeRealm(`${slug(fields.name)}.${parent.realm}`);
      const child = await store.accounts.create(fields);
      return send(req, reply, publicAccount(child), { revision: revisionOf(child) }, 201);
    },
  );

  /** `base`, or `base` with a short random label in front when another account has it. */
  async function freeRealm(base: string): Promise<string> {
    for (let i = 0; i < 5; i++) {
      const candidate =
        i === 0
          ? base
          : `${randomSecret(3)
              .toLowerCase()
              .replace(/[^a-z0-9]/g, 'x')}-${base}`;
      if (!(await store.accounts.findByRealm(candidate))) return candidate;
    }
    return `${randomSecret(6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}.${base}`;
  }

  const change =
    (merge: boolean) => async (req: { params: P; body: unknown }, auth: Parameters<typeof requireAdmin>[0]) => {
      requireAdmin(auth);
      const current = await sessions.account(auth, req.params.account_id);
      const data = clientFields(
        check<Record<string, unknown>>(merge ? accountSchema : newAccountSchema, dataOf(req.body)),
      );
      const patch: Record<string, unknown> = { ...data };
      // POST replaces: fields the client left out are removed (private and fixed ones stay).
      // The realm stays unless a new one is given (devices register with it).
      if (!merge)
        for (const k of Object.keys(clientFields(current))) if (!(k in data) && k !== 'realm') patch[k] = null;
      return store.accounts.update(current.id, patch as Patch<AccountFields>);
    };

  api.route<P>(
    {
      method: 'POST',
      url: '/accounts/:account_id',
      summary: 'Replace an account',
      tag: 'accounts',
      body: newAccountSchema,
    },
    async (req, reply, auth) => {
      const account = await change(false)(req, auth);
      return send(req, reply, publicAccount(account), { revision: revisionOf(account) });
    },
  );

  api.route<P>(
    {
      method: 'PATCH',
      url: '/accounts/:account_id',
      summary: 'Change some fields of an account',
      tag: 'accounts',
      body: accountSchema,
    },
    async (req, reply, auth) => {
      const account = await change(true)(req, auth);
      return send(req, reply, publicAccount(account), { revision: revisionOf(account) });
    },
  );

  api.route<P>(
    {
      method: 'DELETE',
      url: '/accounts/:account_id',
      summary: 'Delete a sub-account and everything it owns (it must have no sub-accounts)',
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      if (account.id === auth.accountId) throw forbidden('an account cannot delete itself: use its parent');
      await store.accounts.delete(account.id);
      // Its rows are gone with it; its files (media, recordings, voicemail) go too.
      const dataDir = api.dataDir;
      if (dataDir) {
        await Promise.all(
          ['media', 'recordings', 'voicemail'].map((kind) =>
            rm(join(dataDir, kind, account.id), { recursive: true, force: true }),
          ),
        );
      }
      return send(req, reply, publicAccount(account));
    },
  );

  api.route<P>(
    { method: 'GET', url: '/accounts/:account_id/children', summary: 'Direct sub-accounts', tag: 'accounts' },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, (await store.accounts.children(account.id)).map(summary));
    },
  );

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/descendants',
      summary: 'Every account below, parents first',
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, (await store.accounts.descendants(account.id)).map(summary));
    },
  );

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/parents',
      summary: "The account's ancestors that this token may see, root first",
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      // Only down to the token's own account: an account never sees above itself.
      const from = account.tree.indexOf(auth.accountId);
      const visible = from < 0 ? [] : account.tree.slice(from);
      const parents = await Promise.all(visible.map((id) => store.accounts.get(id)));
      return send(req, reply, parents.filter((p): p is AccountDoc => !!p).map(summary));
    },
  );

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/pivot/signing_key',
      summary: "The key that signs the account's webhook requests (X-Twilio-Signature and Pivot's own)",
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, { signing_key: account.signing_key });
    },
  );

  api.route<P>(
    {
      method: 'PUT',
      url: '/accounts/:account_id/pivot/signing_key',
      summary: 'Rotate the webhook signing key (requests are signed with the new key at once)',
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const updated = await store.accounts.update(account.id, { signing_key: newSigningKey() });
      return send(req, reply, { signing_key: updated.signing_key });
    },
  );

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/api_key',
      summary: 'Whether the account has an API key, and since when (the key itself is shown only when made)',
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const created = await store.apiKeys.createdFor(account.id);
      return send(req, reply, {
        has_api_key: created !== undefined,
        created: created && new Date(created).toISOString(),
      });
    },
  );

  api.route<P>(
    {
      method: 'PUT',
      url: '/accounts/:account_id/api_key',
      summary: 'Make a new API key for PUT /v2/api_auth (replaces the old one; shown only in this answer)',
      tag: 'accounts',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const key = randomSecret(32);
      await store.apiKeys.set(account.id, digest(key));
      return send(req, reply, { api_key: key }, {}, 201);
    },
  );
}
