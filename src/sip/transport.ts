// SIP transport layer (RFC 3261 §18): UDP, TCP and WebSocket (RFC 7118) under one `send`/`message` interface.
//
// Receiving: every datagram / framed stream message is parsed; requests get `received`/`rport` (RFC 3581) on their
// top Via before they are emitted. An unparsable request is answered `400 <reason>` when the headers needed for a
// response can still be read, and dropped otherwise; unparsable responses are dropped. Nothing a peer sends can
// throw out of a socket callback, and every socket has an 'error' listener.
//
// Sending: requests go where they are told, except that a UDP request larger than the MTU threshold goes over TCP
// (§18.1.1, rewriting the top Via); responses are routed by `responseDestination` (§18.2.2, RFC 3581 §4).

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, connect, isIP, type Server as NetServer, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { formatVia, parseVia, topVia, type Via } from './headers.js';
import { newTag } from './ids.js';
import { Headers, headerKey, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { parseMessage, StreamFramer, type ParseLimits } from './parser.js';
import { serialize } from './serialize.js';
import { realClock, type Clock, type Handle } from './timers.js';
import { WsServer, type WsConnection } from './transport-ws.js';

export type TransportProtocol = 'udp' | 'tcp' | 'ws';

export interface TransportAddress {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** The stream connection a message arrived on / should leave on (TCP, WS). */
  connectionId?: string;
}

export interface TransportOptions {
  clock?: Clock;
  /** Requests larger than this many bytes never go over UDP (§18.1.1; default 1300). */
  udpMtu?: number;
  /** A stream connection with no traffic either way for this long is closed (default 120 000 ms). */
  idleTimeoutMs?: number;
  /** Most simultaneous TCP + WS connections (default 1024). Inbound ones over it are refused; outbound ones evict
   * the least recently used connection. */
  maxConnections?: number;
  /** Outbound TCP connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Parser limits (message size, header count). */
  limits?: ParseLimits;
  /** Host written in Via/Contact (default: the bound host, or the first non-internal IPv4 when bound to 0.0.0.0). */
  advertisedHost?: string;
  /** Where unexpected internal failures (e.g. a throwing 'message' listener) are reported. */
  onInternalError?: (err: unknown, where: string) => void;
}

export interface StartOptions {
  /** Bind address (IPv4 or IPv6); its family gets one UDP socket and one TCP listener. */
  host: string;
  /**
   * A second, IPv6-only bind address (e.g. `::`) when `host` is IPv4: UDP and TCP are bound there too, on the same
   * port numbers, so IPv6 destinations can be reached (one socket per family).
   */
  host6?: string;
  /** UDP port to bind (0 = ephemeral); omitted = no UDP. */
  udpPort?: number;
  /** TCP port to listen on (0 = ephemeral); omitted = no TCP. */
  tcpPort?: number;
  /** WebSocket (RFC 7118) port to listen on (0 = ephemeral); omitted = no WS. */
  wsPort?: number;
}

export interface BoundPorts {
  udp?: number;
  tcp?: number;
  ws?: number;
}

export interface ParseErrorEvent {
  error: Error;
  source: TransportAddress;
  raw: Buffer;
  /** Whether the layer answered the message with a 400. */
  answered: boolean;
}

export interface TransportEvents {
  message: [msg: SipMessage, source: TransportAddress];
  parseError: [ev: ParseErrorEvent];
  /** A TCP or WS connection closed (e.g. to drop registrations bound to it, RFC 7118 / RFC 5626). */
  connectionClosed: [conn: TransportAddress];
}

/** A stream connection (TCP or WS) as the layer tracks it. */
interface StreamConn {
  id: string;
  protocol: 'tcp' | 'ws';
  remote: { address: string; port: number };
  /** Reuse keys (`protocol|address|port`): the remote address, and the dialled one for outbound connections. */
  keys: string[];
  lastUsed: number;
  idle?: Handle;
  closed: boolean;
  write(buf: Buffer): Promise<void>;
  close(): void;
}

const EMPTY = Buffer.alloc(0);

const VIA_PROTOCOL: Record<TransportProtocol, string> = { udp: 'UDP', tcp: 'TCP', ws: 'WS' };

export function viaTransportOf(protocol: TransportProtocol): string {
  return VIA_PROTOCOL[protocol];
}

/** The transport protocol named by a Via's transport token (WSS is treated as WS). */
export function protocolOfVia(transport: string): TransportProtocol | undefined {
  switch (transport.toUpperCase()) {
    case 'UDP':
      return 'udp';
    case 'TCP':
      return 'tcp';
    case 'WS':
    case 'WSS':
      return 'ws';
    default:
      return undefined;
  }
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for dual-stack sockets. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function connKey(protocol: string, address: string, port: number): string {
  return `${protocol}|${normalizeAddress(address).toLowerCase()}|${port}`;
}

function describe(dest: TransportAddress): string {
  const host = dest.address.includes(':') ? `[${dest.address}]` : dest.address;
  return `${dest.protocol}:${host}:${dest.port}${dest.connectionId ? ` (${dest.connectionId})` : ''}`;
}

/** Compares a Via host with a socket address (brackets and IPv4-mapped forms ignored, case-insensitive). */
function sameHost(viaHost: string, address: string): boolean {
  const h = viaHost.replace(/^\[|\]$/g, '').toLowerCase();
  return normalizeAddress(h) === normalizeAddress(address).toLowerCase();
}

/**
 * RFC 3581 on a received request: add `received` when the top Via host is not the source address (always when
 * `rport` is present) and fill an empty `rport` with the source port. Rewrites the top Via in place.
 */
export function stampVia(req: SipRequest, source: TransportAddress): void {
  const lines = req.headers.lines('via');
  if (lines.length === 0) return;
  const values = req.headers.values('via');
  let via: Via;
  try {
    via = parseVia(values[0]);
  } catch {
    return;
  }
  const hasRport = via.rport !== undefined;
  const emptyRport = via.rport === null;
  const needReceived = !sameHost(via.host, source.address) || hasRport;
  if (!needReceived && !emptyRport) return;
  if (needReceived) via.received = normalizeAddress(source.address);
  if (emptyRport) via.rport = source.port;
  values[0] = formatVia(via);
  // Vias stay in order at the top of the header list; the other headers keep their relative order.
  req.headers.delete('via');
  for (let i = values.length - 1; i >= 0; i--) req.headers.prepend('Via', values[i]);
}

/**
 * Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4), given the top Via of the response and the transport
 * address its request came from (when known). Reliable transports keep the connection id (the layer falls back
 * to `address:port` when that connection is gone).
 */
export function responseDestination(res: SipResponse, source?: TransportAddress): TransportAddress {
  let via: Via;
  try {
    via = topVia(res);
  } catch (err) {
    if (source) return { ...source };
    throw new Error(`response has no usable Via to route it by: ${(err as Error).message}`);
  }
  const protocol = protocolOfVia(via.transport) ?? source?.protocol ?? 'udp';
  const sentByPort = via.port ?? 5060;
  const received = via.received || undefined;
  const host = via.host.replace(/^\[|\]$/g, '');
  if (protocol !== 'udp') {
    const dest: TransportAddress = { protocol, address: received ?? host, port: sentByPort };
    if (source?.connectionId) dest.connectionId = source.connectionId;
    return dest;
  }
  const maddr = via.params.maddr;
  if (maddr) return { protocol, address: maddr.replace(/^\[|\]$/g, ''), port: sentByPort };
  const rport = typeof via.rport === 'number' && via.rport > 0 ? via.rport : undefined;
  if (received) return { protocol, address: received, port: rport ?? sentByPort };
  if (rport) return { protocol, address: host, port: rport };
  return { protocol, address: host, port: sentByPort };
}

/**
 * Builds `400 <reason>` for a request that could not be parsed, from whatever headers can still be read (every
 * Via, From, To, Call-ID, CSeq). Returns undefined for responses, ACKs and anything without those headers.
 */
export function badRequestFor(raw: Buffer, reason: string, status = 400): SipResponse | undefined {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  const lines = head.replace(/^(\r?\n)+/, '').split(/\r?\n/);
  const start = lines.shift() ?? '';
  if (/^SIP\/\d/i.test(start)) return undefined;
  if (!/^[A-Za-z0-9.!%*_+`'~-]+ +\S/.test(start)) return undefined;
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length) unfolded[unfolded.length - 1] += ' ' + line.trim();
    else unfolded.push(line);
  }
  const found = new Map<string, string[]>();
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = headerKey(line.slice(0, colon));
    if (!['via', 'from', 'to', 'call-id', 'cseq'].includes(key)) continue;
    const value = line.slice(colon + 1).trim();
    if (!value || hasControl(value)) continue;
    const list = found.get(key) ?? [];
    list.push(value);
    found.set(key, list);
  }
  const one = (k: string) => found.get(k)?.[0];
  const via = found.get('via');
  const fromV = one('from');
  let toV = one('to');
  const cid = one('call-id');
  const cs = one('cseq');
  if (!via || !fromV || !toV || !cid || !cs) return undefined;
  const csMethod = cs.split(/\s+/)[1];
  if (!csMethod || csMethod.toUpperCase() === 'ACK') return undefined;
  if (/^ACK /i.test(start)) return undefined;
  if (!/;\s*tag\s*=/i.test(toV.slice(Math.max(0, toV.lastIndexOf('>'))))) toV += `;tag=${newTag()}`;
  const headers = new Headers();
  for (const v of via) headers.append('Via', v);
  headers.append('From', fromV);
  headers.append('To', toV);
  headers.append('Call-ID', cid);
  headers.append('CSeq', cs);
  headers.append('Content-Length', '0');
  let phrase = '';
  for (const ch of reason) phrase += isControl(ch.charCodeAt(0)) ? ' ' : ch;
  phrase = phrase.replace(/ {2,}/g, ' ').trim().slice(0, 120) || 'Bad Request';
  return { kind: 'response', status, reason: phrase, version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
}

function isControl(c: number): boolean {
  return c < 32 || c === 127;
}

/** Control characters other than HTAB. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 9 && isControl(c)) return true;
  }
  return false;
}

function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return undefined;
}

export class TransportLayer extends EventEmitter<TransportEvents> {
  private readonly clock: Clock;
  private readonly udpMtu: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly connectTimeoutMs: number;
  private readonly limits: ParseLimits | undefined;
  private readonly onInternalError: (err: unknown, where: string) => void;
  private advertisedHost: string | undefined;

  private readonly udp = new Map<4 | 6, UdpSocket>();
  private readonly tcpServers: NetServer[] = [];
  private ws: WsServer | undefined;
  private ports: BoundPorts = {};
  private host = '127.0.0.1';

  /** Stream connections by id, and by `protocol|address|port` for reuse. */
  private readonly conns = new Map<string, StreamConn>();
  private readonly byRemote = new Map<string, StreamConn>();
  private readonly connecting = new Map<string, Promise<StreamConn>>();
  private seq = 0;
  private stopped = false;

  private readonly inflight = new Set<Promise<void>>();

  constructor(opts: TransportOptions = {}) {
    super();
    this.clock = opts.clock ?? realClock;
    this.udpMtu = opts.udpMtu ?? 1300;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
    this.maxConnections = opts.maxConnections ?? 1024;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.limits = opts.limits;
    this.advertisedHost = opts.advertisedHost;
    this.onInternalError = opts.onInternalError ?? (() => {});
  }

  /** Binds the requested transports; resolves with the bound ports (ephemeral ones resolved). */
  async start(opts: StartOptions): Promise<BoundPorts> {
    this.stopped = false;
    this.host = opts.host;
    try {
      if (opts.udpPort !== undefined) this.ports.udp = await this.startUdp(opts.host, opts.udpPort);
      if (opts.tcpPort !== undefined) this.ports.tcp = await this.startTcp(opts.host, opts.tcpPort);
      if (opts.wsPort !== undefined) this.ports.ws = await this.startWs(opts.host, opts.wsPort);
      if (opts.host6 !== undefined && isIP(opts.host) !== 6) {
        if (this.ports.udp !== undefined) await this.startUdp(opts.host6, this.ports.udp, true);
        if (this.ports.tcp !== undefined) await this.startTcp(opts.host6, this.ports.tcp, true);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    return { ...this.ports };
  }

  /** Closes every socket and connection. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    this.stopped = true;
    for (const c of [...this.conns.values()]) c.close();
    const waits: Promise<void>[] = [];
    for (const s of this.udp.values()) waits.push(new Promise((r) => s.close(() => r())));
    this.udp.clear();
    for (const srv of this.tcpServers.splice(0)) waits.push(new Promise((r) => srv.close(() => r())));
    if (this.ws) {
      waits.push(this.ws.close());
      this.ws = undefined;
    }
    await Promise.all(waits);
    this.ports = {};
  }

  /** The bound ports. */
  get bound(): BoundPorts {
    return { ...this.ports };
  }

  /** Number of open stream connections (TCP + WS). */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Open stream connections (for diagnostics and tests). */
  connections(): TransportAddress[] {
    return [...this.conns.values()].map((c) => ({ protocol: c.protocol, ...c.remote, connectionId: c.id }));
  }

  /** Whether a stream connection is still open. */
  hasConnection(id: string): boolean {
    return this.conns.has(id);
  }

  /** Closes one stream connection. */
  closeConnection(id: string): void {
    this.conns.get(id)?.close();
  }

  /** Address and port to put in Via sent-by / Contact for a protocol. */
  localFor(protocol: TransportProtocol): { address: string; port: number } {
    const port = this.ports[protocol] ?? this.ports.udp ?? this.ports.tcp ?? 5060;
    let address = this.advertisedHost;
    if (!address) {
      const h = this.host;
      address = h === '0.0.0.0' || h === '::' || h === '' ? (firstExternalIPv4() ?? '127.0.0.1') : h;
      this.advertisedHost = address;
    }
    return { address, port };
  }

  /**
   * Where a request really goes: a UDP request over the MTU threshold moves to TCP when TCP is running, with its
   * top Via rewritten to TCP and this layer's TCP port (§18.1.1). Mutates `req`'s top Via in that case.
   */
  prepareRequest(req: SipRequest, dest: TransportAddress): TransportAddress {
    if (dest.protocol !== 'udp' || this.ports.tcp === undefined) return dest;
    if (serialize(req).length <= this.udpMtu) return dest;
    const values = req.headers.values('via');
    if (values.length) {
      try {
        const via = parseVia(values[0]);
        if (via.transport.toUpperCase() === 'UDP') {
          via.transport = 'TCP';
          const local = this.localFor('tcp');
          if (sameHost(via.host, local.address) || sameHost(via.host, this.localFor('udp').address))
            via.port = local.port;
          values[0] = formatVia(via);
          req.headers.delete('via');
          for (let i = values.length - 1; i >= 0; i--) req.headers.prepend('Via', values[i]);
        }
      } catch {
        // An unparsable Via of our own is left as it is; the request still goes over TCP.
      }
    }
    return { protocol: 'tcp', address: dest.address, port: dest.port };
  }

  /** Sends a message; rejects with a descriptive error when the transport fails. */
  send(msg: SipMessage, dest: TransportAddress): Promise<void> {
    // Tracked so stop() lets what is already on its way (a final 503, a BYE) leave before the sockets close.
    const sending = this.sendNow(msg, dest);
    this.inflight.add(sending);
    const done = (): void => void this.inflight.delete(sending);
    sending.then(done, done);
    return sending;
  }

  private async sendNow(msg: SipMessage, dest: TransportAddress): Promise<void> {
    if (this.stopped) throw new Error(`transport stopped: cannot send to ${describe(dest)}`);
    let buf = serialize(msg);
    if (msg.kind === 'request' && dest.protocol === 'udp' && buf.length > this.udpMtu && this.ports.tcp !== undefined) {
      dest = this.prepareRequest(msg, dest);
      buf = serialize(msg);
    }
    switch (dest.protocol) {
      case 'udp':
        return this.sendUdp(buf, dest);
      case 'tcp':
      case 'ws':
        return this.sendStream(buf, dest);
      default:
        throw new Error(`unsupported transport ${String((dest as TransportAddress).protocol)}`);
    }
  }

  // ---- receive path ----

  private receive(buf: Buffer, source: TransportAddress): void {
    let msg: SipMessage;
    try {
      msg = parseMessage(buf, this.limits);
    } catch (err) {
      this.rejectUnparsable(err, buf, source);
      return;
    }
    this.accept(msg, source);
  }

  private accept(msg: SipMessage, source: TransportAddress): void {
    try {
      if (msg.kind === 'request') stampVia(msg, source);
      this.emit('message', msg, source);
    } catch (err) {
      this.onInternalError(err, 'message listener');
    }
  }

  private rejectUnparsable(err: unknown, raw: Buffer, source: TransportAddress): void {
    const error = err instanceof Error ? err : new Error(String(err));
    let answered = false;
    try {
      const status = (error as { status?: unknown }).status;
      const res = badRequestFor(raw, error.message, typeof status === 'number' && status >= 400 ? status : 400);
      if (res) {
        answered = true;
        this.send(res, source).catch((e: unknown) => this.onInternalError(e, 'sending 400'));
      }
      this.emit('parseError', { error, source, raw, answered });
    } catch (e) {
      this.onInternalError(e, 'parseError listener');
    }
  }

  // ---- UDP ----

  private async startUdp(host: string, port: number, ipv6Only = false): Promise<number> {
    const family = isIP(host) === 6 ? 6 : 4;
    const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only });
    sock.on('error', (err) => this.onInternalError(err, 'udp socket'));
    sock.on('message', (buf, rinfo) => {
      // RFC 5626 keep-alives (CRLF) and empty datagrams are not messages.
      if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
      this.receive(buf, { protocol: 'udp', address: normalizeAddress(rinfo.address), port: rinfo.port });
    });
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => {
        sock.close();
        reject(e);
      };
      sock.once('error', onErr);
      sock.bind(port, host, () => {
        sock.off('error', onErr);
        resolve();
      });
    });
    this.udp.set(family, sock);
    return sock.address().port;
  }

  private sendUdp(buf: Buffer, dest: TransportAddress): Promise<void> {
    const family = isIP(dest.address) === 6 ? 6 : 4;
    const sock = this.udp.get(family) ?? (isIP(dest.address) === 0 ? this.udp.values().next().value : undefined);
    if (!sock) return Promise.reject(new Error(`no UDP socket for IPv${family} to send to ${describe(dest)}`));
    return new Promise((resolve, reject) => {
      try {
        sock.send(buf, dest.port, dest.address, (err) =>
          err ? reject(new Error(`UDP send to ${describe(dest)} failed: ${err.message}`, { cause: err })) : resolve(),
        );
      } catch (err) {
        reject(new Error(`UDP send to ${describe(dest)} failed: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  // ---- TCP / WS ----

  private async startTcp(host: string, port: number, ipv6Only = false): Promise<number> {
    const srv = createServer({ noDelay: true }, (sock) => {
      if (this.stopped || this.conns.size >= this.maxConnections) {
        sock.on('error', () => {});
        sock.destroy();
        return;
      }
      this.adoptTcp(sock);
    });
    srv.on('error', (err) => this.onInternalError(err, 'tcp server'));
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      srv.once('error', onErr);
      srv.listen({ port, host, ipv6Only }, () => {
        srv.off('error', onErr);
        resolve();
      });
    });
    this.tcpServers.push(srv);
    const addr = srv.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  private async startWs(host: string, port: number): Promise<number> {
    const ws = new WsServer({
      maxMessageSize: this.limits?.maxBytes ?? 65535,
      accept: () => !this.stopped && this.conns.size < this.maxConnections,
      onConnection: (c) => this.adoptWs(c),
      onError: (err) => this.onInternalError(err, 'ws server'),
    });
    const bound = await ws.listen(port, host);
    this.ws = ws;
    return bound;
  }

  private register(conn: StreamConn): void {
    this.conns.set(conn.id, conn);
    for (const k of conn.keys) this.byRemote.set(k, conn);
    this.touch(conn);
  }

  /** Records traffic on a connection; the idle timer is re-armed lazily (one timer per connection, not per message). */
  private touch(conn: StreamConn): void {
    conn.lastUsed = this.clock.now();
    if (!conn.idle && !conn.closed) this.armIdle(conn, this.idleTimeoutMs);
  }

  private armIdle(conn: StreamConn, ms: number): void {
    conn.idle = this.clock.setTimeout(() => {
      conn.idle = undefined;
      if (conn.closed) return;
      const left = conn.lastUsed + this.idleTimeoutMs - this.clock.now();
      if (left > 0) this.armIdle(conn, left);
      else conn.close();
    }, ms);
  }

  private forget(conn: StreamConn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.clock.clearTimeout(conn.idle);
    this.conns.delete(conn.id);
    for (const k of conn.keys) if (this.byRemote.get(k) === conn) this.byRemote.delete(k);
    try {
      this.emit('connectionClosed', { protocol: conn.protocol, ...conn.remote, connectionId: conn.id });
    } catch (err) {
      this.onInternalError(err, 'connectionClosed listener');
    }
  }

  private adoptTcp(sock: Socket): StreamConn {
    sock.setNoDelay(true);
    const remote = { address: normalizeAddress(sock.remoteAddress ?? '0.0.0.0'), port: sock.remotePort ?? 0 };
    const conn: StreamConn = {
      id: `tcp-${++this.seq}`,
      protocol: 'tcp',
      remote,
      keys: [connKey('tcp', remote.address, remote.port)],
      lastUsed: 0,
      closed: false,
      write: (buf) =>
        new Promise<void>((resolve, reject) => {
          if (conn.closed || sock.destroyed || !sock.writable)
            return reject(new Error(`TCP connection ${conn.id} to ${remote.address}:${remote.port} is closed`));
          this.touch(conn);
          sock.write(buf, (err) =>
            err
              ? reject(
                  new Error(`TCP write to ${remote.address}:${remote.port} failed: ${err.message}`, { cause: err }),
                )
              : resolve(),
          );
        }),
      close: () => {
        this.forget(conn);
        sock.destroy();
      },
    };
    const source: TransportAddress = { protocol: 'tcp', ...remote, connectionId: conn.id };
    const framer = new StreamFramer(this.limits);
    // A copy of the bytes the framer holds for an incomplete message, so a message it cannot frame can still be
    // answered with a 400 naming the fault (the framer keeps no raw bytes after an error).
    let pending: Buffer = EMPTY;
    sock.on('error', (err) => this.onInternalError(err, `tcp ${remote.address}:${remote.port}`));
    sock.on('close', () => this.forget(conn));
    sock.on('data', (chunk: Buffer) => {
      if (conn.closed) return;
      this.touch(conn);
      const out = framer.push(chunk);
      if (out.keepAlives && !out.error) {
        // RFC 5626 §3.5.1: each CRLFCRLF ping is answered with a CRLF pong.
        sock.write(Buffer.from('\r\n'.repeat(out.keepAlives)));
      }
      if (out.error) {
        const all = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        pending = EMPTY;
        for (const m of out.messages) this.accept(m, source);
        // A stream that cannot be framed cannot be resynchronised: answer if possible, then close (§18.3).
        this.rejectUnparsable(out.error, skipFramed(all, out.messages), source);
        this.forget(conn);
        sock.end();
        setTimeout(() => sock.destroy(), 2000).unref();
        return;
      }
      // The framer holds the last `buffered` bytes of everything pushed so far.
      const held = framer.buffered;
      if (held === 0) pending = EMPTY;
      else {
        const all = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        pending = Buffer.from(all.subarray(Math.max(0, all.length - held)));
      }
      for (const m of out.messages) this.accept(m, source);
    });
    this.register(conn);
    return conn;
  }

  private adoptWs(ws: WsConnection): void {
    const remote = { address: normalizeAddress(ws.remoteAddress), port: ws.remotePort };
    const conn: StreamConn = {
      id: `ws-${++this.seq}`,
      protocol: 'ws',
      remote,
      keys: [connKey('ws', remote.address, remote.port)],
      lastUsed: 0,
      closed: false,
      write: (buf) => {
        if (conn.closed) return Promise.reject(new Error(`WebSocket connection ${conn.id} is closed`));
        this.touch(conn);
        return ws.send(buf);
      },
      close: () => {
        this.forget(conn);
        ws.close();
      },
    };
    const source: TransportAddress = { protocol: 'ws', ...remote, connectionId: conn.id };
    ws.onMessage = (buf) => {
      this.touch(conn);
      this.receive(buf, source);
    };
    ws.onClose = () => this.forget(conn);
    this.register(conn);
  }

  private async sendStream(buf: Buffer, dest: TransportAddress): Promise<void> {
    let conn = dest.connectionId ? this.conns.get(dest.connectionId) : undefined;
    if (!conn) conn = this.byRemote.get(connKey(dest.protocol, dest.address, dest.port));
    if (!conn) {
      if (dest.protocol === 'ws')
        throw new Error(`no WebSocket connection to ${describe(dest)} (outbound WebSocket is not supported)`);
      conn = await this.connectTcp(dest);
    }
    await conn.write(buf);
  }

  private connectTcp(dest: TransportAddress): Promise<StreamConn> {
    const key = connKey('tcp', dest.address, dest.port);
    const pending = this.connecting.get(key);
    if (pending) return pending;
    if (this.conns.size >= this.maxConnections) this.evictLru();
    const p = new Promise<StreamConn>((resolve, reject) => {
      const sock = connect({ host: dest.address, port: dest.port, noDelay: true });
      const timer = this.clock.setTimeout(() => {
        sock.destroy(new Error(`connect timed out after ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      const onError = (err: Error) => {
        this.clock.clearTimeout(timer);
        reject(new Error(`TCP connect to ${describe(dest)} failed: ${err.message}`, { cause: err }));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        this.clock.clearTimeout(timer);
        sock.off('error', onError);
        if (this.stopped) {
          sock.on('error', () => {});
          sock.destroy();
          reject(new Error(`transport stopped while connecting to ${describe(dest)}`));
          return;
        }
        const conn = this.adoptTcp(sock);
        // Index under the address we dialled too (it may be spelled differently from remoteAddress).
        if (!conn.keys.includes(key)) {
          conn.keys.push(key);
          this.byRemote.set(key, conn);
        }
        resolve(conn);
      });
    });
    this.connecting.set(key, p);
    const done = () => this.connecting.delete(key);
    p.then(done, done);
    return p;
  }

  private evictLru(): void {
    let lru: StreamConn | undefined;
    for (const c of this.conns.values()) if (!lru || c.lastUsed < lru.lastUsed) lru = c;
    lru?.close();
  }
}

/** The bytes of `buf` after the messages the framer completed from it (each: CRLFs, header block, body). */
function skipFramed(buf: Buffer, messages: SipMessage[]): Buffer {
  let pos = 0;
  for (const m of messages) {
    while (pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) pos++;
    const crlf = buf.indexOf('\r\n\r\n', pos);
    const lf = buf.indexOf('\n\n', pos);
    let end: number;
    if (crlf >= 0 && (lf < 0 || crlf <= lf)) end = crlf + 4;
    else if (lf >= 0) end = lf + 2;
    else return buf.subarray(buf.length);
    pos = end + m.body.length;
  }
  return buf.subarray(Math.min(pos, buf.length));
}
