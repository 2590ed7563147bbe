// Harness for Pivot session tests: a real in-memory store with an account (and its signing key), the real URL
// policy, Pivot service and HTTP service, and a callflow executor running flows on scripted calls. `webApp` is a
// developer's web server: a real HTTP server on loopback whose routes receive the parsed request parameters.

import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { QueueManager } from '../../src/call/queues.js';
import { ScriptedCall, type ScriptedCallInit } from '../../src/call/scripted.js';
import { CallflowExecutor, type StepRecord } from '../../src/callflow/executor.js';
import { recordingsSettled } from '../../src/call/recordings.js';
import type { CallflowServices, FlowNode } from '../../src/callflow/types.js';
import { UrlPolicy, type UrlPolicyOptions } from '../../src/pivot/http/url-policy.js';
import { createHttpService } from '../../src/pivot/http-service.js';
import { createPivotService } from '../../src/pivot/service.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { PivotCallSummary, PivotDebugRecord, Store } from '../../src/store/types.js';
import { memoryLogger } from './callflow.js';
import { startServer, type TestServer } from './http-server.js';

export const PUBLIC_URL = 'http://pivot.test';

export interface PivotHarnessOptions {
  /** URL policy options (e.g. `{ deny: ['127.0.0.0/8'] }`); loopback is allowed by default. */
  policy?: UrlPolicyOptions;
  /** Timeout of status callbacks, recording uploads and cdr_url posts. */
  callbackTimeoutMs?: number;
}

export interface PivotHarness {
  store: Store;
  accountId: string;
  /** The account's signing key (Twilio's "auth token"), as it was when the harness was made. */
  signingKey: string;
  policy: UrlPolicy;
  queues: QueueManager;
  log: ReturnType<typeof memoryLogger>;
  services: CallflowServices;
  executor: CallflowExecutor;
  steps: StepRecord[];
  /** Every debug record as it is stored (Live Debug feed). */
  live: PivotDebugRecord[];
  /**
   * Runs `flow` on a new scripted call of the harness account until the callflow ends and every recording job
   * (uploads) settled; the call is released at the end. `setup` may change the call before the flow starts.
   */
  run(flow: FlowNode, init?: ScriptedCallInit, setup?: (call: ScriptedCall) => void): Promise<ScriptedCall>;
  /** Every debug record of a call, oldest first. */
  debug(callId: string): Promise<PivotDebugRecord[]>;
  /** The records of one kind. */
  debugOf(callId: string, kind: PivotDebugRecord['kind']): Promise<PivotDebugRecord[]>;
  /** The Live Debug summary line of a call. */
  summary(callId: string): Promise<PivotCallSummary | undefined>;
  close(): Promise<void>;
}

export async function pivotHarness(opts: PivotHarnessOptions = {}): Promise<PivotHarness> {
  const store = await openSqliteStore({ file: ':memory:' });
  const account = await store.accounts.create({ name: 'Acme', realm: 'acme.pivot.test' });
  const log = memoryLogger();
  const policy = new UrlPolicy(opts.policy);
  const queues = new QueueManager(() => Date.now());
  const live: PivotDebugRecord[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-session-test-'));
  const pivot = createPivotService({
    store,
    policy,
    queues,
    log,
    publicUrl: PUBLIC_URL,
    dataDir,
    onDebug: (r) => live.push(r),
    ...(opts.callbackTimeoutMs ? { callbackTimeoutMs: opts.callbackTimeoutMs } : {}),
  });
  const services: CallflowServices = {
    store,
    pivot,
    http: createHttpService(policy),
    log,
    now: () => Date.now(),
    dataDir,
  };
  const steps: StepRecord[] = [];
  const executor = new CallflowExecutor(services, { onStep: (_c, s) => steps.push(s) });
  const debug = (callId: string): Promise<PivotDebugRecord[]> => store.pivotDebug.forCall(account.id, callId);
  return {
    store,
    accountId: account.id,
    signingKey: account.signing_key,
    policy,
    queues,
    log,
    services,
    executor,
    steps,
    live,
    async run(flow, init = {}, setup) {
      const call = new ScriptedCall({ accountId: account.id, ...init });
      try {
        setup?.(call);
        await executor.run(call, flow);
        await recordingsSettled(call);
      } finally {
        call.release();
      }
      return call;
    },
    debug,
    async debugOf(callId, kind) {
      return (await debug(callId)).filter((r) => r.kind === kind);
    },
    async summary(callId) {
      return (await store.pivotDebug.listCalls(account.id)).items.find((s) => s.call_id === callId);
    },
    close: () => store.close(),
  };
}

/** A `pivot` callflow node. */
export function pivotNode(data: Record<string, unknown>, fallback?: FlowNode): FlowNode {
  return { module: 'pivot', data, ...(fallback ? { children: { _: fallback } } : {}) };
}

/** A `tts` node, used as the `_` child that proves the failure branch ran. */
export function ttsNode(text: string, next?: FlowNode): FlowNode {
  return { module: 'tts', data: { text }, ...(next ? { children: { _: next } } : {}) };
}

/** Waits (bounded) until `check` is true; throws with `what` when it never is. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---- the developer's web app --------------------------------------------------------------------------------

export type Params = Record<string, string | string[]>;

export interface AppRequest {
  method: string;
  path: string;
  /** Full URL as received: http://127.0.0.1:<port><path?query>. */
  url: string;
  query: Params;
  headers: IncomingHttpHeaders;
  contentType?: string;
  /** Raw body as text. */
  body: string;
  /** Form body (application/x-www-form-urlencoded), keys as sent (`Digits[default]`). */
  form?: Params;
  /** JSON body. */
  json?: unknown;
  /** What the route gets: the query for GET, the form or the JSON object for POST (PUT: the query). */
  params: Record<string, unknown>;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface AppResponse {
  status?: number;
  /** Default `text/xml`; `null` sends no Content-Type at all. */
  contentType?: string | null;
  body?: string;
  /** Delay before answering (bounded to {@link MAX_DELAY_MS}; cleared when the app closes). */
  delayMs?: number;
  headers?: Record<string, string>;
}

export type Route = (params: Record<string, any>, req: AppRequest) => AppResponse | Promise<AppResponse>;

export interface WebApp {
  base: string;
  /** `base + path`. */
  url(path: string): string;
  /** Every request received, in order. */
  requests: AppRequest[];
  /** Requests to one path. */
  to(path: string): AppRequest[];
  /** Waits (bounded) until `count` requests reached `path`; returns them. */
  waitFor(path: string, count?: number, timeoutMs?: number): Promise<AppRequest[]>;
  close(): Promise<void>;
}

export const MAX_DELAY_MS = 10_000;

/** Parses form-encoded text into keys → value, or → values when a key repeats. */
export function parseParams(text: string): Params {
  const out: Params = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Routes by exact path; `'*'` answers every other path (404 without it). */
export async function webApp(routes: Record<string, Route>): Promise<WebApp> {
  const requests: AppRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: TestServer = await startServer(async (req, res, received) => {
    const rawUrl = req.url ?? '';
    const q = rawUrl.indexOf('?');
    const query = q === -1 ? {} : parseParams(rawUrl.slice(q + 1));
    const contentType = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
    const r: AppRequest = {
      method: received.method,
      path: received.path,
      url: received.url,
      query,
      headers: received.headers,
      ...(contentType ? { contentType } : {}),
      body: received.body,
      params: query,
      at: Date.now(),
    };
    if (contentType === 'application/x-www-form-urlencoded') {
      r.form = parseParams(received.body);
      r.params = r.form;
    } else if (contentType === 'application/json') {
      try {
        r.json = JSON.parse(received.body);
        if (r.json && typeof r.json === 'object') r.params = r.json as Record<string, unknown>;
      } catch {
        // kept as raw text; the test sees it in `body`
      }
    }
    requests.push(r);

    const route = routes[r.path] ?? routes['*'];
    const answer: AppResponse = route
      ? await route(r.params, r)
      : { status: 404, contentType: 'text/plain', body: 'no route' };
    const delay = Math.min(Math.max(0, answer.delayMs ?? 0), MAX_DELAY_MS);
    if (delay > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, delay);
        timers.add(t);
      });
      if (res.destroyed) return;
    }
    const headers: Record<string, string> = { ...(answer.headers ?? {}) };
    const type = answer.contentType === undefined ? 'text/xml' : answer.contentType;
    if (type !== null && answer.body !== undefined) headers['Content-Type'] = type;
    res.writeHead(answer.status ?? 200, headers);
    res.end(answer.body ?? '');
  });
  const to = (path: string): AppRequest[] => requests.filter((r) => r.path === path);
  return {
    base: server.base,
    url: (path) => `${server.base}${path}`,
    requests,
    to,
    async waitFor(path, count = 1, timeoutMs = 3000) {
      await eventually(() => to(path).length >= count, `${count} request(s) to ${path}`, timeoutMs);
      return to(path);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await server.close();
    },
  };
}

/** A TwiML answer: `<Response>…</Response>` as text/xml. */
export function twiml(inner: string, contentType: string | null = 'text/xml'): AppResponse {
  return { contentType, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response>${inner}</Response>` };
}

/** A Kazoo JSON answer (one callflow node) as application/json. */
export function kazoo(node: unknown, contentType: string | null = 'application/json'): AppResponse {
  return { contentType, body: JSON.stringify(node) };
}

/**
 * What a developer's app does with `twilio.validateRequest`: GET → the URL alone, form POST → URL plus the form
 * parameters, JSON → `validateRequestWithBody` (bodySHA256 in the URL).
 */
export function twilioValid(key: string, req: AppRequest): boolean {
  const header = req.headers['x-twilio-signature'];
  if (typeof header !== 'string') return false;
  if (req.contentType === 'application/json') return twilio.validateRequestWithBody(key, header, req.url, req.body);
  return twilio.validateRequest(key, header, req.url, req.form ?? {});
}
