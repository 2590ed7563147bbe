// Checks a Pivot request the way an app written for Twilio does with `twilio.validateRequest`: the
// X-Twilio-Signature header against the HMAC-SHA1 of the URL Pivot requested (plus, for form POSTs, the sorted
// parameters), keyed with the signing key of the account the request says it comes from. The URL is rebuilt as
// `publicUrl + path?query`: Pivot signs the URL it was given (publicUrl-based), which is not what the socket
// sees behind a proxy or a port mapping.

import { timingSafeEqual } from 'node:crypto';
import { bodySha256, twilioSignature } from '../pivot/http/signing.js';
import type { AccountDoc, Store } from '../store/types.js';

export interface SignedRequest {
  method: string;
  /** Path and query as received (`/demo/voice?tries=2`). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  contentType?: string;
  /** Raw body ('' when there is none). */
  body: string;
}

export type Verified =
  { ok: true; account: AccountDoc; params: Record<string, string> } | { ok: false; status: 400 | 403; message: string };

/** The request's parameters as ordered pairs: the query for GET, the form or JSON body for POST. */
function readParams(req: SignedRequest, url: URL): { pairs: [string, string][]; json: boolean } | undefined {
  const type = (req.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (req.method === 'GET' || req.method === 'HEAD') return { pairs: [...url.searchParams], json: false };
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body);
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(parsed)) {
      if (v !== null && v !== undefined) pairs.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    }
    return { pairs, json: true };
  }
  return { pairs: [...new URLSearchParams(req.body)], json: false };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf-8');
  const y = Buffer.from(b, 'utf-8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function verifyPivotRequest(store: Store, publicUrl: string, req: SignedRequest): Promise<Verified> {
  const signed = `${publicUrl}${req.path}`;
  let url: URL;
  try {
    url = new URL(signed);
  } catch {
    return { ok: false, status: 400, message: 'bad request URL' };
  }
  const read = readParams(req, url);
  if (!read) return { ok: false, status: 400, message: 'the body is not a JSON object' };
  const params: Record<string, string> = {};
  for (const [k, v] of read.pairs) params[k] = v;
  const accountId = params.AccountSid ?? params['Account-ID'];
  const header = req.headers['x-twilio-signature'];
  if (typeof header !== 'string' || !header) return { ok: false, status: 403, message: 'no X-Twilio-Signature' };
  const account = accountId ? await store.accounts.get(accountId) : undefined;
  if (!account) return { ok: false, status: 403, message: 'unknown account' };
  let expected: string;
  if (read.json) {
    // Twilio's JSON rule: the body's SHA-256 rides in the signed URL as bodySHA256.
    if (url.searchParams.get('bodySHA256') !== bodySha256(req.body)) {
      return { ok: false, status: 403, message: 'bodySHA256 does not match the body' };
    }
    expected = twilioSignature(account.signing_key, signed, null);
  } else {
    expected = twilioSignature(account.signing_key, signed, req.method === 'POST' ? read.pairs : null);
  }
  if (!same(expected, header)) return { ok: false, status: 403, message: 'X-Twilio-Signature does not match' };
  return { ok: true, account, params };
}
