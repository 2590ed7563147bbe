// Which speech recognizer `<Gather input="speech">` uses: PIVOT_ASR names one (`pocketsphinx`, or a provider
// registered by name); unset or `auto` means pocketsphinx when it is installed; `none` turns speech off.

import { PocketsphinxProvider, type PocketsphinxOptions } from './pocketsphinx.js';
import type { AsrProvider } from './types.js';

export const ASR_NOT_CONFIGURED =
  'speech recognition is not configured: install pocketsphinx (apt-get install pocketsphinx pocketsphinx-en-us) ' +
  'or set PIVOT_ASR=<provider>';

export interface AsrRegistryOptions {
  env?: NodeJS.ProcessEnv;
  pocketsphinx?: PocketsphinxOptions;
}

export class AsrRegistry {
  private readonly env: NodeJS.ProcessEnv;
  private readonly providers = new Map<string, AsrProvider>();
  private readonly pocketsphinx: PocketsphinxProvider;
  private cached: { value: AsrProvider | undefined } | undefined;

  constructor(opts: AsrRegistryOptions = {}) {
    this.env = opts.env ?? process.env;
    this.pocketsphinx = new PocketsphinxProvider({
      modelDir: this.env.PIVOT_POCKETSPHINX_MODEL || undefined,
      ...opts.pocketsphinx,
    });
  }

  /** Add a provider (an external engine); PIVOT_ASR=<its name> selects it. */
  register(provider: AsrProvider): void {
    this.providers.set(provider.name, provider);
    this.cached = undefined;
  }

  /** The provider to use, or undefined (then answer with ASR_NOT_CONFIGURED). */
  configured(): AsrProvider | undefined {
    if (this.cached) return this.cached.value;
    const wanted = (this.env.PIVOT_ASR ?? '').trim().toLowerCase();
    let value: AsrProvider | undefined;
    if (wanted === 'none' || wanted === 'off' || wanted === 'false') value = undefined;
    else if (!wanted || wanted === 'auto' || wanted === 'pocketsphinx') {
      value = this.providers.get('pocketsphinx') ?? (this.pocketsphinx.available() ? this.pocketsphinx : undefined);
    } else value = this.providers.get(wanted);
    this.cached = { value };
    return value;
  }
}

/** The speech recognizer configured by the environment, or undefined. */
export function configured(env: NodeJS.ProcessEnv = process.env): AsrProvider | undefined {
  return new AsrRegistry({ env }).configured();
}
