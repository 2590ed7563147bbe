// Helpers for transport tests over real sockets on 127.0.0.1.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import type { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { SipMessage } from '../../../src/sip/message.js';
import { TransportLayer, type TransportAddress, type TransportOptions } from '../../../src/sip/transport.js';

export const HOST = '127.0.0.1';

let n = 0;

/** A request as raw text (CRLF line ends, Content-Length set). */
export function rawRequest(
  opts: { method?: string; via?: string; body?: string; callId?: string; extra?: string[] } = {},
): string {
  const method = opts.method ?? 'OPTIONS';
  const body = opts.body ?? '';
  const lines = [
    `${method} sip:pivot@${HOST} SIP/2.0`,
    `Via: ${opts.via ?? `SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-raw${++n}`}`,
    'Max-Forwards: 70',
    'From: <sip:alice@example.com>;tag=f1',
    'To: <sip:pivot@example.com>',
    `Call-ID: ${opts.callId ?? `raw-${n}@test`}`,
    `CSeq: 1 ${method}`,
    ...(opts.extra ?? []),
    ...(body ? ['Content-Type: text/plain'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** Waits for one event, failing after `ms`. */
export async function next<T extends unknown[]>(em: EventEmitter, event: string, ms = 2000): Promise<T> {
  return (await once(em, event, { signal: AbortSignal.timeout(ms) })) as T;
}

/** Waits for the next 'message' of a layer. */
export async function nextMessage(layer: TransportLayer, ms = 2000): Promise<[SipMessage, TransportAddress]> {
  return next<[SipMessage, TransportAddress]>(layer, 'message', ms);
}

export async function until(pred: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function layer(
  ports: { udp?: boolean; tcp?: boolean; ws?: boolean } = { udp: true, tcp: true },
  opts: TransportOptions = {},
) {
  const errors: unknown[] = [];
  const t = new TransportLayer({ onInternalError: (e) => errors.push(e), ...opts });
  const bound = await t.start({
    host: HOST,
    udpPort: ports.udp ? 0 : undefined,
    tcpPort: ports.tcp ? 0 : undefined,
    wsPort: ports.ws ? 0 : undefined,
  });
  return { t, bound, errors };
}

/** A plain UDP socket that collects what it receives. */
export async function udpPeer(): Promise<{
  sock: UdpSocket;
  port: number;
  got: Buffer[];
  send(s: string | Buffer, port: number): void;
}> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (b) => got.push(b));
  await new Promise<void>((r) => sock.bind(0, HOST, () => r()));
  return {
    sock,
    port: sock.address().port,
    got,
    send: (s, port) => sock.send(typeof s === 'string' ? Buffer.from(s) : s, port, HOST),
  };
}

/** A plain TCP client that collects what it receives. */
export async function tcpPeer(port: number): Promise<{ sock: Socket; text(): string; closed: Promise<void> }> {
  const sock = connect({ host: HOST, port });
  const chunks: Buffer[] = [];
  sock.on('data', (b) => chunks.push(b));
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  await once(sock, 'connect', { signal: AbortSignal.timeout(2000) });
  return { sock, text: () => Buffer.concat(chunks).toString(), closed };
}
