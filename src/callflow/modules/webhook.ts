// Fires an HTTP webhook with the call's data and `custom_data` (which overrides call fields, as in Kazoo) and
// continues to `_` at once; delivery runs in the background. `retries` is the number of attempts (Kazoo's meaning);
// transport errors and 5xx answers are retried.

import type { Call } from '../../call/types.js';
import { next, type CallflowModule, type CallflowServices, type Logger } from '../types.js';

interface WebhookData {
  uri: string;
  http_verb: 'get' | 'post';
  retries: number;
  custom_data?: Record<string, unknown>;
}

/** Pause between attempts (Kazoo waits 2 s); tests shorten it. */
export const webhookSettings = { retryDelayMs: 2000, timeoutMs: 10000 };

const inflight = new Set<Promise<void>>();

/** Resolves when every webhook started so far has been delivered or given up (tests, graceful shutdown). */
export async function webhooksSettled(): Promise<void> {
  while (inflight.size) await Promise.allSettled([...inflight]);
}

export const webhook: CallflowModule<WebhookData> = {
  name: 'webhook',
  description: 'Send the call details to a URL (does not wait for the answer).',
  schema: {
    type: 'object',
    required: ['uri'],
    properties: {
      uri: { type: 'string', pattern: '^https?://', maxLength: 2048 },
      http_verb: { type: 'string', enum: ['get', 'post'], default: 'post' },
      retries: { type: 'integer', minimum: 1, maximum: 5, default: 2, description: 'Attempts in all' },
      custom_data: { type: 'object', description: 'Fields added to the request' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, services, log }) {
    const params = { ...callData(call, services), ...(data.custom_data ?? {}) };
    const job = deliver(data, params, services, log, call.id);
    inflight.add(job);
    void job.finally(() => inflight.delete(job));
    return next();
  },
};

function callData(call: Call, services: CallflowServices): Record<string, unknown> {
  const at = (id: { user: string; realm: string }) => `${id.user}@${id.realm}`;
  return {
    call_id: call.id,
    account_id: call.accountId,
    direction: call.direction,
    from: at(call.from),
    to: at(call.to),
    request: at(call.request),
    caller_id_name: call.callerId.name ?? '',
    caller_id_number: call.callerId.number ?? '',
    callee_id_name: call.calleeId.name ?? '',
    callee_id_number: call.calleeId.number ?? '',
    language: call.language,
    call_state: call.state,
    timestamp: Math.floor(services.now() / 1000),
  };
}

async function deliver(
  data: WebhookData,
  params: Record<string, unknown>,
  services: CallflowServices,
  log: Logger,
  callId: string,
): Promise<void> {
  for (let attempt = 1; attempt <= data.retries; attempt++) {
    let result: { status?: number; error?: string };
    try {
      result = await services.http.send({
        url: data.uri,
        method: data.http_verb,
        params,
        ...(data.http_verb === 'post' ? { format: 'form' as const } : {}),
        timeoutMs: webhookSettings.timeoutMs,
      });
    } catch (err) {
      result = { error: err instanceof Error ? err.message : String(err) };
    }
    const { status, error } = result;
    if (status && status >= 200 && status < 300) {
      log.debug({ call_id: callId, uri: data.uri, status, attempt }, 'webhook delivered');
      return;
    }
    const retry = (!status || status >= 500) && attempt < data.retries;
    log.warn({ call_id: callId, uri: data.uri, status, error, attempt, retry }, 'webhook failed');
    if (!retry) return;
    await new Promise((resolve) => setTimeout(resolve, webhookSettings.retryDelayMs));
  }
}
