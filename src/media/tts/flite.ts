// Debian's `flite` (when on PATH): English only, voices kal (8 kHz natively), slt, awb, rms (16 kHz).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstLine, runProcess, which } from './process.js';
import type { TtsAudio, TtsOptions, TtsProvider } from './types.js';
import { fliteVoice, type ResolvedVoice, type VoiceIntent } from './voices.js';
import { ttsAudioFromWav } from './wav-output.js';
import type { BinaryTtsOptions } from './espeak-ng-binary.js';

export class FliteProvider implements TtsProvider {
  readonly name = 'flite';
  private readonly command: string;
  private readonly timeoutMs: number;

  constructor(opts: BinaryTtsOptions = {}) {
    this.command = opts.command ?? 'flite';
    this.timeoutMs = opts.timeoutMs ?? 20_000;
  }

  async available(): Promise<boolean> {
    return which(this.command) !== null;
  }

  resolveVoice(intent: VoiceIntent): ResolvedVoice | undefined {
    return fliteVoice(intent);
  }

  async synthesize(text: string, opts: TtsOptions): Promise<TtsAudio> {
    const path = which(this.command);
    if (!path) throw new Error(`flite: ${this.command} is not installed (not on PATH)`);
    const dir = await mkdtemp(join(tmpdir(), 'pivot-flite-'));
    try {
      const input = join(dir, 'in.txt');
      const output = join(dir, 'out.wav');
      await writeFile(input, text);
      const res = await runProcess(path, ['-voice', opts.voice, '-f', input, '-o', output], {
        timeoutMs: this.timeoutMs,
      }).catch((err: Error) => {
        throw new Error(`flite: ${err.message}`);
      });
      if (res.code !== 0) throw new Error(`flite: ${firstLine(res.stderr) || `exit code ${res.code ?? res.signal}`}`);
      const wav = await readFile(output).catch(() => {
        throw new Error(`flite: no audio produced${res.stderr ? ` (${firstLine(res.stderr)})` : ''}`);
      });
      return ttsAudioFromWav('flite', wav);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
