// Audio files behind the REST API (uploaded media, TTS renderings, call recordings), all under the data dir:
// served with their true Content-Type and byte ranges (browsers' audio players seek with them), and removed with
// the document that names them — never a file outside the data dir, whatever a row says.

import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './envelope.js';

/** True when `path` is a file somewhere below `dir`. */
export function insideDir(path: string, dir: string): boolean {
  return resolve(path).startsWith(resolve(dir) + sep);
}

/** Removes a file the API owns (below `dataDir`); a file already gone is fine. */
export async function removeFile(path: unknown, dataDir: string | undefined): Promise<void> {
  if (typeof path !== 'string' || !path || !dataDir || !insideDir(path, dataDir)) return;
  await unlink(path).catch(() => undefined);
}

/** True when the request's Accept header asks for audio (`GET /recordings/{id}` with `Accept: audio/*`). */
export function wantsAudio(req: FastifyRequest): boolean {
  return /(^|,)\s*audio\//i.test(req.headers.accept ?? '');
}

/** Streams an audio file (a `bytes=` range when asked); a 404 naming `what` when the file is gone. */
export async function sendAudio(
  req: FastifyRequest,
  reply: FastifyReply,
  file: { path: string; contentType: string; fileName: string; what: string },
): Promise<FastifyReply> {
  let size: number;
  try {
    const info = await stat(file.path);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw new ApiError(404, `the audio file of ${file.what} is missing`, { cause: file.what });
  }
  void reply
    .header('Content-Type', file.contentType)
    .header('Content-Disposition', `inline; filename="${file.fileName.replace(/["\\\r\n]/g, '_')}"`)
    .header('Accept-Ranges', 'bytes')
    // Media can be uploaded again under the same URL.
    .header('Cache-Control', 'private, no-cache');
  return sendFileBody(req, reply, file.path, size);
}

/** A single `bytes=` range of a file of `size` bytes; null when absent or not one we serve, 'bad' when unsatisfiable. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // the last N bytes
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

/** Sends a file of `size` bytes, or the `bytes=` range asked for (206; 416 when unsatisfiable). */
export function sendFileBody(req: FastifyRequest, reply: FastifyReply, path: string, size: number): FastifyReply {
  const range = byteRange(req.headers.range, size);
  if (range === 'bad') return reply.code(416).header('Content-Range', `bytes */${size}`).send();
  if (range) {
    return reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', String(range.end - range.start + 1))
      .send(createReadStream(path, { start: range.start, end: range.end }));
  }
  return reply.header('Content-Length', String(size)).send(createReadStream(path));
}

/** The OpenAPI answer of an audio download (RouteDoc `responses`). */
export function audioResponses(types: readonly string[]): Record<string, unknown> {
  const content = Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', format: 'binary' } }]));
  return {
    '200': { description: 'The audio, with its Content-Type', content },
    '206': { description: 'A byte range of the audio (Range: bytes=…)', content },
  };
}

/** File extension of a stored audio file by its Content-Type. */
export function extensionOf(contentType: string): string {
  if (contentType === 'audio/mpeg') return 'mp3';
  if (contentType === 'audio/basic') return 'au';
  return 'wav';
}
