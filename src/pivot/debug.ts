// Debug records of a Pivot session (spec §8): request, response, error and execution records per call and
// iteration. With `debug: true` everything is kept; without it, failures are still kept with the exchange that
// failed, because a developer whose call went silent needs to see why.

import { hostname } from 'node:os';
import type { Logger } from '../callflow/types.js';
import type { PivotDebugInput, PivotDebugRecord, Store } from '../store/types.js';
import type { WebhookExchange } from './http/index.js';

export interface DebugError {
  code?: number;
  message: string;
  line?: number;
  column?: number;
  /** `http`, `timeout`, `policy`, `xml`, `json`, `schema`, `twiml`, `runtime`. */
  type: string;
}

const NODE = hostname();

export class DebugRecorder {
  constructor(
    private readonly store: Store,
    private readonly accountId: string,
    private readonly callId: string,
    private readonly enabled: boolean,
    private readonly log: Logger,
    private readonly onRecord?: (record: PivotDebugRecord) => void,
  ) {}

  private async add(record: Partial<PivotDebugInput> & Pick<PivotDebugInput, 'kind' | 'iteration'>): Promise<void> {
    try {
      const saved = await this.store.pivotDebug.add(this.accountId, { ...record, call_id: this.callId, node: NODE });
      this.onRecord?.(saved);
    } catch (err) {
      this.log.error({ call_id: this.callId, err: String(err) }, 'could not store a pivot debug record');
    }
  }

  /** The request and response of one exchange; `failed` keeps it even when debug is off. */
  async exchange(iteration: number, x: WebhookExchange, failed: boolean, prefix: '' | 'cdr_' = ''): Promise<void> {
    if (!this.enabled && !failed) return;
    await this.add({
      kind: `${prefix}request` as 'request',
      iteration,
      uri: x.request.url,
      method: x.request.method.toLowerCase(),
      req_headers: x.request.headers,
      req_body: x.request.body ?? '',
      ...(x.request.redirects.length ? { redirects: x.request.redirects } : {}),
    });
    if (x.response) {
      await this.add({
        kind: `${prefix}response` as 'response',
        iteration,
        uri: x.request.url,
        resp_status_code: x.response.status,
        resp_headers: x.response.headers,
        resp_body: x.response.body,
        duration_ms: x.durationMs,
      });
    }
  }

  async error(iteration: number, error: DebugError, extra: Record<string, unknown> = {}): Promise<void> {
    const flags =
      error.type === 'schema'
        ? { schema_errors: extra.schema_errors ?? error.message }
        : error.type === 'json'
          ? { json_errors: { message: error.message, line: error.line, column: error.column } }
          : {};
    await this.add({ kind: 'error', iteration, error, ...flags, ...extra });
  }

  /** What a verb or module did (only with debug on). */
  async execution(iteration: number, what: string, detail: Record<string, unknown>): Promise<void> {
    if (!this.enabled) return;
    await this.add({ kind: 'execution', iteration, verb: what, detail });
  }
}
