// <Reject>: refuse the call without answering it. reason="rejected" (default) → 603 Decline, reason="busy" → 486
// Busy Here. Kazoo sent 503 for "rejected", which reads as a server failure; Twilio's "rejected" is a decline.
// Kazoo extra `prompt`: a media played as early media (183) before the refusal. If the call was already answered
// (Reject later in a document, or after a Redirect), it is simply hung up.

import type { TwimlVerb } from '../types.js';
import { resolveMedia } from './play.js';

export interface RejectOptions {
  reason: 'rejected' | 'busy';
  prompt?: string;
  at: { line: number; column: number };
}

const SIP = { busy: { code: 486, phrase: 'Busy Here' }, rejected: { code: 603, phrase: 'Decline' } } as const;

export const reject: TwimlVerb<RejectOptions> = {
  name: 'Reject',
  parse(el, p) {
    const reason = p.oneOf('reason', ['rejected', 'busy'] as const, 'rejected', 13810);
    const prompt = p.string('prompt')?.trim() || undefined;
    if (el.text) p.warn(12200, '<Reject> takes no text; it is ignored');
    if (el.children.length) p.elements([], 12200);
    return { reason, prompt, at: { line: el.line, column: el.column } };
  },

  async run(o, { call, host }) {
    const unanswered = call.state === 'ringing' || call.state === 'early';
    if (o.prompt && call.state !== 'ended') {
      const media = await resolveMedia(o.prompt, host);
      if ('denied' in media) {
        host.warn({
          code: 11200,
          message: `<Reject prompt> skipped: ${media.denied}`,
          element: 'Reject',
          ...o.at,
          level: 'warning',
        });
      } else {
        if (unanswered) await call.ring({ earlyMedia: true });
        const r =
          'say' in media ? await call.say(media.say, { language: call.language }) : await call.play(media.source);
        if (r.reason === 'error') {
          const message = `<Reject prompt="${o.prompt}"> could not be played: ${r.error ?? 'playback failed'}`;
          host.warn({ code: 13420, message, element: 'Reject', ...o.at, level: 'warning' });
        }
      }
    }
    const sip = SIP[o.reason];
    if (call.state === 'ended') {
      host.trace('Reject', { reason: o.reason, result: 'hangup' });
    } else if (unanswered) {
      await call.reject(sip.code, sip.phrase);
      host.trace('Reject', { reason: o.reason, sipCode: sip.code });
    } else {
      await call.hangup('NORMAL_CLEARING');
      host.trace('Reject', { reason: o.reason, answered: true, result: 'hangup' });
    }
    return { kind: 'end' };
  },
};
