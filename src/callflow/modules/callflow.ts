// Branches into another stored callflow of the account (`id`); the current `_` child runs after it ends. A missing
// callflow is logged and the flow continues to `_`.

import { next, type CallflowModule, type FlowNode } from '../types.js';

export const callflow: CallflowModule<{ id?: string }> = {
  name: 'callflow',
  description: 'Continue in another callflow, then come back to this one.',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, description: 'Callflow id' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, services, log }) {
    const doc = data.id ? await services.store.callflows.get(call.accountId, data.id) : undefined;
    if (!doc?.flow) {
      log.warn({ call_id: call.id, callflow_id: data.id }, 'callflow to branch to not found');
      return next();
    }
    return { branch: doc.flow as FlowNode };
  },
};
