import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

type Request = { kind: 'request'; url: string; method: string; params: Record<string, unknown> };

test('Record defaults: answers, beeps, ends on 5 s of silence, then the action (document URL)', async () => {
  // The caller talks 3 s (scripted default), then stays silent.
  const { call, host, outcome } = await runTwiml(doc('<Record/><Say>never</Say>'));
  assert.equal(call.entries('answer')[0].t, 0);
  assert.equal(call.entries('beep').length, 1);
  assert.deepEqual(call.entries('record')[0], {
    t: 0,
    type: 'record',
    maxLengthMs: 3600000,
    silenceTimeoutMs: 5000,
    terminators: '1234567890*#',
  });
  assert.deepEqual(call.entries('record_done')[0], {
    t: 8000,
    type: 'record_done',
    reason: 'silence',
    durationMs: 3000,
  });
  assert.equal(host.recordings.length, 1);
  assert.equal(host.recordings[0].uploadUrl, undefined);
  const sid = `RE${host.recordings[0].file.id}`;
  assert.deepEqual(outcome, {
    kind: 'request',
    url: 'http://app.test/voice',
    method: 'POST',
    params: {
      RecordingUrl: `http://pivot.test/recordings/${sid}`,
      RecordingDuration: '3',
      RecordingSid: sid,
      Digits: '',
    },
  });
  assert.equal(call.entries('say').length, 0);
  assert.equal(host.traces[0].verb, 'Record');
  assert.equal(host.traces[0].detail.duration, 3000);
  assert.equal(host.traces[0].detail.url, `http://pivot.test/recordings/${sid}`);
});

test('Record finishOnKey: the key ends it and is sent as Digits', async () => {
  const { call, outcome } = await runTwiml(doc('<Record finishOnKey="#" action="/done" method="GET"/>'), {
    script: { events: [...press('5', 1000), ...press('#', 2000)] },
  });
  assert.equal(call.entries('record')[0].terminators, '#');
  const req = outcome as Request;
  assert.equal(req.url, 'http://app.test/done');
  assert.equal(req.method, 'GET');
  assert.equal(req.params.Digits, '#');
  assert.equal(req.params.RecordingDuration, '2');
  assert.equal(call.entries('record_done')[0].reason, 'terminator');
});

test('Record default finishOnKey: any key ends it', async () => {
  const { outcome } = await runTwiml(doc('<Record/>'), { script: { events: press('7', 1500) } });
  assert.equal((outcome as Request).params.Digits, '7');
  assert.equal((outcome as Request).params.RecordingDuration, '2');
});

test('Record maxLength ends it; duration in whole seconds, rounded up', async () => {
  const { call, outcome } = await runTwiml(doc('<Record maxLength="2" timeout="0"/>'), { script: { speakMs: 10000 } });
  assert.deepEqual(call.entries('record')[0].maxLengthMs, 2000);
  assert.deepEqual(call.entries('record')[0].silenceTimeoutMs, 0);
  assert.equal(call.entries('record_done')[0].reason, 'max_length');
  assert.equal((outcome as Request).params.RecordingDuration, '2');
  assert.equal((outcome as Request).params.Digits, '');
});

test('Record: a hangup ends it with Digits=hangup, and the action is still requested', async () => {
  const { call, outcome } = await runTwiml(doc('<Record/><Say>never</Say>'), { script: { events: [hangupAt(1500)] } });
  assert.equal(call.state, 'ended');
  const req = outcome as Request;
  assert.equal(req.kind, 'request');
  assert.equal(req.params.Digits, 'hangup');
  assert.equal(req.params.RecordingDuration, '2');
});

test('Record: an empty recording makes no request; the next verb runs', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Record timeout="3"/><Say>Nothing recorded</Say>'), {
    script: { speakMs: 0 },
  });
  assert.equal(call.entries('say')[0].text, 'Nothing recorded');
  assert.equal(call.entries('say')[0].t, 3000);
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(host.recordings.length, 0);
  assert.equal(host.traces[0].detail.empty, true);
});

test('Record do-not-trim: silence no longer than the timeout is empty (Kazoo rule); speech is kept', async () => {
  const empty = await runTwiml(doc('<Record trim="do-not-trim"/><Say>again</Say>'), { script: { speakMs: 0 } });
  assert.equal(empty.call.entries('say').length, 1);
  assert.equal(empty.host.recordings.length, 0);
  const spoken = await runTwiml(doc('<Record trim="do-not-trim"/>'), { script: { speakMs: 2000 } });
  assert.equal((spoken.outcome as Request).params.RecordingDuration, '7');
});

test('Record playBeep="false" does not beep', async () => {
  const { call } = await runTwiml(doc('<Record playBeep="false"/>'));
  assert.equal(call.entries('beep').length, 0);
  assert.equal(call.entries('record').length, 1);
});

test('Record recordingStatusCallback: completed by default, with the recording parameters', async () => {
  const { call, host } = await runTwiml(doc('<Record recordingStatusCallback="/rec-status"/>'), {
    id: 'CAtest',
    accountId: 'acct1',
  });
  const sid = `RE${host.recordings[0].file.id}`;
  assert.deepEqual(host.callbacks, [
    {
      url: 'http://app.test/rec-status',
      method: 'POST',
      params: {
        AccountSid: 'acct1',
        CallSid: 'CAtest',
        RecordingStatus: 'completed',
        RecordingChannels: '1',
        RecordingSource: 'RecordVerb',
        RecordingSid: sid,
        RecordingUrl: `http://pivot.test/recordings/${sid}`,
        RecordingDuration: '3',
      },
    },
  ]);
  assert.equal(call.id, 'CAtest');
});

test('Record recordingStatusCallbackEvent: in-progress and absent, with the method', async () => {
  const { host } = await runTwiml(
    doc(
      '<Record recordingStatusCallback="https://cb.test/r" recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="in-progress completed absent"/>',
    ),
    { script: { speakMs: 0 } },
  );
  assert.deepEqual(
    host.callbacks.map((c) => [c.url, c.method, c.params.RecordingStatus, c.params.RecordingDuration]),
    [
      ['https://cb.test/r', 'GET', 'in-progress', undefined],
      ['https://cb.test/r', 'GET', 'absent', '0'],
    ],
  );
  const none = await runTwiml(doc('<Record recordingStatusCallback="/r" recordingStatusCallbackEvent="absent"/>'));
  assert.deepEqual(none.host.callbacks, []);
});

test('Record transcribe is a warning: the recording is still made', async () => {
  const { warnings, errors } = compileTwiml(doc('<Record transcribe="true" transcribeCallback="/t"/>'));
  assert.deepEqual(errors, []);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].code, 13614);
  assert.match(warnings[0].message, /transcription is not supported by Pivot/);
  const { host, outcome } = await runTwiml(doc('<Record transcribe="true"/>'));
  assert.equal(host.recordings.length, 1);
  assert.equal(outcome.kind, 'request');
});

test('Record Kazoo recordingUrl: uploaded there when the URL policy allows it', async () => {
  const { host, outcome } = await runTwiml(doc('<Record recordingUrl="/uploads/"/>'));
  assert.equal(host.recordings[0].uploadUrl, 'http://app.test/uploads/');
  assert.equal((outcome as Request).params.RecordingUrl, 'http://app.test/uploads/');
  const denied = await runTwiml(doc('<Record recordingUrl="http://10.1.1.1/up"/>'), {}, { deny: ['http://10.'] });
  assert.equal(denied.host.recordings[0].uploadUrl, undefined);
  assert.equal(denied.host.warnings[0].code, 11200);
  assert.equal(denied.outcome.kind, 'request');
});

test('Record attribute errors carry their codes; Record must be empty', () => {
  const code = (attrs: string, body = ''): number | undefined =>
    compileTwiml(doc(body ? `<Record ${attrs}>${body}</Record>` : `<Record ${attrs}/>`)).errors[0]?.code;
  assert.equal(code('method="DELETE"'), 13610);
  assert.equal(code('timeout="-1"'), 13611);
  assert.equal(code('maxLength="0"'), 13612);
  assert.equal(code('maxLength="14401"'), 13612);
  assert.equal(code('finishOnKey="1a"'), 13613);
  assert.equal(code('transcribe="maybe"'), 13614);
  assert.equal(code('playBeep="loud"'), 13616);
  assert.equal(code('recordingStatusCallbackEvent="started"'), 13621);
  assert.equal(code('trim="yes"'), 12200);
  assert.equal(code('', 'speak now'), 12200);
  assert.equal(code('', '<Say>hi</Say>'), 12200);
  assert.deepEqual(compileTwiml(doc('<Record maxLength="14400" timeout="0" finishOnKey=""/>')).errors, []);
});
