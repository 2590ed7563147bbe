// <Play>: play an audio URL, or DTMF tones with `digits` (Twilio: 0-9 * # A-D, w = 0.5 s, W = 1 s; sent after
// answer). Relative URLs resolve against the document URL (Kazoo did not resolve them) and every URL passes the
// URL policy: a denied one is a warning (11200) and the verb is skipped. A media that fails to play is a warning
// (13420) and the document goes on. Kazoo extras: `terminators`, and Kazoo media references in the body
// (`tts://text`, `tone_stream://…`, a 32-hex media id).

import { mediaReference } from '../../call/media-source.js';
import type { MediaSource } from '../../call/types.js';
import type { TwimlHost, TwimlVerb } from '../types.js';

export interface PlayOptions {
  /** The body as written (URL or Kazoo media reference); undefined when only `digits` is given. */
  media?: string;
  digits?: string;
  loop: number;
  terminators: string;
  at: { line: number; column: number };
}

const DIGITS = /^[0-9*#A-DwW]+$/;

/** What a media reference resolves to; `denied` carries the URL policy's (or the resolver's) message. */
export type ResolvedMedia = { source: MediaSource; url?: string } | { say: string } | { denied: string; url: string };

/**
 * A media reference from a document → something `call.play` takes. http(s) and relative URLs are resolved against
 * the document and checked by the URL policy; Kazoo's `tts://`, `tone_stream://` and bare media ids pass as they are.
 */
export async function resolveMedia(ref: string, host: TwimlHost): Promise<ResolvedMedia> {
  const value = ref.trim();
  if (/^(?:tts|tone_stream):\/\//i.test(value) || /^[0-9a-f]{32}$/i.test(value)) {
    const kazoo = mediaReference(value);
    return 'say' in kazoo ? kazoo : { source: kazoo };
  }
  let url: string;
  try {
    url = host.resolveUrl(value);
  } catch {
    return { denied: `"${value}" is not a valid URL`, url: value };
  }
  const denied = await host.checkUrl(url);
  return denied ? { denied, url } : { source: { kind: 'url', url }, url };
}

export const play: TwimlVerb<PlayOptions> = {
  name: 'Play',
  parse(el, p) {
    const loop = p.loop(13410);
    const terminators = p.keys('terminators', '', { code: 12200 });
    const rawDigits = p.string('digits')?.trim();
    let digits: string | undefined;
    if (rawDigits) {
      if (DIGITS.test(rawDigits)) digits = rawDigits;
      else p.error(13430, `<Play digits="${rawDigits}"> may only hold 0-9, *, #, A-D, w and W`);
    }
    const media = el.text || undefined;
    if (!media && rawDigits === undefined)
      p.error(12200, '<Play> needs a media URL as its text, or a digits attribute');
    else if (!media && rawDigits === '') p.error(13430, '<Play digits=""> is empty');
    else if (media && digits)
      p.warn(12200, '<Play> has both digits and a media URL: the digits are played, the URL is ignored');
    if (el.children.length) p.elements([], 12200);
    return { media: digits ? undefined : media, digits, loop, terminators, at: { line: el.line, column: el.column } };
  },

  async run(o, { call, host, signal }) {
    let source: MediaSource;
    let what: Record<string, unknown>;
    if (o.digits) {
      source = { kind: 'digits', digits: o.digits };
      what = { digits: o.digits };
    } else {
      const media = await resolveMedia(o.media ?? '', host);
      if ('denied' in media) {
        host.warn({
          code: 11200,
          message: `<Play> skipped: ${media.denied}`,
          element: 'Play',
          ...o.at,
          level: 'warning',
        });
        host.trace('Play', { url: media.url, result: 'denied', error: media.denied });
        return { kind: 'next' };
      }
      if ('say' in media) {
        await call.answer();
        const r = await call.say(media.say, {
          loop: o.loop,
          terminators: o.terminators,
          signal,
          language: call.language,
        });
        host.trace('Play', { tts: media.say, loop: o.loop, result: r.reason });
        return r.reason === 'hangup' ? { kind: 'end' } : { kind: 'next' };
      }
      source = media.source;
      what = media.url ? { url: media.url } : { source };
    }
    // DTMF on an unanswered (outbound) call is sent once it is answered.
    await call.answer();
    const result = await call.play(source, { loop: o.loop, terminators: o.terminators, signal });
    host.trace('Play', {
      ...what,
      loop: o.loop,
      result: result.reason,
      ...(result.digit ? { digit: result.digit } : {}),
    });
    if (result.reason === 'error') {
      const message = `<Play> could not play ${o.digits ? 'the digits' : (what.url ?? o.media)}: ${result.error ?? 'playback failed'}`;
      host.warn({ code: 13420, message, element: 'Play', ...o.at, level: 'warning' });
    }
    return result.reason === 'hangup' ? { kind: 'end' } : { kind: 'next' };
  },
};
