/**
 * The one URL policy every URL Pivot fetches goes through (voice_url, action URLs, Play media, recording uploads,
 * status callbacks, cdr_url): http(s) only; the host is resolved first and **every** resolved address is checked
 * against the deny/allow CIDR lists (allow wins over deny).
 *
 * `lookup` has the shape of `net.connect`'s `lookup` option. Installed as an undici Agent's `connect.lookup`, it
 * makes the socket go to an address that was checked at connect time, so a DNS answer that changes between the
 * check and the connection (DNS rebinding) cannot reach a denied address.
 */

import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { embeddedIPv4, findCidr, isIpLiteral, parseCidr, parseIp, stripIpDecorations, type Cidr } from './cidr.js';

/**
 * Denied unless an operator allows them: "this network" and the unspecified address (both reach the local host),
 * link-local (where cloud metadata services live), and cloud metadata addresses outside link-local.
 * IPv4-mapped IPv6 forms (`::ffff:169.254.169.254`) are covered by the IPv4 entries, because addresses are
 * compared in mapped form. Loopback is deliberately not here: tests and the built-in demo use it.
 */
export const DEFAULT_DENY: readonly string[] = [
  '0.0.0.0/8',
  '::/128',
  '169.254.0.0/16',
  'fe80::/10',
  '100.100.100.200/32', // Alibaba Cloud metadata
  'fd00:ec2::254/128', // AWS IMDS over IPv6
  '192.0.0.192/32', // Oracle Cloud legacy metadata
  '168.63.129.16/32', // Azure WireServer
];

export type PolicyErrorKind = 'policy' | 'dns';

export interface PolicyError {
  /** Twilio error code: 11100 bad URL/scheme, 11210 unresolvable host, 11200 denied address. */
  code: 11100 | 11200 | 11210;
  message: string;
  kind: PolicyErrorKind;
}

export type PolicyResult = { ok: true; url: URL; addresses: LookupAddress[] } | { ok: false; error: PolicyError };

export type SyncPolicyResult = { ok: true; url: URL } | { ok: false; error: PolicyError };

/** Resolves a host name to all of its addresses. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface UrlPolicyOptions {
  /** Extra ranges to deny, added to {@link DEFAULT_DENY} (e.g. `127.0.0.0/8`, RFC 1918 ranges). */
  deny?: string[];
  /** Ranges that are allowed even when a deny range contains them. */
  allow?: string[];
  /** Set to false to start from an empty deny list instead of {@link DEFAULT_DENY}. */
  defaultDeny?: boolean;
  /** DNS resolver; defaults to `dns.lookup(host, { all: true, verbatim: true })`. Injected by tests. */
  resolve?: Resolver;
}

/** The error `lookup` hands to `net.connect`; carries the policy error so an HTTP client can report it. */
export class UrlPolicyError extends Error {
  readonly policyError: PolicyError;
  readonly code: string;
  constructor(error: PolicyError) {
    super(error.message);
    this.name = 'UrlPolicyError';
    this.policyError = error;
    this.code = error.kind === 'dns' ? 'ENOTFOUND' : 'EPOLICY';
  }
}

export const defaultResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

type LookupOneCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
type LookupAllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;
interface LookupOpts {
  family?: number | string;
  all?: boolean;
  hints?: number;
}

export class UrlPolicy {
  readonly deny: readonly Cidr[];
  readonly allow: readonly Cidr[];
  private readonly resolver: Resolver;

  constructor(opts: UrlPolicyOptions = {}) {
    const denyTexts = [...(opts.defaultDeny === false ? [] : DEFAULT_DENY), ...(opts.deny ?? [])];
    this.deny = denyTexts.map(parseCidr);
    this.allow = (opts.allow ?? []).map(parseCidr);
    this.resolver = opts.resolve ?? defaultResolver;
  }

  /**
   * Checks one address. Returns the policy error when the address is denied (and not allowed), else null.
   * Accepts IPv4, IPv6, bracketed IPv6 and IPv4-mapped IPv6 text.
   */
  checkAddress(address: string): PolicyError | null {
    const ip = parseIp(address);
    if (!ip) return { code: 11200, kind: 'policy', message: `URL policy cannot check address ${address}` };
    if (findCidr(this.allow, ip)) return null;
    // An IPv6 form that carries an IPv4 address (NAT64, 6to4) is judged by that address too.
    const inner = embeddedIPv4(ip);
    const denied =
      findCidr(this.deny, ip) ?? (inner && !findCidr(this.allow, inner) ? findCidr(this.deny, inner) : undefined);
    if (!denied) return null;
    return {
      code: 11200,
      kind: 'policy',
      message: `URL policy denies ${stripIpDecorations(address)} (${denied.text})`,
    };
  }

  /**
   * Checks what can be checked without DNS: the URL parses, the scheme is http or https, there is a host, and,
   * when the host is an IP literal, that the address is not denied.
   */
  checkSync(url: string): SyncPolicyResult {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, error: { code: 11100, kind: 'policy', message: `invalid URL: ${url}` } };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return { ok: false, error: { code: 11100, kind: 'policy', message: `URL must be http or https: ${url}` } };
    }
    if (!parsed.hostname) {
      return { ok: false, error: { code: 11100, kind: 'policy', message: `URL has no host: ${url}` } };
    }
    const host = stripIpDecorations(parsed.hostname);
    if (isIpLiteral(host)) {
      const err = this.checkAddress(host);
      if (err) return { ok: false, error: err };
    }
    return { ok: true, url: parsed };
  }

  /** Full check: syntax and scheme, then resolve the host and check every address it resolves to. */
  async check(url: string): Promise<PolicyResult> {
    const sync = this.checkSync(url);
    if (!sync.ok) return sync;
    const host = stripIpDecorations(sync.url.hostname);
    if (isIpLiteral(host)) {
      // WHATWG URL parsing has already canonicalised the literal (e.g. http://2852039166/ → 169.254.169.254)
      return { ok: true, url: sync.url, addresses: [{ address: host, family: host.includes(':') ? 6 : 4 }] };
    }
    const resolved = await this.resolveAndCheck(host);
    if ('error' in resolved) return { ok: false, error: resolved.error };
    return { ok: true, url: sync.url, addresses: resolved.addresses };
  }

  private async resolveAndCheck(host: string): Promise<{ addresses: LookupAddress[] } | { error: PolicyError }> {
    let addresses: LookupAddress[];
    try {
      addresses = await this.resolver(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      return {
        error: { code: 11210, kind: 'dns', message: `cannot resolve host ${host}${code ? ` (${code})` : ''}` },
      };
    }
    if (addresses.length === 0) {
      return { error: { code: 11210, kind: 'dns', message: `cannot resolve host ${host} (no addresses)` } };
    }
    for (const a of addresses) {
      const err = this.checkAddress(a.address);
      if (err) return { error: err };
    }
    return { addresses };
  }

  /**
   * `net.connect`-compatible lookup: resolves `hostname`, refuses the connection (with a {@link UrlPolicyError})
   * if any resolved address is denied, and otherwise answers with the checked addresses. Supports both the
   * single-address and the `all: true` callback shapes.
   */
  readonly lookup = (
    hostname: string,
    options: LookupOpts | number | LookupOneCallback | LookupAllCallback,
    callback?: LookupOneCallback | LookupAllCallback,
  ): void => {
    let opts: LookupOpts;
    let cb: LookupOneCallback | LookupAllCallback;
    if (typeof options === 'function') {
      cb = options;
      opts = {};
    } else {
      cb = callback as LookupOneCallback | LookupAllCallback;
      opts = typeof options === 'number' ? { family: options } : (options ?? {});
    }
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0) || 0;
    const host = stripIpDecorations(hostname);
    const done = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void => {
      if (opts.all) {
        (cb as LookupAllCallback)(err, err ? [] : addresses);
      } else if (err) {
        (cb as LookupOneCallback)(err, '', 0);
      } else {
        (cb as LookupOneCallback)(null, addresses[0].address, addresses[0].family);
      }
    };
    const run = async (): Promise<LookupAddress[]> => {
      if (isIpLiteral(host)) {
        const err = this.checkAddress(host);
        if (err) throw new UrlPolicyError(err);
        return [{ address: host, family: host.includes(':') ? 6 : 4 }];
      }
      const resolved = await this.resolveAndCheck(host);
      if ('error' in resolved) throw new UrlPolicyError(resolved.error);
      const wanted = family ? resolved.addresses.filter((a) => a.family === family) : resolved.addresses;
      if (wanted.length === 0) {
        throw new UrlPolicyError({
          code: 11210,
          kind: 'dns',
          message: `cannot resolve host ${host} (no IPv${family} address)`,
        });
      }
      return wanted;
    };
    run().then(
      (addresses) => done(null, addresses),
      (err: NodeJS.ErrnoException) => done(err, []),
    );
  };
}
