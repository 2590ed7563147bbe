// A TwiML IVR end to end over real SIP and RTP on loopback: `pivot start`'s server in-process, a number whose
// callflow is a `pivot` node, and a real web app (every request's X-Twilio-Signature checked with the twilio
// package). Each flow is driven by SIPp (RFC 2833 and G.711 pcaps) and by baresip (a real phone: sine microphone,
// RFC 2833 keys, what it hears dumped to WAV): a Redirect chain into Gather round trips, a Record whose file is
// PUT to the app and whose URL reaches the action and the recordingStatusCallback, and the pivot node's `_` child
// when the app answers 500, times out or sends broken XML.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import twilio from 'twilio';
import type { CallflowNode } from '../../src/store/types.js';
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
import { twiml, twilioValid, webApp, type AppRequest, type AppResponse, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp, sippMediaPorts } from '../helpers/sipp.js';

// Ports of this file: Pivot's RTP 36000-36199, baresip's RTP 36200-36399, SIPp's media 36400-36599.
const PHONE_RTP = { min: 36200, max: 36399 };
const nextSippMediaPort = sippMediaPorts(36404);

let rig: E2eServer;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  rig = await e2eServer({ min: 36000, max: 36199 });
});

after(async () => {
  for (const close of closers) await close();
  await rig.stop();
});

/** The web app of a test, closed after the file. */
async function app(routes: Parameters<typeof webApp>[0]): Promise<WebApp> {
  const a = await webApp(routes);
  closers.push(() => a.close());
  return a;
}

/** A route that refuses requests whose X-Twilio-Signature the twilio package rejects. */
function signed(answer: (params: Record<string, any>, req: AppRequest) => AppResponse) {
  return (params: Record<string, any>, req: AppRequest): AppResponse =>
    twilioValid(rig.signingKey, req) ? answer(params, req) : { status: 403, body: 'bad signature' };
}

function pivotNode(voiceUrl: string, extra: Record<string, unknown> = {}, fallback?: CallflowNode): CallflowNode {
  return {
    module: 'pivot',
    data: { voice_url: voiceUrl, method: 'post', req_format: 'twiml', debug: true, ...extra },
    ...(fallback ? { children: { _: fallback } } : {}),
  };
}

const xml = (r: twilio.twiml.VoiceResponse): AppResponse => ({ contentType: 'text/xml', body: r.toString() });

/** Seconds of the span, in 0.5 s windows, where the audio is louder than `rms` (what a phone heard). */
function loudSeconds(samples: Int16Array, rms = 300): number {
  let n = 0;
  for (let i = 0; i + 4000 <= samples.length; i += 4000) if (rmsOf(samples, i, i + 4000) > rms) n++;
  return n / 2;
}

// ---- Redirect chain and Gather round trips ----------------------------------------------------------------

/**
 * /ivr/voice says Welcome and redirects (relative `step2`), step2 redirects with an absolute URL, step3 with a
 * host-root one by GET, /ivr/menu gathers up to #, /ivr/choice reads the code back and gathers 1 key, /ivr/confirm
 * says goodbye and hangs up.
 */
async function ivrApp(): Promise<WebApp> {
  const a: WebApp = await app({
    '/ivr/voice': signed(() => {
      const r = new twilio.twiml.VoiceResponse();
      r.say('Welcome.');
      r.redirect('step2');
      return xml(r);
    }),
    '/ivr/step2': signed(() => twiml(`<Redirect>${a.url('/ivr/step3')}</Redirect>`)),
    '/ivr/step3': signed(() => twiml('<Redirect method="GET">/ivr/menu</Redirect>')),
    '/ivr/menu': signed(() => {
      const r = new twilio.twiml.VoiceResponse();
      r.gather({ finishOnKey: '#', timeout: 15, action: 'choice' }).say('Enter your code, then press pound.');
      r.say('We did not get your code.');
      return xml(r);
    }),
    '/ivr/choice': signed((p) => {
      const r = new twilio.twiml.VoiceResponse();
      const spoken = String(p.Digits).split('').join(' ');
      r.gather({ numDigits: 1, timeout: 15, action: 'confirm' }).say(`You entered ${spoken}. Press 9 to confirm.`);
      return xml(r);
    }),
    '/ivr/confirm': signed(() => {
      const r = new twilio.twiml.VoiceResponse();
      r.say('Confirmed.');
      r.hangup();
      return xml(r);
    }),
  });
  return a;
}

async function assertIvrRun(a: WebApp, to: string): Promise<string> {
  const paths = a.requests.map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(paths, [
    'POST /ivr/voice',
    'POST /ivr/step2',
    'POST /ivr/step3',
    'GET /ivr/menu',
    'POST /ivr/choice',
    'POST /ivr/confirm',
  ]);
  const callSid = String(a.requests[0].params.CallSid);
  for (const r of a.requests) {
    assert.equal(r.params.CallSid, callSid, `${r.path} is the same call`);
    assert.equal(r.params.To, to);
    assert.equal(r.params.Direction, 'inbound');
    assert.equal(r.params.AccountSid, rig.accountId);
  }
  // The GET carries the parameters in its query, signed with them (checked by the route).
  assert.equal(a.to('/ivr/menu')[0].query.CallSid, callSid);
  const [choice] = a.to('/ivr/choice');
  assert.equal(choice.params.Digits, '123', 'the digits before # reached the Gather action');
  assert.equal(choice.params.FinishedOnKey, '#');
  const [confirm] = a.to('/ivr/confirm');
  assert.equal(confirm.params.Digits, '9', 'the second Gather got its key');
  assert.equal(confirm.params.CallStatus, 'in-progress');

  const records = await rig.debug(callSid);
  const requests = records.filter((r) => r.kind === 'request');
  assert.deepEqual(
    requests.map((r) => r.uri?.split('?')[0]),
    ['/ivr/voice', '/ivr/step2', '/ivr/step3', '/ivr/menu', '/ivr/choice', '/ivr/confirm'].map((p) => a.url(p)),
    'each Redirect target was resolved (relative, absolute, host root) and requested',
  );
  assert.deepEqual(
    records.filter((r) => r.kind === 'error'),
    [],
    'no errors in the debug records',
  );
  return callSid;
}

test('SIPp: a Redirect chain of three documents leads to a Gather; 123# and then 9 reach the actions', async () => {
  const a = await ivrApp();
  await rig.number('+14155550201', pivotNode(a.url('/ivr/voice')));
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-ivr-digits.xml'),
    target: rig.target,
    args: ['-s', '4155550201', '-mi', '127.0.0.1', '-mp', nextSippMediaPort()],
    timeoutMs: 40_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  await assertIvrRun(a, '4155550201');
});

test('baresip: the same IVR; the phone hears the prompts and its keys reach both Gather actions', async () => {
  const a = await ivrApp();
  await rig.number('+14155550202', pivotNode(a.url('/ivr/voice')));
  const p = await phone({ name: 'ivr-caller', rtpPorts: PHONE_RTP });
  try {
    p.phone.command('dial', `sip:4155550202@${rig.target}`);
    await p.phone.waitFor('CALL_ESTABLISHED');
    await a.waitFor('/ivr/menu', 1, 10_000);
    await sleep(1000);
    await press(p.phone, '123#');
    await a.waitFor('/ivr/choice', 1, 5000);
    await sleep(1000);
    await press(p.phone, '9');
    await p.phone.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await p.phone.stop();
  }
  await assertIvrRun(a, '4155550202');
  const heard = await read8k(await heardBy(p.dump));
  // Welcome (0.8 s) + the menu (until the first key) + the read-back (until 9) + Confirmed: speech heard.
  assert.ok(loudSeconds(heard) >= 3, `the phone heard the prompts (${loudSeconds(heard)} s of speech)`);
});

// ---- Record -------------------------------------------------------------------------------------------------

/** Records after a beep until #; the file is PUT to the sink; the action and the status callback get its URL. */
async function recordApp(sinkUrl: string): Promise<WebApp> {
  return app({
    '/rec/voice': signed(() =>
      twiml(
        '<Say>Leave a message after the beep.</Say>' +
          `<Record action="done" finishOnKey="#" timeout="10" maxLength="30" recordingStatusCallback="status" ` +
          `recordingUrl="${sinkUrl}"/>` +
          '<Say>This is not reached.</Say>',
      ),
    ),
    '/rec/done': signed(() => twiml('<Say>Thank you.</Say><Hangup/>')),
    '/rec/status': signed(() => ({ status: 204 })),
  });
}

async function assertRecording(a: WebApp, sink: Awaited<ReturnType<typeof uploadSink>>) {
  const [done] = a.to('/rec/done');
  assert.ok(done, 'the Record action was requested');
  const callSid = String(done.params.CallSid);
  const [upload] = await sink.waitFor(1);
  assert.equal(upload.method, 'PUT');
  assert.equal(upload.path, `/uploads/call_recording_${callSid}.wav`);
  assert.equal(upload.contentType, 'audio/wav');
  assert.equal(done.params.RecordingUrl, sink.url(upload.path), 'the action is told where the recording went');
  assert.match(String(done.params.RecordingSid), /^RE[0-9a-f]+$/);
  assert.equal(done.params.Digits, '#', 'the finish key is reported');
  const wav = wavHeader(upload.body);
  assert.deepEqual(
    [wav.format, wav.channels, wav.sampleRate, wav.bitsPerSample],
    [1, 1, 8000, 16],
    'an 8 kHz 16-bit PCM mono WAV',
  );
  assert.ok(Math.abs(Number(done.params.RecordingDuration) - wav.seconds) <= 1, 'RecordingDuration is its length');
  const [status] = await a.waitFor('/rec/status', 1, 5000);
  assert.equal(status.params.RecordingStatus, 'completed');
  assert.equal(status.params.RecordingSid, done.params.RecordingSid);
  assert.equal(status.params.RecordingUrl, done.params.RecordingUrl);
  assert.equal(status.params.CallSid, callSid);
  const rows = await rig.server.store.recordings.list(rig.accountId);
  assert.ok(
    rows.items.some((r) => `RE${r.id}` === done.params.RecordingSid && r.call_id === callSid),
    'the recording is kept on Pivot too',
  );
  return { wav, path: tempFile(upload.body, 'upload.wav') };
}

test('SIPp: Record takes what the caller says until #, PUTs the WAV to the app and posts its URL', async () => {
  const sink = await uploadSink();
  closers.push(() => sink.close());
  const a = await recordApp(sink.url('/uploads/'));
  await rig.number('+14155550211', pivotNode(a.url('/rec/voice')));
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-talk-pound-wait-bye.xml'),
    target: rig.target,
    args: ['-s', '4155550211', '-mi', '127.0.0.1', '-mp', nextSippMediaPort()],
    timeoutMs: 40_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  const { wav, path } = await assertRecording(a, sink);
  // Speech from ~2.5 s (after the prompt and beep) to 7 s, then silence until # at 8 s (trimmed).
  assert.ok(wav.seconds > 3 && wav.seconds < 7, `recording length ${wav.seconds} s`);
  const stat = soxStat(path);
  assert.ok(stat.rms > 0.01, `the recording has the caller's voice (RMS ${stat.rms})`);
});

test("baresip: Record takes the phone's 440 Hz until #; the uploaded WAV is that tone", async () => {
  const sink = await uploadSink();
  closers.push(() => sink.close());
  const a = await recordApp(sink.url('/uploads/'));
  await rig.number('+14155550212', pivotNode(a.url('/rec/voice')));
  const p = await phone({ name: 'recorder', rtpPorts: PHONE_RTP, sineHz: 440 });
  try {
    p.phone.command('dial', `sip:4155550212@${rig.target}`);
    await a.waitFor('/rec/voice', 1, 10_000);
    // The prompt (1.8 s) and the beep, then 3 s of tone.
    await sleep(5500);
    await press(p.phone, '#');
    await p.phone.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await p.phone.stop();
  }
  const { wav, path } = await assertRecording(a, sink);
  assert.ok(wav.seconds > 2 && wav.seconds < 5, `recording length ${wav.seconds} s`);
  const samples = await read8k(path);
  const share = blockToneShare(samples, 440);
  assert.ok(share > 0.6, `the recording is the phone's 440 Hz (share ${share})`);
  assert.ok(rmsOf(samples) > 1000, `with its level (RMS ${rmsOf(samples)})`);
});

// ---- the `_` child on failures ------------------------------------------------------------------------------

const FAILURES = {
  status500: { number: '+14155550221', answer: { status: 500, contentType: 'text/plain', body: 'boom' } },
  timeout: { number: '+14155550222', answer: { delayMs: 4000, ...twiml('<Say>Too late.</Say>') } },
  badXml: { number: '+14155550223', answer: twiml('<Say>Hello<Pause length="1"></Say>') },
} satisfies Record<string, { number: string; answer: AppResponse }>;
type FailureCase = keyof typeof FAILURES;
const CASES = Object.keys(FAILURES) as FailureCase[];

let failureApp: WebApp | undefined;

/**
 * One number per case; the pivot node (req_timeout_ms 1000) has a `_` child that says a sorry message and then
 * goes to a second pivot node whose request proves it ran (it hangs up). Made once for the SIPp and baresip runs.
 */
async function failureSetup(): Promise<WebApp> {
  if (failureApp) return failureApp;
  const routes: Parameters<typeof webApp>[0] = {};
  for (const c of CASES) {
    routes[`/fail/${c}`] = signed(() => FAILURES[c].answer);
    routes[`/fallback/${c}`] = signed(() => twiml('<Hangup/>'));
  }
  const a = await app(routes);
  for (const c of CASES) {
    const fallback: CallflowNode = {
      module: 'tts',
      data: { text: 'Sorry, the application is unavailable.' },
      children: { _: pivotNode(a.url(`/fallback/${c}`)) },
    };
    await rig.number(FAILURES[c].number, pivotNode(a.url(`/fail/${c}`), { req_timeout_ms: 1000 }, fallback));
  }
  failureApp = a;
  return a;
}

/** The failing request and the fallback request of each call, and the debug error saying what was wrong. */
async function assertFailures(a: WebApp, callSids: Set<string>): Promise<void> {
  for (const c of CASES) {
    const failing = a.to(`/fail/${c}`).filter((r) => callSids.has(String(r.params.CallSid)));
    const fallback = a.to(`/fallback/${c}`).filter((r) => callSids.has(String(r.params.CallSid)));
    assert.equal(failing.length, 1, `${c}: the voice URL was requested once`);
    assert.equal(fallback.length, 1, `${c}: the _ child ran and reached the fallback pivot node`);
    const callSid = String(failing[0].params.CallSid);
    assert.equal(fallback[0].params.CallSid, callSid);
    // The sorry message (3.1 s of speech) played between the failure and the fallback request.
    const failedAt = failing[0].at + (c === 'timeout' ? 1000 : 0);
    assert.ok(
      fallback[0].at - failedAt > 2500,
      `${c}: the tts played before the fallback (${fallback[0].at - failedAt} ms)`,
    );
    assert.ok(fallback[0].at - failedAt < 8000, `${c}: the _ child ran at once`);

    const records = await rig.debug(callSid);
    const errors = records.filter((r) => r.kind === 'error');
    assert.equal(errors.length, 1, `${c}: one error record: ${JSON.stringify(errors)}`);
    const error = errors[0].error!;
    const failedExchange = records.filter((r) => r.iteration === errors[0].iteration && r.kind === 'request');
    assert.equal(failedExchange[0]?.uri, a.url(`/fail/${c}`), `${c}: the failed request is kept with the error`);
    if (c === 'status500') {
      assert.equal(error.code, 11200);
      assert.match(String(error.message), /HTTP 500/);
      const response = records.find((r) => r.kind === 'response' && r.iteration === errors[0].iteration);
      assert.equal(response?.resp_status_code, 500);
      assert.equal(response?.resp_body, 'boom');
    } else if (c === 'timeout') {
      assert.equal(error.type, 'timeout');
      assert.match(String(error.message), /timed out after 1000 ms/);
    } else {
      assert.equal(error.code, 12100);
      assert.equal(error.type, 'xml');
      assert.equal(error.line, 2, `${c}: the XML error's line (${JSON.stringify(error)})`);
      assert.ok(typeof error.column === 'number' && error.column > 0, `${c}: and column`);
    }
    const summary = (await rig.server.store.pivotDebug.listCalls(rig.accountId)).items.find(
      (s) => s.call_id === callSid,
    );
    assert.equal(summary?.has_errors, true, `${c}: Live Debug flags the call`);
  }
}

test('SIPp: a 500, a timeout and broken XML each take the `_` child at once, with a debug record', async () => {
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
  const sids = new Set(CASES.map((c) => String(a.to(`/fail/${c}`).at(-1)?.params.CallSid)));
  await assertFailures(a, sids);
});

test('baresip: on a 500, a timeout and broken XML the phone hears the `_` child, then the fallback runs', async () => {
  const a = await failureSetup();
  const before = new Map(CASES.map((c) => [c, a.to(`/fail/${c}`).length]));
  const phones = await Promise.all(CASES.map((c) => phone({ name: `fail-${c}`, rtpPorts: PHONE_RTP })));
  try {
    phones.forEach((p, i) => p.phone.command('dial', `sip:${FAILURES[CASES[i]].number.slice(2)}@${rig.target}`));
    await Promise.all(phones.map((p) => p.phone.waitFor('CALL_CLOSED', 20_000)));
  } finally {
    await Promise.all(phones.map((p) => p.phone.stop()));
  }
  const sids = new Set(CASES.map((c) => String(a.to(`/fail/${c}`)[before.get(c)!]?.params.CallSid)));
  await assertFailures(a, sids);
  for (const [i, p] of phones.entries()) {
    const heard = await read8k(await heardBy(p.dump));
    assert.ok(loudSeconds(heard) >= 2, `${CASES[i]}: the phone heard the sorry message (${loudSeconds(heard)} s)`);
  }
});
