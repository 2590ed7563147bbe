// The demo `npm start` installs, through `startServer` on loopback: what is installed (number, callflow, menu,
// device) and that a second start changes nothing but the voice_url; the IVR driven with real signed HTTP requests
// (every TwiML answer passes Pivot's own TwiML compiler, the Kazoo answer its callflow validator, bad signatures
// get 403); a SIPp caller on the demo number pressing 3 then 4 2 # over RFC 2833; and a baresip phone registered
// as the `demo` device calling 1000, pressing 2, recording its sine and hearing it played back from Pivot's own
// recording URL.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipCall } from '../../src/call/sip-call.js';
import { flowValidator } from '../../src/callflow/validate.js';
import { startServer } from '../../src/cli/start.js';
import { loadSettings, type PivotSettings } from '../../src/config.js';
import { DEMO_CALLFLOW_NAME, DEMO_MENU_NAME } from '../../src/demo/kazoo.js';
import { WELCOME } from '../../src/demo/twiml.js';
import { parseDocument } from '../../src/pivot/http/document.js';
import { twilioSignature, withBodySha256 } from '../../src/pivot/http/signing.js';
import type { PivotDebugRecord } from '../../src/store/types.js';
import { TwimlInterpreter } from '../../src/twiml/interpreter.js';
import type { CompiledVerb } from '../../src/twiml/types.js';
import { Baresip } from '../helpers/baresip.js';
import { eventually } from '../helpers/pivot.js';
import { SCENARIOS, sipp } from '../helpers/sipp.js';

type Server = Awaited<ReturnType<typeof startServer>>;

let settings: PivotSettings;
let first: { publicUrl: string; demo: Server['boot']['demo']; callflowId?: string };
let server: Server;
const calls: SipCall[] = [];
const said = new Map<SipCall, string[]>();

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-demo-'));
  settings = {
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: 35000, max: 35199 },
    bind: '127.0.0.1',
    logLevel: 'silent',
  };
  // First start installs the demo; the second, on the same data folder, must find it (the tests use that one).
  const a = await startServer(settings);
  first = { publicUrl: a.publicUrl, demo: a.boot.demo, callflowId: a.boot.demo?.callflowId };
  await a.stop(500);
  server = await startServer(settings);
  server.calls.events.on('call', (c) => {
    calls.push(c);
    // what the caller is told, whichever interpreter speaks (TwiML <Say> or the tts module)
    const say = c.say.bind(c);
    const texts: string[] = [];
    said.set(c, texts);
    c.say = (text, o) => {
      texts.push(text);
      return say(text, o);
    };
  });
});

after(async () => {
  await server?.stop(1000);
});

const account = () => server.boot.account;

test('start installs the demo once: number, callflow at 1000 and the number, menu, and the demo device', async () => {
  const { store } = server;
  const id = account().id;
  const demo = server.boot.demo!;
  assert.equal(demo.number, '+15550100000');
  assert.equal(demo.extension, '1000');
  assert.equal(demo.device?.username, 'demo');
  assert.equal(demo.device?.realm, 'admin.pivot.local');
  assert.ok((demo.device?.password.length ?? 0) >= 12);
  assert.deepEqual(demo, first.demo, 'the second start reports the same demo (same device password)');

  assert.equal((await store.phoneNumbers.get('+15550100000'))?.account_id, id);
  const callflows = (await store.callflows.list(id)).items;
  assert.equal(callflows.length, 1, 'no duplicate callflow');
  const cf = callflows[0];
  assert.equal(cf.id, first.callflowId);
  assert.equal(cf.name, DEMO_CALLFLOW_NAME);
  assert.deepEqual(cf.numbers, ['1000', '+15550100000']);
  const checked = flowValidator().validate(cf.flow);
  assert.ok(checked.ok, JSON.stringify(checked));
  assert.equal(cf.flow?.module, 'pivot');
  assert.deepEqual(cf.flow?.data, {
    voice_url: `${server.publicUrl}/demo/voice`,
    method: 'post',
    req_format: 'twiml',
    debug: true,
  });
  assert.notEqual(server.publicUrl, first.publicUrl, 'HTTP port 0: each start has its own port');
  assert.match(server.publicUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(cf.flow?.children?._?.module, 'tts', 'the apology when the app fails');

  const menus = (await store.menus.list(id)).items;
  assert.equal(menus.length, 1);
  assert.equal(menus[0].name, DEMO_MENU_NAME);
  const devices = (await store.devices.list(id)).items;
  assert.equal(devices.length, 1);
  assert.equal(devices[0].name, 'Demo phone');
  assert.equal(devices[0].sip?.username, 'demo');
  assert.equal(devices[0].sip?.password, demo.device?.password);

  const health = await fetch(`${server.publicUrl}/health`);
  assert.equal(health.status, 200);
});

// ---- the IVR over signed HTTP ---------------------------------------------------------------------------------

interface Sent {
  key?: string;
  accountId?: string;
  /** Sign these parameters but send `params`. */
  signed?: Record<string, string>;
  method?: 'GET' | 'POST';
  json?: boolean;
  noSignature?: boolean;
}

/** A request as Pivot sends it: form POST (or GET, or JSON) signed with the account's key over publicUrl + path. */
async function ask(path: string, params: Record<string, string> = {}, o: Sent = {}): Promise<Response> {
  const all = { AccountSid: o.accountId ?? account().id, CallSid: 'CAdemo', From: '+14155550123', ...params };
  const key = o.key ?? account().signing_key;
  let url = `${server.publicUrl}${path}`;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  let signature: string;
  if (o.method === 'GET') {
    url += `${url.includes('?') ? '&' : '?'}${new URLSearchParams(all)}`;
    signature = twilioSignature(key, url, null);
  } else if (o.json) {
    body = JSON.stringify(all);
    url = withBodySha256(url, body);
    headers['content-type'] = 'application/json';
    signature = twilioSignature(key, url, null);
  } else {
    body = new URLSearchParams(all).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const signedParams = o.signed ? { ...all, ...o.signed } : all;
    signature = twilioSignature(key, url, Object.entries(signedParams));
  }
  if (!o.noSignature) headers['x-twilio-signature'] = signature;
  return fetch(url, { method: o.method ?? 'POST', headers, body });
}

/** The TwiML answer, compiled by Pivot's own interpreter: no errors, no warnings. */
async function twiml(res: Response): Promise<{ xml: string; verbs: CompiledVerb[] }> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
  const xml = await res.text();
  const doc = parseDocument({ body: xml, contentType: res.headers.get('content-type') });
  assert.equal(doc.kind, 'twiml', xml);
  if (doc.kind !== 'twiml') throw new Error('not TwiML');
  const compiled = new TwimlInterpreter().compile(doc.root);
  assert.deepEqual(compiled.errors, [], xml);
  assert.deepEqual(compiled.warnings, [], xml);
  return { xml, verbs: compiled.program };
}

const names = (verbs: CompiledVerb[]): string[] => verbs.map((v) => v.element.name);
const opts = (v: CompiledVerb): Record<string, unknown> => v.options as Record<string, unknown>;

test('/demo/voice: the greeting in a one-key Gather, repeated on silence, then goodbye', async () => {
  let { xml, verbs } = await twiml(await ask('/demo/voice'));
  assert.deepEqual(names(verbs), ['Gather', 'Redirect']);
  assert.equal(opts(verbs[0]).numDigits, 1);
  assert.equal(opts(verbs[0]).action, '/demo/choice');
  assert.ok(xml.includes(`<Say>${WELCOME}</Say>`));
  assert.match(xml, /<Redirect>\/demo\/voice\?tries=2<\/Redirect>/);

  ({ xml, verbs } = await twiml(await ask('/demo/voice?back=1')));
  assert.match(xml, /<Say>Main menu\./);

  ({ xml, verbs } = await twiml(await ask('/demo/voice?tries=3')));
  assert.deepEqual(names(verbs), ['Gather', 'Say', 'Hangup']);
  assert.match(xml, /Goodbye\./);

  // GET and JSON bodies are checked the same way (publicUrl + path, Twilio's bodySHA256 rule)
  ({ verbs } = await twiml(await ask('/demo/voice', {}, { method: 'GET' })));
  assert.equal(verbs[0].element.name, 'Gather');
  ({ verbs } = await twiml(await ask('/demo/voice', {}, { json: true })));
  assert.equal(verbs[0].element.name, 'Gather');
});

test('/demo/choice 1, 2, 3 and a wrong key; /demo/echo and /demo/recorded', async () => {
  let { xml, verbs } = await twiml(await ask('/demo/choice', { Digits: '1' }));
  assert.deepEqual(names(verbs), ['Say', 'Redirect']);
  assert.match(xml, /<Say>It is (1[0-2]|[1-9]):[0-5]\d (AM|PM)\.<\/Say>/);

  ({ xml, verbs } = await twiml(await ask('/demo/choice', { Digits: '2' })));
  assert.deepEqual(names(verbs), ['Say', 'Record', 'Say', 'Redirect']);
  assert.match(xml, /Record your message after the beep\. Press pound when done\./);
  const rec = opts(verbs[1]);
  assert.equal(rec.action, '/demo/recorded');
  assert.equal(rec.maxLengthS, 20);
  assert.equal(rec.finishOnKey, '#');
  assert.equal(rec.playBeep, true);

  ({ xml, verbs } = await twiml(await ask('/demo/choice', { Digits: '3' })));
  assert.deepEqual(names(verbs), ['Gather', 'Say', 'Redirect']);
  assert.equal(opts(verbs[0]).action, '/demo/echo');
  assert.equal(opts(verbs[0]).finishOnKey, '#');
  assert.equal(opts(verbs[0]).timeoutS, 10);
  assert.match(xml, /Type some digits, then press pound\./);

  ({ xml } = await twiml(await ask('/demo/choice', { Digits: '7' })));
  assert.match(xml, /Sorry, that is not an option\./);
  assert.match(xml, /<Redirect>\/demo\/voice\?back=1<\/Redirect>/);

  ({ xml } = await twiml(await ask('/demo/echo', { Digits: '42' })));
  assert.match(xml, /<Say>You typed 4, 2\.<\/Say>/);
  ({ xml } = await twiml(await ask('/demo/echo', { Digits: '1*' })));
  assert.match(xml, /You typed 1, star\./);
  ({ xml } = await twiml(await ask('/demo/echo', { Digits: '' })));
  assert.match(xml, /You did not type any digits\./);

  const recording = `${server.publicUrl}/2010-04-01/Accounts/${account().id}/Recordings/REabc`;
  ({ xml, verbs } = await twiml(await ask('/demo/recorded', { RecordingUrl: recording, Digits: '#' })));
  assert.deepEqual(names(verbs), ['Say', 'Play', 'Redirect']);
  assert.ok(xml.includes(`<Play>${recording}</Play>`));
});

test('/demo/choice 0 answers a Kazoo callflow (JSON) with the stored menu, and ways back to the TwiML IVR', async () => {
  const res = await ask('/demo/choice', { Digits: '0', From: '+14155550123' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = await res.text();
  const doc = parseDocument({ body, contentType: res.headers.get('content-type') });
  assert.equal(doc.kind, 'kazoo');
  const checked = flowValidator().validate(doc.kind === 'kazoo' ? doc.flow : undefined);
  assert.ok(checked.ok, JSON.stringify(checked));
  const flow = checked.flow;
  assert.equal(flow.module, 'tts');
  const menu = flow.children!._;
  assert.equal(menu.module, 'menu');
  assert.equal(menu.data?.id, server.boot.demo?.menuId);
  assert.deepEqual(Object.keys(menu.children ?? {}).sort(), ['*', '1', '2', 'max_retries']);
  assert.match(String(menu.children!['2'].data?.text), /Your caller ID is 1 4 1 5 5 5 5 0 1 2 3\./);
  const back = menu.children!['*'];
  assert.equal(back.module, 'pivot');
  assert.equal(back.data?.voice_url, `${server.publicUrl}/demo/voice?back=1`);
  assert.equal(back.data?.req_format, 'twiml');
  assert.equal(menu.children!['1'].children?._?.module, 'pivot');
});

test('requests without a valid X-Twilio-Signature get 403', async () => {
  const refused = async (res: Response, why: RegExp): Promise<void> => {
    assert.equal(res.status, 403);
    assert.match(await res.text(), why);
  };
  await refused(await ask('/demo/voice', {}, { noSignature: true }), /no X-Twilio-Signature/);
  await refused(await ask('/demo/voice', {}, { key: 'not-the-key' }), /does not match/);
  // signed for 1, sent with 2
  await refused(await ask('/demo/choice', { Digits: '2' }, { signed: { Digits: '1' } }), /does not match/);
  await refused(await ask('/demo/voice', {}, { accountId: '0123456789abcdef0123456789abcdef' }), /unknown account/);
  await refused(await ask('/demo/voice', {}, { method: 'GET', key: 'not-the-key' }), /does not match/);
  // a JSON body changed after signing: its bodySHA256 no longer matches
  const body = JSON.stringify({ AccountSid: account().id, Digits: '1' });
  const url = withBodySha256(`${server.publicUrl}/demo/choice`, body);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-twilio-signature': twilioSignature(account().signing_key, url, null),
    },
    body: body.replace('"1"', '"2"'),
  });
  await refused(res, /bodySHA256/);
});

// ---- real calls -----------------------------------------------------------------------------------------------

async function debugOf(call: SipCall): Promise<PivotDebugRecord[]> {
  return server.store.pivotDebug.forCall(account().id, call.id);
}

const requested = (records: PivotDebugRecord[]): string[] =>
  records
    .filter((r) => r.kind === 'request')
    .map((r) => new URL(String(r.uri)).pathname + new URL(String(r.uri)).search);

function formOf(records: PivotDebugRecord[], path: string): URLSearchParams | undefined {
  const r = records.find((x) => x.kind === 'request' && new URL(String(x.uri)).pathname === path);
  return r ? new URLSearchParams(String(r.req_body)) : undefined;
}

test('a SIPp caller on the demo number presses 3, types 4 2 #, hears them back and returns to the menu', async () => {
  const before = calls.length;
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-demo-digits.xml'),
    target: `127.0.0.1:${server.calls.sipPorts.udp}`,
    calls: 1,
    args: ['-s', '15550100000', '-mi', '127.0.0.1', '-mp', '35500'],
    timeoutMs: 30_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(calls.length, before + 1);
  const call = calls[before];
  await eventually(async () => requested(await debugOf(call)).includes('/demo/voice?back=1'), 'the way back', 5000);
  const records = await debugOf(call);
  const paths = requested(records);
  assert.deepEqual(
    paths.slice(0, 4),
    ['/demo/voice', '/demo/choice', '/demo/echo', '/demo/voice?back=1'],
    paths.join(),
  );
  assert.equal(formOf(records, '/demo/choice')?.get('Digits'), '3');
  assert.equal(formOf(records, '/demo/echo')?.get('Digits'), '42');
  assert.equal(formOf(records, '/demo/echo')?.get('To'), '15550100000');
  const echo = records.find((r) => r.kind === 'response' && String(r.uri).endsWith('/demo/echo'));
  assert.match(String(echo?.resp_body), /You typed 4, 2\./);
  assert.ok(said.get(call)?.includes('You typed 4, 2.'), JSON.stringify(said.get(call)));
  assert.deepEqual(
    records.filter((r) => r.kind === 'error'),
    [],
    'no errors in the session',
  );
});

test('a SIPp caller presses 0: the Kazoo JSON menu runs, 1 picks its branch, which hands back to the TwiML IVR', async () => {
  const before = calls.length;
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-demo-kazoo.xml'),
    target: `127.0.0.1:${server.calls.sipPorts.udp}`,
    calls: 1,
    args: ['-s', '+15550100000', '-mi', '127.0.0.1', '-mp', '35502'],
    timeoutMs: 30_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  const call = calls[before];
  await eventually(async () => requested(await debugOf(call)).includes('/demo/voice?back=1'), 'the way back', 5000);
  const records = await debugOf(call);
  const paths = requested(records);
  assert.deepEqual(paths.slice(0, 3), ['/demo/voice', '/demo/choice', '/demo/voice?back=1'], paths.join());
  assert.equal(formOf(records, '/demo/choice')?.get('Digits'), '0');
  const json = records.find((r) => r.kind === 'response' && String(r.uri).endsWith('/demo/choice'));
  assert.match(String(json?.resp_headers?.['content-type']), /^application\/json/);
  assert.equal((JSON.parse(String(json?.resp_body)) as { module: string }).module, 'tts');
  const texts = said.get(call) ?? [];
  const kazoo = texts.indexOf('This menu is a Kazoo callflow, sent as JSON.');
  const branch = texts.indexOf('A callflow is a tree of modules. Each key you press picks a branch.');
  assert.ok(kazoo > 0 && branch > kazoo, `the tts module spoke, then the branch of key 1: ${JSON.stringify(texts)}`);
  assert.ok(
    texts.slice(branch).some((t) => t.startsWith('Main menu.')),
    'then the TwiML IVR again',
  );
  assert.deepEqual(
    records.filter((r) => r.kind === 'error'),
    [],
    'no errors in the session',
  );
});

test('baresip as the demo device calls 1000, presses 2, records its tone and hears it played back', async () => {
  const demo = server.boot.demo!;
  const id = account().id;
  const device = await server.store.devices.findBySipUsername(id, 'demo');
  const phone = await Baresip.start({
    account:
      `<sip:${demo.device!.username}@${demo.device!.realm}>;auth_pass=${demo.device!.password};` +
      `outbound="sip:127.0.0.1:${server.calls.sipPorts.udp}";regint=120;audio_codecs=PCMU`,
    sineHz: 600,
    timeoutMs: 45_000,
  });
  const before = calls.length;
  let call: SipCall | undefined;
  try {
    await eventually(() => server.calls.registrar.isRegistered(id, device!.id), 'the demo phone registered', 10_000);
    phone.command('dial', `sip:1000@${demo.device!.realm}`);
    await phone.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    phone.command('sndcode', '2');
    // "Record your message after the beep. Press pound when done." then about 3 s of tone
    await eventually(
      async () => {
        call = calls[before];
        return !!call && requested(await debugOf(call)).includes('/demo/choice');
      },
      '/demo/choice',
      5000,
    );
    await sleep(7500);
    phone.command('sndcode', '#');
    await eventually(async () => requested(await debugOf(call!)).includes('/demo/recorded'), 'the Record action', 8000);
    // "You said:", the recording played from Pivot's own URL, then the main menu again
    await eventually(
      async () => requested(await debugOf(call!)).includes('/demo/voice?back=1'),
      'the way back after the playback',
      15_000,
    );
    phone.command('hangup');
    await phone.waitFor('CALL_CLOSED', 5000);
  } finally {
    await phone.stop();
  }
  const records = await debugOf(call!);
  assert.equal(call!.vars.get('device_id'), device!.id, 'the call came from the demo device');
  assert.equal(formOf(records, '/demo/choice')?.get('Digits'), '2');
  const recorded = formOf(records, '/demo/recorded')!;
  assert.equal(recorded.get('Digits'), '#');
  const rows = (await server.store.recordings.list(id)).items.filter((r) => r.call_id === call!.id);
  assert.equal(rows.length, 1, 'the recording row');
  assert.ok(rows[0].duration_ms > 1500, `recorded ${rows[0].duration_ms} ms`);
  const url = `${server.publicUrl}/2010-04-01/Accounts/${id}/Recordings/RE${rows[0].id}`;
  assert.equal(recorded.get('RecordingUrl'), url);
  assert.equal(recorded.get('RecordingSid'), `RE${rows[0].id}`);
  const played = records.find((r) => r.kind === 'response' && String(r.uri).endsWith('/demo/recorded'));
  assert.ok(String(played?.resp_body).includes(`<Play>${url}</Play>`));
  const play = records.find((r) => r.kind === 'execution' && r.verb === 'Play');
  assert.deepEqual(
    { url: (play?.detail as Record<string, unknown>)?.url, result: (play?.detail as Record<string, unknown>)?.result },
    { url, result: 'done' },
    'Pivot fetched its own recording URL and played it to the end',
  );
  assert.deepEqual(
    records.filter((r) => r.kind === 'error'),
    [],
    'no errors: the Play of the recording URL worked',
  );

  const texts = said.get(call!) ?? [];
  assert.ok(texts.includes('You said:'), JSON.stringify(texts));

  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  const wav = Buffer.from(await res.arrayBuffer());
  assert.equal(String(wav.length), res.headers.get('content-length'));
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.toString('ascii', 8, 12), 'WAVE');
  let sum = 0;
  const n = (wav.length - 44) >> 1;
  for (let i = 0; i < n; i++) sum += wav.readInt16LE(44 + i * 2) ** 2;
  assert.ok(Math.sqrt(sum / n) > 300, 'the tone was recorded');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
