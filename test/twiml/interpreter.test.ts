import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt } from '../../src/call/scripted.js';
import type { TwimlError } from '../../src/twiml/types.js';
import { compileTwiml, runTwiml } from '../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

/** Code, element, line and column of each error. */
const where = (errors: TwimlError[]): [number, string | undefined, number | undefined, number | undefined][] =>
  errors.map((e) => [e.code, e.element, e.line, e.column]);

test('a valid document compiles to its verbs in order, with no errors or warnings', () => {
  const { program, errors, warnings } = compileTwiml(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Say>Hi</Say>\n  <Play>http://m.test/a.wav</Play>\n  <Pause/>\n  <Gather><Say>Press</Say></Gather>\n  <Record/>\n  <Set/>\n  <Redirect>/next</Redirect>\n</Response>',
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    program.map((s) => s.verb.name),
    ['Say', 'Play', 'Pause', 'Gather', 'Record', 'Set', 'Redirect'],
  );
});

test('the root must be <Response> (12102)', () => {
  const { errors, program } = compileTwiml('<?xml version="1.0"?>\n<Reply><Say>Hi</Say></Reply>');
  assert.deepEqual(where(errors), [[12102, 'Reply', 2, 1]]);
  assert.deepEqual(program, []);
});

test('an unknown verb is 12200 with its position', () => {
  const { errors } = compileTwiml('<Response>\n  <Say>Hi</Say>\n  <Speak>Hi</Speak>\n</Response>');
  assert.deepEqual(where(errors), [[12200, 'Speak', 3, 3]]);
  assert.match(errors[0].message, /not a TwiML verb/);
});

test('verb names are case-sensitive: <say> is an error that says so', () => {
  const { errors } = compileTwiml(doc('<say>Hi</say>'));
  assert.equal(errors[0].code, 12200);
  assert.equal(errors[0].element, 'say');
  assert.match(errors[0].message, /case-sensitive/);
});

test('Twilio verbs Pivot does not run are clear errors (<Pay>, <Connect>)', () => {
  const { errors } = compileTwiml(doc('\n<Pay chargeAmount="10"/>\n<Connect><Stream url="wss://x"/></Connect>'));
  assert.deepEqual(where(errors), [
    [12200, 'Pay', 2, 1],
    [12200, 'Connect', 3, 1],
  ]);
  assert.match(errors[0].message, /not supported/);
});

test('nesting: Dial or Gather inside Gather is 13320; Say inside Say is not a verb child', () => {
  const { errors } = compileTwiml(doc('\n<Gather>\n  <Dial>+15551234567</Dial>\n  <Gather/>\n  <Pause/>\n</Gather>'));
  assert.deepEqual(where(errors), [
    [13320, 'Dial', 3, 3],
    [13320, 'Gather', 4, 3],
  ]);
});

test('bad attribute values carry the verb error codes', () => {
  const cases: [string, number][] = [
    ['<Say loop="-1">x</Say>', 13510],
    ['<Say loop="many">x</Say>', 13510],
    ['<Say voice="">x</Say>', 13511],
    ['<Say></Say>', 13520],
    ['<Say language="en_US!">x</Say>', 12200],
    ['<Play loop="1.5">http://m.test/a.wav</Play>', 13410],
    ['<Play digits="12z"/>', 13430],
    ['<Pause length="0"/>', 13910],
    ['<Gather finishOnKey="12"/>', 13310],
    ['<Gather method="PUT"/>', 13312],
    ['<Gather timeout="-5"/>', 13313],
    ['<Gather numDigits="zero"/>', 13314],
    ['<Gather language="1234"/>', 13512],
    ['<Record method="HEAD"/>', 13610],
    ['<Record timeout="x"/>', 13611],
    ['<Record maxLength="99999"/>', 13612],
    ['<Record finishOnKey="abc"/>', 13613],
    ['<Record transcribe="sure"/>', 13614],
    ['<Record playBeep="nope"/>', 13616],
    ['<Record recordingStatusCallbackEvent="done"/>', 13621],
    ['<Redirect method="PUT">/x</Redirect>', 13710],
    ['<Redirect></Redirect>', 12200],
    ['<Reject reason="no"/>', 13810],
  ];
  for (const [xml, code] of cases) {
    const { errors } = compileTwiml(`<Response>\n  ${xml}\n</Response>`);
    assert.equal(errors.length, 1, `${xml}: ${JSON.stringify(errors)}`);
    assert.equal(errors[0].code, code, xml);
    assert.equal(errors[0].level, 'error');
    assert.deepEqual([errors[0].line, errors[0].column], [2, 3], xml);
  }
});

test('all errors of a document are reported at once', () => {
  const { errors } = compileTwiml(doc('<Say loop="x">a</Say><Play/><Pause length="0"/><Unknown/>'));
  assert.deepEqual(
    errors.map((e) => e.code),
    [13510, 12200, 13910, 12200],
  );
});

test('unknown attributes are warnings, and the verb still runs', async () => {
  const xml = '<Response>\n  <Say voice="alice" colour="blue">Hi</Say>\n  <Gather speed="fast"/>\n</Response>';
  const { errors, warnings } = compileTwiml(xml);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    warnings.map((w) => [w.code, w.element, w.line, w.column, w.level]),
    [
      [12200, 'Say', 2, 3, 'warning'],
      [12200, 'Gather', 3, 3, 'warning'],
    ],
  );
  assert.match(warnings[0].message, /colour/);
  const { call } = await runTwiml(xml);
  assert.equal(call.entries('say')[0].text, 'Hi');
});

test('verbs run in document order, each after the previous one finishes', async () => {
  const { call, host, outcome } = await runTwiml(
    doc(
      '<Pause length="1"/><Say>Hello</Say><Play>http://m.test/a.wav</Play><Set><Variable key="k" value="v"/></Set><Pause length="2"/>',
    ),
  );
  assert.deepEqual(outcome, { kind: 'next' });
  assert.deepEqual(
    host.traces.map((t) => t.verb),
    ['Pause', 'Say', 'Play', 'Set', 'Pause'],
  );
  assert.deepEqual(
    call.timeline.filter((e) => e.type !== 'answer').map((e) => [e.type, e.t]),
    [
      ['wait', 0],
      ['say', 1000],
      ['play', 1500],
      ['wait', 3500],
    ],
  );
});

test('the end of the document returns {kind: next} (the session then hangs up)', async () => {
  const { outcome, call } = await runTwiml(doc('<Say>Bye</Say>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.state, 'answered');
  const empty = await runTwiml('<Response/>');
  assert.deepEqual(empty.outcome, { kind: 'next' });
});

test('verbs after Redirect, Hangup and Reject never run', async () => {
  for (const [first, kind] of [
    ['<Redirect>/again</Redirect>', 'request'],
    ['<Hangup/>', 'end'],
    ['<Reject/>', 'end'],
  ] as const) {
    const { call, host, outcome } = await runTwiml(doc(`${first}<Say>unreachable</Say><Pause/>`));
    assert.equal(outcome.kind, kind, first);
    assert.equal(call.entries('say').length, 0, first);
    assert.equal(call.entries('wait').length, 0, first);
    assert.equal(host.traces.length, 1, first);
  }
});

test('a Gather with input and a Record end the document with their action', async () => {
  const { call, outcome } = await runTwiml(doc('<Record maxLength="1"/><Say>unreachable</Say>'));
  assert.equal(outcome.kind, 'request');
  assert.equal(call.entries('say').length, 0);
});

test('when the caller hangs up mid-document, the remaining verbs do not run', async () => {
  const { call, host, outcome } = await runTwiml(
    doc('<Say>First announcement</Say><Pause length="5"/><Say>Second</Say><Play>http://m.test/a.wav</Play>'),
    { script: { events: [hangupAt(2000)] } },
  );
  assert.deepEqual(outcome, { kind: 'end' });
  assert.equal(call.endedAt, 2000);
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['First announcement'],
  );
  assert.equal(call.entries('play').length, 0);
  assert.deepEqual(
    host.traces.map((t) => t.verb),
    ['Say', 'Pause'],
  );
});
