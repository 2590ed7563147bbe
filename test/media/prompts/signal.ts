// Signal checks for prompt tests: RMS, frequency by zero crossings, Goertzel power, sine generation.

import { spawnSync } from 'node:child_process';

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Frequency of a (mostly) pure tone from its sign changes. */
export function zeroCrossingFreq(x: ArrayLike<number>, rate: number, from = 0, to = x.length): number {
  let crossings = 0;
  for (let i = from + 1; i < to; i++) if (x[i - 1] < 0 !== x[i] < 0) crossings++;
  return (crossings / 2) * (rate / (to - from));
}

/** Fraction of the signal's energy at `freq` (Goertzel, ~1 for a pure tone at that frequency). */
export function toneShare(x: ArrayLike<number>, freq: number, rate: number, from = 0, to = x.length): number {
  const n = to - from;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = from; i < to; i++) {
    const s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x[i] * x[i];
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (n * energy);
}

/** Interleaved sine, same on every channel, float in [-1, 1]. */
export function sine(freq: number, rate: number, seconds: number, amplitude = 0.5, channels = 1): Float32Array {
  const n = Math.round(rate * seconds);
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const v = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

export function toInt16(x: Float32Array): Int16Array {
  return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
}

/** Runs of non-silent samples as [startSample, length] pairs (threshold on |x|, gaps shorter than `minGap` merged). */
export function bursts(x: Int16Array, threshold = 500, minGap = 80): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  let lastLoud = -1;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) > threshold) {
      if (start < 0 || i - lastLoud > minGap) {
        if (start >= 0) out.push([start, lastLoud - start + 1]);
        start = i;
      }
      lastLoud = i;
    }
  }
  if (start >= 0) out.push([start, lastLoud - start + 1]);
  return out;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
