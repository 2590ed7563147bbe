// Sets one custom channel variable (`call.vars`) on the caller's leg (`a`) or on both legs. → `_`.

import { next, type CallflowModule } from '../types.js';

interface SetVariableData {
  variable?: string;
  value?: string;
  channel: 'a' | 'both';
}

export const set_variable: CallflowModule<SetVariableData> = {
  name: 'set_variable',
  description: 'Set a custom channel variable on the call.',
  schema: {
    type: 'object',
    properties: {
      variable: { type: 'string', minLength: 1 },
      value: { type: 'string' },
      channel: { type: 'string', enum: ['a', 'both'], default: 'a' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, log }) {
    if (!data.variable || data.value === undefined) {
      log.warn({ call_id: call.id }, 'set_variable needs both variable and value; nothing set');
    } else {
      call.vars.set(data.variable, data.value);
    }
    return next();
  },
};
