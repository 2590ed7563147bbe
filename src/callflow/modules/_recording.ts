// Saving a finished recording for record_call and record_caller: move the file under the data dir, add a
// `recordings` row and, when a URL is set, upload it as Kazoo does: PUT/POST to <url>/call_recording_<call id>.<fmt>.

import { unlink } from 'node:fs/promises';
import { extname } from 'node:path';
import { keepRecording, trackRecordingJob, uploadTarget } from '../../call/recordings.js';
import type { Call, RecordingFile } from '../../call/types.js';
import type { RecordingDoc } from '../../store/types.js';
import type { CallflowServices, Logger } from '../types.js';

export interface SaveRecordingOptions {
  /** The module that recorded, kept on the row. */
  source: 'record_call' | 'record_caller';
  format: 'mp3' | 'wav';
  url?: string;
  method: 'put' | 'post';
  /** Upload file name (Kazoo `media_name`); `call_recording_<call id>.<format>` by default. */
  mediaName?: string;
  label?: string;
  /** Recordings shorter than this are dropped (Kazoo `record_min_sec`). */
  minMs?: number;
}

export { trackRecordingJob };

/** Kazoo's `call_recording_extension` default. */
export const DEFAULT_RECORDING_FORMAT = 'mp3';

export async function saveRecording(
  ctx: { call: Call; services: CallflowServices; log: Logger },
  file: RecordingFile,
  opts: SaveRecordingOptions,
): Promise<RecordingDoc | undefined> {
  const { call, services, log } = ctx;
  if (opts.minMs && file.durationMs < opts.minMs) {
    log.info({ call_id: call.id, duration_ms: file.durationMs }, 'recording shorter than record_min_sec; dropped');
    await unlink(file.path).catch(() => undefined);
    return undefined;
  }
  // Named by what the file is, not by what was asked: WAV bytes are never uploaded as `.mp3` (a call that cannot
  // encode MP3 delivers WAV).
  const ext = file.contentType === 'audio/mpeg' ? 'mp3' : file.contentType === 'audio/wav' ? 'wav' : opts.format;
  let name = opts.mediaName ?? `call_recording_${call.id}.${ext}`;
  if (!extname(name)) name = `${name}.${ext}`;
  const doc = await keepRecording(services, call, file, {
    source: opts.source,
    media_name: name,
    ...(opts.label ? { label: opts.label } : {}),
    ...(opts.url ? { url: opts.url } : {}),
  });
  if (opts.url) {
    const target = uploadTarget(opts.url, name);
    const upload = services.http
      .upload(target, opts.method, { ...file, path: doc.path })
      .then((res) => {
        if (res.error || !res.status || res.status >= 300) {
          log.warn({ call_id: call.id, url: target, status: res.status, error: res.error }, 'recording upload failed');
        } else log.info({ call_id: call.id, url: target, status: res.status }, 'recording uploaded');
      })
      .catch((err: unknown) =>
        log.warn({ call_id: call.id, url: target, err: String(err) }, 'recording upload failed'),
      );
    void trackRecordingJob(call, upload);
  }
  return doc;
}
