// A conference end to end over real SIP and RTP on loopback: three baresip phones, each saying its own sine
// (440, 1000 and 1800 Hz), call a number whose pivot node's TwiML app answers `<Dial><Conference>`. Each phone
// hears the other two and not itself; when one hangs up the other two stay connected and keep hearing each other;
// the conference's statusCallback reports the joins and the leave, and each Dial action gets the conference's sid.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BaresipEvent } from '../helpers/baresip.js';
import { blockToneShare, e2eServer, phone, sleep, tempFile, type E2eServer, type Phone } from '../helpers/e2e.js';
import { heardBy, read8k } from '../helpers/media.js';
import {
  eventually,
  twiml,
  twilioValid,
  webApp,
  type AppRequest,
  type AppResponse,
  type WebApp,
} from '../helpers/pivot.js';

// Ports of this file: Pivot's RTP 37200-37399, baresip's RTP 37400-37999.
const PHONE_RTP = { min: 37400, max: 37999 };

let rig: E2eServer;
let app: WebApp;

function signed(answer: (params: Record<string, any>) => AppResponse) {
  return (params: Record<string, any>, req: AppRequest): AppResponse =>
    twilioValid(rig.signingKey, req) ? answer(params) : { status: 403, body: 'bad signature' };
}

before(async () => {
  rig = await e2eServer({ min: 37200, max: 37399 });
  app = await webApp({
    '/conf/voice': signed(() =>
      twiml(
        '<Dial action="/conf/after">' +
          '<Conference statusCallback="/conf/events" statusCallbackEvent="start end join leave">standup</Conference>' +
          '</Dial>',
      ),
    ),
    '/conf/events': signed(() => ({ status: 204 })),
    '/conf/recorded/voice': signed(() =>
      twiml(
        '<Dial><Conference record="record-from-start" recordingStatusCallback="/conf/recording">taped</Conference></Dial>',
      ),
    ),
    '/conf/recording': signed(() => ({ status: 204 })),
    '/conf/after': signed(() => twiml('<Hangup/>')),
  });
  await rig.number('+14155550402', {
    module: 'pivot',
    data: { voice_url: app.url('/conf/recorded/voice'), method: 'post', req_format: 'twiml' },
  });
  await rig.number('+14155550401', {
    module: 'pivot',
    data: { voice_url: app.url('/conf/voice'), method: 'post', req_format: 'twiml', debug: true },
  });
});

after(async () => {
  await app.close();
  await rig.stop();
});

const TONES = [440, 1000, 1800];

/** The share of each tone in a span of what a phone heard, `fromEnd`..`toEnd` seconds before the dump's end. */
async function shares(p: Phone, fromEnd: number, toEnd: number): Promise<number[]> {
  const heard = await read8k(await heardBy(p.dump));
  const span: [number, number] = [heard.length - fromEnd * 8000, heard.length - toEnd * 8000];
  assert.ok(span[0] > 0, `the dump (${heard.length / 8000} s) covers ${fromEnd} s before its end`);
  return TONES.map((hz) => blockToneShare(heard, hz, ...span));
}

const closed = (p: Phone): BaresipEvent | undefined => p.phone.events.find((e) => e.type === 'CALL_CLOSED');
const events = (name: string): AppRequest[] =>
  app.to('/conf/events').filter((r) => r.params.StatusCallbackEvent === name);

test('three callers in <Dial><Conference>: each hears the other two; one leaves and the other two stay', async () => {
  const phones = await Promise.all(TONES.map((hz) => phone({ name: `p${hz}`, rtpPorts: PHONE_RTP, sineHz: hz })));
  const [a, b, c] = phones;
  let leftAt = 0;
  let endAt = 0;
  try {
    for (const p of phones) p.phone.command('dial', `sip:4155550401@${rig.target}`);
    await Promise.all(phones.map((p) => p.phone.waitFor('CALL_ESTABLISHED', 10_000)));
    await eventually(() => events('participant-join').length === 3, 'three participant-join callbacks', 10_000);
    // Past the entry beeps (440 Hz, 0.5 s), then 2 s of all three together.
    await sleep(4000);

    c.phone.command('hangup');
    await c.phone.waitFor('CALL_CLOSED', 5000);
    leftAt = Date.now();
    await eventually(() => events('participant-leave').length === 1, 'a participant-leave callback', 5000);
    await sleep(3500);
    assert.equal(closed(a), undefined, 'the first caller is still connected');
    assert.equal(closed(b), undefined, 'the second caller is still connected');
    assert.equal(rig.server.calls.activeCalls, 2, 'two calls are still running on Pivot');

    endAt = Date.now();
    a.phone.command('hangup');
    b.phone.command('hangup');
    await Promise.all([a, b].map((p) => p.phone.waitFor('CALL_CLOSED', 5000)));
  } finally {
    await Promise.all(phones.map((p) => p.phone.stop()));
  }

  // All three in: C's last seconds, and A's and B's before C left.
  const since = (endAt - leftAt) / 1000;
  const together: [Phone, number, number][] = [
    [a, since + 2.5, since + 0.5],
    [b, since + 2.5, since + 0.5],
    [c, 2.5, 0.5],
  ];
  for (const [i, [p, from, to]] of together.entries()) {
    const s = await shares(p, from, to);
    for (const [j, share] of s.entries()) {
      if (i === j) assert.ok(share < 0.05, `phone ${TONES[i]} does not hear itself (${s})`);
      else assert.ok(share > 0.15, `phone ${TONES[i]} hears ${TONES[j]} Hz (${s})`);
    }
  }
  // After C left: A and B hear each other and no longer C.
  for (const [i, p] of [a, b].entries()) {
    const s = await shares(p, 2.5, 0.5);
    assert.ok(s[1 - i] > 0.3, `phone ${TONES[i]} still hears ${TONES[1 - i]} Hz (${s})`);
    assert.ok(s[2] < 0.05, `phone ${TONES[i]} no longer hears the caller who left (${s})`);
  }

  // Callbacks and Dial actions: one conference, three joins, three leaves (C first).
  const sids = new Set(app.to('/conf/voice').map((r) => String(r.params.CallSid)));
  assert.equal(sids.size, 3);
  const joins = events('participant-join');
  assert.deepEqual(new Set(joins.map((r) => String(r.params.CallSid))), sids);
  await eventually(() => events('participant-leave').length === 3, 'three participant-leave callbacks', 5000);
  const conferenceSid = String(joins[0].params.ConferenceSid);
  assert.match(conferenceSid, /^CF[0-9a-f]{32}$/);
  for (const r of app.to('/conf/events')) {
    assert.equal(r.params.ConferenceSid, conferenceSid, 'one conference');
    assert.equal(r.params.FriendlyName, 'standup');
  }
  const after = await app.waitFor('/conf/after', 3, 5000);
  for (const r of after) {
    assert.equal(r.params.DialCallStatus, 'answered');
    assert.equal(r.params.ConferenceSid, conferenceSid);
    assert.equal(r.params.CallStatus, 'completed', 'the action is sent after the caller hung up');
  }
  const from = new Map(app.to('/conf/voice').map((r) => [String(r.params.CallSid), String(r.params.From)]));
  const [firstLeave] = events('participant-leave');
  assert.equal(from.get(String(firstLeave.params.CallSid)), 'p1800', 'the first to leave was the caller who hung up');
  const duration = (who: string): number =>
    Number(after.find((r) => from.get(String(r.params.CallSid)) === who)?.params.DialCallDuration);
  for (const who of ['p440', 'p1000']) {
    const longer = duration(who) - duration('p1800');
    assert.ok(longer >= 2 && longer <= 5, `${who} stayed ~3.5 s longer than p1800 (${longer} s)`);
  }
  assert.ok(duration('p1800') >= 3, `p1800 was in for ${duration('p1800')} s`);
});

test('the conference statusCallback gets conference-start and conference-end on real calls', async () => {
  const before = app.to('/conf/events').length;
  const p = await phone({ name: 'alone', rtpPorts: PHONE_RTP });
  try {
    p.phone.command('dial', `sip:4155550401@${rig.target}`);
    await p.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(1000);
    p.phone.command('hangup');
    await p.phone.waitFor('CALL_CLOSED', 5000);
  } finally {
    await p.phone.stop();
  }
  await eventually(() => app.to('/conf/events').length >= before + 4, 'four status callbacks', 5000);
  const names = app
    .to('/conf/events')
    .slice(before)
    .map((r) => String(r.params.StatusCallbackEvent));
  assert.deepEqual(
    new Set(names),
    new Set(['participant-join', 'conference-start', 'participant-leave', 'conference-end']),
  );
});

test('record="record-from-start" records the room: both callers are in the recording', async () => {
  const phones = await Promise.all([440, 1000].map((hz) => phone({ name: `r${hz}`, rtpPorts: PHONE_RTP, sineHz: hz })));
  try {
    for (const p of phones) {
      p.phone.command('dial', `sip:4155550402@${rig.target}`);
      await p.phone.waitFor('CALL_ESTABLISHED', 10_000);
    }
    await sleep(3000);
    for (const p of phones) p.phone.command('hangup');
    await Promise.all(phones.map((p) => p.phone.waitFor('CALL_CLOSED', 5000)));
  } finally {
    await Promise.all(phones.map((p) => p.phone.stop()));
  }
  await eventually(() => app.to('/conf/recording').length >= 1, 'the recording status callback', 10_000);
  const callbacks = app.to('/conf/recording');
  assert.equal(callbacks.length, 1, 'one recording for the room');
  const { RecordingUrl, RecordingStatus } = callbacks[0].params;
  assert.equal(RecordingStatus, 'completed');
  const res = await fetch(String(RecordingUrl));
  assert.equal(res.status, 200);
  const file = tempFile(Buffer.from(await res.arrayBuffer()), 'room.wav');
  const audio = await read8k(file);
  for (const hz of [440, 1000]) {
    const share = blockToneShare(audio, hz, 0, audio.length);
    assert.ok(share > 0.1, `${hz} Hz is in the room recording (${share})`);
  }
});
