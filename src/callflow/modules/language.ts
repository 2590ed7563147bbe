// Sets the language of the rest of the call (prompts, TTS, Pivot `Language`), e.g. `fr` or `fr-ca`. → `_`.

import { next, type CallflowModule } from '../types.js';

export const language: CallflowModule<{ language: string }> = {
  name: 'language',
  description: 'Set the call language for prompts and text-to-speech.',
  schema: {
    type: 'object',
    required: ['language'],
    properties: {
      language: { type: 'string', pattern: '^[A-Za-z]{2}(-[A-Za-z]{2})?$' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    const [lang, region] = data.language.split('-');
    call.language = region ? `${lang.toLowerCase()}-${region.toUpperCase()}` : lang.toLowerCase();
    return next();
  },
};
