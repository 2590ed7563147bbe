// The Calls API: place a call that runs a Pivot URL once answered, in two shapes —
//   Twilio's  POST /2010-04-01/Accounts/{AccountSid}/Calls.json  (form: To, From, Url, Method, StatusCallback…),
//             GET  …/Calls/{CallSid}.json, and POST …/Calls/{CallSid}.json with Status=completed to hang up;
//   Kazoo's   PUT  /v2/accounts/{account_id}/pivot/calls  {"data": {to, from, voice_url, method, req_format…}}.
// So an app written with Twilio's library (`client.calls.create({to, from, url})`) works unchanged.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CallRegistry } from '../call/registry.js';
import type { CallflowExecutor } from '../callflow/executor.js';
import type { Call } from '../call/types.js';
import { callStatus } from '../pivot/params.js';
import type {
  OutboundCallError,
  OutboundCallRequest,
  OutboundCalls,
  PlacedCall,
  StatusEvent,
} from '../pivot/outbound-calls.js';
import type { CdrDoc, Store } from '../store/types.js';
import { accountIdOf, basicAuth, type AuthResult } from './auth.js';
import { ApiError } from './envelope.js';
import { Sessions, requireAdmin } from './session.js';

export interface CallsApiOptions {
  store: Store;
  /** Available once the call runtime runs. */
  outbound: () => OutboundCalls | undefined;
  registry: () => CallRegistry | undefined;
  /** Replaces the flow running on a live call (Twilio's live call modification with `Url=`). */
  executor?: () => CallflowExecutor | undefined;
}

type Fields = Record<string, string | string[]>;

const rfc2822 = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toUTCString().replace(/GMT$/, '+0000');

function twilioError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).send({
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}

function kazooError(reply: FastifyReply, status: number, message: string, data: Record<string, unknown> = {}) {
  return reply.code(status).send({
    status: 'error',
    error: String(status),
    message,
    data,
    request_id: randomUUID(),
  });
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function methodOf(v: unknown): 'GET' | 'POST' | undefined {
  const m = String(v ?? 'POST').toUpperCase();
  return m === 'GET' || m === 'POST' ? m : undefined;
}

const EVENTS: StatusEvent[] = ['initiated', 'ringing', 'answered', 'completed'];

/** StatusCallbackEvent: repeated, or space/comma separated; unknown names are an error. */
function eventsOf(v: unknown): StatusEvent[] | string | undefined {
  if (v === undefined) return undefined;
  const names = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(/[\s,]+/)).filter(Boolean);
  const bad = names.find((n) => !EVENTS.includes(n as StatusEvent));
  return bad ? bad : (names as StatusEvent[]);
}

function seconds(v: unknown, field: string, max: number): number | undefined | OutboundCallError {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    return { status: 400, code: 21210, field, message: `${field} must be a whole number of seconds from 1 to ${max}` };
  }
  return n;
}

/** A Twilio call resource for a live call or its CDR. */
function callResource(accountId: string, sid: string, call: Call | undefined, cdr?: CdrDoc) {
  const started = call?.startedAt ?? (cdr?.started_at ? Date.parse(String(cdr.started_at)) : undefined);
  const answered = call?.answeredAt ?? (cdr?.answered_at ? Date.parse(String(cdr.answered_at)) : undefined);
  const ended = call?.endedAt ?? (cdr?.ended_at ? Date.parse(String(cdr.ended_at)) : undefined);
  const status = call ? callStatus(call) : cdrStatus(cdr);
  return {
    sid,
    account_sid: `AC${accountId}`,
    api_version: '2010-04-01',
    direction: call?.direction ?? cdr?.direction ?? 'outbound-api',
    from: call?.callerId.number ?? cdr?.caller_id_number ?? null,
    to: call ? call.to.user : String(cdr?.to ?? '').replace(/@.*$/, ''),
    status: status === 'ringing' && call?.state === 'ringing' && !call.answeredAt ? 'ringing' : status,
    date_created: rfc2822(started),
    date_updated: rfc2822(ended ?? Date.now()),
    start_time: rfc2822(answered),
    end_time: rfc2822(ended),
    duration: ended && answered ? String(Math.round((ended - answered) / 1000)) : null,
    parent_call_sid: call?.usage.parentCallId ?? cdr?.parent_call_id ?? null,
    uri: `/2010-04-01/Accounts/AC${accountId}/Calls/${sid}.json`,
  };
}

function cdrStatus(cdr: CdrDoc | undefined): string {
  if (!cdr) return 'queued';
  const cause = String(cdr.hangup_cause ?? 'NORMAL_CLEARING');
  if (!cdr.answered_at) {
    if (cause === 'USER_BUSY' || cause === 'CALL_REJECTED') return 'busy';
    if (cause === 'NO_ANSWER') return 'no-answer';
    if (cause === 'ORIGINATOR_CANCEL') return 'canceled';
    return 'failed';
  }
  return 'completed';
}

export const callsApi: FastifyPluginAsync<CallsApiOptions> = async (app, opts) => {
  // Twilio's API takes forms; this scope parses them (repeated keys become arrays).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const fields: Fields = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const prev = fields[k];
      fields[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    done(null, fields);
  });

  const sessions = new Sessions(opts.store);

  /** A REST API token (X-Auth-Token or Bearer) of an admin of the account or of an ancestor. */
  async function tokenAuth(req: FastifyRequest, accountId: string): Promise<AuthResult> {
    try {
      const ctx = await sessions.authenticate(req);
      requireAdmin(ctx);
      return { ok: true, account: await sessions.account(ctx, accountId) };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return { ok: false, status: err.status === 401 ? 401 : 403, message: err.message };
    }
  }

  /** HTTP Basic (account id and signing key, as Twilio's libraries send) or a REST API token. */
  async function authorised(req: FastifyRequest, reply: FastifyReply, accountId: string, kazoo: boolean) {
    const hasToken = req.headers['x-auth-token'] !== undefined || /^Bearer\s/i.test(req.headers.authorization ?? '');
    const auth = hasToken
      ? await tokenAuth(req, accountId)
      : await basicAuth(opts.store, req.headers.authorization, accountId);
    if (auth.ok) return true;
    if (auth.status === 401) reply.header('WWW-Authenticate', 'Basic realm="Pivot"');
    if (kazoo) await kazooError(reply, auth.status, auth.message);
    else await twilioError(reply, auth.status, auth.status === 401 ? 20003 : 20403, auth.message);
    return false;
  }

  async function place(req: OutboundCallRequest): Promise<PlacedCall | OutboundCallError> {
    const outbound = opts.outbound();
    if (!outbound) return { status: 503, code: 20503, field: '', message: 'the call runtime is not running' };
    return outbound.place(req);
  }

  app.post<{ Params: { accountId: string }; Body: Fields }>(
    '/2010-04-01/Accounts/:accountId/Calls.json',
    async (req, reply) => {
      const accountId = accountIdOf(req.params.accountId);
      if (!(await authorised(req, reply, accountId, false))) return reply;
      const body: Fields = req.body && typeof req.body === 'object' ? req.body : {};
      const to = one(body.To)?.trim();
      const from = one(body.From)?.trim() ?? one(body.CallerId)?.trim();
      const url = one(body.Url)?.trim();
      if (!to) return twilioError(reply, 400, 21201, "No 'To' number is specified");
      if (!from) return twilioError(reply, 400, 21213, "No 'From' number is specified");
      if (!url) {
        const why = body.Twiml ? 'inline Twiml is not supported; give a Url' : 'Url parameter is required';
        return twilioError(reply, 400, 21205, why);
      }
      const method = methodOf(one(body.Method));
      const callbackMethod = methodOf(one(body.StatusCallbackMethod));
      if (!method || !callbackMethod) return twilioError(reply, 400, 21204, 'Method must be GET or POST');
      const events = eventsOf(body.StatusCallbackEvent);
      if (typeof events === 'string') {
        return twilioError(reply, 400, 21626, `unknown StatusCallbackEvent "${events}" (${EVENTS.join(', ')})`);
      }
      const timeout = seconds(one(body.Timeout), 'Timeout', 600);
      const timeLimit = seconds(one(body.TimeLimit), 'TimeLimit', 86_400);
      for (const v of [timeout, timeLimit]) {
        if (typeof v === 'object') return twilioError(reply, v.status, v.code, v.message);
      }
      const placed = await place({
        accountId,
        to,
        from,
        url,
        method,
        format: 'twiml',
        ...(one(body.StatusCallback) ? { statusCallback: one(body.StatusCallback) } : {}),
        statusCallbackMethod: callbackMethod,
        ...(events ? { statusCallbackEvents: events } : {}),
        ...(typeof timeout === 'number' ? { timeoutS: timeout } : {}),
        ...(typeof timeLimit === 'number' ? { timeLimitS: timeLimit } : {}),
        ...(one(body.CallerName) ? { callerName: one(body.CallerName) } : {}),
      });
      if ('code' in placed) return twilioError(reply, placed.status, placed.code, placed.message);
      return reply.code(201).send({ ...callResource(accountId, placed.call.id, placed.call), status: 'queued' });
    },
  );

  /** The account and call sid of a `…/Calls/:sid` URL, and the call when it is live and the account's. */
  function callOf(params: { accountId: string; sid: string }) {
    const accountId = accountIdOf(params.accountId);
    const sid = params.sid.replace(/\.json$/, '');
    const found = opts.registry()?.get(sid);
    return { accountId, sid, live: found?.accountId === accountId ? found : undefined };
  }

  app.get<{ Params: { accountId: string; sid: string } }>(
    '/2010-04-01/Accounts/:accountId/Calls/:sid',
    async (req, reply) => {
      const { accountId, sid, live } = callOf(req.params);
      if (!(await authorised(req, reply, accountId, false))) return reply;
      if (live) return callResource(accountId, sid, live);
      const cdrs = await opts.store.cdrs.forCall(accountId, sid);
      if (!cdrs.length) return twilioError(reply, 404, 20404, `The requested resource Calls/${sid} was not found`);
      return callResource(accountId, sid, undefined, cdrs[0]);
    },
  );

  app.post<{ Params: { accountId: string; sid: string }; Body: Fields }>(
    '/2010-04-01/Accounts/:accountId/Calls/:sid',
    async (req, reply) => {
      const { accountId, sid, live } = callOf(req.params);
      if (!(await authorised(req, reply, accountId, false))) return reply;
      if (!live) {
        return twilioError(reply, 404, 20404, `Calls/${sid} is not a live call of this account`);
      }
      const body = req.body ?? {};
      const url = one(body.Url);
      if (url !== undefined) {
        // Live call modification: the call leaves what it is doing and runs the TwiML at Url.
        const method = methodOf(one(body.Method));
        if (!/^https?:\/\/[^/]/i.test(url)) return twilioError(reply, 400, 21205, `Url is not a valid URL: ${url}`);
        if (!method) return twilioError(reply, 400, 21207, 'Method must be GET or POST');
        const flow = { module: 'pivot', data: { voice_url: url, method: method.toLowerCase(), req_format: 'twiml' } };
        if (!opts.executor?.()?.replace(live.id, flow)) {
          return twilioError(reply, 400, 21220, `Calls/${sid} is not running a flow that can be redirected`);
        }
        return callResource(accountId, sid, live);
      }
      const status = one(body.Status);
      if (status !== 'completed' && status !== 'canceled') {
        return twilioError(reply, 400, 21220, 'send Url to redirect the call, or Status=completed/canceled to end it');
      }
      await live.hangup(status === 'canceled' ? 'ORIGINATOR_CANCEL' : 'NORMAL_CLEARING');
      return callResource(accountId, sid, live);
    },
  );

  app.put<{ Params: { accountId: string }; Body: { data?: Record<string, unknown> } }>(
    '/v2/accounts/:accountId/pivot/calls',
    async (req, reply) => {
      const { accountId } = req.params;
      if (!(await authorised(req, reply, accountId, true))) return reply;
      const data = req.body?.data;
      if (!data || typeof data !== 'object') {
        return kazooError(reply, 400, 'invalid data', {
          data: { required: { message: 'Field is required but missing' } },
        });
      }
      const missing: Record<string, unknown> = {};
      for (const field of ['to', 'from', 'voice_url']) {
        if (typeof data[field] !== 'string' || !(data[field] as string).trim()) {
          missing[field] = { required: { message: 'Field is required but missing' } };
        }
      }
      const method = methodOf(data.method ?? data.http_method);
      if (!method)
        missing.method = { enum: { message: 'Value not found in enumerated list of values', target: ['get', 'post'] } };
      const format = String(data.req_format ?? 'kazoo');
      if (format !== 'kazoo' && format !== 'twiml') {
        missing.req_format = {
          enum: { message: 'Value not found in enumerated list of values', target: ['kazoo', 'twiml'] },
        };
      }
      const events = eventsOf(data.status_callback_events);
      if (typeof events === 'string') {
        missing.status_callback_events = { enum: { message: `unknown event "${events}"`, target: EVENTS } };
      }
      const timeout = seconds(data.timeout, 'timeout', 600);
      if (typeof timeout === 'object') missing.timeout = { range: { message: timeout.message } };
      if (Object.keys(missing).length) return kazooError(reply, 400, 'invalid data', missing);
      const placed = await place({
        accountId,
        to: String(data.to).trim(),
        from: String(data.from).trim(),
        url: String(data.voice_url).trim(),
        method: method!,
        format: format as 'kazoo' | 'twiml',
        ...(typeof data.status_callback === 'string' ? { statusCallback: data.status_callback } : {}),
        ...(events && typeof events !== 'string' ? { statusCallbackEvents: events } : {}),
        ...(typeof timeout === 'number' ? { timeoutS: timeout } : {}),
        ...(typeof data.caller_id_name === 'string' ? { callerName: data.caller_id_name } : {}),
        ...(data.debug === true ? { debug: true } : {}),
      });
      if ('code' in placed) {
        const field = placed.field === 'url' ? 'voice_url' : placed.field;
        return kazooError(reply, placed.status, placed.status === 400 ? 'invalid data' : placed.message, {
          [field]: { invalid: { message: placed.message, code: placed.code } },
        });
      }
      return reply.code(201).send({
        status: 'success',
        request_id: randomUUID(),
        data: {
          call_id: placed.call.id,
          status: 'queued',
          direction: 'outbound-api',
          to: String(data.to),
          from: String(data.from),
          voice_url: String(data.voice_url),
          req_format: format,
        },
      });
    },
  );
};
