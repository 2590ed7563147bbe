// In-memory transport and message builders for transaction-layer tests.

import { EventEmitter } from 'node:events';
import { Headers, type SipMessage, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/serialize.js';
import { FakeClock } from '../../../src/sip/timers.js';
import { TransactionLayer, type TransactionLayerOptions } from '../../../src/sip/transaction.js';
import type { TransportAddress, TransportProtocol } from '../../../src/sip/transport.js';

export interface Sent {
  msg: SipMessage;
  dest: TransportAddress;
  at: number;
}

export class FakeTransport extends EventEmitter<{ message: [SipMessage, TransportAddress] }> {
  readonly sent: Sent[] = [];
  /** When set, `send` rejects with this error. */
  failWith: Error | undefined;

  constructor(private readonly clock: FakeClock) {
    super();
  }

  async send(msg: SipMessage, dest: TransportAddress): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ msg, dest, at: this.clock.now() });
  }

  localFor(_protocol: TransportProtocol): { address: string; port: number } {
    return { address: '192.0.2.10', port: 5070 };
  }

  deliver(msg: SipMessage, source: TransportAddress = UDP_PEER): void {
    this.emit('message', msg, source);
  }

  requests(method?: string): SipRequest[] {
    return this.sent
      .map((s) => s.msg)
      .filter((m): m is SipRequest => m.kind === 'request' && (!method || m.method === method));
  }

  responses(status?: number): SipResponse[] {
    return this.sent
      .map((s) => s.msg)
      .filter((m): m is SipResponse => m.kind === 'response' && (status === undefined || m.status === status));
  }

  /** Times (fake ms) at which messages matching `pred` were sent. */
  times(pred: (m: SipMessage) => boolean): number[] {
    return this.sent.filter((s) => pred(s.msg)).map((s) => s.at);
  }
}

export const UDP_PEER: TransportAddress = { protocol: 'udp', address: '192.0.2.99', port: 5060 };
export const TCP_PEER: TransportAddress = { protocol: 'tcp', address: '192.0.2.99', port: 40000, connectionId: 'c1' };

export interface ReqInit {
  method?: string;
  uri?: string;
  branch?: string | null;
  sentBy?: string;
  transport?: string;
  callId?: string;
  seq?: number;
  fromTag?: string;
  toTag?: string;
  body?: string;
}

let counter = 0;

/** A request as a peer would send it (Via sent-by 192.0.2.99:5060 unless told otherwise). */
export function request(init: ReqInit = {}): SipRequest {
  const method = init.method ?? 'INVITE';
  const h = new Headers();
  const branch = init.branch === null ? '' : `;branch=${init.branch ?? `z9hG4bK-t${++counter}`}`;
  h.append('Via', `SIP/2.0/${init.transport ?? 'UDP'} ${init.sentBy ?? '192.0.2.99:5060'}${branch}`);
  h.append('Max-Forwards', '70');
  h.append('From', `<sip:alice@example.com>;tag=${init.fromTag ?? 'ft1'}`);
  h.append('To', `<sip:bob@example.com>${init.toTag ? `;tag=${init.toTag}` : ''}`);
  h.append('Call-ID', init.callId ?? 'call-1@example.com');
  h.append('CSeq', `${init.seq ?? 1} ${method}`);
  if (init.body) h.append('Content-Type', 'application/sdp');
  return {
    kind: 'request',
    method,
    uri: init.uri ?? 'sip:bob@example.com',
    version: 'SIP/2.0',
    headers: h,
    body: Buffer.from(init.body ?? ''),
  };
}

/** A request for Pivot to send (no Via: the layer adds it). */
export function outgoing(method = 'INVITE', seq = 1): SipRequest {
  const req = request({ method, seq });
  req.headers.delete('via');
  return req;
}

/** The ACK a UA would send for a response to `invite` (same branch for non-2xx, a new one for 2xx). */
export function ackFor(invite: SipRequest, res: SipResponse, branch?: string): SipRequest {
  const h = new Headers();
  const via = invite.headers.get('via')!;
  h.append('Via', branch ? via.replace(/branch=[^;]+/, `branch=${branch}`) : via);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from')!);
  h.append('To', res.headers.get('to')!);
  h.append('Call-ID', invite.headers.get('call-id')!);
  h.append('CSeq', `${invite.headers.get('cseq')!.split(' ')[0]} ACK`);
  return { kind: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

/** The CANCEL a UA would send for `invite` (§9.1). */
export function cancelFor(invite: SipRequest): SipRequest {
  const h = new Headers();
  h.append('Via', invite.headers.get('via')!);
  h.append('Max-Forwards', '70');
  h.append('From', invite.headers.get('from')!);
  h.append('To', invite.headers.get('to')!);
  h.append('Call-ID', invite.headers.get('call-id')!);
  h.append('CSeq', `${invite.headers.get('cseq')!.split(' ')[0]} CANCEL`);
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}

/** A response to a request we sent, as the peer would send it. */
export function reply(req: SipRequest, status: number, toTag = 'tt1'): SipResponse {
  return createResponse(req, status, undefined, { toTag: status > 100 ? toTag : undefined });
}

export function setup(opts: TransactionLayerOptions = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const errors: unknown[] = [];
  const layer = new TransactionLayer(transport, {
    clock,
    onError: (e) => errors.push(e),
    ...opts,
    timers: { T1: 500, T2: 4000, T4: 5000, ...opts.timers },
  });
  return { clock, transport, layer, errors };
}

/** Lets pending promise callbacks (transport rejections) run. */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
