// Replaces the caller ID presented from here on (dialled legs, Pivot requests); an empty field keeps its value. → `_`.

import { next, type CallflowModule } from '../types.js';

interface SetCidData {
  caller_id_name: string;
  caller_id_number: string;
}

export const set_cid: CallflowModule<SetCidData> = {
  name: 'set_cid',
  description: 'Set the caller ID name and number.',
  schema: {
    type: 'object',
    properties: {
      caller_id_name: { type: 'string', maxLength: 128, default: '' },
      caller_id_number: { type: 'string', maxLength: 64, default: '' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    call.callerId = {
      ...call.callerId,
      ...(data.caller_id_name ? { name: data.caller_id_name } : {}),
      ...(data.caller_id_number ? { number: data.caller_id_number } : {}),
    };
    return next();
  },
};
