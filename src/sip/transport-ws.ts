// A minimal WebSocket server (RFC 6455) for SIP over WebSocket (RFC 7118): the HTTP/1.1 upgrade handshake with
// the `sip` subprotocol, masked client frames, fragmentation, ping/pong and close. Server side only — Pivot never
// dials out over WebSocket. Each WebSocket message carries exactly one SIP message (RFC 7118 §5.2).

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

export interface WsConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Called with each complete WebSocket message. */
  onMessage?: (data: Buffer) => void;
  /** Called once when the connection is gone. */
  onClose?: () => void;
  send(data: Buffer): Promise<void>;
  close(code?: number): void;
}

export interface WsServerOptions {
  /** Largest WebSocket message accepted (bigger ones close the connection with 1009). */
  maxMessageSize: number;
  /** Asked before a handshake is completed; false answers 503. */
  accept(): boolean;
  onConnection(conn: WsConnection): void;
  onError(err: unknown): void;
}

/** The `Sec-WebSocket-Accept` value for a key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Encodes one unmasked (server → client) frame. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  let header: Buffer;
  if (len < 126) {
    header = Buffer.alloc(2);
    header[1] = len;
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, payload]);
}

function rejectHandshake(socket: Duplex, status: number, reason: string, extra: Record<string, string> = {}): void {
  const lines = [`HTTP/1.1 ${status} ${reason}`, 'Connection: close', 'Content-Length: 0'];
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  socket.end(lines.join('\r\n') + '\r\n\r\n');
}

class Conn implements WsConnection {
  onMessage?: (data: Buffer) => void;
  onClose?: () => void;
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private closing = false;
  private gone = false;

  constructor(
    private readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly maxMessageSize: number,
    private readonly onError: (err: unknown) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', (err) => this.onError(err));
    socket.on('close', () => this.finish());
  }

  send(data: Buffer): Promise<void> {
    if (this.closing || this.gone) return Promise.reject(new Error('WebSocket connection is closed'));
    return new Promise((resolve, reject) => {
      this.socket.write(encodeFrame(OP_TEXT, data), (err) =>
        err ? reject(new Error(`WebSocket write failed: ${err.message}`, { cause: err })) : resolve(),
      );
    });
  }

  close(code = 1000): void {
    if (this.gone) return;
    if (!this.closing) {
      this.closing = true;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code, 0);
      this.socket.write(encodeFrame(OP_CLOSE, payload));
      this.socket.end();
    }
    // A peer that never completes the closing handshake is cut off.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private finish(): void {
    if (this.gone) return;
    this.gone = true;
    this.buf = Buffer.alloc(0);
    this.fragments = [];
    try {
      this.onClose?.();
    } catch (err) {
      this.onError(err);
    }
  }

  private fail(code: number): void {
    this.buf = Buffer.alloc(0);
    this.close(code);
  }

  private data(chunk: Buffer): void {
    if (this.gone) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (!this.gone && this.buf.length >= 2) {
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (b0 & 0x70) return this.fail(1002); // no extensions negotiated
      if (!(b1 & 0x80)) return this.fail(1002); // client frames must be masked
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(this.maxMessageSize)) return this.fail(1009);
        len = Number(big);
        off = 10;
      }
      if (opcode >= 0x8 && (!fin || len > 125)) return this.fail(1002);
      if (len > this.maxMessageSize) return this.fail(1009);
      if (this.buf.length < off + 4 + len) return;
      const mask = this.buf.subarray(off, off + 4);
      const payload = Buffer.from(this.buf.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.buf = this.buf.subarray(off + 4 + len);
      this.frame(fin, opcode, payload);
    }
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OP_TEXT:
      case OP_BINARY:
        if (this.fragments.length) return this.fail(1002);
        if (fin) return this.deliver(payload);
        this.fragments = [payload];
        this.fragmentBytes = payload.length;
        return;
      case OP_CONT:
        if (!this.fragments.length) return this.fail(1002);
        this.fragmentBytes += payload.length;
        if (this.fragmentBytes > this.maxMessageSize) return this.fail(1009);
        this.fragments.push(payload);
        if (fin) {
          const all = Buffer.concat(this.fragments);
          this.fragments = [];
          this.fragmentBytes = 0;
          this.deliver(all);
        }
        return;
      case OP_CLOSE: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1000;
        this.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code);
        return;
      }
      case OP_PING:
        if (!this.closing) this.socket.write(encodeFrame(OP_PONG, payload));
        return;
      case OP_PONG:
        return;
      default:
        return this.fail(1002);
    }
  }

  private deliver(data: Buffer): void {
    try {
      this.onMessage?.(data);
    } catch (err) {
      this.onError(err);
    }
  }
}

export class WsServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly opts: WsServerOptions) {}

  listen(port: number, host: string): Promise<number> {
    const srv = createServer((_req, res) => {
      res.statusCode = 426;
      res.setHeader('Upgrade', 'websocket');
      res.setHeader('Sec-WebSocket-Version', '13');
      res.end('SIP over WebSocket (RFC 7118): upgrade with Sec-WebSocket-Protocol: sip\n');
    });
    srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    srv.on('clientError', (_err, socket) => socket.destroy());
    srv.on('error', (err) => this.opts.onError(err));
    this.server = srv;
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      srv.once('error', onErr);
      srv.listen(port, host, () => {
        srv.off('error', onErr);
        const addr = srv.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const srv = this.server;
    this.server = undefined;
    if (!srv) return Promise.resolve();
    return new Promise((resolve) => srv.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.opts.onError(err));
    const key = req.headers['sec-websocket-key'];
    const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
    if (req.method !== 'GET' || upgrade !== 'websocket' || typeof key !== 'string' || !key.trim())
      return rejectHandshake(socket, 400, 'Bad Request');
    if (req.headers['sec-websocket-version'] !== '13')
      return rejectHandshake(socket, 426, 'Upgrade Required', { 'Sec-WebSocket-Version': '13' });
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase());
    if (!protocols.includes('sip')) return rejectHandshake(socket, 400, 'Bad Request (subprotocol sip required)');
    if (!this.opts.accept()) return rejectHandshake(socket, 503, 'Service Unavailable');
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${acceptKey(key.trim())}`,
        'Sec-WebSocket-Protocol: sip',
      ].join('\r\n') + '\r\n\r\n',
    );
    const s = socket as Duplex & { setNoDelay?: (v: boolean) => void };
    s.setNoDelay?.(true);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const conn = new Conn(
      socket,
      req.socket.remoteAddress ?? '0.0.0.0',
      req.socket.remotePort ?? 0,
      this.opts.maxMessageSize,
      this.opts.onError,
    );
    try {
      this.opts.onConnection(conn);
    } catch (err) {
      this.opts.onError(err);
    }
    if (head.length) socket.emit('data', head);
  }
}
