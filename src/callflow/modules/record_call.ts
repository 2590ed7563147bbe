// Starts or stops a background recording of the whole call (both legs), then continues to `_`. A recording still
// running when the call ends is stopped and saved then; `record_on_answer`/`record_on_bridge` delay the start.

import type { Call, CallState, RecordingHandle } from '../../call/types.js';
import { next, type CallflowModule, type ModuleContext } from '../types.js';
import { DEFAULT_RECORDING_FORMAT, saveRecording, trackRecordingJob } from './_recording.js';

interface RecordCallData {
  action: 'start' | 'stop';
  format?: 'mp3' | 'wav';
  url?: string;
  method: 'put' | 'post';
  time_limit: number;
  record_on_answer: boolean;
  record_on_bridge: boolean;
  record_min_sec?: number;
  label?: string;
  media_name?: string;
}

interface Active {
  data: RecordCallData;
  /** Undefined until the recording really started (it may wait for answer or bridge). */
  handle?: Promise<RecordingHandle>;
  detach(): void;
}

const active = new WeakMap<Call, Active>();

export const record_call: CallflowModule<RecordCallData> = {
  name: 'record_call',
  description: 'Start or stop recording the call, and upload the recording to a URL.',
  schema: {
    type: 'object',
    required: ['action'],
    properties: {
      action: { type: 'string', enum: ['start', 'stop'], default: 'start' },
      format: { type: 'string', enum: ['mp3', 'wav'] },
      url: { type: 'string', pattern: '^https?://', maxLength: 2048, description: 'Upload base URL' },
      method: { type: 'string', enum: ['put', 'post'], default: 'put' },
      time_limit: { type: 'integer', minimum: 5, maximum: 10800, default: 3600, description: 'Seconds' },
      record_on_answer: { type: 'boolean', default: false },
      record_on_bridge: { type: 'boolean', default: false },
      record_min_sec: { type: 'integer', minimum: 0, description: 'Shorter recordings are dropped' },
      record_sample_rate: { type: 'integer' },
      should_follow_transfer: { type: 'boolean', default: true },
      label: { type: 'string' },
      media_name: { type: 'string', description: 'File name of the upload' },
      origin: { type: 'string' },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    if (ctx.data.action === 'stop') await stopRecording(ctx);
    else startRecording(ctx);
    return next();
  },
};

function startRecording(ctx: ModuleContext<RecordCallData>): void {
  const { call, data, log } = ctx;
  if (active.has(call)) {
    log.info({ call_id: call.id }, 'record_call: the call is already being recorded');
    return;
  }
  const entry: Active = { data, detach: () => undefined };
  const begin = (): void => {
    entry.handle = call.startRecording({
      legs: 'both',
      maxLengthMs: data.time_limit * 1000,
      format: data.format ?? DEFAULT_RECORDING_FORMAT,
    });
    entry.handle.catch((err: unknown) => log.error({ call_id: call.id, err: String(err) }, 'record_call failed'));
  };
  const onHangup = (): void => {
    if (active.get(call) !== entry) return;
    active.delete(call);
    entry.detach();
    void trackRecordingJob(call, finish(ctx, entry));
  };
  const waitFor: CallState | undefined =
    data.record_on_bridge && call.state !== 'bridged'
      ? 'bridged'
      : data.record_on_answer && (call.state === 'ringing' || call.state === 'early')
        ? 'answered'
        : undefined;
  const onState = (state: CallState): void => {
    if (entry.handle || (state !== waitFor && !(waitFor === 'answered' && state === 'bridged'))) return;
    begin();
  };
  if (waitFor) call.on('state', onState);
  else begin();
  call.on('hangup', onHangup);
  entry.detach = () => {
    call.off('state', onState);
    call.off('hangup', onHangup);
  };
  active.set(call, entry);
}

async function stopRecording(ctx: ModuleContext<RecordCallData>): Promise<void> {
  const entry = active.get(ctx.call);
  if (!entry) {
    ctx.log.info({ call_id: ctx.call.id }, 'record_call stop: nothing is being recorded');
    return;
  }
  active.delete(ctx.call);
  entry.detach();
  // Kazoo uploads as the start node said; a `url` on the stop node is honoured too (with that node's method).
  if (ctx.data.url) entry.data = { ...entry.data, url: ctx.data.url, method: ctx.data.method };
  await trackRecordingJob(ctx.call, finish(ctx, entry));
}

/** Stop the recording and save it with the options it was started with. */
async function finish(ctx: ModuleContext<RecordCallData>, entry: Active): Promise<void> {
  const { call, log } = ctx;
  try {
    const handle = await entry.handle;
    const file = await handle?.stop();
    if (!file) return;
    const { data } = entry;
    await saveRecording(ctx, file, {
      source: 'record_call',
      format: data.format ?? DEFAULT_RECORDING_FORMAT,
      url: data.url,
      method: data.method,
      mediaName: data.media_name,
      label: data.label,
      minMs: data.record_min_sec ? data.record_min_sec * 1000 : undefined,
    });
  } catch (err) {
    log.error({ call_id: call.id, err: String(err) }, 'record_call: saving the recording failed');
  }
}
