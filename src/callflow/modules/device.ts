import type { CallflowModule } from '../types.js';
import { customSipHeadersSchema, dialOwned, type OwnedDialData } from './_endpoints.js';

interface DeviceData extends OwnedDialData {
  dial_strategy: 'simultaneous' | 'single';
  can_text_self?: boolean;
  static_invite?: string;
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
    return dialOwned(ctx, 'device', { strategy: ctx.data.dial_strategy, ringback: 'early-media' });
  },
};
