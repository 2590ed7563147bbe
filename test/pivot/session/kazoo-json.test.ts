// Spec kazoo_pivot.md §4.2, §4.4 and §6: the parser is chosen by Content-Type; a Kazoo JSON answer replaces the
// callflow; Kazoo and TwiML chain into each other; and the Kazoo documentation examples run.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt, press } from '../../../src/call/scripted.js';
import {
  kazoo,
  pivotHarness,
  pivotNode,
  ttsNode,
  twiml,
  webApp,
  type PivotHarness,
  type WebApp,
} from '../../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;
const MEDIA_ID = '0123456789abcdef0123456789abcdef';
const devices: string[] = [];

before(async () => {
  h = await pivotHarness();
  for (const name of ['desk', 'phone']) {
    const d = await h.store.devices.create(h.accountId, { name, sip: { username: `${name}-1`, password: 'secret' } });
    devices.push(d.id);
  }
  app = await webApp({
    // Content-Type rules (§4.2)
    '/type/json': () => kazoo(ttsNode('from json')),
    '/type/xml': () => twiml('<Say>from xml</Say>'),
    '/type/none': () => twiml('<Say>no content type</Say>', null),
    '/type/plain-json': () => kazoo(ttsNode('json as text/plain'), 'text/plain'),
    '/type/html-twiml': () => twiml('<Say>twiml as text/html</Say>', 'text/html; charset=utf-8'),
    '/replace': () => kazoo(ttsNode('replacement')),
    // Kazoo → TwiML → Kazoo → TwiML
    '/menu': (p) =>
      twiml(`<Gather numDigits="1" action="/choice"><Say>You typed ${p['Digits[default]']}</Say></Gather>`),
    '/choice': (p) =>
      kazoo(
        ttsNode(
          `You chose ${p['Digits']}`,
          pivotNode({ voice_url: app.url('/final'), req_format: 'twiml', debug: true }),
        ),
      ),
    '/final': () => twiml('<Say>Goodbye</Say>'),
    // Kazoo documentation examples (§4.4)
    '/doc/tts': () =>
      kazoo({ module: 'tts', data: { text: 'Hello Caller' }, children: { _: { module: 'response', data: {} } } }),
    '/doc/collect': () =>
      kazoo(
        ttsNode('Please enter up to four digits.', {
          module: 'collect_dtmf',
          data: { max_digits: 4 },
          children: { _: pivotNode({ voice_url: app.url('/doc/collected') }) },
        }),
      ),
    '/doc/collected': (p) => kazoo(ttsNode(`You entered ${p['Digits[default]']}`)),
    '/doc/play-id': () => kazoo({ module: 'play', data: { id: MEDIA_ID } }),
    '/doc/play-url': () => kazoo({ module: 'play', data: { id: app.url('/media/welcome.mp3') } }),
    '/doc/ring-group': () =>
      kazoo({
        module: 'ring_group',
        data: { endpoints: devices.map((id) => ({ id, endpoint_type: 'device' })), timeout: 20 },
      }),
    '/doc/conference': () => kazoo({ module: 'conference', data: { config: { name: 'pivot-room' } } }),
    '/doc/record': () =>
      kazoo({
        module: 'record_call',
        data: { action: 'start', format: 'mp3', url: app.url('/uploads/') },
        children: { _: ttsNode('This call is recorded', { module: 'record_call', data: { action: 'stop' } }) },
      }),
    '*': (_p, req) => (req.method === 'PUT' ? { status: 201 } : { status: 404, contentType: 'text/plain', body: 'no' }),
    '/doc/response': () => kazoo({ module: 'response', data: { code: 486, message: 'Busy Here' } }),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

async function says(path: string): Promise<string[]> {
  const call = await h.run(pivotNode({ voice_url: app.url(path) }));
  return call.entries('say').map((e) => String(e.text));
}

test('Content-Type application/json → Kazoo JSON', async () => {
  assert.deepEqual(await says('/type/json'), ['from json']);
});

test('Content-Type text/xml → TwiML', async () => {
  assert.deepEqual(await says('/type/xml'), ['from xml']);
});

test('no Content-Type → XML', async () => {
  assert.deepEqual(await says('/type/none'), ['no content type']);
});

test('text/plain containing JSON → Kazoo JSON', async () => {
  assert.deepEqual(await says('/type/plain-json'), ['json as text/plain']);
});

test('text/html containing TwiML → TwiML', async () => {
  assert.deepEqual(await says('/type/html-twiml'), ['twiml as text/html']);
});

test("a Kazoo JSON answer replaces the flow: the pivot node's own children are discarded", async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/replace') }, ttsNode('discarded child')));
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['replacement'],
  );
  assert.equal(call.state, 'ended');
});

test('chaining Kazoo → TwiML → Kazoo → TwiML; a new pivot node starts a new session (iteration 1)', async () => {
  const flow = {
    module: 'collect_dtmf',
    data: { max_digits: 2 },
    children: { _: pivotNode({ voice_url: app.url('/menu'), debug: true }) },
  };
  const call = await h.run(flow, { script: { events: [...press('12', 500), ...press('3', 4000)] } });
  const menu = app.to('/menu').at(-1)!;
  assert.equal(menu.query['Digits[default]'], '12', 'collect_dtmf digits reach the Kazoo-format request');
  assert.equal(app.to('/choice').at(-1)!.params['Digits'], '3', 'the TwiML Gather action');
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['You typed 12', 'You chose 3', 'Goodbye'],
  );
  const requests = await h.debugOf(call.id, 'request');
  assert.deepEqual(
    requests.map((r) => [new URL(r.uri!).pathname, r.iteration]),
    [
      ['/menu', 1],
      ['/choice', 2],
      ['/final', 1],
    ],
  );
  assert.equal(call.state, 'ended');
});

test('doc example: tts, then response (say something and hang up)', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/tts') }));
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['Hello Caller'],
  );
  const [hangup] = call.entries('hangup');
  assert.ok(hangup, 'the response module ended the call');
  assert.equal(hangup.cause, 'USER_BUSY', 'response data {} means code 486');
});

test('doc example: collect_dtmf, then pivot with Digits[default]', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/collect') }), {
    script: { events: press('1234', 3000) },
  });
  assert.equal(app.to('/doc/collected').at(-1)!.query['Digits[default]'], '1234');
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['Please enter up to four digits.', 'You entered 1234'],
  );
});

test('doc example: play a media id and a URL', async () => {
  const byId = await h.run(pivotNode({ voice_url: app.url('/doc/play-id') }));
  assert.deepEqual(byId.entries('play')[0].source, { kind: 'media', id: MEDIA_ID });
  const byUrl = await h.run(pivotNode({ voice_url: app.url('/doc/play-url') }));
  assert.deepEqual(byUrl.entries('play')[0].source, { kind: 'url', url: app.url('/media/welcome.mp3') });
});

test('doc example: ring_group rings its devices', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/ring-group') }), {
    script: { events: [hangupAt(5000)] },
  });
  const [dial] = call.entries('dial');
  assert.ok(dial, 'the ring group dialled');
  const endpoints = dial.endpoints as { type: string; deviceId?: string }[];
  assert.deepEqual(
    endpoints.map((e) => e.deviceId),
    devices,
  );
  assert.equal(call.entries('bridged').length, 1);
});

test('doc example: conference with an ad-hoc config.name', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/conference') }), {
    script: { events: [hangupAt(10_000)] },
  });
  const [join] = call.entries('conference_join');
  assert.ok(join, 'the caller joined a conference');
  assert.equal(join.room, `${h.accountId}:pivot-room`);
});

test('doc example: record_call start/stop with url → PUT <url>/call_recording_<CALLID>.mp3', async () => {
  app.requests.length = 0;
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/record') }));
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['This call is recorded'],
  );
  const uploads = app.requests.filter((r) => r.method === 'PUT');
  assert.equal(uploads.length, 1, 'one upload');
  assert.equal(uploads[0].path, `/uploads/call_recording_${call.id}.mp3`);
  assert.equal(uploads[0].headers['content-type'], 'audio/mpeg');
  assert.ok(Number(uploads[0].headers['content-length']) > 44, 'audio bytes were sent');
  const rows = (await h.store.recordings.list(h.accountId)).items.filter((r) => r.call_id === call.id);
  assert.equal(rows.length, 1);
});

test('doc example: response with code and message refuses the unanswered call', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/doc/response') }));
  const [reject] = call.entries('reject');
  assert.ok(reject, 'the call was refused');
  assert.equal(reject.sipCode, 486);
  assert.equal(reject.reason, 'Busy Here');
  assert.equal(call.entries('answer').length, 0);
});
