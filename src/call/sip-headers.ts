// Custom SIP headers and other values that end up in SIP messages come from web apps and callflow documents, so
// they are checked once here: a header name must be a token and not one the SIP stack owns, and no value may
// carry CR, LF or NUL (which would let a document inject headers or whole messages).

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const UNSAFE = /[\r\n\0]/;

/** Headers the stack writes itself (full and compact forms). */
const RESERVED = new Set([
  'via',
  'v',
  'from',
  'f',
  'to',
  't',
  'call-id',
  'i',
  'cseq',
  'contact',
  'm',
  'max-forwards',
  'content-length',
  'l',
  'content-type',
  'c',
  'content-encoding',
  'e',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'expires',
  'require',
  'proxy-require',
  'supported',
  'k',
  'allow',
  'session-expires',
  'x',
  'min-se',
  'rack',
  'rseq',
  'event',
  'o',
  'refer-to',
  'r',
]);

/** Why a value can't go into a SIP message, or undefined when it can. */
export function unsafeValue(value: string): string | undefined {
  return UNSAFE.test(value) ? 'contains a line break or NUL character' : undefined;
}

/** Why `name: value` can't be added as a custom header, or undefined when it can. */
export function customHeaderProblem(name: string, value: string): string | undefined {
  if (!TOKEN.test(name)) return `"${name}" is not a valid header name`;
  if (RESERVED.has(name.toLowerCase())) return `"${name}" is set by Pivot's SIP stack and can't be overridden`;
  const bad = unsafeValue(value);
  return bad ? `the value of "${name}" ${bad}` : undefined;
}

/** The headers that are safe to add, and why the others were left out. */
export function safeHeaders(headers: Record<string, string>): { headers: Record<string, string>; rejected: string[] } {
  const safe: Record<string, string> = {};
  const rejected: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const problem = customHeaderProblem(name, value);
    if (problem) rejected.push(problem);
    else safe[name] = value;
  }
  return { headers: safe, rejected };
}
