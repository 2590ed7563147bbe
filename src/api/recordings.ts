// Call recordings (KAZOO's /v2/accounts/{id}/recordings): the rows the call runtime adds for every kept recording.
//   GET /recordings (call_id= or filter_call_id=, paging, created_from/created_to),
//   GET /recordings/{id} (the metadata; with `Accept: audio/*` the audio, as KAZOO does),
//   GET /recordings/{id}/raw (the audio), DELETE /recordings/{id} (the row and its file).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RecordingDoc } from '../store/types.js';
import { audioResponses, extensionOf, removeFile, sendAudio, wantsAudio } from './audio-files.js';
import type { Api } from './crossbar.js';
import { notFound, revisionOf, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';
import { requireAdmin } from './session.js';

/** A recording as the API shows it: no file path, no private fields. */
export function publicRecording(r: RecordingDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (k !== 'path' && !k.startsWith('pvt_')) out[k] = v;
  return out;
}

export function recordingRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string };
  type R = P & { recording_id: string };

  async function recordingOf(accountId: string, id: string): Promise<RecordingDoc> {
    const row = await store.recordings.get(accountId, id);
    if (!row) throw notFound(id, 'recording not found');
    return row;
  }

  const audio = (req: FastifyRequest, reply: FastifyReply, row: RecordingDoc) => {
    const type = row.content_type || 'audio/wav';
    return sendAudio(req, reply, {
      path: row.path,
      contentType: type,
      fileName: String(row.media_name ?? `${row.id}.${extensionOf(type)}`),
      what: `recording ${row.id}`,
    });
  };

  api.route<P>(
    {
      method: 'GET',
      url: '/accounts/:account_id/recordings',
      summary: 'List call recordings (call_id, page_size, start_key, filter_<field>, created_from/created_to)',
      tag: 'recordings',
      query: { call_id: { type: 'string', description: 'only the recordings of this call' } },
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      const callId = (req.query as Record<string, unknown>).call_id;
      if (typeof callId === 'string' && callId) opts.filter = { ...opts.filter, call_id: callId };
      return sendPage(req, reply, await store.recordings.list(account.id, opts), opts, publicRecording);
    },
  );

  api.route<R>(
    {
      method: 'GET',
      url: '/accounts/:account_id/recordings/:recording_id',
      summary: 'Read a recording (metadata; the audio itself with Accept: audio/*)',
      tag: 'recordings',
      responses: {
        ...audioResponses(['audio/wav', 'audio/mpeg']),
        '200': {
          description: 'The metadata in the envelope; with Accept: audio/* the audio, with its Content-Type',
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/Envelope' } },
            'audio/wav': { schema: { type: 'string', format: 'binary' } },
            'audio/mpeg': { schema: { type: 'string', format: 'binary' } },
          },
        },
      },
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const row = await recordingOf(account.id, req.params.recording_id);
      if (wantsAudio(req)) return audio(req, reply, row);
      return send(req, reply, publicRecording(row), { revision: revisionOf(row) });
    },
  );

  api.route<R>(
    {
      method: 'GET',
      url: '/accounts/:account_id/recordings/:recording_id/raw',
      summary: 'Download the audio of a recording, with its Content-Type (byte ranges honoured)',
      tag: 'recordings',
      responses: audioResponses(['audio/wav', 'audio/mpeg']),
    },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      return audio(req, reply, await recordingOf(account.id, req.params.recording_id));
    },
  );

  api.route<R>(
    {
      method: 'DELETE',
      url: '/accounts/:account_id/recordings/:recording_id',
      summary: 'Delete a recording and its audio file',
      tag: 'recordings',
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const row = await recordingOf(account.id, req.params.recording_id);
      await store.recordings.delete(account.id, row.id);
      await removeFile(row.path, api.dataDir);
      return send(req, reply, publicRecording(row));
    },
  );
}
