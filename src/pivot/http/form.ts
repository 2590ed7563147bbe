/**
 * PHP-style parameter flattening and application/x-www-form-urlencoded encoding (spec kazoo_pivot.md §3.1, with
 * the keys URL-encoded too, which Kazoo did not do).
 */

export type FormPairs = [string, string][];

/**
 * Flattens a parameter object into ordered key/value pairs:
 * nested objects → `a[b]`, arrays → `a[]` (objects inside arrays → `a[][b]`), booleans → `true`/`false`,
 * numbers and bigints → their decimal text, Dates → ISO-8601, `undefined`/`null` dropped.
 * Empty objects and arrays produce nothing.
 */
export function flattenParams(obj: Record<string, unknown>): FormPairs {
  const out: FormPairs = [];
  for (const [k, v] of Object.entries(obj)) add(out, k, v);
  return out;
}

function add(out: FormPairs, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'string') {
    out.push([key, value]);
  } else if (typeof value === 'boolean') {
    out.push([key, value ? 'true' : 'false']);
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    out.push([key, String(value)]);
  } else if (value instanceof Date) {
    out.push([key, value.toISOString()]);
  } else if (Array.isArray(value)) {
    for (const item of value) add(out, `${key}[]`, item);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(out, `${key}[${k}]`, v);
  } else {
    out.push([key, String(value)]);
  }
}

/** Encodes pairs as application/x-www-form-urlencoded, exactly like URLSearchParams (keys and values; space → `+`). */
export function encodeForm(pairs: readonly (readonly [string, string])[]): string {
  return new URLSearchParams(pairs as [string, string][]).toString();
}

/** Decodes an application/x-www-form-urlencoded string into ordered pairs. */
export function decodeForm(body: string): FormPairs {
  return [...new URLSearchParams(body)];
}

/**
 * Appends form-encoded pairs to a URL's query string: `?` if it has none, `&` if it has one (no doubled separator
 * when it already ends with `?` or `&`). A `#fragment` stays at the end. No pairs → the URL is returned unchanged.
 */
export function appendQuery(url: string, pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return url;
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  const encoded = encodeForm(pairs);
  let sep = '?';
  if (base.includes('?')) sep = base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${encoded}${fragment}`;
}
