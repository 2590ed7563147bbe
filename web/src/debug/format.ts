// Bodies as developers want to read them: XML and JSON pretty-printed, and cut into tokens for highlighting. A small
// tokenizer per language (no library): XML tags, attributes, values, comments, CDATA and entities; JSON keys,
// strings, numbers, literals and punctuation. Rendered by highlight.tsx.

export type Lang = 'xml' | 'json' | 'text';

export interface Token {
  text: string;
  cls?: string;
}

/** The language of a body: its Content-Type first, then its first character. */
export function detectLang(body: string, contentType?: string): Lang {
  const type = (contentType ?? '').toLowerCase();
  if (/json/.test(type)) return 'json';
  if (/xml/.test(type)) return 'xml';
  const first = body.trimStart()[0];
  if (first === '<') return 'xml';
  if (first === '{' || first === '[') return 'json';
  return 'text';
}

export function prettyJson(text: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

/** Splits XML into markup and text pieces (a tag, a comment, a run of text). */
function xmlPieces(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const until = (end: string, from: number) => {
    const at = text.indexOf(end, from);
    return at < 0 ? text.length : at + end.length;
  };
  while (i < text.length) {
    let j: number;
    if (text.startsWith('<!--', i)) j = until('-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) j = until(']]>', i + 9);
    else if (text.startsWith('<?', i)) j = until('?>', i + 2);
    else if (text[i] === '<') j = tagEnd(text, i);
    else {
      const next = text.indexOf('<', i);
      j = next < 0 ? text.length : next;
    }
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/** The index after the `>` that closes the tag starting at `i` (quotes respected). */
function tagEnd(text: string, i: number): number {
  let quote = '';
  for (let k = i + 1; k < text.length; k++) {
    const c = text[k];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return k + 1;
  }
  return text.length;
}

/**
 * Indented XML: one element per line, an element holding only text kept on one line. Undefined when the text does not
 * look like markup (it is then shown as it came).
 */
export function prettyXml(text: string): string | undefined {
  const pieces = xmlPieces(text.trim());
  if (!pieces.length || !pieces[0].startsWith('<')) return undefined;
  const lines: string[] = [];
  let depth = 0;
  const pad = () => '  '.repeat(Math.max(0, depth));
  const kind = (p: string) =>
    p.startsWith('</')
      ? 'close'
      : p.startsWith('<!--') || p.startsWith('<?') || p.startsWith('<!')
        ? 'other'
        : p.startsWith('<')
          ? p.endsWith('/>')
            ? 'self'
            : 'open'
          : 'text';
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    const k = kind(p);
    if (k === 'text') {
      if (p.trim()) lines.push(pad() + p.trim());
    } else if (k === 'open') {
      const a = pieces[i + 1];
      const b = pieces[i + 2];
      if (a !== undefined && kind(a) === 'text' && b !== undefined && kind(b) === 'close' && !a.includes('\n')) {
        lines.push(pad() + p + a.trim() + b);
        i += 2;
      } else if (a !== undefined && kind(a) === 'close') {
        lines.push(pad() + p + a);
        i += 1;
      } else {
        lines.push(pad() + p);
        depth++;
      }
    } else if (k === 'close') {
      depth--;
      lines.push(pad() + p);
    } else {
      lines.push(pad() + p);
    }
  }
  return lines.join('\n');
}

function xmlTokens(text: string): Token[] {
  const out: Token[] = [];
  for (const p of xmlPieces(text)) {
    if (p.startsWith('<!--')) out.push({ text: p, cls: 'tok-comment' });
    else if (p.startsWith('<![CDATA[')) out.push({ text: p, cls: 'tok-cdata' });
    else if (p.startsWith('<?') || p.startsWith('<!')) out.push({ text: p, cls: 'tok-meta' });
    else if (p.startsWith('<')) out.push(...tagTokens(p));
    else {
      // text, with entities picked out
      for (const part of p.split(/(&[#\w]+;)/)) {
        if (part)
          out.push(part.startsWith('&') && part.endsWith(';') ? { text: part, cls: 'tok-entity' } : { text: part });
      }
    }
  }
  return out;
}

function tagTokens(tag: string): Token[] {
  const out: Token[] = [];
  const open = /^<\/?/.exec(tag)![0];
  out.push({ text: open, cls: 'tok-punct' });
  let i = open.length;
  const name = /^[^\s/>]+/.exec(tag.slice(i));
  if (name) {
    out.push({ text: name[0], cls: 'tok-tag' });
    i += name[0].length;
  }
  while (i < tag.length) {
    const rest = tag.slice(i);
    const m =
      /^\s+/.exec(rest) ??
      /^\/?>/.exec(rest) ??
      /^=/.exec(rest) ??
      /^"[^"]*"?/.exec(rest) ??
      /^'[^']*'?/.exec(rest) ??
      /^[^\s=/>"']+/.exec(rest) ??
      /^./s.exec(rest)!;
    const t = m[0];
    const cls = /^\s/.test(t)
      ? undefined
      : t === '=' || t === '>' || t === '/>'
        ? 'tok-punct'
        : t[0] === '"' || t[0] === "'"
          ? 'tok-string'
          : 'tok-attr';
    out.push({ text: t, cls });
    i += t.length;
  }
  return out;
}

function jsonTokens(text: string): Token[] {
  const out: Token[] = [];
  const re = /"(?:[^"\\\n]|\\.)*"?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\],:]|\s+|[^\s"{}[\],:]+/g;
  const all = [...text.matchAll(re)].map((m) => m[0]);
  for (let i = 0; i < all.length; i++) {
    const t = all[i];
    let cls: string | undefined;
    if (t[0] === '"') {
      let k = i + 1;
      while (k < all.length && /^\s+$/.test(all[k])) k++;
      cls = all[k] === ':' ? 'tok-key' : 'tok-string';
    } else if (/^-?\d/.test(t)) cls = 'tok-number';
    else if (t === 'true' || t === 'false' || t === 'null') cls = 'tok-literal';
    else if (/^[{}[\],:]$/.test(t)) cls = 'tok-punct';
    else if (!/^\s+$/.test(t)) cls = 'tok-invalid';
    out.push({ text: t, cls });
  }
  return out;
}

/** Tokens cut into lines. */
export function lines(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    const parts = t.text.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) out.push([]);
      if (part) out[out.length - 1].push({ text: part, cls: t.cls });
    });
  }
  return out;
}

export function tokenize(text: string, lang: Lang): Token[] {
  if (lang === 'xml') return xmlTokens(text);
  if (lang === 'json') return jsonTokens(text);
  return [{ text }];
}
