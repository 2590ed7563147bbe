// The CDR writer over a real SQLite store: every leg that ends gets its CDR, one the store refuses (its account
// deleted meanwhile) is reported and costs the others nothing, and flush() waits for every CDR of an ended leg.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeCdrs } from '../../src/call/cdrs.js';
import { CallRegistry } from '../../src/call/registry.js';
import { ScriptedCall } from '../../src/call/scripted.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

test('CDRs of legs that end together are written; a refused one is reported and does not lose the others', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  const account = await store.accounts.create({ name: 'Acme', realm: 'acme.sip.test' });
  const registry = new CallRegistry();
  const warnings: object[] = [];
  const writer = writeCdrs(registry, store, { warn: (obj) => void warnings.push(obj) });
  try {
    const calls = ['c1', 'c2', 'c3'].map((id) => new ScriptedCall({ id, accountId: account.id }));
    // An account that does not exist: the store refuses this one.
    const orphan = new ScriptedCall({ id: 'c4', accountId: 'f'.repeat(32) });
    for (const call of [...calls, orphan]) registry.add(call);
    for (const call of [...calls, orphan]) await call.hangup('NORMAL_CLEARING');
    await writer.flush();
    for (const id of ['c1', 'c2', 'c3']) {
      const [cdr] = await store.cdrs.forCall(account.id, id);
      assert.equal(cdr?.hangup_cause, 'NORMAL_CLEARING', `the CDR of ${id}`);
    }
    assert.deepEqual(
      warnings.map((w) => (w as { call_id: string }).call_id),
      ['c4'],
      'only the refused CDR is reported',
    );

    // A leg ending after a flush is written by the next one.
    const late = new ScriptedCall({ id: 'c5', accountId: account.id });
    registry.add(late);
    await late.hangup('NORMAL_CLEARING');
    await writer.flush();
    assert.equal((await store.cdrs.forCall(account.id, 'c5')).length, 1);
  } finally {
    writer.stop();
    await store.close();
  }
});
