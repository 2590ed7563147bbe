// <Dial><Conference> with several scripted calls in one world: waiting for the moderator, endConferenceOnExit,
// status callbacks, the Dial action (followed, unlike Kazoo) and tenant isolation of room names.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { World, requestOf } from './helpers.js';

test('member waits for the moderator; the moderator leaving with * ends it; both go on', async () => {
  const w = new World();
  const member = w.start(
    '<Response><Dial><Conference startConferenceOnEnter="false" statusCallback="/conf" ' +
      'statusCallbackEvent="start end join leave">room1</Conference></Dial><Say>the conference is over</Say></Response>',
    { id: 'CAmember', script: { events: [hangupAt(60000)] } },
  );
  const moderator = w.start(
    '<Response><Dial action="/after-conf" hangupOnStar="true"><Conference endConferenceOnExit="true" beep="onEnter" ' +
      'statusCallback="/conf" statusCallbackEvent="start end join leave">room1</Conference></Dial></Response>',
    { id: 'CAmoderator', script: { events: [...press('*', 8000), hangupAt(60000)] } },
    {},
    3000,
  );
  const [mOut, modOut] = await Promise.all([member.done, moderator.done]);

  // The member waited from 0 until the moderator started it at 3 s, and was put out at 8 s.
  const m = member.call;
  assert.equal(m.entries('conference_join')[0].t, 0);
  assert.equal(m.entries('conference_waiting').length, 1);
  assert.equal(m.entries('conference_started')[0].t, 3000);
  const left = m.entries('conference_leave')[0];
  assert.equal(left.t, 8000);
  assert.equal(left.reason, 'ended');
  assert.equal(m.entries('say')[0].t, 8000, 'the member goes on with the next verb');
  assert.equal(mOut.kind, 'next');
  assert.equal(m.entries('conference_join')[0].room, `${m.accountId}:room1`);

  // The moderator left with * and its Dial action is followed, with DialCallStatus answered.
  const modCall = moderator.call;
  assert.equal(modCall.entries('conference_join')[0].moderator, true);
  assert.equal(modCall.entries('conference_leave')[0].reason, 'left');
  const req = requestOf(modOut);
  assert.equal(req.url, 'http://app.test/after-conf');
  assert.equal(req.params?.DialCallStatus, 'answered');
  assert.equal(req.params?.DialCallDuration, '5');
  assert.equal(req.params?.DialBridged, 'true');
  assert.match(String(req.params?.ConferenceSid), /^CF[0-9a-f]{32}$/);

  // Status callbacks of both participants, one conference sid, sequence numbers in order.
  const all = [...member.host.callbacks, ...moderator.host.callbacks].sort(
    (a, b) => Number(a.params.SequenceNumber) - Number(b.params.SequenceNumber),
  );
  assert.deepEqual(
    all.map((c) => `${c.params.SequenceNumber} ${c.params.StatusCallbackEvent} ${c.params.CallSid ?? '-'}`),
    [
      '0 participant-join CAmember',
      '1 participant-join CAmoderator',
      '2 conference-start -',
      '3 participant-leave CAmoderator',
      '4 conference-end -',
      '5 participant-leave CAmember',
    ],
  );
  assert.equal(new Set(all.map((c) => c.params.ConferenceSid)).size, 1);
  assert.ok(all.every((c) => c.params.FriendlyName === 'room1' && c.url === 'http://app.test/conf'));
  const joinMember = all[0].params;
  assert.equal(joinMember.StartConferenceOnEnter, 'false');
  assert.equal(joinMember.EndConferenceOnExit, 'false');
  assert.equal(joinMember.Muted, 'false');
  assert.equal(all[4].params.ReasonConferenceEnded, 'participant-with-end-conference-on-exit-left');
  assert.equal(all[4].params.CallSidEndingConference, 'CAmoderator');
});

test('default status callback events are start and end only', async () => {
  const w = new World();
  const a = w.start('<Response><Dial><Conference statusCallback="/c">r</Conference></Dial></Response>', {
    script: { events: [hangupAt(5000)] },
  });
  await a.done;
  assert.deepEqual(
    a.host.callbacks.map((c) => c.params.StatusCallbackEvent),
    ['conference-start', 'conference-end'],
  );
  assert.equal(a.host.callbacks[1].params.ReasonConferenceEnded, 'last-participant-left');
});

test('rooms are per account: the same name in two accounts never meets', async () => {
  const w = new World();
  const doc = '<Response><Dial><Conference startConferenceOnEnter="false">sales</Conference></Dial></Response>';
  const a = w.start(doc, { accountId: 'account-a', script: { events: [hangupAt(4000)] } });
  const b = w.start(
    '<Response><Dial><Conference>sales</Conference></Dial></Response>',
    { accountId: 'account-b', script: { events: [hangupAt(4000)] } },
    {},
    1000,
  );
  await Promise.all([a.done, b.done]);
  assert.equal(a.call.entries('conference_join')[0].room, 'account-a:sales');
  assert.equal(b.call.entries('conference_join')[0].room, 'account-b:sales');
  assert.equal(a.call.entries('conference_started').length, 0, "account B's moderator does not start A's room");
});

test('a full room: DialCallStatus failed, the document goes on', async () => {
  const w = new World();
  const doc = (action = '') =>
    `<Response><Dial ${action}><Conference maxParticipants="2">tiny</Conference></Dial><Say>full</Say></Response>`;
  const one = w.start(doc(), { script: { events: [hangupAt(10000)] } });
  const two = w.start(doc(), { script: { events: [hangupAt(10000)] } }, {}, 500);
  const three = w.start(doc('action="/full"'), { script: { events: [hangupAt(10000)] } }, {}, 1000);
  const [, , out] = await Promise.all([one.done, two.done, three.done]);
  assert.equal(three.call.entries('conference_full').length, 1);
  assert.equal(requestOf(out).params?.DialCallStatus, 'failed');
  assert.equal(requestOf(out).params?.DialBridged, 'false');
});

test('muted, beep and waitUrl reach the conference primitive', async () => {
  const w = new World();
  const a = w.start(
    '<Response><Dial><Conference muted="true" beep="false" waitUrl="hold.wav">r2</Conference></Dial></Response>',
    { script: { events: [hangupAt(2000)] } },
  );
  await a.done;
  assert.equal(a.call.entries('conference_join')[0].muted, true);
  assert.deepEqual(a.host.warnings, []);
});
