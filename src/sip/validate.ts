// The checks a UAS makes on a parsed request before anything else (RFC 3261 §8.2, RFC 4475), and the sanity
// checks on a response received (§8.1.3, §18.1.2). Each answers with the status and reason phrase to send, or
// the reason a response is dropped.

import {
  SipParseError,
  contacts,
  from,
  maxForwards,
  parseCSeq,
  parseVia,
  recordRoutes,
  routes,
  to,
  trimLws,
  type Via,
} from './headers.js';
import { MAGIC_COOKIE, REASONS, type SipRequest, type SipResponse } from './message.js';
import { parseUri } from './uri.js';

export interface CheckResult {
  status: number;
  /** The reason phrase to send, e.g. `Bad Request (missing Call-ID)`. */
  reason: string;
  /** For a 420: the Require option tags not supported (for the Unsupported header). */
  unsupported?: string[];
}

export interface CheckOptions {
  /**
   * Option tags this UAS supports. When given, a Require naming any other tag gets a 420 (§8.2.2.3); when
   * omitted, Require is not checked here.
   */
  supported?: readonly string[];
  /** URI schemes accepted in the Request-URI (default sip, sips, tel); any other gets a 416 (§8.2.2.1). */
  schemes?: readonly string[];
}

const MANDATORY: [string, string][] = [
  ['via', 'Via'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
];

const SINGLE: [string, string][] = [
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-type', 'Content-Type'],
  ['content-length', 'Content-Length'],
];

const DEFAULT_SCHEMES = ['sip', 'sips', 'tel'];

function badRequest(fault: string): CheckResult {
  return { status: 400, reason: `Bad Request (${fault})` };
}

function status(code: number): CheckResult {
  return { status: code, reason: REASONS[code] };
}

export function isSip20(version: string): boolean {
  return version.length === 7 && version.toUpperCase() === 'SIP/2.0';
}

/** rfc1123-date with GMT only (§20.17): `Sat, 13 Nov 2010 23:29:00 GMT`. */
const DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/**
 * The checks before any processing of a request, in this order: version (505); mandatory headers (400
 * `missing …`, all of them named; Max-Forwards may be absent from an RFC 2543 request, one whose top Via has no
 * magic-cookie branch); single-valued headers repeated (400); Request-URI syntax (400), scheme (416) and escaped
 * headers in it (400); CSeq syntax, range (< 2**31) and method (400); Via, From, To, Contact, Route and
 * Record-Route syntax (400); an empty RFC 3261 branch (400); Max-Forwards syntax and range (400); Content-Length
 * against the body and Content-Type present with a body (400); Date and Expires syntax (400); Max-Forwards 0
 * on anything but OPTIONS (483); Require against `opts.supported` (420). `undefined` means go ahead.
 */
export function checkRequest(req: SipRequest, opts?: CheckOptions): CheckResult | undefined {
  if (!isSip20(req.version)) return status(505);
  const h = req.headers;
  const missing: string[] = [];
  for (const [key, name] of MANDATORY) if (!h.has(key)) missing.push(name);
  if (missing.length) {
    const onlyMaxForwards = missing.length === 1 && missing[0] === 'Max-Forwards';
    if (!(onlyMaxForwards && isRfc2543(h.get('via')))) return badRequest(`missing ${missing.join(', ')}`);
  }
  for (const [key, name] of SINGLE) if (h.lines(key).length > 1) return badRequest(`multiple ${name} headers`);

  try {
    let scheme: string;
    let uriHeaders: Record<string, string>;
    try {
      const uri = parseUri(req.uri);
      scheme = uri.scheme;
      uriHeaders = uri.headers;
    } catch {
      return badRequest('malformed Request-URI');
    }
    if (!(opts?.schemes ?? DEFAULT_SCHEMES).includes(scheme)) return status(416);
    if (Object.keys(uriHeaders).length > 0) return badRequest('escaped headers in Request-URI');

    const cs = parseCSeq(h.get('cseq')!);
    if (cs.seq >= 0x80000000) return badRequest('CSeq number out of range');
    if (cs.method !== req.method) return badRequest('CSeq method does not match');

    const viaValues = h.values('via');
    if (viaValues.length === 0) return badRequest('malformed Via');
    let top: Via | undefined;
    for (const v of viaValues) {
      const via = parseVia(v);
      top ??= via;
    }
    if (top!.branch === MAGIC_COOKIE) return badRequest('empty Via branch');

    from(req);
    to(req);
    const cts = contacts(req);
    if (cts.includes('*') && (req.method !== 'REGISTER' || cts.length !== 1)) return badRequest('malformed Contact');
    routes(req);
    recordRoutes(req);

    const mf = maxForwards(req);
    if (mf !== undefined && mf > 255) return badRequest('Max-Forwards out of range');

    const cl = h.get('content-length');
    if (cl !== undefined && Number(trimLws(cl)) !== req.body.length) return badRequest('Content-Length mismatch');
    if (req.body.length > 0 && !h.has('content-type')) return badRequest('missing Content-Type');

    const date = h.get('date');
    if (date !== undefined && !DATE.test(trimLws(date))) return badRequest('malformed Date');
    const expires = h.get('expires');
    if (expires !== undefined && !/^\d+$/.test(trimLws(expires))) return badRequest('malformed Expires');

    if (mf === 0 && req.method !== 'OPTIONS') return status(483);

    if (opts?.supported) {
      const unsupported = h.values('require').filter((t) => !opts.supported!.includes(t));
      if (unsupported.length) return { ...status(420), unsupported };
    }
  } catch (e) {
    if (e instanceof SipParseError) return { status: e.status, reason: e.message };
    throw e;
  }
  return undefined;
}

/** An RFC 2543 client: top Via without an RFC 3261 branch. */
function isRfc2543(via: string | undefined): boolean {
  if (via === undefined) return false;
  try {
    return !parseVia(via.split(',')[0]).branch?.startsWith(MAGIC_COOKIE);
  } catch {
    return false;
  }
}

/**
 * Checks on a response received by a UA: `undefined` when usable, else why it must be dropped — wrong version,
 * missing or repeated Via/From/To/Call-ID/CSeq, more than one Via (§8.1.3.3: it was not meant for us), malformed
 * Via, From, To or CSeq, a CSeq number out of range, Content-Length not matching the body.
 */
export function checkResponse(res: SipResponse): string | undefined {
  if (!isSip20(res.version)) return 'Version Not Supported';
  const h = res.headers;
  for (const [key, name] of MANDATORY) {
    if (key !== 'max-forwards' && !h.has(key)) return `missing ${name}`;
  }
  for (const [key, name] of SINGLE) if (h.lines(key).length > 1) return `multiple ${name} headers`;
  try {
    const viaValues = h.values('via');
    if (viaValues.length !== 1) return viaValues.length ? 'more than one Via' : 'malformed Via';
    parseVia(viaValues[0]);
    const cs = parseCSeq(h.get('cseq')!);
    if (cs.seq >= 0x80000000) return 'CSeq number out of range';
    from(res);
    to(res);
    const cl = h.get('content-length');
    if (cl !== undefined && Number(trimLws(cl)) !== res.body.length) return 'Content-Length mismatch';
  } catch (e) {
    if (e instanceof SipParseError) return e.fault;
    throw e;
  }
  return undefined;
}
