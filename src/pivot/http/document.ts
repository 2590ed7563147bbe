/**
 * Turns a webhook response into a document by Content-Type (spec kazoo_pivot.md §4.2, DESIGN §2):
 * the type is cut at `;`, trimmed and lower-cased; missing → XML; `text/xml`/`application/xml` (and `+xml`) →
 * TwiML only; `application/json` (and `+json`) → Kazoo JSON only; anything else → TwiML, then JSON.
 * Errors carry Twilio codes and, for XML and JSON syntax errors, a 1-based line and column.
 */

import { LineMap, parseXml, type XmlElement } from '../../twiml/xml.js';
import { findJsonError } from './json-error.js';

export type DocumentResult =
  | { kind: 'twiml'; root: XmlElement }
  | { kind: 'kazoo'; flow: unknown }
  | { kind: 'error'; code: number; message: string; line?: number; column?: number };

export type DocumentError = Extract<DocumentResult, { kind: 'error' }>;

/** `text/XML; charset=utf-8` → `text/xml`; missing or blank → `text/xml` (Kazoo's default). */
export function normalizeContentType(contentType: string | null | undefined): string {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return t === '' ? 'text/xml' : t;
}

function isXmlType(t: string): boolean {
  return t === 'text/xml' || t === 'application/xml' || t.endsWith('+xml');
}

function isJsonType(t: string): boolean {
  return t === 'application/json' || t.endsWith('+json');
}

const BOM = /^\uFEFF/;

type Attempt<T> = { ok: true; value: T } | { ok: false; error: DocumentError };

function tryTwiml(body: string): Attempt<XmlElement> {
  const parsed = parseXml(body);
  if (!parsed.ok) {
    return {
      ok: false,
      error: {
        kind: 'error',
        code: 12100,
        message: `invalid XML: ${parsed.message} at line ${parsed.line} column ${parsed.column}`,
        line: parsed.line,
        column: parsed.column,
      },
    };
  }
  if (parsed.root.name !== 'Response') {
    return {
      ok: false,
      error: {
        kind: 'error',
        code: 12102,
        message: `root element must be <Response>, found <${parsed.root.name}> at line ${parsed.root.line} column ${parsed.root.column}`,
        line: parsed.root.line,
        column: parsed.root.column,
      },
    };
  }
  return { ok: true, value: parsed.root };
}

function tryJson(body: string): Attempt<unknown> {
  const text = body.replace(BOM, '');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const found = findJsonError(text);
    const message = found?.message ?? (e instanceof Error ? e.message : String(e));
    // report against the body as received (a stripped BOM still occupies the first column)
    const offset = (found?.offset ?? 0) + (body.length - text.length);
    const { line, column } = new LineMap(body).position(offset);
    return {
      ok: false,
      error: {
        kind: 'error',
        code: 12100,
        message: `invalid JSON: ${message} at line ${line} column ${column}`,
        line,
        column,
      },
    };
  }
}

/** Parses a response body according to its Content-Type. Accepts a `WebhookExchange['response']` directly. */
export function parseDocument(response: { body: string; contentType?: string | null }): DocumentResult {
  const { body } = response;
  if (body.replace(BOM, '').trim() === '') return { kind: 'error', code: 11770, message: 'empty response body' };
  const type = normalizeContentType(response.contentType);

  if (isXmlType(type)) {
    const r = tryTwiml(body);
    return r.ok ? { kind: 'twiml', root: r.value } : r.error;
  }
  if (isJsonType(type)) {
    const r = tryJson(body);
    return r.ok ? { kind: 'kazoo', flow: r.value } : r.error;
  }
  const xml = tryTwiml(body);
  if (xml.ok) return { kind: 'twiml', root: xml.value };
  const json = tryJson(body);
  if (json.ok) return { kind: 'kazoo', flow: json.value };
  // Neither parser recognised it. Say why, using the parser the body looks meant for.
  const first = body.replace(BOM, '').trimStart()[0];
  const why = first === '{' || first === '[' ? json.error : xml.error;
  return {
    kind: 'error',
    code: 12300,
    message: `unsupported Content-Type ${type}: body is neither TwiML nor JSON (${why.message})`,
    line: why.line,
    column: why.column,
  };
}
