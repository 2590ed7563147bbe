import { ALL_DTMF } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';

interface TtsData {
  text: string;
  voice?: string;
  language?: string;
  engine?: string;
  terminators?: string[];
  endless_playback?: boolean;
}

export const tts: CallflowModule<TtsData> = {
  name: 'tts',
  description: 'Speak text with the text-to-speech engine.',
  schema: {
    type: 'object',
    required: ['text'],
    properties: {
      text: { type: 'string', minLength: 1, maxLength: 1000 },
      voice: { type: 'string', default: 'female' },
      language: { type: 'string' },
      engine: { type: 'string' },
      terminators: { type: 'array', items: { type: 'string', pattern: '^[0-9*#]$' } },
      endless_playback: { type: 'boolean', default: false },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    await call.answer();
    await call.say(data.text, {
      voice: data.voice,
      language: data.language ?? call.language,
      engine: data.engine,
      loop: data.endless_playback ? 0 : 1,
      terminators: data.terminators ? data.terminators.join('') : ALL_DTMF,
    });
    return next();
  },
};
