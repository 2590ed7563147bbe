import { toE164 } from '../../call/numbers.js';
import { matchesRules, trunkWeight } from '../../call/targets.js';
import type { Call, Endpoint } from '../../call/types.js';
import type { NamedFields, Stored } from '../../store/types.js';
import type { DialOptions } from '../../call/types.js';
import { next, type CallflowModule, type ModuleContext } from '../types.js';
import {
  bridgeOutcome,
  callerIdentity,
  configuredCallerId,
  customHeaders,
  customSipHeadersSchema,
  ringbackFor,
  strings,
} from './_endpoints.js';

interface ResourcesData {
  to_did?: string;
  use_local_resources: boolean;
  hunt_account_id?: string;
  outbound_flags: string[];
  dynamic_flags?: string[];
  caller_id_type: string;
  timeout?: number;
  ringback?: string;
  ignore_early_media: boolean;
  bypass_e164?: boolean;
  do_not_normalize?: boolean;
  format_from_uri?: boolean;
  from_uri_realm?: string;
  emit_account_id?: boolean;
  custom_sip_headers?: Record<string, unknown>;
  resource_type?: string;
}

/** Ring time per carrier when the callflow gives none (FreeSWITCH's call_timeout). */
export const DEFAULT_RESOURCE_TIMEOUT_S = 60;

export const resources: CallflowModule<ResourcesData> = {
  name: 'resources',
  description: "Call out through the account's carrier resources, cheapest first.",
  schema: {
    type: 'object',
    properties: {
      to_did: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'Number to dial instead of the one dialled',
      },
      use_local_resources: { type: 'boolean', default: true, description: "Use the account's own carriers" },
      hunt_account_id: { type: 'string', description: "Use this (parent) account's carriers" },
      outbound_flags: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'Flags carriers must have',
      },
      dynamic_flags: { type: 'array', items: { type: 'string' }, description: 'Call variables whose values are flags' },
      caller_id_type: { type: 'string', default: 'external', description: 'Which caller_id entry to present' },
      timeout: { type: 'integer', minimum: 1, description: 'Seconds to wait for an answer' },
      ringback: { type: 'string', description: 'Media id, URL or tone the caller hears while it rings' },
      ignore_early_media: { type: 'boolean', default: false },
      bypass_e164: { type: 'boolean', description: 'Dial the number as is instead of normalising it to E.164' },
      do_not_normalize: { type: 'boolean', description: 'Dial the number as is instead of normalising it' },
      format_from_uri: { type: 'boolean', description: 'Put the account realm in the From header (not applied yet)' },
      from_uri_realm: { type: 'string', description: 'Override the From realm (not applied yet)' },
      emit_account_id: { type: 'boolean', description: 'Send the account id in an X-Account-ID header' },
      custom_sip_headers: customSipHeadersSchema,
      resource_type: { type: 'string', description: 'Resource type (audio)' },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { call, data, services, log } = ctx;
    const number = dialledNumber(call, data);
    const accountId = await huntAccount(ctx);
    const flags = [...data.outbound_flags, ...dynamicFlags(call, data.dynamic_flags)];
    const all = (await services.store.resources.list(accountId)).items;
    const usable = all
      .filter((r) => r.enabled !== false)
      .filter((r) => flagsMatch(r, flags))
      .filter((r) => matchesRules(r.rules, number) && matchesRules(r.cid_rules, call.callerId.number ?? ''))
      .map((r, i) => ({ r, i, weight: trunkWeight(r) }))
      .sort((a, b) => a.weight - b.weight || a.i - b.i)
      .map(({ r }) => r);
    if (!usable.length) {
      log.info({ call_id: call.id, number, flags, resources: all.length }, 'no carrier resource can take the call');
      return next('NO_ROUTE_DESTINATION');
    }

    const headers = {
      ...customHeaders(data.custom_sip_headers),
      ...(data.emit_account_id ? { 'X-Account-ID': call.accountId } : {}),
    };
    const timeoutMs = (data.timeout ?? DEFAULT_RESOURCE_TIMEOUT_S) * 1000;
    const endpoints = usable.map((r): Endpoint => ({
      type: 'number',
      number,
      resourceId: r.id,
      ...(data.timeout ? { timeoutMs } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
    }));
    const callerId = await configuredCallerId(ctx, await callerIdentity(ctx), data.caller_id_type);
    const request: DialOptions = {
      endpoints,
      strategy: 'single',
      timeoutMs,
      answerOnBridge: true,
      ringback: ringbackFor(data.ringback, data.ignore_early_media ? 'tone' : 'early-media'),
      ...(callerId ? { callerId } : {}),
    };
    return bridgeOutcome(await call.dial(request));
  },
};

/** `to_did`, else the number dialled; normalised to E.164 unless `bypass_e164` / `do_not_normalize`. */
export function dialledNumber(
  call: Call,
  data: Pick<ResourcesData, 'to_did' | 'bypass_e164' | 'do_not_normalize'>,
): string {
  const raw = data.to_did ?? call.request.user;
  return data.bypass_e164 || data.do_not_normalize ? raw : e164OrSame(raw);
}

/**
 * The account whose carriers are hunted: the call's, or `hunt_account_id` when that account is the call's
 * own or one of its ancestors (a reseller) — never a sibling tenant. Global carriers are not modelled yet, so
 * `use_local_resources: false` hunts the account's carriers too.
 */
async function huntAccount({ call, data, services, log }: ModuleContext<ResourcesData>): Promise<string> {
  const hunt = data.use_local_resources === false ? undefined : data.hunt_account_id;
  if (!hunt || hunt === call.accountId) return call.accountId;
  if (await services.store.accounts.isDescendant(hunt, call.accountId)) return hunt;
  log.warn({ call_id: call.id, hunt_account_id: hunt }, 'hunt_account_id is not an ancestor of the account; ignored');
  return call.accountId;
}

/** stepswitch's filter_resources: every requested flag on the resource (`ignore_flags` takes any request). */
function flagsMatch(resource: Stored<NamedFields>, requested: string[]): boolean {
  if (!requested.length) return resource.require_flags !== true;
  if (resource.ignore_flags === true) return true;
  const has = strings(resource.flags);
  return requested.every((f) => has.includes(f));
}

/** `dynamic_flags` name call variables (custom channel vars, then application vars) whose values become flags. */
function dynamicFlags(call: Call, names: string[] | undefined): string[] {
  const out: string[] = [];
  for (const name of names ?? []) {
    const value = call.vars.get(name) ?? call.appVars.get(name);
    if (value) out.push(value);
  }
  return out;
}

/** E.164 when it is a phone number; anything else (a SIP URI, a name) as it was. */
function e164OrSame(input: string): string {
  return toE164(input) ?? input.trim();
}
