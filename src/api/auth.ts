// HTTP Basic credentials for the call APIs, as Twilio does it: the account id as user name and the account's
// signing key (Twilio's "auth token") as password. An account may act on itself and on its descendants, never on
// a sibling or an ancestor. The call APIs also take REST API tokens (`X-Auth-Token`, src/api/session.ts).

import { timingSafeEqual } from 'node:crypto';
import type { AccountDoc, Store } from '../store/types.js';

/**
 * Twilio's libraries insist that an account SID starts with `AC` (34 characters): `AC` + a Pivot account id is one,
 * and is accepted wherever an account id is (in URLs and as the Basic user name).
 */
export function accountIdOf(sid: string): string {
  return /^AC[0-9a-f]{32}$/i.test(sid) ? sid.slice(2) : sid;
}

export type AuthResult = { ok: true; account: AccountDoc } | { ok: false; status: 401 | 403; message: string };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks the `Authorization: Basic` header, and that its account may act on `targetAccountId`. */
export async function basicAuth(
  store: Store,
  header: string | undefined,
  targetAccountId: string,
): Promise<AuthResult> {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return { ok: false, status: 401, message: 'credentials required (HTTP Basic: account id and signing key)' };
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [user, secret] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const account = user ? await store.accounts.get(accountIdOf(user)) : undefined;
  const key = typeof account?.signing_key === 'string' ? account.signing_key : '';
  if (!account || !key || !sameSecret(secret, key) || account.enabled === false) {
    return { ok: false, status: 401, message: 'invalid credentials' };
  }
  if (account.id !== targetAccountId && !(await store.accounts.isDescendant(account.id, targetAccountId))) {
    return { ok: false, status: 403, message: 'these credentials cannot act on that account' };
  }
  return { ok: true, account };
}
