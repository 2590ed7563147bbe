// The TwiML interpreter: `compile` checks a whole <Response> document (verbs, nesting, attributes) before
// anything runs; `run` executes the verbs in order until one transfers control or the call ends.

import { AttributeReader } from './attributes.js';
import type { CompiledVerb, TwimlError, TwimlVerb, VerbContext, VerbOutcome } from './types.js';
import { VERBS } from './verbs/index.js';
import type { XmlElement } from './xml.js';

/** Verbs allowed directly under <Response>. */
export const TOP_LEVEL = [
  'Say',
  'Play',
  'Pause',
  'Gather',
  'Record',
  'Dial',
  'Redirect',
  'Hangup',
  'Reject',
  'Enqueue',
  'Leave',
  'Set',
];

/** Twilio verbs Pivot knows of but does not run: a clear error beats a silent skip. */
const UNSUPPORTED: Record<string, string> = {
  Connect: 'media streams and AI connectors are not supported yet',
  Start: 'media forking is not supported yet',
  Stop: 'media forking is not supported yet',
  Pay: 'payments are not supported',
  Refer: 'SIP REFER is not supported yet',
  Sms: '<Sms> is deprecated by Twilio and not supported; send messages from your web app',
  Message: '<Message> is Messaging TwiML, not Voice',
  Echo: '<Echo> is not supported',
};

export interface CompiledDocument {
  program: CompiledVerb[];
  errors: TwimlError[];
  warnings: TwimlError[];
}

export class TwimlInterpreter {
  private readonly verbs: ReadonlyMap<string, TwimlVerb>;

  constructor(verbs: readonly TwimlVerb[] = VERBS) {
    this.verbs = new Map(verbs.map((v) => [v.name, v]));
  }

  compile(root: XmlElement): CompiledDocument {
    const errors: TwimlError[] = [];
    const warnings: TwimlError[] = [];
    if (root.name !== 'Response') {
      const at = { line: root.line, column: root.column, element: root.name };
      errors.push({
        code: 12102,
        message: `the root element must be <Response>, not <${root.name}>`,
        ...at,
        level: 'error',
      });
      return { program: [], errors, warnings };
    }
    for (const name of Object.keys(root.attributes)) {
      if (!name.startsWith('xmlns')) {
        const at = { line: root.line, column: root.column, element: 'Response' };
        warnings.push({
          code: 12200,
          message: `<Response> has no attribute "${name}"; it is ignored`,
          ...at,
          level: 'warning',
        });
      }
    }
    const compileChild = (el: XmlElement, allowed: readonly string[], parent: string, code: number) =>
      this.compileElement(el, allowed, parent, code, errors, warnings, compileChild);
    const program: CompiledVerb[] = [];
    for (const el of root.children) {
      const compiled = compileChild(el, TOP_LEVEL, 'Response', 12200);
      if (compiled) program.push(compiled);
    }
    return { program, errors, warnings };
  }

  private compileElement(
    el: XmlElement,
    allowed: readonly string[],
    parent: string,
    nestingCode: number,
    errors: TwimlError[],
    warnings: TwimlError[],
    compileChild: (
      el: XmlElement,
      allowed: readonly string[],
      parent: string,
      code: number,
    ) => CompiledVerb | undefined,
  ): CompiledVerb | undefined {
    const at = { line: el.line, column: el.column, element: el.name, level: 'error' as const };
    const verb = this.verbs.get(el.name);
    if (!verb) {
      const why = UNSUPPORTED[el.name];
      const message = why
        ? `<${el.name}> is not supported by Pivot: ${why}`
        : `<${el.name}> is not a TwiML verb${el.name.toLowerCase() !== el.name ? '' : ' (verb names are case-sensitive, e.g. <Say>)'}`;
      errors.push({ code: 12200, message, ...at });
      return undefined;
    }
    if (!allowed.includes(el.name)) {
      errors.push({ code: nestingCode, message: `<${el.name}> cannot be nested inside <${parent}>`, ...at });
      return undefined;
    }
    const reader = new AttributeReader(el, errors, warnings, compileChild);
    const options = verb.parse(el, reader);
    reader.finish();
    return { verb, element: el, options };
  }

  /** Run verbs in order; `{kind:'next'}` at the end means the document ran out. */
  async run(program: CompiledVerb[], ctx: VerbContext): Promise<VerbOutcome> {
    for (const step of program) {
      if (ctx.call.state === 'ended') return { kind: 'end' };
      if (ctx.signal?.aborted) return { kind: 'next' };
      const outcome = await step.verb.run(step.options, ctx);
      if (outcome.kind !== 'next') return outcome;
    }
    return ctx.call.state === 'ended' ? { kind: 'end' } : { kind: 'next' };
  }
}
