// Records 20 ms frames to a WAV file (8 kHz 16-bit, mono or stereo) inside a media worker: silence detection,
// maximum length, leading/trailing silence trim. Samples are buffered a second at a time and written
// asynchronously from a small pool of buffers, so neither opening the file nor writing it ever holds up a tick
// (a burst of new recordings must not stall the calls already running), and nothing is allocated per frame.

import { promises as fsp } from 'node:fs';
import { FRAME_SAMPLES } from './frame-ring.js';
import type { RecordSpec } from './protocol.js';

/** RMS below this is silence (about −44 dBFS; Kazoo/FreeSWITCH use an energy threshold of 200). */
export const SILENCE_RMS = 200;
/** The beep before a recording lasts 500 ms: frames during it are not recorded. */
const BEEP_TICKS = 25;
const HEADER = 44;
/** Write to disk every second (50 frames). */
const FLUSH_FRAMES = 50;

export type RecordEnd = 'silence' | 'terminator' | 'max_length' | 'stopped' | 'error';

function rms(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < FRAME_SAMPLES; i++) sum += frame[i] * frame[i];
  return Math.sqrt(sum / FRAME_SAMPLES);
}

export class Recorder {
  readonly terminators: string;
  /** Whether the session must decode what it sends (both legs recorded). */
  readonly needsTx: boolean;
  private readonly file: Promise<fsp.FileHandle>;
  private readonly channels: 1 | 2;
  private buffer: Int16Array;
  private buffered = 0;
  /** Where the next write goes (after the header). */
  private position = HEADER;
  private writes: Promise<unknown> = Promise.resolve();
  /** Buffers whose write finished, ready for reuse. */
  private readonly spare: Int16Array[] = [];
  /** Samples per channel written (or buffered). */
  private samples = 0;
  /** Samples per channel up to the end of the last non-silent frame (trailing trim). */
  private lastVoice = 0;
  private heard = false;
  private silentMs = 0;
  private ticks = 0;
  private skip: number;
  /** Frames until the next write; the first is random so recordings started together don't all write at once. */
  private untilFlush = 1 + Math.floor(Math.random() * FLUSH_FRAMES);

  constructor(private readonly spec: RecordSpec) {
    this.terminators = spec.terminators;
    this.needsTx = spec.legs === 'both';
    this.channels = spec.channels;
    this.skip = spec.beep ? BEEP_TICKS : 0;
    this.buffer = new Int16Array(8000 * this.channels);
    this.file = fsp.open(spec.file, 'w');
    // Keep an open failure for finish() instead of an unhandled rejection.
    this.file.catch(() => undefined);
  }

  /** One tick: what the caller said and what we sent. Returns why the recording must end, if it must. */
  push(rx: Int16Array, tx: Int16Array): RecordEnd | undefined {
    if (this.skip > 0) {
      this.skip--;
      return undefined;
    }
    this.ticks++;
    const voice = rms(rx) >= SILENCE_RMS || (this.needsTx && rms(tx) >= SILENCE_RMS);
    if (voice) {
      this.heard = true;
      this.silentMs = 0;
    } else {
      this.silentMs += 20;
    }
    // Leading silence is not written at all when trimming.
    if (this.heard || !this.spec.trimSilence) this.append(rx, tx);
    if (voice) this.lastVoice = this.samples;
    const limit = this.heard ? this.spec.silenceMs : (this.spec.leadingSilenceMs ?? this.spec.silenceMs);
    if (limit > 0 && this.silentMs >= limit) return 'silence';
    if (this.ticks * 20 >= this.spec.maxMs) return 'max_length';
    return undefined;
  }

  private append(rx: Int16Array, tx: Int16Array): void {
    const b = this.buffer;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      if (this.channels === 2) {
        b[this.buffered++] = rx[i];
        b[this.buffered++] = this.needsTx ? tx[i] : 0;
      } else {
        const v = this.needsTx ? rx[i] + tx[i] : rx[i];
        b[this.buffered++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    this.samples += FRAME_SAMPLES;
    if (this.buffered === b.length || --this.untilFlush === 0) {
      this.flush();
      this.untilFlush = FLUSH_FRAMES;
    }
  }

  /** Hand the filled buffer to an asynchronous write and go on with a spare one. */
  private flush(): void {
    if (!this.buffered) return;
    const full = this.buffer;
    const bytes = this.buffered * 2;
    const at = this.position;
    this.position += bytes;
    this.buffer = this.spare.pop() ?? new Int16Array(full.length);
    this.buffered = 0;
    this.writes = this.writes
      .then(() => this.file)
      .then((fh) => fh.write(new Uint8Array(full.buffer, 0, bytes), 0, bytes, at))
      .then(() => void this.spare.push(full));
  }

  /** Close the file; resolves with the recorded duration in ms (after trimming). */
  async finish(_reason: RecordEnd): Promise<number> {
    this.flush();
    const fh = await this.file;
    try {
      await this.writes;
      const kept = this.spec.trimSilence ? this.lastVoice : this.samples;
      const bytes = kept * 2 * this.channels;
      await fh.truncate(HEADER + bytes);
      await fh.write(wavHeader(bytes, this.channels), 0, HEADER, 0);
      return Math.round(kept / 8);
    } finally {
      await fh.close();
    }
  }
}

export function wavHeader(dataBytes: number, channels: number, rate = 8000): Buffer {
  const h = Buffer.alloc(HEADER);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2 * channels, 28);
  h.writeUInt16LE(2 * channels, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
