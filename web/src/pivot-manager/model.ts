// A Pivot Callflow Action as the Pivot Manager sees it: a callflow whose flow root is the `pivot` module (DESIGN §2).
// The form edits a flat set of values; `docOf` writes them back over the loaded document so fields this page does not
// know (written by the callflow editor, by other tools or by hand through the API) survive a save. Field names and
// limits follow the pivot module's schema (src/callflow/modules/pivot.ts) and the callflow schema
// (src/api/callflows.ts); the server checks them again and its field errors are shown at their fields.

/** The pivot module's `req_timeout_ms` bounds and default (PIVOT_TIMEOUT_* in src/callflow/modules/pivot.ts). */
export const TIMEOUT_MIN_MS = 100;
export const TIMEOUT_MAX_MS = 30000;
export const TIMEOUT_DEFAULT_MS = 5000;
/** `voice_url` and `cdr_url` maxLength, callflow `name` maxLength, `tts` text maxLength, a `numbers` entry. */
export const URL_MAX = 2048;
export const NAME_MAX = 128;
export const TTS_MAX = 1000;
export const ENTRY_MAX = 64;

export interface FlowNode {
  module: string;
  data?: Record<string, unknown>;
  children?: Record<string, FlowNode>;
  [key: string]: unknown;
}

export interface CallflowDoc {
  id: string;
  name?: string;
  numbers?: string[];
  patterns?: string[];
  flow?: FlowNode;
  [key: string]: unknown;
}

/** What the pivot node's `_` child does when the request fails. `keep` leaves a child this form cannot edit as is. */
export type Failure =
  | { kind: 'hangup' }
  | { kind: 'media'; id: string }
  | { kind: 'tts'; text: string }
  | { kind: 'callflow'; id: string }
  | { kind: 'keep'; module: string };

export type FailureKind = Failure['kind'];

export interface PivotValues {
  name: string;
  numbers: string[];
  method: 'get' | 'post';
  voice_url: string;
  req_format: 'kazoo' | 'twiml';
  req_body_format: 'form' | 'json';
  /** As typed; empty means the server's default. */
  req_timeout_ms: string;
  debug: boolean;
  cdr_url: string;
  failure: Failure;
}

/** The form's fields that can carry an error. */
export type FieldName =
  | 'name'
  | 'numbers'
  | 'method'
  | 'voice_url'
  | 'req_format'
  | 'req_body_format'
  | 'req_timeout_ms'
  | 'debug'
  | 'cdr_url'
  | 'failure';

export type FormErrors = Partial<Record<FieldName, string>>;

export const ADVANCED_FIELDS: FieldName[] = ['req_body_format', 'req_timeout_ms', 'debug', 'cdr_url', 'failure'];

export function isPivot(doc: CallflowDoc): boolean {
  return doc.flow?.module === 'pivot';
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The pivot node's data of a document (empty when it has none). */
export function pivotData(doc: CallflowDoc): Record<string, unknown> {
  return doc.flow?.data ?? {};
}

function failureOf(child: FlowNode | undefined): Failure {
  if (!child) return { kind: 'hangup' };
  const data = child.data ?? {};
  const plain = !child.children || Object.keys(child.children).length === 0;
  if (child.module === 'tts' && typeof data.text === 'string') return { kind: 'tts', text: data.text };
  if (child.module === 'play' && plain && typeof data.id === 'string' && !/^(https?|tts|tone_stream):/i.test(data.id)) {
    return { kind: 'media', id: data.id };
  }
  if (child.module === 'callflow' && plain && typeof data.id === 'string') return { kind: 'callflow', id: data.id };
  return { kind: 'keep', module: child.module };
}

/** The form's values for a document, or a new action's defaults (debug on, so Live Debug has data). */
export function valuesOf(doc?: CallflowDoc): PivotValues {
  if (!doc) {
    return {
      name: '',
      numbers: [],
      method: 'get',
      voice_url: '',
      req_format: 'kazoo',
      req_body_format: 'form',
      req_timeout_ms: '',
      debug: true,
      cdr_url: '',
      failure: { kind: 'hangup' },
    };
  }
  const data = pivotData(doc);
  return {
    name: str(doc.name),
    numbers: [...(doc.numbers ?? [])],
    method: str(data.method).toLowerCase() === 'post' ? 'post' : 'get',
    voice_url: str(data.voice_url),
    req_format: data.req_format === 'twiml' ? 'twiml' : 'kazoo',
    req_body_format: data.req_body_format === 'json' ? 'json' : 'form',
    req_timeout_ms: typeof data.req_timeout_ms === 'number' ? String(data.req_timeout_ms) : '',
    debug: data.debug === true,
    cdr_url: str(data.cdr_url),
    failure: failureOf(doc.flow?.children?._),
  };
}

/** The `_` child for a failure choice, merged over the current child when it is the same module. */
function failureNode(failure: Failure, current: FlowNode | undefined): FlowNode | undefined {
  const same = (module: string) => (current?.module === module ? current : undefined);
  switch (failure.kind) {
    case 'hangup':
      return undefined;
    case 'keep':
      return current;
    case 'media': {
      const base = same('play');
      return { ...base, module: 'play', data: { ...base?.data, id: failure.id }, children: base?.children ?? {} };
    }
    case 'tts': {
      const base = same('tts');
      return { ...base, module: 'tts', data: { ...base?.data, text: failure.text }, children: base?.children ?? {} };
    }
    case 'callflow': {
      const base = same('callflow');
      return { ...base, module: 'callflow', data: { ...base?.data, id: failure.id }, children: base?.children ?? {} };
    }
  }
}

const SERVER_OWNED = ['id', 'account_id', 'created', 'modified'];

/**
 * The document to store: the loaded document with the form's values written over it. Unknown top-level fields,
 * unknown pivot data fields (custom_request_headers…), other children of the pivot node and the `_` child's own
 * extra data are all kept.
 */
export function docOf(values: PivotValues, loaded?: CallflowDoc): Record<string, unknown> {
  const doc: Record<string, unknown> = loaded ? structuredClone(loaded) : {};
  for (const k of SERVER_OWNED) delete doc[k];
  const flow: FlowNode = loaded?.flow?.module === 'pivot' ? structuredClone(loaded.flow) : { module: 'pivot' };
  const data: Record<string, unknown> = { ...flow.data };
  data.voice_url = values.voice_url.trim();
  data.method = values.method;
  data.req_format = values.req_format;
  data.req_body_format = values.req_body_format;
  data.debug = values.debug;
  const timeout = values.req_timeout_ms.trim();
  if (timeout) data.req_timeout_ms = Number(timeout);
  else delete data.req_timeout_ms;
  const cdr = values.cdr_url.trim();
  if (cdr) data.cdr_url = cdr;
  else delete data.cdr_url;
  const children: Record<string, FlowNode> = { ...flow.children };
  const child = failureNode(values.failure, flow.children?._);
  if (child) children._ = child;
  else delete children._;
  flow.module = 'pivot';
  flow.data = data;
  flow.children = children;
  doc.flow = flow;
  const name = values.name.trim();
  if (name) doc.name = name;
  else delete doc.name;
  doc.numbers = values.numbers;
  return doc;
}

/** A quick check that a URL is http(s) with a host; the server's rules (length, pattern) decide the rest. */
export function httpUrlProblem(raw: string): string | undefined {
  const value = raw.trim();
  if (!/^https?:\/\//i.test(value)) return 'Use an http:// or https:// URL, e.g. https://example.com/voice';
  try {
    const url = new URL(value);
    if (!url.hostname) return 'The URL needs a host name, e.g. https://example.com/voice';
  } catch {
    return 'This is not a valid URL';
  }
  return undefined;
}

/** The checks made before anything is sent; the server's answer can add more. */
export function validate(values: PivotValues): FormErrors {
  const errors: FormErrors = {};
  if (!values.name.trim()) errors.name = 'Give the action a name you will recognise in lists and in Live Debug';
  else if (values.name.trim().length > NAME_MAX) errors.name = `At most ${NAME_MAX} characters`;
  if (!values.voice_url.trim()) errors.voice_url = 'The URL Pivot asks what to do is required';
  else errors.voice_url = httpUrlProblem(values.voice_url);
  const timeout = values.req_timeout_ms.trim();
  if (timeout) {
    const n = Number(timeout);
    if (!Number.isInteger(n) || n < TIMEOUT_MIN_MS || n > TIMEOUT_MAX_MS) {
      errors.req_timeout_ms = `A whole number of milliseconds from ${TIMEOUT_MIN_MS} to ${TIMEOUT_MAX_MS}`;
    }
  }
  if (values.cdr_url.trim()) errors.cdr_url = httpUrlProblem(values.cdr_url);
  const f = values.failure;
  if (f.kind === 'media' && !f.id) errors.failure = 'Choose the media file to play';
  if (f.kind === 'tts' && !f.text.trim()) errors.failure = 'Type the message to speak';
  if (f.kind === 'tts' && f.text.length > TTS_MAX) errors.failure = `At most ${TTS_MAX} characters`;
  if (f.kind === 'callflow' && !f.id) errors.failure = 'Choose the callflow to go to';
  for (const k of Object.keys(errors) as FieldName[]) if (!errors[k]) delete errors[k];
  return errors;
}

/** Where a field error of the server belongs in the form (`flow.data.voice_url` → voice_url). */
export function formFieldOf(serverField: string): FieldName | undefined {
  if (serverField === 'name') return 'name';
  if (serverField === 'numbers' || serverField.startsWith('numbers.')) return 'numbers';
  const data = /^flow\.data\.([a-z_]+)/.exec(serverField);
  if (data) {
    const f = data[1] as FieldName;
    return ['method', 'voice_url', 'req_format', 'req_body_format', 'req_timeout_ms', 'debug', 'cdr_url'].includes(f)
      ? f
      : undefined;
  }
  if (serverField.startsWith('flow.children._')) return 'failure';
  return undefined;
}

/**
 * A phone number as the server stores it (E.164), or undefined for an extension — the rules of toE164/isE164 in
 * src/call/numbers.ts: formatting stripped, 00/011 become +, 10 digits get +1, 11 digits starting with 1 get +.
 */
export function phoneOf(input: string): string | undefined {
  const compact = input.trim().replace(/[\s().\-/]/g, '');
  if (!/^\+?\d{1,17}$/.test(compact)) return undefined;
  let e164 = compact;
  if (compact.startsWith('011')) e164 = `+${compact.slice(3)}`;
  else if (compact.startsWith('00')) e164 = `+${compact.slice(2)}`;
  else if (!compact.startsWith('+') && compact.length === 10) e164 = `+1${compact}`;
  else if (!compact.startsWith('+') && compact.length === 11 && compact.startsWith('1')) e164 = `+${compact}`;
  return /^\+\d{6,15}$/.test(e164) ? e164 : undefined;
}

export const isPhoneNumber = (entry: string): boolean => /^\+\d{6,15}$/.test(entry);

/** A name for a callflow in pickers and messages. */
export function callflowLabel(doc: CallflowDoc): string {
  const numbers = (doc.numbers ?? []).join(', ');
  if (doc.name) return numbers ? `${doc.name} (${numbers})` : doc.name;
  return numbers || doc.id;
}

/** Does an action match a search: its name, a number or extension (formatting ignored), or its URL. */
export function matchesSearch(doc: CallflowDoc, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const digits = q.replace(/[\s().\-/]/g, '');
  if (str(doc.name).toLowerCase().includes(q)) return true;
  if (str(pivotData(doc).voice_url).toLowerCase().includes(q)) return true;
  return (doc.numbers ?? []).some((n) => n.toLowerCase().includes(q) || (digits !== '' && n.includes(digits)));
}
