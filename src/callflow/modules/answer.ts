import { next, type CallflowModule } from '../types.js';

export const answer: CallflowModule = {
  name: 'answer',
  description: 'Answer the call (200 OK) before continuing.',
  schema: { type: 'object', properties: { skip_module: { type: 'boolean' } } },
  async run({ call }) {
    await call.answer();
    return next();
  },
};
