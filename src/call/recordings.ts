// Keeping recordings: every finished recording (TwiML <Record>, Dial record, record_call, voicemail) is moved
// under the data dir and, for call recordings, gets a `recordings` row. Uploads elsewhere are the caller's
// business; `uploadTarget` names the file the way Kazoo does. Jobs still running after hangup are tracked so a
// CDR or a shutdown can wait for them.

import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { RecordingDoc, Store } from '../store/types.js';
import type { Call, RecordingFile } from './types.js';

/** Move `file` into `dir` (unless it is already there); returns the new path. */
export async function moveIntoDir(file: RecordingFile, dir: string): Promise<string> {
  if (resolve(file.path).startsWith(resolve(dir) + sep)) return file.path;
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${file.id}${extname(file.path) || '.wav'}`);
  try {
    await rename(file.path, target);
  } catch {
    // Another file system (a temp dir on tmpfs): copy, then remove the original.
    await copyFile(file.path, target);
    await unlink(file.path).catch(() => undefined);
  }
  return target;
}

/** Move a call recording under `<dataDir>/recordings/<account>/` and add its row. */
export async function keepRecording(
  deps: { store: Store; dataDir: string },
  call: Call,
  file: RecordingFile,
  fields: Record<string, unknown> = {},
): Promise<RecordingDoc> {
  const path = await moveIntoDir(file, join(deps.dataDir, 'recordings', call.accountId));
  const row = await deps.store.recordings.add(call.accountId, {
    id: file.id,
    call_id: call.id,
    path,
    content_type: file.contentType,
    duration_ms: file.durationMs,
    size_bytes: file.sizeBytes,
    ...fields,
  });
  call.usage.recordingIds.push(row.id);
  return row;
}

/** Kazoo's upload naming: `url` itself when it already names a file (`…/name.ext`), else `url/<fileName>`. */
export function uploadTarget(url: string, fileName: string): string {
  const u = new URL(url);
  const last = u.pathname.split('/').pop() ?? '';
  if (/\.[A-Za-z0-9]{2,5}$/.test(last)) return url;
  u.pathname = `${u.pathname.replace(/\/$/, '')}/${encodeURIComponent(fileName)}`;
  return u.toString();
}

const pending = new WeakMap<Call, Set<Promise<void>>>();

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

/** Resolves when every recording job of the call is done (or failed). */
export async function recordingsSettled(call: Call): Promise<void> {
  const jobs = pending.get(call);
  while (jobs?.size) await Promise.allSettled([...jobs]);
}
