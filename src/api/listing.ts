// Listings as crossbar pages them: `page_size` and `start_key` in, `page_size`, `start_key` and `next_start_key`
// out; `filter_<field>=<value>` (dotted fields allowed) and `created_from` / `created_to` (Unix seconds or ISO
// 8601) narrow them. Bad values are 400s that name the parameter.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ListOptions, Page } from '../store/types.js';
import { fieldError, send } from './envelope.js';

export const MAX_PAGE_SIZE = 1000;

/** Query-string schema of every listing (for the OpenAPI document). */
export const listingQuery = {
  page_size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, description: 'items per page (default: all)' },
  start_key: { type: 'string', description: 'next_start_key of the previous page' },
  created_from: { type: 'string', description: 'Unix seconds or ISO 8601, inclusive' },
  created_to: { type: 'string', description: 'Unix seconds or ISO 8601, inclusive' },
};

function time(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const s = String(value);
  const ms = /^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : Date.parse(s);
  if (!Number.isFinite(ms)) throw fieldError(name, 'format', `${name} must be Unix seconds or an ISO 8601 time`);
  return ms;
}

/** The store's list options from a request's query string. */
export function listOptions(query: unknown): ListOptions {
  const q = (query ?? {}) as Record<string, unknown>;
  const opts: ListOptions = {};
  if (q.page_size !== undefined) {
    const n = Number(q.page_size);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      throw fieldError('page_size', 'maximum', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    opts.limit = n;
  }
  if (typeof q.start_key === 'string' && q.start_key) opts.startKey = q.start_key;
  opts.createdFrom = time('created_from', q.created_from);
  opts.createdTo = time('created_to', q.created_to);
  const filter: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (k.startsWith('filter_') && k.length > 7) filter[k.slice(7)] = String(Array.isArray(v) ? v[0] : v);
  }
  if (Object.keys(filter).length) opts.filter = filter;
  return opts;
}

/** Sends one page in the envelope, each item passed through `view`. */
export function sendPage<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  page: Page<T>,
  opts: ListOptions,
  view: (item: T) => unknown = (x) => x,
): FastifyReply {
  return send(req, reply, page.items.map(view), {
    page_size: page.items.length,
    start_key: opts.startKey,
    next_start_key: page.nextStartKey,
  });
}
