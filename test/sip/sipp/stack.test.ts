// The SIP stack against SIPp over real UDP on loopback: calls in, CANCEL, packet loss, BYE from either side,
// OPTIONS, REGISTER with a digest challenge, and a SIPp UAS answering a call Pivot places.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DigestServer } from '../../../src/sip/digest.js';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import { Registrar } from '../../../src/sip/registrar.js';
import { answerOffer, createOffer } from '../../../src/sip/sdp.js';
import { SipStack } from '../../../src/sip/stack.js';
import { SCENARIOS, sipp } from '../../helpers/sipp.js';

let stack: SipStack;
let registrar: Registrar;
let target: string;
const ended: { user: string | undefined; reason: string }[] = [];
const registrations: string[] = [];

const MEDIA = {
  address: '127.0.0.1',
  port: 40000,
  codecs: ['PCMU', 'PCMA'] as ('PCMU' | 'PCMA')[],
  telephoneEvent: true,
};

/** What Pivot does with a call, by the dialled user. */
async function handle(call: IncomingCall): Promise<void> {
  const user = call.toUser;
  call.on('terminated', (reason) => ended.push({ user, reason }));
  const answer = call.offer ? answerOffer(call.offer, MEDIA) : undefined;
  if (answer && !answer.ok) return call.reject(answer.status, undefined, [['Warning', answer.warning]]);
  const sdp = answer?.ok ? answer.answer : undefined;
  switch (user) {
    case 'ring':
      return call.progress(180);
    case 'busy':
      return call.reject(486);
    case 'hangup':
      call.progress(180);
      await call.accept({ sdp });
      setTimeout(() => void call.bye(), 300);
      return;
    default:
      call.progress(180);
      await call.accept({ sdp });
  }
}

before(async () => {
  stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, rateLimit: false });
  registrar = new Registrar({
    digest: new DigestServer(),
    lookupRealm: async (host) => (host === 'acme.pivot.test' ? host : undefined),
    lookupDevice: async (realm, username) =>
      realm === 'acme.pivot.test' && username === 'alice'
        ? { accountId: 'acme', deviceId: 'dev-alice', password: 'wonderland' }
        : undefined,
  });
  registrar.on('registered', (e) => registrations.push(`${e.deviceId} ${e.contact}`));
  stack.onRegister = (req, source) => registrar.handle(req, source);
  stack.on('invite', (call) => void handle(call).catch(() => undefined));
  const ports = await stack.start();
  target = `127.0.0.1:${ports.udp}`;
});

after(async () => {
  registrar.stop();
  await stack.stop();
});

test('SIPp UAC: 20 calls answered, with ACK and BYE, and no retransmissions', async () => {
  const run = await sipp({ scenario: 'uac', target, calls: 20, rate: 20, args: ['-s', 'answer'] }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(run.successful, 20);
  assert.equal(run.failed, 0);
  assert.equal(run.retransmissions, 0);
  assert.match(run.output, /100 <-+\s+20/, 'every INVITE got a 100 Trying');
});

test('CANCEL before the answer: 200 for the CANCEL, 487 for the INVITE, the session ends as cancel', async () => {
  const before = ended.length;
  const run = await sipp({ scenario: join(SCENARIOS, 'cancel.xml'), target, calls: 3, args: ['-s', 'ring'] }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(run.successful, 3);
  const mine = ended.slice(before).filter((e) => e.user === 'ring');
  assert.deepEqual(
    mine.map((e) => e.reason),
    ['cancel', 'cancel', 'cancel'],
  );
});

test('10 % packet loss: every call still completes through retransmissions', async () => {
  const run = await sipp({
    scenario: 'uac',
    target,
    calls: 30,
    rate: 30,
    args: ['-s', 'answer', '-lost', '10', '-recv_timeout', '20000'],
    timeoutMs: 60_000,
  }).done;
  assert.equal(run.failed, 0, run.output + run.errors);
  assert.equal(run.successful, 30);
  assert.ok(run.retransmissions > 0, 'SIPp had to retransmit');
});

test('BYE from Pivot: SIPp answers it and the session ends as local-bye', async () => {
  const before = ended.length;
  const run = await sipp({ scenario: join(SCENARIOS, 'remote-bye.xml'), target, calls: 2, args: ['-s', 'hangup'] })
    .done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(run.successful, 2);
  const reasons = ended
    .slice(before)
    .filter((e) => e.user === 'hangup')
    .map((e) => e.reason);
  assert.deepEqual(reasons, ['local-bye', 'local-bye']);
});

test('BYE from the caller ends the session as remote-bye; a busy callee gets 486', async () => {
  const before = ended.length;
  const ok = await sipp({ scenario: 'uac', target, calls: 1, args: ['-s', 'answer'] }).done;
  assert.equal(ok.code, 0, ok.output);
  assert.deepEqual(
    ended.slice(before).map((e) => e.reason),
    ['remote-bye'],
  );
  const busy = await sipp({ scenario: 'uac', target, calls: 1, args: ['-s', 'busy'] }).done;
  assert.equal(busy.failed, 1);
  assert.match(busy.errors + busy.output, /486/);
});

test('OPTIONS: 200 with Allow, Accept and Supported', async () => {
  const run = await sipp({ scenario: join(SCENARIOS, 'options.xml'), target, calls: 1 }).done;
  assert.equal(run.code, 0, run.output + run.errors);
});

test('REGISTER: challenged with 401, then 200 with the binding; a wrong password is refused', async () => {
  const run = await sipp({
    scenario: join(SCENARIOS, 'register.xml'),
    target,
    calls: 1,
    args: ['-s', 'acme.pivot.test', '-key', 'user', 'alice', '-au', 'alice', '-ap', 'wonderland'],
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(registrations.length, 1);
  assert.match(registrations[0], /^dev-alice /);
  assert.equal(registrar.isRegistered('acme', 'dev-alice'), true);
  const wrong = await sipp({
    scenario: join(SCENARIOS, 'register.xml'),
    target,
    calls: 1,
    args: ['-s', 'acme.pivot.test', '-key', 'user', 'alice', '-au', 'alice', '-ap', 'nope'],
  }).done;
  assert.equal(wrong.failed, 1);
  assert.match(wrong.errors + wrong.output, /403/);
});

test('SIPp UAS answers a call Pivot places (UAC core); Pivot hangs up with BYE', async () => {
  const uas = sipp({ scenario: 'uas', calls: 1, timeoutMs: 20_000 });
  const port = await uas.port;
  await new Promise((r) => setTimeout(r, 300)); // SIPp binds its socket
  const call = stack.invite({
    uri: `sip:service@127.0.0.1:${port}`,
    from: { user: '+15550001111', displayName: 'Pivot Test' },
    sdp: createOffer(MEDIA),
  });
  const progress: number[] = [];
  call.on('progress', (status) => progress.push(status));
  const result = await call.result;
  assert.equal(result.ok, true);
  assert.deepEqual(progress, [180]);
  assert.equal(call.state, 'confirmed');
  assert.ok(call.remoteSdp?.includes('m=audio'));
  await call.hangup();
  const run = await uas.done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(run.successful, 1);
  assert.equal(call.endReason, 'local-bye');
});

test('a call to a closed port fails with 408 after Timer B instead of hanging', async () => {
  const quick = new SipStack({ host: '127.0.0.1', udpPort: 0, timers: { T1: 20 }, rateLimit: false });
  await quick.start();
  try {
    const call = quick.invite({ uri: 'sip:nobody@127.0.0.1:9', from: { user: 'pivot' }, sdp: createOffer(MEDIA) });
    const result = await call.result;
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok([408, 503].includes(result.status), `status ${result.status}`);
    assert.equal(call.state, 'terminated');
  } finally {
    await quick.stop();
  }
});
