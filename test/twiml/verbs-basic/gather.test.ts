import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedCall, hangupAt, press, sayAt, type ScriptedCallInit } from '../../../src/call/scripted.js';
import type { CollectOptions } from '../../../src/call/types.js';
import { TwimlInterpreter } from '../../../src/twiml/interpreter.js';
import { FakeHost, compileTwiml, context, runTwiml, type FakeHostOptions } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

/** Like runTwiml, and also returns the options every `collect` got. */
async function runSpied(xml: string, init: ScriptedCallInit = {}, hostOpts: FakeHostOptions = {}) {
  const compiled = compileTwiml(xml);
  assert.deepEqual(compiled.errors, []);
  const call = new ScriptedCall(init);
  const collects: CollectOptions[] = [];
  const collect = call.collect.bind(call);
  call.collect = (opts) => {
    collects.push(opts);
    return collect(opts);
  };
  const host = new FakeHost(call, hostOpts);
  try {
    const outcome = await new TwimlInterpreter().run(compiled.program, context(host));
    return { call, host, outcome, collects };
  } finally {
    call.release();
  }
}

test('Gather defaults: answers, 5 s, finishOnKey # (not in Digits), POST to the document URL', async () => {
  const { call, outcome, collects } = await runSpied(doc('<Gather/>'), { script: { events: press('12#', 1000) } });
  assert.deepEqual(outcome, {
    kind: 'request',
    url: 'http://app.test/voice',
    method: 'POST',
    params: { Digits: '12', FinishedOnKey: '#' },
  });
  assert.equal(call.entries('answer')[0].t, 0);
  assert.deepEqual(call.entries('collect')[0], {
    t: 0,
    type: 'collect',
    maxDigits: Infinity,
    timeoutMs: 5000,
    terminators: '#',
  });
  assert.equal(collects[0].interdigitMs, 5000);
  assert.equal(collects[0].speech, undefined);
  assert.equal(call.entries('collect_done')[0].t, 1200);
});

test('Gather numDigits ends collection; FinishedOnKey is empty', async () => {
  const { call, outcome } = await runTwiml(doc('<Gather numDigits="3"/>'), { script: { events: press('1234', 500) } });
  assert.deepEqual(outcome, {
    kind: 'request',
    url: 'http://app.test/voice',
    method: 'POST',
    params: { Digits: '123', FinishedOnKey: '' },
  });
  assert.equal(call.entries('collect')[0].maxDigits, 3);
  assert.equal(call.entries('collect_done')[0].t, 700);
});

test('Gather finishOnKey="" disables the finish key: # is a digit and the timeout ends input', async () => {
  const { call, outcome } = await runTwiml(doc('<Gather finishOnKey="" timeout="3"/>'), {
    script: { events: press('1#', 1000) },
  });
  assert.equal(call.entries('collect')[0].terminators, undefined);
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '1#', FinishedOnKey: '' });
  assert.equal(call.entries('collect_done')[0].t, 1100 + 3000);
});

test('Gather finishOnKey="*" ends on star; pressing the key alone is no input (next verb)', async () => {
  const { outcome } = await runTwiml(doc('<Gather finishOnKey="*"/>'), { script: { events: press('42*', 1000) } });
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '42', FinishedOnKey: '*' });
  const alone = await runTwiml(doc('<Gather/><Say>Nothing?</Say>'), { script: { events: press('#', 1000) } });
  assert.equal(alone.outcome.kind, 'next');
  assert.equal(alone.call.entries('say')[0].text, 'Nothing?');
  const empty = await runTwiml(doc('<Gather actionOnEmptyResult="true"/>'), { script: { events: press('#', 1000) } });
  assert.deepEqual(empty.outcome.kind === 'request' && empty.outcome.params, { Digits: '', FinishedOnKey: '#' });
});

test('Gather with no input falls through to the next verb after the timeout', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Gather timeout="3"/><Say>We did not get that</Say>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.entries('collect')[0].timeoutMs, 3000);
  assert.equal(call.entries('say')[0].t, 3000);
  assert.deepEqual(host.traces[0], { verb: 'Gather', detail: { digits: '', reason: 'timeout' } });
});

test('Gather actionOnEmptyResult requests the action with empty Digits', async () => {
  const { outcome } = await runTwiml(doc('<Gather actionOnEmptyResult="true" timeout="2"/><Say>never</Say>'));
  assert.deepEqual(outcome, {
    kind: 'request',
    url: 'http://app.test/voice',
    method: 'POST',
    params: { Digits: '', FinishedOnKey: '' },
  });
});

test('Gather action: default is the document URL as is; relative resolves; method GET', async () => {
  const hostOpts = { documentUrl: 'http://app.test/ivr/menu.php?step=2' };
  const init = { script: { events: press('1#', 100) } };
  const same = await runTwiml(doc('<Gather/>'), init, hostOpts);
  assert.equal(same.outcome.kind === 'request' && same.outcome.url, 'http://app.test/ivr/menu.php?step=2');
  const rel = await runTwiml(doc('<Gather action="choice?x=1" method="get"/>'), init, hostOpts);
  assert.equal(rel.outcome.kind === 'request' && rel.outcome.url, 'http://app.test/ivr/choice?x=1');
  assert.equal(rel.outcome.kind === 'request' && rel.outcome.method, 'GET');
  const abs = await runTwiml(doc('<Gather action="https://other.test/a"/>'), init, hostOpts);
  assert.equal(abs.outcome.kind === 'request' && abs.outcome.url, 'https://other.test/a');
});

test('Gather barge-in: a key during the nested Say stops it, skips later prompts and is the first digit', async () => {
  const { call, outcome } = await runTwiml(
    doc(
      '<Gather numDigits="2"><Say>Press one for sales, two for support</Say><Play>http://m.test/menu.wav</Play></Gather>',
    ),
    { script: { events: [...press('1', 700), ...press('4', 2500)] } },
  );
  assert.deepEqual(call.entries('say_stopped')[0], { t: 700, type: 'say_stopped', reason: 'dtmf', digit: '1' });
  assert.equal(call.entries('play').length, 0);
  assert.equal(call.entries('collect')[0].t, 700);
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '14', FinishedOnKey: '' });
  assert.equal(call.entries('collect_done')[0].t, 2500);
});

test('Gather plays nested Say, Play and Pause in order, then starts the timeout clock', async () => {
  const { call, outcome } = await runTwiml(
    doc('<Gather timeout="2"><Say>Hello there</Say><Pause length="2"/><Play>http://m.test/a.wav</Play></Gather>'),
  );
  assert.deepEqual(
    call.timeline.filter((e) => ['say', 'wait', 'play', 'collect'].includes(e.type)).map((e) => [e.type, e.t]),
    [
      ['say', 0],
      ['wait', 550],
      ['play', 2550],
      ['collect', 4550],
    ],
  );
  assert.equal(call.entries('collect_done')[0].t, 6550);
  assert.deepEqual(outcome, { kind: 'next' });
});

test('Gather barge-in during a nested Pause cuts it short', async () => {
  const { call, outcome } = await runTwiml(doc('<Gather numDigits="1"><Pause length="10"/><Say>late</Say></Gather>'), {
    script: { events: press('7', 2000) },
  });
  assert.equal(call.entries('say').length, 0);
  assert.equal(call.entries('collect')[0].t, 2000);
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '7', FinishedOnKey: '' });
});

test('Gather bargeIn="false": prompts play to the end; keys pressed meanwhile count as typed ahead', async () => {
  const { call, outcome } = await runTwiml(
    doc('<Gather bargeIn="false" numDigits="1"><Say>Press one for sales</Say><Say>or hold</Say></Gather>'),
    { script: { events: press('1', 300) } },
  );
  assert.equal(call.entries('say_stopped').length, 0);
  assert.equal(call.entries('say').length, 2);
  assert.equal(call.entries('collect')[0].t, 950 + 500);
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '1', FinishedOnKey: '' });
});

test('Gather flushes keys pressed before it starts', async () => {
  const { call, outcome } = await runTwiml(doc('<Say>Welcome to the shop</Say><Gather numDigits="1"/>'), {
    script: { events: [...press('9', 200), ...press('3', 2000)] },
  });
  assert.deepEqual(call.entries('dtmf_flushed')[0], { t: 950, type: 'dtmf_flushed', digits: '9' });
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '3', FinishedOnKey: '' });
});

test('an empty <Gather/> collects keys (Kazoo crashed on the first key)', async () => {
  const { outcome } = await runTwiml(doc('<Gather></Gather><Say>never</Say>'), {
    script: { events: press('5#', 300) },
  });
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '5', FinishedOnKey: '#' });
});

test('Gather hung up (during prompts or input) ends the document', async () => {
  const during = await runTwiml(doc('<Gather><Say>A long prompt is playing here</Say></Gather><Say>never</Say>'), {
    script: { events: [hangupAt(400)] },
  });
  assert.deepEqual(during.outcome, { kind: 'end' });
  assert.equal(during.call.entries('collect').length, 0);
  const input = await runTwiml(doc('<Gather/><Say>never</Say>'), {
    script: { events: [...press('12', 100), hangupAt(1000)] },
  });
  assert.deepEqual(input.outcome, { kind: 'end' });
  assert.equal(input.call.entries('say').length, 0);
  assert.equal(input.host.traces[0].detail.reason, 'hangup');
});

test('Gather speech without an ASR provider: a clear warning, then the next verb', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Gather input="speech"/><Say>Sorry</Say>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(host.warnings.length, 1);
  assert.equal(host.warnings[0].code, 12400);
  assert.equal(host.warnings[0].element, 'Gather');
  assert.match(host.warnings[0].message, /speech recognition is not configured/);
  assert.match(host.warnings[0].message, /ASR provider/);
  assert.equal(call.entries('say')[0].text, 'Sorry');
});

test('Gather input="dtmf speech" without ASR falls back to DTMF', async () => {
  const { host, outcome, collects } = await runSpied(doc('<Gather input="dtmf speech" numDigits="1"/>'), {
    script: { events: press('4', 1500) },
  });
  assert.match(host.warnings[0].message, /keys only/);
  assert.equal(collects.length, 2);
  assert.ok(collects[0].speech);
  assert.equal(collects[1].speech, undefined);
  assert.deepEqual(outcome.kind === 'request' && outcome.params, { Digits: '4', FinishedOnKey: '' });
});

test('Gather speech with ASR: SpeechResult and Confidence; speech options passed to collect', async () => {
  const { call, outcome, collects } = await runSpied(
    doc(
      '<Gather input="speech" language="en-gb" hints="sales, support,billing" speechTimeout="auto" maxSpeechTime="30" speechModel="phone_call" action="/speech"/>',
    ),
    { script: { asr: true, events: [sayAt('sales', 1500)] } },
  );
  assert.deepEqual(outcome, {
    kind: 'request',
    url: 'http://app.test/speech',
    method: 'POST',
    params: { SpeechResult: 'sales', Confidence: '0.9' },
  });
  assert.equal(call.entries('collect')[0].speech, true);
  assert.equal(collects[0].dtmf, false);
  assert.deepEqual(collects[0].speech, {
    language: 'en-GB',
    hints: ['sales', 'support', 'billing'],
    speechTimeoutMs: 'auto',
    maxSpeechMs: 30000,
    model: 'phone_call',
  });
});

test('Gather speech defaults: language of the call, speechTimeout = timeout, 60 s max', async () => {
  const { collects } = await runSpied(doc('<Gather input="speech dtmf" timeout="4"/>'), {
    language: 'de-DE',
    script: { asr: true, events: [sayAt('ja', 1000, 0.5)] },
  });
  assert.deepEqual(collects[0].speech, {
    language: 'de-DE',
    hints: undefined,
    speechTimeoutMs: 4000,
    maxSpeechMs: 60000,
    model: undefined,
  });
  assert.equal(collects[0].dtmf, true);
});

test('Gather attribute values: accepted forms and errors', () => {
  const ok = compileTwiml(
    doc(
      '<Gather action="/a" method="GET" timeout="10" finishOnKey="*" numDigits="4" input="dtmf" language="fr-FR" hints="a" speechTimeout="3" maxSpeechTime="20" speechModel="default" enhanced="true" profanityFilter="false" actionOnEmptyResult="false" bargeIn="true" debug="false"/>',
    ),
  );
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.warnings, []);
  const code = (attrs: string): number | undefined => compileTwiml(doc(`<Gather ${attrs}/>`)).errors[0]?.code;
  assert.equal(code('finishOnKey="##"'), 13310);
  assert.equal(code('finishOnKey="x"'), 13310);
  assert.equal(code('method="PUT"'), 13312);
  assert.equal(code('timeout="0"'), 13313);
  assert.equal(code('timeout="soon"'), 13313);
  assert.equal(code('numDigits="0"'), 13314);
  assert.equal(code('language="english"'), 13512);
  assert.equal(code('input="voice"'), 12200);
  assert.equal(code('bargeIn="yes"'), 12200);
  assert.equal(code('speechTimeout="later"'), 12200);
  const partial = compileTwiml(doc('<Gather input="speech" partialResultCallback="/partial"/>'));
  assert.deepEqual(partial.errors, []);
  assert.equal(partial.warnings[0].code, 12200);
  assert.match(partial.warnings[0].message, /partialResultCallback/);
});

test('Gather nests only Say, Play and Pause (13320)', () => {
  const { errors } = compileTwiml(doc('<Gather>\n  <Say>ok</Say>\n  <Record/>\n  <Redirect>/x</Redirect>\n</Gather>'));
  assert.deepEqual(
    errors.map((e) => [e.code, e.element, e.line, e.column]),
    [
      [13320, 'Record', 3, 3],
      [13320, 'Redirect', 4, 3],
    ],
  );
});
