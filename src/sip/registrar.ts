// The registrar (RFC 3261 §10.3): REGISTER with digest auth against a device's credentials in its account's
// realm, bindings in memory with per-contact expiry, and registration events. It knows nothing about the store:
// credentials come through `lookupDevice` (and optionally `lookupRealm`); `storeLookups` adapts a store.
//
// Bindings are kept per device (an account's device is one AOR: `sip:<sip.username>@<realm>`), at most
// `maxContactsPerDevice` of them, each remembering the address and transport the REGISTER came from — behind
// NAT that, not the Contact, is where requests to the device must be sent — plus `+sip.instance` / `reg-id`
// (RFC 5626) and Path (RFC 3327) when present.

import { EventEmitter } from 'node:events';
import type { DigestServer, VerifyResult } from './digest.js';
import { callId, contacts, cseq, expiresOf, SipParseError, to, unquote, type NameAddr } from './headers.js';
import { newTag } from './ids.js';
import type { SipRequest, SipResponse } from './message.js';
import { createResponse } from './serialize.js';
import { realClock, type Clock, type Handle } from './timers.js';
import { parseUri, uriEquals, type SipUri } from './uri.js';

/** Where a REGISTER came from (a `TransportAddress` from ./transport.ts fits). */
export interface RegistrationSource {
  protocol: string;
  address: string;
  port: number;
  /** The stream connection (TCP/WS) it arrived on, when there is one. */
  connectionId?: string;
}

export interface DeviceCredentials {
  accountId: string;
  deviceId: string;
  /** Plain SIP password. */
  password: string;
}

export interface RegistrarOptions {
  digest: DigestServer;
  /** The device whose `sip.username` is `username` in the account of `realm`; undefined when none (or disabled). */
  lookupDevice: (realm: string, username: string) => Promise<DeviceCredentials | undefined>;
  /**
   * The realm served for a host (To host, then Request-URI host), undefined when it is not an account realm
   * (→ 404). Without it, the To host is taken as the realm and unknown ones fail at authentication (403).
   */
  lookupRealm?: (host: string) => Promise<string | undefined>;
  /** Realm to use when `lookupRealm` knows neither host (e.g. devices configured with the server's IP). */
  defaultRealm?: string;
  /** Seconds; shorter non-zero requests get 423 with Min-Expires. Default 60. */
  minExpires?: number;
  /** Seconds; longer requests are capped. Default 3600. */
  maxExpires?: number;
  /** Seconds, when neither the contact nor the request says. Default 3600. */
  defaultExpires?: number;
  /** Bindings per device; the least recently refreshed is dropped beyond it. Default 10. */
  maxContactsPerDevice?: number;
  /**
   * Challenge algorithms, one WWW-Authenticate each, in this order. Default `['MD5']`: Debian's baresip 1.0
   * (libre 1.1) fails outright on any non-MD5 challenge and SIPp 3.6 only does MD5. `['SHA-256', 'MD5']` is
   * the RFC 8760 order for peers that cope.
   */
  algorithms?: readonly ('MD5' | 'SHA-256')[];
  /** Timers and expiry (monotonic ms). Default: the real clock. */
  clock?: Clock;
  /** Wall time for the Date header and `registeredAt` (ms since the epoch). Default `Date.now`. */
  wallClock?: () => number;
  /** How often expired bindings are swept (ms). Default 1000. */
  sweepIntervalMs?: number;
}

export interface Binding {
  accountId: string;
  deviceId: string;
  realm: string;
  username: string;
  /** The Contact URI as written. */
  contact: string;
  uri: SipUri;
  /** Contact header parameters (q, expires, +sip.instance, …) as written. */
  params: Record<string, string | null>;
  q?: number;
  /** `+sip.instance`, unquoted (`<urn:uuid:…>`). */
  instance?: string;
  regId?: number;
  /** Where the REGISTER came from: send requests for this binding there. */
  source: RegistrationSource;
  /** Path header values (RFC 3327), in order. */
  path: string[];
  userAgent?: string;
  callId: string;
  cseq: number;
  /** Seconds granted by the last REGISTER. */
  expires: number;
  /** Seconds left now (rounded up). */
  expiresIn: number;
  /** Wall time of the first registration of this binding, and of the last refresh. */
  registeredAt: number;
  refreshedAt: number;
}

export interface RegistrationEvent {
  accountId: string;
  deviceId: string;
  /** The Contact URI. */
  contact: string;
  source: RegistrationSource;
  binding: Binding;
}

export interface UnregistrationEvent extends RegistrationEvent {
  /** `request` (expires=0), `wildcard` (Contact: *), `evicted` (over the per-device limit), `removed` (API). */
  reason: 'request' | 'wildcard' | 'evicted' | 'removed';
}

export interface RegistrarEvents {
  registered: [RegistrationEvent];
  refreshed: [RegistrationEvent];
  unregistered: [UnregistrationEvent];
  expired: [RegistrationEvent];
}

interface StoredBinding extends Omit<Binding, 'expiresIn'> {
  /** `clock` time at which it expires. */
  expiresAt: number;
}

interface DeviceRecord {
  key: string;
  accountId: string;
  deviceId: string;
  aor: string;
  bindings: StoredBinding[];
}

const deviceKey = (accountId: string, deviceId: string) => `${accountId}\0${deviceId}`;
const aorKey = (realm: string, username: string) => `${realm.toLowerCase()}\0${username}`;

export class Registrar extends EventEmitter<RegistrarEvents> {
  readonly minExpires: number;
  readonly maxExpires: number;
  readonly defaultExpires: number;
  readonly maxContactsPerDevice: number;
  private readonly opts: RegistrarOptions;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly sweepIntervalMs: number;
  private readonly algorithms: readonly ('MD5' | 'SHA-256')[];
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly aors = new Map<string, string>();
  private sweepTimer: Handle | undefined;
  private stopped = false;

  constructor(opts: RegistrarOptions) {
    super();
    this.opts = opts;
    this.minExpires = opts.minExpires ?? 60;
    this.maxExpires = Math.max(this.minExpires, opts.maxExpires ?? 3600);
    this.defaultExpires = Math.min(this.maxExpires, Math.max(this.minExpires, opts.defaultExpires ?? 3600));
    this.maxContactsPerDevice = Math.max(1, opts.maxContactsPerDevice ?? 10);
    this.clock = opts.clock ?? realClock;
    this.wallClock = opts.wallClock ?? Date.now;
    this.sweepIntervalMs = Math.max(1, opts.sweepIntervalMs ?? 1000);
    this.algorithms = opts.algorithms?.length ? opts.algorithms : ['MD5'];
  }

  /** Answers one REGISTER (the server transaction sends the response). Never throws. */
  async handle(req: SipRequest, source: RegistrationSource): Promise<SipResponse> {
    try {
      return await this.process(req, source);
    } catch (err) {
      if (err instanceof SipParseError) return this.reply(req, err.status, err.reason);
      return this.reply(req, 500, 'Server Internal Error (registrar)');
    }
  }

  // ---- queries ----

  /** Current (unexpired) bindings of a device. */
  bindings(accountId: string, deviceId: string): Binding[] {
    const rec = this.devices.get(deviceKey(accountId, deviceId));
    if (!rec) return [];
    const now = this.clock.now();
    return rec.bindings.filter((b) => b.expiresAt > now).map((b) => this.snapshot(b, now));
  }

  /** Current bindings of the AOR `sip:username@realm`. */
  bindingsForAor(realm: string, username: string): Binding[] {
    const key = this.aors.get(aorKey(realm, username));
    const rec = key === undefined ? undefined : this.devices.get(key);
    return rec ? this.bindings(rec.accountId, rec.deviceId) : [];
  }

  isRegistered(accountId: string, deviceId: string): boolean {
    return this.bindings(accountId, deviceId).length > 0;
  }

  /** Every current binding (for a channels/registrations view). */
  allBindings(): Binding[] {
    const now = this.clock.now();
    const out: Binding[] = [];
    for (const rec of this.devices.values())
      for (const b of rec.bindings) if (b.expiresAt > now) out.push(this.snapshot(b, now));
    return out;
  }

  /** Drops every binding of a device (deleted or disabled); emits `unregistered` with reason `removed`. */
  removeDevice(accountId: string, deviceId: string): void {
    const rec = this.devices.get(deviceKey(accountId, deviceId));
    if (!rec) return;
    const gone = rec.bindings;
    rec.bindings = [];
    this.dropIfEmpty(rec);
    const now = this.clock.now();
    for (const b of gone) this.emit('unregistered', { ...this.event(b, now), reason: 'removed' });
  }

  /** Removes expired bindings now, emitting `expired` for each (also runs every `sweepIntervalMs`). */
  sweep(): void {
    const now = this.clock.now();
    for (const rec of [...this.devices.values()]) this.expire(rec, now);
  }

  /** Stops the sweep timer (bindings stay queryable; `sweep()` can still be called by hand). */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ---- REGISTER processing (§10.3) ----

  private async process(req: SipRequest, source: RegistrationSource): Promise<SipResponse> {
    if (req.method !== 'REGISTER') {
      return this.reply(req, 405, undefined, [['Allow', 'REGISTER']]);
    }
    const toAddr = to(req);
    const callIdValue = callId(req);
    const cseqValue = cseq(req).seq;
    let ruri: SipUri;
    try {
      ruri = parseUri(req.uri);
    } catch {
      return this.reply(req, 400, 'Bad Request (malformed Request-URI)');
    }
    const sipish = (u: SipUri) => u.scheme === 'sip' || u.scheme === 'sips';
    if (!sipish(ruri) || !sipish(toAddr.uri)) return this.reply(req, 416);

    // Steps 1–3: the domain, then authentication in its realm.
    const realm = await this.realmFor(toAddr.uri.host, ruri.host);
    if (realm === undefined) return this.reply(req, 404, 'Not Found (unknown domain)');

    let device: DeviceCredentials | undefined;
    const result: VerifyResult = await this.opts.digest.verify(
      req,
      realm,
      async (username) => {
        device = await this.opts.lookupDevice(realm, username);
        return device?.password;
      },
      { header: 'www' },
    );
    if (!result.ok) {
      switch (result.reason) {
        case 'missing':
        case 'wrong_realm':
          return this.challenge(req, realm, false);
        case 'stale':
          return this.challenge(req, realm, true);
        case 'malformed':
          return this.reply(
            req,
            400,
            `Bad Request (malformed credentials${result.detail ? ': ' + result.detail : ''})`,
          );
        default:
          // Unknown user and wrong password answer alike: nothing to learn about which usernames exist.
          return this.reply(req, 403, 'Forbidden (bad credentials)');
      }
    }
    if (!device) return this.reply(req, 403, 'Forbidden (bad credentials)');

    // Step 4: the authenticated user may only register its own AOR.
    const username = result.username;
    if (toAddr.uri.user !== username) {
      return this.reply(req, 403, 'Forbidden (To user does not match the authenticated user)');
    }

    // Steps 6–8.
    const key = deviceKey(device.accountId, device.deviceId);
    const now = this.clock.now();
    const rec = this.devices.get(key);
    if (rec) this.expire(rec, now);
    const current = rec ? rec.bindings : [];
    const contactList = contacts(req);

    if (contactList.includes('*')) {
      const expires = this.headerExpires(req);
      if (contactList.length !== 1 || expires !== 0) {
        return this.reply(req, 400, 'Bad Request (Contact: * needs Expires: 0 and no other Contact)');
      }
      if (current.some((b) => b.callId === callIdValue && b.cseq >= cseqValue)) return this.outOfOrder(req);
      if (rec) {
        rec.bindings = [];
        this.dropIfEmpty(rec);
      }
      for (const b of current) this.emit('unregistered', { ...this.event(b, now), reason: 'wildcard' });
      return this.ok(req, []);
    }

    // Validate every contact before changing anything: the request succeeds or fails as a whole.
    const plans: { na: NameAddr; expires: number; existing?: StoredBinding }[] = [];
    for (const c of contactList as NameAddr[]) {
      let expires = this.contactExpires(req, c);
      if (expires > 0 && expires < this.minExpires) {
        return this.reply(req, 423, undefined, [['Min-Expires', String(this.minExpires)]]);
      }
      expires = Math.min(expires, this.maxExpires);
      const existing = current.find((b) => sameBinding(b, c));
      if (existing && existing.callId === callIdValue && existing.cseq >= cseqValue) return this.outOfOrder(req);
      plans.push({ na: c, expires, existing });
    }

    const record: DeviceRecord = rec ?? {
      key,
      accountId: device.accountId,
      deviceId: device.deviceId,
      aor: aorKey(realm, username),
      bindings: [],
    };
    record.aor = aorKey(realm, username);
    this.devices.set(key, record);
    this.aors.set(record.aor, key);

    const events: (() => void)[] = [];
    const wall = this.wallClock();
    const path = req.headers.values('path');
    const userAgent = req.headers.get('user-agent');
    const touched = new Set<StoredBinding>();
    for (const { na, expires, existing } of plans) {
      // A contact listed twice in one request: the later one is the one that counts.
      const prior = existing && record.bindings.includes(existing) ? existing : undefined;
      if (expires === 0) {
        if (prior) {
          record.bindings = record.bindings.filter((b) => b !== prior);
          const ev: UnregistrationEvent = { ...this.event(prior, now), reason: 'request' };
          events.push(() => this.emit('unregistered', ev));
        }
        continue;
      }
      const instance = na.params['+sip.instance'];
      const regId = na.params['reg-id'];
      const q = na.params.q;
      const b: StoredBinding = {
        accountId: device.accountId,
        deviceId: device.deviceId,
        realm,
        username,
        contact: na.uriText,
        uri: na.uri,
        params: na.params,
        source: { ...source },
        path,
        callId: callIdValue,
        cseq: cseqValue,
        expires,
        expiresAt: now + expires * 1000,
        registeredAt: prior?.registeredAt ?? wall,
        refreshedAt: wall,
      };
      if (instance) b.instance = unquote(instance);
      if (regId && /^\d{1,10}$/.test(regId)) b.regId = Number(regId);
      if (q && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(q)) b.q = Number(q);
      if (userAgent !== undefined) b.userAgent = userAgent;
      if (prior) record.bindings[record.bindings.indexOf(prior)] = b;
      else record.bindings.push(b);
      touched.add(b);
      const ev = this.event(b, now);
      events.push(prior ? () => this.emit('refreshed', ev) : () => this.emit('registered', ev));
    }

    // Over the limit: drop the least recently refreshed, sparing the ones this request just wrote if it can.
    while (record.bindings.length > this.maxContactsPerDevice) {
      const pool = record.bindings.filter((b) => !touched.has(b));
      const from = pool.length > 0 ? pool : record.bindings;
      const oldest = from.reduce((a, b) => (b.refreshedAt < a.refreshedAt ? b : a));
      record.bindings = record.bindings.filter((b) => b !== oldest);
      const ev: UnregistrationEvent = { ...this.event(oldest, now), reason: 'evicted' };
      events.push(() => this.emit('unregistered', ev));
    }
    this.dropIfEmpty(record);
    if (record.bindings.length > 0) this.scheduleSweep();

    const response = this.ok(req, record.bindings, path);
    for (const emit of events) emit();
    return response;
  }

  private async realmFor(toHost: string, ruriHost: string): Promise<string | undefined> {
    const lookup = this.opts.lookupRealm;
    if (!lookup) return toHost.toLowerCase();
    for (const host of new Set([toHost.toLowerCase(), ruriHost.toLowerCase()])) {
      const realm = await lookup(host);
      if (realm !== undefined) return realm;
    }
    return this.opts.defaultRealm;
  }

  /** The Expires header as a number; malformed counts as the default (§20.19), absent as undefined. */
  private headerExpires(req: SipRequest): number | undefined {
    try {
      return expiresOf(req);
    } catch {
      return this.defaultExpires;
    }
  }

  /** §10.3 step 7: the contact's expires parameter, else Expires, else the default; malformed → default. */
  private contactExpires(req: SipRequest, c: NameAddr): number {
    try {
      return expiresOf(req, c) ?? this.defaultExpires;
    } catch {
      return c.params.expires !== undefined ? (this.headerExpires(req) ?? this.defaultExpires) : this.defaultExpires;
    }
  }

  private challenge(req: SipRequest, realm: string, stale: boolean): SipResponse {
    const headers = this.algorithms.map((algorithm) => {
      const c = this.opts.digest.challenge(realm, { algorithm, stale });
      return [c.header, c.value] as const;
    });
    return this.reply(req, 401, undefined, headers);
  }

  private outOfOrder(req: SipRequest): SipResponse {
    return this.reply(req, 500, 'Server Internal Error (out-of-order REGISTER)');
  }

  private ok(req: SipRequest, bindings: StoredBinding[], path: string[] = []): SipResponse {
    const now = this.clock.now();
    const headers: [string, string][] = [];
    for (const b of bindings) {
      let v = `<${b.contact}>;expires=${remaining(b, now)}`;
      if (b.params['+sip.instance']) v += `;+sip.instance=${b.params['+sip.instance']}`;
      if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
      if (b.q !== undefined) v += `;q=${b.params.q}`;
      headers.push(['Contact', v]);
    }
    for (const p of path) headers.push(['Path', p]);
    headers.push(['Date', new Date(this.wallClock()).toUTCString()]);
    return this.reply(req, 200, undefined, headers);
  }

  private reply(
    req: SipRequest,
    status: number,
    reason?: string,
    headers?: readonly (readonly [string, string])[],
  ): SipResponse {
    return createResponse(req, status, reason, { toTag: newTag(), headers });
  }

  private scheduleSweep(): void {
    if (this.stopped || this.sweepTimer !== undefined) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
      if (this.devices.size > 0) this.scheduleSweep();
    }, this.sweepIntervalMs);
  }

  /** Removes a device's expired bindings, emitting `expired` for each. */
  private expire(rec: DeviceRecord, now: number): void {
    const gone = rec.bindings.filter((b) => b.expiresAt <= now);
    if (gone.length === 0) return;
    rec.bindings = rec.bindings.filter((b) => b.expiresAt > now);
    this.dropIfEmpty(rec);
    for (const b of gone) this.emit('expired', this.event(b, now));
  }

  private dropIfEmpty(rec: DeviceRecord): void {
    if (rec.bindings.length > 0) return;
    this.devices.delete(rec.key);
    if (this.aors.get(rec.aor) === rec.key) this.aors.delete(rec.aor);
  }

  private snapshot(b: StoredBinding, now: number): Binding {
    const { expiresAt: _expiresAt, ...rest } = b;
    return { ...rest, expiresIn: remaining(b, now) };
  }

  private event(b: StoredBinding, now: number): RegistrationEvent {
    return {
      accountId: b.accountId,
      deviceId: b.deviceId,
      contact: b.contact,
      source: b.source,
      binding: this.snapshot(b, now),
    };
  }
}

function remaining(b: StoredBinding, now: number): number {
  return Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
}

/** Same binding: by `+sip.instance` and `reg-id` when both sides carry an instance (RFC 5626), else by URI. */
function sameBinding(b: StoredBinding, c: NameAddr): boolean {
  const instance = c.params['+sip.instance'];
  if (instance && b.instance !== undefined) {
    const regId = c.params['reg-id'];
    return unquote(instance) === b.instance && (regId ?? undefined) === (b.regId?.toString() ?? undefined);
  }
  return uriEquals(b.uri, c.uri);
}

// ---- store adapter ----

/** The part of the store the registrar needs (structural, so this file does not import the store). */
export interface CredentialStore {
  accounts: {
    findByRealm(realm: string): Promise<{ id: string; realm: string; enabled?: boolean } | undefined>;
  };
  devices: {
    findBySipUsername(
      accountId: string,
      username: string,
    ): Promise<{ id: string; enabled?: boolean; sip?: { username?: string; password?: string } } | undefined>;
  };
}

/** `lookupRealm` / `lookupDevice` over the store: enabled accounts by realm, enabled devices with a password. */
export function storeLookups(store: CredentialStore): Pick<RegistrarOptions, 'lookupRealm' | 'lookupDevice'> & {
  lookupRealm: NonNullable<RegistrarOptions['lookupRealm']>;
} {
  const account = async (realm: string) => {
    const lower = realm.toLowerCase();
    const a =
      (await store.accounts.findByRealm(realm)) ??
      (lower !== realm ? await store.accounts.findByRealm(lower) : undefined);
    return a && a.enabled !== false ? a : undefined;
  };
  return {
    lookupRealm: async (host) => (await account(host))?.realm,
    lookupDevice: async (realm, username) => {
      const a = await account(realm);
      if (!a) return undefined;
      const d = await store.devices.findBySipUsername(a.id, username);
      if (!d || d.enabled === false || !d.sip?.password) return undefined;
      return { accountId: a.id, deviceId: d.id, password: d.sip.password };
    },
  };
}
