// Shared endpoint building for the bridging modules (device, user, ring_group, resources), after Kazoo's
// kz_endpoint / cf_ring_group / cf_util:handle_bridge_failure. Modules turn callflow data into `Endpoint`s here,
// dial them through `call.dial`, and map the result onto the executor's failure keys with `bridgeOutcome`.

import { mediaReference } from '../../call/media-source.js';
import { safeHeaders } from '../../call/sip-headers.js';
import {
  causeFromSipCode,
  type CallerId,
  type DialOptions,
  type DialResult,
  type DialStatus,
  type Endpoint,
  type HangupCause,
} from '../../call/types.js';
import type { DeviceDoc } from '../../store/types.js';
import { next, stop, type CallflowServices, type ModuleContext, type ModuleOutcome } from '../types.js';

/** Kazoo's ?DEFAULT_TIMEOUT_S: ring time when the callflow gives none (or 0). */
export const DEFAULT_RING_TIMEOUT_S = 20;

/** What suppress_clid presents to the callee. */
export const ANONYMOUS: CallerId = { name: 'Anonymous', number: 'anonymous' };

/** What endpoint building needs: the call, the store and a logger (the Pivot session uses it too). */
export type EndpointContext = Pick<ModuleContext, 'call' | 'log'> & { services: Pick<CallflowServices, 'store'> };
type Ctx = EndpointContext;

// ---- small readers for open (Kazoo) documents ---------------------------------------------------------------

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s !== '') : [];
}

export function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  return undefined;
}

/** Seconds (Kazoo's unit) to milliseconds, dropping non-positive values. */
export function positiveMs(seconds: unknown): number | undefined {
  const s = int(seconds);
  return s !== undefined && s > 0 ? s * 1000 : undefined;
}

// ---- who is calling ----------------------------------------------------------------------------------------

/** The device and user the call came from, when it came from a registered device of this account. */
export interface CallerIdentity {
  deviceId?: string;
  ownerId?: string;
  device?: DeviceDoc;
}

export async function callerIdentity({ call, services }: Ctx): Promise<CallerIdentity> {
  const deviceId = call.vars.get('device_id') || undefined;
  let ownerId = call.vars.get('owner_id') || undefined;
  const device = deviceId ? await services.store.devices.get(call.accountId, deviceId) : undefined;
  ownerId ??= str(device?.owner_id);
  return { deviceId, ownerId, device };
}

/**
 * Caller ID for a dial, as Kazoo's kz_attributes:caller_id does for a call from a device: the calling device's
 * `caller_id.<type>`, else its owner's, else the account's. Calls from outside keep their own caller ID
 * (undefined here: the dial uses the call's). Internal vs external is a simplification: `type` only picks the key.
 */
export async function configuredCallerId(
  ctx: Ctx,
  caller: CallerIdentity,
  type: string,
): Promise<CallerId | undefined> {
  if (!caller.deviceId) return undefined;
  const { call, services } = ctx;
  const pick = (doc: Record<string, unknown> | undefined): CallerId | undefined => {
    const entry = obj(obj(doc?.caller_id)?.[type]);
    const number = str(entry?.number);
    const name = str(entry?.name);
    return number || name ? { ...(number ? { number } : {}), ...(name ? { name } : {}) } : undefined;
  };
  const owner = caller.ownerId ? await services.store.users.get(call.accountId, caller.ownerId) : undefined;
  const account = await services.store.accounts.get(call.accountId);
  const found = [pick(caller.device), pick(owner), pick(account)].filter((c): c is CallerId => !!c);
  if (!found.length) return undefined;
  // The first with a number wins; a name-only entry above it still lends its name.
  const withNumber = found.find((c) => c.number);
  const name = found.find((c) => c.name)?.name ?? call.callerId.name;
  return { number: withNumber?.number ?? call.callerId.number, ...(name ? { name } : {}) };
}

// ---- headers -----------------------------------------------------------------------------------------------

/**
 * `custom_sip_headers`: a flat object of header → value, or Kazoo's `{in, out}` form (only `out`, towards the
 * endpoint, applies to a dial). Non-string values are stringified; objects are ignored, and so are headers that
 * are not safe to send (reserved names, line breaks in values — see src/call/sip-headers.ts).
 */
export function customHeaders(value: unknown): Record<string, string> {
  const o = obj(value);
  if (!o) return {};
  const source = obj(o.out) ?? (obj(o.in) ? {} : o);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v === 'string') headers[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') headers[k] = String(v);
  }
  return safeHeaders(headers).headers;
}

export const customSipHeadersSchema = {
  type: 'object',
  description: 'SIP headers to add to the dialled legs (header name → value)',
  additionalProperties: { type: ['string', 'number', 'boolean', 'object'] },
};

// ---- building endpoints ------------------------------------------------------------------------------------

export type EndpointSource = 'device' | 'user' | 'ring_group';

export interface BuildOptions {
  source: EndpointSource;
  canCallSelf?: boolean;
  suppressClid?: boolean;
  /** Headers from the callflow data; they win over the device's own. */
  headers?: Record<string, string>;
  delayS?: number;
  timeoutS?: number;
}

/** Why a device produced no endpoint (for logs and tests). */
export type SkipReason =
  'not_found' | 'disabled' | 'endpoint_called_self' | 'owner_called_self' | 'do_not_disturb' | 'no_endpoints';

export type BuildResult = { endpoints: Endpoint[]; skipped?: SkipReason };

/**
 * A device document → its endpoints (kz_endpoint:build): nothing when disabled, in do-not-disturb, or the
 * caller's own device/user (unless `canCallSelf`); the device itself (a `sip` endpoint for `invite_format:
 * route` devices); plus a `number` endpoint when call forwarding is on (instead of the device when
 * `call_forward.substitute`; not for ring groups when `direct_calls_only`).
 */
export function deviceToEndpoints(device: DeviceDoc, caller: CallerIdentity, opts: BuildOptions): BuildResult {
  if (device.enabled === false) return { endpoints: [], skipped: 'disabled' };
  if (!opts.canCallSelf && caller.deviceId && caller.deviceId === device.id) {
    return { endpoints: [], skipped: 'endpoint_called_self' };
  }
  const owner = str(device.owner_id);
  if (!opts.canCallSelf && owner && caller.ownerId && owner === caller.ownerId) {
    return { endpoints: [], skipped: 'owner_called_self' };
  }
  if (obj(device.do_not_disturb)?.enabled === true) return { endpoints: [], skipped: 'do_not_disturb' };

  const headers = { ...customHeaders(device.custom_sip_headers), ...opts.headers };
  const common = {
    ...(positiveMs(opts.delayS) ? { delayMs: positiveMs(opts.delayS) } : {}),
    ...(positiveMs(opts.timeoutS) ? { timeoutMs: positiveMs(opts.timeoutS) } : {}),
    ...(opts.suppressClid ? { callerId: { ...ANONYMOUS } } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
  };

  const forward = obj(device.call_forward);
  const forwardNumber = str(forward?.number);
  const forwardOn =
    forward?.enabled === true &&
    !!forwardNumber &&
    !(forward.direct_calls_only === true && opts.source === 'ring_group');
  const endpoints: Endpoint[] = [];
  if (!(forwardOn && forward?.substitute === true)) {
    const sip = obj(device.sip);
    const route = str(sip?.route);
    if (sip?.invite_format === 'route' && route) {
      endpoints.push({ type: 'sip', uri: route, ...common });
    } else {
      endpoints.push({
        type: 'device',
        deviceId: device.id,
        ...(str(device.name) ? { name: device.name } : {}),
        ...common,
      });
    }
  }
  if (forwardOn) endpoints.push({ type: 'number', number: forwardNumber!, ...common });
  return endpoints.length ? { endpoints } : { endpoints, skipped: 'no_endpoints' };
}

export async function deviceEndpoints(
  ctx: Ctx,
  deviceId: string,
  caller: CallerIdentity,
  opts: BuildOptions,
): Promise<BuildResult> {
  const device = await ctx.services.store.devices.get(ctx.call.accountId, deviceId);
  if (!device) return { endpoints: [], skipped: 'not_found' };
  const result = deviceToEndpoints(device, caller, opts);
  if (result.skipped)
    ctx.log.debug({ call_id: ctx.call.id, device_id: deviceId, reason: result.skipped }, 'device not dialled');
  return result;
}

/** Every device a user owns (kz_endpoints:by_owner_id), in the order they were created. */
export async function userEndpoints(
  ctx: Ctx,
  userId: string,
  caller: CallerIdentity,
  opts: BuildOptions,
): Promise<BuildResult> {
  const { call, services } = ctx;
  const user = await services.store.users.get(call.accountId, userId);
  if (!user) return { endpoints: [], skipped: 'not_found' };
  if (user.enabled === false) return { endpoints: [], skipped: 'disabled' };
  const devices = await services.store.devices.listByOwner(call.accountId, userId);
  const endpoints = devices.flatMap((d) => deviceToEndpoints(d, caller, opts).endpoints);
  return endpoints.length ? { endpoints } : { endpoints, skipped: 'no_endpoints' };
}

// ---- ring group members ------------------------------------------------------------------------------------

export interface GroupMember {
  id: string;
  endpoint_type?: 'device' | 'user' | 'group';
  delay?: number;
  timeout?: number;
  weight?: number;
}

/** One device to ring, resolved from a ring group member (a user member yields one per device). */
export interface ResolvedMember {
  deviceId: string;
  delay: number;
  timeout: number;
  weight: number;
}

/**
 * cf_ring_group:resolve_endpoint_ids: members in order, users expanded into their devices, duplicates (same
 * device, delay and timeout) dropped, the caller's own device left out. Plain id strings (the Kazoo doc
 * example) are looked up as a device, then a user. Groups have no store yet and are skipped with a warning.
 */
export async function resolveGroupMembers(
  ctx: Ctx,
  members: (GroupMember | string)[],
  caller: CallerIdentity,
): Promise<ResolvedMember[]> {
  const { call, services, log } = ctx;
  const out: ResolvedMember[] = [];
  const add = (m: ResolvedMember): void => {
    if (caller.deviceId && m.deviceId === caller.deviceId) return;
    if (out.some((o) => o.deviceId === m.deviceId && o.delay === m.delay && o.timeout === m.timeout)) return;
    out.push(m);
  };
  for (const raw of members) {
    const member: GroupMember = typeof raw === 'string' ? { id: raw } : raw;
    if (!member.id) continue;
    const delay = Math.max(0, int(member.delay) ?? 0);
    const timeout = int(member.timeout) ?? DEFAULT_RING_TIMEOUT_S;
    const weight = Math.min(100, Math.max(1, int(member.weight) ?? 20));
    let type = member.endpoint_type;
    if (!type) {
      if (await services.store.devices.get(call.accountId, member.id)) type = 'device';
      else if (await services.store.users.get(call.accountId, member.id)) type = 'user';
    }
    if (type === 'device') {
      add({ deviceId: member.id, delay, timeout, weight });
    } else if (type === 'user') {
      for (const d of await services.store.devices.listByOwner(call.accountId, member.id)) {
        add({ deviceId: d.id, delay, timeout, weight });
      }
    } else {
      log.warn({ call_id: call.id, member: member.id, type: type ?? 'unknown' }, 'ring group member skipped');
    }
  }
  return out;
}

/**
 * Kazoo's weighted_random ordering: repeatedly draw one item with probability proportional to its weight.
 * `random` returns a number in [0, 1) (Math.random by default; injectable for tests).
 */
export function weightedRandomOrder<T extends { weight: number }>(items: T[], random: () => number = Math.random): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (pool.length) {
    const total = pool.reduce((s, i) => s + i.weight, 0);
    let r = random() * total;
    let idx = pool.findIndex((i) => (r -= i.weight) < 0);
    if (idx < 0) idx = pool.length - 1;
    out.push(...pool.splice(idx, 1));
  }
  return out;
}

// ---- ringback ----------------------------------------------------------------------------------------------

/** A `ringback` media reference (media id, URL, tone_stream) → what the caller hears while the callee rings. */
export function ringbackFor(ref: string | undefined, fallback: 'early-media' | 'tone'): DialOptions['ringback'] {
  if (!ref) return fallback;
  const media = mediaReference(ref);
  return 'say' in media ? fallback : media;
}

// ---- the outcome of a bridge -------------------------------------------------------------------------------

const STATUS_CAUSE: Partial<Record<DialStatus, HangupCause>> = {
  busy: 'USER_BUSY',
  'no-answer': 'NO_ANSWER',
  failed: 'NORMAL_TEMPORARY_FAILURE',
  canceled: 'ORIGINATOR_CANCEL',
};

/** The failure keys of a dial that did not bridge, in cf_util:handle_bridge_failure's order: cause, then code. */
export function failureKeys(result: DialResult): string[] {
  const cause =
    result.cause ??
    (result.sipCode && result.sipCode >= 300 ? causeFromSipCode(result.sipCode) : STATUS_CAUSE[result.status]);
  const keys: string[] = [];
  if (cause) keys.push(cause);
  if (result.sipCode && result.sipCode >= 300) keys.push(`sip:${result.sipCode}`);
  return keys;
}

/**
 * A bridged call is over when the bridge ends: stop (Kazoo's cf_exe:stop). A caller who gave up (487 /
 * ORIGINATOR_CANCEL) stops too. Any other failure goes to the first child among its cause (`USER_BUSY`,
 * `NO_ANSWER`, `CALL_REJECTED`…) and `sip:<code>`, else `_`.
 */
export function bridgeOutcome(result: DialResult): ModuleOutcome {
  if (result.bridged || result.status === 'completed' || result.status === 'answered') return stop;
  if (result.status === 'canceled' || result.sipCode === 487) return stop;
  return next(...failureKeys(result));
}

/** True when the node has a child for one of the failure keys (ring_group stops repeating then). */
export function hasFailureChild(ctx: Pick<ModuleContext, 'node'>, result: DialResult): boolean {
  return failureKeys(result).some((k) => !!ctx.node.children?.[k]);
}

/** The data device and user share (Kazoo's callflows.device / callflows.user). */
export interface OwnedDialData {
  id?: string;
  timeout: number;
  delay: number;
  can_call_self?: boolean;
  suppress_clid?: boolean;
  custom_sip_headers?: Record<string, unknown>;
}

/**
 * Ring one device, or all of a user's devices, and map the result onto failure keys: the body of the device and
 * user modules, which differ only in how endpoints are found and in strategy and ringback.
 */
export async function dialOwned(
  ctx: ModuleContext<OwnedDialData>,
  source: 'device' | 'user',
  dial: Pick<DialOptions, 'strategy' | 'ringback' | 'failOnSingleReject'>,
): Promise<ModuleOutcome> {
  const { call, data, log } = ctx;
  if (!data.id) {
    log.warn({ call_id: call.id }, `${source} module without an id`);
    return next();
  }
  const caller = await callerIdentity(ctx);
  const build = source === 'device' ? deviceEndpoints : userEndpoints;
  const { endpoints, skipped } = await build(ctx, data.id, caller, {
    source,
    canCallSelf: data.can_call_self === true,
    suppressClid: data.suppress_clid === true,
    headers: customHeaders(data.custom_sip_headers),
    delayS: data.delay,
    timeoutS: data.timeout,
  });
  if (!endpoints.length) {
    log.info({ call_id: call.id, [`${source}_id`]: data.id, reason: skipped }, `no endpoint to dial for ${source}`);
    return next();
  }
  const callerId = await configuredCallerId(ctx, caller, 'internal');
  return bridgeOutcome(
    await call.dial({
      ...dial,
      endpoints,
      timeoutMs: (data.timeout > 0 ? data.timeout : DEFAULT_RING_TIMEOUT_S) * 1000,
      answerOnBridge: true,
      ...(callerId && !data.suppress_clid ? { callerId } : {}),
    }),
  );
}
