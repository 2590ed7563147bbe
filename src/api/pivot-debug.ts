// Live Debug (KAZOO's cb_pivot, spec §8):
//   GET /pivot/debug — one summary per call, newest first: KAZOO's first_iteration fields (call_id, created, uri,
//     status_code, node, iteration, has_schema_errors, has_json_errors, debug_id) and Pivot's (iterations,
//     duration_ms, has_errors, last_created, from_number, to_number, callflow_id, callflow_name, last_status_code, error_code,
//     error_type, error_message, has_warnings, result); page_size, start_key, created_from/created_to,
//     filter_<field>, and two filters of its own: filter_number (the caller or the number dialled contains it) and
//     filter_result=error (any failure).
//   GET /pivot/debug/{call_id} — every record of the call, oldest first (requests and responses with their headers,
//     bodies and durations, errors, verbs and modules executed, CDR posts), each with `debug_id`; `{call_id}` may be
//     KAZOO's `YYYYMM-<call_id>`.
//   POST /pivot/debug/{call_id}/replay {"data":{"id":"<request record id>"}} — sends that request again through
//     Pivot's HTTP client (URL policy, fresh signatures, the same timeout) and answers the new response; nothing runs
//     on any call.

import { NotReplayable, replayRequest } from '../pivot/debug.js';
import type { UrlPolicy } from '../pivot/http/index.js';
import { debugId } from '../store/pivot-debug.js';
import type { ListOptions, Page, PivotCallSummary, PivotDebugRecord } from '../store/types.js';
import { encodeKey, matchesFilter } from '../store/util.js';
import type { Api } from './crossbar.js';
import { ApiError, notFound, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';
import { requireAdmin } from './session.js';
import { check, dataOf } from './validate.js';

/** Summaries read per round trip while a filter skips calls. */
const BATCH = 200;

/** Results that are failures (`filter_result=error`). */
const FAILURES = ['http_error', 'timeout', 'invalid_xml', 'invalid_json', 'schema_error', 'runtime_error'];

/** Digits (and * #) of a number, for matching `+1 415-555…` against `14155…`. */
const digitsOf = (v: string): string => v.replace(/[^0-9*#]/g, '');

/** `filter_number`: the caller or the number dialled contains it (digits compared when it has any). */
function matchesNumber(s: PivotCallSummary, want: string): boolean {
  const d = digitsOf(want);
  return [s.from_number, s.to_number].some((v) =>
    typeof v !== 'string' ? false : d ? digitsOf(v).includes(d) : v.toLowerCase().includes(want.toLowerCase()),
  );
}

/** A summary against the listing's filters (`filter_number`, `filter_result=error` and plain `filter_<field>`). */
function matches(s: PivotCallSummary, filter: Record<string, string>): boolean {
  const { number, result, ...rest } = filter;
  if (number !== undefined && !matchesNumber(s, number)) return false;
  if (result !== undefined && (result === 'error' ? !FAILURES.includes(String(s.result)) : s.result !== result)) {
    return false;
  }
  return matchesFilter(s, rest);
}

const replaySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', minLength: 1, description: 'id of the request record to send again' },
    iteration: {
      type: 'integer',
      minimum: 1,
      description: "instead of id: that iteration's webhook request (the first one when several sessions had it)",
    },
  },
};

/** `policy`: the URL policy replays go through (default: the server's, `api.urlPolicy`). */
export function pivotDebugRoutes(api: Api, opts: { policy?: UrlPolicy } = {}): void {
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
      for (const s of page.items) if (items.length < want && matches(s, opts.filter)) items.push(s);
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
      list: true,
      description:
        'Each call: call_id, created, last_created, from_number, to_number, callflow_id and callflow_name (the Pivot Callflow ' +
        'Action), uri, status_code (first response), last_status_code, iterations, duration_ms (time spent in ' +
        'webhook requests), error_code/error_type/error_message (the first error that stopped a request) and result: ' +
        'ok, warning, http_error, timeout, invalid_xml, invalid_json, schema_error or runtime_error.',
      query: {
        filter_callflow_id: { type: 'string', description: 'calls of one Pivot Callflow Action' },
        filter_result: {
          type: 'string',
          description:
            'ok, warning, http_error, timeout, invalid_xml, invalid_json, schema_error, runtime_error; error: any failure',
        },
        filter_number: { type: 'string', description: 'the caller or the number dialled contains it' },
      },
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

  api.route<P & { call_id: string }>(
    {
      method: 'POST',
      url: '/accounts/:account_id/pivot/debug/:call_id/replay',
      summary: 'Send a recorded request of the call again and answer the new response (nothing runs on any call)',
      tag: 'pivot',
      body: replaySchema,
      description:
        'Replays the request record `id` (or the webhook request of `iteration`) exactly — method, URL, headers, ' +
        "body — through Pivot's HTTP client: the URL policy applies, X-Twilio-Signature and X-Pivot-Signature are " +
        "computed afresh with the account's signing key, and the request's own timeout holds. Answers {id, " +
        'iteration, replayed_at, request, response: {status, headers, body, content_type, duration_ms}, error: ' +
        '{code, message, line, column, type}, duration_ms, notes}; a response that is not a usable document has its ' +
        'error (with line and column) as during the call. Needs an admin token.',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const data = check<{ id?: string; iteration?: number }>(replaySchema, dataOf(req.body));
      if (data.id === undefined && data.iteration === undefined) {
        throw new ApiError(400, 'invalid data', {
          id: { required: { message: 'name the request record to replay (id), or its iteration' } },
        });
      }
      const records = await store.pivotDebug.forCall(account.id, req.params.call_id);
      if (!records.length) throw notFound(req.params.call_id, 'no debug records for this call');
      const record: PivotDebugRecord | undefined =
        data.id !== undefined
          ? records.find((r) => r.id === data.id)
          : records.find((r) => r.kind === 'request' && r.iteration === data.iteration);
      const field = data.id !== undefined ? 'id' : 'iteration';
      if (!record) {
        throw new ApiError(404, 'not found', {
          [field]: {
            not_found: {
              message: `the call has no ${data.id !== undefined ? 'record' : 'request'} ${String(data.id ?? data.iteration)}`,
            },
          },
        });
      }
      const policy = opts.policy ?? api.urlPolicy;
      if (!policy) throw new ApiError(503, 'replays need the URL policy, which this server was started without');
      try {
        const result = await replayRequest(record, { policy, signingKey: account.signing_key });
        return send(req, reply, { ...result, call_id: record.call_id });
      } catch (err) {
        if (err instanceof NotReplayable) {
          throw new ApiError(400, 'invalid data', { [field]: { type: { message: err.message } } });
        }
        throw err;
      }
    },
  );
}
