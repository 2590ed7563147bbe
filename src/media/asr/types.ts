// Speech recognition provider interface, for `<Gather input="speech">` and Kazoo equivalents.

export interface AsrOptions {
  /** BCP 47 language of the caller, e.g. `en-US`. */
  language: string;
  /** Twilio `hints`: comma-separated words and phrases (or already split), used to build a grammar. */
  hints?: string | string[];
  /** A JSGF grammar to decode against instead of one built from `hints`. */
  grammar?: string;
}

export interface AsrResult {
  text: string;
  /** 0..1. */
  confidence: number;
}

export interface AsrProvider {
  readonly name: string;
  /** `samples8k`: 8 kHz mono L16 as recorded from the call. Null when nothing was recognised. */
  recognize(samples8k: Int16Array, opts: AsrOptions): Promise<AsrResult | null>;
}
