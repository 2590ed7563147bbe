import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clip, dbfs, frameEnergy, isSilent, mixInto, mixMinus, scale } from '../../../src/media/mixer.js';

const N = 160;
const frame = (f: (i: number) => number) => Int16Array.from({ length: N }, (_, i) => f(i));

test('mixer: sums exactly, clips three near-full-scale talkers, and each hears everyone but themselves', () => {
  const a = frame(() => 30000);
  const b = frame(() => 30000);
  const c = frame((i) => (i % 2 ? -32768 : 32767));
  const acc = new Int32Array(N);
  mixInto(acc, a, N);
  mixInto(acc, b, N);
  mixInto(acc, c, N);
  assert.equal(acc[0], 92767);
  assert.equal(acc[1], 27232);
  const out = new Int16Array(N);
  // a hears b + c: clipped at +32767 on even samples, −2768 on odd ones (no int16 wrap-around)
  mixMinus(acc, a, out, N);
  assert.equal(out[0], 32767);
  assert.equal(out[1], 30000 - 32768);
  // c hears a + b = 60000, clipped
  mixMinus(acc, c, out, N);
  assert.ok(out.every((v) => v === 32767));
  // a listener who does not talk hears everything, clipped
  mixMinus(acc, null, out, N);
  assert.equal(out[0], 32767);
  assert.equal(out[1], 27232);
  // all negative near full scale clips at −32768
  const neg = new Int32Array(N);
  for (let k = 0; k < 3; k++)
    mixInto(
      neg,
      frame(() => -31000),
      N,
    );
  mixMinus(neg, null, out, N);
  assert.ok(out.every((v) => v === -32768));
});

test('mixer: mix-minus removes exactly the own frame, with gain and rounding', () => {
  const talkers = [1, 2, 3].map((k) => frame((i) => Math.round(3000 * k * Math.sin((2 * Math.PI * (i + 7 * k)) / 40))));
  const acc = new Int32Array(N);
  for (const t of talkers) mixInto(acc, t, N);
  const out = new Int16Array(N);
  for (let me = 0; me < 3; me++) {
    mixMinus(acc, talkers[me], out, N);
    for (let i = 0; i < N; i++) {
      const expected = talkers.reduce((sum, t, k) => (k === me ? sum : sum + t[i]), 0);
      assert.equal(out[i], clip(expected));
    }
    mixMinus(acc, talkers[me], out, N, 0.5);
    for (let i = 0; i < N; i++) {
      const expected = talkers.reduce((sum, t, k) => (k === me ? sum : sum + t[i]), 0);
      assert.equal(out[i], clip(Math.round(expected * 0.5)));
    }
  }
  // only n samples are written
  const partial = new Int16Array(N).fill(5);
  mixMinus(acc, null, partial, 80, 2);
  assert.equal(partial[80], 5);
  assert.equal(partial[0], clip(Math.round(acc[0] * 2)));
});

test('mixer: clip, scale, energy and silence', () => {
  assert.equal(clip(40000), 32767);
  assert.equal(clip(-40000), -32768);
  assert.equal(clip(-5), -5);
  const f = frame(() => 20000);
  scale(f, 2);
  assert.ok(f.every((v) => v === 32767));
  const g = frame((i) => (i % 2 ? -1001 : 1001));
  scale(g, 0.5);
  assert.equal(g[0], 501); // Math.round(500.5)
  assert.equal(g[1], -500); // Math.round(-500.5)
  scale(g, 1);
  assert.equal(g[0], 501);
  // RMS: a square wave of ±A is A, a full-scale sine is 32767/√2
  assert.equal(
    frameEnergy(
      frame((i) => (i % 2 ? -1000 : 1000)),
      N,
    ),
    1000,
  );
  const sine = frame((i) => Math.round(32767 * Math.sin((2 * Math.PI * i) / 40)));
  assert.ok(Math.abs(frameEnergy(sine, N) - 32767 / Math.SQRT2) < 1);
  assert.ok(Math.abs(dbfs(frameEnergy(sine, N)) + 3.01) < 0.01);
  assert.equal(frameEnergy(new Int16Array(N), N), 0);
  assert.equal(frameEnergy(sine, 0), 0);
  assert.equal(isSilent(new Int16Array(N), N, 1), true);
  assert.equal(
    isSilent(
      frame((i) => (i % 2 ? -50 : 50)),
      N,
      100,
    ),
    true,
  );
  assert.equal(
    isSilent(
      frame((i) => (i % 2 ? -150 : 150)),
      N,
      100,
    ),
    false,
  );
});
