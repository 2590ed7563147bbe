// Text-to-speech provider interface. Providers return audio at their own rate; the prompt cache resamples it to
// 8 kHz and stores µ-law files keyed by (text, voice, language, engine).

import type { ResolvedVoice, VoiceIntent } from './voices.js';

export interface TtsOptions {
  /** The engine's own voice (from `resolveVoice`). */
  voice: string;
  language: string;
}

export interface TtsAudio {
  /** Mono; Int16 or float in [-1, 1]. */
  samples: Int16Array | Float32Array;
  rate: number;
}

export interface TtsProvider {
  /** Engine name, as the `engine` attribute selects it and as it enters the cache key. */
  readonly name: string;
  /** Whether the engine can run here (memoised by the provider; cheap after the first call). */
  available(): Promise<boolean>;
  /** The engine voice for a gender/language; undefined when the engine cannot speak that language. */
  resolveVoice(intent: VoiceIntent): ResolvedVoice | undefined;
  synthesize(text: string, opts: TtsOptions): Promise<TtsAudio>;
}

/** Longest text accepted for one prompt (Twilio's `<Say>` limit). */
export const MAX_TTS_CHARS = 4096;
