// Live calls (KAZOO's /v2/accounts/{id}/channels), from this node's call registry:
//   GET /channels (the account's own legs; a sub-account's under its own URL), GET /channels/{call_id},
//   POST (or PUT) /channels/{call_id} {"data": {"action": "hangup"}} ends the call, and
//   {"action": "transfer", "target": "<number or extension>"} stops what the call is doing and runs the account's
//   callflow for that target on it (as the router would for a caller dialling it), from its root.

import { toE164 } from '../call/numbers.js';
import type { Call } from '../call/types.js';
import type { FlowNode } from '../callflow/types.js';
import type { Api } from './crossbar.js';
import { ApiError, notFound, send } from './envelope.js';
import { requireAdmin } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

/** One live leg in KAZOO's channel field names plus Pivot's (ISO times, state). */
export function channelView(call: Call, now = Date.now()): Record<string, unknown> {
  const end = call.endedAt ?? now;
  const bridged = call.usage.bridgedWith;
  const out: Record<string, unknown> = {
    uuid: call.id,
    call_id: call.id,
    account_id: call.accountId,
    direction: call.direction,
    // KAZOO's is the switch's view: a call that came in to it is `inbound`.
    call_direction: call.direction === 'inbound' ? 'inbound' : 'outbound',
    from: `${call.from.user}@${call.from.realm}`,
    to: `${call.to.user}@${call.to.realm}`,
    request: `${call.request.user}@${call.request.realm}`,
    destination: call.request.user,
    caller_id_name: call.callerId.name,
    caller_id_number: call.callerId.number,
    callee_id_name: call.calleeId.name,
    callee_id_number: call.calleeId.number,
    state: call.state,
    answered: call.answeredAt !== undefined,
    started_at: iso(call.startedAt),
    answered_at: iso(call.answeredAt),
    timestamp: Math.round(call.startedAt / 1000),
    duration_seconds: seconds(end - call.startedAt),
    billing_seconds: call.answeredAt === undefined ? 0 : seconds(end - call.answeredAt),
    bridged_with: [...bridged],
    other_leg: call.state === 'bridged' ? bridged[bridged.length - 1] : undefined,
    parent_call_id: call.usage.parentCallId,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

const actionSchema: JsonSchema = {
  type: 'object',
  required: ['action'],
  properties: {
    action: { type: 'string', enum: ['hangup', 'transfer'] },
    target: { type: 'string', minLength: 1, maxLength: 64 },
  },
};

export function channelRoutes(api: Api): void {
  const { sessions } = api;
  type P = { account_id: string };
  type C = P & { call_id: string };

  function registry() {
    const runtime = api.runtime();
    if (!runtime) throw new ApiError(503, 'the call runtime is not running');
    return runtime.registry;
  }

  /** A live leg of the account; 404 for any other (ended, unknown, or another account's). */
  /** The account's callflow for a number or extension, as a caller dialling it would reach it. */
  async function targetFlow(accountId: string, target: string) {
    const e164 = toE164(target);
    const found =
      (await api.store.callflows.findByNumber(accountId, target)) ??
      (e164 ? await api.store.callflows.findByNumber(accountId, e164) : undefined);
    if (!found?.flow) {
      throw new ApiError(404, 'no callflow for that target', {
        target: { not_found: { message: `no callflow of this account has the number or extension ${target}` } },
      });
    }
    return found;
  }

  function callOf(accountId: string, callId: string): Call {
    const call = registry().get(callId);
    if (!call || call.accountId !== accountId || call.state === 'ended') throw notFound(callId, 'channel not found');
    return call;
  }

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/channels',
      summary: "The account's live calls on this node, oldest first",
      tag: 'channels',
      // All of them at once: live calls are few and change by the second.
      list: false,
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const now = Date.now();
      const calls = registry()
        .list(account.id)
        .filter((c) => c.state !== 'ended')
        .sort((a, b) => a.startedAt - b.startedAt);
      return send(
        req,
        reply,
        calls.map((c) => channelView(c, now)),
      );
    },
  );

  api.route<C>(
    { method: 'GET', url: '/accounts/:account_id/channels/:call_id', summary: 'A live call', tag: 'channels' },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, channelView(callOf(account.id, req.params.call_id)));
    },
  );

  // KAZOO acts on channels with POST; the API names PUT: both do the same.
  for (const method of ['POST', 'PUT'] as const) {
    api.route<C>(
      {
        method,
        url: '/accounts/:account_id/channels/:call_id',
        summary:
          'Act on a live call: {"action": "hangup"} ends it; {"action": "transfer", "target": "<number or extension>"} ' +
          "leaves what it is doing and runs the account's callflow for that target",
        tag: 'channels',
        body: actionSchema,
      },
      async (req, reply, auth) => {
        requireAdmin(auth);
        const account = await sessions.account(auth, req.params.account_id);
        const data = check<{ action: 'hangup' | 'transfer'; target?: string }>(actionSchema, dataOf(req.body));
        const call = callOf(account.id, req.params.call_id);
        if (data.action === 'transfer') {
          if (!data.target) throw invalidTarget();
          const target = await targetFlow(account.id, data.target);
          if (!api.runtime()?.executor.replace(call.id, target.flow as FlowNode)) {
            throw new ApiError(409, 'this call is not running a callflow that can be transferred', {
              call_id: { state: { message: 'a dialled leg or a call in another flow: transfer the caller' } },
            });
          }
          return send(req, reply, {
            ...channelView(call),
            transferred_to: { target: data.target, callflow_id: target.id },
          });
        }
        await call.hangup('NORMAL_CLEARING');
        return send(req, reply, channelView(call));
      },
    );
  }
}

function invalidTarget(): ApiError {
  return new ApiError(400, 'invalid data', {
    target: { required: { message: 'Field is required but missing (action is transfer)' } },
  });
}
