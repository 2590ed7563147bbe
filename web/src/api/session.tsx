// The signed-in session: who is logged in (a user of an account, with a token that expires), and which account the
// app is acting on (the login account or one of its sub-accounts, chosen with the account switcher). Kept in
// localStorage so a reload stays signed in; an expired or revoked token brings back the sign-in dialog over the
// page, so unsaved work is not lost.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, configureClient } from './client';

export interface Login {
  token: string;
  accountId: string;
  accountName: string;
  ownerId?: string;
  username: string;
  privLevel: 'admin' | 'user';
  /** ISO time the token stops working. */
  expires: string;
}

export interface ActingAccount {
  id: string;
  name: string;
}

interface SessionValue {
  login?: Login;
  /** The account every page shows and edits. */
  account?: ActingAccount;
  /** True once a stored login was checked (or there was none). */
  ready: boolean;
  /** The token stopped working: the app shows the sign-in dialog over the page. */
  expired: boolean;
  signIn(accountName: string, username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  switchAccount(account: ActingAccount): void;
}

const STORAGE = 'pivot.session';
const ACTING = 'pivot.account';

const SessionContext = createContext<SessionValue | undefined>(undefined);

function stored<T>(key: string): T | undefined {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

interface AuthAnswer {
  account_id: string;
  account_name: string;
  owner_id?: string;
  priv_level: 'admin' | 'user';
  expires: string;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [login, setLogin] = useState<Login | undefined>(() => stored<Login>(STORAGE));
  const [account, setAccount] = useState<ActingAccount | undefined>(() => stored<ActingAccount>(ACTING));
  const [ready, setReady] = useState(false);
  const [expired, setExpired] = useState(false);

  // The client follows the token; a 401 anywhere marks the session expired.
  configureClient({ token: login?.token, onUnauthorized: () => setExpired(true) });

  // A stored token is checked once on load.
  useEffect(() => {
    if (!login) {
      setReady(true);
      return;
    }
    api
      .get<AuthAnswer>('/token_auth')
      .then(() => setReady(true))
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) {
          localStorage.removeItem(STORAGE);
          setLogin(undefined);
          setExpired(false);
        }
        setReady(true);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The clock reaching the expiry time is an expiry too (no request needed to notice it).
  useEffect(() => {
    if (!login) return;
    const left = Date.parse(login.expires) - Date.now();
    if (!(left > 0)) {
      setExpired(true);
      return;
    }
    const t = setTimeout(() => setExpired(true), Math.min(left, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [login]);

  const signIn = useCallback(
    async (accountName: string, username: string, password: string) => {
      const res = await fetch('/v2/user_auth', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ data: { account_name: accountName, username, password } }),
      }).catch(() => {
        throw new ApiError(0, 'Pivot is not reachable: check that the server is running');
      });
      const body = (await res.json().catch(() => ({}))) as {
        auth_token?: string;
        data?: AuthAnswer;
        message?: string;
      };
      if (!res.ok || !body.auth_token || !body.data) {
        const message =
          res.status === 401
            ? 'The account, username or password is not right.'
            : res.status === 429
              ? `Too many attempts: try again in ${res.headers.get('Retry-After') ?? 'a few'} seconds.`
              : (body.message ?? `Sign-in failed (${res.status}).`);
        throw new ApiError(res.status, message);
      }
      const next: Login = {
        token: body.auth_token,
        accountId: body.data.account_id,
        accountName: body.data.account_name,
        ownerId: body.data.owner_id,
        username,
        privLevel: body.data.priv_level,
        expires: body.data.expires,
      };
      localStorage.setItem(STORAGE, JSON.stringify(next));
      configureClient({ token: next.token, onUnauthorized: () => setExpired(true) });
      // Signing in again as the same user keeps the account being worked on.
      const keep = login && login.accountId === next.accountId && account;
      const acting = keep ? account : { id: next.accountId, name: next.accountName };
      localStorage.setItem(ACTING, JSON.stringify(acting));
      setAccount(acting);
      setLogin(next);
      setExpired(false);
    },
    [login, account],
  );

  const signOut = useCallback(async () => {
    await api.del('/token_auth').catch(() => undefined);
    localStorage.removeItem(STORAGE);
    localStorage.removeItem(ACTING);
    setLogin(undefined);
    setAccount(undefined);
    setExpired(false);
  }, []);

  const switchAccount = useCallback((next: ActingAccount) => {
    localStorage.setItem(ACTING, JSON.stringify(next));
    setAccount(next);
  }, []);

  const value = useMemo(
    () => ({ login, account: login ? account : undefined, ready, expired, signIn, signOut, switchAccount }),
    [login, account, ready, expired, signIn, signOut, switchAccount],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** The acting account's id and the path prefix of its resources: `/accounts/{id}`. */
export function useAccount(): { accountId: string; accountName: string; base: string } {
  const { account } = useSession();
  if (!account) throw new Error('useAccount without a signed-in session');
  return { accountId: account.id, accountName: account.name, base: `/accounts/${account.id}` };
}
