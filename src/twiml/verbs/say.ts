// <Say>: text to speech. Twilio: voice man|woman|alice|Polly.*|Google.* (default man), language a BCP-47 tag
// (default en-US), loop (0 = until hangup, capped at 1000 iterations), SSML children. Kazoo accepted only
// man/male/woman/female and six languages (`en-US` hung up the call); we accept any non-empty voice name (the TTS
// layer maps it) and any well-formed language tag, and keep Kazoo's extras `engine` and `terminators`.

import type { TwimlVerb } from '../types.js';
import type { XmlElement } from '../xml.js';

export const MAX_SAY_CHARS = 4096;

/** SSML elements Twilio's helper library can nest in <Say> (plus Amazon's extensions). */
const SSML = ['break', 'emphasis', 'lang', 'p', 'phoneme', 'prosody', 's', 'say-as', 'sub', 'w'];

export interface SayOptions {
  text: string;
  voice: string;
  /** Undefined: the call's language at run time, else en-US. */
  language?: string;
  /** Iterations, 1..MAX_LOOP (loop="0" is MAX_LOOP). */
  loop: number;
  engine?: string;
  /** Keys that stop the speech (Kazoo); none by default, as on Twilio. */
  terminators: string;
  /** Where the element is, for warnings raised while running. */
  at: { line: number; column: number };
}

/** SSML elements that separate words (a pause, a paragraph, a sentence). */
const SEPARATORS = ['break', 'p', 's'];

/** The words to speak from mixed content: text plus the text of SSML children (`<sub alias>` speaks the alias). */
function spoken(el: XmlElement): string {
  return el.content
    .map((c) => {
      if (typeof c === 'string') return c;
      const words = c.name === 'sub' && c.attributes.alias !== undefined ? c.attributes.alias : spoken(c);
      return SEPARATORS.includes(c.name) ? ` ${words} ` : words;
    })
    .join('');
}

export const say: TwimlVerb<SayOptions> = {
  name: 'Say',
  parse(el, p) {
    const rawVoice = p.string('voice');
    if (rawVoice !== undefined && rawVoice.trim() === '') p.error(13511, '<Say voice=""> needs a voice name');
    const voice = rawVoice?.trim() || 'man';
    const language = p.language(12200);
    const loop = p.loop(13510);
    const engine = p.string('engine')?.trim() || undefined;
    const terminators = p.keys('terminators', '', { code: 12200 });

    let text = el.text;
    if (el.children.length) {
      for (const child of el.children) {
        if (!SSML.includes(child.name) && !child.name.startsWith('amazon:')) {
          p.warn(12200, `<${child.name}> is not an SSML element; only its text is spoken`, child);
        }
      }
      text = spoken(el).replace(/\s+/g, ' ').trim();
    }
    if (!text) p.error(13520, '<Say> needs text to speak');
    else if (text.length > MAX_SAY_CHARS) {
      p.error(13520, `<Say> text is ${text.length} characters long; the limit is ${MAX_SAY_CHARS}`);
    }
    return { text, voice, language, loop, engine, terminators, at: { line: el.line, column: el.column } };
  },

  async run(o, { call, host, signal }) {
    await call.answer();
    const language = o.language ?? (call.language || 'en-US');
    const result = await call.say(o.text, {
      voice: o.voice,
      language,
      loop: o.loop,
      engine: o.engine,
      terminators: o.terminators,
      signal,
    });
    host.trace('Say', {
      text: o.text,
      voice: o.voice,
      language,
      loop: o.loop,
      ...(o.engine ? { engine: o.engine } : {}),
      ...(o.terminators ? { terminators: o.terminators } : {}),
      result: result.reason,
      ...(result.digit ? { digit: result.digit } : {}),
    });
    if (result.reason === 'error') {
      const message = `<Say> could not be spoken: ${result.error ?? 'text-to-speech failed'}`;
      host.warn({ code: 12400, message, element: 'Say', ...o.at, level: 'warning' });
    }
    return result.reason === 'hangup' ? { kind: 'end' } : { kind: 'next' };
  },
};
