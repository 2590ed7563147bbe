import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('Play an absolute URL: answers, plays once, then the next verb', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Play>https://media.test/welcome.mp3</Play><Pause/>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.entries('answer')[0].t, 0);
  assert.deepEqual(call.entries('play')[0], {
    t: 0,
    type: 'play',
    source: { kind: 'url', url: 'https://media.test/welcome.mp3' },
  });
  assert.equal(call.entries('wait')[0].t, 2000);
  assert.equal(host.traces[0].detail.url, 'https://media.test/welcome.mp3');
});

test('Play resolves a relative URL against the document URL', async () => {
  const { call } = await runTwiml(
    doc('<Play>sounds/hold.wav</Play><Play>/root.wav</Play>'),
    {},
    { documentUrl: 'http://app.test/ivr/voice.php?step=1' },
  );
  assert.deepEqual(
    call.entries('play').map((e) => (e.source as { url: string }).url),
    ['http://app.test/ivr/sounds/hold.wav', 'http://app.test/root.wav'],
  );
});

test('Play loop: n times, 0 = until hangup (1000 iterations)', async () => {
  const { call } = await runTwiml(doc('<Play loop="3">http://m.test/a.wav</Play><Pause/>'));
  assert.equal(call.entries('play')[0].loop, 3);
  assert.equal(call.entries('wait')[0].t, 6000);
  const forever = await runTwiml(doc('<Play loop="0">http://m.test/a.wav</Play><Say>never</Say>'), {
    script: { events: [hangupAt(30000)] },
  });
  assert.equal(forever.call.entries('play')[0].loop, 1000);
  assert.deepEqual(forever.outcome, { kind: 'end' });
  assert.equal(forever.call.entries('say').length, 0);
});

test('Play digits sends DTMF after answering (w = 0.5 s, W = 1 s)', async () => {
  const { call, host } = await runTwiml(doc('<Play digits="1w2W#"/><Pause/>'));
  const [answer] = call.entries('answer');
  const [played] = call.entries('play');
  assert.equal(answer.t, 0);
  assert.ok(call.timeline.indexOf(answer) < call.timeline.indexOf(played));
  assert.deepEqual(played.source, { kind: 'digits', digits: '1w2W#' });
  // 3 tones × 200 ms + 500 + 1000
  assert.equal(call.entries('wait')[0].t, 2100);
  assert.equal(host.traces[0].detail.digits, '1w2W#');
});

test('Play digits: invalid characters are 13430; digits win over a URL (warning)', () => {
  assert.equal(compileTwiml(doc('<Play digits="12x"/>')).errors[0].code, 13430);
  assert.equal(compileTwiml(doc('<Play digits=""/>')).errors[0].code, 13430);
  const both = compileTwiml(doc('<Play digits="9">http://m.test/a.wav</Play>'));
  assert.deepEqual(both.errors, []);
  assert.equal(both.warnings[0].code, 12200);
  assert.deepEqual((both.program[0].options as { media?: string }).media, undefined);
});

test('Play needs a URL or digits', () => {
  const { errors } = compileTwiml(doc('<Play/>'));
  assert.equal(errors[0].code, 12200);
  assert.match(errors[0].message, /URL|digits/);
});

test('Play: a URL the policy denies is a warning (11200); the verb is skipped', async () => {
  const { call, host, outcome } = await runTwiml(
    doc('<Play>http://10.0.0.5/secret.wav</Play><Say>still here</Say>'),
    {},
    { deny: ['http://10.'] },
  );
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.entries('play').length, 0);
  assert.equal(call.entries('say')[0].t, 0);
  assert.equal(host.warnings.length, 1);
  assert.equal(host.warnings[0].code, 11200);
  assert.equal(host.warnings[0].level, 'warning');
  assert.equal(host.warnings[0].element, 'Play');
  assert.equal(host.warnings[0].line, 1);
  assert.match(host.warnings[0].message, /10\.0\.0\.5/);
});

test('Play: media that fails to play is a warning (13420) and the document goes on', async () => {
  const { call, host } = await runTwiml(doc('<Play>http://m.test/missing.wav</Play><Say>after</Say>'), {
    script: { mediaError: () => 'HTTP 404' },
  });
  assert.equal(host.warnings[0].code, 13420);
  assert.match(host.warnings[0].message, /HTTP 404/);
  assert.equal(call.entries('say')[0].text, 'after');
});

test('Play Kazoo terminators stop playback; the key stays buffered', async () => {
  const { call } = await runTwiml(doc('<Play terminators="5">http://m.test/a.wav</Play><Pause/>'), {
    script: { events: [...press('3', 500), ...press('5', 900)] },
  });
  assert.deepEqual(call.entries('play_stopped')[0], { t: 900, type: 'play_stopped', reason: 'dtmf', digit: '5' });
  assert.equal(call.dtmfBuffer, '35');
  assert.equal(call.entries('wait')[0].t, 900);
});

test('Play Kazoo media references: tts:// speaks, a media id plays stored media', async () => {
  const { call } = await runTwiml(doc('<Play>tts://Welcome home</Play><Play>0123456789abcdef0123456789abcdef</Play>'));
  assert.equal(call.entries('say')[0].text, 'Welcome home');
  assert.deepEqual(call.entries('play')[0].source, { kind: 'media', id: '0123456789abcdef0123456789abcdef' });
});

test('Play loop errors are 13410', () => {
  assert.equal(compileTwiml(doc('<Play loop="-1">http://m.test/a.wav</Play>')).errors[0].code, 13410);
  assert.equal(compileTwiml(doc('<Play loop="two">http://m.test/a.wav</Play>')).errors[0].code, 13410);
});
