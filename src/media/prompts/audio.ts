// Audio decoding for prepared prompts: WAV (any PCM rate/channels, float, µ-law, A-law, EXTENSIBLE, MP3-in-WAV),
// MP3 (mpg123-decoder, WASM), Sun .au, raw µ-law/A-law/L16, all brought to 8 kHz mono L16 by a windowed-sinc
// polyphase resampler written here. Decoding of long files yields to the event loop between chunks.

import { writeFile } from 'node:fs/promises';
import { ALAW_TO_L16, L16_TO_ALAW, L16_TO_ULAW, ULAW_TO_L16 } from '../g711.js';

export const PROMPT_RATE = 8000;

export type AudioFormat =
  | { format: 'wav' }
  | { format: 'mp3' }
  | { format: 'au' }
  | { format: 'ulaw'; rate: number; channels: number }
  | { format: 'alaw'; rate: number; channels: number }
  | { format: 'l16'; rate: number; channels: number; bigEndian: boolean };

/** Raw PCM as found in a container: interleaved, Int16 or Float32 in [-1, 1]. */
export interface Pcm {
  samples: Int16Array | Float32Array;
  rate: number;
  channels: number;
}

/** A decoding failure whose message is meant for the operator (debugger, logs). */
export class AudioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AudioError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sniffing

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = offset; i < offset + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Size of an ID3v2 tag at `offset` (header included), 0 when there is none. */
function id3Size(bytes: Uint8Array, offset = 0): number {
  if (ascii(bytes, offset, 3) !== 'ID3' || bytes.length < offset + 10) return 0;
  const size =
    ((bytes[offset + 6] & 0x7f) << 21) |
    ((bytes[offset + 7] & 0x7f) << 14) |
    ((bytes[offset + 8] & 0x7f) << 7) |
    (bytes[offset + 9] & 0x7f);
  const footer = bytes[offset + 5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** An MPEG audio (layer I/II/III) frame header at `i`: sync, a valid layer, bitrate and sample rate. */
function isMpegFrame(bytes: Uint8Array, i: number): boolean {
  if (i + 4 > bytes.length || bytes[i] !== 0xff || (bytes[i + 1] & 0xe0) !== 0xe0) return false;
  const version = (bytes[i + 1] >> 3) & 3;
  const layer = (bytes[i + 1] >> 1) & 3;
  const bitrate = bytes[i + 2] >> 4;
  const rate = (bytes[i + 2] >> 2) & 3;
  return version !== 1 && layer !== 0 && bitrate !== 0x0f && rate !== 3;
}

/** What magic bytes say about formats we do not decode, for the error message. */
function unsupportedMagic(bytes: Uint8Array): string | undefined {
  const head = ascii(bytes, 0, 16);
  if (head.startsWith('OggS')) return 'audio/ogg';
  if (head.startsWith('fLaC')) return 'audio/flac';
  if (head.startsWith('#!AMR')) return 'audio/amr';
  if (head.startsWith('FORM') && (ascii(bytes, 8, 4) === 'AIFF' || ascii(bytes, 8, 4) === 'AIFC')) return 'audio/aiff';
  if (ascii(bytes, 4, 4) === 'ftyp') return 'audio/mp4';
  if (head.startsWith('RIFF')) return `RIFF ${ascii(bytes, 8, 4).trim() || 'container'}`;
  if (bytes.length >= 2 && bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0) return 'audio/aac';
  const text = head
    .replace(/^\ufeff|^\xef\xbb\xbf/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'text/html';
  if (text.startsWith('<?xml') || text.startsWith('<response')) return 'text/xml';
  if (text.startsWith('{') || text.startsWith('[')) return 'application/json';
  return undefined;
}

function mediaParams(contentType: string): { type: string; params: Map<string, string> } {
  const [type, ...rest] = contentType.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq > 0)
      params.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, ''),
      );
  }
  return { type: type.trim().toLowerCase(), params };
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Decide the format of `bytes`: magic bytes first (RIFF/WAVE, ID3 or an MPEG frame sync, Sun `.snd`), then the
 * Content-Type (or a type derived from a file extension, see `contentTypeForPath`).
 */
export function sniff(bytes: Uint8Array, contentType?: string | null): AudioFormat | { error: string } {
  const riff = ascii(bytes, 0, 4);
  if ((riff === 'RIFF' && ascii(bytes, 8, 4) === 'WAVE') || riff === 'RIFX' || riff === 'RF64')
    return { format: 'wav' };
  if (ascii(bytes, 0, 3) === 'ID3' || isMpegFrame(bytes, 0)) return { format: 'mp3' };
  if (ascii(bytes, 0, 4) === '.snd') return { format: 'au' };
  const magic = unsupportedMagic(bytes);
  if (magic) return { error: `unsupported audio format (${contentType ? mediaParams(contentType).type : magic})` };
  if (contentType) {
    const { type, params } = mediaParams(contentType);
    const rate = positiveInt(params.get('rate'), PROMPT_RATE);
    const channels = positiveInt(params.get('channels'), 1);
    switch (type) {
      case 'audio/wav':
      case 'audio/wave':
      case 'audio/x-wav':
      case 'audio/vnd.wave':
        return { format: 'wav' };
      case 'audio/mpeg':
      case 'audio/mp3':
      case 'audio/mpeg3':
      case 'audio/x-mpeg':
      case 'audio/x-mp3':
        return { format: 'mp3' };
      case 'audio/basic':
      case 'audio/pcmu':
      case 'audio/x-mulaw':
      case 'audio/mulaw':
      case 'audio/x-ulaw':
      case 'audio/ulaw':
        return { format: 'ulaw', rate, channels };
      case 'audio/pcma':
      case 'audio/x-alaw':
      case 'audio/alaw':
        return { format: 'alaw', rate, channels };
      case 'audio/l16':
        return { format: 'l16', rate, channels, bigEndian: true };
      case 'audio/x-sln': // Asterisk .sln: raw little-endian 16-bit
        return { format: 'l16', rate, channels, bigEndian: false };
    }
    return { error: `unsupported audio format (${type || 'no Content-Type'})` };
  }
  return { error: 'unsupported audio format (unknown)' };
}

/** A Content-Type for a local file name, used when its bytes carry no magic (raw `.ul`/`.al`/`.sln`). */
export function contentTypeForPath(path: string): string | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  switch (ext) {
    case 'wav':
    case 'wave':
      return 'audio/wav';
    case 'mp3':
      return 'audio/mpeg';
    case 'au':
    case 'snd':
      return 'audio/basic';
    case 'ul':
    case 'ulaw':
    case 'mu':
    case 'pcmu':
    case 'u8':
      return 'audio/pcmu';
    case 'al':
    case 'alaw':
    case 'pcma':
    case 'a8':
      return 'audio/pcma';
    case 'sln':
    case 'slin':
      return 'audio/x-sln';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// WAV

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_MPEGLAYER3 = 0x0055;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0040: 'G.721 ADPCM',
  0x0050: 'MPEG',
  0x0064: 'G.726 ADPCM',
  0x0065: 'G.722 ADPCM',
  0x00ff: 'AAC',
  0x1610: 'AAC',
  0x2000: 'AC-3',
};

interface WavFormat {
  tag: number;
  channels: number;
  rate: number;
  blockAlign: number;
  bits: number;
}

/**
 * Parse a RIFF/WAVE file into interleaved PCM at its own rate. Unknown chunks are skipped (odd sizes padded); a
 * data chunk whose size runs past the end of the file (streamed WAVs such as `espeak-ng --stdout`, or a truncated
 * download) is read up to the last whole frame.
 */
export function parseWav(bytes: Uint8Array): Pcm | { mp3: Uint8Array; rate: number; channels: number } {
  if (bytes.length < 12 || ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 4) !== 'WAVE') {
    if (ascii(bytes, 0, 4) === 'RIFX') throw new AudioError('unsupported WAV: big-endian RIFX');
    if (ascii(bytes, 0, 4) === 'RF64') throw new AudioError('unsupported WAV: RF64');
    throw new AudioError('invalid WAV: no RIFF/WAVE header');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: WavFormat | undefined;
  let data: Uint8Array | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos, 4);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new AudioError('invalid WAV: truncated fmt chunk');
      let tag = view.getUint16(body, true);
      const bits = view.getUint16(body + 14, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40 || body + 40 > bytes.length)
          throw new AudioError('invalid WAV: truncated WAVE_FORMAT_EXTENSIBLE');
        tag = view.getUint16(body + 24, true); // first two bytes of the SubFormat GUID
      }
      fmt = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits,
      };
    } else if (id === 'data') {
      if (!fmt) throw new AudioError('invalid WAV: data chunk before fmt chunk');
      data = bytes.subarray(body, Math.min(bytes.length, body + size));
      break;
    }
    pos = body + size + (size & 1);
  }
  if (!fmt) throw new AudioError('invalid WAV: no fmt chunk (truncated file?)');
  if (!data) throw new AudioError('invalid WAV: no data chunk (truncated file?)');
  const { tag, channels, rate, bits } = fmt;
  if (channels < 1 || channels > 64) throw new AudioError(`invalid WAV: ${channels} channels`);
  if (rate < 1000 || rate > 768000) throw new AudioError(`unsupported WAV sample rate ${rate} Hz`);
  if (tag === WAVE_FORMAT_MPEGLAYER3) return { mp3: data, rate, channels };

  const frameOf = (bytesPerSample: number) => {
    const frame = bytesPerSample * channels;
    const n = Math.floor(data!.length / frame) * channels;
    if (n === 0) throw new AudioError('invalid WAV: no audio samples');
    return n;
  };
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (tag === WAVE_FORMAT_PCM) {
    const container = fmt.blockAlign > 0 && fmt.blockAlign % channels === 0 ? fmt.blockAlign / channels : bits / 8;
    const bytesPer = Math.max(container, Math.ceil(bits / 8));
    if (bytesPer === 2) {
      const n = frameOf(2);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return { samples: out, rate, channels };
    }
    if (bytesPer === 1) {
      const n = frameOf(1);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = (data[i] - 128) << 8;
      return { samples: out, rate, channels };
    }
    if (bytesPer === 3) {
      const n = frameOf(3);
      const out = new Float32Array(n);
      for (let i = 0, o = 0; i < n; i++, o += 3) {
        const v = ((data[o] | (data[o + 1] << 8) | (data[o + 2] << 16)) << 8) >> 8;
        out[i] = v / 8388608;
      }
      return { samples: out, rate, channels };
    }
    if (bytesPer === 4) {
      const n = frameOf(4);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true) / 2147483648;
      return { samples: out, rate, channels };
    }
    throw new AudioError(`unsupported WAV: ${bits}-bit PCM`);
  }
  if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) {
      const n = frameOf(4);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return { samples: out, rate, channels };
    }
    if (bits === 64) {
      const n = frameOf(8);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return { samples: out, rate, channels };
    }
    throw new AudioError(`unsupported WAV: ${bits}-bit float`);
  }
  if (tag === WAVE_FORMAT_MULAW || tag === WAVE_FORMAT_ALAW) {
    if (bits !== 8)
      throw new AudioError(`unsupported WAV: ${bits}-bit ${tag === WAVE_FORMAT_MULAW ? 'µ-law' : 'A-law'}`);
    const n = frameOf(1);
    const table = tag === WAVE_FORMAT_MULAW ? ULAW_TO_L16 : ALAW_TO_L16;
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = table[data[i]];
    return { samples: out, rate, channels };
  }
  const name = FORMAT_NAMES[tag] ? `${FORMAT_NAMES[tag]} ` : '';
  throw new AudioError(
    `unsupported WAV encoding ${name}(format 0x${tag.toString(16).padStart(4, '0')}); use PCM, µ-law, A-law or MP3`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Sun/NeXT .au

function parseAu(bytes: Uint8Array): Pcm {
  if (bytes.length < 24) throw new AudioError('invalid AU: truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = view.getUint32(4, false);
  const size = view.getUint32(8, false);
  const encoding = view.getUint32(12, false);
  const rate = view.getUint32(16, false);
  const channels = view.getUint32(20, false);
  if (offset < 24 || offset > bytes.length) throw new AudioError('invalid AU: bad data offset');
  if (channels < 1 || channels > 64 || rate < 1000 || rate > 768000) throw new AudioError('invalid AU header');
  const end = size === 0xffffffff ? bytes.length : Math.min(bytes.length, offset + size);
  const data = bytes.subarray(offset, end);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const whole = (bytesPer: number) => Math.floor(data.length / (bytesPer * channels)) * channels;
  let out: Int16Array | Float32Array;
  switch (encoding) {
    case 1:
    case 27: {
      const table = encoding === 1 ? ULAW_TO_L16 : ALAW_TO_L16;
      out = new Int16Array(whole(1));
      for (let i = 0; i < out.length; i++) out[i] = table[data[i]];
      break;
    }
    case 2:
      out = new Int16Array(whole(1));
      for (let i = 0; i < out.length; i++) out[i] = ((data[i] << 24) >> 24) << 8;
      break;
    case 3:
      out = new Int16Array(whole(2));
      for (let i = 0; i < out.length; i++) out[i] = dv.getInt16(i * 2, false);
      break;
    case 6:
      out = new Float32Array(whole(4));
      for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, false);
      break;
    default:
      throw new AudioError(`unsupported AU encoding ${encoding}`);
  }
  if (out.length === 0) throw new AudioError('invalid AU: no audio samples');
  return { samples: out, rate, channels };
}

// ---------------------------------------------------------------------------------------------------------------
// MP3

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Decode MP3 (or MPEG layer I/II) bytes with mpg123-decoder, loaded on first use, in chunks that yield. */
export async function decodeMp3(bytes: Uint8Array): Promise<Pcm> {
  let mod: typeof import('mpg123-decoder');
  try {
    mod = await import('mpg123-decoder');
  } catch (err) {
    throw new AudioError(`cannot decode MP3: mpg123-decoder is not installed (${(err as Error).message})`);
  }
  const decoder = new mod.MPEGDecoder();
  try {
    await decoder.ready;
    const start = id3Size(bytes);
    const chunks: Float32Array[][] = [];
    let total = 0;
    let rate = 0;
    let firstError: string | undefined;
    const CHUNK = 64 * 1024;
    for (let i = Math.min(start, bytes.length); i < bytes.length; i += CHUNK) {
      const r = decoder.decode(bytes.subarray(i, Math.min(bytes.length, i + CHUNK)));
      if (r.errors.length && !firstError) firstError = r.errors[0].message;
      if (r.samplesDecoded > 0) {
        if (!rate) rate = r.sampleRate;
        chunks.push(r.channelData.map((c) => c.subarray(0, r.samplesDecoded)));
        total += r.samplesDecoded;
      }
      if (i + CHUNK < bytes.length) await yieldToLoop();
    }
    if (total === 0 || !rate) throw new AudioError(`cannot decode MP3: ${firstError ?? 'no MPEG audio frames found'}`);
    const channels = Math.max(1, ...chunks.map((c) => c.length));
    const out = new Float32Array(total * channels);
    let frame = 0;
    for (const chunk of chunks) {
      const n = chunk[0].length;
      for (let c = 0; c < channels; c++) {
        const src = chunk[Math.min(c, chunk.length - 1)];
        for (let i = 0; i < n; i++) out[(frame + i) * channels + c] = src[i];
      }
      frame += n;
    }
    return { samples: out, rate, channels };
  } finally {
    decoder.free();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Resampling

const ZERO_CROSSINGS = 24; // sinc lobes on each side of the centre, at the cutoff frequency
const ROLLOFF = 0.94; // cutoff as a fraction of the lower Nyquist frequency
const KAISER_BETA = 8;
const MAX_EXACT_PHASES = 4096;
const APPROX_PHASES = 1024;

interface Filter {
  /** Phases × taps, each phase normalised to unity DC gain. */
  table: Float32Array;
  phases: number;
  taps: number;
  half: number;
  /** Exact rational ratio out/in = L/M (when phases === L). */
  exact: boolean;
  L: number;
  M: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

const filters = new Map<string, Filter>();

function filterFor(inRate: number, outRate: number): Filter {
  const key = `${inRate}:${outRate}`;
  let f = filters.get(key);
  if (f) return f;
  const g = gcd(inRate, outRate);
  const L = outRate / g;
  const M = inRate / g;
  const exact = L <= MAX_EXACT_PHASES;
  const phases = exact ? L : APPROX_PHASES;
  const cutoff = Math.min(1, outRate / inRate) * ROLLOFF; // relative to the input Nyquist frequency
  const half = Math.ceil(ZERO_CROSSINGS / cutoff);
  const taps = 2 * half;
  const table = new Float32Array(phases * taps);
  const i0beta = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const d = frac + half - 1 - j; // output time minus input sample time, in input samples
      const x = Math.PI * cutoff * d;
      const sinc = x === 0 ? 1 : Math.sin(x) / x;
      const u = d / half;
      const w = u * u >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0beta;
      const h = cutoff * sinc * w;
      table[p * taps + j] = h;
      sum += h;
    }
    for (let j = 0; j < taps; j++) table[p * taps + j] /= sum;
  }
  f = { table, phases, taps, half, exact, L, M };
  if (filters.size > 32) filters.delete(filters.keys().next().value!);
  filters.set(key, f);
  return f;
}

/** Number of output samples for `inLength` input samples. */
function outputLength(inLength: number, inRate: number, outRate: number): number {
  return Math.ceil((inLength * outRate) / inRate);
}

/** Resample output samples [n0, n1) of mono `input` into `out`. */
function resampleRange(
  input: Float32Array,
  f: Filter,
  inRate: number,
  outRate: number,
  out: Float32Array,
  n0: number,
  n1: number,
): void {
  const { table, taps, half, phases, exact, L, M } = f;
  const inLen = input.length;
  const step = inRate / outRate;
  for (let n = n0; n < n1; n++) {
    let ipos: number;
    let p: number;
    if (exact) {
      const num = n * M;
      ipos = Math.floor(num / L);
      p = num - ipos * L;
    } else {
      const t = n * step;
      ipos = Math.floor(t);
      p = Math.round((t - ipos) * phases);
      if (p === phases) {
        p = 0;
        ipos++;
      }
    }
    const base = ipos - half + 1;
    const off = p * taps;
    const jStart = base < 0 ? -base : 0;
    const jEnd = base + taps > inLen ? inLen - base : taps;
    let acc = 0;
    for (let j = jStart; j < jEnd; j++) acc += input[base + j] * table[off + j];
    out[n] = acc;
  }
}

/** Average interleaved channels into one mono Float32Array in [-1, 1]. */
export function downmix(samples: Float32Array | Int16Array, channels: number): Float32Array {
  const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
  const frames = Math.floor(samples.length / channels);
  const out = new Float32Array(frames);
  if (channels === 1) {
    for (let i = 0; i < frames; i++) out[i] = samples[i] * scale;
    return out;
  }
  const k = scale / channels;
  for (let i = 0, s = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) acc += samples[s++];
    out[i] = acc * k;
  }
  return out;
}

function toInt16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Windowed-sinc (Kaiser) polyphase resampling of mono float audio; the low-pass follows the lower rate. */
export function resampleMono(input: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return input;
  const f = filterFor(inRate, outRate);
  const out = new Float32Array(outputLength(input.length, inRate, outRate));
  resampleRange(input, f, inRate, outRate, out, 0, out.length);
  return out;
}

/** Interleaved audio at any rate and channel count to 8 kHz mono L16 (channels averaged, then low-passed). */
export function resampleTo8k(samples: Float32Array | Int16Array, rate: number, channels = 1): Int16Array {
  if (rate === PROMPT_RATE && channels === 1 && samples instanceof Int16Array) return samples;
  return toInt16(resampleMono(downmix(samples, channels), rate, PROMPT_RATE));
}

/** `resampleTo8k` in slices of a few seconds, yielding to the event loop between them. */
export async function resampleTo8kAsync(
  samples: Float32Array | Int16Array,
  rate: number,
  channels = 1,
): Promise<Int16Array> {
  if (rate === PROMPT_RATE) return resampleTo8k(samples, rate, channels);
  const mono = downmix(samples, channels);
  const f = filterFor(rate, PROMPT_RATE);
  const out = new Float32Array(outputLength(mono.length, rate, PROMPT_RATE));
  const SLICE = PROMPT_RATE * 5;
  for (let n = 0; n < out.length; n += SLICE) {
    resampleRange(mono, f, rate, PROMPT_RATE, out, n, Math.min(out.length, n + SLICE));
    if (n + SLICE < out.length) await yieldToLoop();
  }
  return toInt16(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Whole-file decoding

/** Decode any supported file or download to 8 kHz mono L16. Throws `AudioError` with an operator-facing message. */
export async function decodeAudio(bytes: Uint8Array, contentType?: string | null): Promise<Int16Array> {
  if (bytes.length === 0) throw new AudioError('empty audio file');
  const kind = sniff(bytes, contentType);
  if ('error' in kind) throw new AudioError(kind.error);
  let pcm: Pcm;
  switch (kind.format) {
    case 'wav': {
      const wav = parseWav(bytes);
      pcm = 'mp3' in wav ? await decodeMp3(wav.mp3) : wav;
      break;
    }
    case 'mp3':
      pcm = await decodeMp3(bytes);
      break;
    case 'au':
      pcm = parseAu(bytes);
      break;
    case 'ulaw':
    case 'alaw': {
      const table = kind.format === 'ulaw' ? ULAW_TO_L16 : ALAW_TO_L16;
      const out = new Int16Array(bytes.length - (bytes.length % kind.channels));
      for (let i = 0; i < out.length; i++) out[i] = table[bytes[i]];
      pcm = { samples: out, rate: kind.rate, channels: kind.channels };
      break;
    }
    case 'l16': {
      const frame = 2 * kind.channels;
      const out = new Int16Array(Math.floor(bytes.length / frame) * kind.channels);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < out.length; i++) out[i] = dv.getInt16(i * 2, !kind.bigEndian);
      pcm = { samples: out, rate: kind.rate, channels: kind.channels };
      break;
    }
  }
  if (pcm.samples.length < pcm.channels) throw new AudioError('no audio samples');
  return resampleTo8kAsync(pcm.samples, pcm.rate, pcm.channels);
}

// ---------------------------------------------------------------------------------------------------------------
// G.711 and WAV writing

/** 8 kHz L16 to G.711 µ-law bytes (the table from ../g711.ts). */
export function toUlaw(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = L16_TO_ULAW[samples[i] & 0xffff];
  return out;
}

export function fromUlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_TO_L16[bytes[i]];
  return out;
}

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'ulaw' | 'alaw';

/**
 * Build a WAV file. Int16Array input is taken as 16-bit, Float32Array as [-1, 1]; `encoding` defaults to pcm16
 * (float32 for Float32Array). `extensible` writes a WAVE_FORMAT_EXTENSIBLE header; `extraChunks` adds a LIST
 * chunk before `data` (for tests of chunk skipping).
 */
export function encodeWav(
  samples: Int16Array | Float32Array,
  rate: number,
  channels = 1,
  opts: { encoding?: WavEncoding; extensible?: boolean; extraChunks?: boolean } = {},
): Buffer {
  const encoding = opts.encoding ?? (samples instanceof Float32Array ? 'float32' : 'pcm16');
  const norm = (i: number) => (samples instanceof Int16Array ? samples[i] / 32768 : samples[i]);
  const clamp16 = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)));
  const bytesPer = { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4, ulaw: 1, alaw: 1 }[encoding];
  const tag =
    encoding === 'float32'
      ? WAVE_FORMAT_IEEE_FLOAT
      : encoding === 'ulaw'
        ? WAVE_FORMAT_MULAW
        : encoding === 'alaw'
          ? WAVE_FORMAT_ALAW
          : WAVE_FORMAT_PCM;
  const dataLen = samples.length * bytesPer;
  const fmtLen = opts.extensible ? 40 : tag === WAVE_FORMAT_PCM ? 16 : 18;
  const list = opts.extraChunks ? Buffer.from('LIST\x05\x00\x00\x00INFOx\x00', 'latin1') : Buffer.alloc(0); // odd size + pad
  const buf = Buffer.alloc(12 + 8 + fmtLen + list.length + 8 + dataLen + (dataLen & 1));
  let o = 0;
  buf.write('RIFF', o);
  buf.writeUInt32LE(buf.length - 8, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(fmtLen, 16);
  buf.writeUInt16LE(opts.extensible ? WAVE_FORMAT_EXTENSIBLE : tag, 20);
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * channels * bytesPer, 28);
  buf.writeUInt16LE(channels * bytesPer, 32);
  buf.writeUInt16LE(bytesPer * 8, 34);
  o = 36;
  if (fmtLen >= 18) buf.writeUInt16LE(fmtLen - 18, o);
  if (opts.extensible) {
    buf.writeUInt16LE(bytesPer * 8, 38); // valid bits
    buf.writeUInt32LE(channels === 2 ? 3 : channels === 1 ? 4 : 0, 40); // channel mask
    buf.writeUInt16LE(tag, 44); // SubFormat GUID xxxxxxxx-0000-0010-8000-00aa00389b71
    Buffer.from([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]).copy(buf, 46);
  }
  o = 20 + fmtLen;
  list.copy(buf, o);
  o += list.length;
  buf.write('data', o);
  buf.writeUInt32LE(dataLen, o + 4);
  o += 8;
  for (let i = 0; i < samples.length; i++) {
    const v = norm(i);
    switch (encoding) {
      case 'pcm8':
        buf[o++] = Math.max(0, Math.min(255, Math.round(v * 128) + 128));
        break;
      case 'pcm16':
        buf.writeInt16LE(clamp16(v), o);
        o += 2;
        break;
      case 'pcm24':
        buf.writeIntLE(Math.max(-8388608, Math.min(8388607, Math.round(v * 8388608))), o, 3);
        o += 3;
        break;
      case 'pcm32':
        buf.writeInt32LE(Math.max(-2147483648, Math.min(2147483647, Math.round(v * 2147483648))), o);
        o += 4;
        break;
      case 'float32':
        buf.writeFloatLE(v, o);
        o += 4;
        break;
      case 'ulaw':
        buf[o++] = L16_TO_ULAW[clamp16(v) & 0xffff];
        break;
      case 'alaw':
        buf[o++] = L16_TO_ALAW[clamp16(v) & 0xffff];
        break;
    }
  }
  return buf;
}

/** Write a WAV file (see `encodeWav`). */
export async function writeWav(
  path: string,
  samples: Int16Array | Float32Array,
  rate: number,
  channels = 1,
  opts: { encoding?: WavEncoding; extensible?: boolean; extraChunks?: boolean } = {},
): Promise<void> {
  await writeFile(path, encodeWav(samples, rate, channels, opts));
}
