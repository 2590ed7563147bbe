// KAZOO crossbar's response shapes (DESIGN §2): every answer is an envelope
//   {"data": …, "status": "success", "request_id": …, "auth_token": …, "revision": …}
// and every error
//   {"status": "error", "error": "400", "message": "invalid data", "data": {field: {rule: {message}}}, …}
// so Monster-style clients read Pivot's answers as they read KAZOO's.

import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, StoreError, ValidationError } from '../store/errors.js';

/** Per-field failures: `{"name": {"required": {"message": "Field is required but missing"}}}`. */
export type FieldErrors = Record<string, Record<string, { message: string; target?: unknown; value?: unknown }>>;

/** An answer other than success; thrown anywhere in a handler, sent by the API's error handler. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly data: unknown = {},
    /** Extra response headers (Retry-After on 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const invalid = (fields: FieldErrors): ApiError => new ApiError(400, 'invalid data', fields);

/** One field's failure, as crossbar reports it. */
export function fieldError(
  field: string,
  rule: string,
  message: string,
  extra: Record<string, unknown> = {},
): ApiError {
  return invalid({ [field]: { [rule]: { message, ...extra } } });
}

export const unauthorized = (message = 'invalid credentials'): ApiError => new ApiError(401, message);
export const forbidden = (message = 'forbidden'): ApiError => new ApiError(403, message);
export const notFound = (id: string, what = 'bad identifier'): ApiError =>
  new ApiError(404, what, { cause: id, message: what });

/** A value already used elsewhere (a number, an extension, a username). */
export function conflict(field: string, message: string, cause?: unknown): ApiError {
  return new ApiError(409, 'conflicting documents', {
    [field]: { unique: { message, ...(cause !== undefined ? { cause } : {}) } },
  });
}

/** Store failures in API terms: not found → 404, unique → 409, invalid → 400 naming the field. */
export function fromStoreError(err: StoreError): ApiError {
  if (err instanceof NotFoundError) return notFound(err.id, `${err.entity} not found`);
  if (err instanceof ConflictError) return conflict(err.field, err.message);
  if (err instanceof ValidationError) return fieldError(err.field, 'invalid', err.message);
  return new ApiError(500, err.message);
}

/** The revision of a document: changes whenever the document does (the `If-Match` of a careful client). */
export function revisionOf(doc: { id?: unknown; modified?: unknown }): string {
  const h = createHash('sha1')
    .update(`${String(doc.id)}:${String(doc.modified)}`)
    .digest('hex');
  return `${String(doc.modified ?? 0)}-${h.slice(0, 16)}`;
}

export interface EnvelopeExtras {
  revision?: string;
  page_size?: number;
  start_key?: string;
  next_start_key?: string;
  [key: string]: unknown;
}

/** The success envelope of this request. */
export function envelope(req: FastifyRequest, data: unknown, extras: EnvelopeExtras = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { data, status: 'success', request_id: req.id };
  if (req.auth?.token) out.auth_token = req.auth.token;
  for (const [k, v] of Object.entries(extras)) if (v !== undefined) out[k] = v;
  return out;
}

/** Sends an envelope (201 for a creation). */
export function send(
  req: FastifyRequest,
  reply: FastifyReply,
  data: unknown,
  extras: EnvelopeExtras = {},
  status = 200,
): FastifyReply {
  if (extras.revision) void reply.header('ETag', `"${extras.revision}"`);
  return reply.code(status).send(envelope(req, data, extras));
}

/** The error envelope; `ApiError`s keep their status, anything else is a 500 that names no internals. */
export function errorBody(req: FastifyRequest, err: ApiError): Record<string, unknown> {
  const out: Record<string, unknown> = {
    status: 'error',
    error: String(err.status),
    message: err.message,
    data: err.data,
    request_id: req.id,
  };
  if (req.auth?.token) out.auth_token = req.auth.token;
  return out;
}
