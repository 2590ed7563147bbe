// The UAC side of an INVITE (RFC 3261 §13.2): send it, report provisional responses (early media), answer digest
// challenges (401/407, once per challenge), follow 3xx redirects, ACK the 2xx, and keep only the first 2xx when
// the request forks (the others are ACKed and hung up, §13.2.2.4). CANCEL before the answer, BYE after it.

import { authorize, credentialsHeaderFor, pickChallenge } from './digest.js';
import { Dialog } from './dialog.js';
import { newTag, randomHex } from './ids.js';
import { contacts, cseq, tagOf, to } from './headers.js';
import { Headers, type SipRequest, type SipResponse } from './message.js';
import { SipSession } from './session.js';
import type { SipStack } from './stack.js';
import type { ClientTransaction } from './transaction.js';
import type { TransportAddress } from './transport.js';
import { parseUri } from './uri.js';

export interface OutgoingOptions {
  /** Request-URI, e.g. `sip:1000@127.0.0.1:5062`. */
  uri: string;
  /** To header value (default `<uri>`). */
  to?: string;
  from: { user: string; host?: string; displayName?: string };
  /** The SDP offer (a delayed offer is not supported: Pivot always offers). */
  sdp?: string;
  headers?: [string, string][];
  /** Credentials for 401/407 challenges (carrier trunks). */
  auth?: { username: string; password: string };
  /** Where to send instead of resolving the URI (a registered contact's address, a trunk's proxy). */
  dest?: TransportAddress;
  maxRedirects?: number;
}

export type OutgoingResult =
  { ok: true; response: SipResponse } | { ok: false; status: number; reason: string; response?: SipResponse };

function quoteDisplay(name: string): string {
  return `"${name.replace(/["\\\r\n]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : ''))}"`;
}

export class OutgoingCall extends SipSession {
  readonly callIdValue: string;
  readonly fromTag = newTag();
  /** Resolves once, when the call is answered or has failed. */
  readonly result: Promise<OutgoingResult>;
  private settle!: (r: OutgoingResult) => void;
  private seq = Math.floor(Math.random() * 10000) + 1;
  private tx?: ClientTransaction;
  private invite?: SipRequest;
  private dest?: TransportAddress;
  private redirects = 0;
  /** Challenge statuses (401, 407) already answered for the current target, and the credentials sent. */
  private answered = new Set<number>();
  private credentials: [string, string][] = [];
  /** Losing forks already ACKed and hung up, by To tag. */
  private readonly forks = new Map<string, Dialog>();
  private cancelled = false;
  private readonly targets: string[];

  constructor(
    stack: SipStack,
    readonly options: OutgoingOptions,
  ) {
    super(stack);
    this.role = 'uac';
    this.callIdValue = `${randomHex(12)}@${stack.advertisedHost}`;
    this.targets = [options.uri];
    this.result = new Promise((resolve) => (this.settle = resolve));
    this.localSdp = options.sdp;
  }

  get peer(): TransportAddress | undefined {
    return this.dest;
  }

  /** Send the INVITE (called by the stack). */
  async start(): Promise<void> {
    const uri = this.targets.shift()!;
    try {
      this.dest = this.options.dest ?? (await this.stack.resolve(uri))[0];
    } catch (err) {
      return this.fail(404, `Not Found (cannot resolve ${uri}: ${(err as Error).message})`);
    }
    if (!this.dest) return this.fail(404, `Not Found (no address for ${uri})`);
    // Hung up while the target was being resolved: no INVITE leaves at all.
    if (this.cancelled) return this.fail(487, 'Request Terminated');
    this.send(this.build(uri));
  }

  private build(uri: string, auth: [string, string][] = []): SipRequest {
    const o = this.options;
    const h = new Headers();
    h.append('Max-Forwards', '70');
    const host = o.from.host ?? this.stack.advertisedHost;
    const display = o.from.displayName ? `${quoteDisplay(o.from.displayName)} ` : '';
    h.append('From', `${display}<sip:${o.from.user}@${host}>;tag=${this.fromTag}`);
    h.append('To', o.to ?? `<${uri}>`);
    h.append('Call-ID', this.callIdValue);
    h.append('CSeq', `${this.seq} INVITE`);
    h.append('Contact', this.stack.contactFor(this.dest!));
    h.append('Allow', this.stack.allow());
    h.append('Supported', 'timer');
    h.append('User-Agent', this.stack.userAgent);
    for (const [name, value] of auth) h.append(name, value);
    for (const [k, v] of o.headers ?? []) h.append(k, v);
    const body = Buffer.from(o.sdp ?? '');
    if (body.length) h.append('Content-Type', 'application/sdp');
    return { kind: 'request', method: 'INVITE', uri, version: 'SIP/2.0', headers: h, body };
  }

  private send(invite: SipRequest): void {
    this.invite = invite;
    this.tx = this.stack.transactions.sendRequest(invite, this.dest!, {
      onProvisional: (res) => this.onProvisional(res),
      onFinal: (res) => this.onFinal(res),
      onTimeout: () => this.fail(408, 'Request Timeout'),
      onTransportError: (err) => this.fail(503, `Service Unavailable (${err.message})`),
      onAdditional2xx: (res) => this.onExtra2xx(res),
    });
  }

  private onProvisional(res: SipResponse): void {
    if (res.status === 100 || this.state === 'terminated') return;
    this.state = 'early';
    const sdp = res.body.length ? res.body.toString('utf8') : undefined;
    if (sdp) this.remoteSdp = sdp;
    this.emit('progress', res.status, sdp);
  }

  private onFinal(res: SipResponse): void {
    const invite = this.invite!;
    if (res.status >= 200 && res.status < 300) return this.onAnswer(invite, res);
    // Each kind of challenge is answered once: a second 401 (or 407) means our credentials were refused. A 407
    // from a proxy followed by a 401 from the UAS is answered with both credentials.
    const auth = this.options.auth;
    if ((res.status === 401 || res.status === 407) && auth && !this.cancelled && !this.answered.has(res.status)) {
      const header = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const challenge = pickChallenge(res.headers.lines(header));
      if (challenge) {
        this.answered.add(res.status);
        this.seq++;
        const value = authorize(challenge, {
          username: auth.username,
          password: auth.password,
          method: 'INVITE',
          uri: invite.uri,
          body: invite.body.toString('utf8'),
        });
        this.credentials.push([credentialsHeaderFor(header), value]);
        return this.send(this.build(invite.uri, this.credentials));
      }
    }
    if (res.status >= 300 && res.status < 400 && !this.cancelled) {
      const next = contacts(res)
        .filter((c) => c !== '*')
        .map((c) => (c as { uriText: string }).uriText);
      if (next.length && this.redirects < (this.options.maxRedirects ?? 5)) {
        this.redirects++;
        this.seq++;
        // A new target challenges afresh.
        this.answered.clear();
        this.credentials = [];
        this.targets.unshift(...next);
        void this.start();
        return;
      }
    }
    this.fail(res.status, res.reason, res);
  }

  private onAnswer(invite: SipRequest, res: SipResponse): void {
    const dialog = Dialog.asUac(invite, res, this.options.dest);
    this.dialog = dialog;
    this.stack.remember(this);
    if (res.body.length) this.remoteSdp = res.body.toString('utf8');
    this.timerFromResponse(res);
    void this.stack.sendAckInDialog(dialog, dialog.request('ACK', { seq: cseq(invite).seq })).catch(() => undefined);
    if (this.state === 'terminated' || this.cancelled) {
      // Answered while we were cancelling: take the call and hang it up at once (§9.1).
      this.state = 'confirmed';
      void this.bye('cancel');
      this.settle({ ok: false, status: 487, reason: 'Request Terminated' });
      return;
    }
    this.state = 'confirmed';
    dialog.state = 'confirmed';
    this.armTimer();
    this.settle({ ok: true, response: res });
    this.emit('confirmed');
  }

  /** A 2xx after the first: its retransmission (ACK again) or another fork (ACK and BYE it). */
  private onExtra2xx(res: SipResponse): void {
    const invite = this.invite!;
    const tag = tagOf(to(res));
    const seq = cseq(invite).seq;
    // The winner's or a known fork's 2xx again: our ACK was lost, send it again (and nothing more).
    const known = this.dialog && tag === this.dialog.remoteTag ? this.dialog : this.forks.get(tag ?? '');
    if (known) {
      void this.stack.sendAckInDialog(known, known.request('ACK', { seq })).catch(() => undefined);
      return;
    }
    const fork = Dialog.asUac(invite, res);
    fork.state = 'confirmed';
    this.forks.set(tag ?? '', fork);
    void this.stack
      .sendAckInDialog(fork, fork.request('ACK', { seq }))
      .then(() => this.stack.sendInDialog(fork, fork.request('BYE')))
      .catch(() => undefined);
  }

  private fail(status: number, reason: string, response?: SipResponse): void {
    this.settle({ ok: false, status, reason, response });
    this.end(this.cancelled ? 'cancel' : 'failed', { status, reason });
  }

  /** Give up before the answer (CANCEL), or hang up after it (BYE). */
  async hangup(_status?: number): Promise<void> {
    if (this.state === 'confirmed') return this.bye();
    if (this.state === 'terminated' || this.cancelled) return;
    this.cancelled = true;
    if (this.tx) this.stack.transactions.cancel(this.tx);
  }

  /** The SIP URI actually dialled last. */
  get target(): string | undefined {
    return this.invite?.uri;
  }

  /** The host of the Request-URI, for logs. */
  get targetHost(): string | undefined {
    try {
      return this.invite ? parseUri(this.invite.uri).host : undefined;
    } catch {
      return undefined;
    }
  }
}
