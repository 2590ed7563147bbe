import { mediaReference } from '../../call/media-source.js';
import { ALL_DTMF } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';

interface PlayData {
  id: string;
  answer?: boolean;
  endless_playback?: boolean;
  loop_count?: number;
  terminators?: string[];
}

export const play: CallflowModule<PlayData> = {
  name: 'play',
  description: 'Play a stored media file or an audio URL.',
  schema: {
    type: 'object',
    required: ['id'],
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 2048, description: 'Media id, URL or tts://text' },
      answer: { type: 'boolean', default: true },
      endless_playback: { type: 'boolean', default: false },
      loop_count: { type: 'integer', minimum: 1, default: 1 },
      terminators: { type: 'array', items: { type: 'string', pattern: '^[0-9*#]$' } },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    if (data.answer !== false) await call.answer();
    const opts = {
      loop: data.endless_playback ? 0 : (data.loop_count ?? 1),
      terminators: data.terminators ? data.terminators.join('') : ALL_DTMF,
    };
    const media = mediaReference(data.id);
    if ('say' in media) await call.say(media.say, opts);
    else await call.play(media, opts);
    return next();
  },
};
