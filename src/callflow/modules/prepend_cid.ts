// Prepends prefixes to the caller ID name and number, or (`reset`) restores the caller ID they were added to. → `_`.
// Kazoo: `apply_to: current` stacks on the prefixes already added, `original` replaces them.

import type { Call, CallerId } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';

/** Private `call.vars` key holding the caller ID before any prefix and the prefixes added so far (JSON). */
export const PREPEND_CID_VAR = '_pivot_prepend_cid';

interface PrependState {
  name?: string;
  number?: string;
  namePrefix: string;
  numberPrefix: string;
}

interface PrependCidData {
  action: 'prepend' | 'reset';
  caller_id_name_prefix: string;
  caller_id_number_prefix: string;
  apply_to: 'current' | 'original';
}

export const prepend_cid: CallflowModule<PrependCidData> = {
  name: 'prepend_cid',
  description: 'Add a prefix to the caller ID name and number (or remove the prefixes again).',
  schema: {
    type: 'object',
    properties: {
      action: { type: 'string', enum: ['prepend', 'reset'], default: 'prepend' },
      caller_id_name_prefix: { type: 'string', maxLength: 64, default: '' },
      caller_id_number_prefix: { type: 'string', maxLength: 32, default: '' },
      apply_to: { type: 'string', enum: ['current', 'original'], default: 'current' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data }) {
    const saved = readState(call);
    // The caller ID the prefixes apply to: the saved one, unless set_cid replaced the caller ID since.
    const intact = saved && sameCid(call.callerId, applied(saved));
    const base: CallerId = intact ? { name: saved.name, number: saved.number } : { ...call.callerId };
    if (data.action === 'reset') {
      call.vars.delete(PREPEND_CID_VAR);
      call.callerId = base;
      return next();
    }
    const keep = data.apply_to === 'current' && saved;
    const state: PrependState = {
      name: base.name,
      number: base.number,
      namePrefix: data.caller_id_name_prefix + (keep ? saved.namePrefix : ''),
      numberPrefix: data.caller_id_number_prefix + (keep ? saved.numberPrefix : ''),
    };
    call.vars.set(PREPEND_CID_VAR, JSON.stringify(state));
    call.callerId = applied(state);
    return next();
  },
};

function readState(call: Call): PrependState | undefined {
  const raw = call.vars.get(PREPEND_CID_VAR);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PrependState;
  } catch {
    return undefined;
  }
}

function applied(s: PrependState): CallerId {
  return { name: s.namePrefix + (s.name ?? ''), number: s.numberPrefix + (s.number ?? '') };
}

function sameCid(a: CallerId, b: CallerId): boolean {
  return (a.name ?? '') === (b.name ?? '') && (a.number ?? '') === (b.number ?? '');
}
