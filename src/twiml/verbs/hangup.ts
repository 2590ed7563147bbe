// <Hangup>: answer (a leading Hangup still answers, on Twilio and Kazoo) and end the call. No attributes; Twilio's
// newer schema allows <Parameter> children, which are accepted and ignored. Kazoo turned any attribute into an
// "unknown element" error; here an unknown attribute is only a warning.

import type { TwimlVerb } from '../types.js';

export type HangupOptions = Record<string, never>;

export const hangup: TwimlVerb<HangupOptions> = {
  name: 'Hangup',
  parse(el, p) {
    p.elements(['Parameter'], 12200);
    if (el.text) p.warn(12200, '<Hangup> takes no text; it is ignored');
    return {};
  },

  async run(_o, { call, host }) {
    if (call.state !== 'ended') {
      await call.answer();
      await call.hangup('NORMAL_CLEARING');
    }
    host.trace('Hangup', {});
    return { kind: 'end' };
  },
};
