// <Pause>: wait `length` seconds (default 1). Twilio: a leading Pause delays pick-up, so Pause never answers the
// call (Kazoo answered first, and its sleep did not notice a hangup: ours ends at once when the caller leaves).
// Lengths above 3600 s are clamped with a warning (as Kazoo did); 0 or anything not a whole number is 13910.

import type { TwimlVerb } from '../types.js';

export const MAX_PAUSE_S = 3600;

export interface PauseOptions {
  lengthS: number;
}

export const pause: TwimlVerb<PauseOptions> = {
  name: 'Pause',
  parse(el, p) {
    let lengthS = p.int('length', 1, { min: 1, code: 13910 });
    if (lengthS > MAX_PAUSE_S) {
      p.warn(13910, `<Pause length="${lengthS}"> is clamped to ${MAX_PAUSE_S} seconds`);
      lengthS = MAX_PAUSE_S;
    }
    if (el.text) p.warn(12200, '<Pause> takes no text; it is ignored');
    if (el.children.length) p.elements([], 12200);
    return { lengthS };
  },

  async run(o, { call, host, signal }) {
    const result = await call.wait(o.lengthS * 1000, { signal });
    host.trace('Pause', { length: o.lengthS, result });
    return result === 'hangup' ? { kind: 'end' } : { kind: 'next' };
  },
};
