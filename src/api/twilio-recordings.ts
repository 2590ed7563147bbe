// Twilio's recording resource, for the RecordingUrl a TwiML <Record> hands its action:
//   GET /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}[.wav|.mp3|.json]
// No suffix, `.wav` or `.mp3`: the audio, streamed from the file the recording row names (byte ranges honoured,
// for browsers' audio players). `.json`: a Twilio-shaped recording resource. Unknown sids and sids of another
// account answer 404 with Twilio's error body.
//
// No authentication, on purpose: as with Twilio's default (HTTP auth for media off), a recording is reachable by
// anyone who has its URL, and the URL is the secret — the sid carries 128 random bits (RE + 32 hex) and is only
// ever given to the account's own app (signed Pivot requests) and its admins. Deployments that must not expose
// recordings at all keep the HTTP port private.
//
// Pivot stores recordings in one format (WAV from the media engine) and has no MP3 encoder: a suffix that names
// the other format still serves the stored audio, with its true Content-Type, so a Twilio app that appends
// `.mp3` to RecordingUrl (a common habit) keeps working — players go by Content-Type and magic bytes.

import { stat } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { RecordingDoc, Store } from '../store/types.js';
import { sendFileBody } from './audio-files.js';

export interface TwilioRecordingsOptions {
  store: Store;
  /** Base URL of this server, for `media_url` in the JSON form. */
  publicUrl: () => string;
}

export const RECORDING_ROUTE = '/2010-04-01/Accounts/:accountId/Recordings/:sid';

const SID = /^RE([A-Za-z0-9]{1,64})(?:\.(wav|mp3|json))?$/;

function notFound(reply: FastifyReply, path: string, detail?: string): FastifyReply {
  return reply
    .code(404)
    .type('application/json; charset=utf-8')
    .send({
      code: 20404,
      message: `The requested resource ${path} was not found${detail ? ` (${detail})` : ''}`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
}

/** Twilio's dates: RFC 2822 in UTC, `Fri, 14 Oct 2016 21:56:34 +0000`. */
function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/** Twilio's `source`: a TwiML <Record> (or Dial record) is RecordVerb; callflow recordings were started by the call. */
function twilioSource(source: unknown): string {
  return source === 'twiml' ? 'RecordVerb' : 'StartCallRecordingAPI';
}

export function recordingResource(row: RecordingDoc, publicUrl: string): Record<string, unknown> {
  const sid = `RE${row.id}`;
  const path = `/2010-04-01/Accounts/${row.account_id}/Recordings/${sid}`;
  const durationMs = Number(row.duration_ms) || 0;
  return {
    account_sid: row.account_id,
    api_version: '2010-04-01',
    call_sid: row.call_id,
    conference_sid: null,
    channels: typeof row.channels === 'number' ? row.channels : 1,
    date_created: rfc2822(row.created),
    date_updated: rfc2822(row.modified),
    start_time: rfc2822(row.created - durationMs),
    duration: String(Math.ceil(durationMs / 1000)),
    sid,
    price: null,
    price_unit: 'USD',
    status: 'completed',
    source: twilioSource(row.source),
    error_code: null,
    encryption_details: null,
    uri: `${path}.json`,
    media_url: `${publicUrl}${path}`,
  };
}

export const twilioRecordings: FastifyPluginAsync<TwilioRecordingsOptions> = async (app, opts) => {
  app.get<{ Params: { accountId: string; sid: string } }>(RECORDING_ROUTE, async (req, reply) => {
    const path = req.url.split('?')[0];
    const m = SID.exec(req.params.sid);
    const row = m ? await opts.store.recordings.get(req.params.accountId, m[1]) : undefined;
    if (!m || !row) return notFound(reply, path);
    if (m[2] === 'json') {
      return reply.type('application/json; charset=utf-8').send(recordingResource(row, opts.publicUrl()));
    }
    let size: number;
    try {
      const info = await stat(row.path);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      return notFound(reply, path, 'its audio file is missing');
    }
    reply
      .header('Content-Type', row.content_type || 'audio/wav')
      .header('Accept-Ranges', 'bytes')
      .header('Cache-Control', 'private, max-age=3600');
    return sendFileBody(req, reply, row.path, size);
  });
};
