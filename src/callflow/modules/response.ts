// Ends the call with a SIP response: an unanswered call is refused with `code` (after `media` as early media), an
// answered one hears `media` and is hung up. Then the callflow stops.

import { causeFromSipCode } from '../../call/types.js';
import { hardStop, type CallflowModule } from '../types.js';
import { playMedia } from './_media.js';

interface ResponseData {
  code: number;
  message?: string;
  media?: string;
}

export const response: CallflowModule<ResponseData> = {
  name: 'response',
  description: 'Refuse the call with a SIP response code (486 busy, 503…), optionally after a prompt.',
  schema: {
    type: 'object',
    required: ['code'],
    properties: {
      code: { type: 'integer', minimum: 400, maximum: 699, default: 486, description: 'SIP response code' },
      message: { type: 'string', maxLength: 128, description: 'SIP reason phrase' },
      media: { type: 'string', minLength: 1, maxLength: 2048, description: 'Media id, URL or tts://text played first' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, log }) {
    const unanswered = call.state === 'ringing' || call.state === 'early';
    if (data.media) {
      if (unanswered) await call.ring({ earlyMedia: true });
      const played = await playMedia(call, data.media);
      if (played.reason === 'error') log.warn({ call_id: call.id, error: played.error }, 'response media failed');
    }
    if (unanswered) await call.reject(data.code, data.message);
    else await call.hangup(causeFromSipCode(data.code));
    return hardStop;
  },
};
