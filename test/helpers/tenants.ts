// Accounts with users for the REST API tests: sub-accounts made over the API, users with known passwords made in
// the store (so the tests of the users API do not depend on themselves), and a listing walked page by page.

import assert from 'node:assert/strict';
import { hashPassword } from '../../src/api/passwords.js';
import type { ApiServer } from './api.js';

export interface Tenant {
  id: string;
  name: string;
  /** Token of the account's admin user `boss`. */
  token: string;
  bossId: string;
}

/** A sub-account of `parentId` named `name`, with an admin user `boss` logged in. */
export async function tenant(api: ApiServer, parentToken: string, parentId: string, name: string): Promise<Tenant> {
  const res = await api.call('PUT', `/v2/accounts/${parentId}`, { token: parentToken, data: { name } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const id = res.body.data.id as string;
  const boss = await api.server.store.users.create(id, {
    username: 'boss',
    priv_level: 'admin',
    password_hash: await hashPassword(id, 'boss', `${name}-secret`),
  });
  return { id, name, token: await api.login(name, 'boss', `${name}-secret`), bossId: boss.id };
}

/** A `user`-level user of the tenant, logged in. */
export async function plainUser(
  api: ApiServer,
  t: { id: string; name: string },
  username: string,
): Promise<{ id: string; token: string }> {
  const user = await api.server.store.users.create(t.id, {
    username,
    priv_level: 'user',
    password_hash: await hashPassword(t.id, username, `${username}-pw`),
  });
  return { id: user.id, token: await api.login(t.name, username, `${username}-pw`) };
}

/** Every item of a listing, `page_size` at a time, following next_start_key; returns the pages' items. */
export async function walkPages(api: ApiServer, token: string, url: string, pageSize: number): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  let key: string | undefined;
  const sep = url.includes('?') ? '&' : '?';
  for (let i = 0; i < 100; i++) {
    const q = `${sep}page_size=${pageSize}${key ? `&start_key=${encodeURIComponent(key)}` : ''}`;
    const res = await api.call('GET', `${url}${q}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const items = Array.isArray(res.body.data) ? res.body.data : Object.values(res.body.data.numbers);
    assert.equal(res.body.page_size, items.length);
    pages.push(items);
    key = res.body.next_start_key as string | undefined;
    if (!key) return pages;
  }
  throw new Error('the listing never ended');
}
