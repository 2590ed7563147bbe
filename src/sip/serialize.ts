// Writing SIP messages, and building a response from a request (RFC 3261 §8.2.6, §12.1.1).

import { parseNameAddr } from './headers.js';
import { Headers, REASONS, type SipMessage, type SipRequest, type SipResponse } from './message.js';

/** Header values and reason phrases never carry line breaks onto the wire (no header injection). */
function oneLine(s: string): string {
  return s.indexOf('\r') < 0 && s.indexOf('\n') < 0 ? s : s.replace(/[\r\n]+/g, ' ');
}

export function requestLine(req: Pick<SipRequest, 'method' | 'uri'> & { version?: string }): string {
  return `${req.method} ${req.uri} ${req.version ?? 'SIP/2.0'}`;
}

export function statusLine(res: Pick<SipResponse, 'status'> & { reason?: string; version?: string }): string {
  return `${res.version ?? 'SIP/2.0'} ${res.status} ${oneLine(res.reason ?? REASONS[res.status] ?? '')}`;
}

/**
 * Write a message: start line, headers in order under their canonical names, `Content-Length` always equal to the
 * body (in place of the first Content-Length line, or last), the empty line, the body.
 */
export function serialize(msg: SipMessage): Buffer {
  let head = (msg.kind === 'request' ? requestLine(msg) : statusLine(msg)) + '\r\n';
  let wroteLength = false;
  for (const [name, value] of msg.headers.entries()) {
    if (name === 'Content-Length') {
      if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${name}: ${oneLine(value)}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}

export interface ResponseOptions {
  /** To tag to add when the request's To has none (a UAS tags every response but 100, §8.2.6.2). */
  toTag?: string;
  /**
   * Copy the request's Record-Route lines. Default: yes for 101–299 responses to dialog-creating methods
   * (INVITE, SUBSCRIBE, REFER, NOTIFY), which must carry them (§12.1.1); no otherwise.
   */
  recordRoute?: boolean;
  /** Extra header lines, appended in order. */
  headers?: readonly (readonly [string, string])[];
  body?: Buffer | string;
  /** Content-Type of `body`. */
  contentType?: string;
}

const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

function hasTag(to: string): boolean {
  try {
    return parseNameAddr(to, 'To').params.tag !== undefined;
  } catch {
    return true; // a To we cannot read is echoed untouched
  }
}

/**
 * A response to `req` (§8.2.6): Via lines (all, in order), From, To (with `toTag` added when the request has no
 * tag), Call-ID and CSeq copied; Timestamp copied into a 100; Record-Route copied as `opts.recordRoute` says.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts?: ResponseOptions): SipResponse {
  const src = req.headers;
  const headers = new Headers();
  for (const v of src.lines('via')) headers.append('via', v);
  for (const v of src.lines('from')) headers.append('from', v);
  let first = true;
  for (const v of src.lines('to')) {
    headers.append('to', first && opts?.toTag && !hasTag(v) ? `${v};tag=${opts.toTag}` : v);
    first = false;
  }
  for (const v of src.lines('call-id')) headers.append('call-id', v);
  for (const v of src.lines('cseq')) headers.append('cseq', v);
  if (status === 100) for (const v of src.lines('timestamp')) headers.append('timestamp', v);
  const rr = opts?.recordRoute ?? (status > 100 && status < 300 && DIALOG_METHODS.has(req.method));
  if (rr) for (const v of src.lines('record-route')) headers.append('record-route', v);
  if (opts?.headers) for (const [name, value] of opts.headers) headers.append(name, value);
  let body: Buffer = Buffer.alloc(0);
  if (opts?.body !== undefined) {
    body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
    if (opts.contentType) headers.set('content-type', opts.contentType);
  }
  return {
    kind: 'response',
    status,
    reason: reason ?? REASONS[status] ?? '',
    version: 'SIP/2.0',
    headers,
    body,
  };
}
