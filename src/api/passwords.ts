// User passwords at rest. KAZOO's login sends `credentials` = md5("username:password") instead of the password,
// so what is stored is scrypt over those credentials: `md5scrypt$N$r$p$<hash>`. Its salt is derived from the
// account id — one per account, not per user — which makes the hash a lookup key within the account (a login
// computes one scrypt, not one per user); the username inside the md5 already makes every user's input unique.
// Older `scrypt$N$r$p$salt$hash` hashes of the plain password are still verified when a password is given.

import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (secret: string, salt: Buffer, len: number, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(secret, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))));

const PARAMS = { N: 16384, r: 8, p: 1 };

/** KAZOO's login credentials: md5 of "username:password" (username lower-cased), in hex. */
export function credentialsOf(username: string, password: string): string {
  return createHash('md5').update(`${username.toLowerCase()}:${password}`).digest('hex');
}

const accountSalt = (accountId: string): Buffer =>
  createHash('sha256').update(`pivot-user-auth:${accountId}`).digest().subarray(0, 16);

/** The stored form of a user's credentials (md5 hex, as `credentialsOf` gives or a KAZOO client sends). */
export async function hashCredentials(accountId: string, credentials: string): Promise<string> {
  const key = await scrypt(credentials.toLowerCase(), accountSalt(accountId), 32, PARAMS);
  return `md5scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${key.toString('base64')}`;
}

/** Hash of a username and password for a user of `accountId`. */
export function hashPassword(accountId: string, username: string, password: string): Promise<string> {
  return hashCredentials(accountId, credentialsOf(username, password));
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when `stored` (either form) matches; `password` is needed for the older plain-password form. */
export async function verifyCredentials(
  stored: string,
  accountId: string,
  credentials: string,
  password?: string,
): Promise<boolean> {
  const [scheme, n, r, p, a, b] = stored.split('$');
  if (scheme === 'md5scrypt' && a) {
    const key = await scrypt(credentials.toLowerCase(), accountSalt(accountId), 32, { N: +n, r: +r, p: +p });
    return sameBytes(key, Buffer.from(a, 'base64'));
  }
  if (scheme === 'scrypt' && b && password !== undefined) {
    const expected = Buffer.from(b, 'base64');
    const key = await scrypt(password, Buffer.from(a, 'base64'), expected.length, { N: +n, r: +r, p: +p });
    return sameBytes(key, expected);
  }
  return false;
}

/**
 * A matcher of one login's credentials against many stored hashes of the account: the scrypt of the credentials
 * is computed once and compared with each `md5scrypt` hash of the current parameters; others are verified alone.
 */
export async function credentialsMatcher(
  accountId: string,
  credentials: string,
  password?: string,
): Promise<(stored: string) => Promise<boolean>> {
  const mine = await hashCredentials(accountId, credentials);
  const prefix = mine.slice(0, mine.lastIndexOf('$') + 1);
  return async (stored) =>
    stored.startsWith(prefix)
      ? sameBytes(Buffer.from(stored), Buffer.from(mine))
      : verifyCredentials(stored, accountId, credentials, password);
}

/** A random secret (API keys, generated passwords), URL-safe. */
export const randomSecret = (bytes = 24): string => randomBytes(bytes).toString('base64url');
