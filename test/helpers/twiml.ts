// A TwimlHost for unit tests of verbs: records everything the verbs ask of the Pivot session.

import { QueueManager } from '../../src/call/queues.js';
import { ScriptedCall, type ScriptedCallInit } from '../../src/call/scripted.js';
import type { Endpoint, RecordingFile } from '../../src/call/types.js';
import { resolveReference } from '../../src/pivot/session.js';
import { TwimlInterpreter } from '../../src/twiml/interpreter.js';
import type {
  CompiledVerb,
  HttpMethod,
  TwimlError,
  TwimlHost,
  VerbContext,
  VerbOutcome,
} from '../../src/twiml/types.js';
import { parseXml } from '../../src/twiml/xml.js';

export interface FakeHostOptions {
  documentUrl?: string;
  /** Client identities and Kazoo user/device ids the fake account knows. */
  clients?: Record<string, Endpoint[]>;
  /** URLs the fake policy denies (prefix match). */
  deny?: string[];
  /** Documents served to `fetchTwiml` by URL. */
  documents?: Record<string, string>;
  queues?: QueueManager;
}

export class FakeHost implements TwimlHost {
  readonly accountId: string;
  documentUrl: string;
  readonly userVars = new Map<string, string>();
  readonly traces: { verb: string; detail: Record<string, unknown> }[] = [];
  readonly warnings: TwimlError[] = [];
  readonly recordings: { file: RecordingFile; uploadUrl?: string }[] = [];
  readonly callbacks: { url: string; method: HttpMethod; params: Record<string, unknown> }[] = [];
  readonly fetched: { url: string; method: HttpMethod; params: Record<string, unknown> }[] = [];
  readonly queues: QueueManager;

  constructor(
    readonly call: ScriptedCall,
    private readonly opts: FakeHostOptions = {},
  ) {
    this.accountId = call.accountId;
    this.documentUrl = opts.documentUrl ?? 'http://app.test/voice';
    this.queues = opts.queues ?? new QueueManager(() => call.world.now);
  }

  resolveUrl(ref: string): string {
    return resolveReference(ref, this.documentUrl);
  }

  async checkUrl(url: string): Promise<string | undefined> {
    return this.opts.deny?.some((d) => url.startsWith(d)) ? `URL policy denies ${url}` : undefined;
  }

  setUserVar(key: string, value: string): void {
    this.userVars.set(key, value);
  }

  trace(verb: string, detail: Record<string, unknown>): void {
    this.traces.push({ verb, detail });
  }

  warn(error: TwimlError): void {
    this.warnings.push(error);
  }

  async saveRecording(file: RecordingFile, opts: { uploadUrl?: string } = {}): Promise<{ url: string; sid: string }> {
    this.recordings.push({ file, uploadUrl: opts.uploadUrl });
    const sid = `RE${file.id}`;
    return { url: opts.uploadUrl ?? `http://pivot.test/recordings/${sid}`, sid };
  }

  callback(url: string, method: HttpMethod, params: Record<string, unknown>): void {
    this.callbacks.push({ url, method, params });
  }

  async resolveClient(identity: string): Promise<Endpoint[]> {
    return this.opts.clients?.[identity] ?? [];
  }

  async resolveUser(id: string): Promise<Endpoint[]> {
    return this.opts.clients?.[id] ?? [];
  }

  async resolveDevice(id: string): Promise<Endpoint[]> {
    return this.opts.clients?.[id] ?? [];
  }

  async fetchTwiml(url: string, method: HttpMethod, params: Record<string, unknown>) {
    this.fetched.push({ url, method, params });
    const body = this.opts.documents?.[url];
    if (body === undefined) {
      return { ok: false as const, error: { code: 11200, message: `HTTP 404 from ${url}`, level: 'error' as const } };
    }
    const compiled = compileTwiml(body);
    if (compiled.errors.length) return { ok: false as const, error: compiled.errors[0] };
    return { ok: true as const, program: compiled.program, url };
  }
}

const interpreter = new TwimlInterpreter();

export function compileTwiml(xml: string) {
  const parsed = parseXml(xml);
  if (!parsed.ok) throw new Error(`test document is not XML: ${parsed.message}`);
  return interpreter.compile(parsed.root);
}

export function context(host: TwimlHost, signal?: AbortSignal): VerbContext {
  return {
    host,
    call: host.call,
    signal,
    runVerbs: (verbs: CompiledVerb[], ctx: VerbContext) => interpreter.run(verbs, ctx),
  };
}

/**
 * Compile and run one document on a new scripted call; returns the call (timeline), the host (requests asked
 * for, callbacks, recordings) and the outcome of the document. Throws when the document does not compile.
 */
export async function runTwiml(
  xml: string,
  init: ScriptedCallInit = {},
  hostOpts: FakeHostOptions = {},
): Promise<{ call: ScriptedCall; host: FakeHost; outcome: VerbOutcome }> {
  const compiled = compileTwiml(xml);
  if (compiled.errors.length) throw new Error(`document has errors: ${JSON.stringify(compiled.errors)}`);
  const call = new ScriptedCall(init);
  const host = new FakeHost(call, hostOpts);
  try {
    const outcome = await interpreter.run(compiled.program, context(host));
    return { call, host, outcome };
  } finally {
    call.release();
  }
}
