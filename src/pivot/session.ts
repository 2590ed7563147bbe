// One Pivot session: the requests made for one `pivot` node and the TwiML they return. It fetches the voice URL,
// checks the answer completely (HTTP status, Content-Type, XML/JSON syntax, TwiML or callflow schema) before
// anything runs, runs TwiML verbs itself (following Gather/Record/Dial/Redirect actions), and hands Kazoo JSON
// back to the callflow executor. Any failure to get a usable document ends the session as `failed`, so the
// pivot node's `_` child runs at once (DESIGN §2), and leaves a debug record that says exactly what was wrong.

import type { QueueManager } from '../call/queues.js';
import { keepRecording, uploadTarget } from '../call/recordings.js';
import type { Call, Endpoint, RecordingFile } from '../call/types.js';
import { callerIdentity, deviceToEndpoints, userEndpoints } from '../callflow/modules/_endpoints.js';
import type { FlowNode, HttpService, Logger, PivotConfig, PivotOutcome, StepRecord } from '../callflow/types.js';
import { flowValidator, type FlowError, type FlowValidator } from '../callflow/validate.js';
import type { PivotDebugRecord, Store } from '../store/types.js';
import { TwimlInterpreter } from '../twiml/interpreter.js';
import type { CompiledVerb, HttpMethod, TwimlError, TwimlHost, VerbContext, VerbOutcome } from '../twiml/types.js';
import { DebugRecorder, type DebugError } from './debug.js';
import { createHttpService } from './http-service.js';
import { parseDocument, sendCallback, sendWebhook, type UrlPolicy } from './http/index.js';
import { requestParams } from './params.js';

export interface PivotDeps {
  store: Store;
  policy: UrlPolicy;
  queues: QueueManager;
  log: Logger;
  /** Base URL where this server is reachable, for the recording URLs apps are given. */
  publicUrl: string;
  /** Folder recordings are kept in. */
  dataDir: string;
  /** Uploads of recordings (default: through `policy`). */
  http?: HttpService;
  interpreter?: TwimlInterpreter;
  validator?: FlowValidator;
  /** Every debug record as it is stored (Live Debug). */
  onDebug?: (record: PivotDebugRecord) => void;
  /** Timeout of status callbacks, recording uploads and cdr_url posts. */
  callbackTimeoutMs?: number;
}

type Fetched =
  | { ok: true; kind: 'twiml'; program: CompiledVerb[]; url: string }
  | { ok: true; kind: 'kazoo'; flow: FlowNode; url: string }
  | { ok: false; error: TwimlError };

/** Kazoo-shaped validation errors: `{ "<path>": { "<rule>": { "message": "…" } } }`. */
export function kazooErrors(errors: FlowError[]): Record<string, Record<string, { message: string }>> {
  const out: Record<string, Record<string, { message: string }>> = {};
  for (const e of errors) (out[e.path] ??= {})[e.rule] = { message: e.message };
  return out;
}

const defaultInterpreter = new TwimlInterpreter();

/** More requests than this within the window means a loop, not a conversation. */
const LOOP_REQUESTS = 100;
const LOOP_WINDOW_MS = 10_000;

export class PivotSession implements TwimlHost {
  readonly accountId: string;
  documentUrl: string;
  private iteration = 0;
  private readonly userVars = new Map<string, string>();
  private readonly debug: DebugRecorder;
  private readonly interpreter: TwimlInterpreter;
  private readonly validator: FlowValidator;
  private signingKey?: string;
  /** Times of the recent requests (loop detection). */
  private readonly recent: number[] = [];
  /** Debug writes are chained so records keep their order. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: PivotDeps,
    readonly call: Call,
    private readonly config: PivotConfig,
  ) {
    this.accountId = call.accountId;
    this.documentUrl = config.voice_url;
    this.interpreter = deps.interpreter ?? defaultInterpreter;
    this.validator = deps.validator ?? flowValidator();
    this.debug = new DebugRecorder({
      store: deps.store,
      call,
      enabled: config.debug,
      log: deps.log,
      onRecord: deps.onDebug,
      timeoutMs: config.req_timeout_ms,
    });
  }

  get queues(): QueueManager {
    return this.deps.queues;
  }

  async run(): Promise<PivotOutcome> {
    const account = await this.deps.store.accounts.get(this.accountId);
    this.signingKey = account?.signing_key;
    if (this.config.cdr_url) this.postCdrAtHangup(this.config.cdr_url);

    let target = { url: this.config.voice_url, method: this.config.method.toUpperCase() as HttpMethod, params: {} };
    for (;;) {
      const fetched = await this.request(target.url, target.method, target.params);
      // An action requested after the caller left (Record, Dial) only informs the app; its answer is ignored.
      if (ended(this.call)) return { kind: 'done' };
      if (!fetched.ok) return { kind: 'failed' };
      if (fetched.kind === 'kazoo') return { kind: 'flow', flow: fetched.flow, onStep: this.moduleRecorder() };

      this.documentUrl = fetched.url;
      const outcome = await this.execute(fetched.program);
      if (!outcome) return { kind: 'done' };
      this.note('document', { outcome: outcome.kind, ...(outcome.kind === 'request' ? { url: outcome.url } : {}) });
      if (outcome.kind === 'request') {
        target = { url: outcome.url, method: outcome.method, params: outcome.params ?? {} };
        if (ended(this.call)) {
          await this.request(target.url, target.method, target.params);
          return { kind: 'done' };
        }
        continue;
      }
      // End of the document: the call is over, as on Twilio.
      if (!ended(this.call)) await this.call.hangup('NORMAL_CLEARING');
      await this.writes;
      return { kind: 'done' };
    }
  }

  /**
   * Run a checked document. A verb that throws (a store failure, a bug) ends the call with a debug record (12400)
   * instead of escaping to the callflow, where the `_` child would play after half a document had run.
   */
  private async execute(program: CompiledVerb[]): Promise<VerbOutcome | undefined> {
    try {
      return await this.interpreter.run(program, this.context());
    } catch (err) {
      const message = `internal error while running the document: ${err instanceof Error ? err.message : String(err)}`;
      this.deps.log.error({ call_id: this.call.id, iteration: this.iteration, err: String(err) }, message);
      await this.record(() => this.debug.error(this.iteration, { code: 12400, message, type: 'runtime' }));
      if (!ended(this.call)) await this.call.hangup('NORMAL_TEMPORARY_FAILURE');
      return undefined;
    }
  }

  private context(signal?: AbortSignal): VerbContext {
    return {
      host: this,
      call: this.call,
      signal,
      runVerbs: (verbs, ctx) => this.interpreter.run(verbs, ctx),
    };
  }

  /** One request of the session: send, check and parse the answer, record it. */
  private async request(url: string, method: HttpMethod, action: Record<string, unknown>): Promise<Fetched> {
    const iteration = ++this.iteration;
    this.call.usage.pivotIterations++;
    if (this.requestLoop()) {
      const message = `request loop: more than ${LOOP_REQUESTS} requests within ${LOOP_WINDOW_MS / 1000} s (a <Redirect> to itself?)`;
      this.deps.log.warn({ call_id: this.call.id, iteration, url }, message);
      await this.record(() => this.debug.error(iteration, { code: 11200, message, type: 'http' }));
      return { ok: false, error: { code: 11200, message, level: 'error' } };
    }
    const params = requestParams(this.config.req_format, this.call, action, this.userVars);
    // Digits collected before a request are sent with it only (spec §3.3 consumption rule).
    this.call.dtmfCollections.clear();
    const x = await sendWebhook(
      {
        url,
        method,
        params,
        bodyFormat: this.config.req_body_format,
        timeoutMs: this.config.req_timeout_ms,
        signingKey: this.signingKey,
      },
      { policy: this.deps.policy },
    );
    const fail = async (error: DebugError, extra: Record<string, unknown> = {}): Promise<Fetched> => {
      this.deps.log.warn({ call_id: this.call.id, iteration, url, error }, 'pivot request failed');
      await this.record(() => this.debug.exchange(iteration, x, true));
      await this.record(() => this.debug.error(iteration, error, extra));
      return {
        ok: false,
        error: {
          code: error.code ?? 11200,
          message: error.message,
          line: error.line,
          column: error.column,
          level: 'error',
        },
      };
    };
    if (x.error || !x.response) {
      const e = x.error ?? { code: 11200, message: 'no response', kind: 'connect' };
      const type = e.kind === 'timeout' || e.kind === 'policy' || e.kind === 'dns' ? e.kind : 'http';
      return fail({ code: e.code, message: e.message, type });
    }
    try {
      const doc = parseDocument(x.response);
      if (doc.kind === 'error') {
        const type =
          doc.code === 12100 && doc.message.startsWith('invalid JSON') ? 'json' : doc.code === 11770 ? 'http' : 'xml';
        return fail({ code: doc.code, message: doc.message, line: doc.line, column: doc.column, type });
      }
      if (doc.kind === 'kazoo') {
        const checked = this.validator.validate(doc.flow);
        if (!checked.ok) {
          const first = checked.errors[0];
          return fail(
            { code: 12200, message: `invalid callflow: ${first.path} ${first.message}`, type: 'schema' },
            { schema_errors: kazooErrors(checked.errors) },
          );
        }
        void this.record(() => this.debug.exchange(iteration, x, false));
        return { ok: true, kind: 'kazoo', flow: checked.flow, url };
      }
      const compiled = this.interpreter.compile(doc.root);
      if (compiled.errors.length) {
        const first = compiled.errors[0];
        return fail(
          { code: first.code, message: first.message, line: first.line, column: first.column, type: 'twiml' },
          { twiml_errors: compiled.errors },
        );
      }
      // Not waited for: the document runs at once, and the chain of writes keeps the records in order.
      void this.record(() => this.debug.exchange(iteration, x, false));
      for (const w of compiled.warnings) this.warn(w);
      // RFC 3986 §5.1.3: after HTTP redirects, the URL finally retrieved is the base for relative URLs.
      const base = x.request.redirects.length ? stripAddedQuery(x.request.url, method) : url;
      return { ok: true, kind: 'twiml', program: compiled.program, url: base };
    } catch (err) {
      // A response that breaks a parser or validator in an unexpected way (say, absurd nesting) is a bad document.
      return fail({
        code: 12100,
        message: `unusable response: ${err instanceof Error ? err.message : String(err)}`,
        type: 'xml',
      });
    }
  }

  /** True when this session has made too many requests too fast: a document that redirects to itself. */
  private requestLoop(): boolean {
    const now = Date.now();
    this.recent.push(now);
    while (this.recent.length && this.recent[0] < now - LOOP_WINDOW_MS) this.recent.shift();
    return this.recent.length > LOOP_REQUESTS;
  }

  private record(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(write);
    return this.writes;
  }

  /** Records each module of a Kazoo JSON answer as it runs (what it did, digits and recordings it left). */
  private moduleRecorder(): (step: StepRecord) => void {
    const iteration = this.iteration;
    let recordings = this.call.usage.recordingIds.length;
    return (step) => {
      const before = { recordings };
      recordings = this.call.usage.recordingIds.length;
      void this.record(() => this.debug.module(iteration, step, before));
    };
  }

  private note(what: string, detail: Record<string, unknown>): void {
    const iteration = this.iteration;
    void this.record(() => this.debug.execution(iteration, what, detail));
  }

  // ---- TwimlHost ----------------------------------------------------------------------------------------

  resolveUrl(ref: string): string {
    return resolveReference(ref, this.documentUrl);
  }

  async checkUrl(url: string): Promise<string | undefined> {
    const verdict = await this.deps.policy.check(url);
    return verdict.ok ? undefined : verdict.error.message;
  }

  setUserVar(key: string, value: string): void {
    this.userVars.set(key, value);
  }

  trace(verb: string, detail: Record<string, unknown>): void {
    this.note(verb, detail);
  }

  warn(error: TwimlError): void {
    const iteration = this.iteration;
    this.deps.log.warn({ call_id: this.call.id, iteration, error }, 'twiml warning');
    void this.record(() =>
      this.debug.error(iteration, {
        code: error.code,
        message: error.message,
        line: error.line,
        column: error.column,
        type: error.level === 'warning' ? 'warning' : 'runtime',
      }),
    );
  }

  async saveRecording(file: RecordingFile, opts: { uploadUrl?: string } = {}): Promise<{ url: string; sid: string }> {
    const row = await keepRecording(this.deps, this.call, file, { source: 'twiml' });
    const sid = `RE${row.id}`;
    const local = `${this.deps.publicUrl}/2010-04-01/Accounts/${this.accountId}/Recordings/${sid}`;
    if (!opts.uploadUrl) return { url: local, sid };
    // Kazoo's `recordingUrl`: PUT <url>/call_recording_<call id>.<ext>, unless the URL already names a file.
    const ext = file.contentType === 'audio/mpeg' ? 'mp3' : 'wav';
    const url = uploadTarget(opts.uploadUrl, `call_recording_${this.call.id}.${ext}`);
    const http = this.deps.http ?? createHttpService(this.deps.policy, this.deps.callbackTimeoutMs ?? 10_000);
    const res = await http.upload(url, 'put', { ...file, path: row.path });
    if (res.error) {
      // The app is told where the recording really is.
      this.warn({
        code: 11200,
        message: `recording upload to ${url} failed (${res.error}); kept at ${local}`,
        level: 'warning',
      });
      return { url: local, sid };
    }
    return { url, sid };
  }

  callback(url: string, method: HttpMethod, params: Record<string, unknown>): void {
    const iteration = this.iteration;
    void sendCallback(
      { url, method, params, timeoutMs: this.deps.callbackTimeoutMs ?? 5000, signingKey: this.signingKey },
      { policy: this.deps.policy },
    ).then((x) => {
      const status = x.response?.status;
      if (!x.error) return this.record(() => this.debug.execution(iteration, 'callback', { url, method, status }));
      const error = { code: x.error.code, message: `callback to ${url} failed: ${x.error.message}`, type: 'callback' };
      return this.record(() => this.debug.error(iteration, error, { status }));
    });
  }

  async resolveClient(identity: string): Promise<Endpoint[]> {
    const { devices, users } = this.deps.store;
    const device = await devices.findBySipUsername(this.accountId, identity);
    if (device) return this.resolveDevice(device.id);
    const user = await users.findByUsername(this.accountId, identity);
    return user ? this.resolveUser(user.id) : [];
  }

  /** The same rules as the callflow's user and device modules (disabled, do-not-disturb, call forwarding). */
  async resolveUser(userId: string): Promise<Endpoint[]> {
    const ctx = this.endpointContext();
    return (await userEndpoints(ctx, userId, await callerIdentity(ctx), { source: 'user' })).endpoints;
  }

  async resolveDevice(deviceId: string): Promise<Endpoint[]> {
    const ctx = this.endpointContext();
    const device = await this.deps.store.devices.get(this.accountId, deviceId);
    return device ? deviceToEndpoints(device, await callerIdentity(ctx), { source: 'device' }).endpoints : [];
  }

  private endpointContext() {
    return { call: this.call, services: { store: this.deps.store }, log: this.deps.log };
  }

  async fetchTwiml(url: string, method: HttpMethod, params: Record<string, unknown>) {
    const fetched = await this.request(url, method, params);
    if (!fetched.ok) return { ok: false as const, error: fetched.error };
    if (fetched.kind !== 'twiml') {
      const error: TwimlError = { code: 12300, message: `expected TwiML from ${url}, got a callflow`, level: 'error' };
      return { ok: false as const, error };
    }
    return { ok: true as const, program: fetched.program, url: fetched.url };
  }

  // ---- cdr_url ------------------------------------------------------------------------------------------

  private postCdrAtHangup(cdrUrl: string): void {
    const posted = cdrPosts.get(this.call) ?? new Set<string>();
    cdrPosts.set(this.call, posted);
    if (posted.has(cdrUrl)) return;
    posted.add(cdrUrl);
    const send = (): void => {
      const iteration = this.iteration;
      void sendCallback(
        {
          url: cdrUrl,
          params: cdrParams(this.call),
          timeoutMs: this.deps.callbackTimeoutMs ?? 5000,
          signingKey: this.signingKey,
        },
        { policy: this.deps.policy },
      ).then((x) => this.record(() => this.debug.exchange(iteration, x, !!x.error, 'cdr_')));
    };
    if (this.call.state === 'ended') send();
    else this.call.on('hangup', send);
  }
}

/** RFC 3986 resolution; an unresolvable reference is returned as written. */
export function resolveReference(ref: string, base: string): string {
  try {
    return new URL(ref.trim(), base).toString();
  } catch {
    return ref;
  }
}

/** After a redirected GET the retrieved URL carries Pivot's parameters in its query: drop it. */
function stripAddedQuery(retrieved: string, method: HttpMethod): string {
  if (method !== 'GET') return retrieved;
  const u = new URL(retrieved);
  u.search = '';
  return u.toString();
}

/** A function, so TypeScript doesn't keep a narrowed `state` across awaits. */
const ended = (call: Call): boolean => call.state === 'ended';

/** cdr_url posts already arranged per call (a callflow may pass through several pivot nodes). */
const cdrPosts = new WeakMap<Call, Set<string>>();

/** The channel-destroy style record Kazoo posts to `cdr_url` (spec §5). */
export function cdrParams(call: Call): Record<string, unknown> {
  const end = call.endedAt ?? Date.now();
  const answered = call.answeredAt;
  const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));
  return {
    'Call-ID': call.id,
    'Account-ID': call.accountId,
    'Call-Direction': call.direction,
    'Hangup-Cause': call.hangupCause ?? 'NORMAL_CLEARING',
    'Hangup-Code': call.hangupSipCode ? `sip:${call.hangupSipCode}` : undefined,
    'Billing-Seconds': answered === undefined ? 0 : seconds(end - answered),
    'Duration-Seconds': seconds(end - call.startedAt),
    'Ringing-Seconds': seconds((answered ?? end) - call.startedAt),
    'Caller-ID-Name': call.callerId.name,
    'Caller-ID-Number': call.callerId.number,
    'Callee-ID-Name': call.calleeId.name,
    'Callee-ID-Number': call.calleeId.number,
    From: `${call.from.user}@${call.from.realm}`,
    To: `${call.to.user}@${call.to.realm}`,
    Request: `${call.request.user}@${call.request.realm}`,
    'Custom-SIP-Headers': Object.keys(call.sipHeaders).length ? call.sipHeaders : undefined,
    'Custom-Application-Vars': call.appVars.size ? Object.fromEntries(call.appVars) : undefined,
    Timestamp: Math.round(end / 1000),
  };
}
