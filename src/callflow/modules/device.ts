import type { DialOptions } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';
import {
  DEFAULT_RING_TIMEOUT_S,
  bridgeOutcome,
  callerIdentity,
  configuredCallerId,
  customHeaders,
  customSipHeadersSchema,
  deviceEndpoints,
} from './_endpoints.js';

interface DeviceData {
  id?: string;
  timeout: number;
  delay: number;
  dial_strategy: 'simultaneous' | 'single';
  can_call_self?: boolean;
  can_text_self?: boolean;
  static_invite?: string;
  suppress_clid?: boolean;
  custom_sip_headers?: Record<string, unknown>;
}

export const device: CallflowModule<DeviceData> = {
  name: 'device',
  description: 'Ring one device; on failure take the sip:<code> or cause child, else _.',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 128, description: 'Device id' },
      timeout: { type: 'integer', minimum: 0, default: 0, description: 'Seconds to ring (0: 20 s)' },
      delay: { type: 'integer', minimum: 0, default: 0, description: 'Seconds to wait before ringing' },
      dial_strategy: { type: 'string', enum: ['simultaneous', 'single'], default: 'simultaneous' },
      can_call_self: { type: 'boolean', description: 'Allow calling the device (or user) the call came from' },
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
      log.warn({ call_id: call.id }, 'device module without an id');
      return next();
    }
    const caller = await callerIdentity(ctx);
    const { endpoints, skipped } = await deviceEndpoints(ctx, data.id, caller, {
      source: 'device',
      canCallSelf: data.can_call_self === true,
      suppressClid: data.suppress_clid === true,
      headers: customHeaders(data.custom_sip_headers),
      delayS: data.delay,
      timeoutS: data.timeout,
    });
    if (!endpoints.length) {
      log.info({ call_id: call.id, device_id: data.id, reason: skipped }, 'no endpoint to dial for device');
      return next();
    }
    const callerId = await configuredCallerId(ctx, caller, 'internal');
    const request: DialOptions = {
      endpoints,
      strategy: data.dial_strategy,
      timeoutMs: (data.timeout > 0 ? data.timeout : DEFAULT_RING_TIMEOUT_S) * 1000,
      answerOnBridge: true,
      ringback: 'early-media',
      ...(callerId && !data.suppress_clid ? { callerId } : {}),
    };
    return bridgeOutcome(await call.dial(request));
  },
};
