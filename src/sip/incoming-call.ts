// The UAS side of an INVITE (RFC 3261 §13.3): provisional responses (180, 183 with early media), the 2xx sent
// through the transaction and then retransmitted by us until the ACK arrives (§13.3.1.4: T1 doubling to T2,
// given up after 64·T1 with a BYE), rejection, and CANCEL → 487.

import { Dialog, newTag } from './dialog.js';
import { callId, from, to, tagOf } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { createResponse } from './serialize.js';
import { SipSession } from './session.js';
import type { SipStack } from './stack.js';
import type { Handle } from './timers.js';
import type { ServerTransaction } from './transaction.js';
import type { TransportAddress } from './transport.js';

export interface AnswerOptions {
  sdp?: string;
  headers?: [string, string][];
}

export class IncomingCall extends SipSession {
  readonly localTag = newTag();
  /** The SDP offer of the INVITE (undefined for a delayed offer: then the answer comes in the ACK). */
  readonly offer?: string;
  readonly callIdValue: string;
  readonly fromTag?: string;
  private final?: SipResponse;
  private retransmit?: Handle;
  private ackWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(
    stack: SipStack,
    readonly request: SipRequest,
    readonly tx: ServerTransaction,
    readonly source: TransportAddress,
  ) {
    super(stack);
    this.callIdValue = callId(request);
    this.fromTag = tagOf(from(request));
    const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (request.body.length && type === 'application/sdp') this.offer = request.body.toString('utf8');
    this.negotiateTimer(request);
    tx.on('cancelled', () => {
      if (this.final) return;
      this.respondFinal(createResponse(request, 487, undefined, { toTag: this.localTag }));
      this.end('cancel');
    });
  }

  get peer(): TransportAddress {
    return this.source;
  }

  /** The dialled user (Request-URI user) and the caller, for routing. */
  get requestUri(): string {
    return this.request.uri;
  }

  get toUser(): string | undefined {
    return to(this.request).uri.user;
  }

  private ensureDialog(): Dialog {
    if (!this.dialog) {
      this.dialog = Dialog.asUas(this.request, this.localTag, this.stack.contactFor(this.source), this.source);
      this.stack.remember(this);
    }
    return this.dialog;
  }

  /** 180 Ringing, or 183 Session Progress with early-media SDP. */
  progress(status = 180, opts: AnswerOptions = {}): void {
    if (this.final || this.state === 'terminated') return;
    const dialog = this.ensureDialog();
    this.state = 'early';
    if (opts.sdp) this.localSdp = opts.sdp;
    this.tx.respond(
      createResponse(this.request, status, undefined, {
        toTag: this.localTag,
        headers: [['Contact', dialog.contact], ...(opts.headers ?? [])],
        ...(opts.sdp ? { body: opts.sdp, contentType: 'application/sdp' } : {}),
      }),
    );
  }

  /** 200 OK; resolves when the ACK arrives, rejects when it never does (the call is then hung up). */
  accept(opts: AnswerOptions = {}): Promise<void> {
    if (this.state === 'terminated') return Promise.reject(new Error('the call is over'));
    if (this.final) return this.waitForAck();
    const dialog = this.ensureDialog();
    if (opts.sdp) this.localSdp = opts.sdp;
    const res = createResponse(this.request, 200, undefined, {
      toTag: this.localTag,
      headers: [
        ['Contact', dialog.contact],
        ['Allow', this.stack.allow()],
        ['Supported', 'timer'],
        ...this.timerHeaders(this.request),
        ...(opts.headers ?? []),
      ],
      ...(opts.sdp ? { body: opts.sdp, contentType: 'application/sdp' } : {}),
    });
    this.respondFinal(res);
    this.retransmit2xx(res);
    return this.waitForAck();
  }

  /** Refuse the call with a final status (486, 603, 480…). */
  reject(status: number, reason?: string, headers: [string, string][] = []): void {
    if (this.final || this.state === 'terminated') return;
    this.respondFinal(createResponse(this.request, status, reason, { toTag: this.localTag, headers }));
    this.end('rejected', { status, reason });
  }

  /** The ACK for our 2xx (from the stack's dispatcher). */
  onAck(ack: SipRequest): void {
    if (this.state === 'confirmed' || this.state === 'terminated') return;
    this.stopRetransmit();
    if (ack.body.length) this.remoteSdp = ack.body.toString('utf8');
    this.state = 'confirmed';
    if (this.dialog) this.dialog.state = 'confirmed';
    if (this.offer) this.remoteSdp = this.offer;
    this.armTimer();
    for (const w of this.ackWaiters.splice(0)) w.resolve();
    this.emit('confirmed');
  }

  /** Hang up in any state: reject before the answer, wait for the ACK then BYE after it. */
  async hangup(status = 480): Promise<void> {
    if (this.state === 'terminated') return;
    if (!this.final) return this.reject(status);
    if (this.state !== 'confirmed') await this.waitForAck().catch(() => undefined);
    await this.bye();
  }

  private respondFinal(res: SipResponse): void {
    this.final = res;
    this.tx.respond(res);
  }

  private waitForAck(): Promise<void> {
    if (this.state === 'confirmed') return Promise.resolve();
    if (this.state === 'terminated') return Promise.reject(new Error(`the call ended (${this.endReason})`));
    return new Promise((resolve, reject) => this.ackWaiters.push({ resolve, reject }));
  }

  /** §13.3.1.4: the UAS core retransmits its 2xx until the ACK comes; after 64·T1 it gives up and hangs up. */
  private retransmit2xx(res: SipResponse): void {
    const { clock, timers } = this.stack.transactions;
    let interval = timers.T1;
    let elapsed = 0;
    const tick = (): void => {
      if (this.state === 'confirmed' || this.state === 'terminated') return;
      elapsed += interval;
      if (elapsed >= 64 * timers.T1) {
        this.stack.log('no ACK for the 2xx; hanging up', { call_id: this.callIdValue });
        this.state = 'confirmed';
        void this.bye('ack-timeout');
        return;
      }
      if (this.source.protocol === 'udp')
        void this.stack.transactions.sendResponse(res, this.source).catch(() => undefined);
      interval = Math.min(interval * 2, timers.T2);
      this.retransmit = clock.setTimeout(tick, interval);
    };
    this.retransmit = clock.setTimeout(tick, interval);
  }

  private stopRetransmit(): void {
    if (this.retransmit) this.stack.transactions.clock.clearTimeout(this.retransmit);
    this.retransmit = undefined;
  }

  protected override end(...args: Parameters<SipSession['end']>): void {
    this.stopRetransmit();
    super.end(...args);
    for (const w of this.ackWaiters.splice(0)) w.reject(new Error(`the call ended (${args[0]})`));
  }
}
