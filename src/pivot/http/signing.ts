/**
 * Request signing (spec twiml.md §9, DESIGN §2).
 *
 * - `X-Twilio-Signature`: exactly what twilio-node's `getExpectedTwilioSignature` computes, so a developer's
 *   `twilio.validateRequest(signingKey, header, url, params)` accepts Pivot's requests.
 * - `X-Pivot-Signature`: Pivot's own timestamped HMAC-SHA256 over method, URL and raw body.
 */

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendQuery } from './form.js';

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * HMAC-SHA1 (base64) of the URL followed, for form POSTs, by every parameter as `name + value`, sorted by name
 * then value (code-unit order, as JavaScript's default sort), with identical name/value pairs counted once — the
 * way twilio-node treats a repeated key. Pass `null` (or `[]`) for GET requests and JSON bodies (sign the URL
 * alone; for JSON put `bodySHA256` in the URL first, see {@link withBodySha256}).
 */
export function twilioSignature(
  key: string,
  url: string,
  params: readonly (readonly [string, string])[] | null,
): string {
  let data = url;
  if (params && params.length > 0) {
    const seen = new Set<string>();
    const unique: (readonly [string, string])[] = [];
    for (const p of params) {
      const id = JSON.stringify(p);
      if (seen.has(id)) continue;
      seen.add(id);
      unique.push(p);
    }
    unique.sort((a, b) => compareCodeUnits(a[0], b[0]) || compareCodeUnits(a[1], b[1]));
    for (const [k, v] of unique) data += k + v;
  }
  return createHmac('sha1', key).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** Lower-case hex SHA-256 of a body (UTF-8 for strings). */
export function bodySha256(body: string | Uint8Array): string {
  return createHash('sha256')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf-8') : body)
    .digest('hex');
}

/** The URL with `bodySHA256=<hex sha256 of body>` added to its query, as Twilio does for JSON bodies. */
export function withBodySha256(url: string, body: string | Uint8Array): string {
  return appendQuery(url, [['bodySHA256', bodySha256(body)]]);
}

export interface PivotSignedRequest {
  method: string;
  url: string;
  /** Raw request body; '' (or null/undefined) when there is none. */
  body?: string | null;
}

function pivotMac(key: string, t: number, req: PivotSignedRequest): string {
  return createHmac('sha256', key)
    .update(Buffer.from(`${t}.${req.method.toUpperCase()}.${req.url}.${req.body ?? ''}`, 'utf-8'))
    .digest('hex');
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<METHOD>.<url>.<body>">`. */
export function pivotSignature(key: string, req: PivotSignedRequest & { timestamp?: number }): string {
  const t = Math.floor(req.timestamp ?? Date.now() / 1000);
  return `t=${t},v1=${pivotMac(key, t, req)}`;
}

/**
 * Verifies an `X-Pivot-Signature` header: well-formed, timestamp within `toleranceSec` of `nowSec` (both ways),
 * and one of its `v1` values matches (constant-time compare). Accepts several `v1=` entries (key rotation).
 */
export function verifyPivotSignature(
  key: string,
  header: string | null | undefined,
  req: PivotSignedRequest,
  toleranceSec = 300,
  nowSec: number = Date.now() / 1000,
): boolean {
  if (!header) return false;
  let t: number | undefined;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) sigs.push(value);
  }
  if (t === undefined || sigs.length === 0) return false;
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(pivotMac(key, t, req), 'utf-8');
  let ok = false;
  for (const s of sigs) {
    const got = Buffer.from(s, 'utf-8');
    if (got.length === expected.length && timingSafeEqual(got, expected)) ok = true;
  }
  return ok;
}
