// The web phone gateway: a thin WebRTC-to-SIP edge in front of Pivot, as a WebRTC SBC would be. Each browser call
// is a werift RTCPeerConnection (DTLS-SRTP, PCMU and telephone-event/8000 only) on one side and, on the other, a
// SIP INVITE to Pivot's own SIP port from the gateway's own SipStack on loopback, authenticated as the caller's
// web phone device. Audio is relayed packet by packet without transcoding; the browser's RFC 4733 events go to
// Pivot with the payload type Pivot accepted.
//
// Timing: the answer SDP goes back to the browser at once, and the INVITE leaves only when the browser's ICE and
// DTLS are connected, so the first words Pivot says are heard. The INVITE (and so its Call-ID, which Pivot takes as
// the call id of what it routes from here) is created up front: the API returns that id with the answer.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket, type RTCRtpSender } from 'werift';
import type { Logger } from '../callflow/types.js';
import { OutgoingCall } from '../sip/outgoing-call.js';
import { answerOffer, createOffer, newSessionId, readAnswer, type LocalMedia } from '../sip/sdp.js';
import type { EndReason } from '../sip/session.js';
import { SipStack } from '../sip/stack.js';
import { prepareOffer } from './offer.js';

export type WebphoneState = 'connecting' | 'calling' | 'ringing' | 'answered' | 'ended';

/** Why a call ended, for the API and the UI. */
export interface WebphoneEnd {
  reason:
    | 'hangup'
    | 'remote-bye'
    | 'rejected'
    | 'no-answer'
    | 'media-timeout'
    | 'media-lost'
    | 'media-failed'
    | 'sip-ended'
    | 'shutdown';
  message: string;
  /** The SIP status Pivot answered with, when it refused the call. */
  sip_status?: number;
}

/** A call as the API shows it. */
export interface WebphoneCallView {
  /** The Call-ID of the gateway's INVITE, which is also Pivot's call id (channels, CDRs, Live Debug). */
  call_id: string;
  account_id: string;
  to: string;
  device_id: string;
  /** Who placed it: the token's account and user. */
  placed_by: { account_id: string; user_id?: string };
  state: WebphoneState;
  created_at: string;
  answered_at?: string;
  ended_at?: string;
  end?: WebphoneEnd;
  /** Whether RFC 4733 DTMF from the browser reaches Pivot (both sides negotiated telephone-event). */
  dtmf: 'rfc4733' | 'info';
  /** RTP packets relayed each way. */
  packets: { from_browser: number; to_pivot: number; from_pivot: number; to_browser: number; dtmf_events: number };
}

export interface PlaceRequest {
  accountId: string;
  /** The account's SIP realm: the From host Pivot's router finds the account by. */
  realm: string;
  /** An extension, number or pattern-matching string of the account. */
  to: string;
  /** The browser's SDP offer, with its ICE candidates gathered. */
  offer: string;
  /** The device the call is placed as: its SIP credentials, and the caller id it shows (default: its username). */
  device: { id: string; username: string; password: string; callerIdNumber?: string; callerIdName?: string };
  placedBy: { accountId: string; userId?: string };
}

/** A refusal the API turns into an error answer (status, the field at fault and the rule). */
export class WebphoneError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly rule?: string,
  ) {
    super(message);
  }
}

export interface WebphoneGatewayOptions {
  /** Pivot's SIP UDP port and the address that reaches it (loopback when Pivot binds a wildcard). */
  pivot: { address: string; port: number };
  /** Where the gateway's SIP stack and RTP sockets bind (default: the Pivot address). */
  host?: string;
  /** Host addresses werift adds to its ICE candidates (it skips loopback interfaces otherwise). */
  iceAdditionalHostAddresses?: string[];
  /** The browser must connect (ICE + DTLS) within this after the answer (default 15 s). */
  connectTimeoutMs?: number;
  /** Pivot must answer within this after the INVITE (default 90 s): then CANCEL. */
  ringTimeoutMs?: number;
  /** ICE "disconnected" for this long ends the call (default 5 s); "failed" ends it at once. */
  disconnectGraceMs?: number;
  /**
   * A browser that sent RTP and then stopped for this long is gone (default 10 s): closed tabs send nothing, and
   * werift's ICE consent only fails after 30 s. A muted browser still sends (track.enabled = false sends silence).
   */
  silenceTimeoutMs?: number;
  /** Ended calls stay readable (GET) this long (default 2 min). */
  keepEndedMs?: number;
  /** Live calls at most (werift's SRTP costs ~5 ms CPU per second per call: DESIGN/media.md §5). */
  maxCalls?: number;
  log?: Logger;
}

const noop = (): void => undefined;
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** PCMU and telephone-event/8000, fresh per PeerConnection (werift keeps these objects). */
function codecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
    new RTCRtpCodecParameters({
      mimeType: 'audio/telephone-event',
      clockRate: 8000,
      channels: 1,
      payloadType: 101,
      parameters: '0-16',
    }),
  ];
}

/** Resolves when `pc` gathered its candidates, or after `ms` (it then answers with what it has). */
function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const sub = pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && done());
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}

class WebphoneCall {
  state: WebphoneState = 'connecting';
  readonly createdAt = Date.now();
  answeredAt?: number;
  endedAt?: number;
  end?: WebphoneEnd;
  readonly packets = { from_browser: 0, to_pivot: 0, from_pivot: 0, to_browser: 0, dtmf_events: 0 };
  /** Where Pivot wants RTP, and the payload types it accepted (set by its 183/200). */
  private pivotAddress?: string;
  private pivotPort = 0;
  private sipTePt?: number;
  private started = false;
  /** The browser's packet count at the last silence check, and when it last changed. */
  private seen = 0;
  private seenAt = Date.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private disconnectTimer?: NodeJS.Timeout;

  constructor(
    readonly gateway: WebphoneGateway,
    readonly request: PlaceRequest,
    readonly pc: RTCPeerConnection,
    readonly sender: RTCRtpSender,
    readonly socket: Socket,
    readonly sip: OutgoingCall,
    readonly local: LocalMedia,
    readonly pcmuPt: number,
    readonly browserTePt: number | undefined,
  ) {
    socket.on('message', this.fromPivot);
    socket.on('error', (err) => gateway.log.warn({ call_id: this.id, err: String(err) }, 'web phone RTP socket'));
  }

  get id(): string {
    return this.sip.callIdValue;
  }

  view(): WebphoneCallView {
    const r = this.request;
    const out: WebphoneCallView = {
      call_id: this.id,
      account_id: r.accountId,
      to: r.to,
      device_id: r.device.id,
      placed_by: { account_id: r.placedBy.accountId, ...(r.placedBy.userId ? { user_id: r.placedBy.userId } : {}) },
      state: this.state,
      created_at: iso(this.createdAt)!,
      dtmf: this.browserTePt !== undefined ? 'rfc4733' : 'info',
      packets: { ...this.packets },
    };
    if (this.answeredAt) out.answered_at = iso(this.answeredAt);
    if (this.endedAt) out.ended_at = iso(this.endedAt);
    if (this.end) out.end = { ...this.end };
    return out;
  }

  /** Arms the browser's connection watch; the INVITE waits for "connected". */
  watch(opts: Required<Pick<WebphoneGatewayOptions, 'connectTimeoutMs' | 'disconnectGraceMs'>>): void {
    this.timer(opts.connectTimeoutMs, () => {
      if (!this.started) {
        this.finish(
          'media-timeout',
          `the browser's media did not connect within ${opts.connectTimeoutMs / 1000} s (ICE/DTLS): was the answer ` +
            'applied, and can UDP reach this server?',
        );
      }
    });
    this.pc.connectionStateChange.subscribe((s) => {
      if (this.state === 'ended') return;
      if (s === 'connected') {
        if (this.disconnectTimer) this.clear(this.disconnectTimer);
        this.disconnectTimer = undefined;
        if (!this.started) this.startSip();
      } else if (s === 'disconnected') {
        this.disconnectTimer ??= this.timer(opts.disconnectGraceMs, () =>
          this.finish('media-lost', `the browser's connection was lost for ${opts.disconnectGraceMs / 1000} s`),
        );
      } else if (s === 'failed') {
        this.finish('media-lost', "the browser's connection failed (ICE/DTLS)");
      } else if (s === 'closed') {
        this.finish('media-lost', "the browser's connection was closed");
      }
    });
    this.pc.getTransceivers()[0]?.receiver.track.onReceiveRtp.subscribe(this.fromBrowser);
  }

  /**
   * Called every second or so: a connected browser that sent no RTP for `ms` (since it connected, or since its last
   * packet) is gone. Before "connected" the connect timeout watches instead.
   */
  checkSilence(now: number, ms: number): void {
    if (!this.started) return;
    if (this.packets.from_browser !== this.seen) {
      this.seen = this.packets.from_browser;
      this.seenAt = now;
    } else if (now - this.seenAt >= ms) {
      this.finish('media-lost', `no audio from the browser for ${Math.round(ms / 1000)} s`);
    }
  }

  private startSip(): void {
    this.started = true;
    this.seenAt = Date.now();
    this.state = 'calling';
    this.gateway.changed(this);
    const sip = this.sip;
    sip.on('progress', (status, sdp) => {
      if (this.state === 'ended') return;
      if (sdp) this.usePivotSdp(sdp);
      if (this.state === 'calling') {
        this.state = 'ringing';
        this.gateway.changed(this);
      }
      this.gateway.log.debug({ call_id: this.id, status }, 'web phone call progress');
    });
    sip.on('offer', (offer) => {
      // A re-INVITE from Pivot (hold, new media address, refresh): answer with our side, follow its address.
      if (!offer.sdp) return offer.answer(createOffer(this.bump()));
      const a = answerOffer(offer.sdp, this.bump());
      if (!a.ok) return offer.reject(a.status);
      this.pivotAddress = a.media.remoteAddress;
      this.pivotPort = a.media.remotePort;
      offer.answer(a.answer);
    });
    sip.on('terminated', (reason: EndReason, detail) => {
      if (reason === 'remote-bye') return this.finish('remote-bye', 'Pivot hung up');
      if (reason === 'failed' || reason === 'cancel') return; // told by `result`, or we ended it
      this.finish('sip-ended', `the SIP leg ended: ${reason}${detail?.reason ? ` (${detail.reason})` : ''}`);
    });
    const ring = this.timer(this.gateway.ringTimeoutMs, () =>
      this.finish('no-answer', `Pivot did not answer within ${this.gateway.ringTimeoutMs / 1000} s`, 408),
    );
    void sip.result.then((r) => {
      this.clear(ring);
      if (this.state === 'ended') return;
      if (!r.ok) {
        return this.finish('rejected', `Pivot refused the call: ${r.status} ${r.reason}`, r.status);
      }
      if (!this.usePivotSdp(sip.remoteSdp ?? '')) return;
      this.state = 'answered';
      this.answeredAt = Date.now();
      this.gateway.changed(this);
    });
    void sip.start();
  }

  /** Reads Pivot's SDP (183 or 200); false (and the call ended) when it is unusable. */
  private usePivotSdp(sdp: string): boolean {
    const r = readAnswer(sdp, this.local);
    if (!r.ok) {
      this.finish('media-failed', `Pivot's SDP answer is unusable: ${r.warning}`);
      return false;
    }
    this.pivotAddress = r.media.remoteAddress;
    this.pivotPort = r.media.remotePort;
    this.sipTePt = r.media.telephoneEventPt;
    return true;
  }

  private bump(): LocalMedia {
    this.local.sessionVersion = (this.local.sessionVersion ?? 1) + 1;
    return this.local;
  }

  // ---- the relay: two handlers made once per call (no per-packet closures); werift parses and serializes --------

  /** Browser → Pivot: PCMU as PT 0, telephone-event under the PT Pivot accepted; nothing else. */
  private readonly fromBrowser = (rtp: RtpPacket): void => {
    this.packets.from_browser++;
    if (this.pivotPort === 0 || this.state === 'ended') return;
    const h = rtp.header;
    if (h.payloadType === this.pcmuPt) h.payloadType = 0;
    else if (h.payloadType === this.browserTePt && this.sipTePt !== undefined) {
      h.payloadType = this.sipTePt;
      this.packets.dtmf_events++;
    } else return;
    // Header extensions (audio level, transport-cc) mean nothing to Pivot.
    if (h.extensions.length) h.extensions = [];
    h.extension = false;
    this.socket.send(rtp.serialize(), this.pivotPort, this.pivotAddress);
    this.packets.to_pivot++;
  };

  /** Pivot → browser: PCMU only (a browser has no use for telephone-event); Pivot sends from its SDP port. */
  private readonly fromPivot = (buf: Buffer, from: RemoteInfo): void => {
    this.packets.from_pivot++;
    if (from.port !== this.pivotPort || buf.length < 12 || (buf[1] & 0x7f) !== 0) return;
    this.sender.sendRtp(buf).catch(noop);
    this.packets.to_browser++;
  };

  // ---- ending ------------------------------------------------------------------------------------------------

  /** Ends the call once: the first reason wins; the SIP leg is hung up (CANCEL or BYE) and the browser's closed. */
  finish(reason: WebphoneEnd['reason'], message: string, sipStatus?: number): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedAt = Date.now();
    this.end = { reason, message, ...(sipStatus ? { sip_status: sipStatus } : {}) };
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.started) {
      void this.sip.hangup().catch(noop);
    } else {
      // Never sent: cancelled before it starts, the INVITE ends at once without leaving (and the stack forgets it).
      void this.sip
        .hangup()
        .then(() => this.sip.start())
        .catch(noop);
    }
    this.socket.close();
    this.pc.close().catch(noop);
    this.gateway.log.info({ call_id: this.id, reason, sip_status: sipStatus }, `web phone call ended: ${message}`);
    this.gateway.ended(this);
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private clear(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** SIP INFO digits (the API's fallback to RFC 4733 from the browser). */
  async sendDigits(digits: string): Promise<void> {
    for (const digit of digits) {
      if (this.sip.state !== 'confirmed') throw new WebphoneError(409, 'the call is not answered (any more)');
      const status = await this.sip.sendDtmfInfo(digit, 160);
      if (status >= 300) throw new WebphoneError(502, `Pivot refused the DTMF INFO for ${digit}: ${status}`);
    }
  }
}

export class WebphoneGateway extends EventEmitter<{ state: [WebphoneCallView] }> {
  readonly log: Logger;
  readonly ringTimeoutMs: number;
  private readonly calls = new Map<string, WebphoneCall>();
  /** Ended calls, readable for a while (why a call ended). */
  private readonly endedCalls = new Map<string, { view: WebphoneCallView; at: number }>();
  private readonly host: string;
  private stack?: SipStack;
  private sweep?: NodeJS.Timeout;

  constructor(private readonly opts: WebphoneGatewayOptions) {
    super();
    this.host = opts.host ?? opts.pivot.address;
    this.ringTimeoutMs = opts.ringTimeoutMs ?? 90_000;
    this.log = opts.log ?? { debug: noop, info: noop, warn: noop, error: noop };
  }

  get running(): boolean {
    return this.stack !== undefined;
  }

  /** Live calls now. */
  get size(): number {
    return this.calls.size;
  }

  async start(): Promise<void> {
    if (this.stack) return;
    const stack = new SipStack({
      host: this.host,
      udpPort: 0,
      rateLimit: false,
      userAgent: 'Pivot web phone',
      log: (message, detail) => this.log.debug(detail ?? {}, message),
    });
    await stack.start();
    this.stack = stack;
    const keep = this.opts.keepEndedMs ?? 120_000;
    const silence = this.opts.silenceTimeoutMs ?? 10_000;
    // One timer for every call: the silence watch, and forgetting ended calls.
    this.sweep = setInterval(
      () => {
        const now = Date.now();
        for (const call of [...this.calls.values()]) call.checkSilence(now, silence);
        for (const [id, e] of this.endedCalls) if (now - e.at > keep) this.endedCalls.delete(id);
      },
      Math.min(1000, silence / 4),
    );
    this.sweep.unref();
  }

  /** Ends every call (BYE or CANCEL to Pivot, the browsers' connections closed), then the SIP stack. */
  async stop(): Promise<void> {
    const stack = this.stack;
    if (!stack) return;
    this.stack = undefined;
    clearInterval(this.sweep);
    for (const call of [...this.calls.values()]) call.finish('shutdown', 'the server is stopping');
    await stack.stop();
  }

  /** Whether a SIP Call-ID is one of this gateway's live calls (Pivot then takes it as its call id). */
  owns(callId: string): boolean {
    return this.calls.has(callId);
  }

  /**
   * Answers the browser's offer and prepares the SIP leg; resolves with the answer SDP. The INVITE leaves when the
   * browser connects. Throws a WebphoneError (400) for an unusable offer, 503 when not running or full.
   */
  async place(req: PlaceRequest): Promise<{ call: WebphoneCallView; answer: string }> {
    const stack = this.stack;
    if (!stack) throw new WebphoneError(503, 'the web phone gateway is not running');
    if (this.calls.size >= (this.opts.maxCalls ?? 100)) {
      throw new WebphoneError(503, `too many web phone calls at once (${this.calls.size}); try again later`);
    }
    const offer = prepareOffer(req.offer);
    if (!offer.ok) throw new WebphoneError(400, offer.message, 'sdp', offer.rule);

    const pc = new RTCPeerConnection({
      codecs: { audio: codecs() },
      headerExtensions: { audio: [] },
      // No STUN server by default (werift's default asks Google's): host candidates, plus loopback.
      iceServers: [],
      iceAdditionalHostAddresses: this.opts.iceAdditionalHostAddresses ?? ['127.0.0.1'],
    });
    let socket: Socket | undefined;
    try {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      } catch (e) {
        throw new WebphoneError(400, `the offer cannot be used: ${(e as Error).message}`, 'sdp', 'webrtc');
      }
      const transceiver = pc.getTransceivers()[0];
      if (!transceiver) throw new WebphoneError(400, 'the offer has no audio transceiver', 'sdp', 'media');
      // We always send (Pivot's audio), whatever the browser does with it.
      transceiver.setDirection('sendrecv');
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc, 3000);
      const answer = pc.localDescription?.sdp;
      if (!answer) throw new WebphoneError(500, 'no answer SDP');

      socket = createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
      const s = socket;
      await new Promise<void>((ok, fail) => {
        s.once('error', fail);
        s.bind(0, this.host, () => {
          s.off('error', fail);
          ok();
        });
      });
      const local: LocalMedia = {
        address: this.host,
        port: socket.address().port,
        codecs: ['PCMU'],
        telephoneEvent: true,
        sessionId: newSessionId(),
        sessionVersion: 1,
      };
      const { pivot } = this.opts;
      const host = pivot.address.includes(':') ? `[${pivot.address}]` : pivot.address;
      const sip = new OutgoingCall(stack, {
        uri: `sip:${req.to.replace(/#/g, '%23')}@${host}:${pivot.port}`,
        from: {
          user: req.device.callerIdNumber ?? req.device.username,
          host: req.realm,
          ...(req.device.callerIdName ? { displayName: req.device.callerIdName } : {}),
        },
        sdp: createOffer(local),
        auth: { username: req.device.username, password: req.device.password },
        dest: { protocol: 'udp', address: pivot.address, port: pivot.port },
      });
      const call = new WebphoneCall(
        this,
        req,
        pc,
        transceiver.sender,
        socket,
        sip,
        local,
        offer.pcmuPt,
        offer.telephoneEventPt,
      );
      this.calls.set(call.id, call);
      call.watch({
        connectTimeoutMs: this.opts.connectTimeoutMs ?? 15_000,
        disconnectGraceMs: this.opts.disconnectGraceMs ?? 5000,
      });
      this.log.info({ call_id: call.id, account_id: req.accountId, to: req.to }, 'web phone call placed');
      return { call: call.view(), answer };
    } catch (e) {
      socket?.close();
      pc.close().catch(noop);
      throw e;
    }
  }

  /** A live call, or one that ended a short while ago. */
  get(id: string): WebphoneCallView | undefined {
    return this.calls.get(id)?.view() ?? this.endedCalls.get(id)?.view;
  }

  /** Live calls, of one account when given. */
  list(accountId?: string): WebphoneCallView[] {
    return [...this.calls.values()].filter((c) => !accountId || c.request.accountId === accountId).map((c) => c.view());
  }

  /** Hangs a live call up (BYE or CANCEL to Pivot); the view as it ended, or undefined when not live. */
  hangup(id: string): WebphoneCallView | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    call.finish('hangup', 'hung up from the browser');
    return call.view();
  }

  async sendDigits(id: string, digits: string): Promise<void> {
    const call = this.calls.get(id);
    if (!call) throw new WebphoneError(404, `no live web phone call ${id}`);
    await call.sendDigits(digits);
  }

  /** @internal A call's state changed. */
  changed(call: WebphoneCall): void {
    this.emit('state', call.view());
  }

  /** @internal A call ended. */
  ended(call: WebphoneCall): void {
    this.calls.delete(call.id);
    const view = call.view();
    // Bounded whatever the call rate: the oldest goes first (a Map iterates in insertion order).
    if (this.endedCalls.size >= 1000) this.endedCalls.delete(this.endedCalls.keys().next().value as string);
    this.endedCalls.set(call.id, { view, at: Date.now() });
    this.emit('state', view);
  }
}
