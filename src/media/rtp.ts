// RFC 3550 §5.1 RTP fixed header, read into and written from reused objects (no allocation per packet).
//
//   0                   1                   2                   3
//   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//   |                           timestamp                           |
//   |           synchronization source (SSRC) identifier            |
//   |            contributing source (CSRC) identifiers (0..15)     |
//   |  [header extension: profile(16) length(16, in words) data]    |

import { randomInt } from 'node:crypto';

export const RTP_HEADER_LENGTH = 12;

export class RtpHeader {
  version = 0;
  padding = false;
  extension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequence = 0;
  timestamp = 0;
  ssrc = 0;
  /** Where the payload starts: after the CSRC list and the header extension. */
  payloadOffset = 0;
  /** Payload bytes, without the padding. */
  payloadLength = 0;
}

/** Fields writeRtp needs; an RtpHeader fits. */
export interface RtpFields {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
}

/** Big-endian unsigned 32-bit read (no DataView, no bounds checks beyond the caller's). */
export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset] << 24) | (buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]) >>> 0;
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = value >>> 16;
  buf[offset + 2] = value >>> 8;
  buf[offset + 3] = value;
}

/**
 * Parses the first `length` bytes of `buf` into `out`. False when it is not an RTP packet: shorter than the fixed
 * header, version ≠ 2, an RTCP packet type (RFC 5761 §4), or CSRC list, extension or padding overrunning it.
 */
export function readRtp(buf: Uint8Array, length: number, out: RtpHeader): boolean {
  if (length < RTP_HEADER_LENGTH) return false;
  const b0 = buf[0];
  const b1 = buf[1];
  if (b0 >> 6 !== 2) return false;
  if (b1 >= 192 && b1 <= 223) return false; // RTCP on a muxed port
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_LENGTH + 4 * csrcCount;
  const extension = (b0 & 0x10) !== 0;
  if (extension) {
    // §5.3.1: 16-bit profile, 16-bit length in 32-bit words excluding this 4-byte header
    if (offset + 4 > length) return false;
    offset += 4 + 4 * ((buf[offset + 2] << 8) | buf[offset + 3]);
  }
  if (offset > length) return false;
  let end = length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    // §5.1: the last octet counts the padding octets, itself included
    const pad = buf[length - 1];
    if (pad === 0 || offset + pad > length) return false;
    end -= pad;
  }
  out.version = 2;
  out.padding = padding;
  out.extension = extension;
  out.csrcCount = csrcCount;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequence = (buf[2] << 8) | buf[3];
  out.timestamp = readU32(buf, 4);
  out.ssrc = readU32(buf, 8);
  out.payloadOffset = offset;
  out.payloadLength = end - offset;
  return true;
}

/** Writes a 12-byte header (V=2, no padding, extension or CSRC) at `offset`; returns its length. */
export function writeRtp(buf: Uint8Array, h: RtpFields, offset = 0): number {
  buf[offset] = 0x80;
  buf[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf[offset + 2] = h.sequence >>> 8;
  buf[offset + 3] = h.sequence;
  writeU32(buf, offset + 4, h.timestamp);
  writeU32(buf, offset + 8, h.ssrc);
  return RTP_HEADER_LENGTH;
}

/** Rewrites sequence, timestamp and SSRC in place (relaying a packet from one leg to another). */
export function patchRtp(buf: Uint8Array, sequence: number, timestamp: number, ssrc: number): void {
  buf[2] = sequence >>> 8;
  buf[3] = sequence;
  writeU32(buf, 4, timestamp);
  writeU32(buf, 8, ssrc);
}

/**
 * RFC 5761 §4 demultiplexing on a shared port: version 2 and a second byte in 192–223 (this holds SR 200, RR 201,
 * SDES 202, BYE 203, APP 204 and the feedback types; RTP payload types 64–95 must not be used with rtcp-mux).
 */
export function isRtcp(buf: Uint8Array, length = buf.length): boolean {
  return length >= 8 && buf[0] >> 6 === 2 && buf[1] >= 192 && buf[1] <= 223;
}

/** Signed 16-bit distance a − b: positive when `a` is after `b`, across wrap (RFC 3550 A.1 arithmetic). */
export function seqDelta(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}

/** The sequence number after `s`. */
export function nextSeq(s: number): number {
  return (s + 1) & 0xffff;
}

/** Signed 32-bit distance a − b between RTP timestamps, across wrap. */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** A random 32-bit value for an initial SSRC, sequence or timestamp (§5.1: should be random). */
export function randomU32(): number {
  return randomInt(0x100000000);
}
