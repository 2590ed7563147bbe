// Saving a finished recording for record_call and record_caller: move the file under the data dir, add a
// `recordings` row and, when a URL is set, upload it as Kazoo does: PUT/POST to <url>/call_recording_<call id>.<fmt>.

import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
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

/** Kazoo's `call_recording_extension` default. */
export const DEFAULT_RECORDING_FORMAT = 'mp3';

const pending = new WeakMap<Call, Set<Promise<unknown>>>();

/** Keep `work` in the call's set of unfinished recording jobs (saves after hangup, uploads). */
export function trackRecordingJob<T>(call: Call, work: Promise<T>): Promise<T> {
  let jobs = pending.get(call);
  if (!jobs) pending.set(call, (jobs = new Set()));
  const job: Promise<void> = work.then(
    () => undefined,
    () => undefined,
  );
  void job.finally(() => jobs.delete(job));
  jobs.add(job);
  return work;
}

/** Resolves when every recording of the call is saved and uploaded (or failed). */
export async function recordingsSettled(call: Call): Promise<void> {
  const jobs = pending.get(call);
  while (jobs?.size) await Promise.allSettled([...jobs]);
}

/** `url` itself when it already names a file (`…/name.ext`), else `url/<fileName>`. */
export function uploadTarget(url: string, fileName: string): string {
  const u = new URL(url);
  const last = u.pathname.split('/').pop() ?? '';
  if (/\.[A-Za-z0-9]{2,5}$/.test(last)) return url;
  u.pathname = `${u.pathname.replace(/\/$/, '')}/${encodeURIComponent(fileName)}`;
  return u.toString();
}

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
  const path = await moveIntoDataDir(file, join(services.dataDir, 'recordings', call.accountId));
  let name = opts.mediaName ?? `call_recording_${call.id}.${opts.format}`;
  if (!extname(name)) name = `${name}.${opts.format}`;
  const doc = await services.store.recordings.add(call.accountId, {
    id: file.id,
    call_id: call.id,
    path,
    content_type: file.contentType,
    duration_ms: file.durationMs,
    size_bytes: file.sizeBytes,
    source: opts.source,
    media_name: name,
    ...(opts.label ? { label: opts.label } : {}),
    ...(opts.url ? { url: opts.url } : {}),
  });
  if (opts.url) {
    const target = uploadTarget(opts.url, name);
    const upload = services.http
      .upload(target, opts.method, { ...file, path })
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

async function moveIntoDataDir(file: RecordingFile, dir: string): Promise<string> {
  if (resolve(file.path).startsWith(resolve(dir) + sep)) return file.path;
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${file.id}${extname(file.path)}`);
  try {
    await rename(file.path, target);
  } catch {
    // Another file system (a temp dir on tmpfs): copy, then remove the original.
    await copyFile(file.path, target);
    await unlink(file.path).catch(() => undefined);
  }
  return target;
}
