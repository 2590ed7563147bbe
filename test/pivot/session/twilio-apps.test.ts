// DESIGN §2: "an app written for Twilio with Twilio's own helper library runs unchanged". These web apps build
// their answers with `twilio.twiml.VoiceResponse` and check every request with `twilio.validateRequest` (403 when
// the signature is wrong, which would send the call to the failure branch and fail the test).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { hangupAt, press } from '../../../src/call/scripted.js';
import type { ScriptedCall } from '../../../src/call/scripted.js';
import {
  pivotHarness,
  pivotNode,
  ttsNode,
  twilioValid,
  webApp,
  type AppRequest,
  type AppResponse,
  type PivotHarness,
  type WebApp,
} from '../../helpers/pivot.js';

const { VoiceResponse } = twilio.twiml;

let h: PivotHarness;
let app: WebApp;
let deskId: string;
const rejected: AppRequest[] = [];

/** A route the way a Twilio app writes it: validate, then answer with VoiceResponse. */
function route(build: (params: Record<string, any>) => InstanceType<typeof VoiceResponse>) {
  return (params: Record<string, any>, req: AppRequest): AppResponse => {
    if (!twilioValid(h.signingKey, req)) {
      rejected.push(req);
      return { status: 403, contentType: 'text/plain', body: 'invalid signature' };
    }
    return { contentType: 'text/xml', body: build(params).toString() };
  };
}

before(async () => {
  h = await pivotHarness();
  deskId = (await h.store.devices.create(h.accountId, { name: 'Desk', sip: { username: 'desk-1', password: 'pw' } }))
    .id;
  app = await webApp({
    '/voice': route(() => {
      const r = new VoiceResponse();
      r.say({ voice: 'alice', language: 'en-US' }, 'Welcome to Acme');
      r.play({ loop: 2 }, app.url('/media/hello.mp3'));
      r.play({ digits: '1w2' });
      r.pause({ length: 1 });
      const g = r.gather({ numDigits: 1, finishOnKey: '#', action: '/menu', method: 'POST', timeout: 5 });
      g.say('Press 1 to leave a message');
      r.say('We did not get your choice');
      r.redirect('/voice');
      return r;
    }),
    '/menu': route((p) => {
      const r = new VoiceResponse();
      if (p.Digits !== '1') {
        r.redirect('/voice');
        return r;
      }
      r.say('Leave a message after the beep');
      r.record({ maxLength: 5, finishOnKey: '#', action: '/recorded' });
      return r;
    }),
    '/recorded': route(() => {
      const r = new VoiceResponse();
      const d = r.dial({
        action: '/dialed',
        timeout: 10,
        callerId: '+15550009999',
        hangupOnStar: true,
        record: 'record-from-answer',
      });
      d.number('+15550001234');
      return r;
    }),
    '/dialed': route(() => {
      const r = new VoiceResponse();
      r.dial({ timeout: 10 }).sip('sip:support@example.com');
      r.dial({ timeout: 10 }).client('desk-1');
      r.redirect({ method: 'POST' }, '/goodbye');
      return r;
    }),
    '/goodbye': route(() => {
      const r = new VoiceResponse();
      r.say('Goodbye');
      r.hangup();
      return r;
    }),
    '/busy': route(() => {
      const r = new VoiceResponse();
      r.reject({ reason: 'busy' });
      return r;
    }),
    '/conference': route(() => {
      const r = new VoiceResponse();
      r.dial().conference('standup');
      return r;
    }),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

/** Runs a TwiML-format pivot node with debug on; its `_` child would say "fallback" on any failure. */
async function runApp(path: string, script: ScriptedCall['script'], method = 'post'): Promise<ScriptedCall> {
  const call = await h.run(
    pivotNode({ voice_url: app.url(path), req_format: 'twiml', method, debug: true }, ttsNode('fallback')),
    {
      script,
    },
  );
  assert.deepEqual(rejected, [], 'every request carried a valid X-Twilio-Signature');
  assert.ok(!call.entries('say').some((s) => s.text === 'fallback'), 'the failure branch did not run');
  const problems = await h.debugOf(call.id, 'error');
  assert.deepEqual(
    problems.map((p) => p.error),
    [],
    'no errors or warnings in the debug records',
  );
  return call;
}

test('a VoiceResponse IVR: say, play, pause, gather, record, dial (number, sip, client), redirect, hangup', async () => {
  const call = await runApp('/voice', {
    events: [...press('1', 8500), ...press('#', 12_000), ...press('*', 14_000)],
    endpoint: () => ({ answerAfterMs: 1000, hangupAfterMs: 2000 }),
  });
  assert.deepEqual(
    app.requests.filter((r) => r.params['CallSid'] === call.id).map((r) => `${r.method} ${r.path}`),
    ['POST /voice', 'POST /menu', 'POST /recorded', 'POST /dialed', 'POST /goodbye'],
  );

  const [welcome] = call.entries('say');
  assert.equal(welcome.text, 'Welcome to Acme');
  assert.equal(welcome.voice, 'alice');
  assert.equal(welcome.language, 'en-US');
  const plays = call.entries('play');
  assert.deepEqual(plays[0].source, { kind: 'url', url: app.url('/media/hello.mp3') });
  assert.equal(plays[0].loop, 2);
  assert.deepEqual(plays[1].source, { kind: 'digits', digits: '1w2' });
  assert.deepEqual(
    call.entries('wait').map((w) => w.ms),
    [1000],
  );

  const menu = app.to('/menu').find((r) => r.params['CallSid'] === call.id)!;
  assert.equal(menu.params['Digits'], '1');
  const recorded = app.to('/recorded').find((r) => r.params['CallSid'] === call.id)!;
  assert.equal(recorded.params['Digits'], '#');
  assert.match(String(recorded.params['RecordingSid']), /^RE/);

  const dials = call.entries('dial');
  assert.equal(dials.length, 3);
  assert.deepEqual(
    (dials[0].endpoints as { type: string; number?: string }[]).map((e) => [e.type, e.number]),
    [['number', '+15550001234']],
  );
  assert.deepEqual(dials[0].callerId, { number: '+15550009999' });
  assert.equal(dials[0].timeoutMs, 10_000);
  assert.deepEqual(
    (dials[1].endpoints as { type: string; uri?: string }[]).map((e) => [e.type, e.uri]),
    [['sip', 'sip:support@example.com']],
  );
  assert.deepEqual(
    (dials[2].endpoints as { type: string; deviceId?: string }[]).map((e) => [e.type, e.deviceId]),
    [['device', deskId]],
  );
  const dialed = app.to('/dialed').find((r) => r.params['CallSid'] === call.id)!;
  assert.equal(dialed.params['DialCallStatus'], 'completed');
  assert.equal(dialed.params['DialBridged'], 'true');
  assert.equal(dialed.params['DialCallDuration'], '1', 'the caller pressed * one second after the answer');
  assert.match(String(dialed.params['RecordingUrl']), /^http/, 'record-from-answer made a recording');
  assert.equal(call.entries('recording_started').length, 1);

  assert.equal(call.entries('say').at(-1)!.text, 'Goodbye');
  assert.equal(call.entries('hangup')[0].by, 'local');
});

test('a VoiceResponse reject with reason busy refuses the call without answering it', async () => {
  const call = await runApp('/busy', {});
  assert.equal(call.entries('answer').length, 0);
  assert.deepEqual(
    call.entries('reject').map((r) => r.sipCode),
    [486],
  );
});

test('a VoiceResponse dial to a conference, requested by GET', async () => {
  const call = await runApp('/conference', { events: [hangupAt(5000)] }, 'get');
  assert.equal(app.to('/conference').at(-1)!.method, 'GET');
  const [join] = call.entries('conference_join');
  assert.ok(join, 'the caller joined the conference');
  assert.equal(join.room, `${h.accountId}:standup`);
});
