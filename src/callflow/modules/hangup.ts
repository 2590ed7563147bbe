import { hardStop, type CallflowModule } from '../types.js';

export const hangup: CallflowModule = {
  name: 'hangup',
  description: 'Hang up the call and end the callflow.',
  schema: { type: 'object', properties: { skip_module: { type: 'boolean' } } },
  async run({ call }) {
    await call.hangup('NORMAL_CLEARING');
    return hardStop;
  },
};
