// In-band DTMF detection (ITU-T Q.23/Q.24 tones in 8 kHz L16 audio) with Goertzel filters, the approach of spandsp
// and Asterisk: 102-sample blocks (12.75 ms; the 78 Hz bins keep tones within ±1.5 % of nominal near full level,
// and a 40 ms tone always covers two whole blocks), one filter per DTMF frequency, then per block:
//   - both tones above a minimum level;
//   - twist: the row (low group) at most 8 dB above the column ("normal"), the column at most 4 dB above the row
//     ("reverse");
//   - each tone 8 dB above the other tones of its group;
//   - the two tones hold most of the block's energy (rejects speech, music and noise);
//   - each tone's second harmonic well below it (speech is rich in harmonics, DTMF is not).
// A digit is confirmed after two consecutive blocks agree (≥ 25.5 ms of tone; 40 ms tones always pass) and held
// until two blocks disagree, so a long press is one digit and a 40 ms pause separates two.

import { DTMF_COLUMNS, DTMF_ROWS } from './dtmf.js';

const SAMPLE_RATE = 8000;
const BLOCK = 102;
const KEYPAD = '123A456B789C*0#D';
/** Minimum amplitude of each tone: about −42 dBFS. */
const MIN_AMPLITUDE = 250;
const MIN_POWER = ((MIN_AMPLITUDE * BLOCK) / 2) ** 2; // Goertzel power of a sine: (A·N/2)²
const NORMAL_TWIST = 10 ** (8 / 10); // row above column
const REVERSE_TWIST = 10 ** (4 / 10); // column above row
const RELATIVE_PEAK = 10 ** (8 / 10);
/** Share of the block's energy the two tones must carry (a pure pair is 1). */
const TONE_TO_TOTAL = 0.75;
/** Second harmonic at least 3 dB below its tone (row harmonics sit near columns: leakage keeps this loose). */
const SECOND_HARMONIC = 10 ** (-3 / 10);
const HITS_TO_BEGIN = 2;
const MISSES_TO_END = 2;

const FREQUENCIES = [...DTMF_ROWS, ...DTMF_COLUMNS];
const COEFF = Float64Array.from(FREQUENCIES, (f) => 2 * Math.cos((2 * Math.PI * f) / SAMPLE_RATE));
const COEFF2 = Float64Array.from(FREQUENCIES, (f) => 2 * Math.cos((4 * Math.PI * f) / SAMPLE_RATE));

/** Goertzel power |X(f)|² of `block` for the filter with coefficient 2·cos(ω). */
function goertzel(block: Float64Array, coeff: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < BLOCK; i++) {
    const s = block[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** The eight DTMF filters, two per pass over the block (fewer loads than one filter per pass). */
function goertzel8(block: Float64Array, power: Float64Array): void {
  for (let k = 0; k < 8; k += 2) {
    const c = COEFF[k];
    const d = COEFF[k + 1];
    let a1 = 0; // filter k: s[n-1], s[n-2]
    let a2 = 0;
    let b1 = 0; // filter k + 1
    let b2 = 0;
    for (let i = 0; i < BLOCK; i++) {
      const x = block[i];
      const a = x + c * a1 - a2;
      a2 = a1;
      a1 = a;
      const b = x + d * b1 - b2;
      b2 = b1;
      b1 = b;
    }
    power[k] = a1 * a1 + a2 * a2 - c * a1 * a2;
    power[k + 1] = b1 * b1 + b2 * b2 - d * b1 * b2;
  }
}

export class InbandDtmfDetector {
  private readonly block = new Float64Array(BLOCK);
  private readonly power = new Float64Array(8);
  private fill = 0;
  private lastHit = -1; // key index seen in the previous block, −1 for none
  private runLength = 0; // consecutive blocks with lastHit
  private current = -1; // digit being held, −1 for none

  /** Feeds `n` samples; returns a digit when one is confirmed (once per key press). */
  push(frame: Int16Array, n = 160): string | undefined {
    let digit: string | undefined;
    for (let i = 0; i < n; i++) {
      this.block[this.fill++] = frame[i];
      if (this.fill === BLOCK) {
        this.fill = 0;
        const key = this.track(this.analyse());
        if (key >= 0) digit = KEYPAD[key];
      }
    }
    return digit;
  }

  reset(): void {
    this.fill = 0;
    this.lastHit = -1;
    this.runLength = 0;
    this.current = -1;
  }

  /** Debounces block results; returns a newly confirmed key index or −1. */
  private track(hit: number): number {
    if (hit === this.lastHit) this.runLength++;
    else {
      this.lastHit = hit;
      this.runLength = 1;
    }
    if (this.current >= 0 && hit !== this.current && this.runLength >= MISSES_TO_END) this.current = -1;
    if (this.current < 0 && hit >= 0 && this.runLength >= HITS_TO_BEGIN) {
      this.current = hit;
      return hit;
    }
    return -1;
  }

  /** The key index (row·4 + column) whose tones this block holds, or −1. */
  private analyse(): number {
    const block = this.block;
    const power = this.power;
    let energy = 0;
    for (let i = 0; i < BLOCK; i++) energy += block[i] * block[i];
    // Cauchy–Schwarz: no bin exceeds N·energy, so a quiet block cannot hold a tone loud enough
    if (energy * BLOCK < MIN_POWER) return -1;
    goertzel8(block, power);
    let row = 0;
    let col = 4;
    for (let k = 1; k < 4; k++) if (power[k] > power[row]) row = k;
    for (let k = 5; k < 8; k++) if (power[k] > power[col]) col = k;
    const rowPower = power[row];
    const colPower = power[col];
    if (rowPower < MIN_POWER || colPower < MIN_POWER) return -1;
    if (rowPower > colPower * NORMAL_TWIST || colPower > rowPower * REVERSE_TWIST) return -1;
    for (let k = 0; k < 4; k++) if (k !== row && power[k] * RELATIVE_PEAK > rowPower) return -1;
    for (let k = 4; k < 8; k++) if (k !== col && power[k] * RELATIVE_PEAK > colPower) return -1;
    // a sine of amplitude A has power (A·N/2)² and energy A²·N/2: their ratio is N/2
    if (rowPower + colPower < TONE_TO_TOTAL * energy * (BLOCK / 2)) return -1;
    if (goertzel(block, COEFF2[row]) > rowPower * SECOND_HARMONIC) return -1;
    if (goertzel(block, COEFF2[col]) > colPower * SECOND_HARMONIC) return -1;
    return row * 4 + (col - 4);
  }
}
