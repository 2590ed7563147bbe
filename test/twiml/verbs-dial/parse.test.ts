// <Dial> parsing: every attribute's default, the Kazoo extras, and each error code with its position.

import assert from 'node:assert/strict';
import test from 'node:test';
import type { NumberOptions } from '../../../src/twiml/nouns/number.js';
import type { DialVerbOptions } from '../../../src/twiml/verbs/dial.js';
import { errorOf, optionsOf, warningsOf } from './helpers.js';

const dialOf = (xml: string) => optionsOf<DialVerbOptions>(xml);

test('defaults of every Dial attribute', () => {
  const { options: o, warnings } = dialOf('<Response><Dial>+14155551234</Dial></Response>');
  assert.deepEqual(warnings, []);
  assert.equal(o.action, undefined);
  assert.equal(o.method, 'POST');
  assert.equal(o.timeoutS, 30);
  assert.equal(o.timeLimitS, 14400);
  assert.equal(o.callerId, undefined);
  assert.equal(o.answerOnBridge, false);
  assert.equal(o.hangupOnKey, undefined);
  assert.equal(o.record, 'do-not-record');
  assert.equal(o.recordingTrack, 'both');
  assert.equal(o.recordingStatusCallback, undefined);
  assert.equal(o.ringTone, undefined);
  assert.equal(o.strategy, 'simultaneous');
  assert.equal(o.collectDigits, false);
  assert.equal(o.continueOnFail, true);
  assert.equal(o.nouns.length, 1);
  assert.equal(o.nouns[0].noun.name, 'Number');
});

test('attributes are read', () => {
  const { options: o } = dialOf(
    '<Response><Dial action="/after" method="get" timeout="45" timeLimit="60" callerId="+15550001234" ' +
      'answerOnBridge="true" hangupOnStar="true" record="record-from-ringing-dual" recordingTrack="inbound" ' +
      'recordingStatusCallback="/rec" recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="completed absent" ' +
      'ringTone="uk" sequential="true">+14155551234</Dial></Response>',
  );
  assert.equal(o.action, '/after');
  assert.equal(o.method, 'GET');
  assert.equal(o.timeoutS, 45);
  assert.equal(o.timeLimitS, 60);
  assert.equal(o.callerId, '+15550001234');
  assert.equal(o.answerOnBridge, true);
  assert.equal(o.hangupOnKey, '*');
  assert.equal(o.record, 'record-from-ringing-dual');
  assert.equal(o.recordingTrack, 'inbound');
  assert.deepEqual(o.recordingStatusCallback, { url: '/rec', method: 'GET', events: ['completed', 'absent'] });
  assert.equal(o.ringTone, 'uk');
  assert.equal(o.strategy, 'single');
});

test('Kazoo extras: strategy, hangupOn, collect_dtmf, continueOnFail, record="true"', () => {
  const { options: o } = dialOf(
    '<Response><Dial strategy="single" hangupOn="#" collect_dtmf="true" continueOnFail="false" record="true">' +
      '<Number>+14155551234</Number><Number>+14155551235</Number></Dial></Response>',
  );
  assert.equal(o.strategy, 'single');
  assert.equal(o.hangupOnKey, '#');
  assert.equal(o.collectDigits, true);
  assert.equal(o.continueOnFail, false);
  assert.equal(o.record, 'record-from-answer');
  assert.equal(dialOf('<Response><Dial collectDtmf="true">+14155551234</Dial></Response>').options.collectDigits, true);
  assert.equal(
    dialOf('<Response><Dial strategy="simultaneous" sequential="true">1234</Dial></Response>').options.strategy,
    'simultaneous',
  );
});

test('a plain-text number is stripped and normalised to E.164', () => {
  const cases: [string, string][] = [
    ['+1 (415) 555-1234', '+14155551234'],
    ['(415) 555-1234', '+14155551234'],
    ['1-415-555-1234', '+14155551234'],
    ['+44 20 7946 0958', '+442079460958'],
    ['442079460958', '442079460958'],
    ['1001', '1001'],
    ['415.555.1234', '+14155551234'],
  ];
  for (const [text, expected] of cases) {
    const { options } = dialOf(`<Response><Dial>${text}</Dial></Response>`);
    assert.equal((options.nouns[0].options as NumberOptions).number, expected, text);
  }
  const { options } = dialOf('<Response><Dial><Number> 415 555 1234 </Number></Dial></Response>');
  assert.equal((options.nouns[0].options as NumberOptions).number, '+14155551234');
});

test('error codes of Dial attributes, with line and column', () => {
  const at = { line: 2, column: 3 };
  const doc = (attrs: string, body = '+14155551234') => `<Response>\n  <Dial ${attrs}>${body}</Dial>\n</Response>`;
  errorOf(doc('method="PUT"'), 13210, at);
  errorOf(doc('timeout="4"'), 13212, at);
  errorOf(doc('timeout="601"'), 13212, at);
  errorOf(doc('timeout="ten"'), 13212, at);
  errorOf(doc('timeLimit="0"'), 13216, at);
  errorOf(doc('timeLimit="1.5"'), 13216, at);
  errorOf(doc('callerId="not a number!"'), 13214, at);
  errorOf(doc('hangupOnStar="yes"'), 13213, at);
  errorOf(doc('hangupOn="*#"'), 13213, at);
  errorOf(doc('record="always"'), 13217, at);
  errorOf(doc('strategy="random"'), 12200, at);
  errorOf(doc('answerOnBridge="1"'), 12200, at);
  errorOf(doc('', ''), 13223, at);
  errorOf(doc('', '1-800-FLOWERS'), 13223, at);
  errorOf(doc('', '+1+2'), 13223, at);
});

test('error codes of nouns, at the noun', () => {
  const noun = (xml: string) => `<Response>\n  <Dial>\n    ${xml}\n  </Dial>\n</Response>`;
  const at = { line: 3, column: 5 };
  errorOf(noun('<Play>http://x/a.mp3</Play>'), 13215, at);
  errorOf(noun('<Number>call me</Number>'), 13223, at);
  errorOf(noun('<Number sendDigits="12x">+14155551234</Number>'), 13222, at);
  errorOf(noun('<Number method="PUT">+14155551234</Number>'), 13221, at);
  errorOf(noun('<Number statusCallback="/s" statusCallbackEvent="answered bogus">+14155551234</Number>'), 12200, at);
  errorOf(noun('<Sip>http://example.com/bob</Sip>'), 13243, at);
  errorOf(noun(`<Sip>sip:${'a'.repeat(260)}@example.com</Sip>`), 13243, at);
  errorOf(noun('<Sip>sip:bob@example.com?Foo=1</Sip>'), 13252, at);
  errorOf(noun(`<Sip>sip:bob@example.com?X-Big=${'v'.repeat(1030)}</Sip>`), 13253, at);
  errorOf(noun('<Sip username="bob">sip:bob@example.com</Sip>'), 13249, at);
  errorOf(noun('<Sip sendDigits="abc">sip:bob@example.com</Sip>'), 13242, at);
  errorOf(noun('<Client></Client>'), 12200, at);
  errorOf(noun('<Client>has space</Client>'), 12200, at);
  errorOf(noun('<Conference></Conference>'), 13237, at);
  errorOf(noun('<Conference muted="maybe">r</Conference>'), 13230, at);
  errorOf(noun('<Conference endConferenceOnExit="x">r</Conference>'), 13231, at);
  errorOf(noun('<Conference startConferenceOnEnter="x">r</Conference>'), 13232, at);
  errorOf(noun('<Conference waitMethod="PUT">r</Conference>'), 13234, at);
  errorOf(noun('<Conference beep="loud">r</Conference>'), 13235, at);
  errorOf(noun('<Conference maxParticipants="1">r</Conference>'), 12200, at);
  errorOf(noun('<Conference maxParticipants="251">r</Conference>'), 12200, at);
  errorOf(noun('<Conference statusCallbackEvent="start boom">r</Conference>'), 12200, at);
  errorOf(noun('<Queue></Queue>'), 14220, at);
  errorOf(noun(`<Queue>${'q'.repeat(65)}</Queue>`), 14220, at);
});

test('noun mixing rules and the 10-noun limit', () => {
  const sipAndNumber = '<Response><Dial><Number>+14155551234</Number>\n<Sip>sip:a@b.c</Sip></Dial></Response>';
  errorOf(sipAndNumber, 13215, { line: 2, column: 1 });
  errorOf('<Response><Dial><Number>+14155551234</Number><Conference>r</Conference></Dial></Response>', 13215);
  errorOf('<Response><Dial><Queue>q</Queue><Queue>r</Queue></Dial></Response>', 13215);
  const eleven = Array.from({ length: 11 }, (_, i) => `<Number>+1415555${String(1000 + i)}</Number>`).join('');
  errorOf(`<Response><Dial>${eleven}</Dial></Response>`, 13215);
  const ten = eleven.replace(/<Number>[^<]*<\/Number>$/, '');
  assert.equal(dialOf(`<Response><Dial>${ten}</Dial></Response>`).options.nouns.length, 10);
  const sips = '<Response><Dial><Sip>sip:a@b.c</Sip><Sip>sips:d@e.f</Sip></Dial></Response>';
  assert.equal(dialOf(sips).options.nouns.length, 2);
});

test('unsupported but valid attributes are warnings, not errors', () => {
  const codes = (xml: string) => warningsOf(xml).map((w) => `${w.element}:${w.code}`);
  assert.deepEqual(codes('<Response><Dial referUrl="/refer" referMethod="GET">+14155551234</Dial></Response>'), [
    'Dial:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial><Number url="/whisper">+14155551234</Number></Dial></Response>'), [
    'Number:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial><Number byoc="BY123">+14155551234</Number></Dial></Response>'), [
    'Number:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial><Number machineDetection="Enable">+14155551234</Number></Dial></Response>'), [
    'Number:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial><Queue url="/about-to-connect">q</Queue></Dial></Response>'), [
    'Queue:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial ringTone="xx">+14155551234</Dial></Response>'), ['Dial:12200']);
  // waitUrl: audio plays; a TwiML document is out of scope (warned); empty means silence.
  assert.deepEqual(
    codes('<Response><Dial><Conference waitUrl="http://m.test/hold.mp3?x=1">r</Conference></Dial></Response>'),
    [],
  );
  assert.deepEqual(codes('<Response><Dial><Conference waitUrl="">r</Conference></Dial></Response>'), []);
  assert.deepEqual(
    codes(
      '<Response><Dial><Conference waitUrl="http://twimlets.com/holdmusic?Bucket=x">r</Conference></Dial></Response>',
    ),
    ['Conference:13233'],
  );
  assert.deepEqual(
    codes(
      '<Response><Dial><Conference coach="CA1" region="ie1" jitterBufferSize="small" participantLabel="a">r</Conference></Dial></Response>',
    ),
    ['Conference:12200'],
  );
  assert.deepEqual(codes('<Response><Dial><Client>bob<Parameter name="a" value="b"/></Client></Dial></Response>'), [
    'Client:12200',
  ]);
  assert.deepEqual(codes('<Response><Dial bogus="1">+14155551234</Dial></Response>'), ['Dial:12200']);
});
