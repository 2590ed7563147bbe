// Graceful stop over real SIP: while a call is up, stop() makes Pivot refuse new calls with 503, lets the running
// call finish on its own, hangs up what is left at the grace limit, and writes every CDR before the store closes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../src/store/index.js';
import { e2eServer, phone } from '../helpers/e2e.js';
import { twiml, webApp } from '../helpers/pivot.js';

test('stop() refuses new calls with 503, lets the running one end, then writes its CDR', async () => {
  const e2e = await e2eServer({ min: 38400, max: 38449 });
  const app = await webApp({ '/voice': () => twiml('<Say>Hold on.</Say><Pause length="3"/><Hangup/>') });
  const first = await phone({ name: 'first', rtpPorts: { min: 38450, max: 38469 } });
  const second = await phone({ name: 'second', rtpPorts: { min: 38470, max: 38489 } });
  try {
    await e2e.number('+14155550401', {
      module: 'pivot',
      data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml' },
    });
    first.phone.command('dial', `sip:+14155550401@${e2e.target}`);
    await first.phone.waitFor('CALL_ESTABLISHED', 10_000);
    const started = Date.now();
    const stopping = e2e.server.stop(15_000);
    second.phone.command('dial', `sip:+14155550401@${e2e.target}`);
    const refused = await second.phone.waitFor('CALL_CLOSED', 10_000);
    assert.match(String(refused.param), /503/);
    // The first call is not cut: it ends when its document does (a Say and a 3 s pause).
    await first.phone.waitFor('CALL_CLOSED', 15_000);
    await stopping;
    assert.ok(Date.now() - started < 14_000, 'stop() returned once the call was over, before the grace limit');
    const store = await openSqliteStore({ dataDir: e2e.server.settings.dataDir });
    try {
      const cdrs = (await store.cdrs.list(e2e.accountId)).items;
      assert.equal(cdrs.length, 1, 'the running call has its CDR; the refused one never became a call');
      assert.equal(cdrs[0].hangup_cause, 'NORMAL_CLEARING');
      assert.ok(Number(cdrs[0].billing_seconds) >= 3);
    } finally {
      await store.close();
    }
  } finally {
    await first.phone.stop();
    await second.phone.stop();
    await app.close();
  }
});

test('stop() hangs up calls still running at the grace limit, with SYSTEM_SHUTDOWN in their CDR', async () => {
  const e2e = await e2eServer({ min: 38400, max: 38449 });
  const app = await webApp({ '/voice': () => twiml('<Say>This takes a while.</Say><Pause length="60"/>') });
  const caller = await phone({ name: 'long', rtpPorts: { min: 38450, max: 38469 } });
  try {
    await e2e.number('+14155550402', {
      module: 'pivot',
      data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml' },
    });
    caller.phone.command('dial', `sip:+14155550402@${e2e.target}`);
    await caller.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await e2e.server.stop(1000);
    await caller.phone.waitFor('CALL_CLOSED', 5000);
    const store = await openSqliteStore({ dataDir: e2e.server.settings.dataDir });
    try {
      const cdrs = (await store.cdrs.list(e2e.accountId)).items;
      assert.equal(cdrs.length, 1);
      assert.equal(cdrs[0].hangup_cause, 'SYSTEM_SHUTDOWN');
    } finally {
      await store.close();
    }
  } finally {
    await caller.phone.stop();
    await app.close();
  }
});
