// The SIP stack: transports, transactions and the UA core that sits on them. It dispatches requests — in-dialog
// ones to their session (481 when there is none), new INVITEs to the application as `IncomingCall`s, REGISTER
// to the registrar, OPTIONS answered here (503 while draining), everything else 405/501 — and places outgoing
// calls. Unauthenticated traffic is rate-limited per source address.

import { EventEmitter } from 'node:events';
import { dialogId, type Dialog } from './dialog.js';
import { callId, from, parseNameAddr, tagOf, to } from './headers.js';
import { IncomingCall } from './incoming-call.js';
import type { SipRequest, SipResponse } from './message.js';
import { OutgoingCall, type OutgoingOptions } from './outgoing-call.js';
import { SourceRateLimiter } from './rate-limit.js';
import { dnsResolver, type Resolver } from './resolver.js';
import { createResponse } from './serialize.js';
import type { SipSession } from './session.js';
import type { Clock, TimerConfig } from './timers.js';
import { TransactionLayer, type ServerTransaction } from './transaction.js';
import { TransportLayer, type BoundPorts, type TransportAddress, type TransportOptions } from './transport.js';
import { parseUri } from './uri.js';

/** Option tags we support (Require with anything else gets 420). */
const SUPPORTED = ['timer'];
const ACCEPT = 'application/sdp, application/dtmf-relay';

export interface SipStackOptions {
  host: string;
  udpPort?: number;
  tcpPort?: number;
  wsPort?: number;
  transport?: TransportOptions;
  timers?: Partial<TimerConfig>;
  clock?: Clock;
  userAgent?: string;
  resolver?: Resolver;
  /** Unauthenticated requests per second per source address (burst = 2 s worth); false disables. */
  rateLimit?: { rate: number; burst: number } | false;
  /** Smallest Session-Expires we accept (RFC 4028 Min-SE; default 90). */
  minSessionExpires?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

export interface SipStackEvents {
  /** A new call. Answer it (`accept`), ring (`progress`) or `reject` it; unhandled calls get 404. */
  invite: [call: IncomingCall];
  /** A request from a source that exceeded the rate limit was dropped. */
  rateLimited: [source: TransportAddress, method: string];
}

export type RegisterHandler = (req: SipRequest, source: TransportAddress) => Promise<SipResponse>;

export class SipStack extends EventEmitter<SipStackEvents> {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly userAgent: string;
  readonly minSessionExpires: number;
  /** REGISTER handling (the registrar); without one REGISTER is 405. */
  onRegister?: RegisterHandler;
  /** Answering OPTIONS with 503 and new INVITEs with 503: the node is leaving the pool. */
  draining = false;
  ports: BoundPorts = {};
  private readonly sessions = new Map<string, SipSession>();
  private readonly live = new Set<SipSession>();
  private readonly limiter?: SourceRateLimiter;
  private readonly resolver: Resolver;
  private readonly logger: (message: string, detail?: Record<string, unknown>) => void;

  constructor(private readonly options: SipStackOptions) {
    super();
    this.transport = new TransportLayer({ clock: options.clock, ...options.transport });
    this.transactions = new TransactionLayer(this.transport, {
      clock: options.clock,
      timers: options.timers,
      onError: (err, where) => this.log(`error in ${where}`, { err: String(err) }),
    });
    this.userAgent = options.userAgent ?? 'Pivot';
    this.minSessionExpires = options.minSessionExpires ?? 90;
    this.resolver = options.resolver ?? dnsResolver;
    this.logger = options.log ?? (() => {});
    if (options.rateLimit !== false) {
      const { rate, burst } = options.rateLimit ?? { rate: 50, burst: 100 };
      this.limiter = new SourceRateLimiter({ ratePerSecond: rate, burst, clock: options.clock });
    }
    this.transactions.onRequest((req, tx, source) => this.dispatch(req, tx, source));
  }

  async start(): Promise<BoundPorts> {
    const { host, udpPort, tcpPort, wsPort } = this.options;
    this.ports = await this.transport.start({ host, udpPort, tcpPort, wsPort });
    return this.ports;
  }

  /** Hang up every session, then close the transports. */
  async stop(): Promise<void> {
    this.draining = true;
    // Ringing calls are refused (503), unanswered outgoing ones cancelled, answered ones hung up; bounded, so a
    // peer that never answers our BYE can't hold the shutdown.
    const ending = [...this.live].map((s) => s.hangup(503).catch(() => undefined));
    await Promise.race([Promise.allSettled(ending), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.transactions.close();
    await this.transport.stop();
  }

  get advertisedHost(): string {
    return this.transport.localFor('udp').address;
  }

  log(message: string, detail?: Record<string, unknown>): void {
    this.logger(message, detail);
  }

  /** Our Contact for a peer on `dest`'s transport. */
  contactFor(dest: TransportAddress): string {
    const local = this.transport.localFor(dest.protocol);
    const host = local.address.includes(':') ? `[${local.address}]` : local.address;
    const transport = dest.protocol === 'udp' ? '' : `;transport=${dest.protocol}`;
    return `<sip:pivot@${host}:${local.port}${transport}>`;
  }

  allow(): string {
    return `INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE${this.onRegister ? ', REGISTER' : ''}`;
  }

  optionsResponse(req: SipRequest): SipResponse {
    return createResponse(req, this.draining ? 503 : 200, undefined, {
      headers: [
        ['Allow', this.allow()],
        ['Accept', ACCEPT],
        ['Supported', SUPPORTED.join(', ')],
        ['User-Agent', this.userAgent],
      ],
    });
  }

  /** Place a call. Its `result` says whether it was answered. */
  invite(options: OutgoingOptions): OutgoingCall {
    const call = new OutgoingCall(this, options);
    void call.start();
    return call;
  }

  async resolve(uri: string): Promise<TransportAddress[]> {
    return this.resolver.resolve(parseUri(uri));
  }

  /** Live sessions with a dialog (for tests, metrics and shutdown). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  // ---- sessions ------------------------------------------------------------------------------------------

  /** @internal A session got its dialog. */
  remember(session: SipSession): void {
    if (session.dialog) this.sessions.set(session.dialog.id, session);
  }

  /** @internal A session ended. */
  forget(session: SipSession): void {
    this.live.delete(session);
    if (session.dialog && this.sessions.get(session.dialog.id) === session) this.sessions.delete(session.dialog.id);
  }

  /** @internal Every session not yet ended, dialog or not (for shutdown). */
  track(session: SipSession): void {
    this.live.add(session);
  }

  /** Where a request in `dialog` goes: the first route, else the peer's flow, else the remote target. */
  private async destinationFor(dialog: Dialog): Promise<TransportAddress> {
    if (dialog.routeSet.length) {
      const first = parseNameAddr(dialog.routeSet[0], 'Route').uriText;
      const [dest] = await this.resolve(first);
      if (dest) return dest;
    }
    if (dialog.flow) return dialog.flow;
    const [dest] = await this.resolve(dialog.remoteTarget);
    if (!dest) throw new Error(`no address for ${dialog.remoteTarget}`);
    return dest;
  }

  /**
   * @internal Send a request inside a dialog; resolves with the final response (408/503 made up on failure).
   * `on2xxAgain` hears of retransmissions of a re-INVITE's 2xx (to ACK them again).
   */
  async sendInDialog(dialog: Dialog, req: SipRequest, on2xxAgain?: () => void): Promise<SipResponse> {
    const dest = await this.destinationFor(dialog);
    return new Promise((resolve) => {
      this.transactions.sendRequest(req, dest, {
        onFinal: (res) => resolve(res),
        onTimeout: () => resolve(createResponse(req, 408)),
        onTransportError: (err) => resolve(createResponse(req, 503, `Service Unavailable (${err.message})`)),
        onAdditional2xx: () => on2xxAgain?.(),
      });
    });
  }

  /** @internal Send the ACK for a 2xx (end to end, no transaction). */
  async sendAckInDialog(dialog: Dialog, ack: SipRequest): Promise<void> {
    await this.transactions.sendAck(ack, await this.destinationFor(dialog));
  }

  // ---- dispatch -----------------------------------------------------------------------------------------

  private dispatch(req: SipRequest, tx: ServerTransaction | null, source: TransportAddress): void {
    const toTag = tagOf(to(req));
    const fromTag = tagOf(from(req)) ?? '';
    if (req.method === 'ACK') {
      // ACKs for our 2xx reach the core without a transaction (RFC 6026).
      const session = toTag ? this.sessions.get(dialogId(callId(req), toTag, fromTag)) : undefined;
      session?.onAck(req);
      return;
    }
    if (!tx) return;
    if (toTag) {
      const session = this.sessions.get(dialogId(callId(req), toTag, fromTag));
      if (session) session.onRequest(req, tx);
      else tx.respond(createResponse(req, 481));
      return;
    }
    if (this.limiter && !this.limiter.allow(source.address)) {
      this.emit('rateLimited', source, req.method);
      // Dropped: answering a flood only feeds it. Ending the transaction also stops its automatic 100 Trying
      // and keeps unanswered transactions from piling up.
      tx.terminate();
      return;
    }
    switch (req.method) {
      case 'INVITE':
        return this.onInvite(req, tx, source);
      case 'OPTIONS':
        return tx.respond(this.optionsResponse(req));
      case 'REGISTER':
        return this.onRegisterRequest(req, tx, source);
      case 'BYE':
      case 'INFO':
      case 'UPDATE':
      case 'PRACK':
        return tx.respond(createResponse(req, 481));
      case 'MESSAGE':
      case 'SUBSCRIBE':
      case 'NOTIFY':
      case 'PUBLISH':
      case 'REFER':
        return tx.respond(createResponse(req, 405, undefined, { headers: [['Allow', this.allow()]] }));
      default:
        return tx.respond(createResponse(req, 501, undefined, { headers: [['Allow', this.allow()]] }));
    }
  }

  private onInvite(req: SipRequest, tx: ServerTransaction, source: TransportAddress): void {
    if (this.draining) {
      return tx.respond(
        createResponse(req, 503, 'Service Unavailable (draining)', { headers: [['Retry-After', '30']] }),
      );
    }
    const required = req.headers
      .values('require')
      .map((t) => t.toLowerCase())
      .filter((t) => !SUPPORTED.includes(t));
    if (required.length) {
      return tx.respond(createResponse(req, 420, undefined, { headers: [['Unsupported', required.join(', ')]] }));
    }
    const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (req.body.length && type !== 'application/sdp') {
      return tx.respond(
        createResponse(req, 415, `Unsupported Media Type (${type || 'no Content-Type'})`, {
          headers: [['Accept', 'application/sdp']],
        }),
      );
    }
    const se = /^\s*(\d+)/.exec(req.headers.get('session-expires') ?? '');
    if (se && Number(se[1]) < this.minSessionExpires) {
      return tx.respond(createResponse(req, 422, undefined, { headers: [['Min-SE', String(this.minSessionExpires)]] }));
    }
    // 100 at once: routing may take a database lookup or an HTTP request (§8.2.6.1).
    tx.respond(createResponse(req, 100));
    const call = new IncomingCall(this, req, tx, source);
    if (this.listenerCount('invite') === 0) return call.reject(404, 'Not Found (no route)');
    this.emit('invite', call);
  }

  private onRegisterRequest(req: SipRequest, tx: ServerTransaction, source: TransportAddress): void {
    if (!this.onRegister) {
      return tx.respond(createResponse(req, 405, undefined, { headers: [['Allow', this.allow()]] }));
    }
    this.onRegister(req, source).then(
      (res) => tx.respond(res),
      (err: unknown) => {
        this.log('registrar failed', { err: String(err) });
        tx.respond(createResponse(req, 500, 'Server Internal Error (registrar)'));
      },
    );
  }
}
