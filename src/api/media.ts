// Media (KAZOO's /v2/accounts/{id}/media): prompts the account's callflows play by id.
//   GET /media, PUT /media (metadata: name, media_source upload|tts, tts {text, voice, language}, description…),
//   GET/POST/PATCH/DELETE /media/{id},
//   PUT (or POST, as KAZOO) /media/{id}/raw uploads the audio, GET /media/{id}/raw downloads it.
// Files live under `<data dir>/media/<account id>/`, and the document's `path` names the file — the same field the
// call runtime's prompt preparer plays (src/call/prompts.ts), so an uploaded id plays at once. Uploads are decoded
// before they are kept (a body that is not audio is a 400); WAV, MP3 and Sun .au are kept as sent, raw G.711 and
// L16 become a WAV. A TTS document is synthesised when written (the same engines and prompt cache as calls) and
// kept as a WAV, so it downloads and plays like an upload.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PromptCache, promptCacheDir } from '../media/prompts/cache.js';
import { AudioError, PROMPT_RATE, decodeAudio, encodeWav, fromUlaw, sniff } from '../media/prompts/audio.js';
import { createTtsRegistry } from '../media/tts/registry.js';
import { MAX_TTS_CHARS } from '../media/tts/types.js';
import { newId } from '../store/ids.js';
import { isObject, mergePatch } from '../store/util.js';
import type { MediaDoc, MediaFields } from '../store/types.js';
import { audioResponses, extensionOf, removeFile, sendAudio } from './audio-files.js';
import type { Api } from './crossbar.js';
import { ApiError, fieldError, notFound, revisionOf, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';
import { requireAdmin } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

/** Largest raw upload. */
export const MEDIA_MAX_BYTES = 16 * 1024 * 1024;

/** Content types the raw upload takes: what the prompt decoder reads (src/media/prompts/audio.ts `sniff`). */
export const MEDIA_UPLOAD_TYPES = [
  'audio/wav',
  'audio/wave',
  'audio/x-wav',
  'audio/vnd.wave',
  'audio/mpeg',
  'audio/mp3',
  'audio/mpeg3',
  'audio/x-mpeg',
  'audio/x-mp3',
  'audio/basic',
  'audio/pcmu',
  'audio/x-mulaw',
  'audio/mulaw',
  'audio/x-ulaw',
  'audio/ulaw',
  'audio/pcma',
  'audio/x-alaw',
  'audio/alaw',
  'audio/l16',
  'audio/x-sln',
];

const RAW_ROUTE = '/media/:media_id/raw';

const isRawUpload = (req: FastifyRequest): boolean =>
  (req.method === 'PUT' || req.method === 'POST') && !!req.routeOptions.url?.endsWith(RAW_ROUTE);

const mediaTypeOf = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

/**
 * The body parser crossbar registers for `audio/*`: raw bytes for the upload route; anywhere else an audio body
 * is as unsupported as any other non-JSON one.
 */
export function mediaUploadParser(
  req: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  if (!isRawUpload(req)) return done(new ApiError(415, 'unsupported content type: send application/json'));
  done(null, body);
}

const tts = {
  type: 'object',
  properties: {
    text: { type: 'string', minLength: 1, maxLength: MAX_TTS_CHARS },
    voice: { type: 'string', maxLength: 64 },
    language: { type: 'string', maxLength: 16 },
  },
};

export const mediaSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string', maxLength: 1024 },
    media_source: { type: 'string', enum: ['upload', 'tts'] },
    tts,
    language: { type: 'string', maxLength: 16 },
    streamable: { type: 'boolean' },
  },
};
const newMediaSchema: JsonSchema = {
  ...mediaSchema,
  required: ['name'],
  properties: {
    ...(mediaSchema.properties as Record<string, unknown>),
    media_source: { type: 'string', enum: ['upload', 'tts'], default: 'upload' },
  },
};

/** Fields Pivot sets from the audio it keeps; a client never writes them. */
const FILE_FIELDS = ['path', 'content_type', 'content_length', 'duration_ms'] as const;
const FIXED = ['id', 'created', 'modified', 'account_id', ...FILE_FIELDS];
type FileFields = { path: string; content_type: string; content_length: number; duration_ms: number };

/** A media document as the API shows it: no file path, no private fields. */
export function publicMedia(m: MediaDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'path' && !k.startsWith('pvt_')) out[k] = v;
  return out;
}

function clientFields(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!FIXED.includes(k) && !k.startsWith('pvt_')) out[k] = v;
  return out;
}

/** What the document keeps whatever the client sends: its file and private fields. */
function keptFields(doc: MediaDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    if ((FILE_FIELDS as readonly string[]).includes(k) || k.startsWith('pvt_')) out[k] = v;
  }
  return out;
}

const ttsOf = (doc: Record<string, unknown>): MediaFields['tts'] | undefined =>
  isObject(doc.tts) ? (doc.tts as MediaFields['tts']) : undefined;

const sameTts = (a: MediaFields['tts'], b: MediaFields['tts']): boolean =>
  a?.text === b?.text && a?.voice === b?.voice && a?.language === b?.language;

function requireTtsText(doc: Record<string, unknown>): void {
  if (doc.media_source !== 'tts') return;
  const text = ttsOf(doc)?.text;
  if (typeof text !== 'string' || !text.trim()) {
    throw fieldError('tts.text', 'required', 'Field is required but missing (media_source is tts)');
  }
}

export function mediaRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };
  type M = P & { media_id: string };

  function dataDir(): string {
    if (!api.dataDir) throw new ApiError(503, 'media storage is not configured on this server');
    return api.dataDir;
  }

  // The upload's type and size are checked before its body is read: a 415 names the types, a 413 the limit.
  api.app.addHook('onRequest', async (req) => {
    if (!isRawUpload(req)) return;
    const type = mediaTypeOf(req.headers['content-type']);
    if (!MEDIA_UPLOAD_TYPES.includes(type)) {
      throw new ApiError(
        415,
        `unsupported content type ${type ? `"${type}"` : '(none)'}: send the audio as the body with Content-Type ` +
          'audio/wav (audio/x-wav), audio/mpeg, audio/basic (µ-law), audio/pcma (A-law), audio/l16 or audio/x-sln',
        { supported: MEDIA_UPLOAD_TYPES },
      );
    }
    if (Number(req.headers['content-length']) > MEDIA_MAX_BYTES) throw tooLarge();
  });

  let cache: PromptCache | undefined;
  /** The prompt cache calls use (same folder, same engines): a synthesised text is then ready for its first call. */
  const prompts = (): PromptCache =>
    (cache ??= new PromptCache({
      dir: promptCacheDir(dataDir()),
      fetcher: async () => ({ error: 'media URLs are not fetched by the media API' }),
      tts: createTtsRegistry(),
    }));

  async function keep(accountId: string, mediaId: string, bytes: Uint8Array, contentType: string) {
    const dir = join(dataDir(), 'media', accountId);
    await mkdir(dir, { recursive: true });
    // A new name per upload: the prompt cache keys files by path, size and mtime, and a call may still play the old.
    const path = join(
      dir,
      `${mediaId}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}.${extensionOf(contentType)}`,
    );
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return path;
  }

  /** Speaks the text into a WAV under the data dir. */
  async function synthesize(accountId: string, mediaId: string, spec: MediaFields['tts']): Promise<FileFields> {
    const text = spec?.text ?? '';
    const prepared = await prompts().prepare({
      kind: 'tts',
      text,
      ...(spec?.voice ? { voice: spec.voice } : {}),
      ...(spec?.language ? { language: spec.language } : {}),
    });
    if ('error' in prepared) {
      if (prepared.kind === 'tts' && /no engine/.test(prepared.error)) throw new ApiError(503, prepared.error);
      throw new ApiError(500, `text-to-speech failed: ${prepared.error}`);
    }
    const wav = encodeWav(fromUlaw(await readFile(prepared.path)), PROMPT_RATE);
    const path = await keep(accountId, mediaId, wav, 'audio/wav');
    return {
      path,
      content_type: 'audio/wav',
      content_length: wav.length,
      duration_ms: prepared.durationMs,
    };
  }

  async function mediaOf(accountId: string, id: string): Promise<MediaDoc> {
    const doc = await store.media.get(accountId, id);
    if (!doc) throw notFound(id, 'media not found');
    return doc;
  }

  const answer = (req: FastifyRequest, reply: FastifyReply, doc: MediaDoc, code = 200) =>
    send(req, reply, publicMedia(doc), { revision: revisionOf(doc) }, code);

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/media',
      summary: 'List media (page_size, start_key, filter_<field>, created_from/created_to)',
      tag: 'media',
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      return sendPage(req, reply, await store.media.list(account.id, opts), opts, publicMedia);
    },
  );

  api.route<P>(
    {
      method: 'PUT',
      url: '/accounts/:account_id/media',
      summary: 'Create a media document (media_source "tts" is synthesised at once; "upload" waits for PUT …/raw)',
      tag: 'media',
      body: newMediaSchema,
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const data = clientFields(check<Record<string, unknown>>(newMediaSchema, dataOf(req.body)));
      requireTtsText(data);
      const id = newId();
      const file = data.media_source === 'tts' ? await synthesize(account.id, id, ttsOf(data)) : undefined;
      try {
        const doc = await store.media.create(account.id, { ...(data as MediaFields), ...file, id });
        return answer(req, reply, doc, 201);
      } catch (err) {
        await removeFile(file?.path, api.dataDir);
        throw err;
      }
    },
  );

  api.route<M>(
    { method: 'GET', url: '/accounts/:account_id/media/:media_id', summary: 'Read a media document', tag: 'media' },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return answer(req, reply, await mediaOf(account.id, req.params.media_id));
    },
  );

  /** POST replaces the client's fields, PATCH merges them; the audio follows the TTS text or goes with it. */
  async function change(req: FastifyRequest<{ Params: M }>, auth: Parameters<typeof requireAdmin>[0], merge: boolean) {
    requireAdmin(auth);
    const account = await sessions.account(auth, req.params.account_id);
    const current = await mediaOf(account.id, req.params.media_id);
    const data = clientFields(check<Record<string, unknown>>(merge ? mediaSchema : newMediaSchema, dataOf(req.body)));
    const next = merge ? (mergePatch(clientFields(current), data) as Record<string, unknown>) : data;
    requireTtsText(next);
    const kept = keptFields(current);
    let file: FileFields | undefined;
    if (next.media_source === 'tts') {
      const fresh = current.media_source !== 'tts' || !current.path || !sameTts(ttsOf(current), ttsOf(next));
      if (fresh) file = await synthesize(account.id, current.id, ttsOf(next));
    } else if (current.media_source === 'tts' && next.media_source === 'upload') {
      // The rendering was the text's; an upload document has no audio until one is sent.
      for (const k of FILE_FIELDS) delete kept[k];
    }
    let doc: MediaDoc;
    try {
      doc = await store.media.replace(account.id, current.id, { ...(next as MediaFields), ...kept, ...file });
    } catch (err) {
      await removeFile(file?.path, api.dataDir);
      throw err;
    }
    if (doc.path !== current.path) await removeFile(current.path, api.dataDir);
    return doc;
  }

  api.route<M>(
    {
      method: 'POST',
      url: '/accounts/:account_id/media/:media_id',
      summary: 'Replace a media document (its audio stays unless the TTS text changes)',
      tag: 'media',
      body: newMediaSchema,
    },
    async (req, reply, auth) => answer(req, reply, await change(req, auth, false)),
  );

  api.route<M>(
    {
      method: 'PATCH',
      url: '/accounts/:account_id/media/:media_id',
      summary: 'Change some fields of a media document',
      tag: 'media',
      body: mediaSchema,
    },
    async (req, reply, auth) => answer(req, reply, await change(req, auth, true)),
  );

  api.route<M>(
    {
      method: 'DELETE',
      url: '/accounts/:account_id/media/:media_id',
      summary: 'Delete a media document and its audio',
      tag: 'media',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const doc = await mediaOf(account.id, req.params.media_id);
      await store.media.delete(account.id, doc.id);
      await removeFile(doc.path, api.dataDir);
      return answer(req, reply, doc);
    },
  );

  async function upload(req: FastifyRequest<{ Params: M }>, auth: Parameters<typeof requireAdmin>[0]) {
    requireAdmin(auth);
    const account = await sessions.account(auth, req.params.account_id);
    const current = await mediaOf(account.id, req.params.media_id);
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new ApiError(400, 'the request body is empty: send the audio file as the body', {
        file: { required: { message: 'the audio file is missing' } },
      });
    }
    const declared = req.headers['content-type'];
    let samples: Int16Array;
    try {
      samples = await decodeAudio(body, declared);
      if (samples.length === 0) throw new AudioError('no audio samples');
    } catch (err) {
      if (!(err instanceof AudioError)) throw err;
      throw new ApiError(400, `the body is not audio Pivot can decode: ${err.message}`, {
        file: { audio: { message: err.message } },
      });
    }
    // Containers are kept as sent (a download gives the same bytes back); headerless G.711/L16 becomes a WAV.
    const kind = sniff(body, declared);
    const format = 'error' in kind ? 'wav' : kind.format;
    const asSent = format === 'wav' || format === 'mp3' || format === 'au';
    const bytes = asSent ? body : encodeWav(samples, PROMPT_RATE);
    const contentType = format === 'mp3' ? 'audio/mpeg' : format === 'au' ? 'audio/basic' : 'audio/wav';
    const path = await keep(account.id, current.id, bytes, contentType);
    const file: FileFields = {
      path,
      content_type: contentType,
      content_length: bytes.length,
      duration_ms: Math.round((samples.length * 1000) / PROMPT_RATE),
    };
    let doc: MediaDoc;
    try {
      doc = await store.media.update(account.id, current.id, { ...file, media_source: 'upload', tts: null });
    } catch (err) {
      await removeFile(path, api.dataDir);
      throw err;
    }
    await removeFile(current.path, api.dataDir);
    return doc;
  }

  for (const method of ['PUT', 'POST'] as const) {
    api.route<M>(
      {
        method,
        url: `/accounts/:account_id${RAW_ROUTE}`,
        summary:
          `Upload the audio (body: the file, Content-Type audio/wav, audio/mpeg, audio/basic…; at most ` +
          `${MEDIA_MAX_BYTES / 1024 / 1024} MiB)${method === 'POST' ? ' (KAZOO form)' : ''}`,
        tag: 'media',
        description:
          'WAV, MP3 and Sun .au are kept as sent; headerless µ-law, A-law and L16 (`;rate=` honoured) are kept as ' +
          'WAV. The body is decoded first: anything that is not audio is a 400 that says why.',
        requestBody: {
          required: true,
          content: Object.fromEntries(
            MEDIA_UPLOAD_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
          ),
        },
      },
      async (req, reply, auth) => answer(req, reply, await upload(req, auth)),
    );
  }

  api.route<M>(
    {
      method: 'GET',
      url: `/accounts/:account_id${RAW_ROUTE}`,
      summary: 'Download the audio, with its Content-Type (byte ranges honoured)',
      tag: 'media',
      responses: audioResponses(['audio/wav', 'audio/mpeg', 'audio/basic']),
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      let doc = await mediaOf(account.id, req.params.media_id);
      if (!doc.path && doc.media_source === 'tts' && ttsOf(doc)?.text) {
        // A TTS document written before its text was rendered (an import): render it now.
        const file = await synthesize(account.id, doc.id, ttsOf(doc));
        doc = await store.media.update(account.id, doc.id, file);
      }
      if (!doc.path) {
        throw new ApiError(404, `media ${doc.id} has no audio yet: upload it with PUT …/media/${doc.id}/raw`, {
          cause: doc.id,
        });
      }
      const type = doc.content_type ?? 'audio/wav';
      return sendAudio(req, reply, {
        path: doc.path,
        contentType: type,
        fileName: `${doc.id}.${extensionOf(type)}`,
        what: `media ${doc.id}`,
      });
    },
  );
}

function tooLarge(): ApiError {
  return new ApiError(413, `the audio file is too large: uploads are limited to ${MEDIA_MAX_BYTES} bytes`, {
    file: { maxLength: { message: `at most ${MEDIA_MAX_BYTES} bytes`, target: MEDIA_MAX_BYTES } },
  });
}
