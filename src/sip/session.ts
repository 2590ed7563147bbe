// What an INVITE session does once it has a dialog, whichever side created it: answer BYE, INFO (DTMF relay),
// re-INVITE and UPDATE (new SDP, hold, session refresh), send BYE, re-INVITE and INFO, and keep RFC 4028 session
// timers. `IncomingCall` (UAS) and `OutgoingCall` (UAC) extend it.

import { EventEmitter } from 'node:events';
import { Dialog } from './dialog.js';
import { cseq, parseNameAddr } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import { createResponse } from './serialize.js';
import type { SipStack } from './stack.js';
import type { Handle } from './timers.js';
import type { ServerTransaction } from './transaction.js';
import type { TransportAddress } from './transport.js';

export type SessionState = 'init' | 'early' | 'confirmed' | 'terminated';

/** Why a session ended. */
export type EndReason =
  | 'local-bye'
  | 'remote-bye'
  | 'cancel'
  | 'rejected'
  | 'failed'
  | 'ack-timeout'
  | 'session-expired'
  | 'transport-error'
  | 'shutdown';

/** An offer that arrived in a re-INVITE or UPDATE: answer it with SDP, or refuse it with a status. */
export interface OfferRequest {
  method: 'INVITE' | 'UPDATE';
  /** The new SDP offer; undefined for a refresh without SDP. */
  sdp?: string;
  request: SipRequest;
  answer(sdp: string): void;
  reject(status: number, reason?: string): void;
}

export interface SessionEvents {
  /** A provisional response to our INVITE (180, 183 with early-media SDP). */
  progress: [status: number, sdp: string | undefined];
  /** The dialog is confirmed (ACK received, or our ACK sent). */
  confirmed: [];
  /** A DTMF digit from SIP INFO (application/dtmf-relay). */
  dtmf: [digit: string, durationMs: number];
  /** Any other INFO. */
  info: [request: SipRequest];
  /** A new offer in the dialog. Without a listener, the current local SDP is answered again. */
  offer: [offer: OfferRequest];
  /** The session is over; `bye` tells whether the other side hung up. */
  terminated: [reason: EndReason, detail?: { status?: number; reason?: string }];
}

/** RFC 4028 parameters of this session, once negotiated. */
interface SessionTimer {
  interval: number;
  /** Whether we send the refreshes. */
  weRefresh: boolean;
  handle?: Handle;
}

export abstract class SipSession extends EventEmitter<SessionEvents> {
  state: SessionState = 'init';
  dialog?: Dialog;
  localSdp?: string;
  remoteSdp?: string;
  endReason?: EndReason;
  protected timer?: SessionTimer;
  private byeSent = false;
  /** The 2xx to an INVITE we answered that is being resent until its ACK. */
  private pending2xx?: { seq: number; handle?: Handle };

  constructor(readonly stack: SipStack) {
    super();
    stack.track(this);
  }

  /** End the call whatever its state: refuse or cancel it before the answer, BYE after it. */
  abstract hangup(status?: number): Promise<void>;

  get callId(): string | undefined {
    return this.dialog?.callId;
  }

  /** Requests for this session's dialog, from the stack's dispatcher. */
  onRequest(req: SipRequest, tx: ServerTransaction | null): void {
    const dialog = this.dialog;
    if (!dialog || !tx) return;
    const refused = dialog.receive(req);
    if (refused) return tx.respond(createResponse(req, refused.status, refused.reason));
    switch (req.method) {
      case 'BYE':
        tx.respond(createResponse(req, 200));
        this.end('remote-bye');
        return;
      case 'INFO':
        return this.onInfo(req, tx);
      case 'INVITE':
      case 'UPDATE':
        return this.onOffer(req, tx);
      case 'OPTIONS':
        return tx.respond(this.stack.optionsResponse(req));
      case 'PRACK':
        return tx.respond(createResponse(req, 200));
      default:
        tx.respond(createResponse(req, 405, undefined, { headers: [['Allow', this.stack.allow()]] }));
    }
  }

  private onInfo(req: SipRequest, tx: ServerTransaction): void {
    const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/dtmf-relay' || type === 'application/dtmf') {
      const body = req.body.toString('utf8');
      const signal =
        /Signal\s*=\s*([0-9A-D*#])/i.exec(body)?.[1] ?? (type === 'application/dtmf' ? body.trim()[0] : undefined);
      const duration = Number(/Duration\s*=\s*(\d+)/i.exec(body)?.[1] ?? 250);
      tx.respond(createResponse(req, signal ? 200 : 400, signal ? undefined : 'Bad Request (no DTMF signal)'));
      if (signal) this.emit('dtmf', signal.toUpperCase(), duration);
      return;
    }
    tx.respond(createResponse(req, 200));
    this.emit('info', req);
  }

  /** A re-INVITE or UPDATE: a new offer (hold, resume, new address) and/or a session refresh. */
  private onOffer(req: SipRequest, tx: ServerTransaction): void {
    const hasSdp = req.body.length > 0;
    let done = false;
    const reply = (status: number, reason?: string, sdp?: string): void => {
      if (done) return;
      done = true;
      const headers: [string, string][] = [['Contact', this.dialog!.contact], ...this.timerHeaders(req)];
      const res = createResponse(req, status, reason, {
        headers,
        ...(sdp ? { body: sdp, contentType: 'application/sdp' } : {}),
      });
      tx.respond(res);
      // A 2xx to a re-INVITE is the core's to resend until the ACK, like the first one (§13.3.1.4).
      if (status >= 200 && status < 300 && req.method === 'INVITE') this.retransmit2xx(res, tx.source);
      if (status < 300) {
        if (hasSdp) this.remoteSdp = req.body.toString('utf8');
        if (sdp) this.localSdp = sdp;
        this.armTimer();
      }
    };
    const offer: OfferRequest = {
      method: req.method as 'INVITE' | 'UPDATE',
      sdp: hasSdp ? req.body.toString('utf8') : undefined,
      request: req,
      answer: (sdp) => reply(200, undefined, sdp),
      reject: (status, reason) => reply(status, reason),
    };
    this.negotiateTimer(req);
    if (!hasSdp && req.method === 'UPDATE') return reply(200);
    if (this.listenerCount('offer') > 0) this.emit('offer', offer);
    else if (this.localSdp) reply(200, undefined, bumpVersion(this.localSdp));
    else reply(488, 'Not Acceptable Here (no media to offer)');
  }

  /** Hang up: BYE in a confirmed dialog. Resolves when the BYE is answered (or timed out). */
  async bye(reason: EndReason = 'local-bye'): Promise<void> {
    if (this.state !== 'confirmed' || this.byeSent || !this.dialog) return;
    this.byeSent = true;
    const req = this.dialog.request('BYE');
    this.end(reason);
    await this.stack.sendInDialog(this.dialog, req).catch(() => undefined);
  }

  /** Send a new offer (hold/resume); resolves with the answer SDP. */
  async reinvite(sdp: string): Promise<string | undefined> {
    if (this.state !== 'confirmed' || !this.dialog) throw new Error('no confirmed dialog to re-INVITE in');
    // With a running session timer the re-INVITE restates it, or the peer turns it off (RFC 4028 §7.4).
    const headers: [string, string][] = this.timer
      ? [
          ['Session-Expires', `${this.timer.interval};refresher=${this.timer.weRefresh ? 'uac' : 'uas'}`],
          ['Supported', 'timer'],
        ]
      : [];
    const req = this.dialog.request('INVITE', { body: sdp, contentType: 'application/sdp', headers });
    const dialog = this.dialog;
    let ack: SipRequest | undefined;
    // A retransmitted 2xx means our ACK was lost: send it again (§13.2.2.4).
    const res = await this.stack.sendInDialog(dialog, req, () => {
      if (ack) void this.stack.sendAckInDialog(dialog, ack).catch(() => undefined);
    });
    if (res.status >= 200 && res.status < 300) {
      dialog.refreshFrom(res);
      this.timerFromResponse(res);
      this.localSdp = sdp;
      if (res.body.length) this.remoteSdp = res.body.toString('utf8');
      ack = dialog.request('ACK', { seq: cseq(req).seq });
      await this.stack.sendAckInDialog(dialog, ack);
      this.armTimer();
      return this.remoteSdp;
    }
    throw new Error(`re-INVITE refused: ${res.status} ${res.reason}`);
  }

  /** Send a DTMF digit as SIP INFO (application/dtmf-relay). */
  async sendDtmfInfo(digit: string, durationMs = 160): Promise<number> {
    if (this.state !== 'confirmed' || !this.dialog) return 481;
    const req = this.dialog.request('INFO', {
      body: `Signal=${digit}\r\nDuration=${durationMs}\r\n`,
      contentType: 'application/dtmf-relay',
    });
    return (await this.stack.sendInDialog(this.dialog, req)).status;
  }

  // ---- 2xx retransmission (§13.3.1.4) -------------------------------------------------------------------

  /**
   * Resend a 2xx to an INVITE (T1 doubling up to T2, UDP only) until the ACK with its CSeq arrives. After 64·T1
   * without one the dialog counts as confirmed but the session is hung up (`ack-timeout`).
   */
  protected retransmit2xx(res: SipResponse, dest: TransportAddress): void {
    const { clock, timers } = this.stack.transactions;
    const deadline = clock.now() + 64 * timers.T1;
    const pending: { seq: number; handle?: Handle } = { seq: cseq(res).seq };
    this.stopRetransmit();
    this.pending2xx = pending;
    let interval = timers.T1;
    const tick = (): void => {
      if (this.pending2xx !== pending || this.state === 'terminated') return;
      if (clock.now() >= deadline) {
        this.pending2xx = undefined;
        this.stack.log('no ACK for the 2xx; hanging up', { call_id: this.callId });
        this.state = 'confirmed';
        void this.bye('ack-timeout');
        return;
      }
      if (dest.protocol === 'udp') void this.stack.transactions.sendResponse(res, dest).catch(() => undefined);
      interval = Math.min(interval * 2, timers.T2);
      pending.handle = clock.setTimeout(tick, Math.min(interval, deadline - clock.now()));
    };
    pending.handle = clock.setTimeout(tick, interval);
  }

  private stopRetransmit(): void {
    if (this.pending2xx) this.stack.transactions.clock.clearTimeout(this.pending2xx.handle);
    this.pending2xx = undefined;
  }

  /**
   * An ACK in this dialog (from the stack's dispatcher). True when it acknowledges the 2xx we are resending; its
   * body is then the answer to an offer we made in that 2xx (delayed offer).
   */
  onAck(ack: SipRequest): boolean {
    if (!this.pending2xx || cseq(ack).seq !== this.pending2xx.seq) return false;
    this.stopRetransmit();
    if (ack.body.length) this.remoteSdp = ack.body.toString('utf8');
    return true;
  }

  // ---- RFC 4028 session timers -------------------------------------------------------------------------

  /** Headers for a 2xx to an INVITE/UPDATE that carried Session-Expires. */
  protected timerHeaders(req: SipRequest): [string, string][] {
    if (!this.timer || !req.headers.has('session-expires')) return [];
    const refresher = this.timer.weRefresh === (this.role === 'uas') ? 'uas' : 'uac';
    const supported = /\btimer\b/i.test(req.headers.values('supported').join(','));
    return [
      ['Session-Expires', `${this.timer.interval};refresher=${refresher}`],
      ...(supported ? ([['Require', 'timer']] as [string, string][]) : []),
    ];
  }

  /** What role this side played in the last request (the UAS of a re-INVITE is whoever receives it). */
  protected role: 'uac' | 'uas' = 'uas';

  /** Read Session-Expires from a request we received (we are its UAS). */
  protected negotiateTimer(req: SipRequest): void {
    const se = parseSessionExpires(req.headers.get('session-expires'));
    if (!se) return;
    this.role = 'uas';
    const interval = Math.max(se.interval, this.stack.minSessionExpires);
    const supported = /\btimer\b/i.test(req.headers.values('supported').join(','));
    // The UAC picks; when it does not, it refreshes if it supports timers, else we do (RFC 4028 §9).
    const weRefresh = se.refresher ? se.refresher === 'uas' : !supported;
    // Keep the running timer's handle: armTimer replaces it, and it keeps running if the request is refused.
    this.timer = { interval, weRefresh, handle: this.timer?.handle };
  }

  /** Read Session-Expires from a 2xx to a request we sent (we are its UAC). */
  protected timerFromResponse(res: SipResponse): void {
    const se = parseSessionExpires(res.headers.get('session-expires'));
    if (!se) return;
    this.role = 'uac';
    this.timer = { interval: se.interval, weRefresh: se.refresher !== 'uas', handle: this.timer?.handle };
  }

  /** (Re)start the timer: we refresh at half the interval; else we give up when no refresh came in time. */
  protected armTimer(): void {
    const t = this.timer;
    if (!t || this.state === 'terminated') return;
    const clock = this.stack.transactions.clock;
    if (t.handle) clock.clearTimeout(t.handle);
    const ms = t.weRefresh ? (t.interval * 1000) / 2 : (t.interval - Math.min(32, t.interval / 3)) * 1000;
    t.handle = clock.setTimeout(() => {
      if (this.state !== 'confirmed') return;
      if (t.weRefresh) void this.refresh();
      else {
        this.stack.log('session expired without a refresh', { call_id: this.callId });
        void this.bye('session-expired');
      }
    }, ms);
  }

  private async refresh(): Promise<void> {
    if (!this.dialog || !this.localSdp) return;
    try {
      this.role = 'uac';
      await this.reinvite(bumpVersion(this.localSdp));
    } catch {
      await this.bye();
    }
  }

  // ---- ending -------------------------------------------------------------------------------------------

  protected end(reason: EndReason, detail?: { status?: number; reason?: string }): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.endReason = reason;
    if (this.dialog) this.dialog.state = 'terminated';
    if (this.timer?.handle) this.stack.transactions.clock.clearTimeout(this.timer.handle);
    this.stopRetransmit();
    this.stack.forget(this);
    this.emit('terminated', reason, detail);
  }

  /** Where requests of this session go when it has no dialog yet (set by the subclasses). */
  abstract readonly peer: TransportAddress | undefined;
}

export function parseSessionExpires(
  value: string | undefined,
): { interval: number; refresher?: 'uac' | 'uas' } | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)\s*(.*)$/.exec(value);
  if (!m) return undefined;
  const refresher = /;\s*refresher\s*=\s*(uac|uas)/i.exec(m[2])?.[1]?.toLowerCase() as 'uac' | 'uas' | undefined;
  return { interval: Number(m[1]), refresher };
}

/** Same SDP with the `o=` version incremented (RFC 3264 §8: a changed offer bumps it; a repeat may too). */
export function bumpVersion(sdp: string): string {
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_m, head: string, v: string) => `${head}${BigInt(v) + 1n}`);
}

/** The URI of a Contact/Route value, for logs. */
export function uriOf(value: string): string {
  try {
    return parseNameAddr(value).uriText;
  } catch {
    return value;
  }
}
