// Sends DTMF tones into the call (`w`/`W` pause 0.5/1 s). → `_`. Kazoo's `duration_ms` (default 2000) is the
// length of each tone; it is kept within 40..500 ms so a default node does not hold every key for two seconds.

import { next, type CallflowModule } from '../types.js';

const MIN_TONE_MS = 40;
const MAX_TONE_MS = 500;

interface SendDtmfData {
  digits: string;
  duration_ms: number | string;
}

export const send_dtmf: CallflowModule<SendDtmfData> = {
  name: 'send_dtmf',
  description: 'Send DTMF tones to the other party.',
  schema: {
    type: 'object',
    required: ['digits'],
    properties: {
      digits: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[0-9A-Da-d*#wW]+$' },
      duration_ms: {
        oneOf: [
          { type: 'integer', minimum: 1 },
          { type: 'string', pattern: '^[0-9]+$' },
        ],
        default: '2000',
        description: 'Length of each tone in milliseconds',
      },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    const ms = Number(data.duration_ms) || MAX_TONE_MS;
    await call.sendDtmf(data.digits, { durationMs: Math.min(Math.max(ms, MIN_TONE_MS), MAX_TONE_MS) });
    return next();
  },
};
