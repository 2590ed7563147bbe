// Regular expressions written for Kazoo (Erlang `re`, PCRE) run here as JavaScript ones. A leading inline flag
// group such as `(?i)` becomes a RegExp flag; an expression JavaScript cannot compile yields undefined.

export function compileRegex(source: string): RegExp | undefined {
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  const flags = inline ? [...new Set(inline[1].replace('x', ''))].join('') : '';
  try {
    return new RegExp(inline ? source.slice(inline[0].length) : source, flags);
  } catch {
    return undefined;
  }
}
