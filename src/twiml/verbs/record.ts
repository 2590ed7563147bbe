// <Record>: record the caller after a beep until silence (`timeout` s, 0 = no silence detection), a finishOnKey
// key (default any key), `maxLength` or hangup. Twilio: an empty recording means no action request and the next
// verb runs; otherwise the action (default: the current document URL) gets RecordingUrl, RecordingDuration,
// RecordingSid and Digits (the key, or "hangup" — sent even after the caller hung up). recordingStatusCallback
// reports in-progress/completed/absent. Kazoo: uploaded every recording next to the *action* URL by default
// and sent no RecordingSid; here recordings stay on Pivot unless the Kazoo extra `recordingUrl` names an upload
// target (checked by the URL policy). Transcription is not supported: a warning, the recording is still made.

import type { RecordResult } from '../../call/types.js';
import type { HttpMethod, TwimlVerb } from '../types.js';

export const MAX_RECORD_S = 14400;

type RecordingEvent = 'in-progress' | 'completed' | 'absent';
const EVENTS: readonly RecordingEvent[] = ['in-progress', 'completed', 'absent'];

export interface RecordOptions {
  /** Undefined: the current document URL. */
  action?: string;
  method: HttpMethod;
  timeoutS: number;
  finishOnKey: string;
  maxLengthS: number;
  playBeep: boolean;
  trimSilence: boolean;
  recordingStatusCallback?: string;
  recordingStatusCallbackMethod: HttpMethod;
  recordingStatusCallbackEvent: RecordingEvent[];
  /** Kazoo extra: upload the recording there (HTTP PUT by the host). */
  recordingUrl?: string;
  at: { line: number; column: number };
}

export const record: TwimlVerb<RecordOptions> = {
  name: 'Record',
  parse(el, p) {
    const action = p.string('action')?.trim() || undefined;
    const method = p.method('method', 13610);
    const timeoutS = p.int('timeout', 5, { min: 0, code: 13611 });
    const finishOnKey = p.keys('finishOnKey', '1234567890*#', { code: 13613 });
    const maxLengthS = p.int('maxLength', 3600, { min: 1, max: MAX_RECORD_S, code: 13612 });
    const playBeep = p.bool('playBeep', true, 13616);
    const trim = p.oneOf('trim', ['trim-silence', 'do-not-trim'] as const, 'trim-silence');
    const recordingStatusCallback = p.string('recordingStatusCallback')?.trim() || undefined;
    const recordingStatusCallbackMethod = p.method('recordingStatusCallbackMethod', 12200);
    const rawEvents = p.string('recordingStatusCallbackEvent');
    let recordingStatusCallbackEvent: RecordingEvent[] = ['completed'];
    if (rawEvents !== undefined) {
      const events = rawEvents.split(/[\s,]+/).filter(Boolean);
      const bad = events.filter((e) => !(EVENTS as readonly string[]).includes(e));
      if (events.length === 0 || bad.length) {
        p.error(
          13621,
          `<Record recordingStatusCallbackEvent="${rawEvents}"> must list in-progress, completed or absent`,
        );
      } else {
        recordingStatusCallbackEvent = events as RecordingEvent[];
      }
    }
    const transcribe = p.bool('transcribe', false, 13614);
    const transcribeCallback = p.string('transcribeCallback')?.trim();
    if (transcribe || transcribeCallback) {
      p.warn(13614, 'transcription is not supported by Pivot: the recording is made, without a transcript');
    }
    if (p.string('recordingConfigurationId') !== undefined) {
      p.warn(12200, '<Record recordingConfigurationId> is a Twilio console setting; it is ignored');
    }
    const recordingUrl = p.string('recordingUrl')?.trim() || undefined;
    if (el.text) p.error(12200, '<Record> must be empty');
    if (el.children.length) p.elements([], 12200);
    return {
      action,
      method,
      timeoutS,
      finishOnKey,
      maxLengthS,
      playBeep,
      trimSilence: trim === 'trim-silence',
      recordingStatusCallback,
      recordingStatusCallbackMethod,
      recordingStatusCallbackEvent,
      recordingUrl,
      at: { line: el.line, column: el.column },
    };
  },

  async run(o, { call, host, signal }) {
    const statusUrl = o.recordingStatusCallback ? host.resolveUrl(o.recordingStatusCallback) : undefined;
    const status = (event: RecordingEvent, params: Record<string, unknown>): void => {
      if (!statusUrl || !o.recordingStatusCallbackEvent.includes(event)) return;
      host.callback(statusUrl, o.recordingStatusCallbackMethod, {
        AccountSid: host.accountId,
        CallSid: call.id,
        RecordingStatus: event,
        RecordingChannels: '1',
        RecordingSource: 'RecordVerb',
        ...params,
      });
    };
    const warn = (code: number, message: string): void =>
      host.warn({ code, message, element: 'Record', ...o.at, level: 'warning' });

    await call.answer();
    // The sid is only known once the recording is kept, so in-progress carries none.
    if (call.state !== 'ended') status('in-progress', {});
    const silenceTimeoutMs = o.timeoutS * 1000;
    const result = await call.record({
      silenceTimeoutMs,
      maxLengthMs: o.maxLengthS * 1000,
      beep: o.playBeep,
      terminators: o.finishOnKey,
      trimSilence: o.trimSilence,
      signal,
    });
    if (result.reason === 'error') warn(12400, `<Record> failed: ${result.error ?? 'the recorder failed'}`);
    if (result.reason === 'aborted') {
      host.trace('Record', { reason: 'aborted', duration: result.durationMs });
      return { kind: 'next' };
    }

    const digits =
      result.reason === 'terminator' ? (result.terminator ?? '') : result.reason === 'hangup' ? 'hangup' : '';
    const ended = (): { kind: 'end' } | { kind: 'next' } =>
      call.state === 'ended' ? { kind: 'end' } : { kind: 'next' };
    if (isEmpty(result, o.trimSilence, silenceTimeoutMs)) {
      status('absent', { RecordingDuration: '0' });
      host.trace('Record', { reason: result.reason, duration: result.durationMs, empty: true });
      return ended();
    }

    let saved: { url: string; sid: string } | undefined;
    let uploadUrl: string | undefined;
    if (o.recordingUrl) {
      uploadUrl = host.resolveUrl(o.recordingUrl);
      const denied = await host.checkUrl(uploadUrl);
      if (denied) {
        warn(11200, `<Record recordingUrl> not used: ${denied}; the recording is kept on Pivot`);
        uploadUrl = undefined;
      }
    }
    try {
      saved = await host.saveRecording(result.recording!, uploadUrl ? { uploadUrl } : undefined);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (uploadUrl) {
        warn(11200, `<Record> could not upload the recording to ${uploadUrl}: ${why}; it is kept on Pivot`);
        saved = await host.saveRecording(result.recording!).catch(() => undefined);
      } else {
        warn(12400, `<Record> could not keep the recording: ${why}`);
      }
    }
    if (!saved) {
      host.trace('Record', { reason: result.reason, duration: result.durationMs, error: 'not saved' });
      return ended();
    }

    const seconds = String(Math.ceil(result.durationMs / 1000));
    status('completed', { RecordingSid: saved.sid, RecordingUrl: saved.url, RecordingDuration: seconds });
    host.trace('Record', {
      reason: result.reason,
      duration: result.durationMs,
      url: saved.url,
      sid: saved.sid,
      ...(digits ? { digits } : {}),
    });
    const url = o.action ? host.resolveUrl(o.action) : host.documentUrl;
    // Sent even when the caller hung up: the session makes the request and ignores the document it gets back.
    return {
      kind: 'request',
      url,
      method: o.method,
      params: { RecordingUrl: saved.url, RecordingDuration: seconds, RecordingSid: saved.sid, Digits: digits },
    };
  },
};

/**
 * Nothing worth sending: no file, zero length, or ended by silence with nothing before that silence (the trimmed
 * recording is empty; untrimmed, it is no longer than the silence timeout — Kazoo's rule).
 */
function isEmpty(r: RecordResult, trimmed: boolean, silenceTimeoutMs: number): boolean {
  if (!r.recording || r.durationMs <= 0 || r.recording.sizeBytes === 0) return true;
  if (r.reason !== 'silence') return false;
  return trimmed ? false : r.durationMs <= silenceTimeoutMs;
}
