// Where a dialled endpoint really goes: a device → every contact it registered (sent to the address the REGISTER
// came from, which is what works behind NAT); a SIP URI → itself; a number → the account's carrier trunks
// (`resources`, Kazoo's shape: gateways with server, port, transport, credentials, prefix/suffix) in weight
// order, or — when no trunk takes it and the number is one of Pivot's own — back into Pivot itself.

import type { Registrar } from '../sip/registrar.js';
import type { TransportAddress, TransportProtocol } from '../sip/transport.js';
import { formatUri, parseUri } from '../sip/uri.js';
import type { NamedFields, Store, Stored } from '../store/types.js';
import { isE164, toE164 } from './numbers.js';
import type { Endpoint } from './types.js';

/** One INVITE to send for an endpoint. */
export interface SipTarget {
  uri: string;
  /** Send here instead of resolving the URI. */
  dest?: TransportAddress;
  auth?: { username: string; password: string };
  /** From host (a trunk's realm); default the stack's address. */
  fromHost?: string;
  /** What to call it in logs and timelines: `device demo`, `trunk acme (gw 1)`. */
  label: string;
}

/**
 * A device's contacts all ring at once; a number's trunks are tried one after the other (`failover`): the next
 * only when the previous one failed with something other than busy or declined.
 */
export type TargetResolution =
  { ok: true; targets: SipTarget[]; failover?: boolean } | { ok: false; status: number; reason: string };

export type ResolveTargets = (accountId: string, endpoint: Endpoint) => Promise<TargetResolution>;

/** The `user@realm` a target URI calls (`fallback` as the user when the URI has none or does not parse). */
export function identityOfUri(uri: string, fallback = ''): { user: string; realm: string } {
  try {
    const u = parseUri(uri);
    return { user: u.user ?? fallback, realm: u.host };
  } catch {
    return { user: fallback || uri, realm: '' };
  }
}

const fail = (status: number, reason: string): TargetResolution => ({ ok: false, status, reason });

export interface TargetDeps {
  store: Store;
  registrar: Registrar;
  /** Pivot's own SIP address, for numbers that belong to an account of this server. */
  self: () => TransportAddress | undefined;
}

export function targetResolver(deps: TargetDeps): ResolveTargets {
  return async (accountId, endpoint) => {
    switch (endpoint.type) {
      case 'sip':
        return {
          ok: true,
          targets: [
            {
              uri: endpoint.uri,
              label: endpoint.uri,
              ...(endpoint.username && endpoint.password
                ? { auth: { username: endpoint.username, password: endpoint.password } }
                : {}),
            },
          ],
        };
      case 'device':
        return deviceTargets(deps, accountId, endpoint.deviceId);
      case 'number':
        return numberTargets(deps, accountId, endpoint.number, endpoint.resourceId);
    }
  };
}

async function deviceTargets(deps: TargetDeps, accountId: string, deviceId: string): Promise<TargetResolution> {
  const device = await deps.store.devices.get(accountId, deviceId);
  if (!device) return fail(404, `Not Found (no device ${deviceId})`);
  if (device.enabled === false) return fail(403, `Forbidden (device ${device.name ?? deviceId} is disabled)`);
  const bindings = deps.registrar.bindings(accountId, deviceId);
  if (!bindings.length) {
    return fail(480, `Temporarily Unavailable (device ${device.name ?? deviceId} is not registered)`);
  }
  return {
    ok: true,
    targets: bindings.map((b) => ({
      uri: formatUri(b.uri),
      dest: {
        protocol: b.source.protocol as TransportProtocol,
        address: b.source.address,
        port: b.source.port,
        ...(b.source.connectionId ? { connectionId: b.source.connectionId } : {}),
      },
      label: `device ${String(device.name ?? b.username)}`,
    })),
  };
}

/** A carrier gateway in a resource document (Kazoo's `gateways[]`). */
interface Gateway {
  server?: string;
  port?: number | string;
  transport?: string;
  username?: string;
  password?: string;
  realm?: string;
  prefix?: string;
  suffix?: string;
  enabled?: boolean;
}

/**
 * How a trunk wants numbers written: `e164` (+14155550100, the default), `e164_no_plus` (14155550100), `npan`
 * (4155550100 — North American 10 digits), `1npan` (14155550100 for NANP only). Anything not E.164 is sent as is.
 */
export function formatNumber(number: string, format: unknown): string {
  const e164 = toE164(number);
  if (!e164) return number;
  const digits = e164.slice(1);
  switch (format) {
    case 'e164_no_plus':
      return digits;
    case 'npan':
      return digits.startsWith('1') && digits.length === 11 ? digits.slice(1) : digits;
    case '1npan':
      return digits.startsWith('1') && digits.length === 11 ? digits : e164;
    default:
      return e164;
  }
}

/** A resource's `rules` (or `cid_rules`): regular expressions; none means any value passes. */
export function matchesRules(rules: unknown, value: string): boolean {
  const list = Array.isArray(rules) ? rules.filter((r): r is string => typeof r === 'string' && r !== '') : [];
  if (!list.length) return true;
  return list.some((rule) => {
    try {
      return new RegExp(rule).test(value);
    } catch {
      return false;
    }
  });
}

/** stepswitch's order: lower `weight_cost` first (1-100, 50 when unset). */
export function trunkWeight(r: Stored<NamedFields>): number {
  const w = Number(r.weight_cost);
  return Number.isFinite(w) ? Math.min(100, Math.max(1, Math.trunc(w))) : 50;
}

function gatewayTargets(resource: Stored<NamedFields>, number: string): SipTarget[] {
  const gateways = (Array.isArray(resource.gateways) ? resource.gateways : []) as Gateway[];
  const out: SipTarget[] = [];
  gateways.forEach((gw, i) => {
    if (!gw || typeof gw.server !== 'string' || !gw.server || gw.enabled === false) return;
    const transport = String(gw.transport ?? 'udp').toLowerCase() === 'tcp' ? 'tcp' : 'udp';
    const port = Number(gw.port) > 0 ? Number(gw.port) : undefined;
    const user = `${gw.prefix ?? ''}${formatNumber(number, resource.number_format)}${gw.suffix ?? ''}`;
    const host = gw.server.includes(':') && !gw.server.startsWith('[') ? `[${gw.server}]` : gw.server;
    out.push({
      uri: `sip:${user}@${host}${port ? `:${port}` : ''}${transport === 'tcp' ? ';transport=tcp' : ''}`,
      ...(gw.username && gw.password ? { auth: { username: gw.username, password: gw.password } } : {}),
      ...(gw.realm ? { fromHost: gw.realm } : {}),
      label: `trunk ${String(resource.name ?? resource.id)} (gateway ${i + 1})`,
    });
  });
  return out;
}

async function numberTargets(
  deps: TargetDeps,
  accountId: string,
  raw: string,
  resourceId?: string,
): Promise<TargetResolution> {
  const number = raw.trim();
  if (resourceId) {
    const resource = await deps.store.resources.get(accountId, resourceId);
    if (!resource || resource.enabled === false) return fail(404, `Not Found (no carrier resource ${resourceId})`);
    const targets = gatewayTargets(resource, number);
    return targets.length
      ? { ok: true, targets, failover: true }
      : fail(503, `Service Unavailable (resource ${resourceId} has no gateway)`);
  }
  const all = (await deps.store.resources.list(accountId)).items;
  const usable = all
    .filter((r) => r.enabled !== false && matchesRules(r.rules, number))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => trunkWeight(a.r) - trunkWeight(b.r) || a.i - b.i)
    .flatMap(({ r }) => gatewayTargets(r, number));
  if (usable.length) return { ok: true, targets: usable, failover: true };
  // A number of this server: loop it through Pivot's own SIP address, so it is routed like any inbound call.
  const e164 = toE164(number);
  const self = deps.self();
  if (e164 && isE164(e164) && self && (await deps.store.phoneNumbers.get(e164))) {
    return { ok: true, targets: [{ uri: `sip:${e164}@${self.address}:${self.port}`, dest: self, label: 'pivot' }] };
  }
  return fail(404, `Not Found (no carrier resource can dial ${number})`);
}
