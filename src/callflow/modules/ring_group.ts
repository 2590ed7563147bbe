import type { Endpoint } from '../../call/types.js';
import type { DialOptions } from '../../call/types.js';
import { next, stop, type CallflowModule, type CallflowServices } from '../types.js';
import {
  DEFAULT_RING_TIMEOUT_S,
  bridgeOutcome,
  callerIdentity,
  configuredCallerId,
  deviceEndpoints,
  hasFailureChild,
  resolveGroupMembers,
  ringbackFor,
  weightedRandomOrder,
  type GroupMember,
  type ResolvedMember,
} from './_endpoints.js';

interface RingGroupData {
  endpoints: (GroupMember | string)[];
  strategy: 'simultaneous' | 'single' | 'weighted_random';
  timeout: number;
  repeats: number;
  ringback?: string;
  ringtones?: { internal?: string; external?: string };
  ignore_forward: boolean;
  fail_on_single_reject?: boolean;
}

/** Services may carry a random source (tests inject one to make weighted_random deterministic). */
type WithRandom = CallflowServices & { random?: () => number };

export const ring_group: CallflowModule<RingGroupData> = {
  name: 'ring_group',
  description: 'Ring several devices and users together, one by one, or in weighted random order.',
  schema: {
    type: 'object',
    required: ['endpoints'],
    properties: {
      endpoints: {
        type: 'array',
        minItems: 1,
        description: 'Members: {id, endpoint_type, delay, timeout, weight}, or a plain device/user id',
        // One schema for both forms (Ajv fills defaults only outside oneOf): string keywords apply to plain
        // ids, object keywords to {id, endpoint_type, …} members.
        items: {
          type: ['string', 'object'],
          minLength: 1,
          maxLength: 128,
          required: ['id', 'endpoint_type'],
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 128 },
            endpoint_type: { type: 'string', enum: ['device', 'user', 'group'] },
            delay: { type: 'integer', minimum: 0, default: 0, description: 'Seconds before this member rings' },
            timeout: { type: 'integer', minimum: 1, default: DEFAULT_RING_TIMEOUT_S, description: 'Seconds it rings' },
            weight: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
      },
      strategy: { type: 'string', enum: ['simultaneous', 'single', 'weighted_random'], default: 'simultaneous' },
      timeout: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_RING_TIMEOUT_S,
        description: 'Seconds to ring the group',
      },
      repeats: { type: 'integer', minimum: 1, default: 1, description: 'Times to ring the group while nobody answers' },
      ringback: { type: 'string', description: 'Media id, URL or tone the caller hears while members ring' },
      ringtones: {
        type: 'object',
        properties: { internal: { type: 'string' }, external: { type: 'string' } },
      },
      ignore_forward: { type: 'boolean', default: true, description: 'Ignore SIP redirects from members' },
      fail_on_single_reject: {
        type: 'boolean',
        description: 'If any member rejects the call, stop ringing the others',
      },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { call, data, services, log } = ctx;
    const caller = await callerIdentity(ctx);
    const random = (services as WithRandom).random ?? Math.random;
    const callerId = await configuredCallerId(ctx, caller, 'internal');
    // Kazoo's Override-Ringtone: internal for calls from a device of the account, external otherwise.
    const ringtone = caller.deviceId ? data.ringtones?.internal : data.ringtones?.external;
    const repeats = Math.max(1, data.repeats);

    for (let attempt = 1; attempt <= repeats; attempt++) {
      const members = order(await resolveGroupMembers(ctx, data.endpoints, caller), data.strategy, random);
      const endpoints: Endpoint[] = [];
      for (const m of members) {
        const built = await deviceEndpoints(ctx, m.deviceId, caller, {
          source: 'ring_group',
          delayS: m.delay,
          timeoutS: m.timeout,
          ...(ringtone ? { headers: { 'Alert-Info': ringtone } } : {}),
        });
        endpoints.push(...built.endpoints);
      }
      if (!endpoints.length) {
        log.info({ call_id: call.id }, 'ring group has no endpoints; continuing');
        return next();
      }
      const request: DialOptions = {
        endpoints,
        strategy: data.strategy === 'simultaneous' ? 'simultaneous' : 'single',
        timeoutMs: data.timeout * 1000,
        answerOnBridge: true,
        ringback: ringbackFor(data.ringback, 'tone'),
        ...(data.fail_on_single_reject !== undefined ? { failOnSingleReject: data.fail_on_single_reject } : {}),
        ...(callerId ? { callerId } : {}),
      };
      const result = await call.dial(request);
      const outcome = bridgeOutcome(result);
      if (!('next' in outcome) || call.state === 'ended') return stop;
      // A failure child handles it at once; otherwise ring the group again (cf_ring_group:repeat/4).
      if (hasFailureChild(ctx, result)) return outcome;
      log.debug({ call_id: call.id, attempt, repeats, status: result.status }, 'nobody answered the ring group');
    }
    return next();
  },
};

/** Simultaneous: by delay (Kazoo sorts on Endpoint-Delay); single: member order; weighted_random: weighted draw. */
function order(members: ResolvedMember[], strategy: RingGroupData['strategy'], random: () => number): ResolvedMember[] {
  if (strategy === 'weighted_random') return weightedRandomOrder(members, random);
  if (strategy === 'simultaneous') return [...members].sort((a, b) => a.delay - b.delay);
  return members;
}
