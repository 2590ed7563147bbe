// ITU-T G.711 µ-law and A-law with lookup tables built once at module load. The formulas are those of the
// ITU-T G.191 reference implementation (g711.c): 16-bit linear input, one's complement for negatives.
// Hot path: one table read per sample, offsets instead of subarray() so callers encode straight into (or decode
// straight out of) RTP packet buffers without allocating.

export type Codec = 'PCMU' | 'PCMA';

/** RFC 3551 static payload types. */
export const PAYLOAD_TYPE = { PCMU: 0, PCMA: 8 } as const;

/** G.191 ulaw_expand: 8-bit µ-law code to 16-bit linear. */
function ulawExpand(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const inv = ~code & 0xff;
  const exponent = (inv >> 4) & 0x07;
  const mantissa = inv & 0x0f;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33) || 0; // `|| 0`: no -0
}

/** G.191 ulaw_compress: 16-bit linear to µ-law (14-bit magnitude, bias 33, 8 segments). */
function ulawCompress(x: number): number {
  let abs = (x < 0 ? ~x >> 2 : x >> 2) + 33;
  if (abs > 0x1fff) abs = 0x1fff;
  let segment = 1;
  for (let i = abs >> 6; i !== 0; i >>= 1) segment++;
  const high = 8 - segment;
  const low = 0x0f - ((abs >> segment) & 0x0f);
  const code = (high << 4) | low;
  return x >= 0 ? code | 0x80 : code;
}

/** G.191 alaw_expand: 8-bit A-law code (even bits inverted, 0x55) to 16-bit linear. */
function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mantissa = ix & 0x0f;
  if (exponent > 0) mantissa += 16;
  mantissa = (mantissa << 4) + 8;
  if (exponent > 1) mantissa <<= exponent - 1;
  return code > 0x7f ? mantissa : -mantissa;
}

/** G.191 alaw_compress: 16-bit linear to A-law (12-bit magnitude, 8 segments). */
function alawCompress(x: number): number {
  let ix = x < 0 ? ~x >> 4 : x >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix = ix - 16 + (exponent << 4);
  }
  if (x >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

export const ULAW_TO_L16 = new Int16Array(256);
export const ALAW_TO_L16 = new Int16Array(256);
/** Indexed by `sample & 0xffff`. */
export const L16_TO_ULAW = new Uint8Array(65536);
/** Indexed by `sample & 0xffff`. */
export const L16_TO_ALAW = new Uint8Array(65536);
/** Transcoding through linear: the A-law code whose interval holds the µ-law code's value. */
export const ULAW_TO_ALAW = new Uint8Array(256);
export const ALAW_TO_ULAW = new Uint8Array(256);

for (let i = 0; i < 65536; i++) {
  const x = (i << 16) >> 16; // index back to signed 16-bit
  L16_TO_ULAW[i] = ulawCompress(x);
  L16_TO_ALAW[i] = alawCompress(x);
}
for (let c = 0; c < 256; c++) {
  ULAW_TO_L16[c] = ulawExpand(c);
  ALAW_TO_L16[c] = alawExpand(c);
}
for (let c = 0; c < 256; c++) {
  ULAW_TO_ALAW[c] = L16_TO_ALAW[ULAW_TO_L16[c] & 0xffff];
  ALAW_TO_ULAW[c] = L16_TO_ULAW[ALAW_TO_L16[c] & 0xffff];
}

export function decodeUlaw(src: Uint8Array, dst: Int16Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = ULAW_TO_L16[src[srcOffset + i]];
}

export function decodeAlaw(src: Uint8Array, dst: Int16Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = ALAW_TO_L16[src[srcOffset + i]];
}

export function encodeUlaw(src: Int16Array, dst: Uint8Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = L16_TO_ULAW[src[srcOffset + i] & 0xffff];
}

export function encodeAlaw(src: Int16Array, dst: Uint8Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = L16_TO_ALAW[src[srcOffset + i] & 0xffff];
}

/** µ-law to A-law payload (may be in place: src === dst). */
export function ulawToAlaw(src: Uint8Array, dst: Uint8Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = ULAW_TO_ALAW[src[srcOffset + i]];
}

/** A-law to µ-law payload (may be in place: src === dst). */
export function alawToUlaw(src: Uint8Array, dst: Uint8Array, n: number, srcOffset = 0, dstOffset = 0): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = ALAW_TO_ULAW[src[srcOffset + i]];
}

export function decode(codec: Codec, src: Uint8Array, dst: Int16Array, n: number, srcOffset = 0, dstOffset = 0): void {
  if (codec === 'PCMU') decodeUlaw(src, dst, n, srcOffset, dstOffset);
  else decodeAlaw(src, dst, n, srcOffset, dstOffset);
}

export function encode(codec: Codec, src: Int16Array, dst: Uint8Array, n: number, srcOffset = 0, dstOffset = 0): void {
  if (codec === 'PCMU') encodeUlaw(src, dst, n, srcOffset, dstOffset);
  else encodeAlaw(src, dst, n, srcOffset, dstOffset);
}

/** Copies a payload from one codec to another (a plain copy when they match). */
export function transcode(
  from: Codec,
  to: Codec,
  src: Uint8Array,
  dst: Uint8Array,
  n: number,
  srcOffset = 0,
  dstOffset = 0,
): void {
  if (from === to) {
    if (src === dst) dst.copyWithin(dstOffset, srcOffset, srcOffset + n);
    else for (let i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i];
  } else if (from === 'PCMU') ulawToAlaw(src, dst, n, srcOffset, dstOffset);
  else alawToUlaw(src, dst, n, srcOffset, dstOffset);
}

/** The value of a silent sample in each codec (for comfort fill and padding). */
export const SILENCE = { PCMU: 0xff, PCMA: 0xd5 } as const;
