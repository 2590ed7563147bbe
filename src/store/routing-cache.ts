// Routing reads from memory. Every INVITE asks who owns the dialled number, for that account and for the callflow
// listing the number (a device's call: the account of its realm), and the Pivot session asks for the account again:
// rows that rarely change, read on the path between the INVITE and the webhook. Under load those reads cost more
// than the rest of routing, so they are kept here.
//
// A write through this store empties the cache; an entry lives at most `ttlMs`, so a write by another node sharing
// the PostgreSQL database (or a CLI on the same SQLite file) is seen within that time. A hit is parsed from JSON
// again, so each caller gets its own objects, as it did from the database.

import type { AccountRepo, CallflowRepo, PhoneNumberRepo, Store } from './types.js';

export interface RoutingCacheOptions {
  /** How long an entry is trusted without a write through this store (default 2 s). */
  ttlMs?: number;
  now?: () => number;
}

/** Past this many entries (a flood of unknown numbers) the cache starts over. */
const MAX_ENTRIES = 10_000;

export function withRoutingCache(store: Store, opts: RoutingCacheOptions = {}): Store {
  const ttlMs = opts.ttlMs ?? 2000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { json: string | undefined; expires: number }>();
  // Bumped around every write: a read that overlapped one may hold what the write replaced, and is not kept.
  let generation = 0;

  const cached = async <T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> => {
    const hit = entries.get(key);
    if (hit && hit.expires > now()) return hit.json === undefined ? undefined : (JSON.parse(hit.json) as T);
    const started = generation;
    const value = await load();
    if (started === generation) {
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(key, { json: value === undefined ? undefined : JSON.stringify(value), expires: now() + ttlMs });
    }
    return value;
  };

  /** `repo` with `reads` answered from the cache and `writes` emptying it; everything else untouched. */
  const wrap = <R extends object>(repo: R, reads: Partial<R>, writes: readonly (keyof R & string)[]): R => {
    const own: Record<string, unknown> = { ...reads };
    for (const name of writes) {
      const write = (repo[name] as (...args: unknown[]) => Promise<unknown>).bind(repo);
      own[name] = async (...args: unknown[]) => {
        generation++;
        try {
          return await write(...args);
        } finally {
          generation++;
          entries.clear();
        }
      };
    }
    return new Proxy(repo, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in own) return own[prop];
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };

  const { accounts, phoneNumbers, callflows } = store;
  return {
    ...store,
    accounts: wrap<AccountRepo>(
      accounts,
      {
        get: (id) => cached(`account:${id}`, () => accounts.get(id)),
        findByRealm: (realm) => cached(`realm:${realm}`, () => accounts.findByRealm(realm)),
      },
      ['create', 'update', 'delete'],
    ),
    phoneNumbers: wrap<PhoneNumberRepo>(
      phoneNumbers,
      { get: (number) => cached(`number:${number}`, () => phoneNumbers.get(number)) },
      ['assign', 'release'],
    ),
    callflows: wrap<CallflowRepo>(
      callflows,
      {
        findByNumber: (accountId, number) =>
          cached(`callflow:${accountId}:${number}`, () => callflows.findByNumber(accountId, number)),
      },
      ['create', 'update', 'replace', 'delete'],
    ),
  };
}
