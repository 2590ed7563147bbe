// Per-noun statusCallback on <Dial> legs: events filter (default completed), parameters and sequence numbers.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt } from '../../../src/call/scripted.js';
import { runTwiml } from '../../helpers/twiml.js';
import { requestOf } from './helpers.js';

const RFC2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

test('only completed is sent by default, with the call-progress parameters', async () => {
  const { call, host, outcome } = await runTwiml(
    '<Response><Dial action="/a"><Number statusCallback="/status">+14155550001</Number></Dial></Response>',
    { script: { events: [hangupAt(6000)] } },
    { documentUrl: 'http://app.test/voice' },
  );
  assert.equal(host.callbacks.length, 1);
  const cb = host.callbacks[0];
  assert.equal(cb.url, 'http://app.test/status');
  assert.equal(cb.method, 'POST');
  const p = cb.params;
  assert.equal(p.CallSid, requestOf(outcome).params?.DialCallSid);
  assert.equal(p.ParentCallSid, call.id);
  assert.equal(p.CallStatus, 'completed');
  assert.equal(p.Direction, 'outbound-dial');
  assert.equal(p.To, '+14155550001');
  assert.equal(p.From, call.callerId.number);
  assert.equal(p.CallDuration, '5');
  assert.equal(p.SequenceNumber, '0');
  assert.match(String(p.Timestamp), RFC2822);
  assert.equal(p.CallbackSource, 'call-progress-events');
  assert.equal(p.AccountSid, call.accountId);
  assert.equal(p.ApiVersion, '2010-04-01');
});

test('all four events, in order, with increasing sequence numbers and the right CallStatus', async () => {
  const { host } = await runTwiml(
    '<Response><Dial callerId="+15550001234"><Number statusCallback="http://cb.test/s" statusCallbackMethod="GET" ' +
      'statusCallbackEvent="initiated ringing answered completed">+14155550001</Number></Dial></Response>',
    { script: { events: [hangupAt(4000)] } },
  );
  assert.deepEqual(
    host.callbacks.map((c) => [c.params.CallStatus, c.params.SequenceNumber, c.method]),
    [
      ['initiated', '0', 'GET'],
      ['ringing', '1', 'GET'],
      ['in-progress', '2', 'GET'],
      ['completed', '3', 'GET'],
    ],
  );
  assert.ok(host.callbacks.every((c) => c.params.From === '+15550001234'));
  assert.equal(host.callbacks[3].params.CallDuration, '3');
  assert.equal(host.callbacks[0].params.CallDuration, undefined);
});

test('the filter is honoured and each noun has its own callback; the loser of a race is canceled', async () => {
  const { host } = await runTwiml(
    '<Response><Dial>' +
      '<Number statusCallback="/one" statusCallbackEvent="answered completed">+14155550001</Number>' +
      '<Number statusCallback="/two" statusCallbackEvent="ringing completed">+14155550002</Number>' +
      '<Number>+14155550003</Number>' +
      '</Dial></Response>',
    { script: { events: [hangupAt(5000)], endpoint: (_e, i) => ({ answerAfterMs: i === 0 ? 1000 : 3000 }) } },
  );
  const seen = host.callbacks.map(
    (c) => `${c.url.replace('http://app.test', '')} ${c.params.CallStatus} ${c.params.To}`,
  );
  assert.deepEqual(seen, [
    '/two ringing +14155550002',
    '/two canceled +14155550002',
    '/one in-progress +14155550001',
    '/one completed +14155550001',
  ]);
  const two = host.callbacks.filter((c) => c.url.endsWith('/two')).map((c) => c.params.SequenceNumber);
  assert.deepEqual(two, ['0', '1']);
});

test('busy and no-answer legs report their status and SIP code', async () => {
  const busy = await runTwiml('<Response><Dial><Number statusCallback="/s">+14155550001</Number></Dial></Response>', {
    script: { endpoint: () => ({ rejectCode: 486 }) },
  });
  assert.equal(busy.host.callbacks[0].params.CallStatus, 'busy');
  assert.equal(busy.host.callbacks[0].params.SipResponseCode, '486');
  assert.equal(busy.host.callbacks[0].params.CallDuration, '0');
  const none = await runTwiml(
    '<Response><Dial timeout="5"><Number statusCallback="/s">+14155550001</Number></Dial></Response>',
    {
      script: { endpoint: () => ({ noAnswer: true }) },
    },
  );
  assert.equal(none.host.callbacks[0].params.CallStatus, 'no-answer');
});

test('statusCallback on Sip and Client legs carries their To', async () => {
  const { host } = await runTwiml(
    '<Response><Dial><Client statusCallback="/s">alice</Client></Dial></Response>',
    { script: { events: [hangupAt(3000)] } },
    { clients: { alice: [{ type: 'device', deviceId: 'dev-alice' }] } },
  );
  assert.equal(host.callbacks[0].params.To, 'client:alice');
  const sip = await runTwiml(
    '<Response><Dial><Sip statusCallback="/s">sip:bob@example.com?X-A=1</Sip></Dial></Response>',
    {
      script: { events: [hangupAt(3000)] },
    },
  );
  assert.equal(sip.host.callbacks[0].params.To, 'sip:bob@example.com');
});
