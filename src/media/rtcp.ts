// RFC 3550 receive statistics (A.1 sequence validation, A.3 loss, A.8 jitter) and minimal RTCP: SR and RR with
// one report block, optional SDES CNAME (§6.1: every compound packet carries one), BYE, and a parser. RTCP goes out
// every few seconds, so the writers and the parser may allocate; RtpReceiveStats.update runs per packet and does not.

import { readU32, tsDelta, writeU32 } from './rtp.js';

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000; // A.1: a jump ahead of up to this many is a gap, not a restart
const MAX_MISORDER = 100; // A.1: up to this many behind is a late packet
const MIN_SEQUENTIAL = 2; // A.1: packets in sequence before a source is valid
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2208988800;

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** §6.4.1 report block. */
export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, 0–255 (lost / expected · 256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed: duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received: cycles · 65536 + highest sequence. */
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none. */
  lsr: number;
  /** Delay since that SR in 1/65536 s, 0 if none. */
  dlsr: number;
}

export interface SenderInfo {
  ssrc: number;
  /** Wall clock of the report, in ms since the Unix epoch. */
  ntpMs: number;
  /** Middle 32 bits of the NTP timestamp: what a receiver echoes as LSR. */
  ntpMiddle: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

export interface RtcpInfo {
  /** SSRC of the sender of the first packet (SR or RR). */
  ssrc: number;
  sender: SenderInfo | null;
  reports: ReportBlock[];
  cname: string | null;
  bye: boolean;
}

/** Splits Unix-epoch ms into the two 32-bit words of an NTP timestamp (§4). */
function ntpWords(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x100000000);
  return [(seconds + NTP_UNIX_OFFSET) >>> 0, fraction >>> 0];
}

/** The middle 32 bits of the NTP timestamp for Unix-epoch ms: what an SR's LSR echo and RTT use. */
export function ntpMiddle(ms: number): number {
  const [msw, lsw] = ntpWords(ms);
  return (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0;
}

/** §6.4.1 round-trip time from a report block about our own stream, or undefined without LSR. */
export function roundTripMs(block: ReportBlock, nowMs: number): number | undefined {
  if (block.lsr === 0) return undefined;
  return ((ntpMiddle(nowMs) - block.lsr - block.dlsr) >>> 0) / 65.536;
}

export interface RtpReceiveSnapshot {
  ssrc: number;
  received: number;
  expected: number;
  lost: number;
  highestSeq: number;
  jitterMs: number;
}

/** Statistics about one received RTP source. update() runs per packet and never allocates. */
export class RtpReceiveStats {
  ssrc = 0;
  /** Packets counted as received (A.1: duplicates included). */
  received = 0;
  /** Interarrival jitter in timestamp units (A.8, floating point). */
  jitter = 0;
  private started = false;
  private maxSeq = 0;
  private cycles = 0; // shifted count of sequence wraps (a multiple of 65536)
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private hasTransit = false;
  private lastArrival = 0; // in timestamp units
  private lastTimestamp = 0;
  private lastSr = 0;
  private lastSrArrivalMs = 0;

  /** Forgets everything, e.g. on an SSRC change: the new source goes through probation again. */
  reset(ssrc = 0): void {
    this.ssrc = ssrc >>> 0;
    this.received = 0;
    this.jitter = 0;
    this.started = false;
    this.cycles = 0;
    this.badSeq = SEQ_MOD + 1;
    this.probation = MIN_SEQUENTIAL;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.hasTransit = false;
    this.lastSr = 0;
    this.lastSrArrivalMs = 0;
  }

  /**
   * Accounts for one packet. Returns false while the source is on probation or for a packet far out of sequence
   * (A.1); such packets should not be played. Passing `ssrc` resets the statistics when it changes.
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number, clockRate = 8000, ssrc?: number): boolean {
    if (ssrc !== undefined && ssrc >>> 0 !== this.ssrc) this.reset(ssrc);
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = MIN_SEQUENTIAL;
    }
    if (!this.updateSeq(seq)) return false;
    // A.8: D(i-1, i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16, with timestamps compared across wrap
    const arrival = (arrivalMs * clockRate) / 1000;
    if (this.hasTransit) {
      let d = arrival - this.lastArrival - tsDelta(rtpTimestamp, this.lastTimestamp);
      if (d < 0) d = -d;
      this.jitter += (d - this.jitter) / 16;
    }
    this.hasTransit = true;
    this.lastArrival = arrival;
    this.lastTimestamp = rtpTimestamp;
    return true;
  }

  /** Extended highest sequence number received (A.1: cycles + max_seq). */
  get highestSeq(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  /** Packets expected since the base sequence number (A.3). */
  get expected(): number {
    return this.started && this.probation === 0 ? this.cycles + this.maxSeq - this.baseSeq + 1 : 0;
  }

  /** Cumulative packets lost; negative with duplicates (A.3). */
  get lost(): number {
    return this.expected - this.received;
  }

  /** A summary for logs and call records (allocates: not for the per-packet path). */
  snapshot(clockRate = 8000): RtpReceiveSnapshot {
    return {
      ssrc: this.ssrc,
      received: this.received,
      expected: this.expected,
      lost: this.lost,
      highestSeq: this.highestSeq,
      jitterMs: (this.jitter * 1000) / clockRate,
    };
  }

  /** Remembers an SR from this source for the LSR/DLSR fields of the next report (§6.4.1). */
  onSenderReport(ntpMiddle: number, arrivalMs: number): void {
    this.lastSr = ntpMiddle >>> 0;
    this.lastSrArrivalMs = arrivalMs;
  }

  /**
   * Fills a report block and starts a new reporting interval (the fraction lost is per interval, A.3).
   * `nowMs` is on the same clock as the arrival passed to onSenderReport.
   */
  report(nowMs: number, out: ReportBlock = emptyReportBlock()): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    out.ssrc = this.ssrc;
    out.fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    if (out.fractionLost > 255) out.fractionLost = 255;
    // §6.4.1: cumulative lost is a 24-bit signed field, clamped
    out.cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    out.highestSeq = this.highestSeq;
    out.jitter = Math.floor(this.jitter) >>> 0;
    out.lsr = this.lastSr;
    out.dlsr = this.lastSr === 0 ? 0 : Math.max(0, Math.round((nowMs - this.lastSrArrivalMs) * 65.536)) >>> 0;
    return out;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1; // so seq == badSeq is false
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      // a source is valid once MIN_SEQUENTIAL packets arrive in sequence
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // in order, with a permissible gap
      if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
      this.maxSeq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
      // a very large jump: accept it only if the next packet follows it (the sender restarted)
      if (seq === this.badSeq) {
        this.initSeq(seq);
        this.hasTransit = false;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet, counted
    this.received++;
    return true;
  }
}

export function emptyReportBlock(): ReportBlock {
  return { ssrc: 0, fractionLost: 0, cumulativeLost: 0, highestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 };
}

export interface SenderReportOptions {
  ssrc: number;
  /** Wall clock in ms since the Unix epoch (written as NTP). */
  ntpMs: number;
  /** The RTP timestamp corresponding to the same instant. */
  rtpTimestamp: number;
  packets: number;
  octets: number;
  report?: ReportBlock;
  /** Appends an SDES packet with this CNAME (§6.1 compound packet). */
  cname?: string;
}

export interface ReceiverReportOptions {
  ssrc: number;
  report?: ReportBlock;
  cname?: string;
}

/** §6.4.1 report block, 24 bytes. */
function writeReportBlock(buf: Uint8Array, offset: number, r: ReportBlock): void {
  writeU32(buf, offset, r.ssrc);
  const lost = r.cumulativeLost & 0xffffff;
  writeU32(buf, offset + 4, ((r.fractionLost & 0xff) << 24) | lost);
  writeU32(buf, offset + 8, r.highestSeq);
  writeU32(buf, offset + 12, r.jitter);
  writeU32(buf, offset + 16, r.lsr);
  writeU32(buf, offset + 20, r.dlsr);
}

/** Common header: V=2, P=0, count, packet type, length in 32-bit words minus one (§6.4.1). */
function writeHeader(buf: Uint8Array, offset: number, count: number, type: number, length: number): void {
  buf[offset] = 0x80 | count;
  buf[offset + 1] = type;
  buf[offset + 2] = (length / 4 - 1) >>> 8;
  buf[offset + 3] = length / 4 - 1;
}

/** §6.5 SDES with a single chunk holding CNAME; returns its length (padded to 32 bits). */
export function writeSdes(buf: Uint8Array, offset: number, ssrc: number, cname: string): number {
  const text = new TextEncoder().encode(cname).subarray(0, 255);
  // chunk: SSRC, CNAME item (type 1, length, text), a null item, zero padding to a 32-bit boundary
  const length = 4 + ((4 + 2 + text.length + 1 + 3) & ~3);
  buf.fill(0, offset, offset + length);
  writeHeader(buf, offset, 1, RTCP_SDES, length);
  writeU32(buf, offset + 4, ssrc);
  buf[offset + 8] = 1;
  buf[offset + 9] = text.length;
  buf.set(text, offset + 10);
  return length;
}

/** §6.6 BYE for one SSRC; returns 8. */
export function writeBye(buf: Uint8Array, offset: number, ssrc: number): number {
  writeHeader(buf, offset, 1, RTCP_BYE, 8);
  writeU32(buf, offset + 4, ssrc);
  return 8;
}

/** §6.4.1 sender report (+ SDES when `cname` is given); returns the compound length. */
export function writeSenderReport(buf: Uint8Array, o: SenderReportOptions): number {
  const count = o.report ? 1 : 0;
  const length = 28 + 24 * count;
  writeHeader(buf, 0, count, RTCP_SR, length);
  writeU32(buf, 4, o.ssrc);
  const [msw, lsw] = ntpWords(o.ntpMs);
  writeU32(buf, 8, msw);
  writeU32(buf, 12, lsw);
  writeU32(buf, 16, o.rtpTimestamp);
  writeU32(buf, 20, o.packets);
  writeU32(buf, 24, o.octets);
  if (o.report) writeReportBlock(buf, 28, o.report);
  return o.cname === undefined ? length : length + writeSdes(buf, length, o.ssrc, o.cname);
}

/** §6.4.2 receiver report (+ SDES when `cname` is given); returns the compound length. */
export function writeReceiverReport(buf: Uint8Array, o: ReceiverReportOptions): number {
  const count = o.report ? 1 : 0;
  const length = 8 + 24 * count;
  writeHeader(buf, 0, count, RTCP_RR, length);
  writeU32(buf, 4, o.ssrc);
  if (o.report) writeReportBlock(buf, 8, o.report);
  return o.cname === undefined ? length : length + writeSdes(buf, length, o.ssrc, o.cname);
}

function readReportBlock(buf: Uint8Array, offset: number): ReportBlock {
  const word = readU32(buf, offset + 4);
  const lost = word & 0xffffff;
  return {
    ssrc: readU32(buf, offset),
    fractionLost: word >>> 24,
    cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    highestSeq: readU32(buf, offset + 8),
    jitter: readU32(buf, offset + 12),
    lsr: readU32(buf, offset + 16),
    dlsr: readU32(buf, offset + 20),
  };
}

/**
 * Parses a compound RTCP packet (A.2 validity: every packet version 2 with a length that fits, the lengths adding
 * up). Returns null when invalid. Unknown packet types are skipped.
 */
export function parseRtcp(buf: Uint8Array, length: number): RtcpInfo | null {
  if (length < 8) return null;
  const info: RtcpInfo = { ssrc: readU32(buf, 4), sender: null, reports: [], cname: null, bye: false };
  let offset = 0;
  while (offset < length) {
    if (offset + 4 > length || buf[offset] >> 6 !== 2) return null;
    const count = buf[offset] & 0x1f;
    const type = buf[offset + 1];
    const size = 4 * (((buf[offset + 2] << 8) | buf[offset + 3]) + 1);
    if (offset + size > length) return null;
    if (type === RTCP_SR || type === RTCP_RR) {
      const blocks = type === RTCP_SR ? offset + 28 : offset + 8;
      if (blocks + 24 * count > offset + size) return null;
      if (type === RTCP_SR) {
        const msw = readU32(buf, offset + 8);
        const lsw = readU32(buf, offset + 12);
        info.sender = {
          ssrc: readU32(buf, offset + 4),
          ntpMs: (msw - NTP_UNIX_OFFSET) * 1000 + (lsw / 0x100000000) * 1000,
          ntpMiddle: (((msw & 0xffff) << 16) | (lsw >>> 16)) >>> 0,
          rtpTimestamp: readU32(buf, offset + 16),
          packets: readU32(buf, offset + 20),
          octets: readU32(buf, offset + 24),
        };
      }
      for (let i = 0; i < count; i++) info.reports.push(readReportBlock(buf, blocks + 24 * i));
    } else if (type === RTCP_SDES && count > 0 && info.cname === null) {
      info.cname = readCname(buf, offset + 8, offset + size);
    } else if (type === RTCP_BYE) {
      info.bye = true;
    }
    offset += size;
  }
  return info;
}

/** The CNAME item of the first SDES chunk (items start after the chunk's SSRC). */
function readCname(buf: Uint8Array, offset: number, end: number): string | null {
  while (offset + 2 <= end && buf[offset] !== 0) {
    const type = buf[offset];
    const len = buf[offset + 1];
    if (offset + 2 + len > end) return null;
    if (type === 1) return new TextDecoder().decode(buf.subarray(offset + 2, offset + 2 + len));
    offset += 2 + len;
  }
  return null;
}
