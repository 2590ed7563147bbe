// Chooses a TTS engine per prompt: the `engine` attribute when given (and installed), else PIVOT_TTS, else the
// fastest installed one: flite → espeak-ng binary → espeak-ng WASM (always there). Engines that cannot speak the
// language (flite is English only) are passed over; the WASM build speaks everything espeak does.

import { EspeakNgBinaryProvider } from './espeak-ng-binary.js';
import { EspeakWasmProvider } from './espeak-wasm.js';
import { FliteProvider } from './flite.js';
import type { TtsProvider } from './types.js';
import { voiceIntent } from './voices.js';

export interface TtsRequest {
  voice?: string;
  language?: string;
  engine?: string;
}

export interface TtsChoice {
  provider: TtsProvider;
  /** The engine's voice (`kal`, `en-us+f3`). */
  voice: string;
  /** The language spoken. */
  language: string;
  warning?: string;
}

/** Names accepted in an `engine` attribute or PIVOT_TTS, to provider names in order of preference. */
const ENGINE_ALIASES: Record<string, string[]> = {
  flite: ['flite'],
  espeak: ['espeak-ng', 'espeak-wasm'],
  'espeak-ng': ['espeak-ng', 'espeak-wasm'],
  espeakng: ['espeak-ng', 'espeak-wasm'],
  'espeak-wasm': ['espeak-wasm'],
  'espeak-ng-wasm': ['espeak-wasm'],
  wasm: ['espeak-wasm'],
};

export class TtsRegistry {
  private readonly providers: TtsProvider[];
  private readonly preferred?: string;

  /** `providers` in order of preference for automatic choice; `preferred` is a default engine name. */
  constructor(providers: TtsProvider[], opts: { preferred?: string } = {}) {
    this.providers = providers;
    this.preferred = opts.preferred?.trim() || undefined;
  }

  get(name: string): TtsProvider | undefined {
    return this.providers.find((p) => p.name === name);
  }

  names(): string[] {
    return this.providers.map((p) => p.name);
  }

  /** The installed providers, in order of preference. */
  async installed(): Promise<TtsProvider[]> {
    const flags = await Promise.all(this.providers.map((p) => p.available().catch(() => false)));
    return this.providers.filter((_, i) => flags[i]);
  }

  /**
   * Engines able to speak this request, best first, each with its voice. The requested engine (or PIVOT_TTS)
   * leads when installed; otherwise a warning says which engine is used instead.
   */
  async candidates(req: TtsRequest): Promise<{ choices: TtsChoice[]; warning?: string }> {
    const intent = voiceIntent(req.voice, req.language);
    const installed = await this.installed();
    const warnings: string[] = [];
    const requested = (req.engine ?? this.preferred)?.trim().toLowerCase();
    let order = installed;
    if (requested) {
      const wanted = ENGINE_ALIASES[requested] ?? (this.get(requested) ? [requested] : undefined);
      if (!wanted) {
        warnings.push(`unknown TTS engine '${requested}'`);
      } else {
        const front = wanted.map((n) => installed.find((p) => p.name === n)).filter((p) => p !== undefined);
        if (front.length === 0) warnings.push(`TTS engine '${requested}' is not installed`);
        order = [...front, ...installed.filter((p) => !front.includes(p))];
      }
    }
    const choices: TtsChoice[] = [];
    for (const provider of order) {
      const resolved = provider.resolveVoice(intent);
      if (resolved)
        choices.push({ provider, voice: resolved.voice, language: resolved.language, warning: resolved.warning });
    }
    if (requested && choices.length && warnings.length === 0) {
      const wanted = ENGINE_ALIASES[requested] ?? [requested];
      if (!wanted.includes(choices[0].provider.name)) {
        warnings.push(`TTS engine '${requested}' has no voice for '${intent.language}'`);
      }
    }
    if (warnings.length && choices.length) warnings[warnings.length - 1] += `; using ${choices[0].provider.name}`;
    return { choices, warning: warnings.length ? warnings.join('; ') : undefined };
  }

  /** The best engine for a request, or an error when none is installed. */
  async choose(req: TtsRequest): Promise<TtsChoice | { error: string }> {
    const { choices, warning } = await this.candidates(req);
    if (!choices.length) return { error: `no TTS engine is available (tried ${this.names().join(', ') || 'none'})` };
    const first = choices[0];
    const w = [warning, first.warning].filter(Boolean).join('; ');
    return { ...first, warning: w || undefined };
  }
}

export interface TtsRegistryOptions {
  env?: NodeJS.ProcessEnv;
  /** Per synthesis, for every engine. */
  timeoutMs?: number;
}

/** flite, espeak-ng (binary) and espeak-ng WASM, with PIVOT_TTS as the default engine when set. */
export function createTtsRegistry(opts: TtsRegistryOptions = {}): TtsRegistry {
  const env = opts.env ?? process.env;
  const t = opts.timeoutMs;
  return new TtsRegistry(
    [
      new FliteProvider({ timeoutMs: t, command: env.PIVOT_FLITE || undefined }),
      new EspeakNgBinaryProvider({ timeoutMs: t, command: env.PIVOT_ESPEAK_NG || undefined }),
      new EspeakWasmProvider({ timeoutMs: t }),
    ],
    { preferred: env.PIVOT_TTS },
  );
}
