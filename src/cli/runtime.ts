// The call runtime: Pivot's layers put together. SIP stack + registrar + router receive calls; each routed call
// becomes a `SipCall` (SIP leg + media session) that the callflow executor runs, with the Pivot service for
// `pivot` nodes. Everything is built from the settings and the store; `stop()` drains and closes it all.

import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { writeCdrs } from '../call/cdrs.js';
import { ConferenceRooms } from '../call/conference-rooms.js';
import { promptPreparer } from '../call/prompts.js';
import { QueueManager } from '../call/queues.js';
import { CallRegistry } from '../call/registry.js';
import { SipCall, type SipCallDeps } from '../call/sip-call.js';
import { targetResolver } from '../call/targets.js';
import { CallflowExecutor } from '../callflow/executor.js';
import { InviteRouter } from '../callflow/router.js';
import type { Logger } from '../callflow/types.js';
import type { PivotSettings } from '../config.js';
import { configured as configuredAsr } from '../media/asr/registry.js';
import { MediaEngine, MediaError } from '../media/engine.js';
import { PromptCache, promptCacheDir } from '../media/prompts/cache.js';
import { createTtsRegistry } from '../media/tts/registry.js';
import { createHttpService } from '../pivot/http-service.js';
import type { UrlPolicy } from '../pivot/http/index.js';
import { policyFetcher } from '../pivot/media-fetcher.js';
import { OutboundCalls } from '../pivot/outbound-calls.js';
import { createPivotService } from '../pivot/service.js';
import { DigestServer } from '../sip/digest.js';
import { from, to } from '../sip/headers.js';
import type { IncomingCall } from '../sip/incoming-call.js';
import { Registrar, storeLookups } from '../sip/registrar.js';
import { SipStack } from '../sip/stack.js';
import { parseUri } from '../sip/uri.js';
import type { PivotDebugRecord, Store } from '../store/types.js';
import { WebphoneGateway } from '../webphone/gateway.js';

export interface CallRuntime {
  stack: SipStack;
  media: MediaEngine;
  registrar: Registrar;
  executor: CallflowExecutor;
  /** Every live leg (inbound calls and the legs they dial). */
  registry: CallRegistry;
  /** What every leg needs (dialing, outbound calls). */
  deps(): SipCallDeps;
  /** Calls placed on request (the Calls API). */
  outbound: OutboundCalls;
  /** SIP ports actually bound. */
  sipPorts: { udp?: number; tcp?: number };
  /** The browser softphone's WebRTC-to-SIP gateway (settings.webphone). */
  webphone?: WebphoneGateway;
  /** Calls running now. */
  readonly activeCalls: number;
  /**
   * `call` (a SipCall, when it starts running), `ended` (the same call, after its callflow is over) and `debug`
   * (each Pivot debug record as it is stored: Live Debug).
   */
  readonly events: EventEmitter<RuntimeEvents>;
  /** Refuse new calls (503, OPTIONS 503) and wait up to `graceMs` for running ones, then hang them up. */
  drain(graceMs: number): Promise<void>;
  stop(): Promise<void>;
}

export type RuntimeEvents = { call: [SipCall]; ended: [SipCall]; debug: [PivotDebugRecord] };

export async function startCallRuntime(
  settings: PivotSettings,
  store: Store,
  policy: UrlPolicy,
  log: Logger,
): Promise<CallRuntime> {
  const digest = new DigestServer();
  const registrar = new Registrar({ digest, ...storeLookups(store) });
  const stack = new SipStack({
    host: settings.bind,
    udpPort: settings.sipPort,
    tcpPort: settings.sipPort,
    userAgent: 'Pivot',
    rateLimit: settings.sipRateLimit > 0 ? { rate: settings.sipRateLimit, burst: settings.sipRateLimit * 2 } : false,
    log: (message, detail) => log.info(detail ?? {}, message),
  });
  stack.onRegister = (req, source) => registrar.handle(req, source);
  const media = new MediaEngine({ host: settings.bind, ports: settings.rtpPorts });
  media.start();
  const cache = new PromptCache({
    dir: promptCacheDir(settings.dataDir),
    fetcher: policyFetcher(policy),
    tts: createTtsRegistry(),
  });
  const queues = new QueueManager(() => Date.now());
  const http = createHttpService(policy);
  const pivot = createPivotService({
    store,
    policy,
    queues,
    log,
    publicUrl: settings.publicUrl,
    dataDir: settings.dataDir,
    http,
    onDebug: (record) => events.emit('debug', record),
  });
  const executor = new CallflowExecutor({ store, pivot, http, log, now: () => Date.now(), dataDir: settings.dataDir });
  const router = new InviteRouter({ store, digest });
  let sipPorts: { udp?: number; tcp?: number } = {};
  let webphone: WebphoneGateway | undefined;
  const calls = new Set<SipCall>();
  const registry = new CallRegistry();
  const cdrs = writeCdrs(registry, store, log);
  const resolveTargets = targetResolver({
    store,
    registrar,
    self: () => (sipPorts.udp ? { protocol: 'udp', address: stack.advertisedHost, port: sipPorts.udp } : undefined),
  });
  const events = new EventEmitter<RuntimeEvents>();

  const rooms = new ConferenceRooms();
  // Built once: each call shares them (finding the speech recognizer looks at the disk).
  const sipDeps: SipCallDeps = {
    stack,
    media,
    prepare: promptPreparer(cache, store),
    rooms,
    recordDir: join(settings.dataDir, 'recordings', 'tmp'),
    // RTP sockets bind to `bind`; SDP advertises the address the SIP stack advertises (0.0.0.0 is not one).
    mediaAddress: stack.advertisedHost,
    asr: configuredAsr(),
    resolveTargets,
    registry,
  };
  const deps = (): SipCallDeps => sipDeps;

  async function onInvite(invite: IncomingCall): Promise<void> {
    // The RTP session opens while the call is routed: the worker round trip is then off the way to the webhook.
    // Only for INVITEs with an offer (a device's first INVITE, challenged with 407, has one too: it is closed).
    const opening = invite.offer ? media.open({ inbandDtmf: true }) : undefined;
    opening?.catch(() => undefined);
    const decision = await router.route(invite.request);
    if (decision.kind !== 'route') {
      void opening?.then(
        (session) => session.close(),
        () => undefined,
      );
      if (decision.kind === 'challenge') return invite.reject(407, undefined, [[decision.header, decision.value]]);
      return invite.reject(decision.status, decision.reason);
    }
    const req = invite.request;
    const f = from(req);
    const t = to(req);
    const r = parseUri(req.uri);
    // A web phone call keeps its gateway's Call-ID as its id: the browser got it with the SDP answer.
    const id = webphone?.owns(invite.callIdValue) ? invite.callIdValue : undefined;
    let call: SipCall;
    try {
      call = await SipCall.inbound(
        deps(),
        invite,
        {
          ...(id ? { id } : {}),
          accountId: decision.account.id,
          direction: 'inbound',
          from: { user: f.uri.user ?? '', realm: f.uri.host, ...(f.displayName ? { displayName: f.displayName } : {}) },
          to: { user: t.uri.user ?? '', realm: t.uri.host },
          request: { user: r.user ?? '', realm: r.host },
          sipHeaders: Object.fromEntries(req.headers.entries().filter(([name]) => /^x-/i.test(name))),
        },
        opening,
      );
    } catch (err) {
      if (err instanceof MediaError) invite.reject(err.sipStatus, `Service Unavailable (${err.message})`);
      log.warn({ call_id: invite.callIdValue, err: String(err) }, 'call could not start');
      return;
    }
    if (decision.device) {
      call.vars.set('device_id', decision.device.id);
      if (typeof decision.device.owner_id === 'string') call.vars.set('owner_id', decision.device.owner_id);
    }
    calls.add(call);
    events.emit('call', call);
    log.info({ call_id: call.id, account_id: decision.account.id, dialled: decision.dialled }, 'call routed');
    try {
      await executor.run(call, decision.flow);
    } catch (err) {
      log.error({ call_id: call.id, err: String(err) }, 'callflow failed');
      await call.hangup('NORMAL_TEMPORARY_FAILURE');
    } finally {
      calls.delete(call);
      events.emit('ended', call);
    }
  }

  const outbound = new OutboundCalls({
    sipDeps: deps,
    resolve: resolveTargets,
    run: (call, flow) => executor.run(call, flow),
    store,
    policy,
    log,
    realm: () => stack.advertisedHost,
  });

  stack.on('invite', (invite) => {
    onInvite(invite).catch((err: unknown) => {
      log.error({ err: String(err) }, 'routing failed');
      invite.reject(500, 'Server Internal Error');
    });
  });
  sipPorts = await stack.start();
  if (settings.webphone && sipPorts.udp) {
    // Into Pivot's own SIP port over loopback (or the bound address, when Pivot binds one).
    const wildcard = settings.bind === '0.0.0.0' || settings.bind === '::' || settings.bind === '';
    webphone = new WebphoneGateway({
      pivot: { address: wildcard ? '127.0.0.1' : settings.bind, port: sipPorts.udp },
      log,
    });
    try {
      await webphone.start();
    } catch (err) {
      log.warn({ err: String(err) }, 'the web phone gateway could not start');
      webphone = undefined;
    }
  }

  return {
    stack,
    media,
    registrar,
    executor,
    registry,
    deps,
    outbound,
    sipPorts,
    webphone,
    events,
    get activeCalls() {
      return calls.size;
    },
    async drain(graceMs) {
      stack.draining = true;
      const deadline = Date.now() + graceMs;
      while (registry.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await Promise.all(registry.list().map((c) => c.hangup('SYSTEM_SHUTDOWN')));
      await cdrs.flush();
    },
    async stop() {
      // The web phones first: their BYEs reach Pivot while it still listens.
      await webphone?.stop();
      await Promise.all(registry.list().map((c) => c.hangup('SYSTEM_SHUTDOWN')));
      await cdrs.flush();
      cdrs.stop();
      registrar.stop();
      await stack.stop();
      await media.stop();
    },
  };
}
