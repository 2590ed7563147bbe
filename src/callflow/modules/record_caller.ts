// Records only the caller's audio (no beep, no silence detection) until the time limit, a DTMF key (Kazoo stops on
// any digit) or hangup, then saves the recording and uploads it to `url`, like record_call. → `_`.

import { ALL_DTMF } from '../../call/types.js';
import { next, type CallflowModule } from '../types.js';
import { DEFAULT_RECORDING_FORMAT, saveRecording } from './_recording.js';

interface RecordCallerData {
  format?: 'mp3' | 'wav';
  url?: string;
  method: 'put' | 'post';
  time_limit: number;
}

export const record_caller: CallflowModule<RecordCallerData> = {
  name: 'record_caller',
  description: "Record the caller's audio and upload it to a URL.",
  schema: {
    type: 'object',
    properties: {
      format: { type: 'string', enum: ['mp3', 'wav'] },
      url: { type: 'string', pattern: '^https?://', maxLength: 2048, description: 'Upload base URL' },
      method: { type: 'string', enum: ['put', 'post'], default: 'put' },
      time_limit: { type: 'integer', minimum: 5, maximum: 10800, default: 3600, description: 'Seconds' },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { call, data, log } = ctx;
    const format = data.format ?? DEFAULT_RECORDING_FORMAT;
    await call.answer();
    const result = await call.record({
      silenceTimeoutMs: 0,
      maxLengthMs: data.time_limit * 1000,
      beep: false,
      terminators: ALL_DTMF,
      format,
    });
    if (result.reason === 'error') log.warn({ call_id: call.id, error: result.error }, 'record_caller failed');
    if (result.recording) {
      await saveRecording(ctx, result.recording, {
        source: 'record_caller',
        format,
        url: data.url,
        method: data.method,
      });
    }
    return next();
  },
};
