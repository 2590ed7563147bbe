import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { topVia } from '../../../src/sip/headers.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse } from '../../../src/sip/serialize.js';
import { responseDestination, type ParseErrorEvent, type TransportAddress } from '../../../src/sip/transport.js';
import { HOST, layer, next, nextMessage, rawRequest, sleep, tcpPeer, until } from './helpers.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function started(...args: Parameters<typeof layer>) {
  const l = await layer(...args);
  cleanup.push(() => l.t.stop());
  return l;
}

function collect(t: Awaited<ReturnType<typeof layer>>['t']) {
  const got: [SipMessage, TransportAddress][] = [];
  t.on('message', (m, s) => got.push([m, s]));
  return got;
}

const viaTcp = (port: number, branch: string) => `SIP/2.0/TCP ${HOST}:${port};branch=${branch}`;

test('TCP framing: a message split over writes, then two coalesced in one write', async () => {
  const b = await started({ tcp: true });
  const got = collect(b.t);
  const c = await tcpPeer(b.bound.tcp!);
  cleanup.push(() => c.sock.destroy());
  const m1 = rawRequest({ method: 'MESSAGE', via: viaTcp(c.sock.localPort!, 'z9hG4bK-s1'), body: 'hello world' });
  c.sock.write(m1.slice(0, 20));
  await sleep(20);
  c.sock.write(m1.slice(20, m1.length - 5));
  await sleep(20);
  assert.equal(got.length, 0, 'nothing before the body is complete');
  c.sock.write(m1.slice(m1.length - 5));
  await until(() => got.length === 1, 2000, 'the split message');
  assert.equal(got[0][0].body.toString(), 'hello world');
  const m2 = rawRequest({ via: viaTcp(c.sock.localPort!, 'z9hG4bK-s2'), callId: 'two' });
  const m3 = rawRequest({ via: viaTcp(c.sock.localPort!, 'z9hG4bK-s3'), callId: 'three', body: 'abc' });
  c.sock.write('\r\n' + m2 + m3);
  await until(() => got.length === 3, 2000, 'the coalesced messages');
  assert.deepEqual(
    got.map(([m]) => m.headers.get('call-id')),
    [got[0][0].headers.get('call-id'), 'two', 'three'],
  );
  const ids = new Set(got.map(([, s]) => s.connectionId));
  assert.equal(ids.size, 1, 'one connection');
  assert.equal(got[0][1].protocol, 'tcp');
  assert.equal(got[0][1].port, c.sock.localPort);
  // rport/received on TCP too: the Via host matches, so nothing is added.
  assert.equal(topVia(got[1][0]).received, undefined);

  // The response goes back over the same connection.
  const res = createResponse(got[1][0] as SipRequest, 200, undefined, { toTag: 't' });
  await b.t.send(res, responseDestination(res, got[1][1]));
  await until(() => c.text().includes('SIP/2.0 200 OK'), 2000, 'the response on the connection');
  assert.match(c.text(), /Call-ID: two/);
  assert.equal(b.t.connectionCount, 1);
});

test('TCP keep-alive CRLFCRLF is answered with CRLF (RFC 5626)', async () => {
  const b = await started({ tcp: true });
  const c = await tcpPeer(b.bound.tcp!);
  cleanup.push(() => c.sock.destroy());
  c.sock.write('\r\n\r\n');
  await until(() => c.text() === '\r\n', 2000, 'a pong');
});

test('a stream that cannot be framed gets a 400 naming the fault, then the connection is closed', async () => {
  const b = await started({ tcp: true });
  const got = collect(b.t);
  const errors: ParseErrorEvent[] = [];
  b.t.on('parseError', (e) => errors.push(e));
  const c = await tcpPeer(b.bound.tcp!);
  const good = rawRequest({ via: viaTcp(c.sock.localPort!, 'z9hG4bK-ok'), callId: 'good' });
  const bad = rawRequest({ via: viaTcp(c.sock.localPort!, 'z9hG4bK-nolen'), callId: 'nolen' }).replace(
    'Content-Length: 0\r\n',
    '',
  );
  c.sock.write(good.slice(0, 30));
  await sleep(10);
  c.sock.write(good.slice(30) + bad);
  await c.closed;
  assert.equal(got.length, 1, 'the good message before the bad one is delivered');
  assert.match(c.text(), /^SIP\/2\.0 400 Bad Request \(missing Content-Length\)\r\n/);
  assert.match(c.text(), /Call-ID: nolen/);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].answered, true);
  assert.equal(b.t.connectionCount, 0);
});

test('connection reuse: requests to the same address share one connection; responses use it', async () => {
  const a = await started({ tcp: true });
  const b = await started({ tcp: true });
  const gotB = collect(b.t);
  const gotA = collect(a.t);
  const dest: TransportAddress = { protocol: 'tcp', address: HOST, port: b.bound.tcp! };
  for (let i = 0; i < 3; i++) {
    const req = parseMessage(
      Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, `z9hG4bK-r${i}`), callId: `r${i}` })),
    ) as SipRequest;
    await a.t.send(req, dest);
  }
  // Sending concurrently before the first connect completes still opens one connection.
  await Promise.all(
    [3, 4].map((i) =>
      a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, `z9hG4bK-r${i}`) }))), dest),
    ),
  );
  await until(() => gotB.length === 5, 2000, 'five requests');
  assert.equal(new Set(gotB.map(([, s]) => s.connectionId)).size, 1);
  assert.equal(a.t.connectionCount, 1);
  assert.equal(b.t.connectionCount, 1);
  const [req0, src0] = gotB[0];
  const res = createResponse(req0 as SipRequest, 200, undefined, { toTag: 't' });
  await b.t.send(res, responseDestination(res, src0));
  await until(() => gotA.length === 1, 2000, 'the response');
  assert.equal((gotA[0][0] as SipResponse).status, 200);
  assert.equal(gotA[0][1].connectionId, a.t.connections()[0].connectionId);
  assert.equal(a.t.connectionCount, 1, 'no second connection for the response');
});

test('idle connections are closed after idleTimeoutMs on both sides', async () => {
  const a = await started({ tcp: true }, { idleTimeoutMs: 150 });
  const b = await started({ tcp: true }, { idleTimeoutMs: 10_000 });
  const closed: TransportAddress[] = [];
  a.t.on('connectionClosed', (c) => closed.push(c));
  const got = nextMessage(b.t);
  await a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, 'z9hG4bK-idle') }))), {
    protocol: 'tcp',
    address: HOST,
    port: b.bound.tcp!,
  });
  await got;
  assert.equal(a.t.connectionCount, 1);
  await until(() => a.t.connectionCount === 0, 2000, 'the idle close');
  assert.equal(closed.length, 1);
  assert.equal(closed[0].port, b.bound.tcp);
  await until(() => b.t.connectionCount === 0, 2000, 'the peer to see the close');
});

test('a response whose connection is gone goes to Via received/sent-by over a new connection', async () => {
  const a = await started({ tcp: true });
  const b = await started({ tcp: true });
  const got = nextMessage(b.t);
  await a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, 'z9hG4bK-gone') }))), {
    protocol: 'tcp',
    address: HOST,
    port: b.bound.tcp!,
  });
  const [req, source] = await got;
  b.t.closeConnection(source.connectionId!);
  await until(() => a.t.connectionCount === 0, 2000, 'the close to reach a');
  const res = createResponse(req as SipRequest, 486, undefined, { toTag: 't' });
  const dest = responseDestination(res, source);
  assert.equal(dest.port, a.bound.tcp);
  const back = nextMessage(a.t);
  await b.t.send(res, dest);
  const [r, from] = await back;
  assert.equal((r as SipResponse).status, 486);
  assert.notEqual(from.connectionId, undefined);
  assert.equal(b.t.connectionCount, 1);
});

test('connections are bounded: over maxConnections new inbound ones are refused', async () => {
  const b = await started({ tcp: true }, { maxConnections: 2 });
  const c1 = await tcpPeer(b.bound.tcp!);
  const c2 = await tcpPeer(b.bound.tcp!);
  cleanup.push(
    () => c1.sock.destroy(),
    () => c2.sock.destroy(),
  );
  await until(() => b.t.connectionCount === 2, 2000, 'two connections');
  const c3 = await tcpPeer(b.bound.tcp!);
  await Promise.race([c3.closed, sleep(2000).then(() => assert.fail('third connection not refused'))]);
  assert.equal(b.t.connectionCount, 2);
});

test('outbound connections over the limit evict the least recently used one', async () => {
  const a = await started({ tcp: true }, { maxConnections: 1 });
  const b1 = await started({ tcp: true });
  const b2 = await started({ tcp: true });
  const send = (port: number) =>
    a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, `z9hG4bK-e${port}`) }))), {
      protocol: 'tcp',
      address: HOST,
      port,
    });
  await send(b1.bound.tcp!);
  await send(b2.bound.tcp!);
  assert.equal(a.t.connectionCount, 1);
  assert.equal(a.t.connections()[0].port, b2.bound.tcp);
});

test('TCP failures reject clearly and never crash: refused connect, peer reset mid-message', async () => {
  const a = await started({ tcp: true });
  const b = await started({ tcp: true });
  // A port with nothing listening: bind then close a server to get one.
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, () => r()));
  const dead = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  await assert.rejects(
    a.t.send(parseMessage(Buffer.from(rawRequest())), { protocol: 'tcp', address: HOST, port: dead }),
    /TCP connect to tcp:127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
  );
  await assert.rejects(
    a.t.send(parseMessage(Buffer.from(rawRequest())), { protocol: 'ws', address: HOST, port: 1 }),
    /no WebSocket connection/,
  );
  // A peer that sends half a message and resets.
  const sock = connect({ host: HOST, port: b.bound.tcp! });
  sock.on('error', () => {});
  await next(sock, 'connect');
  sock.write('INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 1.2.3.4\r\nContent-Len');
  await sleep(20);
  sock.resetAndDestroy();
  await until(() => b.t.connectionCount === 0, 2000, 'the reset connection to be forgotten');
  // Both layers still work.
  const got = nextMessage(b.t);
  await a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, 'z9hG4bK-after') }))), {
    protocol: 'tcp',
    address: HOST,
    port: b.bound.tcp!,
  });
  await got;
});

test('traffic postpones the idle close (clock-driven)', async () => {
  const { FakeClock } = await import('../../../src/sip/timers.js');
  const clock = new FakeClock();
  const a = await started({ tcp: true }, { idleTimeoutMs: 1000, clock });
  const b = await started({ tcp: true });
  const dest: TransportAddress = { protocol: 'tcp', address: HOST, port: b.bound.tcp! };
  const send = async (branch: string) => {
    const got = nextMessage(b.t);
    await a.t.send(parseMessage(Buffer.from(rawRequest({ via: viaTcp(a.bound.tcp!, branch) }))), dest);
    await got;
  };
  await send('z9hG4bK-p1');
  clock.advance(900);
  await send('z9hG4bK-p2');
  clock.advance(900);
  assert.equal(a.t.connectionCount, 1, 'still open 1800 ms after the first message');
  clock.advance(99);
  assert.equal(a.t.connectionCount, 1);
  clock.advance(1);
  assert.equal(a.t.connectionCount, 0, 'closed 1000 ms after the last traffic');
});
