import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;

test('Say defaults: answers, voice man, the call language, one loop, then the next verb', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Say>Hello world</Say><Pause/>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.entries('answer')[0].t, 0);
  const [said] = call.entries('say');
  assert.deepEqual(said, { t: 0, type: 'say', text: 'Hello world', voice: 'man', language: 'en-US' });
  // 11 characters × 50 ms
  assert.equal(call.entries('wait')[0].t, 550);
  assert.equal(host.traces[0].verb, 'Say');
  assert.equal(host.traces[0].detail.result, 'done');
});

test('Say: the call language is the default, else en-US', async () => {
  const { call } = await runTwiml(doc('<Say>Bonjour</Say>'), { language: 'fr-FR' });
  assert.equal(call.entries('say')[0].language, 'fr-FR');
  const other = await runTwiml(doc('<Say>Hi</Say>'), { language: '' });
  assert.equal(other.call.entries('say')[0].language, 'en-US');
});

test('Say voice, language (canonical case) and loop', async () => {
  const { call } = await runTwiml(
    doc('<Say voice="Polly.Joanna-Neural" language="en-gb" loop="3">Hi there</Say><Pause/>'),
  );
  const [said] = call.entries('say');
  assert.equal(said.voice, 'Polly.Joanna-Neural');
  assert.equal(said.language, 'en-GB');
  assert.equal(said.loop, 3);
  // 8 characters are 400 ms, raised to the 500 ms minimum, three times
  assert.equal(call.entries('wait')[0].t, 1500);
});

test('Say accepts Twilio and Kazoo voice names and any well-formed language tag', async () => {
  for (const voice of ['man', 'woman', 'alice', 'Google.en-GB-Standard-A', 'male', 'female']) {
    const { call } = await runTwiml(doc(`<Say voice="${voice}" language="es-419">Hola</Say>`));
    assert.equal(call.entries('say')[0].voice, voice);
    assert.equal(call.entries('say')[0].language, 'es-419');
  }
  const zh = await runTwiml(doc('<Say language="zh-hant-tw">Hi</Say>'));
  assert.equal(zh.call.entries('say')[0].language, 'zh-Hant-TW');
});

test('Say loop="0" repeats until hangup (capped at 1000 iterations)', async () => {
  const { call, outcome } = await runTwiml(doc('<Say loop="0">Please hold</Say><Say>never</Say>'), {
    script: { events: [hangupAt(60000)] },
  });
  assert.deepEqual(outcome, { kind: 'end' });
  assert.equal(call.entries('say').length, 1);
  assert.equal(call.entries('say')[0].loop, 1000);
  assert.equal(call.endedAt, 60000);
});

test('Say loop above 1000 is capped with a warning', () => {
  const { errors, warnings, program } = compileTwiml(doc('<Say loop="5000">Hi</Say>'));
  assert.deepEqual(errors, []);
  assert.equal(warnings[0].code, 13510);
  assert.equal((program[0].options as { loop: number }).loop, 1000);
});

test('Say: no terminators by default (Twilio); keys pressed meanwhile stay buffered', async () => {
  const { call } = await runTwiml(doc('<Say>Press nothing at all</Say>'), { script: { events: press('5', 300) } });
  assert.equal(call.entries('say_stopped').length, 0);
  assert.equal(call.dtmfBuffer, '5');
});

test('Say Kazoo extras: terminators stop it, engine passes through', async () => {
  const { call, host } = await runTwiml(
    doc('<Say terminators="#*" engine="flite" voice="female">A long sentence to interrupt</Say><Pause/>'),
    { script: { events: press('#', 300) } },
  );
  assert.deepEqual(call.entries('say_stopped')[0], { t: 300, type: 'say_stopped', reason: 'dtmf', digit: '#' });
  assert.equal(call.dtmfBuffer, '#');
  assert.equal(call.entries('wait')[0].t, 300);
  assert.equal(host.traces[0].detail.digit, '#');
  assert.equal(host.traces[0].detail.engine, 'flite');
  assert.equal(host.traces[0].detail.terminators, '#*');
});

test('Say with SSML children speaks their text; <sub alias> speaks the alias', async () => {
  const { call } = await runTwiml(
    doc(
      '<Say voice="Polly.Amy">Hi <break time="1s"/> there, <emphasis level="strong">welcome</emphasis> to <sub alias="World Wide Web">WWW</sub>.</Say>',
    ),
  );
  assert.equal(call.entries('say')[0].text, 'Hi there, welcome to World Wide Web.');
  const { warnings } = compileTwiml(doc('<Say>Hi <break/> <prosody rate="slow">there</prosody></Say>'));
  assert.deepEqual(warnings, []);
  const odd = compileTwiml(doc('<Say>Hi <blink>there</blink></Say>'));
  assert.equal(odd.errors.length, 0);
  assert.equal(odd.warnings[0].code, 12200);
  assert.equal(odd.warnings[0].element, 'blink');
});

test('Say text is trimmed; empty or too long text is 13520', () => {
  const ok = compileTwiml(doc('<Say>\n   Hello   \n</Say>'));
  assert.equal((ok.program[0].options as { text: string }).text, 'Hello');
  assert.equal(compileTwiml(doc('<Say>   </Say>')).errors[0].code, 13520);
  assert.equal(compileTwiml(doc('<Say/>')).errors[0].code, 13520);
  assert.equal(compileTwiml(doc(`<Say>${'a'.repeat(4096)}</Say>`)).errors.length, 0);
  const long = compileTwiml(doc(`<Say>${'a'.repeat(4097)}</Say>`));
  assert.equal(long.errors[0].code, 13520);
  assert.match(long.errors[0].message, /4096/);
});

test('Say hung up mid-sentence ends the document', async () => {
  const { call, outcome } = await runTwiml(doc('<Say>A rather long announcement text</Say><Say>next</Say>'), {
    script: { events: [hangupAt(400)] },
  });
  assert.deepEqual(outcome, { kind: 'end' });
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['A rather long announcement text'],
  );
});
