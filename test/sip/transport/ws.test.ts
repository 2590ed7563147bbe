import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WebSocket } from 'undici';
import { topVia } from '../../../src/sip/headers.js';
import type { SipRequest } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/serialize.js';
import { responseDestination, type TransportAddress } from '../../../src/sip/transport.js';
import { acceptKey } from '../../../src/sip/transport-ws.js';
import { HOST, layer, next, nextMessage, rawRequest, until } from './helpers.js';

const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('RFC 6455 accept key (the RFC example)', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('SIP over WebSocket (RFC 7118): request in, response back on the same connection, close reported', async () => {
  const b = await layer({ ws: true });
  cleanup.push(() => b.t.stop());
  assert.deepEqual(b.t.localFor('ws'), { address: HOST, port: b.bound.ws });
  const ws = new WebSocket(`ws://${HOST}:${b.bound.ws}`, 'sip');
  cleanup.push(() => ws.close());
  await next(ws as never, 'open');
  assert.equal(ws.protocol, 'sip');
  const received: string[] = [];
  ws.addEventListener('message', (ev) => received.push(String(ev.data)));
  const got = nextMessage(b.t);
  ws.send(rawRequest({ method: 'REGISTER', via: 'SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK-ws1;rport' }));
  const [msg, source] = await got;
  assert.equal(source.protocol, 'ws');
  assert.ok(source.connectionId);
  const via = topVia(msg);
  assert.equal(via.received, HOST);
  assert.equal(via.rport, source.port);
  const res = createResponse(msg as SipRequest, 200, undefined, { toTag: 'w' });
  await b.t.send(res, responseDestination(res, source));
  await until(() => received.length === 1, 2000, 'the response over WebSocket');
  assert.match(received[0], /^SIP\/2\.0 200 OK\r\n/);

  // A large message in one frame (64-bit length is not needed; 16-bit extended length is).
  const got2 = nextMessage(b.t);
  ws.send(rawRequest({ method: 'MESSAGE', via: 'SIP/2.0/WS x.invalid;branch=z9hG4bK-ws2', body: 'y'.repeat(3000) }));
  assert.equal((await got2)[0].body.length, 3000);

  const closed = next<[TransportAddress]>(b.t, 'connectionClosed');
  ws.close();
  const [c] = await closed;
  assert.equal(c.connectionId, source.connectionId);
  assert.equal(b.t.connectionCount, 0);
  await assert.rejects(b.t.send(res, responseDestination(res, source)), /no WebSocket connection/);
});

test('a WebSocket handshake without the sip subprotocol is refused; garbage frames close the connection', async () => {
  const b = await layer({ ws: true });
  cleanup.push(() => b.t.stop());
  const ws = new WebSocket(`ws://${HOST}:${b.bound.ws}`, 'chat');
  await next(ws as never, 'error');
  assert.equal(b.t.connectionCount, 0);

  // An unparsable SIP message over WebSocket is answered 400 like a datagram.
  const ok = new WebSocket(`ws://${HOST}:${b.bound.ws}`, 'sip');
  cleanup.push(() => ok.close());
  await next(ok as never, 'open');
  const received: string[] = [];
  ok.addEventListener('message', (ev) => received.push(String(ev.data)));
  ok.send(rawRequest({ via: 'SIP/2.0/WS x.invalid;branch=z9hG4bK-ws3', extra: ['no colon here'] }));
  await until(() => received.length === 1, 2000, 'a 400');
  assert.match(received[0], /^SIP\/2\.0 400 Bad Request \(malformed header line\)/);
});

test('an unmasked client frame is a protocol error (close 1002)', async () => {
  const b = await layer({ ws: true });
  cleanup.push(() => b.t.stop());
  const { connect } = await import('node:net');
  const sock = connect({ host: HOST, port: b.bound.ws! });
  sock.on('error', () => {});
  await next(sock, 'connect');
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n',
  );
  await until(() => Buffer.concat(chunks).includes('\r\n\r\n'), 2000, 'the 101');
  assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 101 /);
  assert.match(Buffer.concat(chunks).toString(), /Sec-WebSocket-Protocol: sip/);
  await until(() => b.t.connectionCount === 1, 2000, 'the connection');
  chunks.length = 0;
  sock.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked "hi"
  await next(sock, 'close');
  const frame = Buffer.concat(chunks);
  assert.equal(frame[0], 0x88);
  assert.equal(frame.readUInt16BE(2), 1002);
  await until(() => b.t.connectionCount === 0, 2000, 'the connection to be forgotten');
});
