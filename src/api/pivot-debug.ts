// Live Debug (KAZOO's cb_pivot, spec §8; GET only):
//   GET /pivot/debug — one summary per call, newest first: KAZOO's first_iteration fields (call_id, created, uri,
//     status_code, node, iteration, has_schema_errors, has_json_errors, debug_id) and Pivot's (iterations,
//     duration_ms, has_errors); page_size, start_key, created_from/created_to, filter_<field>.
//   GET /pivot/debug/{call_id} — every record of the call, oldest first (requests and responses with their headers,
//     bodies and durations, errors, CDR posts), each with `debug_id`; `{call_id}` may be KAZOO's `YYYYMM-<call_id>`.

import { debugId } from '../store/pivot-debug.js';
import type { ListOptions, Page, PivotCallSummary } from '../store/types.js';
import { encodeKey, matchesFilter } from '../store/util.js';
import type { Api } from './crossbar.js';
import { notFound, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';

/** Summaries read per round trip while a filter skips calls. */
const BATCH = 200;

export function pivotDebugRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };

  /** A page of summaries; `filter_*` is applied here (the store pages by time only), reading on until it is full. */
  async function calls(accountId: string, opts: ListOptions): Promise<Page<PivotCallSummary>> {
    const range = { createdFrom: opts.createdFrom, createdTo: opts.createdTo };
    if (!opts.filter)
      return store.pivotDebug.listCalls(accountId, { ...range, limit: opts.limit, startKey: opts.startKey });
    const want = opts.limit === undefined ? Infinity : opts.limit + 1;
    const items: PivotCallSummary[] = [];
    let startKey = opts.startKey;
    do {
      const page = await store.pivotDebug.listCalls(accountId, { ...range, limit: BATCH, startKey });
      for (const s of page.items) if (items.length < want && matchesFilter(s, opts.filter)) items.push(s);
      startKey = page.nextStartKey;
    } while (startKey && items.length < want);
    const next = opts.limit !== undefined ? items[opts.limit] : undefined;
    return {
      items: items.slice(0, opts.limit),
      ...(next && { nextStartKey: encodeKey(next.created, next.call_id) }),
    };
  }

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/pivot/debug',
      summary: 'Live Debug: one summary per call, newest first (page_size, start_key, created_from/created_to)',
      tag: 'pivot',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      return sendPage(req, reply, await calls(account.id, opts), opts);
    },
  );

  api.route<P & { call_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/pivot/debug/:call_id',
      summary: 'Every debug record of a call, oldest first (the call id, or YYYYMM-<call_id>)',
      tag: 'pivot',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const records = await store.pivotDebug.forCall(account.id, req.params.call_id);
      if (!records.length) throw notFound(req.params.call_id, 'no debug records for this call');
      const id = debugId(Math.min(...records.map((r) => r.created)), records[0].call_id);
      return send(
        req,
        reply,
        records.map((r) => ({ ...r, debug_id: id })),
      );
    },
  );
}
