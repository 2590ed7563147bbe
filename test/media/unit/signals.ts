// Deterministic test signals at 8 kHz: tones, DTMF, white noise, a crude vowel model. Not a test file.

import { DTMF_FREQUENCIES } from '../../../src/media/dtmf.js';

export const RATE = 8000;

/** mulberry32: a small seeded PRNG so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

export interface Segment {
  ms: number;
  /** Frequencies in Hz (none: silence). */
  tones?: readonly number[];
  /** Amplitude per tone (default 7000 each, about −13.4 dBFS). */
  amplitudes?: readonly number[];
}

export const dtmf = (digit: string, ms: number, amplitudes?: number[]): Segment => ({
  ms,
  tones: DTMF_FREQUENCIES[digit],
  amplitudes,
});

export const pause = (ms: number): Segment => ({ ms });

/** Concatenates segments after `leadSamples` of silence and adds white noise of RMS `noiseRms`. */
export function render(segments: Segment[], noiseRms = 0, seed = 1, leadSamples = 0): Float64Array {
  const total = leadSamples + segments.reduce((sum, s) => sum + (s.ms * RATE) / 1000, 0);
  const out = new Float64Array(Math.ceil(total / 160) * 160 + 160);
  let t = leadSamples;
  const random = prng(seed);
  for (const s of segments) {
    const n = (s.ms * RATE) / 1000;
    const phases = (s.tones ?? []).map(() => random() * 2 * Math.PI);
    for (let i = 0; i < n; i++, t++) {
      let v = 0;
      s.tones?.forEach(
        (f, k) => (v += (s.amplitudes?.[k] ?? 7000) * Math.sin((2 * Math.PI * f * i) / RATE + phases[k])),
      );
      out[t] = v;
    }
  }
  const noise = gaussian(random);
  if (noiseRms > 0) for (let i = 0; i < out.length; i++) out[i] += noiseRms * noise();
  return out;
}

/** Rounds and saturates to int16. */
export function toInt16(x: Float64Array): Int16Array {
  return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
}

/**
 * A vowel: harmonics of a gliding f0 falling off at 6 dB/octave, shaped by three formant resonances, under a
 * syllable envelope of `syllableMs`.
 */
export function vowel(
  ms: number,
  f0From: number,
  f0To: number,
  formants: readonly number[],
  syllableMs = 300,
): Float64Array {
  const n = (ms * RATE) / 1000;
  const out = new Float64Array(n);
  const bandwidths = [90, 110, 160];
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const f0 = f0From + ((f0To - f0From) * i) / n;
    phase += (2 * Math.PI * f0) / RATE;
    let v = 0;
    for (let h = 1; f0 * h < 3800; h++) {
      let gain = 0;
      formants.forEach((F, k) => (gain += 1 / Math.sqrt(1 + ((f0 * h - F) / (bandwidths[k] / 2)) ** 2)));
      v += (gain / h) * Math.sin(h * phase);
    }
    out[i] = 6000 * v * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / ((syllableMs * RATE) / 1000)));
  }
  return out;
}
