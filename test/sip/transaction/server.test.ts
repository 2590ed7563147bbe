import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tagOf, to, topVia } from '../../../src/sip/headers.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/serialize.js';
import { TransportError, type ServerTransaction } from '../../../src/sip/transaction.js';
import type { TransportAddress } from '../../../src/sip/transport.js';
import { ackFor, cancelFor, flush, request, setup, TCP_PEER, UDP_PEER } from './fake.js';

function core(layer: ReturnType<typeof setup>['layer']) {
  const seen: { req: SipRequest; tx: ServerTransaction | null; source: TransportAddress }[] = [];
  layer.onRequest((req, tx, source) => seen.push({ req, tx, source }));
  return seen;
}

function answer(req: SipRequest, status: number, tag = 'uas1'): SipResponse {
  return createResponse(req, status, undefined, { toTag: status > 100 ? tag : undefined });
}

const statusOf = (m: { status?: number }) => m.status;

test('INVITE server: the core sees one INVITE; retransmissions get the last provisional again', () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  transport.deliver(inv);
  assert.equal(seen.length, 1);
  assert.equal(transport.sent.length, 0, 'nothing to resend before any response');
  const tx = seen[0].tx!;
  assert.equal(tx.state, 'proceeding');
  tx.respond(answer(inv, 180));
  transport.deliver(inv);
  transport.deliver(inv);
  assert.deepEqual(transport.responses().map(statusOf), [180, 180, 180]);
  assert.equal(seen.length, 1);
  assert.deepEqual(transport.sent[0].dest, { protocol: 'udp', address: '192.0.2.99', port: 5060 });
});

test('INVITE server: sends 100 Trying itself after 200 ms without a response from the core', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  clock.advance(199);
  assert.equal(transport.sent.length, 0);
  clock.advance(1);
  assert.deepEqual(transport.responses().map(statusOf), [100]);
  const trying = transport.responses()[0];
  assert.equal(tagOf(to(trying)), undefined, '100 carries no To tag');
  assert.equal(trying.headers.get('call-id'), inv.headers.get('call-id'));
  transport.deliver(inv);
  assert.deepEqual(transport.responses().map(statusOf), [100, 100], 'retransmission answered with the 100');
  seen[0].tx!.respond(answer(inv, 180));
  assert.deepEqual(transport.responses().map(statusOf), [100, 100, 180]);
});

test('INVITE server: no 100 Trying when the core answers within 200 ms; none for non-INVITE', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  clock.advance(100);
  seen[0].tx!.respond(answer(inv, 180));
  clock.advance(1000);
  assert.deepEqual(transport.responses().map(statusOf), [180]);

  transport.deliver(request({ method: 'OPTIONS' }));
  clock.advance(1000);
  assert.deepEqual(transport.responses().map(statusOf), [180]);
});

test('INVITE server non-2xx over UDP: Timer G doubles up to T2, Timer H reports the missing ACK', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  const tx = seen[0].tx!;
  let timeouts = 0;
  let terminated = 0;
  tx.on('timeout', () => timeouts++);
  tx.on('terminated', () => terminated++);
  tx.respond(answer(inv, 486));
  assert.equal(tx.state, 'completed');
  clock.advance(64 * 500);
  const times = transport.times((m) => m.kind === 'response' && m.status === 486);
  assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(timeouts, 1);
  assert.equal(terminated, 1);
  assert.equal(tx.state, 'terminated');
  assert.deepEqual(layer.size, { server: 0, client: 0 });
  clock.advance(100_000);
  assert.equal(transport.sent.length, 11);
});

test('INVITE server: T1/T2 are configurable (T1=100, T2=400 → G 100,200,400,400…, H at 6400)', () => {
  const { clock, transport, layer } = setup({ timers: { T1: 100, T2: 400 } });
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  let timeoutAt = -1;
  seen[0].tx!.on('timeout', () => (timeoutAt = clock.now()));
  seen[0].tx!.respond(answer(inv, 603));
  clock.advance(10_000);
  const times = transport.times(() => true);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.deepEqual(gaps.slice(0, 4), [100, 200, 400, 400]);
  assert.ok(gaps.every((g) => g <= 400));
  assert.equal(times.at(-1)! < 6400, true);
  assert.equal(timeoutAt, 6400);
});

test('INVITE server: ACK for the non-2xx is absorbed, stops G, Timer I (T4) ends the transaction', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  const tx = seen[0].tx!;
  const res = answer(inv, 486);
  tx.respond(res);
  clock.advance(1000); // one retransmission at 500
  const ack = ackFor(inv, res);
  transport.deliver(ack);
  assert.equal(tx.state, 'confirmed');
  assert.equal(seen.length, 1, 'the core never sees the ACK for a non-2xx');
  transport.deliver(ack);
  transport.deliver(inv);
  clock.advance(4999);
  assert.equal(transport.responses().length, 2, 'no retransmission after the ACK; INVITE/ACK absorbed');
  assert.equal(layer.size.server, 1);
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.server, 0);
});

test('INVITE server over TCP: no Timer G, the ACK ends the transaction at once (Timer I = 0)', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request({ transport: 'TCP' });
  transport.deliver(inv, TCP_PEER);
  const tx = seen[0].tx!;
  assert.equal(tx.reliable, true);
  const res = answer(inv, 480);
  tx.respond(res);
  assert.equal(transport.sent[0].dest.connectionId, 'c1');
  clock.advance(10_000);
  assert.equal(transport.responses().length, 1);
  transport.deliver(ackFor(inv, res), TCP_PEER);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.server, 0);
});

test('INVITE server 2xx (RFC 6026): Accepted absorbs INVITE retransmissions, passes ACKs up, Timer L ends it', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request({ body: 'v=0' });
  transport.deliver(inv);
  const tx = seen[0].tx!;
  const ok = answer(inv, 200);
  tx.respond(ok);
  assert.equal(tx.state, 'accepted');
  transport.deliver(inv);
  assert.equal(seen.length, 1, 'INVITE retransmission absorbed');
  assert.equal(transport.responses().length, 1, 'and not answered by the transaction');
  tx.respond(ok); // the core's own 2xx retransmission goes out through the transaction
  assert.equal(transport.responses().length, 2);
  tx.respond(answer(inv, 500));
  assert.equal(transport.responses().length, 2, 'no non-2xx after a 2xx');

  const ack = ackFor(inv, ok, 'z9hG4bK-ack-new');
  transport.deliver(ack);
  assert.equal(seen.length, 2);
  assert.equal(seen[1].req.method, 'ACK');
  assert.equal(seen[1].tx, null, 'an ACK for a 2xx goes to the core without a transaction');
  transport.deliver(ackFor(inv, ok)); // same branch (a sloppy UA): still the core's
  assert.equal(seen.length, 3);
  assert.equal(seen[2].tx, null);

  let terminated = false;
  tx.on('terminated', () => (terminated = true));
  clock.advance(64 * 500 - 1);
  assert.equal(tx.state, 'accepted');
  clock.advance(1);
  assert.equal(terminated, true);
  assert.deepEqual(layer.size, { server: 0, client: 0 });
  transport.deliver(ackFor(inv, ok, 'z9hG4bK-ack-late'));
  assert.equal(seen.length, 4, 'a late ACK still reaches the core');
});

test('non-INVITE server: Trying absorbs, Proceeding resends the 1xx, Completed resends the final; Timer J', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const bye = request({ method: 'BYE', toTag: 'x' });
  transport.deliver(bye);
  const tx = seen[0].tx!;
  assert.equal(tx.state, 'trying');
  transport.deliver(bye);
  assert.equal(transport.sent.length, 0);
  tx.respond(answer(bye, 180));
  assert.equal(tx.state, 'proceeding');
  transport.deliver(bye);
  assert.deepEqual(transport.responses().map(statusOf), [180, 180]);
  tx.respond(answer(bye, 200));
  assert.equal(tx.state, 'completed');
  transport.deliver(bye);
  assert.deepEqual(transport.responses().map(statusOf), [180, 180, 200, 200]);
  assert.equal(seen.length, 1);
  clock.advance(10_000);
  assert.equal(transport.responses().length, 4, 'no retransmission of non-INVITE finals by the server');
  clock.advance(64 * 500 - 10_000 - 1);
  assert.equal(layer.size.server, 1);
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.server, 0);
});

test('non-INVITE server over TCP: Timer J is zero', () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  const opt = request({ method: 'OPTIONS', transport: 'TCP' });
  transport.deliver(opt, TCP_PEER);
  seen[0].tx!.respond(answer(opt, 200));
  assert.equal(seen[0].tx!.state, 'terminated');
  assert.equal(layer.size.server, 0);
});

test('CANCEL: 200 to the CANCEL with the INVITE tag, cancelled event; the core answers 487, ACK absorbed', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  clock.advance(300); // 100 Trying sent
  const tx = seen[0].tx!;
  const cancelled: SipRequest[] = [];
  tx.on('cancelled', (c) => cancelled.push(c));
  const cancel = cancelFor(inv);
  transport.deliver(cancel);
  assert.equal(seen.length, 1, 'the CANCEL is answered by the layer');
  assert.equal(cancelled.length, 1);
  assert.equal(tx.cancelledBy, cancel);
  const ok = transport.responses(200)[0];
  assert.equal(ok.headers.get('cseq'), '1 CANCEL');
  const tag = tagOf(to(ok));
  assert.ok(tag);
  assert.equal(tx.toTag, tag);
  tx.respond(answer(inv, 487, tx.toTag));
  assert.equal(tagOf(to(transport.responses(487)[0])), tag, '487 and the 200 to CANCEL share the To tag');
  transport.deliver(cancel); // CANCEL retransmission → the 200 again, no second event
  assert.equal(transport.responses(200).length, 2);
  assert.equal(cancelled.length, 1);
  transport.deliver(ackFor(inv, transport.responses(487)[0]));
  assert.equal(tx.state, 'confirmed');
  clock.runAll();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
});

test('CANCEL that matches nothing gets 481; after a final it gets 200 and changes nothing', () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  transport.deliver(cancelFor(request({ branch: 'z9hG4bK-nothing' })));
  assert.deepEqual(transport.responses().map(statusOf), [481]);
  const inv = request();
  transport.deliver(inv);
  const tx = seen[0].tx!;
  tx.respond(answer(inv, 200));
  let cancelled = 0;
  tx.on('cancelled', () => cancelled++);
  transport.deliver(cancelFor(inv));
  assert.deepEqual(transport.responses().map(statusOf), [481, 200, 200]);
  assert.equal(cancelled, 0);
  assert.equal(tx.state, 'accepted');
});

test('CANCEL matching uses the branch and sent-by: a CANCEL with another sent-by does not match', () => {
  const { transport, layer } = setup();
  core(layer);
  const inv = request({ branch: 'z9hG4bK-same' });
  transport.deliver(inv);
  transport.deliver(cancelFor(request({ branch: 'z9hG4bK-same', sentBy: '192.0.2.55:5060' })));
  assert.deepEqual(transport.responses().map(statusOf), [481]);
});

test('handleCancel: false passes the CANCEL to the core with the matched INVITE transaction', () => {
  const { transport, layer } = setup({ handleCancel: false });
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  transport.deliver(cancelFor(inv));
  assert.equal(seen.length, 2);
  assert.equal(seen[1].req.method, 'CANCEL');
  assert.equal(seen[1].tx!.cancels, seen[0].tx);
  assert.equal(transport.sent.length, 0);
});

test('RFC 2543 matching (no magic cookie): retransmissions, ACK by To tag, different From tag is new', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  const inv = request({ branch: null });
  transport.deliver(inv);
  transport.deliver(request({ branch: null }));
  assert.equal(seen.length, 1, 'an identical RFC 2543 INVITE is a retransmission');
  transport.deliver(request({ branch: null, fromTag: 'other' }));
  assert.equal(seen.length, 2, 'another From tag is another transaction');
  const tx = seen[0].tx!;
  const res = answer(inv, 486, 'uas-2543');
  tx.respond(res);
  // An ACK whose To tag is not the one we sent does not match (it reaches the core).
  transport.deliver(ackFor(inv, answer(inv, 486, 'wrong')));
  assert.equal(seen.length, 3);
  assert.equal(seen[2].tx, null);
  assert.equal(tx.state, 'completed');
  transport.deliver(ackFor(inv, res));
  assert.equal(tx.state, 'confirmed');
  assert.equal(seen.length, 3);
  // Old-style non-cookie branch: also RFC 2543 rules.
  const old = request({ branch: 'abc123', callId: 'old@x' });
  transport.deliver(old);
  transport.deliver(request({ branch: 'abc123', callId: 'old@x' }));
  assert.equal(seen.length, 4);
  seen[1].tx!.respond(answer(seen[1].req, 603));
  seen[3].tx!.respond(answer(old, 200));
  clock.runAll();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
});

test('server transport error: reported as an event and the transaction ends', async () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  const inv = request();
  transport.deliver(inv);
  const tx = seen[0].tx!;
  const errors: TransportError[] = [];
  tx.on('transportError', (e) => errors.push(e));
  transport.failWith = new Error('network unreachable');
  tx.respond(answer(inv, 486));
  await flush();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof TransportError);
  assert.equal(errors[0].status, 503);
  assert.match(errors[0].message, /network unreachable/);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.server, 0);
});

test('invalid requests are answered by the layer and never reach the core', () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  const bad = request();
  bad.headers.set('CSeq', '1 BYE');
  transport.deliver(bad);
  transport.deliver(bad);
  assert.equal(seen.length, 0);
  const res = transport.responses();
  assert.deepEqual(res.map(statusOf), [400, 400], 'the error response is resent for a retransmission');
  assert.match(res[0].reason, /CSeq/);
  assert.ok(tagOf(to(res[0])));
  const noCallId = request({ method: 'OPTIONS' });
  noCallId.headers.delete('call-id');
  transport.deliver(noCallId);
  assert.match(transport.responses().at(-1)!.reason, /Call-ID/);
  const ackBad = request({ method: 'ACK' });
  ackBad.headers.delete('from');
  transport.deliver(ackBad);
  assert.equal(seen.length, 0, 'a broken ACK is dropped');
  assert.equal(transport.responses().length, 3);
});

test('a core that throws gets a 500 sent for it; the error is reported', () => {
  const { transport, layer, errors } = setup();
  layer.onRequest(() => {
    throw new Error('core bug');
  });
  transport.deliver(request({ method: 'OPTIONS' }));
  assert.deepEqual(transport.responses().map(statusOf), [500]);
  assert.equal(errors.length, 1);
});

test('responses over UDP follow Via received/rport (RFC 3581)', () => {
  const { transport, layer } = setup();
  const seen = core(layer);
  const inv = request({ method: 'OPTIONS', sentBy: '10.0.0.5:5062;rport=40001;received=203.0.113.7' });
  transport.deliver(inv, { protocol: 'udp', address: '203.0.113.7', port: 40001 });
  seen[0].tx!.respond(answer(inv, 200));
  assert.deepEqual(transport.sent[0].dest, { protocol: 'udp', address: '203.0.113.7', port: 40001 });
  assert.equal(topVia(transport.sent[0].msg).received, '203.0.113.7');
});

test('server maps are empty after many transactions of every kind', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  for (let i = 0; i < 200; i++) {
    const n = seen.length;
    const kind = i % 5;
    const source: TransportAddress = kind === 4 ? TCP_PEER : UDP_PEER;
    const req = request({
      method: kind === 2 ? 'OPTIONS' : 'INVITE',
      callId: `c${i}`,
      transport: kind === 4 ? 'TCP' : 'UDP',
    });
    transport.deliver(req, source);
    const tx = seen[n].tx!;
    if (kind === 0) {
      const r = answer(req, 486);
      tx.respond(r);
      transport.deliver(ackFor(req, r));
    } else if (kind === 1) tx.respond(answer(req, 200));
    else if (kind === 2) tx.respond(answer(req, 200));
    else if (kind === 3) {
      transport.deliver(cancelFor(req));
      tx.respond(answer(req, 487, tx.toTag));
    } else tx.respond(answer(req, 404));
    clock.advance(7);
  }
  clock.runAll();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
  assert.equal(clock.pending, 0);
});

test('close() drops every transaction and detaches from the transport', () => {
  const { clock, transport, layer } = setup();
  const seen = core(layer);
  transport.deliver(request());
  transport.deliver(request({ method: 'OPTIONS' }));
  assert.equal(layer.size.server, 2);
  layer.close();
  assert.equal(layer.size.server, 0);
  assert.equal(clock.pending, 0);
  transport.deliver(request({ callId: 'after' }));
  assert.equal(seen.length, 2);
});
