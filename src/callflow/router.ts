// Inbound call routing (DESIGN §2): an INVITE whose Request-URI user is an assigned number (normalised to E.164)
// runs the callflow of the owning account that lists it; a device of an account (digest auth in the account's
// realm) also reaches that account's extensions and callflow patterns; anything else gets a clear SIP error.

import { isE164, toE164 } from '../call/numbers.js';
import { compileRegex } from './modules/_regex.js';
import type { FlowNode } from './types.js';
import type { DigestServer } from '../sip/digest.js';
import { from } from '../sip/headers.js';
import type { SipRequest } from '../sip/message.js';
import { parseUri } from '../sip/uri.js';
import type { AccountDoc, CallflowDoc, DeviceDoc, Store } from '../store/types.js';

export type RouteDecision =
  | {
      kind: 'route';
      account: AccountDoc;
      callflow: CallflowDoc;
      flow: FlowNode;
      /** What matched: the dialled string as listed in the callflow, or the pattern. */
      dialled: string;
      match: 'number' | 'extension' | 'pattern';
      /** The calling device, when the call came from one of the account's devices. */
      device?: DeviceDoc;
      /** Capture groups of a pattern match. */
      captures?: string[];
    }
  /** A device must authenticate first: answer 407 with this challenge header value. */
  | { kind: 'challenge'; header: 'Proxy-Authenticate'; value: string }
  | { kind: 'reject'; status: number; reason: string };

const reject = (status: number, reason: string): RouteDecision => ({ kind: 'reject', status, reason });

export class InviteRouter {
  constructor(private readonly deps: { store: Store; digest: DigestServer }) {}

  async route(req: SipRequest): Promise<RouteDecision> {
    let user: string | undefined;
    try {
      user = parseUri(req.uri).user;
    } catch {
      return reject(416, 'Unsupported URI Scheme');
    }
    if (!user) return reject(404, 'Not Found (no number in the Request-URI)');
    const { store } = this.deps;

    // 1. An assigned number, from anywhere.
    const number = toE164(user);
    if (number && isE164(number)) {
      const owned = await store.phoneNumbers.get(number);
      if (owned) {
        const account = await store.accounts.get(owned.account_id);
        const callflow = await store.callflows.findByNumber(owned.account_id, number);
        if (!account || account.enabled === false)
          return reject(403, `Forbidden (${number} belongs to a disabled account)`);
        if (!callflow?.flow) return reject(404, `Not Found (${number} has no callflow)`);
        return this.found(account, callflow, number, 'number');
      }
    }

    // 2. A device of an account: authenticate it in the account realm, then extensions and patterns.
    const realm = from(req).uri.host.toLowerCase();
    const account = await store.accounts.findByRealm(realm);
    if (!account) return reject(404, `Not Found (no route for ${user})`);
    if (account.enabled === false) return reject(403, `Forbidden (account ${account.name} is disabled)`);
    const verdict = await this.deps.digest.verify(
      req,
      account.realm,
      async (username) => {
        const d = await store.devices.findBySipUsername(account.id, username);
        return d && d.enabled !== false && typeof d.sip?.password === 'string' ? d.sip.password : undefined;
      },
      { header: 'proxy' },
    );
    if (!verdict.ok) {
      if (verdict.reason === 'missing' || verdict.reason === 'stale' || verdict.reason === 'wrong_realm') {
        const c = this.deps.digest.challenge(account.realm, { proxy: true, stale: verdict.reason === 'stale' });
        return { kind: 'challenge', header: 'Proxy-Authenticate', value: c.value };
      }
      return reject(403, `Forbidden (${verdict.reason === 'malformed' ? 'malformed credentials' : 'bad credentials'})`);
    }
    const device = await store.devices.findBySipUsername(account.id, verdict.username);
    if (!device) return reject(403, 'Forbidden (unknown device)');

    const extension = await store.callflows.findByNumber(account.id, user);
    const byNumber = !extension && number ? await store.callflows.findByNumber(account.id, number) : undefined;
    const listed = extension ?? byNumber;
    if (listed?.flow) return this.found(account, listed, extension ? user : number!, 'extension', device);
    for (const callflow of await store.callflows.listWithPatterns(account.id)) {
      for (const pattern of callflow.patterns ?? []) {
        const m = compileRegex(pattern)?.exec(user);
        if (m && callflow.flow) return this.found(account, callflow, pattern, 'pattern', device, m.slice(1));
      }
    }
    return reject(404, `Not Found (no extension ${user} in account ${account.name})`);
  }

  private found(
    account: AccountDoc,
    callflow: CallflowDoc,
    dialled: string,
    match: 'number' | 'extension' | 'pattern',
    device?: DeviceDoc,
    captures?: string[],
  ): RouteDecision {
    return {
      kind: 'route',
      account,
      callflow,
      flow: callflow.flow as FlowNode,
      dialled,
      match,
      ...(device ? { device } : {}),
      ...(captures ? { captures } : {}),
    };
  }
}
