// A SIP dialog (RFC 3261 §12): its id, CSeq counters, route set and remote target, the construction of requests
// inside it (§12.2.1.1, loose and strict routing) and the checks on requests that arrive in it (§12.2.2).

import { Headers, type SipRequest, type SipResponse } from './message.js';
import { callId, contacts, cseq, from, parseNameAddr, recordRoutes, tagOf, to, type NameAddr } from './headers.js';
import type { TransportAddress } from './transport.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Contact URI of a message, if it has exactly one usable Contact. */
function contactUri(msg: SipRequest | SipResponse): string | undefined {
  const c = contacts(msg)[0];
  return c && c !== '*' ? c.uriText : undefined;
}

export interface DialogInit {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Our From/To value (with our tag), as written in requests we send. */
  local: string;
  /** Their From/To value (with their tag). */
  remote: string;
  localSeq: number;
  remoteSeq?: number;
  remoteTarget: string;
  /** Route set, in the order Route headers are written in our requests. */
  routeSet: string[];
  /** Our Contact header value. */
  contact: string;
  /** Where requests of this dialog go when the route set is empty (the peer's flow, for NAT). */
  flow?: TransportAddress;
  state: DialogState;
}

export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  remoteTag: string;
  readonly local: string;
  remote: string;
  localSeq: number;
  remoteSeq?: number;
  remoteTarget: string;
  routeSet: string[];
  contact: string;
  flow?: TransportAddress;
  state: DialogState;

  constructor(init: DialogInit) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.contact = init.contact;
    this.flow = init.flow;
    this.state = init.state;
  }

  /** `Call-ID;local-tag;remote-tag`: how dialogs are looked up. */
  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** The UAS side (§12.1.1): route set = Record-Route in order, remote target = Contact, our tag added to To. */
  static asUas(req: SipRequest, localTag: string, contact: string, flow: TransportAddress): Dialog {
    const toValue = req.headers.get('to') ?? '';
    return new Dialog({
      callId: callId(req),
      localTag,
      remoteTag: tagOf(from(req)) ?? '',
      local: `${toValue};tag=${localTag}`,
      remote: req.headers.get('from') ?? '',
      localSeq: Math.floor(Math.random() * 10000) + 1,
      remoteSeq: cseq(req).seq,
      remoteTarget: contactUri(req) ?? req.uri,
      routeSet: recordRoutes(req).map(formatRoute),
      contact,
      flow,
      state: 'early',
    });
  }

  /** The UAC side (§12.1.2): route set = Record-Route of the response, reversed; remote target = its Contact. */
  static asUac(req: SipRequest, res: SipResponse, flow?: TransportAddress): Dialog {
    return new Dialog({
      callId: callId(req),
      localTag: tagOf(from(req)) ?? '',
      remoteTag: tagOf(to(res)) ?? '',
      local: req.headers.get('from') ?? '',
      remote: res.headers.get('to') ?? '',
      localSeq: cseq(req).seq,
      remoteTarget: contactUri(res) ?? req.uri,
      routeSet: recordRoutes(res).map(formatRoute).reverse(),
      contact: req.headers.get('contact') ?? '',
      flow,
      state: res.status < 200 ? 'early' : 'confirmed',
    });
  }

  /**
   * Check a request received in this dialog (§12.2.2): a CSeq lower than the last one is out of order (500);
   * target refresh requests update the remote target.
   */
  receive(req: SipRequest): { status: number; reason: string } | undefined {
    const seq = cseq(req).seq;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq < this.remoteSeq) {
        return { status: 500, reason: 'Server Internal Error (CSeq out of order)' };
      }
      this.remoteSeq = seq;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      const target = contactUri(req);
      if (target) this.remoteTarget = target;
    }
    return undefined;
  }

  /** A 2xx to a re-INVITE/UPDATE we sent refreshes the remote target too. */
  refreshFrom(res: SipResponse): void {
    const target = contactUri(res);
    if (target) this.remoteTarget = target;
  }

  /** Build a request in this dialog (§12.2.1.1). ACK and CANCEL reuse the CSeq of the request they belong to. */
  request(
    method: string,
    opts: { seq?: number; body?: Buffer | string; contentType?: string; headers?: [string, string][] } = {},
  ): SipRequest {
    const seq = opts.seq ?? ++this.localSeq;
    const h = new Headers();
    let uri = this.remoteTarget;
    const routes = [...this.routeSet];
    if (routes.length && !isLooseRoute(routes[0])) {
      // Strict routing (RFC 2543 proxy): the first route becomes the Request-URI, the target goes last.
      uri = parseNameAddr(routes.shift()!, 'Route').uriText;
      routes.push(`<${this.remoteTarget}>`);
    }
    for (const r of routes) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', this.local);
    h.append('To', this.remote);
    h.append('Call-ID', this.callId);
    h.append('CSeq', `${seq} ${method}`);
    if (method === 'INVITE' || method === 'UPDATE') h.append('Contact', this.contact);
    for (const [k, v] of opts.headers ?? []) h.append(k, v);
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : (opts.body ?? Buffer.alloc(0));
    if (body.length && opts.contentType) h.append('Content-Type', opts.contentType);
    return { kind: 'request', method, uri, version: 'SIP/2.0', headers: h, body };
  }
}

export function dialogId(callIdValue: string, localTag: string, remoteTag: string): string {
  return `${callIdValue};${localTag};${remoteTag}`;
}

function formatRoute(na: NameAddr): string {
  const params = Object.entries(na.params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
  return `<${na.uriText}>${params}`;
}

function isLooseRoute(route: string): boolean {
  try {
    return 'lr' in parseNameAddr(route, 'Route').uri.params;
  } catch {
    return true;
  }
}
