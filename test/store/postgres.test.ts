import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { demoCredentials } from '../../src/cli/call.js';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';
import {
  ConflictError,
  DbConstraintError,
  LATEST_VERSION,
  MIGRATIONS,
  migrate,
  openPostgresDb,
  openPostgresStore,
  openStore,
  toPgPlaceholders,
  type Db,
  type Store,
} from '../../src/store/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { runStoreSuite } from './suite.js';

// One server for the whole file; every store gets a database of its own.
const server = await startPostgres();
after(() => server.stop());

/** A store on a database of its own, dropped when the store closes (the cluster lives in memory). */
async function freshStore(): Promise<Store> {
  const url = await server.newDatabase();
  const store = await openPostgresStore({ url });
  return {
    ...store,
    async close() {
      await store.close();
      await server.dropDatabase(url);
    },
  };
}

runStoreSuite('postgres', freshStore);

/** Runs `fn` on a raw Db over a fresh database and closes it. */
async function withDb(fn: (db: Db, url: string) => Promise<void>): Promise<void> {
  const url = await server.newDatabase();
  const db = openPostgresDb({ url });
  try {
    await fn(db, url);
  } finally {
    await db.close();
  }
}

describe('postgres Db adapter', () => {
  it('rewrites ? placeholders outside quotes and comments', () => {
    assert.equal(
      toPgPlaceholders(`SELECT '?', "a?", 'it''s ?' FROM t WHERE a = ? -- why?\n AND b = ? /* ? */ AND c = ?`),
      `SELECT '?', "a?", 'it''s ?' FROM t WHERE a = $1 -- why?\n AND b = $2 /* ? */ AND c = $3`,
    );
    // Unterminated quotes and comments run to the end.
    assert.equal(toPgPlaceholders("? 'a ?"), "$1 'a ?");
    assert.equal(toPgPlaceholders('? /* ?'), '$1 /* ?');
    assert.equal(toPgPlaceholders('? -- ?'), '$1 -- ?');
  });

  it('returns BIGINT, COUNT and NUMERIC as numbers, and changes as rowCount', () =>
    withDb(async (db) => {
      await db.run('CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, at BIGINT NOT NULL, n INTEGER NOT NULL)');
      const at = Date.now();
      await db.run('INSERT INTO t (id, at, n) VALUES (?, ?, ?), (?, ?, ?)', ['a', at, 1, 'b', at + 1, 2]);
      assert.deepEqual(await db.get('SELECT at, n FROM t WHERE id = ?', ['a']), { at, n: 1 });
      assert.deepEqual(await db.get('SELECT COUNT(*) AS c, SUM(n) AS s, AVG(n) AS v FROM t'), { c: 2, s: 3, v: 1.5 });
      assert.deepEqual(await db.run('UPDATE t SET n = n + 1'), { changes: 2 });
      assert.deepEqual(await db.run('DELETE FROM t WHERE id = ?', ['none']), { changes: 0 });
      // Set on the store's pool only: other pg users in the process keep pg's defaults.
      assert.equal(pg.types.getTypeParser(pg.types.builtins.INT8)('1'), '1');
    }));

  it('maps unique and foreign key violations, naming the columns but not the values', () =>
    withDb(async (db) => {
      await db.run('CREATE TABLE p (id TEXT NOT NULL PRIMARY KEY, name_key TEXT NOT NULL UNIQUE)');
      await db.run('CREATE TABLE c (p_id TEXT NOT NULL REFERENCES p (id))');
      await db.run('INSERT INTO p (id, name_key) VALUES (?, ?)', ['1', 'realm_key']);
      const err = await db.run('INSERT INTO p (id, name_key) VALUES (?, ?)', ['2', 'realm_key']).catch((e) => e);
      assert.ok(err instanceof DbConstraintError);
      assert.equal(err.kind, 'unique');
      assert.match(err.detail, /p_name_key_key.* on p \(name_key\)$/);
      assert.doesNotMatch(err.detail, /realm_key/);
      await assert.rejects(
        db.run('INSERT INTO c (p_id) VALUES (?)', ['9']),
        (e) => e instanceof DbConstraintError && e.kind === 'foreign_key',
      );
      await assert.rejects(
        db.run('INSERT INTO p (id, name_key) VALUES (?, ?)', ['3', null]),
        (e) => e instanceof DbConstraintError && e.kind === 'other',
      );
    }));

  it('runs a transaction on one client, rolls back on error and nests with savepoints', () =>
    withDb(async (db) => {
      await db.run('CREATE TABLE t (v INTEGER NOT NULL)');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t (v) VALUES (?)', [1]);
          // Not part of the transaction: it must not see the uncommitted row.
          assert.deepEqual(await db.all('SELECT v FROM t'), []);
          throw new Error('abort');
        }),
        /abort/,
      );
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (v) VALUES (1)');
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.run('INSERT INTO t (v) VALUES (2)');
            // A failed statement is undone with its savepoint; the outer transaction goes on.
            await inner.run('INSERT INTO t (v) VALUES (NULL)');
          }),
          DbConstraintError,
        );
        await tx.transaction((inner) => inner.run('INSERT INTO t (v) VALUES (3)'));
      });
      const rows = await db.all<{ v: number }>('SELECT v FROM t ORDER BY v');
      assert.deepEqual(
        rows.map((r) => r.v),
        [1, 3],
      );
    }));

  it('refuses to report a commit when a statement inside the transaction failed', () =>
    withDb(async (db) => {
      await db.run('CREATE TABLE t (v INTEGER NOT NULL)');
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t (v) VALUES (1)');
          await tx.run('INSERT INTO t (v) VALUES (NULL)').catch(() => {});
        }),
        /rolled back/,
      );
      assert.deepEqual(await db.all('SELECT v FROM t'), []);
      // The client went back to the pool in a usable state.
      await db.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (2)'));
      assert.deepEqual(await db.all('SELECT v FROM t'), [{ v: 2 }]);
    }));
});

describe('postgres store', () => {
  it('applies migrations once, across reopen and concurrent opens', async () => {
    const url = await server.newDatabase();
    const [one, two] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
    const acct = await one.accounts.create({ name: 'Persist', realm: 'persist.test' });
    await one.phoneNumbers.assign(acct.id, '+15557654321');
    await Promise.all([one.close(), two.close()]);

    const again = await openPostgresStore({ url });
    assert.equal(await again.schemaVersion(), LATEST_VERSION);
    assert.deepEqual(await again.accounts.get(acct.id), acct);
    assert.equal((await again.phoneNumbers.get('+15557654321'))?.account_id, acct.id);
    await again.close();

    const db = openPostgresDb({ url });
    assert.deepEqual(await migrate(db), []);
    const rows = await db.all<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => [r.version, r.name]),
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
    await db.close();
  });

  it('keeps times as numbers and names the field of a unique violation', async () => {
    const store = await freshStore();
    try {
      const created = 1_700_000_000_123;
      const acct = await store.accounts.create({ name: 'Times', realm: 'times.test', created });
      assert.equal((await store.accounts.get(acct.id))?.created, created);
      const user = await store.users.create(acct.id, { username: 'Bob', created });
      assert.equal((await store.users.get(acct.id, user.id))?.created, created);
      await assert.rejects(
        store.users.create(acct.id, { username: 'bob' }),
        (e) => e instanceof ConflictError && e.field === 'username',
      );
      // A value that spells another column's name does not mislead the field lookup.
      await store.accounts.create({ name: 'realm_key', realm: 'name.test' });
      await assert.rejects(
        store.accounts.create({ name: 'REALM_KEY', realm: 'other.test' }),
        (e) => e instanceof ConflictError && e.field === 'name',
      );
    } finally {
      await store.close();
    }
  });

  it('orders ids bytewise, as SQLite does, whatever the server locale', async () => {
    const store = await freshStore();
    try {
      const acct = await store.accounts.create({ name: 'Order', realm: 'order.test' });
      for (const id of ['b', 'B', 'a', '_x', 'A']) await store.menus.create(acct.id, { id, created: 1000 });
      assert.deepEqual(
        (await store.menus.list(acct.id)).items.map((m) => m.id),
        ['A', 'B', '_x', 'a', 'b'],
      );
      const page = await store.menus.list(acct.id, { limit: 2 });
      assert.deepEqual(
        (await store.menus.list(acct.id, { startKey: page.nextStartKey, limit: 2 })).items.map((m) => m.id),
        ['_x', 'a'],
      );
    } finally {
      await store.close();
    }
  });

  it('loses no update when writers change one document at once', async () => {
    const store = await freshStore();
    try {
      const acct = await store.accounts.create({ name: 'Busy', realm: 'busy.test' });
      const menu = await store.menus.create(acct.id, { name: 'm' });
      const fields = Array.from({ length: 8 }, (_, i) => `f${i}`);
      await Promise.all(fields.map((f) => store.menus.update(acct.id, menu.id, { [f]: true })));
      const doc = (await store.menus.get(acct.id, menu.id)) as Record<string, unknown>;
      for (const f of fields) assert.equal(doc[f], true, f);
    } finally {
      await store.close();
    }
  });
});

describe('pivot start on PostgreSQL', () => {
  it('creates the admin account in PostgreSQL and answers /health', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pivot-start-pg-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const databaseUrl = await server.newDatabase();
    const pivot = await startServer({
      ...loadSettings({ PIVOT_DATABASE_URL: databaseUrl }, dataDir),
      dataDir,
      httpPort: 0,
      sipPort: 0,
      rtpPorts: { min: 39500, max: 39599 },
      bind: '127.0.0.1',
      logLevel: 'silent',
    });
    try {
      const address = pivot.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
    } finally {
      await pivot.stop();
    }
    assert.equal(existsSync(join(dataDir, 'pivot.db')), false, 'no SQLite file when PostgreSQL is configured');
    const store = await openStore({ dataDir, databaseUrl });
    try {
      const account = await store.accounts.findByName('admin');
      assert.equal(account?.id, pivot.boot.account.id);
      assert.equal((await store.users.findByUsername(account!.id, 'admin'))?.priv_level, 'admin');
    } finally {
      await store.close();
    }
    // `pivot call` finds the demo device in the same database.
    const demo = await demoCredentials(dataDir, 'admin', databaseUrl);
    assert.equal(demo?.username, 'demo');
    assert.equal(demo?.realm, pivot.boot.account.realm);
  });
});
