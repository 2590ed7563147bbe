import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('Reject first: not answered, 603 Decline by default (Kazoo sent 503)', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Reject/><Say>never</Say>'));
  assert.deepEqual(outcome, { kind: 'end' });
  assert.equal(call.entries('answer').length, 0);
  assert.deepEqual(call.entries('reject')[0], { t: 0, type: 'reject', sipCode: 603, reason: 'Decline' });
  assert.equal(call.hangupSipCode, 603);
  assert.equal(call.entries('say').length, 0);
  assert.deepEqual(host.traces[0], { verb: 'Reject', detail: { reason: 'rejected', sipCode: 603 } });
});

test('Reject reason="busy": 486 Busy Here', async () => {
  const { call } = await runTwiml(doc('<Reject reason="busy"/>'));
  assert.deepEqual(call.entries('reject')[0], { t: 0, type: 'reject', sipCode: 486, reason: 'Busy Here' });
  assert.equal(call.hangupCause, 'USER_BUSY');
});

test('Reject after the call was answered hangs up instead', async () => {
  const { call, outcome } = await runTwiml(doc('<Say>Sorry</Say><Reject reason="busy"/>'));
  assert.deepEqual(outcome, { kind: 'end' });
  assert.equal(call.entries('reject').length, 0);
  assert.equal(call.entries('hangup')[0].by, 'local');
  assert.equal(call.entries('hangup')[0].t, 500);
  const answered = await runTwiml(doc('<Reject/>'), { answered: true });
  assert.equal(answered.call.entries('reject').length, 0);
  assert.equal(answered.call.state, 'ended');
});

test('Reject after a leading Pause still refuses the call', async () => {
  const { call } = await runTwiml(doc('<Pause length="2"/><Reject/>'));
  assert.equal(call.entries('reject')[0].t, 2000);
  assert.equal(call.entries('answer').length, 0);
});

test('Reject Kazoo prompt: played as early media, then the refusal', async () => {
  const { call } = await runTwiml(doc('<Reject reason="busy" prompt="http://m.test/closed.wav"/>'));
  assert.deepEqual(
    call.timeline.map((e) => e.type),
    ['ring', 'play', 'reject', 'hangup'],
  );
  assert.equal(call.entries('ring')[0].earlyMedia, true);
  assert.equal(call.entries('reject')[0].t, 2000);
  assert.equal(call.entries('answer').length, 0);
});

test('Reject reason must be rejected or busy (13810)', () => {
  const { errors } = compileTwiml(doc('<Reject reason="declined"/>'));
  assert.equal(errors[0].code, 13810);
  assert.equal(compileTwiml(doc('<Reject reason="Busy"/>')).errors[0].code, 13810);
});
