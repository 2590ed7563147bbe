import type { CallflowModule } from '../types.js';
import { DEFAULT_RING_TIMEOUT_S, customSipHeadersSchema, dialOwned, type OwnedDialData } from './_endpoints.js';

interface UserData extends OwnedDialData {
  strategy: 'simultaneous' | 'single';
  fail_on_single_reject?: boolean;
  can_text_self?: boolean;
  static_invite?: string;
}

export const user: CallflowModule<UserData> = {
  name: 'user',
  description: "Ring all of a user's devices; on failure take the sip:<code> or cause child, else _.",
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 128, description: 'User id' },
      timeout: { type: 'integer', minimum: 0, default: DEFAULT_RING_TIMEOUT_S, description: 'Seconds to ring' },
      delay: { type: 'integer', minimum: 0, default: 0, description: 'Seconds to wait before ringing' },
      strategy: { type: 'string', enum: ['simultaneous', 'single'], default: 'simultaneous' },
      fail_on_single_reject: {
        type: 'boolean',
        description: 'If any device rejects the call, stop ringing the others',
      },
      can_call_self: { type: 'boolean', description: "Allow the user's own devices to call each other" },
      can_text_self: { type: 'boolean' },
      static_invite: { type: 'string', description: 'Override the SIP username (not applied yet)' },
      suppress_clid: { type: 'boolean', description: 'Present the caller as anonymous' },
      custom_sip_headers: customSipHeadersSchema,
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { strategy, fail_on_single_reject } = ctx.data;
    return dialOwned(ctx, 'user', {
      strategy,
      // cf_user ignores early media when ringing devices simultaneously: the caller hears a ringback tone.
      ringback: strategy === 'simultaneous' ? 'tone' : 'early-media',
      ...(fail_on_single_reject !== undefined ? { failOnSingleReject: fail_on_single_reject } : {}),
    });
  },
};
