import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadSettings } from '../../src/config.js';
import { urlPolicy } from '../../src/cli/start.js';

test('defaults match the README', () => {
  const s = loadSettings({}, mkdtempSync(join(tmpdir(), 'pivot-cfg-')));
  assert.equal(s.httpPort, 8000);
  assert.equal(s.sipPort, 5060);
  assert.deepEqual(s.rtpPorts, { min: 20000, max: 29999 });
  assert.equal(s.bind, '0.0.0.0');
  assert.equal(s.publicUrl, 'http://127.0.0.1:8000');
  assert.equal(s.adminAccount, 'admin');
  assert.equal(s.adminPassword, undefined);
});

test('the environment wins over the config file, which wins over defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-cfg-'));
  writeFileSync(
    join(dir, 'pivot.config.json'),
    JSON.stringify({ httpPort: 9000, sipPort: 5080, urlDeny: ['10.0.0.0/8'] }),
  );
  const s = loadSettings({ PIVOT_HTTP_PORT: '9100' }, dir);
  assert.equal(s.httpPort, 9100);
  assert.equal(s.sipPort, 5080);
  assert.deepEqual(s.urlDeny, ['10.0.0.0/8']);
  assert.deepEqual(loadSettings({ PIVOT_URL_DENY: '127.0.0.0/8, ::1/128' }, dir).urlDeny, ['127.0.0.0/8', '::1/128']);
});

test('bad settings are refused with the variable named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-cfg-'));
  assert.throws(() => loadSettings({ PIVOT_HTTP_PORT: 'eighty' }, dir), /PIVOT_HTTP_PORT must be a port number/);
  assert.throws(() => loadSettings({ PIVOT_RTP_PORTS: '3000-2000' }, dir), /PIVOT_RTP_PORTS must look like/);
  assert.throws(() => loadSettings({ PIVOT_CONFIG: 'missing.json' }, dir), ConfigError);
  writeFileSync(join(dir, 'pivot.config.json'), '{ nope');
  assert.throws(() => loadSettings({}, dir), /cannot read .*pivot\.config\.json/);
  assert.throws(
    () => urlPolicy({ ...loadSettings({}, mkdtempSync(join(tmpdir(), 'c-'))), urlDeny: ['10.0.0.0/99'] }),
    ConfigError,
  );
});

test('PIVOT_DATABASE_URL picks PostgreSQL; unset or empty means SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-cfg-'));
  assert.equal(loadSettings({}, dir).databaseUrl, undefined);
  assert.equal(loadSettings({ PIVOT_DATABASE_URL: '' }, dir).databaseUrl, undefined);
  writeFileSync(join(dir, 'pivot.config.json'), JSON.stringify({ databaseUrl: 'postgres://file@db/pivot' }));
  assert.equal(loadSettings({}, dir).databaseUrl, 'postgres://file@db/pivot');
  const env = { PIVOT_DATABASE_URL: 'postgresql://env:secret@db:5433/pivot' };
  assert.equal(loadSettings(env, dir).databaseUrl, env.PIVOT_DATABASE_URL);
  assert.throws(
    () => loadSettings({ PIVOT_DATABASE_URL: 'mysql://u:secret@db/pivot' }, dir),
    (err: Error) => {
      assert.match(err.message, /PIVOT_DATABASE_URL must be a postgres:\/\/ URL/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    },
  );
});
