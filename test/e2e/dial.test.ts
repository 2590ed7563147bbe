// Dialing over real SIP/RTP: a pivot call bridged to a registered baresip phone (both hear each other, digits pass
// through, hangupOnStar, the bridge recorded), to a SIPp carrier trunk that wants digest auth, a ring group where
// one of two phones answers, and a busy phone taking the callflow's `sip:486` branch. CDRs for every leg.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Baresip } from '../helpers/baresip.js';
import { e2eServer, phone, sleep, type E2eServer } from '../helpers/e2e.js';
import { heardBy, read8k, toneShare } from '../helpers/media.js';
import { eventually, twiml, webApp, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp } from '../helpers/sipp.js';

let e2e: E2eServer;
let app: WebApp;
const requests: { path: string; params: Record<string, unknown> }[] = [];
const devices: Record<string, string> = {};
let realm: string;

const RTP = { min: 38500, max: 38699 };

before(async () => {
  e2e = await e2eServer(RTP);
  const account = (await e2e.server.store.accounts.get(e2e.accountId))!;
  realm = account.realm as string;
  for (const name of ['bob', 'carol', 'dave', 'erin']) {
    const d = await e2e.server.store.devices.create(e2e.accountId, {
      name,
      sip: { username: name, password: `${name}-secret` },
    });
    devices[name] = d.id;
  }
  const log = (path: string) => (params: Record<string, unknown>) => {
    requests.push({ path, params });
  };
  app = await webApp({
    '/client': (p) => {
      log('/client')(p);
      return twiml(
        '<Dial action="/after-client" hangupOnStar="true" record="record-from-answer"><Client>bob</Client></Dial>',
      );
    },
    '/after-client': (p) => {
      log('/after-client')(p);
      return twiml('<Say>Back from the dial.</Say><Hangup/>');
    },
    '/carrier': (p) => {
      log('/carrier')(p);
      return twiml('<Dial action="/after-carrier" timeout="10"><Number>+14155550999</Number></Dial>');
    },
    '/after-carrier': (p) => {
      log('/after-carrier')(p);
      return twiml('<Hangup/>');
    },
    '/bridge-on-answer': (p) => {
      log('/bridge-on-answer')(p);
      return twiml('<Dial answerOnBridge="true" timeLimit="2" action="/after-limit"><Client>carol</Client></Dial>');
    },
    '/after-limit': (p) => {
      log('/after-limit')(p);
      return twiml('<Hangup/>');
    },
    '/busy': (p) => {
      log('/busy')(p);
      return twiml('<Say>The line is busy.</Say><Hangup/>');
    },
  });
  const pivot = (path: string) => ({
    module: 'pivot',
    data: { voice_url: app.url(path), method: 'post', req_format: 'twiml' },
  });
  await e2e.number('+14155550301', pivot('/client'));
  await e2e.number('+14155550302', pivot('/carrier'));
  await e2e.number('+14155550303', {
    module: 'ring_group',
    data: {
      endpoints: [
        { id: devices.carol, endpoint_type: 'device' },
        { id: devices.bob, endpoint_type: 'device' },
      ],
      strategy: 'simultaneous',
      timeout: 15,
    },
  });
  await e2e.number('+14155550304', {
    module: 'device',
    data: { id: devices.dave, timeout: 10 },
    children: { 'sip:486': pivot('/busy') },
  });
  await e2e.number('+14155550307', pivot('/bridge-on-answer'));
  await e2e.number('+14155550305', { module: 'device', data: { id: devices.dave, timeout: 10 } });
  await e2e.number('+14155550306', { module: 'device', data: { id: devices.erin, timeout: 10 } });
});

after(async () => {
  await app?.close();
  await e2e?.stop();
});

/** A phone registered as one of the account's devices; `auto` answers every call. */
async function device(name: string, rtp: { min: number; max: number }, sineHz: number, auto: boolean) {
  const dump = mkdtempSync(join(tmpdir(), `pivot-dial-${name}-`));
  const p = await Baresip.start({
    account:
      `<sip:${name}@${realm}>;auth_pass=${name}-secret;outbound="sip:${e2e.target}";regint=300;` +
      `audio_codecs=PCMU${auto ? ';answermode=auto' : ''}`,
    sineHz,
    dumpDir: dump,
    rtpPorts: rtp,
    timeoutMs: 60_000,
  });
  await eventually(
    () => e2e.server.calls.registrar.isRegistered(e2e.accountId, devices[name]),
    `${name} registered`,
    10_000,
  );
  return { phone: p, dump };
}

async function cdrsOf(callId: string) {
  return e2e.server.store.cdrs.forCall(e2e.accountId, callId);
}

test('<Dial><Client> bridges a caller with a registered phone: both hear each other, DTMF passes, * ends it', async () => {
  const bob = await device('bob', { min: 38700, max: 38719 }, 1000, true);
  const caller = await phone({ name: 'caller', rtpPorts: { min: 38720, max: 38739 }, sineHz: 440 });
  try {
    caller.phone.command('dial', `sip:+14155550301@${e2e.target}`);
    await caller.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await bob.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(2500);
    caller.phone.command('sndcode', '5');
    await bob.phone.waitFor('CALL_DTMF_START', 5000);
    await sleep(600);
    caller.phone.command('sndcode', '*');
    // hangupOnStar drops bob; the caller goes on to the action, which says something and hangs up.
    await bob.phone.waitFor('CALL_CLOSED', 10_000);
    await caller.phone.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await caller.phone.stop();
    await bob.phone.stop();
  }
  const callerHeard = await read8k(await heardBy(caller.dump));
  const bobHeard = await read8k(await heardBy(bob.dump));
  assert.ok(toneShare(callerHeard, 1000) > 0.3, `the caller heard bob's 1000 Hz (${toneShare(callerHeard, 1000)})`);
  assert.ok(toneShare(bobHeard, 440) > 0.3, `bob heard the caller's 440 Hz (${toneShare(bobHeard, 440)})`);

  const action = requests.find((r) => r.path === '/after-client')?.params;
  assert.ok(action, 'the Dial action was requested');
  assert.equal(action.DialCallStatus, 'completed');
  assert.ok(Number(action.DialCallDuration) >= 2, `DialCallDuration ${String(action.DialCallDuration)}`);
  assert.match(String(action.DialCallSid), /.+/);
  assert.match(String(action.RecordingUrl), /\/Recordings\/RE/, 'the bridge was recorded');

  const callSid = String(action.CallSid);
  await eventually(async () => (await cdrsOf(callSid)).length === 1, 'the caller CDR', 5000);
  const [cdr] = await cdrsOf(callSid);
  assert.equal(cdr.direction, 'inbound');
  assert.ok(Number(cdr.billing_seconds) >= 3);
  assert.equal(cdr.pivot_iterations, 2);
  assert.deepEqual(cdr.bridged_with, [action.DialCallSid]);
  assert.equal((cdr.recording_ids as string[]).length, 1);
  const [leg] = await cdrsOf(String(action.DialCallSid));
  assert.equal(leg.direction, 'outbound-dial');
  assert.equal(leg.parent_call_id, callSid);
  assert.match(String(leg.to), /@127\.0\.0\.1$/, 'the leg went to the contact bob registered');
  assert.ok(Number(leg.billing_seconds) >= 2);
});

test('<Dial><Number> goes out through a carrier trunk that asks for digest auth; the caller hears it echo', async () => {
  const carrier = sipp({
    scenario: join(SCENARIOS, 'uas-carrier-auth.xml'),
    calls: 1,
    timeoutMs: 40_000,
    args: ['-rtp_echo', '-mi', '127.0.0.1', '-mp', '38740'],
  });
  const port = await carrier.port;
  await e2e.server.store.resources.create(e2e.accountId, {
    name: 'Carrier',
    gateways: [{ server: '127.0.0.1', port, username: 'pivot', password: 'trunkpass' }],
    rules: ['^\\+1'],
  });
  await sleep(300); // SIPp binds its socket
  const caller = await phone({ name: 'caller2', rtpPorts: { min: 38750, max: 38769 }, sineHz: 700 });
  try {
    caller.phone.command('dial', `sip:+14155550302@${e2e.target}`);
    await caller.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await sleep(3000);
    caller.phone.command('hangup');
    await caller.phone.waitFor('CALL_CLOSED', 5000);
  } finally {
    await caller.phone.stop();
  }
  const run = await carrier.done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(run.successful, 1);
  const heard = await read8k(await heardBy(caller.dump));
  assert.ok(
    toneShare(heard, 700) > 0.3,
    `the caller heard its own 700 Hz echoed by the carrier (${toneShare(heard, 700)})`,
  );
  // The caller hung up during the bridge: as Twilio does, the action still hears how the dial ended (posted after
  // the hangup, so it may come a moment after the carrier's side is done).
  await eventually(() => requests.some((r) => r.path === '/after-carrier'), 'the Dial action request', 5000);
  const action = requests.find((r) => r.path === '/after-carrier')?.params;
  assert.equal(action?.DialCallStatus, 'completed');
  assert.ok(Number(action?.DialCallDuration) >= 2);
});

test('a ring group rings two phones; the one that answers gets the call, the other stops ringing', async () => {
  const carol = await device('carol', { min: 38770, max: 38789 }, 1000, false);
  const bob = await device('bob', { min: 38790, max: 38809 }, 1200, true);
  const caller = await phone({ name: 'caller3', rtpPorts: { min: 38810, max: 38829 }, sineHz: 440 });
  try {
    caller.phone.command('dial', `sip:+14155550303@${e2e.target}`);
    await carol.phone.waitFor('CALL_INCOMING', 10_000);
    await bob.phone.waitFor('CALL_ESTABLISHED', 10_000);
    await carol.phone.waitFor('CALL_CLOSED', 5000);
    await caller.phone.waitFor('CALL_ESTABLISHED', 5000);
    await sleep(2000);
    bob.phone.command('hangup');
    await caller.phone.waitFor('CALL_CLOSED', 5000);
  } finally {
    await caller.phone.stop();
    await bob.phone.stop();
    await carol.phone.stop();
  }
  const heard = await read8k(await heardBy(caller.dump));
  assert.ok(toneShare(heard, 1200) > 0.3, `the caller heard bob (${toneShare(heard, 1200)})`);
});

/**
 * Rejects the ringing call on a phone (486 Busy Here). A `hangup` that reaches baresip before its call is set up is
 * lost under load, so it is sent again until the phone reports the call closed.
 */
async function reject(p: Baresip): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    p.command('hangup');
    try {
      await p.waitFor('CALL_CLOSED', 2000);
      return;
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
}

test('a busy phone sends the callflow down its sip:486 branch', async () => {
  const dave = await device('dave', { min: 38830, max: 38849 }, 1000, false);
  const caller = await phone({ name: 'caller4', rtpPorts: { min: 38850, max: 38869 }, sineHz: 440 });
  try {
    caller.phone.command('dial', `sip:+14155550304@${e2e.target}`);
    await dave.phone.waitFor('CALL_INCOMING', 10_000);
    await reject(dave.phone);
    await caller.phone.waitFor('CALL_CLOSED', 15_000);
  } finally {
    await caller.phone.stop();
    await dave.phone.stop();
  }
  const busy = requests.find((r) => r.path === '/busy');
  assert.ok(busy, 'the sip:486 child (a pivot node) ran');
});

test('a flow that ends unanswered refuses the caller with its dial failure: 486 busy, 480 not registered', async () => {
  const dave = await device('dave', { min: 38870, max: 38889 }, 1000, false);
  const caller = await phone({ name: 'caller5', rtpPorts: { min: 38890, max: 38899 }, sineHz: 440 });
  try {
    caller.phone.command('dial', `sip:+14155550305@${e2e.target}`);
    await dave.phone.waitFor('CALL_INCOMING', 10_000);
    await reject(dave.phone);
    const busy = await caller.phone.waitFor('CALL_CLOSED', 10_000);
    assert.match(String(busy.param), /486/);
  } finally {
    await caller.phone.stop();
    await dave.phone.stop();
  }
  const again = await phone({ name: 'caller6', rtpPorts: { min: 38890, max: 38899 }, sineHz: 440 });
  try {
    again.phone.command('dial', `sip:+14155550306@${e2e.target}`);
    const offline = await again.phone.waitFor('CALL_CLOSED', 10_000);
    assert.match(String(offline.param), /480/);
  } finally {
    await again.phone.stop();
  }
});

test('answerOnBridge keeps the caller unanswered, hearing ringback, until the callee answers; timeLimit ends it', async () => {
  const carol = await device('carol', { min: 38770, max: 38789 }, 1000, false);
  const caller = await phone({ name: 'caller7', rtpPorts: { min: 38810, max: 38829 }, sineHz: 700 });
  let carolAnswered = 0;
  let callerAnswered = 0;
  try {
    caller.phone.command('dial', `sip:+14155550307@${e2e.target}`);
    await carol.phone.waitFor('CALL_INCOMING', 10_000);
    await sleep(2500); // the caller rings (with a ringback tone in early media) while carol does
    assert.equal(
      caller.phone.events.some((e) => e.type === 'CALL_ESTABLISHED'),
      false,
      'the caller is not answered while the callee rings',
    );
    carol.phone.command('accept');
    await carol.phone.waitFor('CALL_ESTABLISHED', 5000);
    carolAnswered = Date.now();
    await caller.phone.waitFor('CALL_ESTABLISHED', 5000);
    callerAnswered = Date.now();
    // timeLimit="2": Pivot ends the bridge, then the action hangs up.
    await carol.phone.waitFor('CALL_CLOSED', 6000);
    await caller.phone.waitFor('CALL_CLOSED', 6000);
  } finally {
    await caller.phone.stop();
    await carol.phone.stop();
  }
  assert.ok(callerAnswered >= carolAnswered - 50, 'the caller was answered when the callee was');
  const heard = await read8k(await heardBy(caller.dump));
  const ringing = heard.subarray(0, 16_000); // the first 2 s, before anyone answered
  const ringback = toneShare(ringing, 440) + toneShare(ringing, 480);
  assert.ok(ringback > 0.3, `the caller heard a ringback tone while it rang (${ringback})`);
  const action = requests.find((r) => r.path === '/after-limit')?.params;
  assert.equal(action?.DialCallStatus, 'completed');
  const talked = Number(action?.DialCallDuration);
  assert.ok(talked >= 1 && talked <= 3, `timeLimit=2 cut the bridge (${talked} s)`);
});
