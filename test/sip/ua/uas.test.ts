// The UAS core over real UDP on loopback, driven by a raw peer that writes exact SIP: provisional responses with
// early media, the 2xx and its ACK, CANCEL, in-dialog requests (re-INVITE, UPDATE, INFO, BYE), the stack's
// out-of-dialog answers (481, OPTIONS, 420, 415, 422, 405, 501, 404, 503) and a delayed offer.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { cseq, tagOf, to } from '../../../src/sip/headers.js';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import type { OfferRequest } from '../../../src/sip/session.js';
import { answerOffer, createOffer, isHoldOffer } from '../../../src/sip/sdp.js';
import type { SipStack } from '../../../src/sip/stack.js';
import {
  Caller,
  MEDIA_A,
  RawPeer,
  answerFor,
  branch,
  ended,
  once,
  peerOffer,
  requestText,
  sleep,
  startStack,
  within,
} from './helpers.js';

let stack: SipStack;
let port: number;
let peer: RawPeer;
let calls: IncomingCall[];

beforeEach(async () => {
  ({ stack, port } = await startStack({ timers: { T1: 20 } }));
  peer = await RawPeer.open();
  calls = [];
});

afterEach(async () => {
  for (const c of calls) c.removeAllListeners();
  await peer.close();
  await within(stack.stop(), 3000, 'stack.stop');
});

/** Wait for the next `invite` event (the stack's IncomingCall). */
function nextCall(): Promise<IncomingCall> {
  return once<[IncomingCall]>(stack, 'invite').then(([c]) => {
    calls.push(c);
    return c;
  });
}

const caller = (user?: string): Caller => new Caller(peer, stack, port, user);

const sdpVersion = (sdp: string): bigint => BigInt(/^o=\S+ \S+ (\d+)/m.exec(sdp)![1]);

test('INVITE: 100 at once, 180 then 183 with early SDP, 200 with the answer, ACK confirms; one To tag', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer(), headers: ['Record-Route: <sip:127.0.0.1:5999;lr>'] });
  const trying = await peer.response(100, 'INVITE');
  assert.equal(tagOf(to(trying)), undefined, '100 Trying has no To tag');
  const call = await incoming;
  assert.equal(call.toUser, 'bob');
  assert.ok(call.offer?.includes('m=audio'));

  call.progress(180);
  const ringing = await peer.response(180, 'INVITE');
  assert.equal(ringing.body.length, 0);
  assert.equal(call.state, 'early');
  const early = answerOffer(call.offer!, MEDIA_A);
  assert.ok(early.ok);
  call.progress(183, { sdp: early.answer });
  const progress = await peer.response(183, 'INVITE');
  assert.equal(progress.headers.get('content-type'), 'application/sdp');
  assert.equal(progress.body.toString(), early.answer);
  assert.deepEqual(progress.headers.values('record-route'), ['<sip:127.0.0.1:5999;lr>']);

  const confirmed = once(call, 'confirmed');
  const acked = call.accept({ sdp: early.answer });
  const ok = c.tagFrom(await peer.response(200, 'INVITE'));
  for (const r of [ringing, progress, ok]) assert.equal(tagOf(to(r)), c.toTag, 'same To tag on 180, 183, 200');
  assert.ok(c.toTag);
  assert.equal(ok.body.toString(), early.answer);
  assert.match(ok.headers.get('contact')!, /^<sip:pivot@127\.0\.0\.1:\d+>$/);
  assert.match(ok.headers.get('allow')!, /\bINFO\b.*\bUPDATE\b/);
  assert.deepEqual(ok.headers.values('record-route'), ['<sip:127.0.0.1:5999;lr>'], 'Record-Route copied into 2xx');
  c.ack();
  await within(acked, 2000, 'accept() to resolve');
  await confirmed;
  assert.equal(call.state, 'confirmed');
  assert.equal(call.remoteSdp, call.offer);
  assert.equal(call.localSdp, early.answer);
  assert.equal(stack.sessionCount, 1);

  const end = ended(call);
  c.send('BYE');
  const byeOk = await peer.response(200, 'BYE');
  assert.equal(tagOf(to(byeOk)), c.toTag);
  assert.equal(await end, 'remote-bye');
  assert.equal(stack.sessionCount, 0);
});

test('the 2xx is retransmitted until the ACK, and not after it', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  const acked = call.accept({ sdp: answerFor(call.offer!) });
  c.tagFrom(await peer.response(200, 'INVITE'));
  await peer.response(200, 'INVITE', 1000); // T1 = 20 ms: the first retransmission
  await peer.response(200, 'INVITE', 1000);
  c.ack();
  await within(acked, 2000, 'accept() to resolve');
  const count = peer.all((m) => m.kind === 'response' && m.status === 200).length;
  await sleep(250); // several retransmission intervals (20, 40, 80… ms) later
  assert.equal(peer.all((m) => m.kind === 'response' && m.status === 200).length, count, 'no 2xx after the ACK');
  assert.equal(call.state, 'confirmed');
});

test('no ACK: the 2xx is retransmitted, then the call is hung up with BYE as ack-timeout', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  const end = ended(call, 6000);
  const acked = call.accept({ sdp: answerFor(call.offer!) });
  const rejected = assert.rejects(acked, /ack-timeout/);
  c.tagFrom(await peer.response(200, 'INVITE'));
  const bye = await peer.request('BYE', 6000); // 64·T1 = 1.28 s
  assert.equal(tagOf(to(bye)), c.fromTag);
  peer.reply(bye, 200);
  assert.equal(await end, 'ack-timeout');
  await rejected;
  const retransmissions = peer.all((m) => m.kind === 'response' && m.status === 200).length - 1;
  assert.ok(retransmissions >= 4, `2xx retransmitted ${retransmissions} times`);
});

test('a BYE before the ACK ends the call: 200, remote-bye, no more 2xx retransmissions', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  const acked = call.accept({ sdp: answerFor(call.offer!) });
  const rejected = assert.rejects(acked, /remote-bye/);
  c.tagFrom(await peer.response(200, 'INVITE'));
  const end = ended(call);
  c.send('BYE');
  await peer.response(200, 'BYE');
  assert.equal(await end, 'remote-bye');
  await rejected;
  const count = peer.all((m) => m.kind === 'response' && cseq(m).method === 'INVITE').length;
  await sleep(200);
  assert.equal(peer.all((m) => m.kind === 'response' && cseq(m).method === 'INVITE').length, count);
});

test('CANCEL before any answer: 200 for the CANCEL, 487 for the INVITE with the same To tag, `cancel`', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  await peer.response(100, 'INVITE');
  const end = ended(call);
  c.cancel();
  const cancelOk = await peer.response(200, 'CANCEL');
  const terminated = await peer.response(487, 'INVITE');
  assert.equal(await end, 'cancel');
  assert.equal(tagOf(to(cancelOk)), tagOf(to(terminated)), 'the CANCEL and the INVITE are answered with one To tag');
  c.tagFrom(terminated);
  c.ackFailure(); // absorbed by the INVITE transaction
  await sleep(30);
  const count = peer.all((m) => m.kind === 'response' && m.status === 487).length;
  await sleep(200); // Timer G (T1 = 20 ms) would have resent it several times
  assert.equal(peer.all((m) => m.kind === 'response' && m.status === 487).length, count, 'the 487 was acknowledged');
  assert.equal(stack.sessionCount, 0);
  assert.equal(call.state, 'terminated');
});

test('CANCEL while ringing: 200, then 487 with the tag of the 180', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  call.progress(180);
  const ringing = await peer.response(180, 'INVITE');
  const end = ended(call);
  c.cancel();
  const cancelOk = await peer.response(200, 'CANCEL');
  const terminated = await peer.response(487, 'INVITE');
  assert.equal(tagOf(to(terminated)), tagOf(to(ringing)));
  assert.equal(tagOf(to(cancelOk)), tagOf(to(ringing)));
  assert.equal(await end, 'cancel');
  assert.equal(stack.sessionCount, 0);
});

test('CANCEL after the 200: the CANCEL gets 200, the INVITE no 487, the call goes on', async () => {
  const c = caller();
  const call = await c.establish();
  // The INVITE transaction lives on for Timer L after the 200: it must not hold the call through its listener.
  assert.equal(call.tx.listenerCount('cancelled'), 0, 'the final response detached the call from its transaction');
  c.cancel();
  await peer.response(200, 'CANCEL');
  await sleep(100);
  assert.equal(peer.all((m) => m.kind === 'response' && m.status === 487).length, 0);
  assert.equal(call.state, 'confirmed');
});

test('CANCEL for an unknown INVITE gets 481', async () => {
  const c = caller();
  c.inviteBranch = branch();
  c.cancel();
  await peer.response(481, 'CANCEL');
});

test('re-INVITE to hold and resume: the offer listener answers recvonly, then sendrecv; Contact in each 200', async () => {
  const c = caller();
  const offers: OfferRequest[] = [];
  const call = await c.establish((call) =>
    call.on('offer', (offer) => {
      offers.push(offer);
      const answer = answerOffer(offer.sdp!, { ...MEDIA_A, sessionVersion: offers.length + 1 });
      if (answer.ok) offer.answer(answer.answer);
      else offer.reject(488);
    }),
  );
  const hold = peerOffer({ direction: 'sendonly' });
  assert.ok(isHoldOffer(hold));
  c.send('INVITE', { body: hold });
  const held = await peer.response(200, 'INVITE');
  assert.match(held.body.toString(), /a=recvonly/);
  assert.match(held.headers.get('contact')!, /^<sip:pivot@/);
  c.ack();
  assert.equal(offers.length, 1);
  assert.equal(offers[0].method, 'INVITE');
  assert.equal(call.remoteSdp, hold);
  assert.equal(call.localSdp, held.body.toString());

  const resume = peerOffer({ direction: 'sendrecv' });
  c.send('INVITE', { body: resume });
  const resumed = await peer.response(200, 'INVITE');
  assert.match(resumed.body.toString(), /a=sendrecv/);
  c.ack();
  assert.equal(call.remoteSdp, resume);
  assert.equal(call.state, 'confirmed');
});

test('re-INVITE refused by the offer listener: 488, the previous SDP stays', async () => {
  const c = caller();
  const call = await c.establish((call) => call.on('offer', (offer) => offer.reject(488, 'Not Acceptable Here')));
  const before = call.localSdp;
  c.send('INVITE', { body: peerOffer({ codecs: [] as never[] }) });
  await peer.response(488, 'INVITE');
  assert.equal(call.localSdp, before);
  assert.equal(call.state, 'confirmed');
});

test('re-INVITE without an offer listener: the last local SDP again, its o= version bumped each time', async () => {
  const c = caller();
  const call = await c.establish();
  const first = call.localSdp!;
  c.send('INVITE', { body: peerOffer({ direction: 'sendonly' }) });
  const again = await peer.response(200, 'INVITE');
  c.ack();
  assert.equal(sdpVersion(again.body.toString()), sdpVersion(first) + 1n);
  assert.equal(again.body.toString().replace(/^o=.*$/m, ''), first.replace(/^o=.*$/m, ''));
  c.send('INVITE', { body: peerOffer() });
  const third = await peer.response(200, 'INVITE');
  c.ack();
  assert.equal(sdpVersion(third.body.toString()), sdpVersion(first) + 2n);
});

test('re-INVITE without SDP: our SDP goes in the 200 as the offer, the answer comes in the ACK', async () => {
  const c = caller();
  const call = await c.establish();
  const first = call.localSdp!;
  c.send('INVITE');
  const ok = await peer.response(200, 'INVITE');
  assert.equal(sdpVersion(ok.body.toString()), sdpVersion(first) + 1n);
  const answer = answerFor(ok.body.toString(), { ...MEDIA_A, port: 43000 });
  c.ack({ sdp: answer });
  await sleep(50);
  assert.equal(call.remoteSdp, answer);
  assert.equal(call.state, 'confirmed');
});

test('UPDATE with SDP goes to the offer listener; UPDATE without SDP is a plain 200', async () => {
  const c = caller();
  const seen: (string | undefined)[] = [];
  const call = await c.establish((call) =>
    call.on('offer', (offer) => {
      seen.push(offer.method);
      const answer = answerOffer(offer.sdp!, MEDIA_A);
      if (answer.ok) offer.answer(answer.answer);
    }),
  );
  const offer = peerOffer({ direction: 'sendonly' });
  c.send('UPDATE', { body: offer });
  const updated = await peer.response(200, 'UPDATE');
  assert.match(updated.body.toString(), /a=recvonly/);
  assert.equal(call.remoteSdp, offer);
  c.send('UPDATE');
  const plain = await peer.response(200, 'UPDATE');
  assert.equal(plain.body.length, 0);
  assert.deepEqual(seen, ['UPDATE']);
});

test('UPDATE with SDP and no offer listener re-answers the last local SDP', async () => {
  const c = caller();
  const call = await c.establish();
  const first = call.localSdp!;
  c.send('UPDATE', { body: peerOffer() });
  const res = await peer.response(200, 'UPDATE');
  assert.equal(sdpVersion(res.body.toString()), sdpVersion(first) + 1n);
});

test('INFO application/dtmf-relay: 200 and `dtmf` for Signal=5 and Signal=#; other INFO → `info`', async () => {
  const c = caller();
  const call = await c.establish();
  const digits: [string, number][] = [];
  call.on('dtmf', (d, ms) => digits.push([d, ms]));
  const infos: string[] = [];
  call.on('info', (req) => infos.push(req.body.toString()));
  c.send('INFO', { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
  await peer.response(200, 'INFO');
  c.send('INFO', { body: 'Signal= #\r\nDuration= 250\r\n', contentType: 'application/dtmf-relay' });
  await peer.response(200, 'INFO');
  c.send('INFO', { body: 'nothing here\r\n', contentType: 'application/dtmf-relay' });
  await peer.response(400, 'INFO');
  c.send('INFO', { body: '<xml/>', contentType: 'application/media_control+xml' });
  await peer.response(200, 'INFO');
  assert.deepEqual(digits, [
    ['5', 160],
    ['#', 250],
  ]);
  assert.deepEqual(infos, ['<xml/>']);
});

test('a request with a lower CSeq than the last one in the dialog gets 500', async () => {
  const c = caller();
  await c.establish();
  c.send('INFO', { seq: 50, body: 'Signal=1\r\n', contentType: 'application/dtmf-relay' });
  await peer.response(200, 'INFO');
  c.send('INFO', { seq: 40, body: 'Signal=2\r\n', contentType: 'application/dtmf-relay' });
  const res = await peer.response(500, 'INFO');
  assert.match(res.reason, /CSeq/);
});

test('in-dialog requests for an unknown dialog get 481 (BYE, INFO, re-INVITE, out-of-dialog BYE)', async () => {
  const c = caller();
  await c.establish();
  c.send('BYE', { toTag: 'no-such-tag' });
  await peer.response(481, 'BYE');
  c.send('INFO', { toTag: 'no-such-tag', body: 'Signal=1', contentType: 'application/dtmf-relay' });
  await peer.response(481, 'INFO');
  c.send('INVITE', { toTag: 'no-such-tag', body: peerOffer() });
  await peer.response(481, 'INVITE');
  const stray = caller();
  stray.send('BYE', { toTag: '' });
  await peer.response(481, 'BYE');
});

test('remote target refresh and Record-Route: our BYE follows the new Contact through the route set', async () => {
  const c = caller();
  const incoming = nextCall();
  // The "proxy" is the raw peer itself, so the BYE comes back to it.
  c.invite({ sdp: peerOffer(), headers: [`Record-Route: <sip:${peer.hostport};lr>`] });
  const call = await incoming;
  const acked = call.accept({ sdp: answerFor(call.offer!) });
  c.tagFrom(await peer.response(200, 'INVITE'));
  c.ack();
  await within(acked, 2000, 'the ACK');
  c.send('INVITE', { body: peerOffer(), contact: '<sip:moved@127.0.0.1:5999>' });
  await peer.response(200, 'INVITE');
  c.ack();
  const end = ended(call);
  const done = call.bye();
  const bye = await peer.request('BYE');
  assert.equal(bye.uri, 'sip:moved@127.0.0.1:5999');
  assert.deepEqual(bye.headers.values('route'), [`<sip:${peer.hostport};lr>`]);
  assert.equal(tagOf(to(bye)), c.fromTag);
  assert.ok(cseq(bye).seq > 0);
  peer.reply(bye, 200);
  await within(done, 2000, 'bye() to resolve');
  assert.equal(await end, 'local-bye');
});

test('OPTIONS: 200 with Allow, Accept and Supported; 503 while draining, and new INVITEs get 503 too', async () => {
  const opts = (): void =>
    peer.send(requestText({ method: 'OPTIONS', uri: `sip:127.0.0.1:${port}`, peer: peer.hostport }), port);
  opts();
  const ok = await peer.response(200, 'OPTIONS');
  assert.match(ok.headers.get('allow')!, /INVITE.*ACK.*CANCEL.*BYE.*OPTIONS.*INFO.*UPDATE/);
  assert.match(ok.headers.get('accept')!, /application\/sdp/);
  assert.match(ok.headers.get('accept')!, /application\/dtmf-relay/);
  assert.equal(ok.headers.get('supported'), 'timer');
  stack.draining = true;
  opts();
  const draining = await peer.response(503, 'OPTIONS');
  assert.ok(draining.headers.get('allow'));
  caller().invite({ sdp: peerOffer() });
  const refused = await peer.response(503, 'INVITE');
  assert.equal(refused.headers.get('retry-after'), '30');
});

test('INVITE refusals: 420 with Unsupported, 415 with Accept, 422 with Min-SE, 404 without a listener', async () => {
  stack.on('invite', (call) => void call.accept({ sdp: createOffer(MEDIA_A) }).catch(() => undefined));
  caller().invite({ sdp: peerOffer(), headers: ['Require: 100rel, timer'] });
  const r420 = await peer.response(420, 'INVITE');
  assert.equal(r420.headers.get('unsupported'), '100rel');

  caller().invite({ sdp: 'hello', contentType: 'text/plain' });
  const r415 = await peer.response(415, 'INVITE');
  assert.equal(r415.headers.get('accept'), 'application/sdp');

  caller().invite({ sdp: peerOffer(), headers: ['Session-Expires: 30', 'Supported: timer'] });
  const r422 = await peer.response(422, 'INVITE');
  assert.equal(r422.headers.get('min-se'), '90');

  // Require: timer is supported: the call goes through.
  const accepted = caller();
  accepted.invite({ sdp: peerOffer(), headers: ['Require: timer', 'Session-Expires: 1800', 'Supported: timer'] });
  accepted.tagFrom(await peer.response(200, 'INVITE'));
  accepted.ack();

  stack.removeAllListeners('invite');
  caller().invite({ sdp: peerOffer() });
  const r404 = await peer.response(404, 'INVITE');
  assert.ok(tagOf(to(r404)), '404 carries a To tag');
});

test('MESSAGE gets 405 with Allow; an unknown method gets 501; out-of-dialog INFO gets 481', async () => {
  const send = (method: string, body?: string): void =>
    peer.send(
      requestText({ method, uri: `sip:bob@127.0.0.1:${port}`, peer: peer.hostport, body, contentType: 'text/plain' }),
      port,
    );
  send('MESSAGE', 'hi');
  const r405 = await peer.response(405, 'MESSAGE');
  assert.match(r405.headers.get('allow')!, /INVITE/);
  send('FOO');
  const r501 = await peer.response(501, 'FOO');
  assert.match(r501.headers.get('allow')!, /INVITE/);
  send('INFO');
  await peer.response(481, 'INFO');
});

test('delayed offer: no SDP in the INVITE, our offer in the 200, the answer in the ACK', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite();
  const call = await incoming;
  assert.equal(call.offer, undefined);
  const offer = createOffer(MEDIA_A);
  const acked = call.accept({ sdp: offer });
  const ok = c.tagFrom(await peer.response(200, 'INVITE'));
  assert.equal(ok.body.toString(), offer);
  const answer = answerOffer(offer, { ...MEDIA_A, port: 42000 });
  assert.ok(answer.ok);
  c.ack({ sdp: answer.answer });
  await within(acked, 2000, 'the ACK');
  assert.equal(call.remoteSdp, answer.answer);
  assert.equal(call.localSdp, offer);
});

test('an ACK before any 2xx does not confirm the call; the 2xx that follows still waits for its own ACK', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  call.progress(180);
  c.tagFrom(await peer.response(180, 'INVITE'));
  c.ack(); // a stray ACK in the early dialog
  await sleep(50);
  assert.notEqual(call.state, 'confirmed');
  const acked = call.accept({ sdp: answerFor(call.offer!) });
  await peer.response(200, 'INVITE');
  await peer.response(200, 'INVITE', 1000); // retransmitted: no ACK for it yet
  c.ack();
  await within(acked, 2000, 'the ACK');
  assert.equal(call.state, 'confirmed');
});

test('INFO in the early dialog (after 180) is answered by the call', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  call.progress(180);
  c.tagFrom(await peer.response(180, 'INVITE'));
  const dtmf = once<[string]>(call, 'dtmf');
  c.send('INFO', { body: 'Signal=9\r\n', contentType: 'application/dtmf-relay' });
  await peer.response(200, 'INFO');
  assert.equal((await dtmf)[0], '9');
  call.reject(486);
  await peer.response(486, 'INVITE');
});

test('stop(): a ringing call is refused with 503 and its session ends', async () => {
  const c = caller();
  const incoming = nextCall();
  c.invite({ sdp: peerOffer() });
  const call = await incoming;
  call.progress(180);
  await peer.response(180, 'INVITE');
  const end = ended(call);
  await within(stack.stop(), 3000, 'stack.stop');
  await peer.response(503, 'INVITE');
  assert.equal(await end, 'rejected');
});
