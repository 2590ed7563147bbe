/**
 * Locates the first syntax error in a JSON text, with a message that does not depend on the V8 version (Node's
 * own `JSON.parse` messages changed between releases and do not always give a position). Used only after
 * `JSON.parse` has failed. Iterative, so deeply nested input cannot overflow the stack.
 */

export interface JsonSyntaxError {
  message: string;
  offset: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function show(c: string): string {
  return /[\x21-\x7e]/.test(c) ? `'${c}'` : JSON.stringify(c);
}

export function findJsonError(text: string): JsonSyntaxError | null {
  let i = 0;
  const n = text.length;
  const stack: ('{' | '[')[] = [];
  const skipWs = (): void => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const unexpected = (expected: string): JsonSyntaxError =>
    i >= n
      ? { message: `Unexpected end of input, expected ${expected}`, offset: n }
      : { message: `Unexpected token ${show(text[i])}, expected ${expected}`, offset: i };

  /** Reads a string starting at text[i] === '"'. */
  const readString = (): JsonSyntaxError | null => {
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return { message: 'Bad control character in string', offset: i };
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) break;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { message: 'Bad Unicode escape', offset: i };
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) return { message: `Bad escaped character ${show(e)}`, offset: i + 1 };
        i += 2;
        continue;
      }
      i++;
    }
    return { message: 'Unterminated string', offset: start };
  };

  /** Reads a scalar or opens a container at text[i]. */
  const readValue = (): JsonSyntaxError | 'open' | null => {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      return 'open';
    }
    if (c === '"') return readString();
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) return { message: 'Invalid number', offset: i };
      const after = text[i + m[0].length];
      if (after !== undefined && /[0-9.eE+-]/.test(after)) return { message: 'Invalid number', offset: i };
      i += m[0].length;
      return null;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return null;
      }
    }
    return unexpected('a value');
  };

  type State = 'value' | 'after-value' | 'key-or-close' | 'key' | 'value-or-close';
  let state: State = 'value';
  skipWs();
  while (true) {
    skipWs();
    if (state === 'value' || state === 'value-or-close') {
      if (state === 'value-or-close' && text[i] === ']') {
        stack.pop();
        i++;
        state = 'after-value';
        continue;
      }
      if (i >= n) return unexpected('a value');
      const r = readValue();
      if (r === 'open') {
        state = stack[stack.length - 1] === '{' ? 'key-or-close' : 'value-or-close';
        continue;
      }
      if (r) return r;
      state = 'after-value';
      continue;
    }
    if (state === 'key-or-close' || state === 'key') {
      if (state === 'key-or-close' && text[i] === '}') {
        stack.pop();
        i++;
        state = 'after-value';
        continue;
      }
      if (text[i] !== '"') return unexpected(state === 'key' ? 'a property name' : "a property name or '}'");
      const r = readString();
      if (r) return r;
      skipWs();
      if (text[i] !== ':') return unexpected("':'");
      i++;
      state = 'value';
      continue;
    }
    // after-value
    const top = stack[stack.length - 1];
    if (!top) {
      if (i < n) return { message: `Unexpected token ${show(text[i])} after the JSON value`, offset: i };
      return null;
    }
    const close = top === '{' ? '}' : ']';
    if (text[i] === ',') {
      i++;
      state = top === '{' ? 'key' : 'value';
      continue;
    }
    if (text[i] === close) {
      stack.pop();
      i++;
      state = 'after-value';
      continue;
    }
    return unexpected(`',' or '${close}'`);
  }
}
