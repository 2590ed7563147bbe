// Branches to the child whose key equals a variable's value (booleans as "true"/"false"), else `_`: a call var, or
// a field of the account, calling device or its user. Kazoo matches names normalised (`Custom-Var` = `custom_var`).

import type { Call } from '../../call/types.js';
import type { Store } from '../../store/types.js';
import { next, type CallflowModule } from '../types.js';

type Scope = 'custom_channel_vars' | 'account' | 'device' | 'user' | 'merged';

interface BranchVariableData {
  variable: string;
  scope: Scope;
}

export const branch_variable: CallflowModule<BranchVariableData> = {
  name: 'branch_variable',
  description: "Branch on a variable's value (call variables, or an account, device or user field).",
  schema: {
    type: 'object',
    required: ['variable'],
    properties: {
      variable: { type: 'string', minLength: 1 },
      scope: {
        type: 'string',
        enum: ['custom_channel_vars', 'account', 'device', 'user', 'merged'],
        default: 'custom_channel_vars',
      },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, services, log }) {
    const docs = new Docs(services.store, call);
    let value: unknown;
    switch (data.scope) {
      case 'custom_channel_vars':
        value = callVar(call, data.variable);
        break;
      case 'account':
        value = field(await docs.account(), data.variable);
        break;
      case 'device':
        value = field(await docs.device(), data.variable);
        break;
      case 'user':
        value = field(await docs.user(), data.variable);
        break;
      case 'merged':
        for (const doc of [await docs.device(), await docs.user(), await docs.account()]) {
          value ??= field(doc, data.variable);
        }
        value ??= callVar(call, data.variable);
        break;
    }
    const key = asKey(value);
    log.debug({ call_id: call.id, variable: data.variable, scope: data.scope, value: key }, 'branch_variable');
    return key === undefined ? next() : next(key);
  },
};

const normalise = (key: string): string => key.toLowerCase().replace(/-/g, '_');

/** A channel var, else an application var; exact name first, then Kazoo's normalised form. */
function callVar(call: Call, name: string): string | undefined {
  for (const vars of [call.vars, call.appVars]) {
    if (vars.has(name)) return vars.get(name);
    for (const [key, value] of vars) if (normalise(key) === normalise(name)) return value;
  }
  return undefined;
}

/** A top-level field, else a dotted path (`caller_id.external.number`). */
function field(doc: Record<string, unknown> | undefined, path: string): unknown {
  if (!doc) return undefined;
  if (path in doc) return doc[path];
  let value: unknown = doc;
  for (const part of path.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function asKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * The documents of the scopes, loaded once. The calling device is the `device_id` channel var the routing layer sets
 * for a registered device (Kazoo's `authorizing_id` is accepted too), its user the device's `owner_id`.
 */
class Docs {
  private cache = new Map<string, Promise<Record<string, unknown> | undefined>>();

  constructor(
    private readonly store: Store,
    private readonly call: Call,
  ) {}

  private once(key: string, load: () => Promise<Record<string, unknown> | undefined>) {
    let doc = this.cache.get(key);
    if (!doc) this.cache.set(key, (doc = load()));
    return doc;
  }

  account() {
    return this.once('account', () => this.store.accounts.get(this.call.accountId));
  }

  device() {
    return this.once('device', async () => {
      const type = callVar(this.call, 'authorizing_type') ?? 'device';
      const kazooId = type === 'device' || type === 'mobile' ? callVar(this.call, 'authorizing_id') : undefined;
      const id = callVar(this.call, 'device_id') ?? kazooId;
      return id ? this.store.devices.get(this.call.accountId, id) : undefined;
    });
  }

  user() {
    return this.once('user', async () => {
      const owner = (await this.device())?.owner_id ?? callVar(this.call, 'owner_id');
      return typeof owner === 'string' ? this.store.users.get(this.call.accountId, owner) : undefined;
    });
  }
}
