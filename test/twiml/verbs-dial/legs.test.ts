// <Dial> to numbers on a scripted call: strategies, outcomes, action parameters, what runs next, hangupOnStar,
// timeLimit, answerOnBridge, callerId and Kazoo's collect_dtmf / continueOnFail.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt, press, type ScriptedCall } from '../../../src/call/scripted.js';
import type { Endpoint } from '../../../src/call/types.js';
import { runTwiml } from '../../helpers/twiml.js';
import { requestOf } from './helpers.js';

const numbers = (call: ScriptedCall) =>
  (call.entries('dial')[0].endpoints as Endpoint[]).map((e) => (e.type === 'number' ? e.number : e.type));

test('nouns ring simultaneously by default, endpoints in document order', async () => {
  const { call } = await runTwiml(
    '<Response><Dial><Number>+14155550001</Number><Number>+14155550002</Number></Dial></Response>',
    { script: { events: [hangupAt(5000)] } },
  );
  const dial = call.entries('dial')[0];
  assert.equal(dial.strategy, 'simultaneous');
  assert.equal(dial.timeoutMs, 30000);
  assert.deepEqual(numbers(call), ['+14155550001', '+14155550002']);
});

test('sequential="true" and Kazoo strategy="single" ring one after the other', async () => {
  for (const attr of ['sequential="true"', 'strategy="single"']) {
    const { call, outcome } = await runTwiml(
      `<Response><Dial ${attr} timeout="5" action="/done"><Number>+14155550001</Number><Number>+14155550002</Number></Dial></Response>`,
      {
        script: {
          events: [hangupAt(20000)],
          // The first never answers; the second answers 1 s after it starts ringing (after the first's 5 s).
          endpoint: (_e, i) => (i === 0 ? { noAnswer: true } : { answerAfterMs: 1000, hangupAfterMs: 2000 }),
        },
      },
    );
    assert.equal(call.entries('dial')[0].strategy, 'single', attr);
    assert.deepEqual(numbers(call), ['+14155550001', '+14155550002']);
    assert.equal(call.entries('bridged')[0].t, 6000, attr);
    assert.equal(requestOf(outcome).params?.DialCallStatus, 'completed');
  }
});

test('busy, no-answer, failed and canceled become DialCallStatus', async () => {
  const cases: { behaviour: object; events?: object[]; status: string; at: number }[] = [
    { behaviour: { rejectCode: 486 }, status: 'busy', at: 0 },
    { behaviour: { rejectCode: 603, answerAfterMs: 2000 }, status: 'busy', at: 2000 },
    { behaviour: { noAnswer: true }, status: 'no-answer', at: 7000 },
    { behaviour: { rejectCode: 503, answerAfterMs: 500 }, status: 'failed', at: 500 },
    { behaviour: { rejectCode: 404 }, status: 'failed', at: 0 },
    { behaviour: { answerAfterMs: 6000 }, events: [hangupAt(1500)], status: 'canceled', at: 1500 },
  ];
  for (const c of cases) {
    const { call, outcome } = await runTwiml(
      '<Response><Dial timeout="7" action="/done">+14155550001</Dial></Response>',
      {
        script: { events: c.events as never, endpoint: () => c.behaviour },
      },
    );
    const req = requestOf(outcome);
    assert.equal(req.params?.DialCallStatus, c.status, JSON.stringify(c));
    assert.equal(req.params?.DialBridged, 'false');
    assert.equal(req.params?.DialCallDuration, '0');
    assert.equal(call.entries('dial_done')[0].t, c.at, JSON.stringify(c));
  }
});

test('action: URL resolved against the document, method, DialCallSid and DialCallDuration in seconds', async () => {
  const { outcome, call } = await runTwiml(
    '<Response><Dial action="after-dial?x=1" method="GET">+14155550001</Dial><Say>unreachable</Say></Response>',
    { script: { endpoint: () => ({ answerAfterMs: 2000, hangupAfterMs: 7400 }) } },
    { documentUrl: 'http://app.test/ivr/start.xml' },
  );
  const req = requestOf(outcome);
  assert.equal(req.url, 'http://app.test/ivr/after-dial?x=1');
  assert.equal(req.method, 'GET');
  assert.equal(req.params?.DialCallStatus, 'completed');
  assert.equal(req.params?.DialBridged, 'true');
  assert.equal(req.params?.DialCallDuration, '7');
  assert.match(String(req.params?.DialCallSid), /^leg-/);
  assert.equal(req.params?.DialSipResponseCode, undefined, 'only for <Sip>');
  assert.equal(call.entries('say').length, 0, 'verbs after a Dial with action are unreachable');
});

test('without action the next verb runs after the bridge (Kazoo hung up instead)', async () => {
  const { outcome, call } = await runTwiml('<Response><Dial>+14155550001</Dial><Say>welcome back</Say></Response>', {
    script: { endpoint: () => ({ answerAfterMs: 1000, hangupAfterMs: 3000 }) },
  });
  assert.equal(outcome.kind, 'next');
  const say = call.entries('say')[0];
  assert.equal(say.text, 'welcome back');
  assert.equal(say.t, 4000);
  assert.notEqual(call.state, 'ended');
});

test('without action, a failed dial also goes on; continueOnFail="false" (Kazoo) hangs up instead', async () => {
  const busy = { script: { endpoint: () => ({ rejectCode: 486 }) } };
  const goes = await runTwiml('<Response><Dial>+14155550001</Dial><Say>sorry</Say></Response>', busy);
  assert.equal(goes.call.entries('say').length, 1);
  const stops = await runTwiml(
    '<Response><Dial continueOnFail="false">+14155550001</Dial><Say>sorry</Say></Response>',
    busy,
  );
  assert.equal(stops.outcome.kind, 'end');
  assert.equal(stops.call.entries('say').length, 0);
  assert.equal(stops.call.state, 'ended');
});

test('when the caller hangs up: no next verb, but the action is still requested', async () => {
  const noAction = await runTwiml('<Response><Dial>+14155550001</Dial><Say>never</Say></Response>', {
    script: { events: [hangupAt(3000)] },
  });
  assert.equal(noAction.outcome.kind, 'end');
  assert.equal(noAction.call.entries('say').length, 0);
  const withAction = await runTwiml('<Response><Dial action="/after">+14155550001</Dial></Response>', {
    script: { events: [hangupAt(3000)] },
  });
  const req = requestOf(withAction.outcome);
  assert.equal(req.params?.DialCallStatus, 'completed');
  assert.equal(req.params?.DialCallDuration, '2');
});

test('hangupOnStar: the caller presses * to drop the callee, then the next verb runs', async () => {
  const { call, outcome } = await runTwiml(
    '<Response><Dial hangupOnStar="true">+14155550001</Dial><Say>back with you</Say></Response>',
    { script: { events: press('1*', 4000) } },
  );
  assert.equal(outcome.kind, 'next');
  const done = call.entries('dial_done')[0];
  assert.equal(done.endedBy, 'hangup_key');
  assert.equal(done.t, 4100);
  assert.equal(call.entries('say')[0].t, 4100);
});

test('Kazoo hangupOn picks the key; without hangupOnStar * does nothing', async () => {
  const hash = await runTwiml('<Response><Dial hangupOn="#" action="/a">+14155550001</Dial></Response>', {
    script: { events: [...press('*#', 2000), hangupAt(9000)] },
  });
  assert.equal(hash.call.entries('dial_done')[0].t, 2100);
  const none = await runTwiml('<Response><Dial action="/a">+14155550001</Dial></Response>', {
    script: { events: [...press('*', 2000), hangupAt(9000)] },
  });
  assert.equal(none.call.entries('dial_done')[0].t, 9000);
});

test('timeLimit ends the bridge and the document goes on', async () => {
  const { call, outcome } = await runTwiml(
    '<Response><Dial timeLimit="10" action="/a">+14155550001</Dial></Response>',
    {
      script: { events: [hangupAt(60000)] },
    },
  );
  const done = call.entries('dial_done')[0];
  assert.equal(done.endedBy, 'time_limit');
  assert.equal(done.t, 11000);
  assert.equal(requestOf(outcome).params?.DialCallDuration, '10');
});

test('answerOnBridge: the caller is answered only when the callee answers', async () => {
  const late = await runTwiml('<Response><Dial answerOnBridge="true" action="/a">+14155550001</Dial></Response>', {
    script: { events: [hangupAt(5000)], endpoint: () => ({ answerAfterMs: 2500 }) },
  });
  const types = late.call.timeline.map((e) => e.type);
  assert.ok(types.indexOf('answer') > types.indexOf('dial'), types.join(' '));
  assert.equal(late.call.entries('answer')[0].t, 2500);
  assert.equal(late.call.entries('ring').length, 0);

  const early = await runTwiml('<Response><Dial action="/a">+14155550001</Dial></Response>', {
    script: { events: [hangupAt(5000)], endpoint: () => ({ answerAfterMs: 2500 }) },
  });
  assert.equal(early.call.timeline[0].type, 'answer');
  assert.equal(early.call.entries('answer')[0].t, 0);

  // Not answered by the Dial when nobody picks up (the following verb decides).
  const never = await runTwiml(
    '<Response><Dial answerOnBridge="true" timeout="5">+14155550001</Dial><Say>x</Say></Response>',
    {
      script: { endpoint: () => ({ rejectCode: 486 }) },
    },
  );
  const order = never.call.timeline.map((e) => e.type);
  assert.equal(never.call.entries('dial_done')[0].status, 'busy');
  assert.ok(!order.slice(0, order.indexOf('dial_done')).includes('answer'), order.join(' '));
});

test('callerId is presented to the dialled legs', async () => {
  const { call } = await runTwiml('<Response><Dial callerId="+15550009999">+14155550001</Dial></Response>', {
    script: { events: [hangupAt(3000)] },
  });
  assert.deepEqual(call.entries('dial')[0].callerId, { number: '+15550009999' });
  const plain = await runTwiml('<Response><Dial>+14155550001</Dial></Response>', {
    script: { events: [hangupAt(3000)] },
  });
  assert.equal(plain.call.entries('dial')[0].callerId, undefined, "without callerId the caller's own is used");
});

test('collect_dtmf (Kazoo): DTMF pressed during the bridge is sent as Digits', async () => {
  const { outcome } = await runTwiml('<Response><Dial collect_dtmf="true" action="/a">+14155550001</Dial></Response>', {
    script: { events: [...press('42', 3000), hangupAt(8000)] },
  });
  assert.equal(requestOf(outcome).params?.Digits, '42');
  const without = await runTwiml('<Response><Dial action="/a">+14155550001</Dial></Response>', {
    script: { events: [...press('42', 3000), hangupAt(8000)] },
  });
  assert.equal(requestOf(without.outcome).params?.Digits, undefined);
});

test('Number sendDigits goes with the endpoint', async () => {
  const { call } = await runTwiml(
    '<Response><Dial><Number sendDigits="ww123#">+14155550001</Number></Dial></Response>',
    { script: { events: [hangupAt(3000)] } },
  );
  const [ep] = call.entries('dial')[0].endpoints as Endpoint[];
  assert.equal(ep.sendDigits, 'ww123#');
});
