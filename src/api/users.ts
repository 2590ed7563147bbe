// Users (KAZOO's /v2/accounts/{id}/users). A `password` in a body is never stored: it becomes `password_hash`
// (md5 credentials under scrypt, see passwords.ts), which is never answered. That hash covers the username, so a
// rename needs the password too. Usernames are unique in the account, case-insensitively. Admin tokens change any
// user; a `user` token reads the users and changes only its own document, never its priv_level. A deleted user's
// tokens are revoked, and so are a user's tokens when its password, username or priv_level changes (a token
// carries the priv_level it was issued with).

import type { Api } from './crossbar.js';
import { docRoutes, type WriteContext } from './doc-routes.js';
import { conflict, fieldError, forbidden } from './envelope.js';
import { hashPassword } from './passwords.js';
import type { JsonSchema } from './validate.js';

const name = { type: 'string', maxLength: 128 };

export const userSchema: JsonSchema = {
  type: 'object',
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 128, pattern: '^\\S+$' },
    password: { type: 'string', minLength: 1, maxLength: 1024, writeOnly: true, description: 'stored hashed only' },
    first_name: name,
    last_name: name,
    email: { type: 'string', format: 'email', maxLength: 254 },
    priv_level: { type: 'string', enum: ['admin', 'user'], default: 'user' },
    enabled: { type: 'boolean' },
    language: { type: 'string', maxLength: 16 },
    timezone: { type: 'string', maxLength: 64 },
    presence_id: { type: 'string', maxLength: 128 },
    caller_id: { type: 'object' },
    vm_to_email_enabled: { type: 'boolean' },
  },
};

const lower = (v: unknown): string | undefined => (typeof v === 'string' ? v.toLowerCase() : undefined);

/** What in a write invalidates the user's tokens. */
function revokes(ctx: WriteContext, stored: Record<string, unknown>): boolean {
  const { current } = ctx;
  if (!current) return false;
  return (
    ctx.input.password !== undefined ||
    lower(current.username) !== lower(stored.username) ||
    (current.priv_level ?? 'user') !== (stored.priv_level ?? 'user')
  );
}

export function userRoutes(api: Api): void {
  const { store } = api;
  docRoutes(api, {
    path: 'users',
    idParam: 'user_id',
    one: 'a user',
    entity: 'user',
    tag: 'users',
    repo: (s) => s.users,
    schema: userSchema,
    privateFields: ['password_hash'],
    secretFields: ['password_hash', 'password'],
    authorize(auth, action, current) {
      if (auth.privLevel === 'admin') return;
      const self = current && current.id === auth.userId && current.account_id === auth.accountId;
      if (self && (action === 'replace' || action === 'patch')) return;
      throw forbidden('a user token may change only its own user document; anything else needs an admin token');
    },
    async beforeWrite({ auth, account, current, doc }) {
      if (auth.privLevel !== 'admin' && (doc.priv_level ?? 'user') !== (current?.priv_level ?? 'user')) {
        throw forbidden('a user cannot change its own priv_level');
      }
      const password = doc.password as string | undefined;
      delete doc.password;
      const username = doc.username as string | undefined;
      if (username !== undefined) {
        const other = await store.users.findByUsername(account.id, username);
        if (other && other.id !== current?.id) {
          throw conflict('username', `username ${username} is already used in this account`, other.id);
        }
      }
      if (password !== undefined) {
        if (!username) throw fieldError('username', 'required', 'a user with a password needs a username to log in');
        doc.password_hash = await hashPassword(account.id, username, password);
      } else if (current?.password_hash && lower(current.username) !== lower(username)) {
        // The stored hash is of "username:password": without the password it cannot follow a rename.
        if (username) throw fieldError('password', 'required', 'changing the username needs the password too');
        doc.password_hash = undefined; // no username, no login
      }
    },
    async afterWrite(ctx, stored) {
      if (revokes(ctx, stored)) await store.authTokens.deleteForUser(ctx.account.id, stored.id);
    },
    async beforeDelete(auth, _account, current) {
      // Deleting one's own user would end the session mid-way and can leave an account without an admin.
      if (current.id === auth.userId) throw forbidden('you cannot delete your own user; sign in as another admin');
    },
    async afterDelete(_auth, account, current) {
      await store.authTokens.deleteForUser(account.id, current.id);
    },
  });
}
