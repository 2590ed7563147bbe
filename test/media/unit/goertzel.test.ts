import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InbandDtmfDetector } from '../../../src/media/goertzel.js';
import { DTMF_EVENTS } from '../../../src/media/dtmf.js';
import { dtmf, gaussian, pause, prng, render, toInt16, vowel, type Segment } from './signals.js';

/** Runs audio through a fresh detector in 160-sample frames, as the media worker does; returns the digits. */
function detect(audio: Float64Array | Int16Array): string {
  const pcm = audio instanceof Int16Array ? audio : toInt16(audio);
  const detector = new InbandDtmfDetector();
  const frame = new Int16Array(160);
  let digits = '';
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    frame.set(pcm.subarray(i, i + 160));
    digits += detector.push(frame) ?? '';
  }
  return digits;
}

const sequence = (digits: string, toneMs: number, pauseMs: number, amplitudes?: number[]): Segment[] =>
  [...digits].flatMap((d) => [dtmf(d, toneMs, amplitudes), pause(pauseMs)]);

// Two tones of amplitude A carry A² of power; 20 dB below that is noise of RMS A/10.
const SNR20 = 700;

test('in-band DTMF: all 16 digits in white noise at 20 dB SNR', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const audio = render([pause(100), ...sequence(DTMF_EVENTS, 60, 60)], SNR20, seed, seed * 37);
    assert.equal(detect(audio), DTMF_EVENTS, `seed ${seed}`);
  }
  // quieter keys (−26 dBFS per tone) in proportionally quieter noise, and loud ones
  assert.equal(detect(render(sequence(DTMF_EVENTS, 60, 60, [1600, 1600]), 160, 9)), DTMF_EVENTS);
  assert.equal(detect(render(sequence(DTMF_EVENTS, 60, 60, [15000, 15000]), 1500, 10)), DTMF_EVENTS);
});

test('in-band DTMF: no digit in 1 s of noise at several levels', () => {
  for (const [rms, seed] of [
    [300, 1],
    [3000, 2],
    [12000, 3],
  ]) {
    assert.equal(detect(render([pause(1000)], rms, seed)), '', `noise RMS ${rms}`);
  }
});

test('in-band DTMF: no digit in speech-like signals (non-DTMF tone mixes with noise, vowels, call progress tones)', () => {
  const others = [350, 440, 480, 500, 600, 620, 1000, 1100, 1400, 1800, 2000, 2600];
  const random = prng(7);
  for (let i = 0; i < others.length; i++) {
    for (let j = i + 1; j < others.length; j++) {
      const tones = [others[i], others[j], 2000 + 1500 * random()];
      const audio = render([{ ms: 300, tones, amplitudes: [7000, 7000, 3000] }], 500, i * 16 + j);
      assert.equal(detect(audio), '', `${tones.join('+')} Hz`);
    }
  }
  // one DTMF tone alone, or a DTMF pair buried in a third strong tone, is not a digit
  assert.equal(detect(render([{ ms: 300, tones: [770, 1000] }], 300)), '');
  assert.equal(detect(render([{ ms: 300, tones: [1336] }], 300)), '');
  assert.equal(detect(render([{ ms: 300, tones: [852, 1477, 1900] }], 300)), '');
  // a strong second harmonic (of the row, of the column) marks a harmonic-rich source, not a keypad
  const harmonic = (f: number) =>
    detect(render([{ ms: 300, tones: [770, 1336, f], amplitudes: [7000, 7000, 5500] }], 300));
  assert.equal(harmonic(1540), '');
  assert.equal(harmonic(2672), '');
  // dial tone, ringback, busy
  assert.equal(
    detect(
      render(
        [
          { ms: 1000, tones: [350, 440] },
          { ms: 1000, tones: [440, 480] },
        ],
        300,
      ),
    ),
    '',
  );
  assert.equal(detect(render([{ ms: 500, tones: [480, 620] }, pause(500)], 300)), '');
  // vowels (/a/ /i/ /u/ /e/ /o/ /æ/ /ɜ/ /ʌ/ /ʊ/ formants) on gliding pitches from 85 to 300 Hz, with some noise
  const vowels = [
    [730, 1090, 2440],
    [270, 2290, 3010],
    [300, 870, 2240],
    [530, 1840, 2480],
    [570, 840, 2410],
    [660, 1720, 2410],
    [490, 1350, 1690],
    [640, 1190, 2390],
    [440, 1020, 2240],
  ];
  const noise = gaussian(prng(11));
  for (let f0 = 85; f0 <= 300; f0 += 15) {
    const speech = new Float64Array(vowels.length * 2 * 4800);
    let at = 0;
    for (const formants of vowels) {
      for (const glide of [0.8, 1.25]) {
        speech.set(vowel(600, f0, f0 * glide, formants), at);
        at += 4800;
      }
    }
    for (let i = 0; i < speech.length; i++) speech[i] += 200 * noise();
    assert.equal(detect(speech), '', `vowels at f0 ${f0} Hz`);
  }
});

test('in-band DTMF: a long key press is one digit, two quick presses are two', () => {
  assert.equal(detect(render([dtmf('9', 3000)], SNR20)), '9');
  // a 5 ms dropout inside a press does not split it
  assert.equal(detect(render([dtmf('9', 300), pause(5), dtmf('9', 300)], SNR20)), '9');
  for (let lead = 0; lead < 102; lead += 17) {
    // Q.23 minimums: 40 ms tones with 40 ms pauses
    assert.equal(detect(render([dtmf('7', 40), pause(40), dtmf('7', 40), pause(40)], SNR20, lead, lead)), '77');
    assert.equal(detect(render([dtmf('7', 100), pause(40), dtmf('7', 100)], SNR20, lead, lead)), '77');
    // different digits back to back without a pause
    assert.equal(detect(render([dtmf('1', 80), dtmf('2', 80), pause(40)], SNR20, lead, lead)), '12');
  }
});

test('in-band DTMF: minimum duration, twist, level and frequency tolerance', () => {
  for (let lead = 0; lead < 102; lead += 7) {
    assert.equal(detect(render([pause(20), dtmf('5', 40), pause(60)], SNR20, lead, lead)), '5', `40 ms, ${lead}`);
    assert.equal(detect(render([pause(20), dtmf('5', 15), pause(60)], SNR20, lead, lead)), '', `15 ms, ${lead}`);
  }
  // twist: the row may be up to 8 dB above the column ("normal"), the column up to 4 dB above the row ("reverse")
  const twist = (rowDb: number) => detect(render([dtmf('8', 100, [7000 * 10 ** (rowDb / 20), 7000]), pause(40)], 300));
  assert.equal(twist(0), '8');
  assert.equal(twist(7), '8');
  assert.equal(twist(-3), '8');
  assert.equal(twist(10), '');
  assert.equal(twist(-6), '');
  // too quiet: −50 dBFS per tone
  assert.equal(detect(render([dtmf('3', 200, [100, 100])])), '');
  // ±1.5 % off nominal is accepted, ±6 % is not
  for (const deviation of [-0.015, 0.015, -0.06, 0.06]) {
    const segments = [...DTMF_EVENTS].flatMap((d) => {
      const s = dtmf(d, 100);
      return [{ ...s, tones: s.tones?.map((f) => f * (1 + deviation)) }, pause(60)];
    });
    assert.equal(detect(render(segments, 300)), Math.abs(deviation) < 0.02 ? DTMF_EVENTS : '', String(deviation));
  }
});
