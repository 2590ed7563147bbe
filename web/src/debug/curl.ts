// "Copy as cURL": the recorded request as a command for a POSIX shell — the exact method, URL, headers and body,
// each argument in single quotes (a quote inside becomes '\''), so nothing in it is expanded by the shell.

/** The parts of a recorded request a command needs (a `request` record of GET /pivot/debug/{call_id}). */
export interface CurlRequest {
  method?: string;
  uri?: string;
  req_headers?: Record<string, string>;
  req_body?: string;
}

/** One shell word: single-quoted, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Headers curl computes itself: copying them would only risk a wrong value. */
const COMPUTED = new Set(['content-length', 'host', 'connection', 'transfer-encoding']);

export function curlCommand(r: CurlRequest): string {
  const method = (r.method ?? 'get').toUpperCase();
  // One option per line, continued with a backslash.
  const lines = [`curl -X ${method} ${shellQuote(r.uri ?? '')}`];
  for (const [name, value] of Object.entries(r.req_headers ?? {})) {
    if (COMPUTED.has(name.toLowerCase())) continue;
    lines.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (r.req_body && method !== 'GET') lines.push(`--data-raw ${shellQuote(r.req_body)}`);
  return lines.join(' \\\n  ');
}
