// Helpers for the UA-core tests: a raw UDP peer that sends exact bytes and collects what comes back, stacks on
// ephemeral loopback ports, SDP for both sides, and bounded waits.

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { cseq, tagOf, to } from '../../../src/sip/headers.js';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { answerOffer, createOffer, type LocalMedia } from '../../../src/sip/sdp.js';
import { createResponse, serialize, type ResponseOptions } from '../../../src/sip/serialize.js';
import { SipStack, type SipStackOptions } from '../../../src/sip/stack.js';

export const MEDIA_A: LocalMedia = {
  address: '127.0.0.1',
  port: 40000,
  codecs: ['PCMU', 'PCMA'],
  telephoneEvent: true,
};
export const MEDIA_B: LocalMedia = {
  address: '127.0.0.1',
  port: 41000,
  codecs: ['PCMA', 'PCMU'],
  telephoneEvent: true,
};

export const rand = (): string => randomBytes(6).toString('hex');
export const branch = (): string => `z9hG4bK${rand()}`;

/** Rejects after `ms` with a message naming what was awaited. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** The next `event` of `emitter`, bounded. */
export function once<T extends unknown[]>(emitter: EventEmitter, event: string, ms = 2000): Promise<T> {
  return within(
    new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))),
    ms,
    `event ${event}`,
  );
}

/** How a session ended (its next `terminated` event), bounded. */
export function ended(session: EventEmitter, ms = 2000): Promise<string> {
  return once<[string]>(session, 'terminated', ms).then(([reason]) => reason);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A SipStack on an ephemeral UDP port of 127.0.0.1, without rate limiting unless asked. */
export async function startStack(opts: Partial<SipStackOptions> = {}): Promise<{ stack: SipStack; port: number }> {
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, rateLimit: false, ...opts });
  const ports = await stack.start();
  return { stack, port: ports.udp! };
}

export interface Received {
  msg: SipMessage;
  address: string;
  port: number;
}

/**
 * A raw SIP peer on one UDP socket: sends exact text, keeps every message it receives in order, and lets a test
 * wait (bounded) for the next one that matches.
 */
export class RawPeer {
  readonly received: Received[] = [];
  private consumed = new Set<Received>();
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(
    readonly socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {
    socket.on('message', (buf) => {
      let msg: SipMessage;
      try {
        msg = parseMessage(buf);
      } catch {
        return;
      }
      const r: Received = { msg, address: host, port };
      this.received.push(r);
      for (const w of this.waiters) {
        if (!this.consumed.has(r) && w.pred(msg)) {
          this.consumed.add(r);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(r);
          break;
        }
      }
    });
  }

  static async open(host = '127.0.0.1'): Promise<RawPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return new RawPeer(socket, host, socket.address().port);
  }

  get hostport(): string {
    return `${this.host}:${this.port}`;
  }

  send(data: string | Buffer | SipMessage, port: number, host = '127.0.0.1'): void {
    const buf =
      typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : serialize(data as SipMessage);
    this.socket.send(buf, port, host);
  }

  /** The next message (not yet returned by `next`) matching `pred`, bounded by `ms`. */
  next<T extends SipMessage = SipMessage>(pred: (m: SipMessage) => boolean, ms = 2000, what = 'a message'): Promise<T> {
    const found = this.received.find((r) => !this.consumed.has(r) && pred(r.msg));
    if (found) {
      this.consumed.add(found);
      return Promise.resolve(found.msg as T);
    }
    return within(
      new Promise<T>((resolve) => this.waiters.push({ pred, resolve: (r) => resolve(r.msg as T) })),
      ms,
      what,
    );
  }

  /** The next response with `status` (any status when omitted) for a CSeq method. */
  response(status: number | undefined, method?: string, ms = 2000): Promise<SipResponse> {
    return this.next<SipResponse>(
      (m) =>
        m.kind === 'response' &&
        (status === undefined || m.status === status) &&
        (!method || cseq(m).method === method),
      ms,
      `${status ?? 'a'} response${method ? ` to ${method}` : ''}`,
    );
  }

  request(method: string, ms = 2000): Promise<SipRequest> {
    return this.next<SipRequest>((m) => m.kind === 'request' && m.method === method, ms, `a ${method}`);
  }

  /** Every received message matching `pred` (consumed or not). */
  all<T extends SipMessage = SipMessage>(pred: (m: SipMessage) => boolean): T[] {
    return this.received.filter((r) => pred(r.msg)).map((r) => r.msg as T);
  }

  /** Answer a request the stack sent us (to the address in its top Via). */
  reply(req: SipRequest, status: number, opts: ResponseOptions = {}, dest?: number): SipResponse {
    const res = createResponse(req, status, undefined, opts);
    const via = /SIP\/2\.0\/UDP\s+([^;:\s]+):(\d+)/i.exec(req.headers.values('via')[0])!;
    this.send(res, dest ?? Number(via[2]), via[1]);
    return res;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export interface RequestInit {
  method: string;
  uri: string;
  /** `host:port` of the peer (Via sent-by and Contact). */
  peer: string;
  /** To header value without the tag (default `<uri>`). */
  to?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  seq?: number;
  branch?: string;
  /** Contact header value (default `<sip:alice@peer>`). */
  contact?: string;
  headers?: string[];
  body?: string;
  contentType?: string;
}

/** The bytes of a request as a peer would send them (Via with rport, Contact on the peer). */
export function requestText(r: RequestInit): string {
  const body = r.body ?? '';
  const lines = [
    `${r.method} ${r.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${r.peer};rport;branch=${r.branch ?? branch()}`,
    'Max-Forwards: 70',
    `From: <sip:alice@${r.peer}>;tag=${r.fromTag ?? 'peer'}`,
    `To: ${r.to ?? `<${r.uri}>`}${r.toTag ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId ?? rand()}`,
    `CSeq: ${r.seq ?? 1} ${r.method}`,
    `Contact: ${r.contact ?? `<sip:alice@${r.peer}>`}`,
    ...(r.headers ?? []),
    ...(body ? [`Content-Type: ${r.contentType ?? 'application/sdp'}`] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ];
  return lines.join('\r\n');
}

/** An offer as the peer would make it. */
export function peerOffer(media: Partial<LocalMedia> = {}): string {
  return createOffer({ ...MEDIA_B, ...media });
}

/** One call from the raw peer's side: its dialog identifiers and the requests it sends. */
export class Caller {
  readonly callId = rand();
  readonly fromTag = rand();
  seq = 10;
  inviteSeq = 10;
  inviteBranch = '';
  toTag = '';
  constructor(
    readonly peer: RawPeer,
    readonly stack: SipStack,
    readonly port: number,
    readonly user = 'bob',
  ) {}

  get uri(): string {
    return `sip:${this.user}@127.0.0.1:${this.port}`;
  }

  invite(opts: { sdp?: string; headers?: string[]; contentType?: string } = {}): void {
    this.inviteBranch = branch();
    this.inviteSeq = this.seq;
    this.peer.send(
      requestText({
        method: 'INVITE',
        uri: this.uri,
        peer: this.peer.hostport,
        callId: this.callId,
        fromTag: this.fromTag,
        seq: this.seq,
        branch: this.inviteBranch,
        headers: opts.headers,
        body: opts.sdp,
        contentType: opts.contentType,
      }),
      this.port,
    );
  }

  /** Remember the To tag of a response to our INVITE. */
  tagFrom(res: SipResponse): SipResponse {
    this.toTag = tagOf(to(res)) ?? '';
    return res;
  }

  ack(opts: { sdp?: string; seq?: number } = {}): void {
    this.send('ACK', { seq: opts.seq ?? this.inviteSeq, body: opts.sdp });
  }

  /** The ACK for a non-2xx final: same branch as the INVITE (hop by hop, §17.1.1.3). */
  ackFailure(): void {
    this.peer.send(
      requestText({
        method: 'ACK',
        uri: this.uri,
        peer: this.peer.hostport,
        callId: this.callId,
        fromTag: this.fromTag,
        toTag: this.toTag,
        seq: this.inviteSeq,
        branch: this.inviteBranch,
      }),
      this.port,
    );
  }

  cancel(): void {
    this.peer.send(
      requestText({
        method: 'CANCEL',
        uri: this.uri,
        peer: this.peer.hostport,
        callId: this.callId,
        fromTag: this.fromTag,
        seq: this.inviteSeq,
        branch: this.inviteBranch,
      }),
      this.port,
    );
  }

  /** A request in the dialog (a new CSeq unless `seq` is given). */
  send(
    method: string,
    opts: {
      seq?: number;
      body?: string;
      contentType?: string;
      headers?: string[];
      toTag?: string;
      contact?: string;
    } = {},
  ): number {
    const seq = opts.seq ?? ++this.seq;
    if (method === 'INVITE') this.inviteSeq = seq;
    this.peer.send(
      requestText({
        method,
        uri: `sip:pivot@127.0.0.1:${this.port}`,
        to: `<${this.uri}>`,
        peer: this.peer.hostport,
        callId: this.callId,
        fromTag: this.fromTag,
        toTag: opts.toTag ?? this.toTag,
        seq,
        contact: opts.contact,
        headers: opts.headers,
        body: opts.body,
        contentType: opts.contentType,
      }),
      this.port,
    );
    return seq;
  }

  /** INVITE, 200 (accepted by the app with an answer) and ACK: a confirmed call. */
  async establish(onCall?: (c: IncomingCall) => void, headers?: string[]): Promise<IncomingCall> {
    const incoming = once<[IncomingCall]>(this.stack, 'invite').then(([c]) => c);
    this.invite({ sdp: peerOffer(), headers });
    const call = await incoming;
    onCall?.(call);
    const acked = call.accept({ sdp: answerFor(call.offer!) });
    this.tagFrom(await this.peer.response(200, 'INVITE'));
    this.ack();
    await within(acked, 2000, 'the ACK to reach the call');
    return call;
  }
}

/** Our answer to an offer, as the app would build it. */
export function answerFor(offer: string, media: LocalMedia = MEDIA_A): string {
  const answer = answerOffer(offer, media);
  if (!answer.ok) throw new Error(answer.warning);
  return answer.answer;
}
