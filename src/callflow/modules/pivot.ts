import { next, hardStop, type CallflowModule, type PivotConfig } from '../types.js';

/** Default and upper bound of `req_timeout_ms` (Kazoo caps it at 5 s; we allow slower servers up to 30 s). */
export const PIVOT_TIMEOUT_DEFAULT_MS = 5000;
export const PIVOT_TIMEOUT_MAX_MS = 30000;

interface PivotData {
  voice_url: string;
  method: string;
  req_format: 'kazoo' | 'twiml';
  req_body_format: 'form' | 'json';
  req_timeout_ms?: number;
  debug: boolean;
  cdr_url?: string;
}

export const pivot: CallflowModule<PivotData> = {
  name: 'pivot',
  description: 'Ask your web server what to do: it answers with TwiML or a Kazoo callflow.',
  schema: {
    type: 'object',
    required: ['voice_url'],
    properties: {
      voice_url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
      method: { type: 'string', enum: ['get', 'post', 'GET', 'POST'], default: 'get' },
      req_format: { type: 'string', enum: ['kazoo', 'twiml'], default: 'kazoo' },
      req_body_format: { type: 'string', enum: ['form', 'json'], default: 'form' },
      req_timeout_ms: { type: 'integer', minimum: 100, maximum: PIVOT_TIMEOUT_MAX_MS },
      debug: { type: 'boolean', default: false },
      cdr_url: { type: 'string', pattern: '^https?://', maxLength: 2048 },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, services }) {
    const config: PivotConfig = {
      voice_url: data.voice_url,
      method: data.method.toLowerCase() === 'post' ? 'post' : 'get',
      req_format: data.req_format,
      req_body_format: data.req_body_format,
      req_timeout_ms: data.req_timeout_ms ?? PIVOT_TIMEOUT_DEFAULT_MS,
      debug: data.debug,
      ...(data.cdr_url ? { cdr_url: data.cdr_url } : {}),
    };
    const outcome = await services.pivot.run(call, config);
    if (outcome.kind === 'failed') return next('_');
    if (outcome.kind === 'flow') return { replace: outcome.flow, ...(outcome.onStep && { onStep: outcome.onStep }) };
    return hardStop;
  },
};
