// The browser softphone's signalling (issue 7): JSON over HTTP, non-trickle — the browser sends its offer with its
// ICE candidates gathered and gets the answer back at once.
//   PUT    /webphone/calls {"data": {"to": "1000", "sdp": "<offer>"}}  → 201 {"call_id", "sdp": "<answer>", …}
//   GET    /webphone/calls                        the caller's live web phone calls in this account
//   GET    /webphone/calls/{call_id}              one call, live or ended a short while ago (why it ended)
//   DELETE /webphone/calls/{call_id}              hang up
//   POST   /webphone/calls/{call_id}/dtmf {"data": {"digits": "1"}}   SIP INFO digits (RFC 4733 from the browser's
//                                                 RTCDTMFSender is the primary way)
// The call is placed as the caller's own web phone device of the account (created on first use, named
// "Web phone (<username>)", device_type "webphone"), so Pivot routes it as it routes the account's phones:
// extensions, numbers, patterns. `call_id` is Pivot's call id: channels, CDRs, Live Debug and live events use it.

import { isE164, toE164 } from '../call/numbers.js';
import { compileRegex } from '../callflow/modules/_regex.js';
import { ConflictError } from '../store/errors.js';
import type { AccountDoc, DeviceDoc, Store } from '../store/types.js';
import { WebphoneError, type WebphoneCallView, type WebphoneGateway } from '../webphone/gateway.js';
import type { Api } from './crossbar.js';
import { ApiError, conflict, fieldError, forbidden, notFound, send } from './envelope.js';
import { randomSecret } from './passwords.js';
import type { AuthContext } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

const placeSchema: JsonSchema = {
  type: 'object',
  required: ['to', 'sdp'],
  properties: {
    to: {
      type: 'string',
      pattern: '^[A-Za-z0-9+*#._~-]{1,64}$',
      description: 'an extension, number or pattern-matching string of the account',
    },
    sdp: {
      type: 'string',
      minLength: 1,
      maxLength: 65536,
      description:
        'the SDP offer of an RTCPeerConnection with one audio transceiver, PCMU (and telephone-event/8000 for ' +
        'DTMF) in its codec preferences, sent after ICE gathering completed',
    },
  },
};

const dtmfSchema: JsonSchema = {
  type: 'object',
  required: ['digits'],
  properties: { digits: { type: 'string', pattern: '^[0-9A-Da-d*#]{1,32}$' } },
};

export const WEBPHONE_DEVICE_TYPE = 'webphone';

/** The SIP username of a token's web phone device: one per user (per account for API-key tokens). */
export function webphoneUsername(auth: Pick<AuthContext, 'userId' | 'accountId'>): string {
  return `webphone_${(auth.userId ?? auth.accountId).slice(0, 16)}`;
}

/** The caller's web phone device in `account`, created (with generated SIP credentials) on first use. */
export async function webphoneDevice(store: Store, account: AccountDoc, auth: AuthContext): Promise<DeviceDoc> {
  const username = webphoneUsername(auth);
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await store.devices.findBySipUsername(account.id, username);
    if (found) {
      if (found.device_type !== WEBPHONE_DEVICE_TYPE) {
        throw conflict('sip.username', `the device ${found.name ?? found.id} already uses ${username}`, found.id);
      }
      if (found.enabled === false) throw forbidden(`the web phone device "${found.name}" is disabled`);
      if (typeof found.sip?.password === 'string') return found;
      return store.devices.update(account.id, found.id, { sip: { ...found.sip, password: randomSecret(12) } });
    }
    const user = auth.userId ? await store.users.get(auth.accountId, auth.userId) : undefined;
    const who = user?.username ?? (auth.method === 'api_auth' ? 'API key' : auth.userId);
    try {
      return await store.devices.create(account.id, {
        name: `Web phone (${who})`,
        device_type: WEBPHONE_DEVICE_TYPE,
        enabled: true,
        // Owned by the user when the user is of this account (a parent's admin calling into a sub-account is not).
        ...(user && auth.accountId === account.id ? { owner_id: user.id } : {}),
        sip: { username, password: randomSecret(12) },
      });
    } catch (e) {
      // Two first calls at once: the other one created it.
      if (!(e instanceof ConflictError)) throw e;
    }
  }
  throw new ApiError(500, 'the web phone device could not be created');
}

/**
 * Whether Pivot's router would find something for `to` from a device of the account — an assigned number, an
 * extension or number of the account, a pattern — so an unknown extension is a clear 404 before any media. The
 * router stays the authority: what it refuses later ends the call with its reason.
 */
export async function routable(store: Store, account: AccountDoc, to: string): Promise<boolean> {
  const e164 = toE164(to);
  if (e164 && isE164(e164) && (await store.phoneNumbers.get(e164))) return true;
  if ((await store.callflows.findByNumber(account.id, to))?.flow) return true;
  if (e164 && (await store.callflows.findByNumber(account.id, e164))?.flow) return true;
  for (const callflow of await store.callflows.listWithPatterns(account.id)) {
    if (callflow.flow && (callflow.patterns ?? []).some((p) => compileRegex(p)?.test(to))) return true;
  }
  return false;
}

function apiError(e: unknown): unknown {
  if (!(e instanceof WebphoneError)) return e;
  if (e.status === 400 && e.field) return fieldError(e.field, e.rule ?? 'invalid', e.message);
  return new ApiError(e.status, e.message);
}

/** A web phone call is the business of admins and of the user who placed it. */
function visible(call: WebphoneCallView, auth: AuthContext): boolean {
  return auth.privLevel === 'admin' || (auth.userId !== undefined && call.placed_by.user_id === auth.userId);
}

export function webphoneRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };
  type C = P & { call_id: string };

  function gateway(): WebphoneGateway {
    const g = api.runtime()?.webphone;
    if (!g?.running) throw new ApiError(503, 'the web phone gateway is not running (PIVOT_WEBPHONE)');
    return g;
  }

  function callOf(account: AccountDoc, auth: AuthContext, id: string): WebphoneCallView {
    const call = gateway().get(id);
    if (!call || call.account_id !== account.id || !visible(call, auth)) {
      throw notFound(id, 'web phone call not found');
    }
    return call;
  }

  api.route<P>(
    {
      method: 'PUT',
      url: '/accounts/:account_id/webphone/calls',
      summary: "Place a call from the browser: the SDP offer in, the answer out (as the caller's web phone device)",
      tag: 'webphone',
      body: placeSchema,
      description:
        'Non-trickle: send the offer once ICE gathering is complete. The answer comes back at once; the SIP call ' +
        "into Pivot starts when the browser's media connects. `call_id` is Pivot's call id (live events, channels, " +
        'Live Debug); GET the call for its state and, once ended, why (`end.reason`, `end.message`).',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const data = check<{ to: string; sdp: string }>(placeSchema, dataOf(req.body));
      const g = gateway();
      if (!(await routable(store, account, data.to))) {
        throw new ApiError(404, 'nothing to call', {
          to: {
            not_found: {
              message: `no extension, number or pattern of account ${account.name} matches ${data.to}`,
              value: data.to,
            },
          },
        });
      }
      const device = await webphoneDevice(store, account, auth);
      // The device's own caller id when it has one (caller_id.internal, as Kazoo's devices), else its name.
      const callerId = (device.caller_id as { internal?: { name?: unknown; number?: unknown } } | undefined)?.internal;
      const number = typeof callerId?.number === 'string' && /^[A-Za-z0-9+*#._-]{1,64}$/.test(callerId.number);
      try {
        const placed = await g.place({
          accountId: account.id,
          realm: account.realm,
          to: data.to,
          offer: data.sdp,
          device: {
            id: device.id,
            username: String(device.sip!.username),
            password: String(device.sip!.password),
            ...(number ? { callerIdNumber: String(callerId!.number).replace(/#/g, '%23') } : {}),
            callerIdName: typeof callerId?.name === 'string' ? callerId.name : device.name,
          },
          placedBy: { accountId: auth.accountId, ...(auth.userId ? { userId: auth.userId } : {}) },
        });
        return send(req, reply, { ...placed.call, sdp: placed.answer }, {}, 201);
      } catch (e) {
        throw apiError(e);
      }
    },
  );

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/webphone/calls',
      summary: "The caller's live web phone calls in the account (an admin sees everyone's)",
      tag: 'webphone',
      list: false,
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const calls = gateway()
        .list(account.id)
        .filter((c) => visible(c, auth));
      return send(req, reply, calls);
    },
  );

  api.route<C>(
    {
      method: 'GET',
      url: '/accounts/:account_id/webphone/calls/:call_id',
      summary: 'A web phone call: its state, and why it ended (kept for two minutes after the end)',
      tag: 'webphone',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return send(req, reply, callOf(account, auth, req.params.call_id));
    },
  );

  api.route<C>(
    {
      method: 'DELETE',
      url: '/accounts/:account_id/webphone/calls/:call_id',
      summary: "Hang up a web phone call (BYE or CANCEL to Pivot, the browser's connection closed)",
      tag: 'webphone',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const call = callOf(account, auth, req.params.call_id);
      return send(req, reply, gateway().hangup(call.call_id) ?? call);
    },
  );

  api.route<C>(
    {
      method: 'POST',
      url: '/accounts/:account_id/webphone/calls/:call_id/dtmf',
      summary: "Send DTMF digits into an answered web phone call as SIP INFO (fallback to the browser's RTCDTMFSender)",
      tag: 'webphone',
      body: dtmfSchema,
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const data = check<{ digits: string }>(dtmfSchema, dataOf(req.body));
      const call = callOf(account, auth, req.params.call_id);
      if (call.state === 'ended') throw notFound(call.call_id, 'web phone call not found');
      try {
        await gateway().sendDigits(call.call_id, data.digits.toUpperCase());
      } catch (e) {
        throw apiError(e);
      }
      return send(req, reply, { call_id: call.call_id, digits: data.digits.toUpperCase() });
    },
  );
}
