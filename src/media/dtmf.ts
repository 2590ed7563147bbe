// RFC 4733 telephone-events for DTMF: payload read/write, a receiver that reports each digit once, and a sender
// that plans the packets of one digit. Both reuse their objects: nothing is allocated per packet.
//
//   |     event     |E|R| volume    |          duration             |

/** Event codes 0–15 (RFC 4733 §3.2). */
export const DTMF_EVENTS = '0123456789*#ABCD';

/** Low-group (row) and high-group (column) frequencies in Hz (ITU-T Q.23). */
export const DTMF_ROWS = [697, 770, 852, 941] as const;
export const DTMF_COLUMNS = [1209, 1336, 1477, 1633] as const;
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

/** Digit to its [row, column] frequency pair, for tone generation. */
export const DTMF_FREQUENCIES: Readonly<Record<string, readonly [number, number]>> = Object.freeze(
  Object.fromEntries(
    KEYPAD.flatMap((keys, r) => [...keys].map((key, c) => [key, [DTMF_ROWS[r], DTMF_COLUMNS[c]] as const])),
  ),
);

export const TELEPHONE_EVENT_LENGTH = 4;

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** Power level as −dBm0, 0–63. */
  volume: number;
  /** In timestamp units since the event's RTP timestamp. */
  duration: number;
}

const shared: TelephoneEvent = { event: 0, end: false, volume: 0, duration: 0 };

/**
 * Reads an event payload at `offset` into `out` (a shared object by default: copy what you keep). When fewer than
 * 4 bytes remain before `length`, `event` is −1 (DtmfReceiver ignores it).
 */
export function readTelephoneEvent(
  payload: Uint8Array,
  offset: number,
  length = payload.length,
  out: TelephoneEvent = shared,
): TelephoneEvent {
  if (offset + TELEPHONE_EVENT_LENGTH > length) {
    out.event = -1;
    out.end = false;
    out.volume = 0;
    out.duration = 0;
    return out;
  }
  out.event = payload[offset];
  out.end = (payload[offset + 1] & 0x80) !== 0;
  out.volume = payload[offset + 1] & 0x3f;
  out.duration = (payload[offset + 2] << 8) | payload[offset + 3];
  return out;
}

/** Writes an event payload (R bit 0); returns 4. */
export function writeTelephoneEvent(
  buf: Uint8Array,
  offset: number,
  event: number,
  end: boolean,
  volume: number,
  duration: number,
): number {
  buf[offset] = event;
  buf[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  buf[offset + 2] = duration >>> 8;
  buf[offset + 3] = duration;
  return TELEPHONE_EVENT_LENGTH;
}

export type DigitHandler = (digit: string, durationMs: number) => void;

/**
 * Reports each DTMF event once. Packets of one event share its RTP timestamp (§2.5.1.1), so the first End packet
 * for a timestamp reports the digit and its retransmissions are ignored (§2.5.1.4). An event whose End packets were
 * all lost is reported when the next event starts or when flush() finds it silent for `timeoutMs`.
 * feed() and flush() return the digit they report (also passed to `onDigit`, with its duration).
 */
export class DtmfReceiver {
  /** Duration of the digit reported last, in ms. */
  lastDurationMs = 0;
  private pending = false;
  private endSeen = false;
  private pendingTimestamp = 0;
  private pendingEvent = 0;
  private pendingDuration = 0;
  private lastPacketMs = NaN;
  private hasLast = false;
  private lastTimestamp = 0; // newest event timestamp seen (pending or reported)
  private lastEvent = -1;

  constructor(
    private readonly onDigit?: DigitHandler,
    private readonly clockRate = 8000,
    private readonly timeoutMs = 500,
  ) {}

  /**
   * One telephone-event packet. `nowMs` (any clock, the one passed to flush) times out lost Ends; without it the
   * timeout counts from the first flush() after the packet.
   */
  feed(
    rtpTimestamp: number,
    event: number,
    end: boolean,
    duration: number,
    nowMs = NaN,
    marker = false,
  ): string | undefined {
    if (event < 0) return undefined; // truncated payload
    // The marker bit starts a new event (§2.5.1.1) even when the sender's timestamps went backwards (SIPp's pcaps
    // are recorded separately); a repeated first packet of the pending event is not a new one.
    const fresh = marker && !(this.pending && rtpTimestamp === this.pendingTimestamp && event === this.pendingEvent);
    if (this.hasLast && !fresh) {
      const age = (rtpTimestamp - this.lastTimestamp) | 0;
      if (age < 0) return undefined; // a late packet of an older event
      // Some senders (SIPp's pcaps) reuse one timestamp for every event: with the same timestamp, a different
      // event, or a fresh (non-End) packet of the same one after a pause, is a new press.
      const quiet = nowMs - this.lastPacketMs;
      const restarted = event !== this.lastEvent || (!end && !Number.isNaN(quiet) && quiet >= this.timeoutMs);
      if (age === 0 && !this.pending && !restarted) return undefined; // already reported: a retransmitted End
    }
    let digit: string | undefined;
    if (this.pending && (fresh || rtpTimestamp !== this.pendingTimestamp || event !== this.pendingEvent)) {
      digit = this.emitPending(); // its End got lost
    }
    if (!this.pending) {
      this.pending = true;
      this.endSeen = false;
      this.pendingTimestamp = rtpTimestamp;
      this.pendingEvent = event;
      this.pendingDuration = 0;
    }
    this.hasLast = true;
    this.lastTimestamp = rtpTimestamp;
    this.lastEvent = event;
    this.lastPacketMs = nowMs;
    if (duration > this.pendingDuration) this.pendingDuration = duration;
    if (end) {
      // one report per call: if the lost-End digit was just reported, this one goes out with its next End copy
      if (digit === undefined) return this.emitPending();
      this.endSeen = true;
    }
    return digit;
  }

  /** Reports an event whose End never came once no packet arrived for `timeoutMs`. Call it from the tick. */
  flush(nowMs: number): string | undefined {
    if (!this.pending) return undefined;
    if (Number.isNaN(this.lastPacketMs)) this.lastPacketMs = nowMs;
    if (this.endSeen || nowMs - this.lastPacketMs >= this.timeoutMs) return this.emitPending();
    return undefined;
  }

  /** Forgets the state (e.g. on an SSRC change). */
  reset(): void {
    this.pending = false;
    this.hasLast = false;
  }

  private emitPending(): string | undefined {
    this.pending = false;
    const digit = DTMF_EVENTS[this.pendingEvent]; // events above 15 (flash, …) are not digits
    if (digit === undefined) return undefined;
    this.lastDurationMs = (this.pendingDuration * 1000) / this.clockRate;
    this.onDigit?.(digit, this.lastDurationMs);
    return digit;
  }
}

export interface DtmfPacket {
  /** Payload bytes written (4). */
  length: number;
  /** RTP marker: set on the first packet of the event (§2.5.1.1). */
  marker: boolean;
  /** RTP timestamp: the event's start, the same for all its packets. */
  timestamp: number;
  /** True on the last packet: the event is over and audio may resume. */
  last: boolean;
}

/**
 * Plans the packets of one digit, one nextPacket() per packet time: the first with the marker bit, the duration
 * growing by one packet time each, then the End packet sent three times with the final duration (§2.5.1.4).
 */
export class DtmfSender {
  private running = false;
  private event = 0;
  private volume = 10;
  private timestamp = 0;
  private total = 0; // final duration in timestamp units
  private duration = 0;
  private endsSent = 0;
  private first = true;
  private readonly packet: DtmfPacket = { length: 0, marker: false, timestamp: 0, last: false };
  private readonly step: number;

  constructor(
    private readonly clockRate = 8000,
    packetMs = 20,
  ) {
    this.step = (clockRate * packetMs) / 1000;
  }

  /** True while a digit is being sent. */
  get active(): boolean {
    return this.running;
  }

  /** Begins a digit at `rtpTimestamp` lasting `durationMs`; volume as −dBm0 (10 → −10 dBm0). */
  start(digit: string, rtpTimestamp: number, durationMs: number, volume = 10): void {
    const event = DTMF_EVENTS.indexOf(digit.toUpperCase());
    if (digit.length !== 1 || event < 0) throw new Error(`not a DTMF digit: ${JSON.stringify(digit)}`);
    this.running = true;
    this.event = event;
    this.volume = volume;
    this.timestamp = rtpTimestamp >>> 0;
    // §2.5.2.3: a duration beyond 16 bits needs segments; cap it instead (over 8 s at 8 kHz)
    this.total = Math.min(0xffff, Math.max(this.step, Math.round((durationMs * this.clockRate) / 1000)));
    this.duration = 0;
    this.endsSent = 0;
    this.first = true;
  }

  /** Writes the next payload at `offset` and describes it (a reused object), or null when the digit is done. */
  nextPacket(out: Uint8Array, offset: number): DtmfPacket | null {
    if (!this.running) return null;
    let end = false;
    if (this.duration + this.step < this.total) {
      this.duration += this.step;
    } else {
      this.duration = this.total;
      end = true;
      this.endsSent++;
    }
    const p = this.packet;
    p.length = writeTelephoneEvent(out, offset, this.event, end, this.volume, this.duration);
    p.marker = this.first;
    p.timestamp = this.timestamp;
    p.last = this.endsSent === 3;
    this.first = false;
    if (p.last) this.running = false;
    return p;
  }

  /** Abandons the digit in progress. */
  cancel(): void {
    this.running = false;
  }
}
