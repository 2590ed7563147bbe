import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tagOf, to, topVia } from '../../../src/sip/headers.js';
import type { SipMessage, SipResponse } from '../../../src/sip/message.js';
import type { ClientHandlers, ClientTransaction, TransportError } from '../../../src/sip/transaction.js';
import type { TransportAddress } from '../../../src/sip/transport.js';
import { flush, outgoing, reply, setup, TCP_PEER, UDP_PEER } from './fake.js';

function recorder() {
  const log = {
    provisional: [] as SipResponse[],
    final: [] as SipResponse[],
    timeouts: 0,
    timeoutAt: -1,
    transportErrors: [] as TransportError[],
    additional: [] as SipResponse[],
  };
  return log;
}

function handlers(log: ReturnType<typeof recorder>, clock?: { now(): number }, additional = true): ClientHandlers {
  const h: ClientHandlers = {
    onProvisional: (r) => log.provisional.push(r),
    onFinal: (r) => log.final.push(r),
    onTimeout: () => {
      log.timeouts++;
      log.timeoutAt = clock?.now() ?? -1;
    },
    onTransportError: (e) => log.transportErrors.push(e),
  };
  if (additional) h.onAdditional2xx = (r) => log.additional.push(r);
  return h;
}

const isReq = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;

test('sendRequest adds a Via with a magic-cookie branch and the transport sent-by; keys by branch', () => {
  const { transport, layer } = setup();
  const log = recorder();
  const req = outgoing('OPTIONS');
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log));
  const via = topVia(transport.requests()[0]);
  assert.equal(via.transport, 'UDP');
  assert.equal(via.host, '192.0.2.10');
  assert.equal(via.port, 5070);
  assert.equal(via.rport, null);
  assert.match(via.branch!, /^z9hG4bK.{8,}/);
  assert.equal(tx.branch, via.branch);
  // A Via without a branch gets one; a Via with one keeps it.
  const own = outgoing('OPTIONS', 2);
  own.headers.append('Via', 'SIP/2.0/TCP 192.0.2.10:5070');
  const tx2 = layer.sendRequest(own, TCP_PEER, handlers(recorder()));
  assert.match(topVia(own).branch!, /^z9hG4bK/);
  const fixed = outgoing('OPTIONS', 3);
  fixed.headers.append('Via', 'SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-fixed');
  const tx3 = layer.sendRequest(fixed, UDP_PEER, handlers(recorder()));
  assert.equal(tx3.branch, 'z9hG4bK-fixed');
  assert.notEqual(tx.branch, tx2.branch);
  assert.equal(layer.size.client, 3);
  assert.throws(() => layer.sendRequest(fixed, UDP_PEER, handlers(recorder())), /exists/);
  assert.throws(() => layer.sendRequest(outgoing('ACK'), UDP_PEER, handlers(recorder())), /sendAck/);
});

test('INVITE client over UDP: Timer A doubles from T1 (no cap), Timer B times out at 64·T1', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  layer.sendRequest(outgoing(), UDP_PEER, handlers(log, clock));
  clock.advance(40_000);
  assert.deepEqual(transport.times(isReq('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(log.timeouts, 1);
  assert.equal(log.timeoutAt, 32_000);
  assert.deepEqual(layer.size, { server: 0, client: 0 });
});

test('INVITE client: T1 configurable (T1=100 → A at 100,300,700,1500,3100,6300; B at 6400)', () => {
  const { clock, transport, layer } = setup({ timers: { T1: 100 } });
  const log = recorder();
  layer.sendRequest(outgoing(), UDP_PEER, handlers(log, clock));
  clock.advance(10_000);
  assert.deepEqual(transport.times(isReq('INVITE')), [0, 100, 300, 700, 1500, 3100, 6300]);
  assert.equal(log.timeoutAt, 6400);
});

test('INVITE client over TCP: no retransmissions, Timer B still applies', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const tx = layer.sendRequest(outgoing(), TCP_PEER, handlers(log, clock));
  assert.equal(tx.reliable, true);
  clock.advance(40_000);
  assert.equal(transport.requests('INVITE').length, 1);
  assert.equal(log.timeoutAt, 32_000);
});

test('INVITE client: a provisional stops Timers A and B', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const req = outgoing();
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  clock.advance(600);
  transport.deliver(reply(req, 100));
  transport.deliver(reply(req, 180));
  assert.equal(tx.state, 'proceeding');
  assert.equal(log.provisional.length, 2);
  clock.advance(100_000);
  assert.equal(transport.requests('INVITE').length, 2);
  assert.equal(log.timeouts, 0);
  tx.terminate();
  assert.equal(layer.size.client, 0);
});

test('INVITE client non-2xx: ACK generated with the same branch, resent for retransmitted finals; Timer D', () => {
  const { clock, transport, layer } = setup({ timers: { D: 32_000 } });
  const log = recorder();
  const req = outgoing();
  req.headers.append('Route', '<sip:proxy.example.com;lr>');
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  transport.deliver(reply(req, 180));
  const busy = reply(req, 486, 'uas-tag');
  transport.deliver(busy);
  assert.equal(tx.state, 'completed');
  assert.equal(log.final.length, 1);
  const acks = transport.requests('ACK');
  assert.equal(acks.length, 1);
  const ack = acks[0];
  assert.equal(ack.uri, req.uri);
  assert.equal(topVia(ack).branch, tx.branch, 'same branch as the INVITE (§17.1.1.3)');
  assert.equal(ack.headers.values('via').length, 1);
  assert.equal(ack.headers.get('cseq'), '1 ACK');
  assert.equal(tagOf(to(ack)), 'uas-tag');
  assert.equal(ack.headers.get('from'), req.headers.get('from'));
  assert.equal(ack.headers.get('call-id'), req.headers.get('call-id'));
  assert.deepEqual(ack.headers.lines('route'), ['<sip:proxy.example.com;lr>']);
  assert.deepEqual(transport.sent.at(-1)!.dest, UDP_PEER);
  transport.deliver(busy);
  transport.deliver(busy);
  assert.equal(transport.requests('ACK').length, 3);
  assert.equal(log.final.length, 1, 'the TU sees the final once');
  clock.advance(31_999);
  assert.equal(layer.size.client, 1);
  clock.advance(1);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.client, 0);
});

test('INVITE client non-2xx over TCP: ACK sent, transaction ends at once (Timer D = 0)', () => {
  const { transport, layer } = setup();
  const log = recorder();
  const req = outgoing();
  const tx = layer.sendRequest(req, TCP_PEER, handlers(log));
  transport.deliver(reply(req, 603), TCP_PEER);
  assert.equal(transport.requests('ACK').length, 1);
  assert.equal(log.final.length, 1);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.client, 0);
});

test('INVITE client 2xx (RFC 6026): passed up, not ACKed by the layer; Accepted passes 2xx on; Timer M', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const strays: SipResponse[] = [];
  layer.onStrayResponse((r) => strays.push(r));
  const req = outgoing();
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  const ok = reply(req, 200, 'a');
  transport.deliver(ok);
  assert.equal(tx.state, 'accepted');
  assert.equal(log.final.length, 1);
  assert.equal(transport.requests('ACK').length, 0, 'the ACK for a 2xx is the core’s');
  clock.advance(10_000);
  assert.equal(transport.requests('INVITE').length, 1, 'Timer A stopped');
  transport.deliver(ok);
  transport.deliver(reply(req, 200, 'fork-b'));
  assert.deepEqual(
    log.additional.map((r) => tagOf(to(r))),
    ['a', 'fork-b'],
  );
  transport.deliver(reply(req, 486));
  assert.equal(log.final.length, 1);
  clock.advance(64 * 500 - 10_000);
  assert.equal(tx.state, 'terminated');
  assert.equal(layer.size.client, 0);
  transport.deliver(ok);
  assert.equal(strays.length, 1, 'after Timer M a 2xx retransmission is a stray response');
  assert.equal(log.timeouts, 0);
});

test('INVITE client without onAdditional2xx: further 2xx go to the stray handler', () => {
  const { transport, layer } = setup();
  const strays: [SipResponse, TransportAddress][] = [];
  layer.onStrayResponse((r, s) => strays.push([r, s]));
  const req = outgoing();
  layer.sendRequest(req, UDP_PEER, handlers(recorder(), undefined, false));
  transport.deliver(reply(req, 200, 'a'));
  transport.deliver(reply(req, 200, 'b'));
  assert.equal(strays.length, 1);
  assert.equal(tagOf(to(strays[0][0])), 'b');
  assert.deepEqual(strays[0][1], UDP_PEER);
});

test('non-INVITE client: Timer E doubles up to T2, Timer F times out at 64·T1', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  layer.sendRequest(outgoing('OPTIONS'), UDP_PEER, handlers(log, clock));
  clock.advance(40_000);
  const times = transport.times(isReq('OPTIONS'));
  assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(log.timeoutAt, 32_000);
  assert.equal(layer.size.client, 0);
});

test('non-INVITE client: in Proceeding retransmissions are every T2; final → Timer K (T4); finals absorbed', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const req = outgoing('BYE');
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  clock.advance(600);
  transport.deliver(reply(req, 100));
  assert.equal(tx.state, 'proceeding');
  clock.advance(10_000);
  const times = transport.times(isReq('BYE'));
  assert.deepEqual(times, [0, 500, 1500, 5500, 9500]);
  transport.deliver(reply(req, 200));
  assert.equal(tx.state, 'completed');
  transport.deliver(reply(req, 200));
  assert.equal(log.final.length, 1);
  clock.advance(4_999);
  assert.equal(transport.requests('BYE').length, 5, 'no retransmission once Completed');
  assert.equal(layer.size.client, 1);
  clock.advance(1);
  assert.equal(layer.size.client, 0);
});

test('non-INVITE client over TCP: no Timer E, Timer K = 0', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const req = outgoing('REGISTER');
  layer.sendRequest(req, TCP_PEER, handlers(log, clock));
  clock.advance(10_000);
  assert.equal(transport.requests().length, 1);
  transport.deliver(reply(req, 200));
  assert.equal(log.final.length, 1);
  assert.equal(layer.size.client, 0);
});

test('cancel(): waits for a provisional, then sends CANCEL with the INVITE branch (§9.1)', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const req = outgoing();
  req.headers.append('Route', '<sip:proxy.example.com;lr>');
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  const cancelFinals: SipResponse[] = [];
  assert.equal(layer.cancel(tx, { onFinal: (r) => cancelFinals.push(r) }), undefined, 'no CANCEL before a provisional');
  assert.equal(transport.requests('CANCEL').length, 0);
  transport.deliver(reply(req, 180));
  const cancels = transport.requests('CANCEL');
  assert.equal(cancels.length, 1);
  const cancel = cancels[0];
  assert.ok(tx.cancelTx);
  assert.equal(cancel.uri, req.uri);
  assert.equal(cancel.headers.get('via'), req.headers.values('via')[0]);
  assert.equal(cancel.headers.get('cseq'), '1 CANCEL');
  assert.equal(cancel.headers.get('to'), req.headers.get('to'));
  assert.equal(cancel.headers.get('from'), req.headers.get('from'));
  assert.deepEqual(cancel.headers.lines('route'), ['<sip:proxy.example.com;lr>']);
  assert.equal(layer.cancel(tx), tx.cancelTx, 'cancelling twice returns the same CANCEL');
  transport.deliver(reply(cancel, 200));
  assert.equal(cancelFinals.length, 1);
  transport.deliver(reply(req, 487));
  assert.equal(log.final[0].status, 487);
  assert.equal(transport.requests('ACK').length, 1);
  clock.runAll();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
});

test('cancel(): after a final response it does nothing; without a final within 64·T1 the INVITE times out', () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  const req = outgoing();
  const tx = layer.sendRequest(req, UDP_PEER, handlers(log, clock));
  transport.deliver(reply(req, 200));
  assert.equal(layer.cancel(tx), undefined);
  assert.equal(transport.requests('CANCEL').length, 0);

  const log2 = recorder();
  const req2 = outgoing('INVITE', 2);
  const tx2 = layer.sendRequest(req2, UDP_PEER, handlers(log2, clock));
  clock.advance(1000);
  transport.deliver(reply(req2, 183));
  const c = layer.cancel(tx2)!;
  assert.ok(c);
  transport.deliver(reply(c.request, 200));
  clock.advance(64 * 500);
  assert.equal(log2.timeouts, 1);
  assert.equal(tx2.state, 'terminated');
  clock.runAll();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
});

test('cancel() pending when the final arrives first sends nothing', () => {
  const { transport, layer } = setup();
  const req = outgoing();
  const tx = layer.sendRequest(req, UDP_PEER, handlers(recorder()));
  layer.cancel(tx);
  transport.deliver(reply(req, 486));
  assert.equal(transport.requests('CANCEL').length, 0);
});

test('client transport error: onTransportError with a 503-like error; the transaction ends', async () => {
  const { clock, transport, layer } = setup();
  const log = recorder();
  transport.failWith = new Error('ECONNREFUSED');
  layer.sendRequest(outgoing(), TCP_PEER, handlers(log, clock));
  await flush();
  assert.equal(log.transportErrors.length, 1);
  assert.equal(log.transportErrors[0].status, 503);
  assert.match(log.transportErrors[0].message, /ECONNREFUSED/);
  assert.equal(layer.size.client, 0);
  clock.advance(100_000);
  assert.equal(log.timeouts, 0, 'no timeout after a transport error');
  assert.equal(clock.pending, 0);

  // A failure on a retransmission is reported too.
  transport.failWith = undefined;
  const log2 = recorder();
  layer.sendRequest(outgoing('OPTIONS'), UDP_PEER, handlers(log2, clock));
  transport.failWith = new Error('EHOSTUNREACH');
  clock.advance(500);
  await flush();
  assert.equal(log2.transportErrors.length, 1);
  assert.equal(layer.size.client, 0);
});

test('responses match by branch and CSeq method; unknown branches are strays', () => {
  const { transport, layer } = setup();
  const strays: SipResponse[] = [];
  layer.onStrayResponse((r) => strays.push(r));
  const log = recorder();
  const req = outgoing('OPTIONS');
  layer.sendRequest(req, UDP_PEER, handlers(log));
  const wrongMethod = reply(req, 200);
  wrongMethod.headers.set('CSeq', '1 INFO');
  transport.deliver(wrongMethod);
  const other = reply(outgoing('OPTIONS'), 200);
  other.headers.set('Via', 'SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-unknown');
  transport.deliver(other);
  assert.equal(strays.length, 2);
  assert.equal(log.final.length, 0);
  // A response with two Vias was not meant for us (§8.1.3.3): dropped.
  const twoVias = reply(req, 200);
  twoVias.headers.append('Via', 'SIP/2.0/UDP 198.51.100.1');
  transport.deliver(twoVias);
  assert.equal(log.final.length, 0);
  transport.deliver(reply(req, 200));
  assert.equal(log.final.length, 1);
});

test('handler exceptions are reported and do not break the state machine', () => {
  const { clock, transport, layer, errors } = setup();
  const req = outgoing();
  const tx: ClientTransaction = layer.sendRequest(req, UDP_PEER, {
    onFinal: () => {
      throw new Error('tu bug');
    },
    onTimeout: () => {},
    onTransportError: () => {},
  });
  transport.deliver(reply(req, 486));
  assert.equal(errors.length, 1);
  assert.equal(transport.requests('ACK').length, 1);
  assert.equal(tx.state, 'completed');
  clock.runAll();
  assert.equal(layer.size.client, 0);
});

test('client maps are empty after many transactions of every kind', async () => {
  const { clock, transport, layer } = setup();
  for (let i = 0; i < 300; i++) {
    const kind = i % 6;
    const req = outgoing(kind < 3 ? 'INVITE' : 'OPTIONS', i + 1);
    const dest = i % 2 ? TCP_PEER : UDP_PEER;
    const tx = layer.sendRequest(req, dest, handlers(recorder()));
    if (kind === 0) transport.deliver(reply(req, 486));
    else if (kind === 1) transport.deliver(reply(req, 200));
    else if (kind === 2) {
      transport.deliver(reply(req, 180));
      const c = layer.cancel(tx)!;
      transport.deliver(reply(c.request, 200));
      transport.deliver(reply(req, 487));
    } else if (kind === 3) transport.deliver(reply(req, 200));
    else if (kind === 4) {
      // left to time out
    } else {
      transport.failWith = new Error('down');
      clock.advance(500);
      await flush();
      transport.failWith = undefined;
    }
    clock.advance(3);
  }
  clock.runAll();
  await flush();
  assert.deepEqual(layer.size, { server: 0, client: 0 });
  assert.equal(clock.pending, 0);
});
