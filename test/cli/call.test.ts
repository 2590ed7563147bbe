// `pivot call` over real SIP/RTP on loopback: a Pivot server started in-process (as `pivot start` does) with a
// TwiML app written with the twilio package, and the CLI run as a child process exactly as a user runs it. It calls
// the app's number, presses 7, records what it hears; reaches an extension with a device's credentials, and with
// the `demo` device of the server's data folder; fails clearly on an unknown number and on bad arguments.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { CALL_USAGE, parseCallArgs, UsageError } from '../../src/cli/call.js';
import { digitSteps, parseDuration, parseServer } from '../../src/cli/call-options.js';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';
import { twilioValid, webApp, type WebApp } from '../helpers/pivot.js';
import { read8k, rmsOf, soxStat } from '../helpers/media.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NUMBER = '+14155550123';

let server: Awaited<ReturnType<typeof startServer>>;
let app: WebApp;
let dataDir: string;
let sipPort: number;
const emptyDataDir = mkdtempSync(join(tmpdir(), 'pivot-call-nodata-'));
const gathered: Record<string, unknown>[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pivot-call-'));
  server = await startServer({
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: 34000, max: 34199 },
    bind: '127.0.0.1',
    logLevel: 'silent',
  });
  sipPort = server.calls.sipPorts.udp!;
  const account = server.boot.account;
  app = await webApp({
    '/voice': (_params, req) => {
      if (!twilioValid(account.signing_key, req)) return { status: 403, body: 'bad signature' };
      const r = new twilio.twiml.VoiceResponse();
      r.gather({ numDigits: 1, timeout: 10, action: '/digit' }).say('Welcome to the Pivot test. Press a key.');
      r.say('Nothing was pressed.');
      return { contentType: 'text/xml', body: r.toString() };
    },
    '/digit': (params, req) => {
      if (!twilioValid(account.signing_key, req)) return { status: 403, body: 'bad signature' };
      gathered.push(params);
      const r = new twilio.twiml.VoiceResponse();
      r.play({ digits: '5' });
      r.say(`You pressed ${String(params.Digits)}. Goodbye.`);
      r.hangup();
      return { contentType: 'text/xml', body: r.toString() };
    },
  });
  await server.store.phoneNumbers.assign(account.id, NUMBER);
  await server.store.callflows.create(account.id, {
    name: 'Test app',
    numbers: [NUMBER],
    flow: {
      module: 'pivot',
      data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml' },
      children: { _: { module: 'tts', data: { text: 'The application is unavailable.' } } },
    },
  });
  await server.store.callflows.create(account.id, {
    name: 'Extension',
    numbers: ['2000'],
    flow: { module: 'tts', data: { text: 'This is extension two thousand. Goodbye.' } },
  });
});

after(async () => {
  await app?.close();
  await server?.stop(1000);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `pivot call …` as a child process, killed after `timeoutMs`; only the PIVOT_* variables given are set. */
function pivotCall(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PIVOT_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/pivot.ts', 'call', ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    }),
  );
}

const show = (run: Run): string => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

test(
  'pivot call reaches a TwiML app by its number, presses 7, hears it and records it',
  { timeout: 45_000 },
  async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pivot-call-rec-')), 'out.wav');
    const run = await pivotCall(
      [
        NUMBER,
        '--server',
        `127.0.0.1:${sipPort}`,
        '--digits',
        '7',
        '--after',
        '2s',
        '--record',
        out,
        '--duration',
        '15s',
        '--rtp-ports',
        '34200-34299',
      ],
      { PIVOT_DATA_DIR: emptyDataDir },
    );
    assert.equal(run.code, 0, show(run));
    assert.equal(gathered.length, 1, show(run));
    assert.equal(gathered[0].Digits, '7');
    assert.match(run.stdout, new RegExp(`→ INVITE sip:\\${NUMBER}@127\\.0\\.0\\.1:${sipPort}\\n`));
    assert.match(run.stdout, /← 200 OK {2}PCMU\/8000, telephone-event 101/);
    assert.match(run.stdout, /→ ACK/);
    assert.match(run.stdout, /◀ first RTP packet from 127\.0\.0\.1:340\d\d/);
    assert.match(run.stdout, /→ DTMF 7/);
    // The app hangs up after its goodbye: the BYE comes from Pivot, long before --duration.
    assert.match(run.stdout, /← BYE/);
    assert.match(run.stdout, /● recording saved .*out\.wav \(\d+\.\d s\)/);
    assert.match(run.stdout, /result {7}answered, the far end hung up/);
    assert.match(run.stdout, /DTMF sent {4}7/);
    // The app’s <Play digits="5"> arrives as an RFC 4733 event (telephone-event was negotiated).
    assert.match(run.stdout, /← DTMF 5\n/);
    assert.match(run.stdout, /DTMF heard {3}5/);
    // What was heard is speech, not silence: the welcome and the goodbye.
    const stat = soxStat(out);
    assert.ok(stat.seconds > 3, `recording lasts ${stat.seconds} s`);
    const samples = await read8k(out);
    assert.ok(rmsOf(samples) > 300, `RMS ${rmsOf(samples)}`);
  },
);

test('an extension is reached with a device’s credentials (answering the 407)', { timeout: 45_000 }, async () => {
  const account = server.boot.account;
  await server.store.devices.create(account.id, { name: 'Desk', sip: { username: 'desk', password: 'desk-secret-1' } });
  const run = await pivotCall(
    [
      '2000',
      '--server',
      `127.0.0.1:${sipPort}`,
      '--user',
      'desk',
      '--password',
      'desk-secret-1',
      '--realm',
      account.realm!,
      '--duration',
      '10s',
      '--rtp-ports',
      '34300-34399',
    ],
    { PIVOT_DATA_DIR: emptyDataDir },
  );
  assert.equal(run.code, 0, show(run));
  assert.match(run.stdout, /← 407 Proxy Authentication Required \(answering with credentials of desk\)/);
  assert.match(run.stdout, /→ INVITE sip:2000@127\.0\.0\.1:\d+ \(with credentials\)/);
  assert.match(run.stdout, /← 200 OK {2}PCMU/);
  assert.match(run.stdout, /← BYE/);
});

test('without credentials, the demo device of the local data folder is used', { timeout: 45_000 }, async () => {
  const account = server.boot.account;
  // `pivot start` installs the demo device when the demo is on; otherwise it is made here as the demo would.
  if (!(await server.store.devices.findBySipUsername(account.id, 'demo'))) {
    await server.store.devices.create(account.id, {
      name: 'Demo',
      sip: { username: 'demo', password: 'demo-secret-2' },
    });
  }
  // The server keeps the database open (WAL) while the CLI reads the device from the same folder.
  const run = await pivotCall(
    ['2000', '--server', `127.0.0.1:${sipPort}`, '--duration', '10s', '--rtp-ports', '34400-34499'],
    { PIVOT_DATA_DIR: dataDir },
  );
  assert.equal(run.code, 0, show(run));
  assert.match(run.stdout, new RegExp(`credentials: demo@${account.realm!.replace(/\./g, '\\.')} \\(the demo device`));
  assert.match(run.stdout, /← 407 Proxy Authentication Required \(answering with credentials of demo\)/);
  assert.match(run.stdout, /← BYE/);
});

test('the demo is reached from a fresh start, with no options but --server', { timeout: 45_000 }, async (t) => {
  // What `pivot start` installed (extension 1000 of the master account, reached as its `demo` device).
  const demo = (server.boot as { demo?: { extension?: string } }).demo;
  if (!demo?.extension) return t.skip('this server has no demo installed');
  const run = await pivotCall(
    [demo.extension, '--server', `127.0.0.1:${sipPort}`, '--duration', '4s', '--rtp-ports', '34600-34699'],
    { PIVOT_DATA_DIR: dataDir },
  );
  assert.equal(run.code, 0, show(run));
  assert.match(run.stdout, /credentials: demo@/);
  assert.match(run.stdout, /← 200 OK {2}PCMU/);
  assert.match(run.stdout, /◀ first RTP packet from 127\.0\.0\.1:340\d\d/);
  assert.match(run.stdout, /RTP {10}[1-9]\d* packets received/);
});

test('an unknown number fails with exit 1 and the reason Pivot gave', { timeout: 30_000 }, async () => {
  const run = await pivotCall(['+14155550999', '--server', `127.0.0.1:${sipPort}`, '--rtp-ports', '34500-34599'], {
    PIVOT_DATA_DIR: emptyDataDir,
  });
  assert.equal(run.code, 1, show(run));
  assert.match(run.stderr, /call failed: 404 Not Found \(no route for \+14155550999\)/);
  assert.match(run.stdout, /← 404 Not Found/);
});

test('a usage error exits 2 with the usage', { timeout: 30_000 }, async () => {
  const run = await pivotCall(['1000', '--digits', '7x'], { PIVOT_DATA_DIR: emptyDataDir });
  assert.equal(run.code, 2, show(run));
  assert.match(run.stderr, /pivot call: --digits may hold 0-9/);
  assert.match(run.stderr, /Usage: pivot call/);
});

test('options: durations, digits with pauses, servers, defaults and mistakes', () => {
  assert.equal(parseDuration('3s'), 3000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('2.5'), 2500);
  assert.throws(() => parseDuration('soon'), UsageError);
  assert.deepEqual(digitSteps('1w2W#'), [
    { digit: '1' },
    { pauseMs: 500 },
    { digit: '2' },
    { pauseMs: 1000 },
    { digit: '#' },
  ]);
  assert.deepEqual(parseServer('pivot.example.com', 5060), { host: 'pivot.example.com', port: 5060 });
  assert.deepEqual(parseServer('[::1]:5070', 5060), { host: '::1', port: 5070 });
  const o = parseCallArgs(['1000'], { sipPort: 5080 });
  assert.ok(o !== 'help');
  assert.equal(o.target, '1000');
  assert.equal(o.server, undefined);
  assert.equal(o.afterMs, 2000);
  assert.equal(o.durationMs, 30_000);
  assert.equal(o.timeoutMs, 30_000);
  assert.deepEqual(o.rtpPorts, { min: 40000, max: 40999 });
  const p = parseCallArgs(['sip:1000@10.0.0.2', '--server=10.0.0.2', '--transport', 'TCP', '--digits', 'a1'], {
    sipPort: 5080,
  });
  assert.ok(p !== 'help');
  assert.deepEqual(p.server, { host: '10.0.0.2', port: 5080 });
  assert.equal(p.transport, 'tcp');
  assert.equal(p.digits, 'A1');
  assert.equal(parseCallArgs(['--help'], { sipPort: 5060 }), 'help');
  for (const bad of [
    [],
    ['1000', '2000'],
    ['1000', '--user', 'x'],
    ['1000', '--transport', 'tls'],
    ['1000', '--rtp-ports', '5000'],
    ['1000', '--bogus'],
    ['1000', '--from', 'a b'],
    ['1000', '--duration', '0'],
    ['10 00'],
  ]) {
    assert.throws(() => parseCallArgs(bad, { sipPort: 5060 }), UsageError, JSON.stringify(bad));
  }
  assert.match(CALL_USAGE, /--rtp-ports/);
});
