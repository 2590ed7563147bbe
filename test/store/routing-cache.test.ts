// The routing cache over a real SQLite store: reads answered from memory, emptied by writes through the cached
// store, trusted no longer than the TTL for writes it cannot see (another node, or here the raw store).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withRoutingCache } from '../../src/store/routing-cache.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

const NUMBER = '+14155550123';

async function rig() {
  const raw = await openSqliteStore({ file: ':memory:' });
  const clock = { t: 1_700_000_000_000 };
  const store = withRoutingCache(raw, { ttlMs: 2000, now: () => clock.t });
  const account = await store.accounts.create({ name: 'Acme', realm: 'acme.sip.test' });
  return { raw, store, clock, account };
}

test('a number, its account and its callflow are read once, then from memory until the TTL', async () => {
  const { raw, store, clock, account } = await rig();
  try {
    await store.phoneNumbers.assign(account.id, NUMBER);
    const flow = await store.callflows.create(account.id, { numbers: [NUMBER], flow: { module: 'pivot', data: {} } });
    assert.equal((await store.phoneNumbers.get(NUMBER))?.account_id, account.id);
    assert.equal((await store.callflows.findByNumber(account.id, NUMBER))?.id, flow.id);
    assert.equal((await store.accounts.get(account.id))?.name, 'Acme');
    assert.equal((await store.accounts.findByRealm('acme.sip.test'))?.id, account.id);

    // Writes the cache cannot see (as from another node): the cached answers stand until the TTL runs out.
    await raw.accounts.update(account.id, { name: 'Acme 2', enabled: false });
    await raw.callflows.delete(account.id, flow.id);
    clock.t += 1999;
    assert.equal((await store.accounts.get(account.id))?.name, 'Acme');
    assert.equal((await store.callflows.findByNumber(account.id, NUMBER))?.id, flow.id);
    clock.t += 1;
    assert.equal((await store.accounts.get(account.id))?.enabled, false);
    assert.equal(await store.callflows.findByNumber(account.id, NUMBER), undefined);
  } finally {
    await raw.close();
  }
});

test('a write through the cached store is seen at once, misses included', async () => {
  const { raw, store, account } = await rig();
  try {
    assert.equal(await store.phoneNumbers.get(NUMBER), undefined, 'a miss is cached too');
    await store.phoneNumbers.assign(account.id, NUMBER);
    assert.equal((await store.phoneNumbers.get(NUMBER))?.account_id, account.id);
    await store.accounts.update(account.id, { enabled: false });
    assert.equal((await store.accounts.get(account.id))?.enabled, false);
    await store.phoneNumbers.release(account.id, NUMBER);
    assert.equal(await store.phoneNumbers.get(NUMBER), undefined);
    // Methods the cache leaves alone still work, bound to their repository.
    assert.deepEqual(await store.phoneNumbers.list(account.id), []);
    assert.equal((await store.callflows.list(account.id)).items.length, 0);
  } finally {
    await raw.close();
  }
});

test('each hit is a fresh object: a caller changing what it got does not change the next answer', async () => {
  const { raw, store, account } = await rig();
  try {
    const first = await store.accounts.get(account.id);
    first!.name = 'changed by a caller';
    const second = await store.accounts.get(account.id);
    const third = await store.accounts.get(account.id);
    assert.equal(second?.name, 'Acme');
    assert.notEqual(second, third);
  } finally {
    await raw.close();
  }
});
