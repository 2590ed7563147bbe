// The UAS side of an INVITE (RFC 3261 §13.3): provisional responses (180, 183 with early media), the 2xx sent
// through the transaction and then retransmitted by us until the ACK arrives (§13.3.1.4: T1 doubling to T2,
// given up after 64·T1 with a BYE), rejection, and CANCEL → 487.

import { Dialog } from './dialog.js';
import { newTag } from './ids.js';
import { callId, from, to, tagOf } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { createResponse } from './serialize.js';
import { SipSession } from './session.js';
import type { SipStack } from './stack.js';
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
    // Our tag for every response, including the 200 the transaction layer gives a CANCEL (§9.2: same To tag).
    tx.toTag = this.localTag;
    tx.on('cancelled', this.onCancel);
  }

  private readonly onCancel = (): void => {
    if (this.final) return;
    this.respondFinal(createResponse(this.request, 487, undefined, { toTag: this.localTag }));
    this.end('cancel');
  };

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
    this.retransmit2xx(res, this.source);
    return this.waitForAck();
  }

  /** Refuse the call with a final status (486, 603, 480…). */
  reject(status: number, reason?: string, headers: [string, string][] = []): void {
    if (this.final || this.state === 'terminated') return;
    this.respondFinal(createResponse(this.request, status, reason, { toTag: this.localTag, headers }));
    this.end('rejected', { status, reason });
  }

  /** The ACK for our 2xx (from the stack's dispatcher); after the first, ACKs for re-INVITE 2xx. */
  override onAck(ack: SipRequest): boolean {
    if (this.state === 'confirmed') return super.onAck(ack);
    // Only the ACK for our 2xx confirms the call (not a stray one in the early dialog).
    if (this.state === 'terminated' || !super.onAck(ack)) return false;
    this.state = 'confirmed';
    if (this.dialog) this.dialog.state = 'confirmed';
    if (this.offer) this.remoteSdp = this.offer;
    this.armTimer();
    for (const w of this.ackWaiters.splice(0)) w.resolve();
    this.emit('confirmed');
    return true;
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
    // A CANCEL after the final response changes nothing, and the transaction outlives the call by up to 32 s
    // (Timer L): its listener must not keep the call, its media and its session alive that long.
    this.tx.off('cancelled', this.onCancel);
  }

  private waitForAck(): Promise<void> {
    if (this.state === 'confirmed') return Promise.resolve();
    if (this.state === 'terminated') return Promise.reject(new Error(`the call ended (${this.endReason})`));
    return new Promise((resolve, reject) => this.ackWaiters.push({ resolve, reject }));
  }

  protected override end(...args: Parameters<SipSession['end']>): void {
    super.end(...args);
    for (const w of this.ackWaiters.splice(0)) w.reject(new Error(`the call ended (${args[0]})`));
  }
}
