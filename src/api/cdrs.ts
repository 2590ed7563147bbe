// Call detail records (KAZOO's /v2/accounts/{id}/cdrs), one per leg, written when the leg hangs up:
//   GET /cdrs (by created; page_size, start_key, filter_<field>, created_from/created_to),
//   GET /cdrs/{cdr_id} (a CDR id, or a call id — plain or KAZOO's `YYYYMM-<call_id>`),
//   GET /cdrs/legs/{call_id} (every leg of the call: the leg itself, the legs it placed, its parent and siblings).

import type { CdrDoc } from '../store/types.js';
import type { Api } from './crossbar.js';
import { notFound, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';

export function cdrRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };

  /** The CDR named by a CDR id or a call id. */
  async function cdrOf(accountId: string, id: string): Promise<CdrDoc | undefined> {
    const byId = await store.cdrs.get(accountId, id);
    if (byId) return byId;
    const [first] = await store.cdrs.forCall(accountId, id);
    if (first) return first;
    const m = /^\d{6}-(.+)$/s.exec(id);
    return m ? (await store.cdrs.forCall(accountId, m[1]))[0] : undefined;
  }

  /** Legs whose parent is `callId` (the legs a Dial placed). */
  async function children(accountId: string, callId: string): Promise<CdrDoc[]> {
    return (await store.cdrs.list(accountId, { filter: { parent_call_id: callId } })).items;
  }

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/cdrs',
      summary: 'List call detail records by creation (page_size, start_key, filter_<field>, created_from/created_to)',
      tag: 'cdrs',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      return sendPage(req, reply, await store.cdrs.list(account.id, opts), opts);
    },
  );

  api.route<P & { cdr_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/cdrs/:cdr_id',
      summary: 'Read a call detail record (by CDR id or call id)',
      tag: 'cdrs',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const cdr = await cdrOf(account.id, req.params.cdr_id);
      if (!cdr) throw notFound(req.params.cdr_id, 'cdr not found');
      return send(req, reply, cdr);
    },
  );

  api.route<P & { call_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/cdrs/legs/:call_id',
      summary: 'Every leg of a call, oldest first',
      tag: 'cdrs',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const leg = await cdrOf(account.id, req.params.call_id);
      if (!leg) throw notFound(req.params.call_id, 'cdr not found');
      const parentId = typeof leg.parent_call_id === 'string' ? leg.parent_call_id : undefined;
      const root = (parentId && (await store.cdrs.forCall(account.id, parentId))[0]) || leg;
      const legs = new Map<string, CdrDoc>();
      for (const cdr of [root, leg, ...(await children(account.id, root.call_id))]) legs.set(cdr.id, cdr);
      const out = [...legs.values()].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
      return send(req, reply, out);
    },
  );
}
