import type { Db } from './db.js';
import { ValidationError } from './errors.js';

// Small helpers shared by the repositories: JSON bodies, merge patches, filters and page keys.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7396 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Removes the fields a store owns (they live in columns) so a body never contradicts its row. */
export function withoutKeys(doc: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) if (!keys.includes(key) && value !== undefined) out[key] = value;
  return out;
}

export function parseBody(text: unknown): JsonObject {
  const parsed: unknown = JSON.parse(String(text));
  return isObject(parsed) ? parsed : {};
}

/** Reads `a.b.c` from a document. */
export function getPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Crossbar-style `filter_<field>=<value>`: string equality, or membership for arrays. */
export function matchesFilter(doc: unknown, filter: Record<string, string> | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([path, want]) => {
    const value = getPath(doc, path);
    if (Array.isArray(value)) return value.some((v) => String(v) === want);
    return value !== undefined && value !== null && String(value) === want;
  });
}

/** BIGINT columns come back as strings from some drivers (pg); normalise. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Page keys are opaque to callers: `<created>:<id>`. */
export function encodeKey(created: number, id: string): string {
  return `${created}:${id}`;
}

export function decodeKey(key: string): { created: number; id: string } {
  const at = key.indexOf(':');
  const created = Number(key.slice(0, at));
  if (at <= 0 || !Number.isSafeInteger(created)) throw new ValidationError('start_key', 'invalid start key');
  return { created, id: key.slice(at + 1) };
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new ValidationError('limit', 'limit must be a positive integer');
  }
}

/** The next `modified`: now, but always later than the previous value so every write is visible. */
export function bump(previous: number): number {
  return Math.max(Date.now(), previous + 1);
}

/**
 * The suffix that locks the rows a read-modify-write reads: PostgreSQL's READ COMMITTED would otherwise let two
 * writers read the same row and the second overwrite the first; SQLite's transactions already hold the write lock.
 * SHARE lets readers that only need the row to stay (a parent account) run together.
 */
export function rowLock(db: Db, mode: 'UPDATE' | 'SHARE' = 'UPDATE'): string {
  return db.dialect === 'postgres' ? ` FOR ${mode}` : '';
}
