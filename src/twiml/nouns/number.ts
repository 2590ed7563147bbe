// <Number>: a phone number to ring. Its text is stripped to digits and `+` and normalised to E.164 (13223 when it
// is not a number). `sendDigits` (DTMF with w/W pauses, 13222) is sent once the callee answers. Kazoo parsed
// sendDigits and url but ignored them; sendDigits works here, the whisper `url` is not supported yet (warning).
// `byoc` and answering-machine detection are accepted with a warning and ignored.

import { toE164 } from '../../call/numbers.js';
import type { LegNoun, StatusCallbackSpec } from './index.js';
import { ignoreAttributes, readSendDigits, readStatusCallback, readWhisper } from './index.js';

export interface NumberOptions {
  number: string;
  sendDigits?: string;
  statusCallback?: StatusCallbackSpec;
}

export const number: LegNoun<NumberOptions> = {
  name: 'Number',
  kind: 'leg',
  parse(el, p) {
    const raw = el.text;
    const normalised = toE164(raw);
    if (!normalised)
      p.error(13223, raw ? `<Number>${raw}</Number> is not a valid phone number` : '<Number> needs a phone number');
    if (el.children.length) p.elements([], 12200);
    const sendDigits = readSendDigits(p, 13222);
    readWhisper(p, 13221);
    const statusCallback = readStatusCallback(p, 13221);
    ignoreAttributes(p, ['byoc'], 'BYOC trunks are Twilio-only; Pivot routes numbers itself');
    ignoreAttributes(
      p,
      [
        'machineDetection',
        'machineDetectionTimeout',
        'machineDetectionSpeechThreshold',
        'machineDetectionSpeechEndThreshold',
        'machineDetectionSilenceTimeout',
        'amdStatusCallback',
        'amdStatusCallbackMethod',
      ],
      'answering machine detection is not supported',
    );
    return { number: normalised ?? raw, sendDigits, statusCallback };
  },

  async target(o) {
    return {
      endpoints: [{ type: 'number', number: o.number, ...(o.sendDigits ? { sendDigits: o.sendDigits } : {}) }],
      to: o.number,
      statusCallback: o.statusCallback,
    };
  },
};
