// The demo installer and its settings: PIVOT_DEMO / PIVOT_DEMO_NUMBER parsing, an idempotent install that leaves
// an operator's changes alone (deleted device, callflow pointed elsewhere) but follows a changed public URL, a demo
// number or extension already taken, the public URL with HTTP port 0, and a start with the demo off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundPublicUrl, startServer } from '../../src/cli/start.js';
import { ConfigError, loadSettings } from '../../src/config.js';
import { installDemo, readDemo } from '../../src/demo/install.js';
import { openSqliteStore } from '../../src/store/index.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'pivot-demo-cfg-'));

test('PIVOT_DEMO is on by default, 0/false/off turn it off; PIVOT_DEMO_NUMBER is normalised to E.164', () => {
  const d = dir();
  assert.equal(loadSettings({}, d).demo, true);
  assert.equal(loadSettings({}, d).demoNumber, '+15550100000');
  for (const off of ['0', 'false', 'FALSE', 'off', 'no'])
    assert.equal(loadSettings({ PIVOT_DEMO: off }, d).demo, false);
  for (const on of ['1', 'true', 'on', 'yes', '']) assert.equal(loadSettings({ PIVOT_DEMO: on }, d).demo, true);
  assert.throws(() => loadSettings({ PIVOT_DEMO: 'maybe' }, d), /PIVOT_DEMO must be true or false/);
  assert.equal(loadSettings({ PIVOT_DEMO_NUMBER: '(555) 010-0123' }, d).demoNumber, '+15550100123');
  assert.equal(loadSettings({ PIVOT_DEMO_NUMBER: '+44 20 7946 0000' }, d).demoNumber, '+442079460000');
  assert.throws(() => loadSettings({ PIVOT_DEMO_NUMBER: 'demo' }, d), ConfigError);
  assert.throws(() => loadSettings({ PIVOT_DEMO_NUMBER: '1000' }, d), /PIVOT_DEMO_NUMBER must be a phone number/);
  writeFileSync(join(d, 'pivot.config.json'), JSON.stringify({ demo: false, demoNumber: '+15550100042' }));
  assert.equal(loadSettings({}, d).demo, false);
  assert.equal(loadSettings({}, d).demoNumber, '+15550100042');
  assert.equal(loadSettings({ PIVOT_DEMO: 'true' }, d).demo, true, 'the environment wins over the file');
});

test('the public URL follows the bound port only while it is the derived default', () => {
  const derived = loadSettings({ PIVOT_HTTP_PORT: '0' }, dir());
  assert.equal(derived.publicUrl, 'http://127.0.0.1:0');
  const address = { address: '127.0.0.1', family: 'IPv4', port: 41234 };
  assert.equal(boundPublicUrl(derived, address), 'http://127.0.0.1:41234');
  // the usual test pattern: defaults spread, then port 0 and a bind address
  const spread = { ...loadSettings({}, dir()), httpPort: 0, bind: '127.0.0.2' };
  assert.equal(boundPublicUrl(spread, address), 'http://127.0.0.2:41234');
  const explicit = loadSettings({ PIVOT_PUBLIC_URL: 'https://pivot.example.com/', PIVOT_HTTP_PORT: '0' }, dir());
  assert.equal(explicit.publicUrl, 'https://pivot.example.com');
  assert.equal(boundPublicUrl(explicit, address), 'https://pivot.example.com');
  assert.equal(boundPublicUrl({ ...spread, publicUrl: 'http://proxy.test' }, address), 'http://proxy.test');
});

test('install is idempotent, keeps an operator’s changes, and follows a new public URL', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  try {
    const account = await store.accounts.create({ name: 'admin', realm: 'admin.pivot.test' });
    const opts = { publicUrl: 'http://127.0.0.1:8000', demoNumber: '+15550100000' };
    const first = await installDemo(store, account, opts);
    assert.equal(first.number, '+15550100000');
    assert.equal(first.extension, '1000');
    assert.deepEqual(first.device && { ...first.device, password: '' }, {
      username: 'demo',
      password: '',
      realm: 'admin.pivot.test',
    });

    const again = await installDemo(store, (await store.accounts.get(account.id))!, opts);
    assert.deepEqual(again, first);
    assert.equal((await store.callflows.list(account.id)).items.length, 1);
    assert.equal((await store.menus.list(account.id)).items.length, 1);
    assert.equal((await store.devices.list(account.id)).items.length, 1);
    assert.deepEqual(await readDemo(store, (await store.accounts.get(account.id))!), first);

    // a new public URL: the callflow still asks the demo app, so it follows
    const moved = await installDemo(store, (await store.accounts.get(account.id))!, {
      ...opts,
      publicUrl: 'https://pivot.example.com/base',
    });
    assert.equal(moved.callflowId, first.callflowId);
    const cf = await store.callflows.get(account.id, first.callflowId!);
    assert.equal(cf?.flow?.data?.voice_url, 'https://pivot.example.com/base/demo/voice');

    // the operator points the callflow at their own app and deletes the demo device and menu
    await store.callflows.update(account.id, cf!.id, {
      flow: { ...cf!.flow!, data: { ...cf!.flow!.data, voice_url: 'https://app.example.com/ivr' } },
    });
    const device = await store.devices.findBySipUsername(account.id, 'demo');
    await store.devices.delete(account.id, device!.id);
    await store.menus.delete(account.id, first.menuId!);
    const kept = await installDemo(store, (await store.accounts.get(account.id))!, opts);
    assert.equal(kept.device, undefined, 'the deleted device is not re-created');
    assert.equal(kept.extension, '1000');
    assert.equal((await store.devices.list(account.id)).items.length, 0);
    assert.equal((await store.menus.list(account.id)).items.length, 0);
    const after = await store.callflows.get(account.id, cf!.id);
    assert.equal(after?.flow?.data?.voice_url, 'https://app.example.com/ivr', 'their voice_url is kept');

    // deleting the callflow too: nothing is re-created, nothing to dial
    await store.callflows.delete(account.id, cf!.id);
    const gone = await installDemo(store, (await store.accounts.get(account.id))!, opts);
    assert.deepEqual(gone, {});
    assert.equal((await store.callflows.list(account.id)).items.length, 0);
  } finally {
    await store.close();
  }
});

test('a demo number of another account and a taken extension are left alone', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  try {
    const other = await store.accounts.create({ name: 'other', realm: 'other.pivot.test' });
    await store.phoneNumbers.assign(other.id, '+15550100000');
    const account = await store.accounts.create({ name: 'admin', realm: 'admin.pivot.test' });
    await store.callflows.create(account.id, { name: 'Reception', numbers: ['1000'], flow: { module: 'answer' } });
    const warnings: unknown[] = [];
    const log = { info: () => undefined, warn: (o: unknown) => void warnings.push(o) };
    const demo = await installDemo(store, account, {
      publicUrl: 'http://127.0.0.1:8000',
      demoNumber: '+15550100000',
      log,
    });
    assert.equal(demo.number, undefined);
    assert.equal(demo.extension, undefined);
    assert.equal(demo.device?.username, 'demo', 'the device is still there for the phone');
    assert.equal((await store.phoneNumbers.get('+15550100000'))?.account_id, other.id);
    assert.equal((await store.callflows.findByNumber(account.id, '1000'))?.name, 'Reception');
    assert.equal(warnings.length, 2);
  } finally {
    await store.close();
  }
});

test('PIVOT_DEMO=0: nothing installed, no /demo routes; recordings are still served', async () => {
  const dataDir = dir();
  const server = await startServer({
    ...loadSettings({ PIVOT_DEMO: '0' }, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: 35200, max: 35299 },
    bind: '127.0.0.1',
    logLevel: 'silent',
  });
  try {
    assert.equal(server.boot.demo, undefined);
    const id = server.boot.account.id;
    assert.equal((await server.store.callflows.list(id)).items.length, 0);
    assert.equal((await server.store.devices.list(id)).items.length, 0);
    assert.equal(await server.store.phoneNumbers.get('+15550100000'), undefined);
    assert.equal((await fetch(`${server.publicUrl}/demo/voice`, { method: 'POST' })).status, 404);
    const res = await fetch(`${server.publicUrl}/2010-04-01/Accounts/${id}/Recordings/RE0123.json`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: number }).code, 20404);
  } finally {
    await server.stop(500);
  }
});
