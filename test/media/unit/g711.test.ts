import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALAW_TO_L16,
  ALAW_TO_ULAW,
  L16_TO_ALAW,
  L16_TO_ULAW,
  PAYLOAD_TYPE,
  SILENCE,
  ULAW_TO_ALAW,
  ULAW_TO_L16,
  alawToUlaw,
  decode,
  decodeAlaw,
  decodeUlaw,
  encode,
  encodeAlaw,
  encodeUlaw,
  transcode,
  ulawToAlaw,
} from '../../../src/media/g711.js';

const ulawEncode = (x: number) => L16_TO_ULAW[x & 0xffff];
const alawEncode = (x: number) => L16_TO_ALAW[x & 0xffff];

test('G.711 decode tables hold the ITU-T reference values', () => {
  // µ-law: 0xFF and 0x7F are ±0, 0x00 and 0x80 the extremes, steps of 1024 in the top segment
  assert.equal(ULAW_TO_L16[0xff], 0);
  assert.equal(ULAW_TO_L16[0x7f], 0);
  assert.equal(ULAW_TO_L16[0x00], -32124);
  assert.equal(ULAW_TO_L16[0x80], 32124);
  assert.equal(ULAW_TO_L16[0x01], -31100);
  assert.equal(ULAW_TO_L16[0xfe], 8);
  assert.equal(ULAW_TO_L16[0x70], -120);
  // A-law: even bits inverted; 0xD5/0x55 are ±8, 0xAA/0x2A the extremes
  assert.equal(ALAW_TO_L16[0xd5], 8);
  assert.equal(ALAW_TO_L16[0x55], -8);
  assert.equal(ALAW_TO_L16[0xaa], 32256);
  assert.equal(ALAW_TO_L16[0x2a], -32256);
  assert.equal(ALAW_TO_L16[0x00], -5504);
  assert.equal(ALAW_TO_L16[0x80], 5504);
  assert.equal(ALAW_TO_L16[0xd4], 24);
  assert.equal(ULAW_TO_L16.length, 256);
  assert.equal(L16_TO_ULAW.length, 65536);
  // symmetric around zero
  for (let c = 0; c < 128; c++) {
    assert.equal(ULAW_TO_L16[c] + ULAW_TO_L16[c | 0x80], 0);
    assert.equal(ALAW_TO_L16[c] + ALAW_TO_L16[c | 0x80], 0);
  }
});

test('G.711 encode of full scale, zero and small values (G.191 one’s complement for negatives)', () => {
  assert.equal(ulawEncode(32767), 0x80);
  assert.equal(ulawEncode(-32767), 0x00);
  assert.equal(ulawEncode(-32768), 0x00);
  assert.equal(ulawEncode(0), 0xff);
  assert.equal(ulawEncode(-1), 0x7f);
  assert.equal(ulawEncode(8), 0xfe);
  assert.equal(ulawEncode(-9), 0x7e);
  assert.equal(alawEncode(32767), 0xaa);
  assert.equal(alawEncode(-32767), 0x2a);
  assert.equal(alawEncode(-32768), 0x2a);
  assert.equal(alawEncode(0), 0xd5);
  assert.equal(alawEncode(-1), 0x55);
  assert.equal(alawEncode(15), 0xd5);
  assert.equal(alawEncode(16), 0xd4);
  assert.equal(SILENCE.PCMU, ulawEncode(0));
  assert.equal(SILENCE.PCMA, alawEncode(0));
  assert.deepEqual(PAYLOAD_TYPE, { PCMU: 0, PCMA: 8 });
});

test('G.711: all 256 codes survive decode then encode (µ-law −0 becomes +0)', () => {
  for (let c = 0; c < 256; c++) {
    assert.equal(alawEncode(ALAW_TO_L16[c]), c, `A-law ${c}`);
    assert.equal(ulawEncode(ULAW_TO_L16[c]), c === 0x7f ? 0xff : c, `µ-law ${c}`);
  }
});

test('G.711: encoding is monotonic and within half a quantisation step', () => {
  let prevU = -Infinity;
  let prevA = -Infinity;
  for (let x = -32768; x < 32768; x++) {
    const u = ULAW_TO_L16[ulawEncode(x)];
    const a = ALAW_TO_L16[alawEncode(x)];
    assert.ok(u >= prevU && a >= prevA, `monotonic at ${x}`);
    prevU = u;
    prevA = a;
    // the step doubles each segment: 1/16 of the magnitude, so the error is at most 1/32 of it
    if (Math.abs(x) <= 32124) assert.ok(Math.abs(u - x) <= Math.max(4, (Math.abs(x) + 132) / 32), `µ-law ${x}`);
    if (Math.abs(x) <= 32256) assert.ok(Math.abs(a - x) <= Math.max(8, Math.abs(x) / 32), `A-law ${x}`);
  }
});

test('G.711 transcoding tables agree with decode-then-encode and stay within one step', () => {
  for (let c = 0; c < 256; c++) {
    assert.equal(ULAW_TO_ALAW[c], alawEncode(ULAW_TO_L16[c]));
    assert.equal(ALAW_TO_ULAW[c], ulawEncode(ALAW_TO_L16[c]));
    const v = ULAW_TO_L16[c];
    assert.ok(Math.abs(ALAW_TO_L16[ULAW_TO_ALAW[c]] - v) <= Math.max(8, Math.abs(v) / 32));
    const w = ALAW_TO_L16[c];
    assert.ok(Math.abs(ULAW_TO_L16[ALAW_TO_ULAW[c]] - w) <= Math.max(4, (Math.abs(w) + 132) / 32));
  }
  assert.equal(ULAW_TO_ALAW[0xff], 0xd5); // silence stays silence
  assert.equal(ALAW_TO_ULAW[0xd5], 0xfe); // +8 is the µ-law code for 8
});

test('G.711 block functions honour n and offsets (encode into an RTP packet at 12)', () => {
  const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const packet = Buffer.alloc(172, 0x33);
  encodeUlaw(pcm, packet, 160, 0, 12);
  assert.equal(packet[11], 0x33);
  for (let i = 0; i < 160; i++) assert.equal(packet[12 + i], ulawEncode(pcm[i]));
  const back = new Int16Array(170);
  decodeUlaw(packet, back, 160, 12, 10);
  assert.equal(back[9], 0);
  for (let i = 0; i < 160; i++) assert.equal(back[10 + i], ULAW_TO_L16[packet[12 + i]]);

  const a = new Uint8Array(160);
  encodeAlaw(pcm, a, 160);
  const a2 = new Uint8Array(160);
  encode('PCMA', pcm, a2, 160);
  assert.deepEqual(a2, a);
  const l = new Int16Array(160);
  decodeAlaw(a, l, 160);
  const l2 = new Int16Array(160);
  decode('PCMA', a, l2, 160);
  assert.deepEqual(l2, l);
  const u = new Uint8Array(160);
  encode('PCMU', pcm, u, 160);
  decode('PCMU', u, l2, 160);
  for (let i = 0; i < 160; i++) assert.ok(Math.abs(l2[i] - pcm[i]) <= 400);

  // payload transcoding, in place and across buffers
  const t = Uint8Array.from(u);
  ulawToAlaw(t, t, 160);
  for (let i = 0; i < 160; i++) assert.equal(t[i], ULAW_TO_ALAW[u[i]]);
  const r = new Uint8Array(160);
  alawToUlaw(t, r, 160);
  for (let i = 0; i < 160; i++) assert.equal(r[i], ALAW_TO_ULAW[t[i]]);
  const x = new Uint8Array(172);
  transcode('PCMU', 'PCMA', u, x, 160, 0, 12);
  assert.deepEqual(x.subarray(12), t);
  transcode('PCMA', 'PCMA', t, x, 160, 0, 0);
  assert.deepEqual(x.subarray(0, 160), t);
});
