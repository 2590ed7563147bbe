/**
 * Tiny CIDR helper (no dependency). Every address is held as 16 bytes: IPv4 addresses and IPv4 CIDRs are mapped
 * into `::ffff:0:0/96`, so `169.254.169.254` and `::ffff:169.254.169.254` are the same address and match the same
 * ranges, whichever form the resolver or the operator used.
 */

import { isIPv4, isIPv6 } from 'node:net';

export type IpBytes = Uint8Array;

export interface Cidr {
  /** The range as the operator wrote it, used in error messages. */
  readonly text: string;
  readonly bytes: IpBytes;
  /** Prefix length over the 128-bit (mapped) address. */
  readonly prefix: number;
}

/** Removes `[…]` around an IPv6 literal and a `%zone` suffix. */
export function stripIpDecorations(host: string): string {
  let h = host;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone !== -1 && h.includes(':')) h = h.slice(0, zone);
  return h;
}

/** True when `host` is an IPv4 or IPv6 literal (brackets and zone allowed). */
export function isIpLiteral(host: string): boolean {
  const h = stripIpDecorations(host);
  return isIPv4(h) || isIPv6(h);
}

function parseIPv4Parts(s: string): number[] | null {
  if (!isIPv4(s)) return null;
  return s.split('.').map((p) => Number(p));
}

/** Parses an IPv4 or IPv6 address into 16 bytes (IPv4 → IPv4-mapped IPv6). Returns null if it is not an IP. */
export function parseIp(input: string): IpBytes | null {
  const s = stripIpDecorations(input.trim());
  const out = new Uint8Array(16);
  const v4 = parseIPv4Parts(s);
  if (v4) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  if (!isIPv6(s)) return null;
  // Split off an embedded dotted IPv4 tail (e.g. ::ffff:1.2.3.4).
  let head = s;
  let tail: number[] | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = parseIPv4Parts(s.slice(lastColon + 1));
    if (!tail) return null;
    head = s.slice(0, lastColon + 1);
    // "::1.2.3.4" → head "::", "a::1.2.3.4" → head "a::", "a:b:1.2.3.4" → head "a:b:" (drop trailing colon)
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tail ? 6 : 8;
  const dbl = head.indexOf('::');
  const parseGroups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16));
  let groups: number[];
  if (dbl === -1) {
    groups = parseGroups(head);
  } else {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    const fill = groupsWanted - left.length - right.length;
    if (fill < 0) return null;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  }
  if (groups.length !== groupsWanted || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** True for an address in `::ffff:0:0/96`, i.e. an IPv4 address. */
export function isMappedIPv4(ip: IpBytes): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/**
 * The IPv4 address an IPv6 address carries inside it, when it is one of the translation forms that reach an
 * IPv4 host: NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`, bytes 2-5) or IPv4-compatible (`::/96`). Returned in
 * mapped form so the IPv4 rules apply to it.
 */
export function embeddedIPv4(ip: IpBytes): IpBytes | null {
  const mapped = (a: number, b: number, c: number, d: number): IpBytes => {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    out.set([a, b, c, d], 12);
    return out;
  };
  const zeros = (from: number, to: number): boolean => ip.slice(from, to).every((b) => b === 0);
  if (ip[0] === 0x00 && ip[1] === 0x64 && ip[2] === 0xff && ip[3] === 0x9b && zeros(4, 12)) {
    return mapped(ip[12], ip[13], ip[14], ip[15]);
  }
  if (ip[0] === 0x20 && ip[1] === 0x02) return mapped(ip[2], ip[3], ip[4], ip[5]);
  // IPv4-compatible, but not ::1 and :: (whose "IPv4 part" would be 0.0.0.x).
  if (zeros(0, 12) && ip[12] !== 0) return mapped(ip[12], ip[13], ip[14], ip[15]);
  return null;
}

/** Canonical text of an address: dotted quad for IPv4 (and IPv4-mapped), compressed hex for IPv6. */
export function formatIp(ip: IpBytes): string {
  if (isMappedIPv4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i] << 8) | ip[i + 1]);
  // longest run of zero groups (length ≥ 2) becomes "::"
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Parses `a.b.c.d/n`, `x:y::z/n`, or a bare address (a host route). Throws an Error naming the bad entry.
 * Host bits below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
 */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  const addrText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const bytes = parseIp(addrText);
  if (!bytes) throw new Error(`invalid CIDR ${JSON.stringify(text)}: bad address`);
  const v4 = parseIPv4Parts(stripIpDecorations(addrText)) !== null;
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash !== -1) {
    const p = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new Error(`invalid CIDR ${JSON.stringify(text)}: bad prefix`);
    len = Number(p);
  }
  const prefix = v4 ? 96 + len : len;
  return { text: trimmed, bytes: maskTo(bytes, prefix), prefix };
}

function maskTo(ip: IpBytes, prefix: number): IpBytes {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = bits === 0 ? 0 : ip[i] & (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** True if `ip` (16 bytes) is inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: IpBytes): boolean {
  let bits = cidr.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i] & mask) !== cidr.bytes[i]) return false;
  }
  return true;
}

/** The first range of `list` that contains `ip`, if any. */
export function findCidr(list: readonly Cidr[], ip: IpBytes): Cidr | undefined {
  return list.find((c) => cidrContains(c, ip));
}
