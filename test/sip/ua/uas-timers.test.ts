// UAS timing on a FakeClock (real UDP, fake time): the 2xx retransmission schedule and the BYE after 64·T1, the
// 2xx to a re-INVITE retransmitted until its ACK, RFC 4028 session timers in both roles, and the per-source rate
// limiter (whose buckets do not refill while fake time stands still).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { cseq, tagOf, to } from '../../../src/sip/headers.js';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import type { SipMessage } from '../../../src/sip/message.js';
import type { SipStack } from '../../../src/sip/stack.js';
import { FakeClock } from '../../../src/sip/timers.js';
import {
  Caller,
  RawPeer,
  answerFor,
  ended,
  once,
  peerOffer,
  requestText,
  sleep,
  startStack,
  within,
} from './helpers.js';

let clock: FakeClock;
let stack: SipStack;
let port: number;
let peer: RawPeer;

beforeEach(async () => {
  clock = new FakeClock();
  ({ stack, port } = await startStack({ clock }));
  peer = await RawPeer.open();
});

afterEach(async () => {
  await peer.close();
  // Fake time never times out a BYE nobody answers: give stop() a moment, then close underneath it.
  await Promise.race([stack.stop(), sleep(200)]);
  stack.transactions.close();
  await stack.transport.stop();
});

/** Move fake time and let the datagrams it caused arrive. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await sleep(30);
}

const caller = (): Caller => new Caller(peer, stack, port);
const count = (pred: (m: SipMessage) => boolean): number => peer.all(pred).length;
const is2xxToInvite = (m: SipMessage): boolean =>
  m.kind === 'response' && m.status === 200 && cseq(m).method === 'INVITE';
const isBye = (m: SipMessage): boolean => m.kind === 'request' && m.method === 'BYE';

test('2xx retransmissions at T1, 2T1, 4T1… capped at T2, and BYE (ack-timeout) exactly at 64·T1', async () => {
  const c = caller();
  const incoming = once<[IncomingCall]>(stack, 'invite').then(([x]) => x);
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  const end = ended(call);
  const acked = assert.rejects(call.accept({ sdp: answerFor(call.offer!) }), /ack-timeout/);
  c.tagFrom(await peer.response(200, 'INVITE'));
  // T1 = 500, T2 = 4000: resent at 500, 1500, 3500, 7500, then every 4 s up to 31500.
  const expected = [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500];
  let t = 0;
  for (const at of expected) {
    await advance(at - 1 - t);
    assert.equal(count(is2xxToInvite), 1 + expected.indexOf(at), `nothing new before ${at} ms`);
    await advance(1);
    t = at;
    assert.equal(count(is2xxToInvite), 2 + expected.indexOf(at), `resent at ${at} ms`);
  }
  await advance(32000 - 1 - t);
  assert.equal(count(isBye), 0, 'no BYE before 64·T1');
  await advance(1);
  const bye = await peer.request('BYE', 1000);
  assert.equal(tagOf(to(bye)), c.fromTag);
  peer.reply(bye, 200);
  assert.equal(await end, 'ack-timeout');
  await acked;
  assert.equal(count(is2xxToInvite), 11, 'no 2xx after giving up');
});

test('the 2xx to a re-INVITE is retransmitted until its ACK', async () => {
  const c = caller();
  const call = await c.establish();
  c.send('INVITE', { body: peerOffer({ direction: 'sendonly' }) });
  await peer.response(200, 'INVITE');
  const before = count(is2xxToInvite);
  await advance(500);
  assert.equal(count(is2xxToInvite), before + 1, 'resent after T1');
  await advance(1000);
  assert.equal(count(is2xxToInvite), before + 2, 'resent after 2·T1');
  c.ack();
  await sleep(30);
  await advance(10_000);
  assert.equal(count(is2xxToInvite), before + 2, 'not after the ACK');
  assert.equal(call.state, 'confirmed');
});

test('a re-INVITE 2xx never ACKed: the session is hung up after 64·T1', async () => {
  const c = caller();
  const call = await c.establish();
  const end = ended(call);
  c.send('INVITE', { body: peerOffer() });
  await peer.response(200, 'INVITE');
  await advance(31_999);
  assert.equal(count(isBye), 0);
  await advance(1);
  peer.reply(await peer.request('BYE', 1000), 200);
  assert.equal(await end, 'ack-timeout');
});

test('session timer, we refresh (refresher=uas): Session-Expires in the 2xx, re-INVITE at half the interval', async () => {
  const c = caller();
  const call = await c.establish(undefined, ['Session-Expires: 90;refresher=uas', 'Supported: timer']);
  const ok = peer.all(is2xxToInvite)[0];
  assert.equal(ok.headers.get('session-expires'), '90;refresher=uas');
  assert.equal(ok.headers.get('require'), 'timer');
  const firstSdp = call.localSdp!;

  await advance(44_999);
  assert.equal(
    count((m) => m.kind === 'request' && m.method === 'INVITE'),
    0,
    'no refresh before 45 s',
  );
  await advance(1);
  const refresh = await peer.request('INVITE', 1000);
  assert.equal(tagOf(to(refresh)), c.fromTag, 'in the dialog');
  assert.match(refresh.headers.get('session-expires') ?? '', /^90;refresher=uac$/, 'keeps the timer, we refresh');
  assert.notEqual(refresh.body.toString(), firstSdp, 'o= version bumped');
  peer.reply(refresh, 200, {
    headers: [
      ['Contact', `<sip:alice@${peer.hostport}>`],
      ['Session-Expires', '90;refresher=uac'],
      ['Require', 'timer'],
    ],
    body: answerFor(refresh.body.toString()),
    contentType: 'application/sdp',
  });
  const ack = await peer.request('ACK', 1000);
  assert.equal(cseq(ack).seq, cseq(refresh).seq);
  await advance(45_000);
  const second = await peer.request('INVITE', 1000);
  assert.ok(cseq(second).seq > cseq(refresh).seq, 'refreshed again');
  peer.reply(second, 200, { body: answerFor(second.body.toString()), contentType: 'application/sdp' });
  await peer.request('ACK', 1000);
  assert.equal(call.state, 'confirmed');
});

test('session timer, the peer refreshes (refresher=uac): BYE as session-expired when no refresh comes', async () => {
  const c = caller();
  const call = await c.establish(undefined, ['Session-Expires: 90;refresher=uac', 'Supported: timer']);
  const ok = peer.all(is2xxToInvite)[0];
  assert.equal(ok.headers.get('session-expires'), '90;refresher=uac');
  assert.equal(ok.headers.get('require'), 'timer');
  const end = ended(call);
  // RFC 4028 §10: the session ends Session-Expires − min(32, SE/3) seconds after the last refresh.
  await advance(59_999);
  assert.equal(count(isBye), 0);
  await advance(1);
  const bye = await peer.request('BYE', 1000);
  peer.reply(bye, 200);
  assert.equal(await end, 'session-expired');
});

test('session timer, the peer refreshes with UPDATE and re-INVITE: each refresh restarts the timer', async () => {
  const c = caller();
  const call = await c.establish(undefined, ['Session-Expires: 90;refresher=uac', 'Supported: timer']);
  await advance(50_000);
  c.send('UPDATE', { headers: ['Session-Expires: 90;refresher=uac', 'Supported: timer'] });
  const updated = await peer.response(200, 'UPDATE');
  assert.equal(updated.headers.get('session-expires'), '90;refresher=uac');
  await advance(50_000);
  c.send('INVITE', { body: peerOffer(), headers: ['Session-Expires: 90;refresher=uac', 'Supported: timer'] });
  await peer.response(200, 'INVITE');
  c.ack();
  await sleep(30);
  await advance(59_999);
  assert.equal(count(isBye), 0, 'the refreshes kept the session');
  assert.equal(call.state, 'confirmed');
  await advance(1);
  peer.reply(await peer.request('BYE', 1000), 200);
});

test('session timer without a refresher: a UAC that supports timers refreshes, one that does not leaves it to us', async () => {
  const a = caller();
  await a.establish(undefined, ['Session-Expires: 1800', 'Supported: timer']);
  assert.equal(peer.all(is2xxToInvite)[0].headers.get('session-expires'), '1800;refresher=uac');
  const b = caller();
  await b.establish(undefined, ['Session-Expires: 1800']);
  const ok = peer.all(is2xxToInvite).find((m) => m.headers.get('call-id') === b.callId)!;
  assert.equal(ok.headers.get('session-expires'), '1800;refresher=uas');
  assert.equal(ok.headers.get('require'), undefined, 'no Require: timer for a UAC without timer support');
});

test('minSessionExpires lowers the 422 threshold', async () => {
  const small = await startStack({ clock, minSessionExpires: 10 });
  try {
    small.stack.on('invite', (call) => void call.accept({ sdp: answerFor(call.offer!) }).catch(() => undefined));
    const c = new Caller(peer, small.stack, small.port);
    c.invite({ sdp: peerOffer(), headers: ['Session-Expires: 5'] });
    assert.equal((await peer.response(422, 'INVITE')).headers.get('min-se'), '10');
    const d = new Caller(peer, small.stack, small.port);
    d.invite({ sdp: peerOffer(), headers: ['Session-Expires: 20;refresher=uac', 'Supported: timer'] });
    const ok = d.tagFrom(await peer.response(200, 'INVITE'));
    assert.equal(ok.headers.get('session-expires'), '20;refresher=uac');
    d.ack();
  } finally {
    await Promise.race([small.stack.stop(), sleep(200)]);
    small.stack.transactions.close();
    await small.stack.transport.stop();
  }
});

test('rate limit: a flood from one source is dropped without any answer, another source is still served', async () => {
  const limited = await startStack({ clock, rateLimit: { rate: 1, burst: 3 } });
  const other = await RawPeer.open('127.0.0.2');
  try {
    const dropped: string[] = [];
    limited.stack.on('rateLimited', (source, method) => dropped.push(`${source.address} ${method}`));
    limited.stack.on('invite', (call) => call.reject(486));
    const options = (from: RawPeer): void =>
      from.send(
        requestText({ method: 'OPTIONS', uri: `sip:127.0.0.1:${limited.port}`, peer: from.hostport }),
        limited.port,
      );
    for (let i = 0; i < 8; i++) options(peer);
    for (let i = 0; i < 4; i++) {
      peer.send(
        requestText({
          method: 'INVITE',
          uri: `sip:x@127.0.0.1:${limited.port}`,
          peer: peer.hostport,
          body: peerOffer(),
        }),
        limited.port,
      );
    }
    await within(
      (async () => {
        while (dropped.length < 9) await sleep(10);
      })(),
      2000,
      'the flood to be counted',
    );
    options(other);
    await other.response(200, 'OPTIONS');
    clock.advance(1000); // the INVITE transactions' 200 ms "100 Trying" timers; the bucket refills one token
    await sleep(50);
    assert.equal(
      count((m) => m.kind === 'response' && m.status === 200),
      3,
      'burst of 3 answered',
    );
    assert.equal(
      count((m) => m.kind === 'response' && cseq(m).method === 'INVITE'),
      0,
      'dropped INVITEs: silence',
    );
    assert.equal(dropped.length, 9);
    assert.ok(dropped.every((d) => d.startsWith('127.0.0.1 ')));
    clock.advance(64 * 500); // Timer J ends the answered OPTIONS transactions
    assert.deepEqual(limited.stack.transactions.size, { server: 0, client: 0 }, 'dropped requests leave nothing');
  } finally {
    await other.close();
    await limited.stack.stop();
  }
});

test('in-dialog requests are not rate limited', async () => {
  const limited = await startStack({ clock, rateLimit: { rate: 1, burst: 1 } });
  try {
    const c = new Caller(peer, limited.stack, limited.port);
    const call = await c.establish();
    const digits: string[] = [];
    call.on('dtmf', (d) => digits.push(d));
    for (const d of ['1', '2', '3']) {
      c.send('INFO', { body: `Signal=${d}\r\nDuration=100\r\n`, contentType: 'application/dtmf-relay' });
      await peer.response(200, 'INFO');
    }
    assert.deepEqual(digits, ['1', '2', '3']);
    c.send('BYE');
    await peer.response(200, 'BYE');
  } finally {
    await limited.stack.stop();
  }
});
