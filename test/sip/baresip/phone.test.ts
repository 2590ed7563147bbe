// A real SIP phone (baresip) against the stack: it registers with a device's digest credentials in the account
// realm, places a call that Pivot answers, and hangs up; driven over baresip's ctrl_tcp module.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestServer } from '../../../src/sip/digest.js';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import { Registrar, type RegistrationEvent } from '../../../src/sip/registrar.js';
import { answerOffer } from '../../../src/sip/sdp.js';
import { SipStack } from '../../../src/sip/stack.js';
import { Baresip } from '../../helpers/baresip.js';

let stack: SipStack;
let registrar: Registrar;
let port: number;
const calls: IncomingCall[] = [];
const registered: RegistrationEvent[] = [];

before(async () => {
  stack = new SipStack({ host: '127.0.0.1', udpPort: 0, rateLimit: false });
  registrar = new Registrar({
    digest: new DigestServer(),
    lookupRealm: async (host) => (host === 'acme.pivot.test' ? host : undefined),
    lookupDevice: async (realm, username) =>
      realm === 'acme.pivot.test' && username === 'alice'
        ? { accountId: 'acme', deviceId: 'dev-alice', password: 'wonderland' }
        : undefined,
  });
  registrar.on('registered', (e) => registered.push(e));
  stack.onRegister = (req, source) => registrar.handle(req, source);
  stack.on('invite', (call) => {
    calls.push(call);
    const answer = call.offer
      ? answerOffer(call.offer, { address: '127.0.0.1', port: 41000, codecs: ['PCMU', 'PCMA'], telephoneEvent: true })
      : undefined;
    if (!answer?.ok) return call.reject(488);
    call.progress(180);
    setTimeout(() => void call.accept({ sdp: answer.answer }).catch(() => undefined), 200);
  });
  port = (await stack.start()).udp!;
});

after(async () => {
  registrar.stop();
  await stack.stop();
});

test('baresip registers with device credentials, calls, is answered and hangs up', async () => {
  const phone = await Baresip.start({
    account: `<sip:alice@acme.pivot.test>;auth_pass=wonderland;outbound="sip:127.0.0.1:${port}";regint=120;audio_codecs=PCMU`,
  });
  try {
    // baresip registers as it starts (before its control socket is up), so watch Pivot's side.
    await waitUntil(() => registered.length > 0, 10_000);
    assert.equal(registered.length, 1);
    assert.equal(registered[0].deviceId, 'dev-alice');
    assert.equal(registrar.isRegistered('acme', 'dev-alice'), true);

    phone.command('dial', 'sip:1000@acme.pivot.test');
    await phone.waitFor('CALL_ESTABLISHED');
    assert.equal(calls.length, 1);
    const call = calls[0];
    assert.equal(call.toUser, '1000');
    assert.match(call.request.headers.get('from') ?? '', /sip:alice@acme\.pivot\.test/);
    assert.match(call.localSdp ?? '', /RTP\/AVP 0/, 'PCMU was chosen from the phone offer');
    await waitUntil(() => call.state === 'confirmed');

    const ended = new Promise<string>((resolve) => call.once('terminated', resolve));
    phone.command('hangup');
    assert.equal(await ended, 'remote-bye');
    await phone.waitFor('CALL_CLOSED');
  } finally {
    await phone.stop();
  }
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
