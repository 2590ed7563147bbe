// Collects DTMF into a named collection (`call.dtmfCollections`, the `Digits` of the next Pivot request). → `_`.
// Kazoo: digits already buffered count first, cut at the first terminator; `terminators` wins over `terminator`.

import { next, type CallflowModule } from '../types.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '#', '*'];

interface CollectDtmfData {
  max_digits: number;
  timeout: number;
  interdigit_timeout: number;
  terminator: string;
  terminators?: string[];
  collection_name: string;
}

export const collect_dtmf: CallflowModule<CollectDtmfData> = {
  name: 'collect_dtmf',
  description: 'Collect DTMF digits into a named collection (sent to Pivot as Digits).',
  schema: {
    type: 'object',
    properties: {
      max_digits: { type: 'integer', minimum: 1, default: 1 },
      timeout: { type: 'integer', minimum: 1, default: 5000, description: 'Milliseconds to wait for the first digit' },
      interdigit_timeout: { type: 'integer', minimum: 1, default: 2000, description: 'Milliseconds between digits' },
      terminator: { type: 'string', enum: KEYS, default: '#' },
      terminators: { type: 'array', items: { type: 'string', enum: KEYS }, uniqueItems: true },
      collection_name: { type: 'string', minLength: 1, default: 'default' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, log }) {
    await call.answer();
    const result = await call.collect({
      maxDigits: data.max_digits,
      timeoutMs: data.timeout,
      interdigitMs: data.interdigit_timeout,
      terminators: (data.terminators ?? [data.terminator]).join(''),
    });
    if (result.reason === 'hangup' || result.reason === 'aborted' || result.reason === 'error') {
      log.debug({ call_id: call.id, reason: result.reason }, 'collect_dtmf ended without a collection');
    } else {
      call.dtmfCollections.set(data.collection_name, result.digits);
    }
    return next();
  },
};
