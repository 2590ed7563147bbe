// Reads a TwiML element's attributes, text and children with Twilio's rules, collecting errors (with the
// element's line and column) instead of throwing, so a whole document is checked before any of it runs.

import type { HttpMethod, TwimlError, CompiledVerb } from './types.js';
import type { XmlElement } from './xml.js';

export const DTMF_KEYS = '0123456789*#';

/** Twilio's cap on `loop` (0, "until hangup", also means this many). */
export const MAX_LOOP = 1000;

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;

export interface CompileChild {
  (el: XmlElement, allowed: readonly string[], parent: string, nestingCode: number): CompiledVerb | undefined;
}

export class AttributeReader {
  private readonly read = new Set<string>();

  constructor(
    readonly el: XmlElement,
    private readonly errors: TwimlError[],
    private readonly warnings: TwimlError[],
    private readonly compileChild: CompileChild,
  ) {}

  error(code: number, message: string, el: XmlElement = this.el): void {
    this.errors.push({ code, message, line: el.line, column: el.column, element: el.name, level: 'error' });
  }

  warn(code: number, message: string, el: XmlElement = this.el): void {
    this.warnings.push({ code, message, line: el.line, column: el.column, element: el.name, level: 'warning' });
  }

  has(name: string): boolean {
    return name in this.el.attributes;
  }

  /** A string attribute; `def` when absent. */
  string(name: string): string | undefined;
  string(name: string, def: string): string;
  string(name: string, def?: string): string | undefined {
    this.read.add(name);
    return this.el.attributes[name] ?? def;
  }

  /** A whole number within bounds; `code` is the Twilio error for a bad value. */
  int(name: string, def: number, opts: { min?: number; max?: number; code: number }): number;
  int(name: string, def: undefined, opts: { min?: number; max?: number; code: number }): number | undefined;
  int(name: string, def: number | undefined, opts: { min?: number; max?: number; code: number }): number | undefined {
    const raw = this.string(name)?.trim();
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    const { min = -Infinity, max = Infinity, code } = opts;
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Infinity ? `at least ${min}` : `between ${min} and ${max}`;
      this.error(code, `<${this.el.name} ${name}="${raw}"> must be a whole number ${range}`);
      return def;
    }
    return n;
  }

  bool(name: string, def: boolean, code = 12200): boolean {
    const raw = this.string(name)?.trim().toLowerCase();
    if (raw === undefined || raw === '') return def;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    this.error(code, `<${this.el.name} ${name}="${this.el.attributes[name]}"> must be true or false`);
    return def;
  }

  /** One of `values` (compared case-sensitively, like Twilio). */
  oneOf<T extends string>(name: string, values: readonly T[], def: T, code = 12200): T {
    const raw = this.string(name);
    if (raw === undefined) return def;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    this.error(code, `<${this.el.name} ${name}="${raw}"> must be one of: ${values.join(', ')}`);
    return def;
  }

  /** An HTTP method attribute: GET or POST, any case; POST by default (Twilio and Kazoo). */
  method(name: string, code: number, def: HttpMethod = 'POST'): HttpMethod {
    const raw = this.string(name)?.trim();
    if (raw === undefined || raw === '') return def;
    const up = raw.toUpperCase();
    if (up === 'GET' || up === 'POST') return up;
    this.error(code, `<${this.el.name} ${name}="${raw}"> must be GET or POST`);
    return def;
  }

  /** `loop`: a whole number ≥ 0; 0 ("until hangup") and anything above 1000 become 1000, as on Twilio. */
  loop(code: number): number {
    const n = this.int('loop', 1, { min: 0, code });
    if (n > MAX_LOOP) this.warn(code, `<${this.el.name} loop="${n}"> is capped at ${MAX_LOOP} iterations`);
    return n === 0 || n > MAX_LOOP ? MAX_LOOP : n;
  }

  /** A BCP-47 language tag (shape only), in canonical case: `en-gb` → `en-GB`. Undefined when absent. */
  language(code: number): string | undefined {
    const raw = this.string('language')?.trim();
    if (raw === undefined || raw === '') return undefined;
    if (!LANGUAGE_TAG.test(raw)) {
      this.error(code, `<${this.el.name} language="${raw}"> is not a language tag such as en-US`);
      return undefined;
    }
    const canonical = (part: string, i: number): string => {
      if (i === 0) return part.toLowerCase();
      if (part.length === 2) return part.toUpperCase();
      if (part.length === 4 && /^[A-Za-z]+$/.test(part)) return part[0].toUpperCase() + part.slice(1).toLowerCase();
      return part;
    };
    return raw.split('-').map(canonical).join('-');
  }

  /** A set of DTMF keys (`finishOnKey`); `single` allows at most one key. Empty string means none. */
  keys(name: string, def: string, opts: { single?: boolean; code: number }): string {
    const raw = this.string(name);
    if (raw === undefined) return def;
    const bad = [...raw].find((c) => !DTMF_KEYS.includes(c));
    if (bad !== undefined || (opts.single && raw.length > 1)) {
      const what = opts.single ? 'a single key among 0-9, * and #, or empty' : 'keys among 0-9, * and #';
      this.error(opts.code, `<${this.el.name} ${name}="${raw}"> must be ${what}`);
      return def;
    }
    return raw;
  }

  /** The element's text content, trimmed; `code` reports it missing when required. */
  text(opts: { required?: boolean; code?: number } = {}): string {
    const t = this.el.text;
    if (opts.required && !t) this.error(opts.code ?? 12200, `<${this.el.name}> needs text content`);
    return t;
  }

  /** Compile child elements as nested verbs limited to `allowed` (Gather: Say, Play, Pause). */
  nested(allowed: readonly string[], nestingCode = 12200): CompiledVerb[] {
    const out: CompiledVerb[] = [];
    for (const child of this.el.children) {
      const compiled = this.compileChild(child, allowed, this.el.name, nestingCode);
      if (compiled) out.push(compiled);
    }
    return out;
  }

  /** Children that are not verbs (Dial nouns, Variable): checked against `allowed` names only. */
  elements(allowed: readonly string[], code = 12200): XmlElement[] {
    return this.el.children.filter((child) => {
      if (allowed.includes(child.name)) return true;
      const list = allowed.length ? allowed.map((n) => `<${n}>`).join(', ') : 'no elements';
      this.error(code, `<${child.name}> is not allowed inside <${this.el.name}> (allowed: ${list})`, child);
      return false;
    });
  }

  /** A reader for a child element (nouns), sharing this document's error lists. */
  child(el: XmlElement): AttributeReader {
    return new AttributeReader(el, this.errors, this.warnings, this.compileChild);
  }

  /** Warn about attributes the verb does not know: Twilio ignores them, and so do we, visibly. */
  finish(): void {
    for (const name of Object.keys(this.el.attributes)) {
      if (!this.read.has(name) && !name.startsWith('xmlns')) {
        this.warn(12200, `<${this.el.name}> has no attribute "${name}"; it is ignored`);
      }
    }
  }
}
