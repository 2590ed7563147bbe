// WriteBatch over a real SQLite database: writes queued together share one transaction, a failing write is retried
// alone so the others still commit, flush() commits at once, and writes run in the order they were added.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openLibsqlDb, type Db } from '../../src/store/db.js';
import { WriteBatch } from '../../src/store/write-batch.js';

/** A database counting its transactions. */
async function rig() {
  const db = openLibsqlDb(':memory:');
  await db.run('CREATE TABLE t (n INTEGER PRIMARY KEY)');
  const counted = { transactions: 0 };
  const spy: Db = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (fn: (tx: Db) => Promise<unknown>) => {
          counted.transactions++;
          return target.transaction(fn);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const rows = async () => (await db.all<{ n: number }>('SELECT n FROM t ORDER BY n')).map((r) => r.n);
  return { db, counted, batch: new WriteBatch(spy, 5), rows };
}

const insert = (n: number) => async (tx: Db) => {
  await tx.run('INSERT INTO t (n) VALUES (?)', [n]);
  return n;
};

test('writes added together are committed in one transaction, in order, each getting its result', async () => {
  const { db, counted, batch, rows } = await rig();
  const order: number[] = [];
  const results = await Promise.all(
    [1, 2, 3, 4, 5].map((n) =>
      batch.add(async (tx) => {
        order.push(n);
        return insert(n)(tx);
      }),
    ),
  );
  assert.deepEqual(results, [1, 2, 3, 4, 5]);
  assert.deepEqual(order, [1, 2, 3, 4, 5]);
  assert.equal(counted.transactions, 1);
  assert.deepEqual(await rows(), [1, 2, 3, 4, 5]);
  await db.close();
});

test('a failing write is retried alone: it fails, the others of its batch are committed', async () => {
  const { db, counted, batch, rows } = await rig();
  const results = await Promise.allSettled([batch.add(insert(1)), batch.add(insert(1)), batch.add(insert(2))]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal(counted.transactions, 4, 'the batch, then each write on its own');
  assert.deepEqual(await rows(), [1, 2]);
  // A batch of one that fails is not tried twice.
  await assert.rejects(batch.add(insert(2)));
  assert.equal(counted.transactions, 5);
  await db.close();
});

test('flush() commits what is queued without waiting for the window, and after the batches before it', async () => {
  const { db, batch, rows } = await rig();
  const slow = new WriteBatch(db, 60_000);
  const first = slow.add(insert(1));
  const second = slow.add(insert(2));
  await slow.flush();
  assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  assert.deepEqual(await rows(), [1, 2]);
  await batch.flush(); // nothing queued: resolves at once
  await db.close();
});
