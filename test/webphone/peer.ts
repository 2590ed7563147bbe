// A browser stand-in for the web phone tests: a werift RTCPeerConnection with what the web app's offer has — one
// audio transceiver, PCMU and telephone-event/8000, loopback candidates, the offer sent once gathering is complete —
// a "microphone" that sends PCMU silence every 20 ms, and RFC 4733 DTMF the way a browser's RTCDTMFSender sends it
// (same SSRC and sequence space as the audio, one event = several packets with one timestamp, three end packets).

import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';

export interface PeerOptions {
  /** Codecs to offer (default PCMU + telephone-event/8000). */
  codecs?: RTCRtpCodecParameters[];
}

export const PCMU = (): RTCRtpCodecParameters =>
  new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 });
export const TELEPHONE_EVENT = (pt = 126): RTCRtpCodecParameters =>
  new RTCRtpCodecParameters({
    mimeType: 'audio/telephone-event',
    clockRate: 8000,
    channels: 1,
    payloadType: pt,
    parameters: '0-16',
  });
export const OPUS = (): RTCRtpCodecParameters =>
  new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 });

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** µ-law bytes of silence (±0). */
const SILENT = new Set([0xff, 0x7f]);

export class BrowserPeer {
  readonly pc: RTCPeerConnection;
  readonly transceiver: RTCRtpTransceiver;
  /** Audio received: packets, and those with any non-silent sample. */
  received = 0;
  audible = 0;
  payloadTypes = new Set<number>();
  private seq = 0;
  private ts = 0;
  private mic?: NodeJS.Timeout;
  private inEvent = false;

  constructor(opts: PeerOptions = {}) {
    this.pc = new RTCPeerConnection({
      codecs: { audio: opts.codecs ?? [PCMU(), TELEPHONE_EVENT()] },
      headerExtensions: { audio: [] },
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
    });
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        this.received++;
        this.payloadTypes.add(rtp.header.payloadType);
        if (rtp.payload.some((b) => !SILENT.has(b))) this.audible++;
      }),
    );
  }

  /** The offer, once ICE gathering is complete (bounded). */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (this.pc.iceGatheringState !== 'complete') {
      await within(
        this.pc.iceGatheringStateChange.watch((s) => s === 'complete'),
        5000,
        'ICE gathering',
      );
    }
    return this.pc.localDescription!.sdp;
  }

  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Resolves when ICE and DTLS are connected; rejects after `ms`. */
  async connected(ms = 5000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await within(
      this.pc.connectionStateChange.watch((s) => s === 'connected'),
      ms,
      'the connection (ICE + DTLS)',
    );
  }

  /** Sends PCMU silence every 20 ms, as a muted microphone does. */
  startMic(): void {
    this.mic ??= setInterval(() => {
      if (this.inEvent) return;
      this.sendRtp(0, Buffer.alloc(160, 0xff), false);
      this.ts += 160;
    }, 20);
  }

  /**
   * One RFC 4733 digit (§2.5): packets every 20 ms with the event's start timestamp and a growing duration, the
   * first with the marker bit, the last three with E set. Audio pauses meanwhile, as in a browser.
   */
  async sendDigit(digit: string, durationMs = 100): Promise<void> {
    const event = '0123456789*#ABCD'.indexOf(digit);
    if (event < 0) throw new Error(`not a DTMF digit: ${digit}`);
    const te = this.transceiver.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/telephone-event');
    if (!te) throw new Error('telephone-event was not negotiated');
    this.inEvent = true;
    const start = this.ts;
    const steps = Math.max(1, Math.round(durationMs / 20));
    try {
      for (let i = 1; i <= steps + 2; i++) {
        const end = i >= steps;
        const duration = Math.min(i, steps) * 160;
        const payload = Buffer.from([event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
        this.sendRtp(te.payloadType, payload, i === 1, start);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      this.ts = start + steps * 160;
      this.inEvent = false;
    }
  }

  /**
   * werift's sender stamps every packet with its negotiated codec's payload type, so for an event packet the
   * sender's codec is swapped for the call (synchronous: the payload type is set before sendRtp's first await).
   */
  private sendRtp(payloadType: number, payload: Buffer, marker: boolean, timestamp = this.ts): void {
    const sender = this.transceiver.sender;
    const header = new RtpHeader({ payloadType, sequenceNumber: this.seq++ & 0xffff, timestamp, marker });
    const codec = sender.codec;
    const te = this.transceiver.codecs.find((c) => c.payloadType === payloadType);
    if (te && codec && te !== codec) sender.codec = te;
    try {
      sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
    } finally {
      sender.codec = codec;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.mic);
    await this.pc.close().catch(() => undefined);
  }
}
