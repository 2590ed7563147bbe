// Live events over HTTP, in the spirit of KAZOO's blackhole:
//   GET /v2/websocket — a WebSocket. Browsers cannot set headers on one, so the client authenticates with its first
//     message: {"action":"subscribe","auth_token":"…","data":{"account_id":"…","binding":"call.*"}}; each message
//     is answered {"action":"reply","status":"success"|"error",…} and events arrive as
//     {"action":"event","name":"call.started","subscribed_key":"call.*","account_id":"…","data":{…}}.
//   GET /v2/accounts/{account_id}/events?binding=… — the same stream as Server-Sent Events, with X-Auth-Token.
// A subscription covers the account and its descendants (the API's tenant rule). The token is checked again on
// every message and every `recheckMs`; one that expired or was revoked ends the stream. A client that does not read
// (its send buffer over `maxBufferedBytes`) is dropped.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { routeTable, type Api } from './crossbar.js';
import { ApiError, unauthorized } from './envelope.js';
import { EventHub, type LiveEvent, type LiveEventName } from './event-hub.js';
import type { AuthContext } from './session.js';

/** Tunables (tests shorten them). */
export const liveEventLimits = {
  /** How often a stream's token is checked again (and a WebSocket pinged). */
  recheckMs: 60_000,
  /** A client whose unsent data passes this is dropped. */
  maxBufferedBytes: 1 << 20,
  /** A WebSocket that has not authenticated by then is closed. */
  authTimeoutMs: 10_000,
  maxSubscriptions: 100,
};

export const EVENT_NAMES: readonly LiveEventName[] = ['call.started', 'call.answered', 'call.ended', 'pivot.debug'];

/** WebSocket close codes (4000–4999 are the application's). */
export const CLOSE = { unauthorized: 4401, authTimeout: 4408, shutdown: 1001, drop: -1 } as const;

const BINDING_HELP = `use one of ${['*', 'call.*', 'pivot.*', ...EVENT_NAMES].join(', ')}`;

/** A binding matches event names with `*` standing for any run of characters (`call.*`, `*`). */
function matches(binding: string, name: string): boolean {
  if (binding === '*' || binding === name) return true;
  return binding.endsWith('.*') && name.startsWith(binding.slice(0, -1));
}

/** The bindings of a subscribe request, each checked to match some event. */
function bindingsOf(value: unknown): string[] {
  const list = value === undefined ? ['*'] : Array.isArray(value) ? value : String(value).split(',');
  const out: string[] = [];
  for (const b of list) {
    const s = String(b).trim();
    if (!EVENT_NAMES.some((n) => matches(s, n))) {
      throw new ApiError(400, 'invalid data', {
        binding: { enum: { message: `unknown binding "${s}": ${BINDING_HELP}` } },
      });
    }
    if (!out.includes(s)) out.push(s);
  }
  if (!out.length) throw new ApiError(400, 'invalid data', { binding: { required: { message: BINDING_HELP } } });
  return out;
}

interface Transport {
  send(message: Record<string, unknown>): void;
  /** Bytes written and not yet sent. */
  buffered(): number;
  close(code: number, reason: string): void;
  heartbeat?(): void;
}

interface Subscription {
  account_id: string;
  binding: string;
}

/** One client's stream: its token, its subscriptions, and what it is sent. */
class LiveStream {
  private auth?: AuthContext;
  private subs: Subscription[] = [];
  private readonly hubUnsubscribe = new Map<string, () => void>();
  private recheck?: NodeJS.Timeout;
  closed = false;

  constructor(
    private readonly api: Api,
    private readonly hub: EventHub,
    private readonly transport: Transport,
    private readonly onEnd: (s: LiveStream) => void,
  ) {}

  get authenticated(): boolean {
    return this.auth !== undefined;
  }

  /** Checks `token` (the current one when omitted): a 401 when it is missing, unknown, revoked or expired. */
  async authenticate(token = this.auth?.token): Promise<AuthContext> {
    if (!token) throw unauthorized('authentication required: send auth_token in the subscribe message');
    // The session check reads the token from the headers; a socket's token arrives in a message instead.
    const auth = await this.api.sessions.authenticate({
      headers: { 'x-auth-token': token },
    } as unknown as FastifyRequest);
    if (this.auth && this.auth.token !== auth.token) await this.keepAllowed(auth);
    this.adopt(auth);
    return auth;
  }

  /** Starts the stream with a token already checked. */
  adopt(auth: AuthContext): void {
    if (this.closed) return;
    this.auth = auth;
    this.recheck ??= setInterval(() => void this.check(), liveEventLimits.recheckMs);
  }

  async subscribe(accountId: string | undefined, bindings: string[]): Promise<void> {
    const auth = this.auth!;
    const account = await this.api.sessions.account(auth, accountId ?? auth.accountId);
    const added = bindings.filter((b) => !this.subs.some((s) => s.account_id === account.id && s.binding === b));
    if (this.subs.length + added.length > liveEventLimits.maxSubscriptions) {
      throw new ApiError(400, `at most ${liveEventLimits.maxSubscriptions} subscriptions per connection`);
    }
    if (this.closed) return;
    for (const binding of added) this.subs.push({ account_id: account.id, binding });
    if (!this.hubUnsubscribe.has(account.id)) {
      this.hubUnsubscribe.set(account.id, this.hub.subscribe(account.id, this.deliver));
    }
  }

  unsubscribe(accountId?: string, bindings?: string[]): void {
    this.subs = this.subs.filter(
      (s) => !((!accountId || s.account_id === accountId) && (!bindings || bindings.includes(s.binding))),
    );
    for (const [id, off] of this.hubUnsubscribe) {
      if (!this.subs.some((s) => s.account_id === id)) {
        off();
        this.hubUnsubscribe.delete(id);
      }
    }
  }

  subscriptions(): Subscription[] {
    return this.subs.map((s) => ({ ...s }));
  }

  private readonly deliver = (event: LiveEvent, lineage: readonly string[]): void => {
    if (this.closed || !this.auth) return;
    if (this.auth.expires <= Date.now()) {
      this.end(CLOSE.unauthorized, 'the token expired: authenticate again');
      return;
    }
    const sub = this.subs.find((s) => lineage.includes(s.account_id) && matches(s.binding, event.name));
    if (!sub) return;
    if (this.transport.buffered() > liveEventLimits.maxBufferedBytes) {
      this.end(CLOSE.drop, 'too slow: the client does not read its events');
      return;
    }
    this.transport.send({
      action: 'event',
      name: event.name,
      subscribed_key: sub.binding,
      account_id: event.account_id,
      data: event.data,
    });
  };

  /** The periodic check: the token is still good and the subscribed accounts still exist. */
  private async check(): Promise<void> {
    if (this.closed) return;
    try {
      const auth = await this.authenticate();
      await this.keepAllowed(auth);
      this.transport.heartbeat?.();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.end(CLOSE.unauthorized, err.message);
    }
  }

  /** Drops the subscriptions `auth` may not see (a deleted account, or a new token of another account). */
  private async keepAllowed(auth: AuthContext): Promise<void> {
    for (const id of new Set(this.subs.map((s) => s.account_id))) {
      const ok = await this.api.sessions.account(auth, id).then(
        () => true,
        () => false,
      );
      if (!ok) this.unsubscribe(id);
    }
  }

  /** Ends the stream with a close code and its reason (`CLOSE.drop`: at once, without a goodbye). */
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.recheck);
    for (const off of this.hubUnsubscribe.values()) off();
    this.hubUnsubscribe.clear();
    this.onEnd(this);
    this.transport.close(code, reason);
  }
}

/** Close reasons are limited to 123 bytes. */
const reasonOf = (s: string): string => (Buffer.byteLength(s) <= 123 ? s : `${s.slice(0, 110)}…`);

function errorReply(err: unknown, requestId: unknown): Record<string, unknown> {
  const e = err instanceof ApiError ? err : new ApiError(500, 'internal error');
  return {
    action: 'reply',
    ...(requestId !== undefined && { request_id: requestId }),
    status: 'error',
    error: String(e.status),
    message: e.message,
    data: e.data,
  };
}

export async function eventRoutes(api: Api): Promise<void> {
  const hub = new EventHub(api.store);
  const streams = new Set<LiveStream>();
  const forget = (s: LiveStream): void => void streams.delete(s);

  // The runtime starts after HTTP listens: the hub watches it from the first subscription on (or as soon as it runs).
  let unwatch: (() => void) | undefined;
  let waiting: NodeJS.Timeout | undefined;
  const watchRuntime = (): void => {
    if (unwatch) return;
    const runtime = api.runtime();
    if (runtime) {
      clearInterval(waiting);
      unwatch = hub.watch(runtime);
    } else {
      waiting ??= setInterval(watchRuntime, 250).unref();
    }
  };
  api.app.addHook('preClose', async () => {
    for (const s of [...streams]) s.end(CLOSE.shutdown, 'the server is stopping');
    clearInterval(waiting);
    unwatch?.();
  });
  const opened = (s: LiveStream): void => {
    streams.add(s);
    watchRuntime();
  };

  // In a child context, so the WebSocket plugin's hooks touch this route only.
  await api.app.register(async (app: FastifyInstance) => {
    await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
    routeTable.push({
      method: 'GET',
      url: '/websocket',
      summary: 'Live events over a WebSocket (authenticate with the first message)',
      tag: 'events',
      auth: false,
      description:
        'Upgrade to a WebSocket, then send {"action":"subscribe","auth_token":"…","request_id":"…",' +
        '"data":{"account_id":"…","binding":"call.*"}} (bindings: *, call.*, pivot.*, call.started, ' +
        'call.answered, call.ended, pivot.debug; "bindings": [...] for several). Each message is answered ' +
        '{"action":"reply","status":"success"|"error",…}; events arrive as {"action":"event","name":"…",' +
        '"subscribed_key":"…","account_id":"…","data":{…}}. Other actions: unsubscribe (same data), ping. ' +
        `A bad, expired or revoked token closes the socket with code ${CLOSE.unauthorized} and the reason.`,
      responses: {
        '101': { description: 'Switching Protocols: the WebSocket is open' },
        '426': { description: 'Upgrade Required: this URL only takes WebSocket connections' },
      },
    });
    app.route({
      method: 'GET',
      url: '/websocket',
      handler: async () => {
        throw new ApiError(426, 'upgrade required: open this URL as a WebSocket');
      },
      wsHandler: (socket: WebSocket) => {
        const stream = new LiveStream(api, hub, wsTransport(socket), forget);
        opened(stream);
        const timeout = setTimeout(() => {
          if (!stream.authenticated) stream.end(CLOSE.authTimeout, 'no subscribe message with an auth_token in time');
        }, liveEventLimits.authTimeoutMs).unref();
        socket.on('close', () => {
          clearTimeout(timeout);
          stream.end(CLOSE.shutdown, 'closed');
        });
        // One message at a time, so replies keep the order of the requests.
        let queue = Promise.resolve();
        socket.on('message', (raw, isBinary) => {
          queue = queue.then(() => onMessage(stream, socket, isBinary ? undefined : String(raw)));
        });
      },
    });
  });

  async function onMessage(stream: LiveStream, socket: WebSocket, text: string | undefined): Promise<void> {
    if (stream.closed) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text ?? '');
      if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new Error('not an object');
    } catch {
      socket.send(JSON.stringify(errorReply(new ApiError(400, 'invalid json: send a JSON object'), undefined)));
      return;
    }
    const requestId = msg.request_id;
    const reply = (data: Record<string, unknown>): void => {
      if (!stream.closed) {
        socket.send(
          JSON.stringify({
            action: 'reply',
            ...(requestId !== undefined && { request_id: requestId }),
            status: 'success',
            data,
          }),
        );
      }
    };
    try {
      await stream.authenticate(typeof msg.auth_token === 'string' ? msg.auth_token : undefined);
      const data = (msg.data && typeof msg.data === 'object' ? msg.data : {}) as Record<string, unknown>;
      const accountId = typeof data.account_id === 'string' ? data.account_id : undefined;
      switch (msg.action) {
        case 'subscribe':
          await stream.subscribe(accountId, bindingsOf(data.bindings ?? data.binding));
          return reply({ subscribed: stream.subscriptions() });
        case 'unsubscribe': {
          const b = data.bindings ?? data.binding;
          stream.unsubscribe(accountId, b === undefined ? undefined : bindingsOf(b));
          return reply({ subscribed: stream.subscriptions() });
        }
        case 'ping':
          return reply({ response: 'pong' });
        default:
          throw new ApiError(400, `unknown action "${String(msg.action)}": use subscribe, unsubscribe or ping`);
      }
    } catch (err) {
      if (stream.closed) return;
      socket.send(JSON.stringify(errorReply(err, requestId)));
      // A bad token ends the socket; the close reason says why, for clients that only see the close.
      if (err instanceof ApiError && err.status === 401) stream.end(CLOSE.unauthorized, err.message);
    }
  }

  api.route<{ account_id: string }>(
    {
      method: 'GET',
      url: '/accounts/:account_id/events',
      summary: 'Live events as Server-Sent Events (call.*, pivot.debug) of the account and its sub-accounts',
      tag: 'events',
      description:
        'text/event-stream: each event is "event: <name>" and "data: <JSON>" with the same JSON as the ' +
        'WebSocket\'s event messages. The stream ends with an "error" event when the token expires or is revoked.',
      query: {
        binding: { type: 'string', description: 'comma-separated: *, call.*, pivot.*, call.started, … (default *)' },
      },
      responses: {
        '200': { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      },
    },
    async (req, reply, auth) => {
      const account = await api.sessions.account(auth, req.params.account_id);
      const bindings = bindingsOf((req.query as Record<string, unknown>).binding);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
        'X-Request-ID': req.id,
      });
      const stream = new LiveStream(
        api,
        hub,
        {
          send: (m) => void res.write(`event: ${String(m.name ?? m.action)}\ndata: ${JSON.stringify(m)}\n\n`),
          buffered: () => res.writableLength,
          heartbeat: () => void res.write(': ping\n\n'),
          close: (code, reason) => {
            if (code === CLOSE.drop || res.destroyed) return void res.destroy();
            const error = code === CLOSE.unauthorized ? '401' : '503';
            res.end(`event: error\ndata: ${JSON.stringify({ status: 'error', error, message: reason })}\n\n`);
          },
        },
        forget,
      );
      opened(stream);
      res.on('close', () => stream.end(CLOSE.shutdown, 'closed'));
      stream.adopt(auth);
      await stream.subscribe(account.id, bindings);
      res.write(`event: subscribed\ndata: ${JSON.stringify({ subscribed: stream.subscriptions() })}\n\n`);
    },
  );
}

function wsTransport(socket: WebSocket): Transport {
  return {
    send: (m) => socket.send(JSON.stringify(m)),
    buffered: () => socket.bufferedAmount,
    heartbeat: () => socket.ping(),
    close: (code, reason) => {
      // A client that does not read would not read a close frame either.
      if (code === CLOSE.drop || socket.readyState !== socket.OPEN) return void socket.terminate();
      socket.close(code, reasonOf(reason));
    },
  };
}
