// Decoding to 8 kHz mono L16: WAV in every PCM flavour, µ-law/A-law, EXTENSIBLE, MP3, raw; the resampler keeps
// frequency and level and rejects aliases; clear errors for garbage and unsupported encodings.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import {
  decodeAudio,
  decodeMp3,
  encodeWav,
  fromUlaw,
  parseWav,
  resampleMono,
  resampleTo8k,
  sniff,
  toUlaw,
  writeWav,
  type WavEncoding,
} from '../../../src/media/prompts/audio.js';
import { L16_TO_ULAW } from '../../../src/media/g711.js';
import { hasCommand, rms, sine, toInt16, toneShare, zeroCrossingFreq } from './signal.js';

const tmp = mkdtempSync(join(tmpdir(), 'pivot-audio-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const FULL_RMS_05 = (0.5 / Math.SQRT2) * 32768; // RMS of a 0.5 amplitude sine, in L16 units

/** 1 kHz at amplitude 0.5 survives: length, frequency and level (ignoring 10 ms at each edge). */
function assertSine1k(
  out: Int16Array,
  seconds: number,
  label: string,
  levelTolerance = 0.02,
  expectedRms = FULL_RMS_05,
) {
  assert.ok(Math.abs(out.length - 8000 * seconds) <= 1, `${label}: ${out.length} samples`);
  const from = 80;
  const to = out.length - 80;
  const f = zeroCrossingFreq(out, 8000, from, to);
  assert.ok(Math.abs(f - 1000) < 5, `${label}: frequency ${f}`);
  const level = rms(out, from, to);
  assert.ok(Math.abs(level / expectedRms - 1) < levelTolerance, `${label}: rms ${level} vs ${expectedRms}`);
  assert.ok(toneShare(out, 1000, 8000, from, to) > 0.99, `${label}: energy at 1 kHz`);
}

test('16-bit mono 8 kHz WAV decodes sample for sample', async () => {
  const src = toInt16(sine(440, 8000, 0.5));
  const out = await decodeAudio(encodeWav(src, 8000, 1));
  assert.deepEqual(out, src);
});

for (const encoding of ['pcm8', 'pcm16', 'pcm24', 'pcm32', 'float32'] as WavEncoding[]) {
  test(`${encoding} stereo 44.1 kHz WAV → 8 kHz mono keeps a 1 kHz sine`, async () => {
    const wav = encodeWav(sine(1000, 44100, 1, 0.5, 2), 44100, 2, { encoding });
    const out = await decodeAudio(wav);
    assertSine1k(out, 1, encoding, encoding === 'pcm8' ? 0.05 : 0.01);
  });
}

test('WAVE_FORMAT_EXTENSIBLE and unknown chunks (odd size, padded) are handled', async () => {
  for (const encoding of ['pcm16', 'pcm24', 'float32'] as WavEncoding[]) {
    const wav = encodeWav(sine(1000, 48000, 0.5, 0.5, 2), 48000, 2, { encoding, extensible: true, extraChunks: true });
    assert.equal(wav.readUInt16LE(20), 0xfffe);
    assertSine1k(await decodeAudio(wav), 0.5, `extensible ${encoding}`, 0.01);
  }
});

test('µ-law and A-law WAVs decode through the G.711 tables', async () => {
  const src = toInt16(sine(1000, 8000, 0.5));
  for (const encoding of ['ulaw', 'alaw'] as WavEncoding[]) {
    const wav = encodeWav(src, 8000, 1, { encoding });
    assert.equal(wav.readUInt16LE(20), encoding === 'ulaw' ? 7 : 6);
    const out = await decodeAudio(wav);
    assert.equal(out.length, src.length);
    let maxErr = 0;
    for (let i = 0; i < src.length; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - src[i]));
    assert.ok(maxErr < 600, `${encoding}: max error ${maxErr}`); // G.711 steps are ≤ 1024 near full scale
    assertSine1k(out, 0.5, encoding, 0.01);
  }
});

test('channels are averaged: a sine on the left only arrives at half level', async () => {
  const n = 16000;
  const stereo = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) stereo[i * 2] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 16000);
  const out = await decodeAudio(encodeWav(stereo, 16000, 2, { encoding: 'pcm16' }));
  assertSine1k(out, 1, 'left only', 0.02, FULL_RMS_05 / 2);
});

test('resampler: every common rate (and an odd one) keeps 1 kHz; aliases above 4 kHz are removed', () => {
  for (const rate of [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 96000, 44056, 6000]) {
    const out = resampleTo8k(sine(1000, rate, 1), rate, 1);
    assertSine1k(out, 1, `${rate} Hz`, 0.01);
  }
  // 5 kHz at 44.1 kHz would fold to 3 kHz: it must be at least 60 dB down.
  const alias = resampleTo8k(sine(5000, 44100, 1), 44100, 1);
  assert.ok(rms(alias, 100, alias.length - 100) < FULL_RMS_05 / 1000, `alias rms ${rms(alias)}`);
  // The telephone band is flat: 3.3 kHz within 0.5 dB.
  const edge = resampleTo8k(sine(3300, 48000, 1), 48000, 1);
  assert.ok(Math.abs(20 * Math.log10(rms(edge, 100, edge.length - 100) / FULL_RMS_05)) < 0.5);
  // Upsampling (ASR feeds pocketsphinx 16 kHz).
  const up = resampleMono(sine(1000, 8000, 1), 8000, 16000);
  assert.equal(up.length, 16000);
  assert.ok(Math.abs(zeroCrossingFreq(up, 16000, 100, 15900) - 1000) < 5);
  assert.ok(Math.abs(rms(up, 100, 15900) / (0.5 / Math.SQRT2) - 1) < 0.01);
});

test('a minute of 44.1 kHz stereo resamples in under 1.5 s', () => {
  const t = performance.now();
  const out = resampleTo8k(sine(440, 44100, 60, 0.3, 2), 44100, 2);
  const ms = performance.now() - t;
  assert.equal(out.length, 480000);
  assert.ok(ms < 1500, `${ms} ms`);
});

test('sniff: magic bytes first, Content-Type second', () => {
  const wav = encodeWav(new Int16Array(10), 8000, 1);
  assert.deepEqual(sniff(wav, 'audio/mpeg'), { format: 'wav' });
  assert.deepEqual(sniff(Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'), 'text/plain'), { format: 'mp3' });
  assert.deepEqual(sniff(Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0]), undefined), { format: 'mp3' });
  assert.deepEqual(sniff(Buffer.from([1, 2, 3, 4]), 'audio/x-wav'), { format: 'wav' });
  assert.deepEqual(sniff(Buffer.from([1, 2, 3, 4]), 'audio/basic'), { format: 'ulaw', rate: 8000, channels: 1 });
  assert.deepEqual(sniff(Buffer.from([1, 2]), 'audio/L16;rate=16000;channels=2'), {
    format: 'l16',
    rate: 16000,
    channels: 2,
    bigEndian: true,
  });
  assert.deepEqual(sniff(Buffer.from('<!DOCTYPE html><html>'), 'text/html; charset=utf-8'), {
    error: 'unsupported audio format (text/html)',
  });
  assert.deepEqual(sniff(Buffer.from('<html><body>404</body></html>')), {
    error: 'unsupported audio format (text/html)',
  });
  assert.deepEqual(sniff(Buffer.from('OggS\x00\x02'), undefined), { error: 'unsupported audio format (audio/ogg)' });
  assert.deepEqual(sniff(Buffer.from([1, 2, 3]), 'application/octet-stream'), {
    error: 'unsupported audio format (application/octet-stream)',
  });
  assert.deepEqual(sniff(Buffer.from([1, 2, 3])), { error: 'unsupported audio format (unknown)' });
});

test('truncated, garbage and unsupported files give clear errors', async () => {
  const wav = encodeWav(toInt16(sine(440, 8000, 0.1)), 8000, 1);
  await assert.rejects(decodeAudio(wav.subarray(0, 30)), /invalid WAV: truncated fmt chunk/);
  await assert.rejects(decodeAudio(wav.subarray(0, 12)), /invalid WAV: no fmt chunk/);
  await assert.rejects(decodeAudio(wav.subarray(0, 40)), /invalid WAV: no data chunk/);
  await assert.rejects(decodeAudio(wav.subarray(0, 44)), /invalid WAV: no audio samples/);
  await assert.rejects(decodeAudio(Buffer.from('this is not audio at all')), /unsupported audio format \(unknown\)/);
  await assert.rejects(decodeAudio(Buffer.alloc(0)), /empty audio file/);
  const adpcm = Buffer.from(wav);
  adpcm.writeUInt16LE(0x11, 20);
  await assert.rejects(decodeAudio(adpcm), /unsupported WAV encoding IMA ADPCM \(format 0x0011\)/);
  // A data chunk cut short (a streamed or truncated WAV) decodes what is there.
  const cut = await decodeAudio(wav.subarray(0, 44 + 400));
  assert.equal(cut.length, 200);
  // A streamed WAV (sizes 0x7ffff000, as `espeak-ng --stdout` writes) reads to the end of the bytes.
  const streamed = Buffer.from(wav);
  streamed.writeUInt32LE(0x7ffff000, 4);
  streamed.writeUInt32LE(0x7ffff000, 40);
  assert.equal((await decodeAudio(streamed)).length, 800);
  await assert.rejects(decodeMp3(Buffer.from('definitely not an mp3 file, just text')), /cannot decode MP3: /);
});

test('raw µ-law, A-law and big-endian L16 by Content-Type; toUlaw matches the shared G.711 table', async () => {
  const src = toInt16(sine(1000, 8000, 0.25));
  const ul = toUlaw(src);
  for (let i = 0; i < src.length; i++) assert.equal(ul[i], L16_TO_ULAW[src[i] & 0xffff]);
  assert.deepEqual(await decodeAudio(ul, 'audio/pcmu'), fromUlaw(ul));
  const be = Buffer.alloc(src.length * 2);
  src.forEach((v, i) => be.writeInt16BE(v, i * 2));
  assert.deepEqual(await decodeAudio(be, 'audio/L16;rate=8000'), src);
  assert.equal(toUlaw(new Int16Array([0]))[0], 0xff);
});

test('writeWav writes a file parseWav reads back', async () => {
  const path = join(tmp, 'w.wav');
  const src = toInt16(sine(1000, 16000, 0.1, 0.5, 2));
  await writeWav(path, src, 16000, 2);
  const pcm = parseWav(readFileSync(path));
  assert.ok(!('mp3' in pcm));
  assert.equal(pcm.rate, 16000);
  assert.equal(pcm.channels, 2);
  assert.deepEqual(pcm.samples, src);
});

test(
  'sox-written WAVs (24-bit, float, 6 channels extensible, 8-bit) decode',
  { skip: !hasCommand('sox') },
  async () => {
    const cases: [string, string[]][] = [
      ['s24.wav', ['-r', '44100', '-c', '2', '-b', '24']],
      ['f32.wav', ['-r', '22050', '-c', '1', '-e', 'floating-point', '-b', '32']],
      ['six.wav', ['-r', '48000', '-c', '6', '-b', '16']],
      ['u8.wav', ['-r', '11025', '-c', '1', '-b', '8']],
      ['ulaw.wav', ['-r', '8000', '-c', '1', '-e', 'mu-law']],
    ];
    for (const [name, args] of cases) {
      const path = join(tmp, name);
      execFileSync('sox', ['-n', ...args, path, 'synth', '1', 'sine', '1000', 'vol', '0.5'], { stdio: 'ignore' });
      const out = await decodeAudio(readFileSync(path));
      assertSine1k(out, 1, `sox ${name}`, 0.05);
    }
  },
);

const mp3Encoder = hasCommand('lame') ? 'lame' : hasCommand('ffmpeg') ? 'ffmpeg' : undefined;

test(
  'MP3 (44.1 kHz stereo, with an ID3v2 tag) decodes to 8 kHz',
  { skip: !mp3Encoder && 'no MP3 encoder (lame/ffmpeg)' },
  async () => {
    const wavPath = join(tmp, 'src.wav');
    const mp3Path = join(tmp, 'src.mp3');
    await writeWav(wavPath, toInt16(sine(1000, 44100, 2, 0.5, 2)), 44100, 2);
    if (mp3Encoder === 'lame') {
      execFileSync('lame', ['--quiet', '-b', '128', '--add-id3v2', '--tt', 'Pivot test', wavPath, mp3Path]);
    } else {
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', wavPath, '-b:a', '128k', mp3Path]);
    }
    const bytes = readFileSync(mp3Path);
    assert.deepEqual(sniff(bytes, 'application/octet-stream'), { format: 'mp3' });
    const out = await decodeAudio(bytes);
    // Gapless decoding trims encoder delay and padding: the length is within a frame of 2 s.
    assert.ok(Math.abs(out.length - 16000) < 400, `${out.length} samples`);
    const from = 400;
    const to = out.length - 400;
    assert.ok(Math.abs(zeroCrossingFreq(out, 8000, from, to) - 1000) < 5);
    assert.ok(Math.abs(rms(out, from, to) / FULL_RMS_05 - 1) < 0.05, `rms ${rms(out, from, to)}`);
    // Truncated MP3: what is there still decodes; a body with no frames does not.
    assert.ok((await decodeAudio(bytes.subarray(0, bytes.length >> 1))).length > 4000);
  },
);
