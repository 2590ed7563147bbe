// SIP message parser (RFC 3261 §7) for datagrams, and a framer for streams (§18.3, RFC 5626 keep-alives).
//
// The parser does the syntax every message needs before anything can look at it: the start line, header lines
// (folding, compact and case-insensitive names), and the body by Content-Length. Header values are stored
// unfolded but otherwise as received; structured values are parsed on demand by ./headers.ts, and the
// semantic checks a UAS makes (mandatory headers, CSeq, Max-Forwards…) live in ./validate.ts.
//
// Cost is linear in the message: one native search for line feeds, one UTF-8 decode of the header block, one pass
// over its lines. The body is a view into the input buffer (no copy) for datagrams, a copy for streams.

import { SipParseError, trimLws } from './headers.js';
import { Headers, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import { isTokenChar } from './uri.js';

export { SipParseError } from './headers.js';

export interface ParseLimits {
  /** Largest message accepted, in bytes (default 65535). */
  maxBytes?: number;
  /** Most header lines accepted (default 128). */
  maxHeaders?: number;
}

const DEFAULT_MAX_BYTES = 65535;
const DEFAULT_MAX_HEADERS = 128;

/**
 * Parse one datagram. A Content-Length larger than the datagram is an error; without Content-Length the rest of
 * the datagram is the body; octets after the body are ignored (§18.3). Leading CRLFs are skipped (§7.5), and a
 * datagram that ends without the empty line after its headers is taken as headers only. Throws `SipParseError`.
 */
export function parseMessage(buf: Buffer, limits?: ParseLimits): SipMessage {
  const maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (buf.length > maxBytes) throw new SipParseError('message too large', 513);
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start === buf.length) throw new SipParseError('empty message');
  let headEnd = buf.length;
  let bodyStart = buf.length;
  const end = findHeadEnd(buf, start, buf.length);
  if (end >= 0) {
    headEnd = end;
    bodyStart = end + (buf[end + 1] === 13 ? 3 : 2);
  }
  const head = parseHead(buf.toString('utf8', start, headEnd), limits?.maxHeaders ?? DEFAULT_MAX_HEADERS);
  const available = buf.length - bodyStart;
  let length = available;
  if (head.contentLength !== undefined) {
    if (head.contentLength > available) throw new SipParseError('Content-Length larger than message');
    length = head.contentLength;
  }
  head.msg.body = buf.subarray(bodyStart, bodyStart + length);
  return head.msg;
}

/**
 * Index of the line feed that ends the last header line (the empty line follows it as LF or CRLF), searching
 * `[from, to)`; -1 when the header block is not complete yet.
 */
function findHeadEnd(buf: Buffer, from: number, to: number): number {
  let i = buf.indexOf(10, from);
  while (i >= 0 && i + 1 < to) {
    const next = buf[i + 1];
    if (next === 10) return i;
    if (next === 13) {
      if (i + 2 >= to) return -1;
      if (buf[i + 2] === 10) return i;
    }
    i = buf.indexOf(10, i + 1);
    if (i >= to) return -1;
  }
  return -1;
}

interface Head {
  msg: SipMessage;
  contentLength?: number;
}

function isVersion(v: string): boolean {
  // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT ("SIP" case-insensitive)
  if (v.length < 7 || v.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = v.indexOf('.', 4);
  if (dot <= 4 || dot === v.length - 1) return false;
  for (let i = 4; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (i !== dot && (c < 48 || c > 57)) return false;
  }
  return true;
}

/** Parse the start line and the header lines (without the empty line). */
function parseHead(text: string, maxHeaders: number): Head {
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = text.length;
  const first = text.charCodeAt(lineEnd - 1) === 13 ? text.slice(0, lineEnd - 1) : text.slice(0, lineEnd);
  const headers = new Headers();
  const msg = startLine(first, headers);

  let name: string | undefined;
  let value = '';
  let count = 0;
  let contentLength: number | undefined;
  const flush = () => {
    if (name === undefined) return;
    if (++count > maxHeaders) throw new SipParseError('too many headers');
    headers.append(name, value);
    if (name.length === 1 ? (name.charCodeAt(0) | 0x20) === 108 : name.toLowerCase() === 'content-length') {
      const n = parseContentLength(value);
      if (contentLength !== undefined && contentLength !== n) throw new SipParseError('multiple Content-Length values');
      contentLength = n;
    }
  };

  let pos = lineEnd + 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const stop = text.charCodeAt(end - 1) === 13 && end - 1 >= pos ? end - 1 : end;
    const c = text.charCodeAt(pos);
    if (c === 32 || c === 9) {
      // Folded continuation: CRLF + whitespace is one SP (§7.3.1).
      if (name === undefined) throw new SipParseError('malformed header line');
      const more = trimLws(text.slice(pos, stop));
      if (more) value = value ? value + ' ' + more : more;
    } else if (stop > pos) {
      flush();
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= stop) throw new SipParseError('malformed header line');
      let nameEnd = colon;
      while (nameEnd > pos && (text.charCodeAt(nameEnd - 1) === 32 || text.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
      if (nameEnd === pos) throw new SipParseError('malformed header line');
      for (let k = pos; k < nameEnd; k++) {
        if (!isTokenChar(text.charCodeAt(k))) throw new SipParseError('malformed header line');
      }
      name = text.slice(pos, nameEnd);
      value = trimLws(text.slice(colon + 1, stop));
    }
    pos = end + 1;
  }
  flush();
  return { msg, contentLength };
}

function parseContentLength(value: string): number {
  const s = trimLws(value);
  if (s.length === 0) throw new SipParseError('malformed Content-Length');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError('malformed Content-Length');
    n = n * 10 + c - 48;
  }
  return n;
}

function startLine(line: string, headers: Headers): SipMessage {
  const body = Buffer.alloc(0);
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp = line.indexOf(' ');
    const version = sp < 0 ? line : line.slice(0, sp);
    if (sp < 0 || !isVersion(version)) throw new SipParseError('malformed Status-Line');
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!/^[1-6]\d\d$/.test(code) || (sp + 4 < line.length && after !== 32)) {
      throw new SipParseError('malformed status code');
    }
    const res: SipResponse = {
      kind: 'response',
      status: Number(code),
      reason: line.slice(sp + 5),
      version,
      headers,
      body,
    };
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version, single spaces only (RFC 4475 §3.1.2.7–10).
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 === sp1 + 1 || line.indexOf(' ', sp2 + 1) >= 0) {
    throw new SipParseError('malformed Request-Line');
  }
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) {
    if (!isTokenChar(method.charCodeAt(i))) throw new SipParseError('malformed Request-Line');
  }
  const uri = line.slice(sp1 + 1, sp2);
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 60 || c === 62 || c === 34) throw new SipParseError('malformed Request-URI');
  }
  const version = line.slice(sp2 + 1);
  if (!isVersion(version)) throw new SipParseError('malformed Request-Line');
  const req: SipRequest = { kind: 'request', method, uri, version, headers, body };
  return req;
}

// ---- streams ----

export interface FramerResult {
  messages: SipMessage[];
  /** Set when the stream cannot be framed any more: answer if possible, then close the connection. */
  error?: SipParseError;
  /** Number of CRLFCRLF keep-alive pings seen (RFC 5626 §3.5.1: answer each with a CRLF pong). */
  keepAlives?: number;
}

/**
 * Frames SIP messages out of a byte stream (TCP, TLS): header block up to the empty line, then exactly
 * Content-Length octets (mandatory on streams, §18.3). CRLFs between messages (keep-alives) are skipped and
 * counted. The buffer holds at most one partial message (≤ `maxBytes`) plus the unread part of the last chunk.
 * Errors are final: after one, every `push` returns it again.
 */
export class StreamFramer {
  private readonly maxBytes: number;
  private readonly maxHeaders: number;
  private buf = Buffer.alloc(0);
  private len = 0;
  /** Bytes of the pending message already searched for the end of its header block. */
  private scanned = 0;
  private head: { msg: SipMessage; bodyOffset: number; length: number } | undefined;
  private lfRun = 0;
  private failed: SipParseError | undefined;

  constructor(limits?: ParseLimits) {
    this.maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxHeaders = limits?.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** Bytes buffered for a message not complete yet. */
  get buffered(): number {
    return this.len;
  }

  push(chunk: Buffer): FramerResult {
    if (this.failed) return { messages: [], error: this.failed };
    let data: Buffer;
    let end: number;
    if (this.len === 0) {
      data = chunk;
      end = chunk.length;
    } else {
      this.reserve(this.len + chunk.length);
      chunk.copy(this.buf, this.len);
      this.len += chunk.length;
      data = this.buf;
      end = this.len;
    }
    const messages: SipMessage[] = [];
    let pings = 0;
    let pos = 0;
    try {
      while (pos < end) {
        if (this.head === undefined) {
          if (this.scanned === 0) {
            while (pos < end && (data[pos] === 13 || data[pos] === 10)) {
              if (data[pos] === 10 && ++this.lfRun === 2) {
                pings++;
                this.lfRun = 0;
              }
              pos++;
            }
            if (pos === end) break;
            this.lfRun = 0;
          }
          const headEnd = findHeadEnd(data, pos + this.scanned, end);
          if (headEnd < 0) {
            if (end - pos > this.maxBytes) throw new SipParseError('message too large', 513);
            this.scanned = Math.max(0, end - pos - 3);
            break;
          }
          this.scanned = 0;
          const bodyOffset = headEnd + (data[headEnd + 1] === 13 ? 3 : 2) - pos;
          const head = parseHead(data.toString('utf8', pos, headEnd), this.maxHeaders);
          if (head.contentLength === undefined) throw new SipParseError('missing Content-Length');
          if (bodyOffset + head.contentLength > this.maxBytes) throw new SipParseError('message too large', 513);
          this.head = { msg: head.msg, bodyOffset, length: head.contentLength };
        }
        const need = this.head.bodyOffset + this.head.length;
        if (end - pos < need) break;
        const bodyAt = pos + this.head.bodyOffset;
        this.head.msg.body = Buffer.from(data.subarray(bodyAt, bodyAt + this.head.length));
        messages.push(this.head.msg);
        this.head = undefined;
        pos += need;
      }
    } catch (e) {
      this.failed = e instanceof SipParseError ? e : new SipParseError('malformed message');
      this.buf = Buffer.alloc(0);
      this.len = 0;
      this.head = undefined;
      return pings ? { messages, error: this.failed, keepAlives: pings } : { messages, error: this.failed };
    }
    const rest = end - pos;
    if (data === chunk) {
      if (rest > 0) {
        this.reserve(rest);
        chunk.copy(this.buf, 0, pos, end);
      }
    } else if (pos > 0 && rest > 0) {
      this.buf.copyWithin(0, pos, end);
    }
    this.len = rest;
    if (rest === 0 && this.buf.length > 4 * 4096) this.buf = Buffer.alloc(0); // give a big buffer back when idle
    return pings ? { messages, keepAlives: pings } : { messages };
  }

  private reserve(size: number): void {
    if (this.buf.length >= size) return;
    const next = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2, 4096));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}
