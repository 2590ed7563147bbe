// <Conference>: put the caller in a named conference room of the account. The room id is `<accountId>:<name>`, so
// two accounts using the same name never meet. Twilio attributes: muted, beep (true|false|onEnter|onExit),
// startConferenceOnEnter (true; false = wait, hearing the wait music, until a participant who starts it joins),
// endConferenceOnExit (false), waitUrl/waitMethod, maxParticipants (2..250), record (record-from-start), trim,
// statusCallback/Method/Event and recordingStatusCallback/Method/Event. Kazoo extra: `deaf`.
// waitUrl: an audio file URL is played as the wait music; Twilio's TwiML wait documents are out of scope for now
// (warning, default music), and an empty waitUrl means silence.
// Conference events start, end, join and leave are reported to statusCallback (`conference-start`,
// `participant-join`…); each participant's Dial reports the events it causes. Kazoo ignored the Dial `action`
// after a conference; here it is followed, with DialCallStatus `answered` (Twilio) or `failed` when the room was
// full.

import { randomBytes } from 'node:crypto';
import type { MediaSource } from '../../call/types.js';
import type { HttpMethod } from '../types.js';
import type { NounResult, RecordingCallbackSpec, SessionNoun, StatusCallbackSpec } from './index.js';
import { ignoreAttributes, readEvents, readRecordingCallback, rfc2822 } from './index.js';

export type ConferenceEvent =
  'start' | 'end' | 'join' | 'leave' | 'mute' | 'hold' | 'modify' | 'speaker' | 'announcement';
const CONFERENCE_EVENTS: readonly ConferenceEvent[] = [
  'start',
  'end',
  'join',
  'leave',
  'mute',
  'hold',
  'modify',
  'speaker',
  'announcement',
];
const SENT_EVENTS: readonly ConferenceEvent[] = ['start', 'end', 'join', 'leave'];

export interface ConferenceNounOptions {
  name: string;
  muted: boolean;
  deaf: boolean;
  beep: 'true' | 'false' | 'onEnter' | 'onExit';
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  /** Undefined: default music; '' silence; otherwise an audio URL (as written) or a TwiML URL (ignored). */
  waitUrl?: string;
  waitIsAudio: boolean;
  waitMethod: HttpMethod;
  maxParticipants: number;
  record: boolean;
  participantLabel?: string;
  statusCallback?: StatusCallbackSpec<ConferenceEvent>;
  recordingStatusCallback?: RecordingCallbackSpec;
}

export const MAX_CONFERENCE_NAME = 128;
export const MAX_PARTICIPANTS = 250;

const AUDIO_EXTENSIONS = /\.(mp3|wav|wave|ogg|oga|opus|aif|aiff|aifc|gsm|ul|ulaw|au|m4a|flac)$/i;

/** Whether a URL looks like an audio file (by its path's extension) rather than a TwiML document. */
export function looksLikeAudio(url: string): boolean {
  const path = url.split(/[?#]/, 1)[0];
  return AUDIO_EXTENSIONS.test(path);
}

/** Live conferences by room: their sid, the sequence number of their status callbacks, who is in. */
interface Instance {
  sid: string;
  seq: number;
  members: number;
  ended: boolean;
}
const live = new Map<string, Instance>();

function instance(room: string): Instance {
  let i = live.get(room);
  if (!i) {
    i = { sid: `CF${randomBytes(16).toString('hex')}`, seq: 0, members: 0, ended: false };
    live.set(room, i);
  }
  return i;
}

/** Count an event; the instance is forgotten once the conference ended and everyone left. */
function track(room: string, inst: Instance, type: 'join' | 'leave' | 'start' | 'end'): void {
  if (type === 'join') inst.members++;
  if (type === 'leave') inst.members = Math.max(0, inst.members - 1);
  if (type === 'end') inst.ended = true;
  if (inst.ended && inst.members === 0) live.delete(room);
}

export const conference: SessionNoun<ConferenceNounOptions> = {
  name: 'Conference',
  kind: 'session',
  parse(el, p) {
    const name = el.text;
    if (!name) p.error(13237, '<Conference> needs a room name');
    else if (name.length > MAX_CONFERENCE_NAME) {
      p.error(13237, `<Conference> name must be at most ${MAX_CONFERENCE_NAME} characters`);
    }
    if (el.children.length) p.elements([], 13215);
    const muted = p.bool('muted', false, 13230);
    const deaf = p.bool('deaf', false);
    const beep = p.oneOf('beep', ['true', 'false', 'onEnter', 'onExit'] as const, 'true', 13235);
    const startConferenceOnEnter = p.bool('startConferenceOnEnter', true, 13232);
    const endConferenceOnExit = p.bool('endConferenceOnExit', false, 13231);
    const waitUrl = p.string('waitUrl')?.trim();
    const waitIsAudio = !!waitUrl && looksLikeAudio(waitUrl);
    if (waitUrl && !waitIsAudio) {
      p.warn(
        13233,
        `<Conference waitUrl="${waitUrl}">: TwiML wait documents are not supported yet (only audio files); ` +
          'the default wait music plays instead',
      );
    }
    const waitMethod = p.method('waitMethod', 13234);
    const maxParticipants = p.int('maxParticipants', MAX_PARTICIPANTS, { min: 2, max: MAX_PARTICIPANTS, code: 12200 });
    const record =
      p.oneOf('record', ['do-not-record', 'record-from-start'] as const, 'do-not-record') === 'record-from-start';
    const trim = p.oneOf('trim', ['trim-silence', 'do-not-trim'] as const, 'trim-silence');
    if (record && p.has('trim') && trim === 'trim-silence') {
      p.warn(12200, '<Conference trim="trim-silence"> is not applied to conference recordings yet');
    }
    const participantLabel = p.string('participantLabel')?.trim() || undefined;
    p.string('region');
    p.string('jitterBufferSize');
    ignoreAttributes(p, ['coach', 'eventCallbackUrl'], 'not supported');

    const cbUrl = p.string('statusCallback')?.trim();
    const cbMethod = p.method('statusCallbackMethod', 12200);
    const events = readEvents(p, 'statusCallbackEvent', CONFERENCE_EVENTS, ['start', 'end']);
    const unsent = events.filter((e) => !SENT_EVENTS.includes(e));
    if (cbUrl && unsent.length) {
      p.warn(12200, `<Conference statusCallbackEvent>: ${unsent.join(', ')} events are not sent yet`);
    }
    const statusCallback = cbUrl ? { url: cbUrl, method: cbMethod, events } : undefined;
    const recordingStatusCallback = readRecordingCallback(p);
    return {
      name,
      muted,
      deaf,
      beep,
      startConferenceOnEnter,
      endConferenceOnExit,
      waitUrl,
      waitIsAudio,
      waitMethod,
      maxParticipants,
      record,
      participantLabel,
      statusCallback,
      recordingStatusCallback,
    };
  },

  async run(o, dial, { call, host }): Promise<NounResult> {
    // A conference carries media both ways: the caller is answered even with answerOnBridge.
    await call.answer();
    const room = `${host.accountId}:${o.name}`;
    let waitMusic: MediaSource | undefined;
    if (o.waitUrl === '') waitMusic = { kind: 'silence', ms: 1000 };
    else if (o.waitUrl && o.waitIsAudio) waitMusic = { kind: 'url', url: host.resolveUrl(o.waitUrl) };

    const cb = o.statusCallback;
    const cbUrl = cb ? host.resolveUrl(cb.url) : undefined;
    let conferenceSid: string | undefined;
    const onEvent = (ev: { type: 'join' | 'leave' | 'start' | 'end'; room: string; participants: number }): void => {
      const inst = instance(room);
      conferenceSid = inst.sid;
      const seq = inst.seq++;
      track(room, inst, ev.type);
      if (!cb || !cbUrl || !cb.events.includes(ev.type)) return;
      const participant = ev.type === 'join' || ev.type === 'leave';
      const params: Record<string, string> = {
        AccountSid: host.accountId,
        ConferenceSid: inst.sid,
        FriendlyName: o.name,
        StatusCallbackEvent: participant ? `participant-${ev.type}` : `conference-${ev.type}`,
        SequenceNumber: String(seq),
        Timestamp: rfc2822(),
      };
      if (participant) {
        Object.assign(params, {
          CallSid: call.id,
          Muted: String(o.muted),
          Hold: 'false',
          Coaching: 'false',
          StartConferenceOnEnter: String(o.startConferenceOnEnter),
          EndConferenceOnExit: String(o.endConferenceOnExit),
          ...(o.participantLabel ? { ParticipantLabel: o.participantLabel } : {}),
        });
      }
      if (ev.type === 'end') {
        params.CallSidEndingConference = call.id;
        params.ReasonConferenceEnded = o.endConferenceOnExit
          ? 'participant-with-end-conference-on-exit-left'
          : 'last-participant-left';
      }
      host.callback(cbUrl, cb.method, params);
    };

    const res = await call.conference({
      room,
      moderator: o.startConferenceOnEnter,
      startOnEnter: o.startConferenceOnEnter,
      endOnExit: o.endConferenceOnExit,
      muted: o.muted,
      deaf: o.deaf,
      entryTone: o.beep === 'true' || o.beep === 'onEnter',
      exitTone: o.beep === 'true' || o.beep === 'onExit',
      waitMusic,
      maxParticipants: o.maxParticipants,
      record: o.record,
      hangupOnKey: dial.hangupOnKey,
      timeLimitMs: dial.timeLimitMs,
      signal: dial.signal,
      onEvent,
    });
    host.trace('Conference', { name: o.name, room, reason: res.reason, durationMs: res.durationMs });
    const full = res.reason === 'full';
    if (full) {
      host.warn({ code: 12200, message: `conference "${o.name}" is full (${o.maxParticipants})`, level: 'warning' });
    }
    return {
      status: full ? 'failed' : 'answered',
      bridged: !full,
      durationMs: res.durationMs,
      recording: res.recording,
      recordingStatusCallback: o.recordingStatusCallback,
      recordingSource: 'Conference',
      params: conferenceSid ? { ConferenceSid: conferenceSid } : {},
    };
  },
};
