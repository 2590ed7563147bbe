// Calls placed on request (the Calls API — something Kazoo's Pivot cannot do): a call to a number, a device or a
// SIP URI that, once answered, runs a Pivot URL with Direction=outbound-api, with Twilio's status callbacks
// (initiated, ringing, answered, completed) along the way.

import { toE164 } from '../call/numbers.js';
import { requestParams, callStatus } from './params.js';
import { SipCall, type SipCallDeps } from '../call/sip-call.js';
import { identityOfUri, type ResolveTargets, type SipTarget } from '../call/targets.js';
import type { Call, Endpoint } from '../call/types.js';
import type { FlowNode, Logger } from '../callflow/types.js';
import type { Store } from '../store/types.js';
import { sendCallback, type UrlPolicy } from './http/index.js';

export type StatusEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface OutboundCallRequest {
  accountId: string;
  /** A phone number, `sip:` URI, or `client:<sip username>` of one of the account's devices. */
  to: string;
  /** Caller ID number presented to the callee. */
  from: string;
  callerName?: string;
  url: string;
  method: 'GET' | 'POST';
  format: 'twiml' | 'kazoo';
  statusCallback?: string;
  statusCallbackMethod?: 'GET' | 'POST';
  /** Default: `completed` only, as Twilio. */
  statusCallbackEvents?: StatusEvent[];
  /** Ring time in seconds (Twilio's Timeout, default 60). */
  timeoutS?: number;
  /** Longest the answered call may last, in seconds. */
  timeLimitS?: number;
  /** Record every Pivot request and response of the call. */
  debug?: boolean;
}

export type OutboundCallError = { status: number; code: number; field: string; message: string };

export interface OutboundCallDeps {
  sipDeps(): SipCallDeps;
  resolve: ResolveTargets;
  /** Runs a callflow on an answered call (the executor). */
  run(call: Call, flow: FlowNode): Promise<void>;
  store: Store;
  policy: UrlPolicy;
  log: Logger;
  /** Pivot's SIP host, for the From realm. */
  realm(): string;
}

/** What the API answers: the call, just placed (still ringing). */
export interface PlacedCall {
  call: Call;
  request: OutboundCallRequest;
  createdAt: number;
}

/** Twilio's status callback parameters for one event. */
function statusParams(call: Call, event: StatusEvent, sequence: number): Record<string, unknown> {
  const status = event === 'initiated' ? 'initiated' : event === 'answered' ? 'in-progress' : callStatus(call);
  const end = call.endedAt;
  return requestParams('twiml', call, {
    CallStatus: status,
    CallbackSource: 'call-progress-events',
    SequenceNumber: sequence,
    Timestamp: new Date().toUTCString(),
    ...(event === 'completed'
      ? {
          CallDuration: call.answeredAt && end ? Math.round((end - call.answeredAt) / 1000) : 0,
          Duration: call.answeredAt && end ? Math.ceil((end - call.answeredAt) / 60_000) : 0,
          ...(call.hangupSipCode ? { SipResponseCode: call.hangupSipCode } : {}),
        }
      : {}),
  });
}

export class OutboundCalls {
  constructor(private readonly deps: OutboundCallDeps) {}

  /** The endpoint `to` names, or why it names none. */
  async endpointFor(accountId: string, to: string): Promise<Endpoint | OutboundCallError> {
    const value = to.trim();
    if (/^sips?:/i.test(value)) return { type: 'sip', uri: value };
    const client = /^client:(.+)$/i.exec(value);
    if (client) {
      const device = await this.deps.store.devices.findBySipUsername(accountId, client[1]);
      if (!device) {
        return { status: 400, code: 21211, field: 'to', message: `no device of this account is called ${client[1]}` };
      }
      return { type: 'device', deviceId: device.id };
    }
    const number = toE164(value) ?? (/^\d{2,15}$/.test(value) ? value : undefined);
    if (!number) {
      return {
        status: 400,
        code: 21211,
        field: 'to',
        message: `"${value}" is not a phone number, a sip: URI or client:<device>`,
      };
    }
    return { type: 'number', number };
  }

  /** Checks the request, sends the INVITE, and returns at once; the call goes on in the background. */
  async place(req: OutboundCallRequest): Promise<PlacedCall | OutboundCallError> {
    const url = this.deps.policy.checkSync(req.url);
    if (!url.ok) return { status: 400, code: 21205, field: 'url', message: `Url: ${url.error.message}` };
    if (req.statusCallback) {
      const cb = this.deps.policy.checkSync(req.statusCallback);
      if (!cb.ok) return { status: 400, code: 21609, field: 'status_callback', message: cb.error.message };
    }
    const endpoint = await this.endpointFor(req.accountId, req.to);
    if ('code' in endpoint) return endpoint;
    const resolved = await this.deps.resolve(req.accountId, endpoint);
    if (!resolved.ok) {
      return { status: 400, code: 13224, field: 'to', message: `cannot call ${req.to}: ${resolved.reason}` };
    }
    // The first target only: a failover to a second trunk would change the call's sid under the API's feet.
    const leg = await this.ring(req, resolved.targets[0]);
    return { call: leg.call, request: req, createdAt: Date.now() };
  }

  /** Sends the INVITE and follows the call: status callbacks, then the Pivot URL once answered. */
  private async ring(req: OutboundCallRequest, target: SipTarget) {
    const callerId = { number: req.from, ...(req.callerName ? { name: req.callerName } : {}) };
    const callee = identityOfUri(target.uri, req.to);
    const placed = await SipCall.place(
      this.deps.sipDeps(),
      target,
      {
        accountId: req.accountId,
        direction: 'outbound-api',
        from: { user: req.from, realm: this.deps.realm(), ...(req.callerName ? { displayName: req.callerName } : {}) },
        to: callee,
        request: callee,
        callerId,
      },
      { timeoutMs: (req.timeoutS ?? 60) * 1000, onProgress: () => ringing() },
    );
    const call = placed.call;
    const events = new Set(req.statusCallbackEvents ?? ['completed']);
    let sequence = 0;
    const notify = (event: StatusEvent): void => {
      if (!req.statusCallback || !events.has(event)) return;
      void this.signingKey(req.accountId).then((signingKey) =>
        sendCallback(
          {
            url: req.statusCallback!,
            method: req.statusCallbackMethod ?? 'POST',
            params: statusParams(call, event, sequence++),
            timeoutMs: 10_000,
            signingKey,
          },
          { policy: this.deps.policy },
        ).then((x) => {
          if (x.error) this.deps.log.warn({ call_id: call.id, event, err: x.error.message }, 'status callback failed');
        }),
      );
    };
    let rang = false;
    const ringing = (): void => {
      if (rang) return;
      rang = true;
      notify('ringing');
    };
    notify('initiated');
    call.on('hangup', () => notify('completed'));
    void placed.answered.then(async (result) => {
      if (!result.ok) {
        this.deps.log.info({ call_id: call.id, status: result.status, reason: result.reason }, 'outbound call failed');
        return;
      }
      notify('answered');
      const limit = req.timeLimitS
        ? setTimeout(() => void call.hangup('ALLOTTED_TIMEOUT'), req.timeLimitS * 1000)
        : undefined;
      try {
        await this.deps.run(call, {
          module: 'pivot',
          data: {
            voice_url: req.url,
            method: req.method.toLowerCase(),
            req_format: req.format,
            ...(req.debug ? { debug: true } : {}),
          },
        });
      } catch (err) {
        this.deps.log.error({ call_id: call.id, err: String(err) }, 'outbound call flow failed');
      } finally {
        if (limit) clearTimeout(limit);
        if (call.state !== 'ended') await call.hangup();
      }
    });
    return placed;
  }

  private async signingKey(accountId: string): Promise<string | undefined> {
    const account = await this.deps.store.accounts.get(accountId);
    return typeof account?.signing_key === 'string' ? account.signing_key : undefined;
  }
}
