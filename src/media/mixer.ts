// Conference mixing in L16 (media.md §2, conclusion 6): decode every talker into int16, sum into an int32
// accumulator once, then give each participant the sum minus their own frame, scaled and clipped to int16.
// Int16Array stores wrap modulo 2^16 instead of saturating, so every store here goes through clip().

export const INT16_MAX = 32767;
export const INT16_MIN = -32768;

/** Saturates to the int16 range. */
export function clip(v: number): number {
  return v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v;
}

/** acc[i] += src[i] for n samples (int32 accumulators cannot overflow with fewer than 65536 talkers). */
export function mixInto(acc: Int32Array, src: Int16Array, n: number): void {
  for (let i = 0; i < n; i++) acc[i] += src[i];
}

/**
 * dst = clip((acc − own) · gain): what one participant hears, everyone but themselves. `own` is null for a
 * participant who did not contribute to `acc` (muted, or only listening).
 */
export function mixMinus(acc: Int32Array, own: Int16Array | null, dst: Int16Array, n: number, gain = 1): void {
  if (gain === 1) {
    if (own === null) for (let i = 0; i < n; i++) dst[i] = clip(acc[i]);
    else for (let i = 0; i < n; i++) dst[i] = clip(acc[i] - own[i]);
  } else if (own === null) {
    for (let i = 0; i < n; i++) dst[i] = clip(Math.round(acc[i] * gain));
  } else {
    for (let i = 0; i < n; i++) dst[i] = clip(Math.round((acc[i] - own[i]) * gain));
  }
}

/** Multiplies a frame in place by `gain`, rounding and clipping. */
export function scale(frame: Int16Array, gain: number, n = frame.length): void {
  if (gain === 1) return;
  for (let i = 0; i < n; i++) frame[i] = clip(Math.round(frame[i] * gain));
}

/** Root mean square of the first n samples (0 to 32768). */
export function frameEnergy(frame: Int16Array, n: number): number {
  if (n <= 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += frame[i] * frame[i];
  return Math.sqrt(sum / n);
}

/** True when the frame's RMS is below `thresholdRms` (silence detection, VAD). */
export function isSilent(frame: Int16Array, n: number, thresholdRms: number): boolean {
  return frameEnergy(frame, n) < thresholdRms;
}

/** RMS as dB relative to full scale (a full-scale square wave is 0 dBFS); −Infinity for digital silence. */
export function dbfs(rms: number): number {
  return 20 * Math.log10(rms / 32768);
}
