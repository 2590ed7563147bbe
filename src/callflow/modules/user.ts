import type { DialOptions } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';
import {
  DEFAULT_RING_TIMEOUT_S,
  bridgeOutcome,
  callerIdentity,
  configuredCallerId,
  customHeaders,
  customSipHeadersSchema,
  userEndpoints,
} from './_endpoints.js';

interface UserData {
  id?: string;
  timeout: number;
  delay: number;
  strategy: 'simultaneous' | 'single';
  fail_on_single_reject?: boolean;
  can_call_self?: boolean;
  can_text_self?: boolean;
  static_invite?: string;
  suppress_clid?: boolean;
  custom_sip_headers?: Record<string, unknown>;
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
    const { call, data, log } = ctx;
    if (!data.id) {
      log.warn({ call_id: call.id }, 'user module without an id');
      return next();
    }
    const caller = await callerIdentity(ctx);
    const { endpoints, skipped } = await userEndpoints(ctx, data.id, caller, {
      source: 'user',
      canCallSelf: data.can_call_self === true,
      suppressClid: data.suppress_clid === true,
      headers: customHeaders(data.custom_sip_headers),
      delayS: data.delay,
      timeoutS: data.timeout,
    });
    if (!endpoints.length) {
      log.info({ call_id: call.id, user_id: data.id, reason: skipped }, 'user has no endpoint to dial');
      return next();
    }
    const callerId = await configuredCallerId(ctx, caller, 'internal');
    const request: DialOptions = {
      endpoints,
      strategy: data.strategy,
      timeoutMs: (data.timeout > 0 ? data.timeout : DEFAULT_RING_TIMEOUT_S) * 1000,
      answerOnBridge: true,
      // cf_user ignores early media when ringing devices simultaneously: the caller hears a ringback tone.
      ringback: data.strategy === 'simultaneous' ? 'tone' : 'early-media',
      ...(data.fail_on_single_reject !== undefined ? { failOnSingleReject: data.fail_on_single_reject } : {}),
      ...(callerId && !data.suppress_clid ? { callerId } : {}),
    };
    return bridgeOutcome(await call.dial(request));
  },
};
