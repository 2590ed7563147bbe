// Sets custom application vars (`call.appVars`), sent to Pivot as Custom-Application-Vars; a null value removes
// one. `export` asks for them on bridged legs too (kept as data until dialing propagates app vars). → `_`.

import { next, type CallflowModule } from '../types.js';

interface SetVariablesData {
  custom_application_vars: Record<string, unknown>;
  export?: boolean;
}

export const set_variables: CallflowModule<SetVariablesData> = {
  name: 'set_variables',
  description: 'Set custom application variables (sent to Pivot as Custom-Application-Vars).',
  schema: {
    type: 'object',
    required: ['custom_application_vars'],
    properties: {
      custom_application_vars: { type: 'object', default: {} },
      export: { type: 'boolean', description: 'Also set them on legs bridged later' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, log }) {
    for (const [key, value] of Object.entries(data.custom_application_vars)) {
      if (value === null || value === undefined) call.appVars.delete(key);
      else call.appVars.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    log.debug({ call_id: call.id, export: !!data.export, vars: data.custom_application_vars }, 'set_variables');
    return next();
  },
};
