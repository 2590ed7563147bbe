// Branches on the caller ID number: `match`/`nomatch` against `regex`, or with `use_absolute_mode` the child keyed by
// the number itself; else `_`. Taking a matching child may rewrite the caller ID (and owner) as configured.

import type { Call } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';
import { compileRegex } from './_regex.js';

interface CheckCidData {
  regex: string;
  use_absolute_mode: boolean;
  caller_id?: { external?: { name?: string; number?: string } };
  user_id?: string;
}

export const check_cid: CallflowModule<CheckCidData> = {
  name: 'check_cid',
  description: 'Branch on the caller ID number (regex match, or one child per number).',
  schema: {
    type: 'object',
    properties: {
      regex: { type: 'string', minLength: 1, default: '.*' },
      use_absolute_mode: { type: 'boolean', default: false, description: 'Branch to the child named by the number' },
      caller_id: {
        type: 'object',
        properties: {
          external: {
            type: 'object',
            properties: { name: { type: 'string' }, number: { type: 'string' } },
          },
        },
      },
      user_id: { type: 'string', description: 'Owner id to set on a match' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, node, log }) {
    const number = call.callerId.number ?? '';
    const regex = compileRegex(data.regex);
    if (!regex) log.warn({ call_id: call.id, regex: data.regex }, 'check_cid: invalid regex; treated as no match');
    if (!regex?.test(number)) return next('nomatch');
    const key = data.use_absolute_mode ? number : 'match';
    if (!node.children?.[key]) return next();
    rewriteIdentity(call, data);
    return next(key);
  },
};

function rewriteIdentity(call: Call, data: CheckCidData): void {
  const { name, number } = data.caller_id?.external ?? {};
  if (name || number) {
    call.callerId = { ...call.callerId, ...(name ? { name } : {}), ...(number ? { number } : {}) };
  }
  if (data.user_id) call.vars.set('owner_id', data.user_id);
}
