// Clears the call's DTMF buffer and the named DTMF collection, or every collection when no name is given. → `_`.

import { next, type CallflowModule } from '../types.js';

export const flush_dtmf: CallflowModule<{ collection_name?: string }> = {
  name: 'flush_dtmf',
  description: 'Discard buffered DTMF and a collection filled by collect_dtmf.',
  schema: {
    type: 'object',
    properties: {
      collection_name: { type: 'string', minLength: 1, description: 'Collection to clear (all when absent)' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    call.flushDtmf();
    if (data.collection_name) call.dtmfCollections.delete(data.collection_name);
    else call.dtmfCollections.clear();
    return next();
  },
};
