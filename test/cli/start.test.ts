import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsOf, verifyCredentials } from '../../src/api/passwords.js';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';

test('start creates the master account and admin user once, and answers /health', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-start-'));
  const settings = {
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: 33000, max: 33099 },
    bind: '127.0.0.1',
    logLevel: 'silent',
  };
  const first = await startServer(settings);
  try {
    const admin = first.boot.createdAdmin!;
    assert.equal(admin.username, 'admin');
    assert.equal(admin.generated, true);
    assert.ok(admin.password.length >= 12);
    const user = await first.store.users.findByUsername(first.boot.account.id, 'admin');
    assert.equal(user?.priv_level, 'admin');
    const accountId = first.boot.account.id;
    const stored = String(user?.password_hash);
    assert.match(stored, /^md5scrypt\$/, 'stored as scrypt over the md5 credentials');
    assert.equal(await verifyCredentials(stored, accountId, credentialsOf('admin', admin.password)), true);
    assert.equal(await verifyCredentials(stored, accountId, credentialsOf('admin', 'wrong')), false);
    const address = first.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
  } finally {
    await first.stop();
  }
  const second = await startServer(settings);
  try {
    assert.equal(second.boot.createdAdmin, undefined, 'the admin user is created on the first start only');
    assert.equal(second.boot.account.id, first.boot.account.id);
  } finally {
    await second.stop();
  }
});
