// Types shared by the callflow executor and its modules (one file per module in ./modules).

import type { Call, RecordingFile } from '../call/types.js';
import type { Store } from '../store/types.js';

/** A Kazoo callflow action node: `{"module": "...", "data": {...}, "children": {"_": {...}, "1": {...}}}`. */
export interface FlowNode {
  module: string;
  data: Record<string, unknown>;
  children?: Record<string, FlowNode>;
}

/** What a module tells the executor to do next. */
export type ModuleOutcome =
  /** Go to the first child among `keys` that exists, then `_`. */
  | { next: string | string[] }
  /** End this flow: resume a stacked flow if any, else hang up. `hard` ends everything (hangup module). */
  | { stop: 'soft' | 'hard' }
  /** Push the current node's `_` child and run `flow` (callflow module). */
  | { branch: FlowNode }
  /** Replace the running flow with `flow` (a Pivot response of Kazoo JSON); `onStep` hears its modules run. */
  | { replace: FlowNode; onStep?: StepObserver };

/** One module run by the executor: its data, its outcome or its error. */
export interface StepRecord {
  module: string;
  data: Record<string, unknown>;
  outcome?: ModuleOutcome;
  error?: string;
}

/** Told each module the executor runs (Pivot's debug records of a Kazoo JSON answer). */
export type StepObserver = (step: StepRecord) => void;

export const next = (...keys: string[]): ModuleOutcome => ({ next: keys.length ? keys : '_' });
export const stop: ModuleOutcome = { stop: 'soft' };
export const hardStop: ModuleOutcome = { stop: 'hard' };

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Pivot node configuration, with defaults materialised (spec §13.1). */
export interface PivotConfig {
  voice_url: string;
  method: 'get' | 'post';
  req_format: 'kazoo' | 'twiml';
  req_body_format: 'form' | 'json';
  req_timeout_ms: number;
  debug: boolean;
  cdr_url?: string;
}

/** How a Pivot session ended, as seen by the pivot module. */
export type PivotOutcome =
  /** No usable document: take the `_` child of the pivot node. */
  | { kind: 'failed' }
  /** Kazoo JSON came back: it replaces the flow; `onStep` hears each of its modules run (debug records). */
  | { kind: 'flow'; flow: FlowNode; onStep?: StepObserver }
  /** TwiML ran to its end (the call is hung up or left as the document said). */
  | { kind: 'done' };

/** The Pivot HTTP session, implemented in src/pivot and injected, so callflow never touches HTTP itself. */
export interface PivotService {
  run(call: Call, config: PivotConfig): Promise<PivotOutcome>;
}

/** Outbound HTTP for modules (webhook, record_call uploads), always through the URL policy. */
export interface HttpService {
  /** Fire-and-forget style webhook; resolves with the status or an error message. */
  send(req: {
    url: string;
    method: 'get' | 'post' | 'put';
    params?: Record<string, unknown>;
    format?: 'form' | 'json';
    timeoutMs?: number;
  }): Promise<{ status?: number; error?: string }>;
  /** Upload a recording file (PUT or POST the raw bytes). */
  upload(url: string, method: 'put' | 'post', file: RecordingFile): Promise<{ status?: number; error?: string }>;
}

export interface CallflowServices {
  store: Store;
  pivot: PivotService;
  http: HttpService;
  log: Logger;
  /** Wall clock (ms since epoch); injectable so temporal rules are testable. */
  now: () => number;
  /** Folder for recordings and voicemail files. */
  dataDir: string;
  /** Randomness for weighted ring groups; injectable for tests (default Math.random). */
  random?: () => number;
}

export interface ModuleContext<D = Record<string, unknown>> {
  call: Call;
  /** The node's data, validated against the module schema with defaults filled in. */
  data: D;
  node: FlowNode;
  services: CallflowServices;
  log: Logger;
}

export interface CallflowModule<D = any> {
  name: string;
  /** One line for the editor's catalog. */
  description: string;
  /** JSON schema of `data`; used when a callflow is saved and when a Pivot response is validated. */
  schema: Record<string, unknown>;
  run(ctx: ModuleContext<D>): Promise<ModuleOutcome>;
}
