// Debian's `espeak-ng` binary (when on PATH): about 40 ms for a five-second prompt, 22050 Hz WAV on stdout.

import { firstLine, runProcess, which } from './process.js';
import type { TtsAudio, TtsOptions, TtsProvider } from './types.js';
import { espeakVoice, type ResolvedVoice, type VoiceIntent } from './voices.js';
import { ttsAudioFromWav } from './wav-output.js';

export interface BinaryTtsOptions {
  /** Executable name or path. */
  command?: string;
  timeoutMs?: number;
}

export class EspeakNgBinaryProvider implements TtsProvider {
  readonly name = 'espeak-ng';
  private readonly command: string;
  private readonly timeoutMs: number;

  constructor(opts: BinaryTtsOptions = {}) {
    this.command = opts.command ?? 'espeak-ng';
    this.timeoutMs = opts.timeoutMs ?? 20_000;
  }

  async available(): Promise<boolean> {
    return which(this.command) !== null;
  }

  resolveVoice(intent: VoiceIntent): ResolvedVoice {
    return espeakVoice(intent);
  }

  async synthesize(text: string, opts: TtsOptions): Promise<TtsAudio> {
    const path = which(this.command);
    if (!path) throw new Error(`espeak-ng: ${this.command} is not installed (not on PATH)`);
    // Text on stdin (never on the command line: no option injection, no argv limits), UTF-8 (-b 1).
    const res = await runProcess(path, ['-b', '1', '-v', opts.voice, '--stdout', '--stdin'], {
      timeoutMs: this.timeoutMs,
      input: text,
    }).catch((err: Error) => {
      throw new Error(`espeak-ng: ${err.message}`);
    });
    if (res.code !== 0 || res.stdout.length <= 44) {
      throw new Error(`espeak-ng: ${firstLine(res.stderr) || `exit code ${res.code ?? res.signal}, no audio`}`);
    }
    return ttsAudioFromWav('espeak-ng', res.stdout);
  }
}
