// A Kazoo-JSON IVR end to end over real SIP and RTP on loopback: `pivot start`'s server in-process, a callflow
// whose root is a `pivot` node with req_format "kazoo", and a real web app answering with Kazoo callflow nodes
// (every request's X-Pivot-Signature verified). Driven by SIPp (RFC 2833 and G.711 pcaps) and by baresip (a real
// phone, registered as a device of the account in one test): collect_dtmf → pivot round trips through chained
// pivot nodes (Digits[<collection>] in form and JSON bodies), record_caller and record_call uploads, and the
// pivot node's `_` child when the app answers 500, times out or sends broken JSON.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPivotSignature } from '../../src/pivot/http/index.js';
import type { CallflowNode } from '../../src/store/types.js';
import { Baresip } from '../helpers/baresip.js';
import {
  blockToneShare,
  e2eServer,
  phone,
  press,
  sleep,
  tempFile,
  uploadSink,
  wavHeader,
  type E2eServer,
} from '../helpers/e2e.js';
import { heardBy, read8k, rmsOf, soxStat } from '../helpers/media.js';
import { eventually, kazoo, webApp, type AppRequest, type AppResponse, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp, sippMediaPorts } from '../helpers/sipp.js';

// Ports of this file: Pivot's RTP 36600-36799, baresip's RTP 36800-36999, SIPp's media 37000-37199.
const PHONE_RTP = { min: 36800, max: 36999 };
const nextSippMediaPort = sippMediaPorts(37004);

let rig: E2eServer;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  rig = await e2eServer({ min: 36600, max: 36799 });
});

after(async () => {
  for (const close of closers) await close();
  await rig.stop();
});

async function app(routes: Parameters<typeof webApp>[0]): Promise<WebApp> {
  const a = await webApp(routes);
  closers.push(() => a.close());
  return a;
}

/** A route that refuses requests whose X-Pivot-Signature does not verify with the account's signing key. */
function signed(answer: (params: Record<string, any>, req: AppRequest) => AppResponse) {
  return (params: Record<string, any>, req: AppRequest): AppResponse => {
    const header = req.headers['x-pivot-signature'];
    const ok = verifyPivotSignature(rig.signingKey, typeof header === 'string' ? header : undefined, {
      method: req.method,
      url: req.url,
      body: req.body,
    });
    return ok ? answer(params, req) : { status: 403, contentType: 'text/plain', body: 'bad signature' };
  };
}

function pivotNode(
  voiceUrl: string,
  extra: Record<string, unknown> = {},
  children?: Record<string, CallflowNode>,
): CallflowNode {
  return {
    module: 'pivot',
    data: { voice_url: voiceUrl, method: 'post', req_format: 'kazoo', debug: true, ...extra },
    ...(children ? { children } : {}),
  };
}

const tts = (text: string, next?: CallflowNode): CallflowNode => ({
  module: 'tts',
  data: { text },
  ...(next ? { children: { _: next } } : {}),
});
const HANGUP: CallflowNode = { module: 'hangup', data: {} };

/** Seconds of the span, in 0.5 s windows, where the audio is louder than `rms` (what a phone heard). */
function loudSeconds(samples: Int16Array, rms = 300): number {
  let n = 0;
  for (let i = 0; i + 4000 <= samples.length; i += 4000) if (rmsOf(samples, i, i + 4000) > rms) n++;
  return n / 2;
}

// ---- collect_dtmf round trips through chained pivot nodes ---------------------------------------------------

/**
 * /k/start: say, collect up to # into `default`, pivot to /k/code (a new session); /k/code: read the code back,
 * collect one key into `confirm`, pivot to /k/confirm by GET; /k/confirm: say goodbye and hang up.
 */
async function collectApp(bodyFormat: 'form' | 'json'): Promise<WebApp> {
  const a: WebApp = await app({
    '/k/start': signed(() =>
      kazoo(
        tts('Enter your code, then press pound.', {
          module: 'collect_dtmf',
          data: { max_digits: 5, timeout: 15000, interdigit_timeout: 5000, terminator: '#' },
          children: { _: pivotNode(a.url('/k/code'), { req_body_format: bodyFormat }) },
        }),
      ),
    ),
    '/k/code': signed((p) => {
      const code = bodyFormat === 'json' ? (p.Digits as Record<string, string>).default : p['Digits[default]'];
      return kazoo(
        tts(`You entered ${String(code).split('').join(' ')}. Press 9 to confirm.`, {
          module: 'collect_dtmf',
          data: { max_digits: 1, timeout: 15000, collection_name: 'confirm' },
          children: { _: pivotNode(a.url('/k/confirm'), { method: 'get' }) },
        }),
      );
    }),
    '/k/confirm': signed(() => kazoo(tts('Confirmed.', HANGUP))),
  });
  return a;
}

async function assertCollectRun(a: WebApp, bodyFormat: 'form' | 'json'): Promise<Record<string, unknown>> {
  assert.deepEqual(
    a.requests.map((r) => `${r.method} ${r.path}`),
    ['POST /k/start', 'POST /k/code', 'GET /k/confirm'],
  );
  const [start, code, confirm] = a.requests;
  const callId = String(start.params['Call-ID']);
  for (const r of a.requests) {
    assert.equal(r.params['Call-ID'], callId, `${r.path} is the same call`);
    assert.equal(r.params['Account-ID'], rig.accountId);
    assert.equal(r.params['Api-Version'], '4.x');
  }
  assert.equal(start.contentType, 'application/x-www-form-urlencoded');
  assert.equal(start.params['Digits[default]'], undefined, 'no digits before the first collect_dtmf');
  if (bodyFormat === 'json') {
    assert.equal(code.contentType, 'application/json');
    assert.deepEqual(code.params.Digits, { default: '123' }, 'the collection reaches the chained pivot node');
  } else {
    assert.equal(code.contentType, 'application/x-www-form-urlencoded');
    assert.equal(code.params['Digits[default]'], '123', 'the collection reaches the chained pivot node');
  }
  assert.equal(confirm.query['Digits[confirm]'], '9', 'the second collection, in the GET query');
  assert.equal(confirm.query['Digits[default]'], undefined, 'collections are sent once (consumed by /k/code)');

  const records = await rig.debug(callId);
  const requests = records.filter((r) => r.kind === 'request');
  assert.deepEqual(
    requests.map((r) => [r.uri?.split('?')[0], r.iteration]),
    [
      [a.url('/k/start'), 1],
      [a.url('/k/code'), 1],
      [a.url('/k/confirm'), 1],
    ],
    'each pivot node of the returned callflows is a session of its own (Kazoo §3.5)',
  );
  assert.deepEqual(
    records.filter((r) => r.kind === 'error'),
    [],
  );
  return start.params;
}

test('SIPp: collect_dtmf → pivot → collect_dtmf → pivot; 123# and 9 reach the chained nodes (form bodies)', async () => {
  const a = await collectApp('form');
  await rig.number('+14155550301', pivotNode(a.url('/k/start')));
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-ivr-digits.xml'),
    target: rig.target,
    args: ['-s', '4155550301', '-mi', '127.0.0.1', '-mp', nextSippMediaPort()],
    timeoutMs: 40_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  const params = await assertCollectRun(a, 'form');
  assert.equal(params.Request, '4155550301');
  assert.equal(params['Caller-ID-Number'], 'sipp');
  assert.equal(params.Direction, 'inbound');
});

test('baresip as a registered device dials an extension: the same IVR with JSON bodies and its User-ID', async () => {
  const { store } = rig.server;
  const user = await store.users.create(rig.accountId, { username: 'alice', first_name: 'Alice' });
  const device = await store.devices.create(rig.accountId, {
    name: 'Alice desk phone',
    owner_id: user.id,
    sip: { username: 'alice', password: 'wonderland' },
  });
  const realm = rig.server.boot.account.realm as string;
  const a = await collectApp('json');
  await store.callflows.create(rig.accountId, {
    name: 'IVR extension',
    numbers: ['2001'],
    flow: pivotNode(a.url('/k/start')),
  });
  const dump = mkdtempSync(join(tmpdir(), 'baresip-dump-'));
  const p = await Baresip.start({
    account: `<sip:alice@${realm}>;auth_pass=wonderland;outbound="sip:${rig.target}";regint=60;audio_codecs=PCMU`,
    dumpDir: dump,
    rtpPorts: PHONE_RTP,
    timeoutMs: 60_000,
  });
  try {
    await eventually(
      () => rig.server.calls.registrar.isRegistered(rig.accountId, device.id),
      'the phone registered as the device',
      10_000,
    );
    p.command('dial', `sip:2001@${realm}`);
    await p.waitFor('CALL_ESTABLISHED');
    await a.waitFor('/k/start', 1, 10_000);
    await sleep(1000);
    await press(p, '123#');
    await a.waitFor('/k/code', 1, 5000);
    await sleep(1000);
    await press(p, '9');
    await p.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await p.stop();
  }
  const params = await assertCollectRun(a, 'json');
  assert.equal(params.Request, '2001');
  assert.equal(params.From, 'alice');
  assert.equal(params['From-Realm'], realm);
  assert.equal(params['User-ID'], user.id, "the device's owner");
  const heard = await read8k(await heardBy(dump));
  assert.ok(loudSeconds(heard) >= 2, `the phone heard the prompts (${loudSeconds(heard)} s of speech)`);
});

// ---- recordings ---------------------------------------------------------------------------------------------

test('SIPp: record_caller records the caller until #, uploads the WAV, and the flow goes on to a pivot node', async () => {
  const sink = await uploadSink();
  closers.push(() => sink.close());
  const a = await app({
    '/k/rec': signed(() =>
      kazoo(
        tts('Leave a message, then press pound.', {
          module: 'record_caller',
          data: { format: 'wav', url: sink.url('/k-uploads/'), time_limit: 30 },
          children: { _: pivotNode(a.url('/k/rec-done')) },
        }),
      ),
    ),
    '/k/rec-done': signed(() => kazoo(tts('Thank you.', HANGUP))),
  });
  await rig.number('+14155550311', pivotNode(a.url('/k/rec')));
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-talk-pound-wait-bye.xml'),
    target: rig.target,
    args: ['-s', '4155550311', '-mi', '127.0.0.1', '-mp', nextSippMediaPort()],
    timeoutMs: 40_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  const [done] = a.to('/k/rec-done');
  assert.ok(done, 'the flow went on after the recording');
  const callId = String(done.params['Call-ID']);
  const [upload] = await sink.waitFor(1);
  assert.equal(upload.method, 'PUT');
  assert.equal(upload.path, `/k-uploads/call_recording_${callId}.wav`);
  assert.equal(upload.contentType, 'audio/wav');
  const wav = wavHeader(upload.body);
  assert.deepEqual([wav.format, wav.channels, wav.sampleRate, wav.bitsPerSample], [1, 1, 8000, 16]);
  // Speech from the end of the prompt (~2.3 s) to 7 s, then silence until # at 8 s (kept: no silence trimming).
  assert.ok(wav.seconds > 4 && wav.seconds < 7.5, `recording length ${wav.seconds} s`);
  const stat = soxStat(tempFile(upload.body, 'caller.wav'));
  assert.ok(stat.rms > 0.01, `the recording has the caller's voice (RMS ${stat.rms})`);
  const rows = await rig.server.store.recordings.list(rig.accountId);
  const row = rows.items.find((r) => r.call_id === callId);
  assert.equal(row?.source, 'record_caller');
});

test('baresip: record_call start … stop records both legs and uploads them; the key pressed reaches the next pivot', async () => {
  const sink = await uploadSink();
  closers.push(() => sink.close());
  const a = await app({
    '/k/rc': signed(() =>
      kazoo({
        module: 'record_call',
        data: { action: 'start', url: sink.url('/k-rc/') },
        children: {
          _: tts('This call is recorded. Press any key.', {
            module: 'collect_dtmf',
            data: { max_digits: 1, timeout: 15000 },
            children: {
              _: { module: 'record_call', data: { action: 'stop' }, children: { _: pivotNode(a.url('/k/rc-done')) } },
            },
          }),
        },
      }),
    ),
    '/k/rc-done': signed(() => kazoo(tts('Goodbye.', HANGUP))),
  });
  await rig.number('+14155550312', pivotNode(a.url('/k/rc')));
  // The phone is silent for 3 s (while the prompt plays), then says 1000 Hz.
  const mic = join(mkdtempSync(join(tmpdir(), 'pivot-mic-')), 'mic.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    '48000',
    '-c',
    '2',
    '-b',
    '16',
    mic,
    'synth',
    '15',
    'sine',
    '1000',
    'vol',
    '0.5',
    'pad',
    '3',
    '0',
  ]);
  const p = await phone({ name: 'recorded', rtpPorts: PHONE_RTP, wav: mic });
  try {
    p.phone.command('dial', `sip:4155550312@${rig.target}`);
    await a.waitFor('/k/rc', 1, 10_000);
    await sleep(5500);
    await press(p.phone, '5');
    await p.phone.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await p.phone.stop();
  }
  const [done] = a.to('/k/rc-done');
  assert.equal(done?.params['Digits[default]'], '5');
  const callId = String(done.params['Call-ID']);
  const [upload] = await sink.waitFor(1);
  assert.equal(upload.method, 'PUT');
  assert.match(upload.path, new RegExp(`^/k-rc/call_recording_${callId}\\.(wav|mp3)$`));
  const isWav = upload.body.subarray(0, 4).toString('latin1') === 'RIFF';
  assert.equal(
    upload.path.endsWith('.wav'),
    isWav,
    `the file name says what the bytes are (${upload.path}, ${upload.contentType}, ${isWav ? 'WAV' : 'not WAV'})`,
  );
  const samples = await read8k(tempFile(upload.body, upload.path.split('/').pop()!));
  const seconds = samples.length / 8000;
  assert.ok(seconds > 4.5 && seconds < 8, `recording length ${seconds} s`);
  // Both legs: Pivot's prompt while the phone is silent, then the phone's tone.
  const prompt = [1600, 16000] as const;
  assert.ok(rmsOf(samples, ...prompt) > 300, `the prompt is in the recording (RMS ${rmsOf(samples, ...prompt)})`);
  assert.ok(blockToneShare(samples, 1000, ...prompt) < 0.2, 'and it is not the tone');
  const tail = blockToneShare(samples, 1000, samples.length - 8000, samples.length);
  assert.ok(tail > 0.8, `the caller's 1000 Hz is in the recording (share ${tail})`);
});

// ---- the `_` child on failures ------------------------------------------------------------------------------

const FAILURES = {
  status500: { number: '+14155550321', answer: { status: 500, contentType: 'text/plain', body: 'boom' } },
  timeout: { number: '+14155550322', answer: { delayMs: 4000, ...kazoo(tts('Too late.')) } },
  badJson: {
    number: '+14155550323',
    answer: { contentType: 'application/json', body: '{"module": "tts",\n "data": {"text": "hi"}\n' },
  },
} satisfies Record<string, { number: string; answer: AppResponse }>;
type FailureCase = keyof typeof FAILURES;
const CASES = Object.keys(FAILURES) as FailureCase[];

let failureApp: WebApp | undefined;

/** One number per case; `_`: a sorry message, then a second pivot node whose request proves it ran. */
async function failureSetup(): Promise<WebApp> {
  if (failureApp) return failureApp;
  const routes: Parameters<typeof webApp>[0] = {};
  for (const c of CASES) {
    routes[`/fail/${c}`] = signed(() => FAILURES[c].answer);
    routes[`/fallback/${c}`] = signed(() => kazoo(HANGUP));
  }
  const a = await app(routes);
  for (const c of CASES) {
    const fallback = tts('Sorry, the application is unavailable.', pivotNode(a.url(`/fallback/${c}`)));
    await rig.number(FAILURES[c].number, pivotNode(a.url(`/fail/${c}`), { req_timeout_ms: 1000 }, { _: fallback }));
  }
  failureApp = a;
  return a;
}

async function assertFailures(a: WebApp, callIds: Set<string>): Promise<void> {
  for (const c of CASES) {
    const failing = a.to(`/fail/${c}`).filter((r) => callIds.has(String(r.params['Call-ID'])));
    const fallback = a.to(`/fallback/${c}`).filter((r) => callIds.has(String(r.params['Call-ID'])));
    assert.equal(failing.length, 1, `${c}: the voice URL was requested once`);
    assert.equal(fallback.length, 1, `${c}: the _ child ran and reached the fallback pivot node`);
    const callId = String(failing[0].params['Call-ID']);
    const failedAt = failing[0].at + (c === 'timeout' ? 1000 : 0);
    assert.ok(
      fallback[0].at - failedAt > 2500,
      `${c}: the tts played before the fallback (${fallback[0].at - failedAt} ms)`,
    );
    assert.ok(fallback[0].at - failedAt < 8000, `${c}: the _ child ran at once`);

    const records = await rig.debug(callId);
    const errors = records.filter((r) => r.kind === 'error');
    assert.equal(errors.length, 1, `${c}: one error record: ${JSON.stringify(errors)}`);
    const error = errors[0].error!;
    const request = records.find((r) => r.kind === 'request' && r.iteration === errors[0].iteration);
    assert.equal(request?.uri, a.url(`/fail/${c}`), `${c}: the failed request is kept with the error`);
    const summary = (await rig.server.store.pivotDebug.listCalls(rig.accountId)).items.find(
      (s) => s.call_id === callId,
    );
    assert.equal(summary?.has_errors, true, `${c}: Live Debug flags the call`);
    if (c === 'status500') {
      assert.equal(error.code, 11200);
      assert.match(error.message, /HTTP 500/);
      const response = records.find((r) => r.kind === 'response' && r.iteration === errors[0].iteration);
      assert.equal(response?.resp_status_code, 500);
    } else if (c === 'timeout') {
      assert.equal(error.type, 'timeout');
      assert.match(error.message, /timed out after 1000 ms/);
    } else {
      assert.equal(error.type, 'json');
      assert.equal(error.code, 12100);
      assert.equal(error.line, 3, `${c}: the JSON error's line (${JSON.stringify(error)})`);
      assert.ok(typeof error.column === 'number' && error.column > 0, `${c}: and column`);
      assert.equal(summary?.has_json_errors, true);
    }
  }
}

test('SIPp: a 500, a timeout and broken JSON each take the `_` child at once, with a debug record', async () => {
  const a = await failureSetup();
  const runs = await Promise.all(
    CASES.map(
      (c) =>
        sipp({
          scenario: join(SCENARIOS, 'uac-wait-bye.xml'),
          target: rig.target,
          args: ['-s', FAILURES[c].number.slice(2), '-mi', '127.0.0.1', '-mp', nextSippMediaPort()],
          timeoutMs: 30_000,
        }).done,
    ),
  );
  for (const run of runs) assert.equal(run.code, 0, run.output + run.errors);
  await assertFailures(a, new Set(CASES.map((c) => String(a.to(`/fail/${c}`).at(-1)?.params['Call-ID']))));
});

test('baresip: on a 500, a timeout and broken JSON the phone hears the `_` child, then the fallback runs', async () => {
  const a = await failureSetup();
  const before = new Map(CASES.map((c) => [c, a.to(`/fail/${c}`).length]));
  const phones = await Promise.all(CASES.map((c) => phone({ name: `fail-${c}`, rtpPorts: PHONE_RTP })));
  try {
    phones.forEach((p, i) => p.phone.command('dial', `sip:${FAILURES[CASES[i]].number.slice(2)}@${rig.target}`));
    await Promise.all(phones.map((p) => p.phone.waitFor('CALL_CLOSED', 20_000)));
  } finally {
    await Promise.all(phones.map((p) => p.phone.stop()));
  }
  await assertFailures(a, new Set(CASES.map((c) => String(a.to(`/fail/${c}`)[before.get(c)!]?.params['Call-ID']))));
  for (const [i, p] of phones.entries()) {
    const heard = await read8k(await heardBy(p.dump));
    assert.ok(loudSeconds(heard) >= 2, `${CASES[i]}: the phone heard the sorry message (${loudSeconds(heard)} s)`);
  }
});
