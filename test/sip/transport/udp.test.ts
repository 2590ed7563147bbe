import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { topVia } from '../../../src/sip/headers.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse } from '../../../src/sip/serialize.js';
import {
  badRequestFor,
  responseDestination,
  TransportLayer,
  type ParseErrorEvent,
} from '../../../src/sip/transport.js';
import { HOST, layer, next, nextMessage, rawRequest, sleep, udpPeer, until } from './helpers.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function started(...args: Parameters<typeof layer>) {
  const l = await layer(...args);
  cleanup.push(() => l.t.stop());
  return l;
}

async function peer() {
  const p = await udpPeer();
  cleanup.push(() => p.sock.close());
  return p;
}

function parse(s: string) {
  return parseMessage(Buffer.from(s));
}

test('UDP round trip: request in with its source, response routed back by Via rport/received', async () => {
  const a = await started({ udp: true });
  const b = await started({ udp: true });
  assert.ok(a.bound.udp! > 0 && b.bound.udp! > 0);
  assert.deepEqual(a.t.localFor('udp'), { address: HOST, port: a.bound.udp });
  const req = parse(rawRequest({ via: `SIP/2.0/UDP ${HOST}:${a.bound.udp};rport;branch=z9hG4bK-rt1` })) as SipRequest;
  const got = nextMessage(b.t);
  await a.t.send(req, { protocol: 'udp', address: HOST, port: b.bound.udp! });
  const [msg, source] = await got;
  assert.equal(msg.kind, 'request');
  assert.deepEqual(source, { protocol: 'udp', address: HOST, port: a.bound.udp });
  const via = topVia(msg);
  assert.equal(via.rport, a.bound.udp, 'rport filled in (RFC 3581)');
  assert.equal(via.received, HOST, 'received always added when rport is present');
  const res = createResponse(msg as SipRequest, 200, undefined, { toTag: 'x' });
  const back = nextMessage(a.t);
  await b.t.send(res, responseDestination(res, source));
  const [r, from] = await back;
  assert.equal((r as SipResponse).status, 200);
  assert.equal(from.port, b.bound.udp);
});

test('received is set when the Via host is not the source address; a matching Via is left alone', async () => {
  const b = await started({ udp: true });
  const p = await peer();
  const got = nextMessage(b.t);
  p.send(rawRequest({ via: 'SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-nat' }), b.bound.udp!);
  const [msg] = await got;
  const via = topVia(msg);
  assert.equal(via.received, HOST);
  assert.equal(via.rport, undefined);
  assert.equal(via.host, '10.9.9.9');
  // The response goes to received + sent-by port (no rport).
  const res = createResponse(msg as SipRequest, 200);
  assert.deepEqual(responseDestination(res), { protocol: 'udp', address: HOST, port: 5099 });

  const got2 = nextMessage(b.t);
  p.send(rawRequest({ via: `SIP/2.0/UDP ${HOST}:${p.port};branch=z9hG4bK-same` }), b.bound.udp!);
  const [msg2] = await got2;
  assert.equal(msg2.headers.get('via'), `SIP/2.0/UDP ${HOST}:${p.port};branch=z9hG4bK-same`);
});

test('several Vias in one header line: only the top one is stamped', async () => {
  const b = await started({ udp: true });
  const p = await peer();
  const got = nextMessage(b.t);
  p.send(
    rawRequest({ via: 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-a;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-b' }),
    b.bound.udp!,
  );
  const [msg] = await got;
  const vias = msg.headers.values('via');
  assert.equal(vias.length, 2);
  assert.equal(vias[0], `SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-a;rport=${p.port};received=${HOST}`);
  assert.equal(vias[1], 'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-b');
});

test('response routing rules (§18.2.2, RFC 3581 §4)', () => {
  const res = (via: string) => {
    const r = createResponse(parse(rawRequest({ via })) as SipRequest, 200);
    return r;
  };
  const src = { protocol: 'udp' as const, address: '198.51.100.9', port: 33333 };
  assert.deepEqual(responseDestination(res('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa'), src), {
    protocol: 'udp',
    address: '10.0.0.1',
    port: 5062,
  });
  assert.deepEqual(responseDestination(res('SIP/2.0/UDP host.example;branch=z9hG4bKa')), {
    protocol: 'udp',
    address: 'host.example',
    port: 5060,
  });
  assert.deepEqual(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;received=198.51.100.9;rport=33333')),
    { protocol: 'udp', address: '198.51.100.9', port: 33333 },
  );
  assert.deepEqual(responseDestination(res('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;received=198.51.100.9')), {
    protocol: 'udp',
    address: '198.51.100.9',
    port: 5062,
  });
  assert.deepEqual(
    responseDestination(res('SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKa;maddr=239.1.1.1;received=198.51.100.9')),
    { protocol: 'udp', address: '239.1.1.1', port: 5062 },
  );
  const tcpSrc = { protocol: 'tcp' as const, address: '198.51.100.9', port: 41000, connectionId: 'tcp-7' };
  assert.deepEqual(
    responseDestination(res('SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bKa;received=198.51.100.9'), tcpSrc),
    { protocol: 'tcp', address: '198.51.100.9', port: 5070, connectionId: 'tcp-7' },
  );
  assert.deepEqual(responseDestination(res('SIP/2.0/TCP [2001:db8::1];branch=z9hG4bKa')), {
    protocol: 'tcp',
    address: '2001:db8::1',
    port: 5060,
  });
  const wsSrc = { protocol: 'ws' as const, address: '198.51.100.9', port: 50000, connectionId: 'ws-1' };
  assert.deepEqual(responseDestination(res('SIP/2.0/WS abc.invalid;branch=z9hG4bKa;received=198.51.100.9'), wsSrc), {
    protocol: 'ws',
    address: '198.51.100.9',
    port: 5060,
    connectionId: 'ws-1',
  });
});

test('an unparsable request is answered 400 with the parse reason when its headers can be read', async () => {
  const b = await started({ udp: true });
  const p = await peer();
  const errors: ParseErrorEvent[] = [];
  b.t.on('parseError', (e) => errors.push(e));
  const messages: unknown[] = [];
  b.t.on('message', (m) => messages.push(m));
  const bad = rawRequest({ method: 'INVITE', via: `SIP/2.0/UDP ${HOST}:${p.port};branch=z9hG4bK-bad` }).replace(
    'Content-Length: 0',
    'Content-Length: 500',
  );
  p.send(bad, b.bound.udp!);
  await until(() => p.got.length === 1, 2000, 'a 400');
  const text = p.got[0].toString();
  assert.match(text, /^SIP\/2\.0 400 Bad Request \(Content-Length larger than message\)\r\n/);
  assert.match(text, /\r\nCall-ID: raw-\d+@test\r\n/);
  assert.match(text, /\r\nCSeq: 1 INVITE\r\n/);
  assert.match(text, /\r\nTo: <sip:pivot@example.com>;tag=\w+\r\n/);
  assert.match(text, new RegExp(`\\r\\nVia: SIP/2.0/UDP ${HOST}:${p.port};branch=z9hG4bK-bad\\r\\n`));
  assert.equal(errors.length, 1);
  assert.equal(errors[0].answered, true);
  assert.equal(errors[0].source.port, p.port);
  assert.equal(messages.length, 0);

  // A header line without a colon: still answerable.
  p.send(rawRequest({ extra: ['This is not a header'] }), b.bound.udp!);
  await until(() => p.got.length === 2, 2000, 'a second 400');
  assert.match(p.got[1].toString(), /^SIP\/2\.0 400 Bad Request \(malformed header line\)/);
});

test('garbage, unreadable requests, ACKs and unparsable responses are dropped (with a parseError event)', async () => {
  const b = await started({ udp: true });
  const p = await peer();
  const errors: ParseErrorEvent[] = [];
  b.t.on('parseError', (e) => errors.push(e));
  p.send(Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x13, 0x37, 0x0d, 0x0a]), b.bound.udp!);
  p.send('INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nbroken\r\n\r\n', b.bound.udp!); // no From/To/…
  p.send(rawRequest({ method: 'ACK' }).replace('Content-Length: 0', 'Content-Length: 99'), b.bound.udp!);
  p.send(
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: r\r\nCSeq: 1 OPTIONS\r\nContent-Length: 50\r\n\r\n',
    b.bound.udp!,
  );
  p.send('\r\n\r\n', b.bound.udp!); // keep-alive: not even an error
  await until(() => errors.length === 4, 2000, 'four parse errors');
  await sleep(200);
  assert.equal(p.got.length, 0, 'nothing answered');
  assert.deepEqual(
    errors.map((e) => e.answered),
    [false, false, false, false],
  );
  // The layer still works.
  const got = nextMessage(b.t);
  p.send(rawRequest(), b.bound.udp!);
  await got;
});

test('badRequestFor reads folded and compact headers and refuses responses', () => {
  const raw = Buffer.from(
    'MESSAGE sip:x SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nf: <sip:a@b>\r\n ;tag=9\r\nt: <sip:c@d>;tag=old\r\ni: abc\r\nCSeq: 4 MESSAGE\r\n\r\n',
  );
  const res = badRequestFor(raw, 'Bad Request (x)\r\nInjected: yes')!;
  assert.equal(res.status, 400);
  assert.equal(res.reason, 'Bad Request (x) Injected: yes');
  assert.equal(res.headers.get('from'), '<sip:a@b> ;tag=9');
  assert.equal(res.headers.get('to'), '<sip:c@d>;tag=old');
  assert.equal(res.headers.get('call-id'), 'abc');
  assert.equal(badRequestFor(Buffer.from('SIP/2.0 200 OK\r\n\r\n'), 'x'), undefined);
});

test('an oversized UDP request goes over TCP with its top Via rewritten (§18.1.1)', async () => {
  const a = await started({ udp: true, tcp: true });
  // b listens for UDP and TCP on the same port number, as a SIP server does.
  let b: TransportLayer | undefined;
  let port = 0;
  for (let i = 0; i < 10 && !b; i++) {
    const t = new TransportLayer();
    const { udp } = await t.start({ host: HOST, udpPort: 0 });
    try {
      await t.start({ host: HOST, tcpPort: udp });
      b = t;
      port = udp!;
    } catch {
      await t.stop();
    }
  }
  assert.ok(b, 'could bind UDP and TCP on one port');
  cleanup.push(() => b!.stop());
  const body = 'x'.repeat(1400);
  const req = parse(
    rawRequest({ method: 'MESSAGE', via: `SIP/2.0/UDP ${HOST}:${a.bound.udp};branch=z9hG4bK-big`, body }),
  ) as SipRequest;
  const got = nextMessage(b);
  await a.t.send(req, { protocol: 'udp', address: HOST, port });
  const [msg, source] = await got;
  assert.equal(source.protocol, 'tcp');
  assert.ok(source.connectionId);
  const via = topVia(msg);
  assert.equal(via.transport, 'TCP');
  assert.equal(via.port, a.bound.tcp);
  assert.equal(via.branch, 'z9hG4bK-big');
  assert.equal(msg.body.length, 1400);
  // A small request stays on UDP.
  const small = parse(rawRequest({ via: `SIP/2.0/UDP ${HOST}:${a.bound.udp};branch=z9hG4bK-small` })) as SipRequest;
  const got2 = nextMessage(b);
  await a.t.send(small, { protocol: 'udp', address: HOST, port });
  assert.equal((await got2)[1].protocol, 'udp');
  // Responses are not moved to TCP.
  const bigRes = createResponse(small, 200, undefined, { body });
  assert.equal(a.t.prepareRequest(small, { protocol: 'udp', address: HOST, port }).protocol, 'udp');
  const got3 = nextMessage(b);
  await a.t.send(bigRes, { protocol: 'udp', address: HOST, port });
  assert.equal((await got3)[1].protocol, 'udp');
});

test('send failures reject with a clear error; a throwing listener does not crash the process', async () => {
  const a = await started({ udp: true });
  await assert.rejects(
    a.t.send(parse(rawRequest()), { protocol: 'udp', address: HOST, port: 0 }),
    /UDP send to udp:127\.0\.0\.1:0 failed/,
  );
  await assert.rejects(
    a.t.send(parse(rawRequest()), { protocol: 'udp', address: '::1', port: 5060 }),
    /no UDP socket for IPv6/,
  );
  a.t.on('message', () => {
    throw new Error('listener bug');
  });
  const p = await peer();
  p.send(rawRequest(), a.bound.udp!);
  await until(() => a.errors.length === 1, 2000, 'the listener error to be reported');
  assert.match(String(a.errors[0]), /listener bug/);
  const got = next(a.t, 'message');
  p.send(rawRequest(), a.bound.udp!);
  await got.catch(() => {});
  await a.t.stop();
  await assert.rejects(a.t.send(parse(rawRequest()), { protocol: 'udp', address: HOST, port: 5060 }), /stopped/);
});

test('start reports a clear error for a port in use and leaves nothing bound', async () => {
  const a = await started({ udp: true, tcp: true });
  const t = new TransportLayer();
  await assert.rejects(t.start({ host: HOST, tcpPort: a.bound.tcp }), /EADDRINUSE/);
  assert.deepEqual(t.bound, {});
});

test('host6 adds IPv6 sockets on the same ports: one UDP socket per family, TCP too', async () => {
  const t = new TransportLayer();
  cleanup.push(() => t.stop());
  const bound = await t.start({ host: HOST, host6: '::1', udpPort: 0, tcpPort: 0 });
  const b = await started({ udp: true });
  const got = nextMessage(t);
  // IPv6 → IPv6 socket.
  const { createSocket } = await import('node:dgram');
  const s6 = createSocket({ type: 'udp6', ipv6Only: true });
  cleanup.push(() => s6.close());
  const replies: Buffer[] = [];
  s6.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => s6.bind(0, '::1', () => r()));
  s6.send(rawRequest({ via: 'SIP/2.0/UDP [::1]:5060;branch=z9hG4bK-v6;rport' }), bound.udp!, '::1');
  const [msg, source] = await got;
  assert.equal(source.address, '::1');
  assert.equal(topVia(msg).rport, s6.address().port);
  assert.equal(topVia(msg).received, '::1');
  const res = createResponse(msg as SipRequest, 200);
  await t.send(res, responseDestination(res, source));
  await until(() => replies.length === 1, 2000, 'the IPv6 reply');
  // IPv4 still works from the same layer.
  const got4 = nextMessage(b.t);
  await t.send(parse(rawRequest()), { protocol: 'udp', address: HOST, port: b.bound.udp! });
  assert.equal((await got4)[1].port, bound.udp);
  // TCP over IPv6 to the layer's own IPv6 listener.
  const got6 = nextMessage(t);
  await t.send(parse(rawRequest({ via: 'SIP/2.0/TCP [::1];branch=z9hG4bK-t6' })), {
    protocol: 'tcp',
    address: '::1',
    port: bound.tcp!,
  });
  assert.equal((await got6)[1].protocol, 'tcp');
});
