/**
 * A small XML tree builder over `saxes` (strict, well-formedness checking, no DTD or external entity
 * processing). Positions are 1-based; columns count UTF-16 code units from the start of the line.
 */

import { SaxesParser } from 'saxes';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text and CDATA (not its children's), concatenated, trimmed at both ends. */
  text: string;
  /** Text (untrimmed) and child elements in document order, for mixed content such as SSML inside `<Say>`. */
  content: (string | XmlElement)[];
  /** Position of the element's `<`. */
  line: number;
  column: number;
}

export type XmlParseResult =
  { ok: true; root: XmlElement } | { ok: false; message: string; line: number; column: number };

/** Maps an offset in the source text to a 1-based line and column (`\n`, `\r\n` and `\r` end a line). */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

class StopParsing extends Error {}

/**
 * Parses a whole document. Leading whitespace (and a byte-order mark) is skipped, so a document with blank lines
 * before `<?xml …?>` is accepted (Twilio rejects it; we prefer to accept). Reported positions refer to the text as
 * given, skipped part included.
 */
export function parseXml(text: string): XmlParseResult {
  let skip = 0;
  while (skip < text.length && /[\s\uFEFF]/.test(text[skip])) skip++;
  const src = text.slice(skip);
  const lines = new LineMap(text);
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let error: { message: string; offset: number } | undefined;

  const addText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    top.content.push(t);
  };

  parser.on('opentagstart', (tag) => {
    // fired after "<name" and the delimiter after it (one or two characters: CRLF) have been read
    const offset = text.lastIndexOf(`<${tag.name}`, skip + parser.position - tag.name.length - 2);
    const { line, column } = lines.position(offset);
    const el: XmlElement = { name: tag.name, attributes: {}, children: [], text: '', content: [], line, column };
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(el);
      parent.content.push(el);
    } else if (!root) {
      root = el;
    }
    stack.push(el);
  });
  parser.on('opentag', (tag) => {
    const el = stack[stack.length - 1];
    for (const [k, v] of Object.entries(tag.attributes)) {
      el.attributes[k] = typeof v === 'string' ? v : v.value;
    }
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  let rootEnd = -1;
  parser.on('closetag', () => {
    if (stack.length === 1) rootEnd = skip + parser.position;
    const el = stack.pop();
    if (el)
      el.text = el.content
        .filter((c): c is string => typeof c === 'string')
        .join('')
        .trim();
  });
  parser.on('error', (err) => {
    if (!error) {
      const message = cleanMessage(err.message);
      let offset = skip + Math.max(0, parser.position - 1);
      if (message === 'text data outside of root node' && rootEnd !== -1) {
        // saxes notices at the end of the text; point at its start
        const m = /\S/.exec(text.slice(rootEnd));
        if (m) offset = rootEnd + m.index;
      }
      error = { message, offset };
    }
    throw new StopParsing();
  });

  try {
    parser.write(src).close();
  } catch (e) {
    if (!(e instanceof StopParsing)) {
      error ??= { message: e instanceof Error ? e.message : String(e), offset: skip + parser.position };
    }
  }
  if (error) {
    // saxes reads a bare '&' as the start of an entity name up to the next ';' and reports the damage much later
    // ("unclosed tag"); point at the '&' itself instead.
    const amp = findBareAmpersand(text, skip);
    if (amp !== -1 && amp < error.offset) error = { message: "unescaped '&' (write &amp;)", offset: amp };
    const { line, column } = lines.position(Math.min(error.offset, Math.max(0, text.length - 1)));
    return { ok: false, message: error.message, line, column };
  }
  if (!root) return { ok: false, message: 'document must contain a root element', line: 1, column: 1 };
  return { ok: true, root };
}

const REFERENCE = /&(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9a-fA-F]+);/y;

/** Offset of the first '&' outside CDATA, comments, processing instructions and DOCTYPE that starts no reference. */
function findBareAmpersand(text: string, from: number): number {
  const skipTo = (i: number, end: string): number => {
    const j = text.indexOf(end, i);
    return j === -1 ? text.length : j + end.length;
  };
  for (let i = from; i < text.length;) {
    const c = text[i];
    if (c === '<') {
      if (text.startsWith('<![CDATA[', i)) i = skipTo(i + 9, ']]>');
      else if (text.startsWith('<!--', i)) i = skipTo(i + 4, '-->');
      else if (text.startsWith('<?', i)) i = skipTo(i + 2, '?>');
      else if (text.startsWith('<!DOCTYPE', i)) {
        const gt = text.indexOf('>', i);
        const bracket = text.indexOf('[', i);
        i = bracket !== -1 && (gt === -1 || bracket < gt) ? skipTo(bracket, ']') : gt === -1 ? text.length : gt + 1;
      } else i++;
      continue;
    }
    if (c === '&') {
      REFERENCE.lastIndex = i;
      if (!REFERENCE.test(text)) return i;
    }
    i++;
  }
  return -1;
}

/** saxes prefixes messages with "line:column: " and ends them with "."; keep the words only. */
function cleanMessage(message: string): string {
  return message.replace(/^(?:[^:\n]*:)?\d+:\d+: /, '').replace(/\.$/, '');
}
