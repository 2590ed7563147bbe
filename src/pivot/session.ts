// One Pivot session: the requests made for one `pivot` node and the TwiML they return. It fetches the voice URL,
// checks the answer completely (HTTP status, Content-Type, XML/JSON syntax, TwiML or callflow schema) before
// anything runs, runs TwiML verbs itself (following Gather/Record/Dial/Redirect actions), and hands Kazoo JSON
// back to the callflow executor. Any failure to get a usable document ends the session as `failed`, so the
// pivot node's `_` child runs at once (DESIGN §2), and leaves a debug record that says exactly what was wrong.

import { readFile } from 'node:fs/promises';
import type { QueueManager } from '../call/queues.js';
import type { Call, Endpoint, RecordingFile } from '../call/types.js';
import type { FlowNode, Logger, PivotConfig, PivotOutcome } from '../callflow/types.js';
import { flowValidator, type FlowError, type FlowValidator } from '../callflow/validate.js';
import type { PivotDebugRecord, Store } from '../store/types.js';
import { TwimlInterpreter } from '../twiml/interpreter.js';
import type { CompiledVerb, HttpMethod, TwimlError, TwimlHost, VerbContext } from '../twiml/types.js';
import { DebugRecorder, type DebugError } from './debug.js';
import { httpExchange, parseDocument, sendCallback, sendWebhook, type UrlPolicy } from './http/index.js';
import { requestParams } from './params.js';

export interface PivotDeps {
  store: Store;
  policy: UrlPolicy;
  queues: QueueManager;
  log: Logger;
  /** Base URL where this server is reachable, for the recording URLs apps are given. */
  publicUrl: string;
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

export class PivotSession implements TwimlHost {
  readonly accountId: string;
  documentUrl: string;
  private iteration = 0;
  private readonly userVars = new Map<string, string>();
  private readonly debug: DebugRecorder;
  private readonly interpreter: TwimlInterpreter;
  private readonly validator: FlowValidator;
  private signingKey?: string;
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
    this.debug = new DebugRecorder(deps.store, call.accountId, call.id, config.debug, deps.log, deps.onDebug);
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
      if (fetched.kind === 'kazoo') return { kind: 'flow', flow: fetched.flow };

      this.documentUrl = fetched.url;
      const outcome = await this.interpreter.run(fetched.program, this.context());
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
      await this.record(() => this.debug.exchange(iteration, x, false));
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
    await this.record(() => this.debug.exchange(iteration, x, false));
    for (const w of compiled.warnings) this.warn(w);
    // RFC 3986 §5.1.3: after HTTP redirects, the URL finally retrieved is the base for relative URLs.
    const base = x.request.redirects.length ? stripAddedQuery(x.request.url, method) : url;
    return { ok: true, kind: 'twiml', program: compiled.program, url: base };
  }

  private record(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes.then(write);
    return this.writes;
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
    const row = await this.deps.store.recordings.add(this.accountId, {
      call_id: this.call.id,
      path: file.path,
      content_type: file.contentType,
      duration_ms: file.durationMs,
      size_bytes: file.sizeBytes,
      source: 'twiml',
    });
    const sid = `RE${row.id}`;
    if (!opts.uploadUrl) {
      return { url: `${this.deps.publicUrl}/2010-04-01/Accounts/${this.accountId}/Recordings/${sid}`, sid };
    }
    // Kazoo's naming: <url>/call_recording_<call id>.<ext>, unless the URL already names a file.
    const ext = file.contentType === 'audio/mpeg' ? 'mp3' : 'wav';
    const base = opts.uploadUrl;
    const url = /\.[a-z0-9]{2,4}$/i.test(new URL(base).pathname)
      ? base
      : `${base.replace(/\/$/, '')}/call_recording_${encodeURIComponent(this.call.id)}.${ext}`;
    const x = await httpExchange(
      {
        url,
        method: 'PUT',
        headers: { 'Content-Type': file.contentType },
        body: await readFile(file.path),
        timeoutMs: this.deps.callbackTimeoutMs ?? 10_000,
        isSuccess: (s) => s >= 200 && s < 300,
        requireBody: false,
      },
      { policy: this.deps.policy },
    );
    if (x.error)
      this.warn({ code: x.error.code, message: `recording upload failed: ${x.error.message}`, level: 'warning' });
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
    if (device) return device.enabled === false ? [] : [{ type: 'device', deviceId: device.id, name: device.name }];
    const user = await users.findByUsername(this.accountId, identity);
    return user ? this.resolveUser(user.id) : [];
  }

  async resolveUser(userId: string): Promise<Endpoint[]> {
    const devices = await this.deps.store.devices.listByOwner(this.accountId, userId);
    return devices
      .filter((d) => d.enabled !== false)
      .map((d): Endpoint => ({ type: 'device', deviceId: d.id, name: d.name }));
  }

  async resolveDevice(deviceId: string): Promise<Endpoint[]> {
    const d = await this.deps.store.devices.get(this.accountId, deviceId);
    return d && d.enabled !== false ? [{ type: 'device', deviceId: d.id, name: d.name }] : [];
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
