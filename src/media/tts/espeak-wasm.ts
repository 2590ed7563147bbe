// Default TTS engine: the npm `espeak-ng` WASM build, always present after `npm install`. It is GPL-3.0, so it
// only ever runs in a child process (espeak-wasm-child.mjs); Pivot exchanges JSON and WAV bytes with it over pipes.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { firstLine, runProcess } from './process.js';
import type { TtsAudio, TtsOptions, TtsProvider } from './types.js';
import { espeakVoice, type ResolvedVoice, type VoiceIntent } from './voices.js';
import { ttsAudioFromWav } from './wav-output.js';

export const ESPEAK_WASM_CHILD = fileURLToPath(new URL('./espeak-wasm-child.mjs', import.meta.url));

export interface EspeakWasmOptions {
  /** Per synthesis, default 30 s (start-up is about 0.2 s; a 4096-character text takes under 1 s). */
  timeoutMs?: number;
  /** Node binary for the child, default the running one. */
  nodePath?: string;
}

export class EspeakWasmProvider implements TtsProvider {
  readonly name = 'espeak-wasm';
  private readonly timeoutMs: number;
  private readonly nodePath: string;
  private availability: Promise<boolean> | undefined;

  constructor(opts: EspeakWasmOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.nodePath = opts.nodePath ?? process.execPath;
  }

  available(): Promise<boolean> {
    this.availability ??= Promise.resolve().then(() => {
      if (!existsSync(ESPEAK_WASM_CHILD)) return false;
      try {
        createRequire(ESPEAK_WASM_CHILD).resolve('espeak-ng');
        return true;
      } catch {
        return false;
      }
    });
    return this.availability;
  }

  resolveVoice(intent: VoiceIntent): ResolvedVoice {
    return espeakVoice(intent);
  }

  async synthesize(text: string, opts: TtsOptions): Promise<TtsAudio> {
    // Plain node: the child is JavaScript, so no loader flags (tsx) are passed on.
    const res = await runProcess(this.nodePath, [ESPEAK_WASM_CHILD], {
      timeoutMs: this.timeoutMs,
      input: JSON.stringify({ voice: opts.voice, text }),
      label: 'synthesis',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    }).catch((err: Error) => {
      throw new Error(`espeak-ng (wasm): ${err.message}`);
    });
    if (res.code !== 0) {
      const detail =
        firstLine(res.stderr).replace(/^espeak-ng \(wasm\): /, '') || `exit code ${res.code ?? res.signal}`;
      throw new Error(`espeak-ng (wasm): ${detail}`);
    }
    return ttsAudioFromWav('espeak-ng (wasm)', res.stdout);
  }
}
