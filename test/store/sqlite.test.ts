import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  LATEST_VERSION,
  MIGRATIONS,
  migrate,
  openLibsqlDb,
  openSqliteStore,
  schemaVersion,
  type Migration,
} from '../../src/store/index.js';
import { runStoreSuite } from './suite.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'pivot-store-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => join(tmpRoot, `db${++n}`);

runStoreSuite('sqlite :memory:', () => openSqliteStore({ file: ':memory:' }));
runStoreSuite('sqlite file', () => openSqliteStore({ dataDir: freshDir() }));

describe('sqlite file store', () => {
  it('creates pivot.db under the data dir and keeps data and migrations across reopen', async () => {
    const dataDir = freshDir();
    const first = await openSqliteStore({ dataDir });
    assert.ok(existsSync(join(dataDir, 'pivot.db')));
    const acct = await first.accounts.create({ name: 'Persist', realm: 'persist.test' });
    const cf = await first.callflows.create(acct.id, { numbers: ['100'] });
    await first.phoneNumbers.assign(acct.id, '+15557654321');
    await first.pivotDebug.add(acct.id, { call_id: 'p1', iteration: 1, kind: 'request', uri: 'http://x/' });
    await first.close();

    const second = await openSqliteStore({ dataDir });
    assert.equal(await second.schemaVersion(), LATEST_VERSION);
    assert.deepEqual(await second.accounts.get(acct.id), acct);
    assert.equal((await second.callflows.findByNumber(acct.id, '100'))?.id, cf.id);
    assert.equal((await second.phoneNumbers.get('+15557654321'))?.account_id, acct.id);
    assert.deepEqual(
      (await second.pivotDebug.listCalls(acct.id)).items.map((c) => c.call_id),
      ['p1'],
    );
    await second.close();

    // Exactly one schema_migrations row per migration after two opens.
    const db = openLibsqlDb(join(dataDir, 'pivot.db'));
    const rows = await db.all<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => [r.version, r.name]),
      MIGRATIONS.map((m) => [m.version, m.name]),
    );
    await db.close();
  });

  it('accepts an absolute file path', async () => {
    const file = join(freshDir(), 'nested', 'custom.db');
    const store = await openSqliteStore({ file });
    await store.accounts.create({ name: 'Abs', realm: 'abs.test' });
    await store.close();
    assert.ok(existsSync(file));
  });
});

describe('migrations', () => {
  it('are idempotent', async () => {
    const db = openLibsqlDb(':memory:');
    assert.deepEqual(
      await migrate(db),
      MIGRATIONS.map((m) => m.version),
    );
    assert.deepEqual(await migrate(db), []);
    assert.equal(await schemaVersion(db), LATEST_VERSION);
    const count = await db.get<{ c: number }>('SELECT COUNT(*) AS c FROM schema_migrations');
    assert.equal(count?.c, MIGRATIONS.length);
    await db.close();
  });

  it('apply only the new ones, in order', async () => {
    const db = openLibsqlDb(':memory:');
    await migrate(db);
    const extra: Migration = {
      version: LATEST_VERSION + 1,
      name: 'test extra',
      statements: ['CREATE TABLE extra_test (id TEXT NOT NULL PRIMARY KEY)'],
    };
    assert.deepEqual(await migrate(db, [...MIGRATIONS, extra]), [extra.version]);
    assert.deepEqual(await migrate(db, [...MIGRATIONS, extra]), []);
    assert.equal(await schemaVersion(db), extra.version);
    await db.run('INSERT INTO extra_test (id) VALUES (?)', ['x']);
    await db.close();
  });

  it('roll back a failing migration and refuse a newer database', async () => {
    const db = openLibsqlDb(':memory:');
    const broken: Migration = {
      version: 1,
      name: 'broken',
      statements: ['CREATE TABLE t1 (id TEXT)', 'CREATE TABLE t1 (id TEXT)'],
    };
    await assert.rejects(migrate(db, [broken]));
    assert.equal(await schemaVersion(db), 0);
    assert.equal(await db.get("SELECT name FROM sqlite_master WHERE name = 't1'"), undefined);

    await db.run('INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)', [999, 'future', 0]);
    await assert.rejects(migrate(db), /newer/);
    await db.close();
  });
});

describe('libsql Db adapter', () => {
  it('keeps other callers out of an open transaction and rolls back on error', async () => {
    const db = openLibsqlDb(':memory:');
    await db.run('CREATE TABLE t (v INTEGER NOT NULL)');
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO t (v) VALUES (?)', [1]);
      await gate;
      throw new Error('abort');
    });
    // Issued while the transaction is open: must not land inside it (and be rolled back with it).
    const outside = db.run('INSERT INTO t (v) VALUES (?)', [2]);
    release();
    await assert.rejects(tx, /abort/);
    await outside;
    const rows = await db.all<{ v: number }>('SELECT v FROM t ORDER BY v');
    assert.deepEqual(
      rows.map((r) => r.v),
      [2],
    );
    await db.close();
  });

  it('nests transactions with savepoints', async () => {
    const db = openLibsqlDb(':memory:');
    await db.run('CREATE TABLE t (v INTEGER NOT NULL)');
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (1)');
      await assert.rejects(
        tx.transaction(async (inner) => {
          await inner.run('INSERT INTO t (v) VALUES (2)');
          throw new Error('inner');
        }),
        /inner/,
      );
      await tx.transaction((inner) => inner.run('INSERT INTO t (v) VALUES (3)'));
    });
    const rows = await db.all<{ v: number }>('SELECT v FROM t ORDER BY v');
    assert.deepEqual(
      rows.map((r) => r.v),
      [1, 3],
    );
    await db.close();
  });
});
