// SIP transactions (RFC 3261 §17) with the RFC 6026 "Accepted" states.
//
// Server transactions are matched by the top Via branch (magic cookie) + sent-by + method (ACK → its INVITE;
// CANCEL has its own transaction), with the RFC 2543 fallback (§17.2.3) when the branch lacks the cookie. Client
// transactions are keyed by branch + method (§17.1.3). The core (dialogs, UAS/UAC) sees each request once:
// retransmissions are absorbed and answered with the last response, ACKs for non-2xx finals are absorbed, ACKs
// for 2xx (end-to-end) and 2xx retransmissions / forks on the client side are passed up.

import { EventEmitter } from 'node:events';
import { callId, cseq, formatVia, from, parseVia, tagOf, to, topVia, type Via } from './headers.js';
import { newBranch, newTag } from './ids.js';
import { Headers, MAGIC_COOKIE, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { createResponse } from './serialize.js';
import { realClock, timerConfig, type Clock, type Handle, type TimerConfig } from './timers.js';
import { responseDestination, viaTransportOf, type TransportAddress, type TransportProtocol } from './transport.js';
import { checkRequest, checkResponse, type CheckOptions } from './validate.js';

type MessageListener = (msg: SipMessage, source: TransportAddress) => void;

/** What the transaction layer needs from a transport (`TransportLayer` implements it). */
export interface TransactionTransport {
  send(msg: SipMessage, dest: TransportAddress): Promise<void>;
  on(event: 'message', listener: MessageListener): unknown;
  off(event: 'message', listener: MessageListener): unknown;
  localFor(protocol: TransportProtocol): { address: string; port: number };
  /** The destination a request will really use (e.g. UDP → TCP for large requests, top Via rewritten). */
  prepareRequest?(req: SipRequest, dest: TransportAddress): TransportAddress;
}

/** A transport failure reported to a transaction user; treat it like a locally generated 503 (§8.1.3.1). */
export class TransportError extends Error {
  readonly status = 503;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** A response generated locally for a request (408 on timeout, 503 on transport error — §8.1.3.1). */
export function localResponse(req: SipRequest, status: number, reason?: string): SipResponse {
  return createResponse(req, status, reason);
}

// ---------------------------------------------------------------------------------------------------------------
// Server transactions

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransactionEvents {
  /** A CANCEL matched this INVITE while no final response had been sent (the core should answer 487). */
  cancelled: [cancel: SipRequest];
  terminated: [];
  /** Sending a response failed; the transaction is terminated. */
  transportError: [err: TransportError];
  /** Timer H fired: no ACK came for a non-2xx final response. */
  timeout: [];
}

type ServerTimer = 'G' | 'H' | 'I' | 'J' | 'L' | 'trying';

export class ServerTransaction extends EventEmitter<ServerTransactionEvents> {
  state: ServerState;
  readonly isInvite: boolean;
  /** The last response sent (resent on retransmissions of the request). */
  lastResponse: SipResponse | undefined;
  /** For an INVITE: the CANCEL that cancelled it. */
  cancelledBy: SipRequest | undefined;
  /** For a CANCEL passed to the core (`handleCancel: false`): the server transaction it matches, if any. */
  cancels: ServerTransaction | undefined;
  /** Whether the request arrived over a reliable transport (no response retransmissions). */
  readonly reliable: boolean;
  /**
   * The To tag of this transaction's responses: taken from the first tagged response sent, or chosen by the layer
   * when it answered a CANCEL before the core tagged anything (§9.2: the 487 should then carry the same tag).
   */
  toTag: string | undefined;
  private readonly timers: Partial<Record<ServerTimer, Handle>> = {};
  private gInterval = 0;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    readonly request: SipRequest,
    readonly source: TransportAddress,
  ) {
    super();
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.reliable = source.protocol !== 'udp';
  }

  get method(): string {
    return this.request.method;
  }

  /** Sends a response through the transaction (§17.2.1, §17.2.2, RFC 6026 §7.1). */
  respond(res: SipResponse): void {
    const st = res.status;
    if (!Number.isInteger(st) || st < 100 || st > 699) throw new RangeError(`invalid response status ${st}`);
    const L = this.layer;
    if (this.toTag === undefined && st > 100) {
      try {
        this.toTag = tagOf(to(res));
      } catch {
        // An unreadable To is the core's business; the response is sent as it is.
      }
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.clear('trying');
        this.lastResponse = res;
        if (st < 200) {
          this.state = 'proceeding';
          this.transmit(res);
        } else if (this.isInvite && st < 300) {
          this.state = 'accepted';
          this.transmit(res);
          // Retransmitted INVITEs are absorbed from here on (RFC 6026 §8.5): the 2xx need not be kept for Timer L.
          this.lastResponse = undefined;
          this.set('L', 64 * L.timers.T1, () => this.terminate());
        } else if (this.isInvite) {
          this.state = 'completed';
          this.transmit(res);
          if (!this.reliable) {
            this.gInterval = L.timers.T1;
            this.set('G', this.gInterval, () => this.timerG());
          }
          this.set('H', 64 * L.timers.T1, () => {
            if (this.state !== 'completed') return;
            this.terminate(() => this.emit('timeout'));
          });
        } else {
          this.state = 'completed';
          this.transmit(res);
          if (this.reliable) this.terminate();
          else this.set('J', 64 * L.timers.T1, () => this.terminate());
        }
        return;
      case 'accepted':
        // RFC 6026 §7.1: the TU's 2xx retransmissions go out through the transaction.
        if (st >= 200 && st < 300) this.transmit(res);
        return;
      default:
        // completed / confirmed / terminated: a final response was already sent.
        return;
    }
  }

  /** A retransmission of the request arrived (§17.2.1, §17.2.2). */
  retransmitted(): void {
    switch (this.state) {
      case 'proceeding':
      case 'completed':
        if (this.lastResponse) this.transmit(this.lastResponse);
        return;
      default:
        // trying (non-INVITE, nothing sent yet), confirmed, accepted (RFC 6026 §8.5): absorbed.
        return;
    }
  }

  /** An ACK matched this INVITE transaction. Returns true when it was absorbed. */
  acked(): boolean {
    if (this.state === 'completed') {
      this.state = 'confirmed';
      this.clear('G');
      this.clear('H');
      if (this.reliable) this.terminate();
      else this.set('I', this.layer.timers.T4, () => this.terminate());
      return true;
    }
    // Accepted: the ACK for a 2xx belongs to the TU (RFC 6026 §8.7); elsewhere it is absorbed.
    return this.state !== 'accepted';
  }

  /** Starts the 200 ms timer after which the transaction sends 100 Trying itself (§17.2.1). */
  startTrying(): void {
    if (!this.isInvite) return;
    this.set('trying', this.layer.timers.trying, () => {
      if (this.state !== 'proceeding' || this.lastResponse) return;
      const trying = createResponse(this.request, 100);
      this.lastResponse = trying;
      this.transmit(trying);
    });
  }

  /** Ends the transaction now (timers cleared, removed from the layer). */
  terminate(before?: () => void): void {
    if (this.state === 'terminated') return;
    for (const k of Object.keys(this.timers) as ServerTimer[]) this.clear(k);
    this.state = 'terminated';
    this.layer.removeServer(this);
    this.layer.safely('server transaction event', () => before?.());
    this.layer.safely('server transaction event', () => this.emit('terminated'));
    this.removeAllListeners();
  }

  private timerG(): void {
    if (this.state !== 'completed' || !this.lastResponse) return;
    this.transmit(this.lastResponse);
    this.gInterval = Math.min(2 * this.gInterval, this.layer.timers.T2);
    this.set('G', this.gInterval, () => this.timerG());
  }

  private transmit(res: SipResponse): void {
    this.layer.sendResponse(res, this.source).catch((err: unknown) => {
      if (this.state === 'terminated') return;
      const e = new TransportError(`sending ${res.status} failed: ${(err as Error)?.message ?? String(err)}`, err);
      this.terminate(() => this.emit('transportError', e));
    });
  }

  private set(name: ServerTimer, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers[name] = this.layer.clock.setTimeout(() => {
      delete this.timers[name];
      this.layer.safely(`timer ${name}`, fn);
    }, ms);
  }

  private clear(name: ServerTimer): void {
    const h = this.timers[name];
    if (h) {
      this.layer.clock.clearTimeout(h);
      delete this.timers[name];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Client transactions

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientHandlers {
  /** A 1xx response (100 included). */
  onProvisional?(res: SipResponse, tx: ClientTransaction): void;
  /** The first final response. For an INVITE, a 2xx is the core's to ACK (the dialog layer). */
  onFinal(res: SipResponse, tx: ClientTransaction): void;
  /** Timer B / F fired (or no final arrived within 64·T1 of a CANCEL): act as on a 408 (§8.1.3.1). */
  onTimeout(tx: ClientTransaction): void;
  /** Sending the request failed: act as on a 503 (§8.1.3.1). The transaction is terminated. */
  onTransportError(err: TransportError, tx: ClientTransaction): void;
  /**
   * Further 2xx responses to an INVITE in the Accepted state (retransmissions, other forks; RFC 6026 §8.4).
   * Default: the layer's stray-response handler.
   */
  onAdditional2xx?(res: SipResponse, tx: ClientTransaction, source: TransportAddress): void;
}

type ClientTimer = 'A' | 'B' | 'D' | 'E' | 'F' | 'K' | 'M' | 'cancel';

export class ClientTransaction {
  state: ClientState;
  readonly isInvite: boolean;
  readonly reliable: boolean;
  /** The last response received. */
  lastResponse: SipResponse | undefined;
  /** The ACK this transaction generated for a non-2xx final response (§17.1.1.3). */
  ack: SipRequest | undefined;
  /** The CANCEL transaction started by `TransactionLayer.cancel`. */
  cancelTx: ClientTransaction | undefined;
  /** A CANCEL requested before any provisional response arrived (sent when one does, §9.1). */
  cancelPending: Partial<ClientHandlers> | undefined;
  /** How many times the request was sent (1 + retransmissions). */
  sendCount = 0;
  private readonly timers: Partial<Record<ClientTimer, Handle>> = {};
  private interval = 0;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    readonly branch: string,
    readonly request: SipRequest,
    readonly dest: TransportAddress,
    readonly handlers: ClientHandlers,
  ) {
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.reliable = dest.protocol !== 'udp';
  }

  get method(): string {
    return this.request.method;
  }

  /** Sends the request and starts timers A/B or E/F. */
  start(): void {
    const { T1 } = this.layer.timers;
    this.transmit(this.request);
    if (this.state === 'terminated') return;
    if (this.isInvite) {
      if (!this.reliable) {
        this.interval = T1;
        this.set('A', T1, () => this.timerA());
      }
      this.set('B', 64 * T1, () => {
        if (this.state === 'calling') this.terminate(() => this.handlers.onTimeout(this));
      });
    } else {
      if (!this.reliable) {
        this.interval = T1;
        this.set('E', T1, () => this.timerE());
      }
      this.set('F', 64 * T1, () => {
        if (this.state === 'trying' || this.state === 'proceeding') this.terminate(() => this.handlers.onTimeout(this));
      });
    }
  }

  /** A response matched this transaction. */
  receive(res: SipResponse, source: TransportAddress): void {
    const st = res.status;
    const L = this.layer;
    if (this.isInvite) {
      switch (this.state) {
        case 'calling':
        case 'proceeding':
          this.lastResponse = res;
          if (st < 200) {
            this.state = 'proceeding';
            this.clear('A');
            this.clear('B');
            L.safely('onProvisional', () => this.handlers.onProvisional?.(res, this));
            if (this.cancelPending && this.state === 'proceeding') {
              const h = this.cancelPending;
              this.cancelPending = undefined;
              L.cancel(this, h);
            }
          } else if (st < 300) {
            this.state = 'accepted';
            this.cancelPending = undefined;
            this.clearAll();
            this.set('M', 64 * L.timers.T1, () => this.terminate());
            L.safely('onFinal', () => this.handlers.onFinal(res, this));
          } else {
            this.state = 'completed';
            this.cancelPending = undefined;
            this.clearAll();
            this.ack = this.buildAck(res);
            this.transmit(this.ack);
            if (this.reliable) this.terminate(() => this.handlers.onFinal(res, this));
            else {
              this.set('D', L.timers.D, () => this.terminate());
              L.safely('onFinal', () => this.handlers.onFinal(res, this));
            }
          }
          return;
        case 'completed':
          if (st >= 300 && this.ack) this.transmit(this.ack);
          return;
        case 'accepted':
          if (st >= 200 && st < 300) {
            if (this.handlers.onAdditional2xx)
              L.safely('onAdditional2xx', () => this.handlers.onAdditional2xx?.(res, this, source));
            else L.stray(res, source);
          }
          return;
        default:
          return;
      }
    }
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        this.lastResponse = res;
        if (st < 200) {
          this.state = 'proceeding';
          L.safely('onProvisional', () => this.handlers.onProvisional?.(res, this));
        } else {
          this.state = 'completed';
          this.clearAll();
          if (this.reliable) this.terminate(() => this.handlers.onFinal(res, this));
          else {
            this.set('K', L.timers.T4, () => this.terminate());
            L.safely('onFinal', () => this.handlers.onFinal(res, this));
          }
        }
        return;
      default:
        // completed: retransmitted finals are absorbed.
        return;
    }
  }

  /** After a CANCEL is sent: if no final response arrives within 64·T1 the INVITE is given up (§9.1). */
  guardCancel(): void {
    this.set('cancel', 64 * this.layer.timers.T1, () => {
      if (this.state === 'proceeding' || this.state === 'calling') this.terminate(() => this.handlers.onTimeout(this));
    });
  }

  /** Ends the transaction now (timers cleared, removed from the layer), without telling the handlers. */
  terminate(before?: () => void): void {
    if (this.state === 'terminated') return;
    this.clearAll();
    this.state = 'terminated';
    this.cancelPending = undefined;
    this.layer.removeClient(this);
    if (before) this.layer.safely('client transaction handler', before);
  }

  private buildAck(res: SipResponse): SipRequest {
    const req = this.request;
    const h = new Headers();
    h.append('Via', req.headers.values('via')[0]);
    for (const r of req.headers.lines('route')) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', req.headers.get('from') ?? '');
    h.append('To', res.headers.get('to') ?? req.headers.get('to') ?? '');
    h.append('Call-ID', req.headers.get('call-id') ?? '');
    h.append('CSeq', `${cseq(req).seq} ACK`);
    h.append('Content-Length', '0');
    return { kind: 'request', method: 'ACK', uri: req.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
  }

  private timerA(): void {
    if (this.state !== 'calling') return;
    this.transmit(this.request);
    this.interval *= 2;
    this.set('A', this.interval, () => this.timerA());
  }

  private timerE(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit(this.request);
    const T2 = this.layer.timers.T2;
    this.interval = this.state === 'proceeding' ? T2 : Math.min(2 * this.interval, T2);
    this.set('E', this.interval, () => this.timerE());
  }

  private transmit(msg: SipRequest): void {
    if (msg === this.request) this.sendCount++;
    let sent: Promise<void>;
    try {
      sent = this.layer.transport.send(msg, this.dest);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.catch((err: unknown) => {
      if (this.state === 'terminated') return;
      const e = new TransportError(
        `sending ${msg.method} to ${this.dest.protocol}:${this.dest.address}:${this.dest.port} failed: ${
          (err as Error)?.message ?? String(err)
        }`,
        err,
      );
      this.terminate(() => this.handlers.onTransportError(e, this));
    });
  }

  private set(name: ClientTimer, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers[name] = this.layer.clock.setTimeout(() => {
      delete this.timers[name];
      this.layer.safely(`timer ${name}`, fn);
    }, ms);
  }

  private clear(name: ClientTimer): void {
    const h = this.timers[name];
    if (h) {
      this.layer.clock.clearTimeout(h);
      delete this.timers[name];
    }
  }

  private clearAll(): void {
    for (const k of Object.keys(this.timers) as ClientTimer[]) this.clear(k);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The layer

export type RequestHandler = (req: SipRequest, tx: ServerTransaction | null, source: TransportAddress) => void;
export type StrayResponseHandler = (res: SipResponse, source: TransportAddress) => void;

export interface TransactionLayerOptions {
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  /**
   * Answer CANCEL in the layer (default true): 200 when it matches a server transaction (emitting 'cancelled' on
   * a pending INVITE, whose 487 is the core's to send), 481 when it matches none; the CANCEL is not passed up.
   * With false, CANCELs reach the core with `tx.cancels` set to the matched transaction.
   */
  handleCancel?: boolean;
  /** Run `checkRequest`/`checkResponse` on arriving messages (default true); a failing request is answered with
   * the check's status in a server transaction and never reaches the core; a failing response is dropped. */
  validate?: boolean;
  /** Options for `checkRequest` (supported option tags, URI schemes). */
  check?: CheckOptions;
  /** Exceptions thrown by handlers and listeners. */
  onError?: (err: unknown, where: string) => void;
}

function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

function hasCookie(branch: string | undefined): branch is string {
  return !!branch && branch.startsWith(MAGIC_COOKIE);
}

export class TransactionLayer {
  readonly clock: Clock;
  readonly timers: TimerConfig;
  private readonly handleCancel: boolean;
  private readonly validate: boolean;
  private readonly check: CheckOptions | undefined;
  private readonly onError: (err: unknown, where: string) => void;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private requestHandler: RequestHandler = () => {};
  private strayHandler: StrayResponseHandler = () => {};
  private readonly listener: MessageListener = (msg, source) => this.receive(msg, source);

  constructor(
    readonly transport: TransactionTransport,
    opts: TransactionLayerOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.timers = timerConfig(opts.timers);
    this.handleCancel = opts.handleCancel ?? true;
    this.validate = opts.validate ?? true;
    this.check = opts.check;
    this.onError = opts.onError ?? (() => {});
    transport.on('message', this.listener);
  }

  /** The core's handler for new requests (`tx` is null for ACKs that belong to no transaction, e.g. for a 2xx). */
  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  /** Responses that match no client transaction (2xx retransmissions after Timer M, forked 2xx). */
  onStrayResponse(handler: StrayResponseHandler): void {
    this.strayHandler = handler;
  }

  /** Live transaction counts. */
  get size(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  /** Detaches from the transport and drops every transaction (no handler is called). */
  close(): void {
    this.transport.off('message', this.listener);
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.terminate();
  }

  /**
   * Starts a client transaction. Adds a top Via (`SIP/2.0/<proto> <local>;rport;branch=z9hG4bK…`) when there is
   * none, and a branch when the top Via has none.
   */
  sendRequest(req: SipRequest, dest: TransportAddress, handlers: ClientHandlers): ClientTransaction {
    if (req.method === 'ACK') throw new Error('ACK is not sent in a transaction: use sendAck');
    const branch = this.ensureVia(req, dest);
    const finalDest = this.transport.prepareRequest?.(req, dest) ?? dest;
    const key = `${branch}|${req.method}`;
    if (this.clients.has(key)) throw new Error(`a client transaction with branch ${branch} ${req.method} exists`);
    const tx = new ClientTransaction(this, key, branch, req, finalDest, handlers);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends an ACK for a 2xx (end-to-end, outside any transaction), adding a Via with a new branch if missing. */
  sendAck(ack: SipRequest, dest: TransportAddress): Promise<void> {
    this.ensureVia(ack, dest);
    return this.transport.send(ack, dest);
  }

  /** Sends a response outside any transaction, routed per §18.2.2 (e.g. 2xx retransmissions after Timer L). */
  sendResponse(res: SipResponse, source?: TransportAddress): Promise<void> {
    let dest: TransportAddress;
    try {
      dest = responseDestination(res, source);
    } catch (err) {
      return Promise.reject(err);
    }
    try {
      return this.transport.send(res, dest);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Cancels an INVITE client transaction (§9.1). Sends the CANCEL at once when a provisional response was received
   * (returning its transaction), or as soon as one arrives (returning undefined). Does nothing once a final
   * response arrived.
   */
  cancel(tx: ClientTransaction, handlers: Partial<ClientHandlers> = {}): ClientTransaction | undefined {
    if (!tx.isInvite) throw new Error(`only INVITE transactions can be cancelled (not ${tx.method})`);
    if (tx.cancelTx) return tx.cancelTx;
    if (tx.state === 'calling') {
      tx.cancelPending = handlers;
      return undefined;
    }
    if (tx.state !== 'proceeding') return undefined;
    const req = tx.request;
    const h = new Headers();
    h.append('Via', req.headers.values('via')[0]);
    for (const r of req.headers.lines('route')) h.append('Route', r);
    h.append('Max-Forwards', '70');
    h.append('From', req.headers.get('from') ?? '');
    h.append('To', req.headers.get('to') ?? '');
    h.append('Call-ID', req.headers.get('call-id') ?? '');
    h.append('CSeq', `${cseq(req).seq} CANCEL`);
    h.append('Content-Length', '0');
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: req.uri,
      version: 'SIP/2.0',
      headers: h,
      body: Buffer.alloc(0),
    };
    const noop = () => {};
    tx.cancelTx = this.sendRequest(cancel, tx.dest, {
      onProvisional: handlers.onProvisional,
      onFinal: handlers.onFinal ?? noop,
      onTimeout: handlers.onTimeout ?? noop,
      onTransportError: handlers.onTransportError ?? noop,
    });
    tx.guardCancel();
    return tx.cancelTx;
  }

  // ---- internals used by the transactions ----

  /** @internal */
  removeServer(tx: ServerTransaction): void {
    if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
  }

  /** @internal */
  removeClient(tx: ClientTransaction): void {
    if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
  }

  /** @internal */
  stray(res: SipResponse, source: TransportAddress): void {
    this.safely('onStrayResponse', () => this.strayHandler(res, source));
  }

  /** @internal Runs a callback, reporting (never propagating) what it throws. */
  safely(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        this.onError(err, where);
      } catch {
        // The error reporter itself failed; nothing more can be done.
      }
    }
  }

  private ensureVia(req: SipRequest, dest: TransportAddress): string {
    const values = req.headers.values('via');
    if (values.length === 0) {
      const local = this.transport.localFor(dest.protocol);
      const host = local.address.includes(':') ? `[${local.address}]` : local.address;
      const branch = newBranch();
      req.headers.prepend(
        'Via',
        `SIP/2.0/${viaTransportOf(dest.protocol)} ${host}:${local.port};rport;branch=${branch}`,
      );
      return branch;
    }
    const via = parseVia(values[0]);
    if (via.branch) return via.branch;
    const branch = newBranch();
    via.branch = branch;
    values[0] = formatVia(via);
    req.headers.delete('via');
    for (let i = values.length - 1; i >= 0; i--) req.headers.prepend('Via', values[i]);
    return branch;
  }

  private receive(msg: SipMessage, source: TransportAddress): void {
    try {
      if (msg.kind === 'request') this.receiveRequest(msg, source);
      else this.receiveResponse(msg, source);
    } catch (err) {
      this.safely('receive', () => {
        throw err;
      });
    }
  }

  private receiveResponse(res: SipResponse, source: TransportAddress): void {
    if (this.validate && checkResponse(res) !== undefined) return;
    let key: string;
    try {
      const via = topVia(res);
      if (!via.branch) return;
      key = `${via.branch}|${cseq(res).method}`;
    } catch {
      return; // unmatchable (only reachable with validate: false)
    }
    const tx = this.clients.get(key);
    if (tx) tx.receive(res, source);
    else this.stray(res, source);
  }

  /** The server transaction key of a request (method ACK → INVITE when `asMethod` is omitted). */
  private serverKey(req: SipRequest, via: Via, asMethod?: string, toTag?: string): string {
    const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
    if (hasCookie(via.branch)) return `${via.branch}|${sentBy(via)}|${method}`;
    // RFC 2543 (§17.2.3): Request-URI, To tag, From tag, Call-ID, CSeq number and top Via identify the transaction.
    const tag = toTag ?? tagOf(to(req)) ?? '';
    return [
      '2543',
      req.uri,
      tag,
      tagOf(from(req)) ?? '',
      callId(req),
      cseq(req).seq,
      `${via.transport.toUpperCase()} ${sentBy(via)};${via.branch ?? ''}`,
      method,
    ].join('|');
  }

  /** Finds the INVITE transaction an ACK belongs to (§17.2.3, including the RFC 2543 To-tag rule). */
  private matchAck(ack: SipRequest, via: Via): ServerTransaction | undefined {
    if (hasCookie(via.branch)) return this.servers.get(this.serverKey(ack, via));
    const ackTag = tagOf(to(ack)) ?? '';
    const same = this.servers.get(this.serverKey(ack, via, 'INVITE', ackTag));
    if (same) return same;
    const initial = this.servers.get(this.serverKey(ack, via, 'INVITE', ''));
    if (!initial?.lastResponse) return undefined;
    return (tagOf(to(initial.lastResponse)) ?? '') === ackTag ? initial : undefined;
  }

  /** Finds the transaction a CANCEL targets (§9.2: same matching, To tag aside for RFC 2543). */
  private matchCancel(cancel: SipRequest, via: Via): ServerTransaction | undefined {
    const invite = this.servers.get(this.serverKey(cancel, via, 'INVITE'));
    if (invite || hasCookie(via.branch)) return invite;
    return this.servers.get(this.serverKey(cancel, via, 'INVITE', ''));
  }

  private receiveRequest(req: SipRequest, source: TransportAddress): void {
    const problem = this.validate ? checkRequest(req, this.check) : undefined;
    if (req.method === 'ACK') {
      if (problem) return;
      let tx: ServerTransaction | undefined;
      try {
        tx = this.matchAck(req, topVia(req));
      } catch {
        tx = undefined;
      }
      if (tx && tx.acked()) return;
      this.safely('onRequest', () => this.requestHandler(req, null, source));
      return;
    }

    let via: Via;
    let key: string;
    try {
      via = topVia(req);
      key = this.serverKey(req, via);
    } catch (err) {
      // Cannot be matched to a transaction: answer statelessly when the checks say why (validate: true).
      const res = createResponse(req, problem?.status ?? 400, problem?.reason ?? (err as Error).message, {
        toTag: newTag(),
      });
      this.sendResponse(res, source).catch((e: unknown) =>
        this.safely('stateless response', () => this.onError(e, 'stateless response')),
      );
      return;
    }
    const existing = this.servers.get(key);
    if (existing) {
      existing.retransmitted();
      return;
    }

    const tx = new ServerTransaction(this, key, req, source);
    this.servers.set(key, tx);
    if (problem) {
      const headers: [string, string][] = problem.unsupported ? [['Unsupported', problem.unsupported.join(', ')]] : [];
      tx.respond(createResponse(req, problem.status, problem.reason, { toTag: newTag(), headers }));
      return;
    }

    if (req.method === 'CANCEL') {
      const target = this.matchCancel(req, via);
      if (this.handleCancel) {
        if (!target) {
          tx.respond(createResponse(req, 481, undefined, { toTag: newTag() }));
          return;
        }
        target.toTag ??= newTag();
        tx.respond(createResponse(req, 200, undefined, { toTag: target.toTag }));
        if (target.isInvite && target.state === 'proceeding' && !target.cancelledBy) {
          target.cancelledBy = req;
          this.safely("'cancelled' listener", () => target.emit('cancelled', req));
        }
        return;
      }
      tx.cancels = target;
    }

    tx.startTrying();
    let threw = false;
    this.safely('onRequest', () => {
      try {
        this.requestHandler(req, tx, source);
      } catch (err) {
        threw = true;
        throw err;
      }
    });
    // A core that threw without answering leaves a 500 rather than a silent transaction.
    if (threw && (tx.state === 'trying' || tx.state === 'proceeding')) {
      tx.respond(createResponse(req, 500, undefined, { toTag: tx.toTag ?? newTag() }));
    }
  }
}
