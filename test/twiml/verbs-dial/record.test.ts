// <Dial record>: the bridged call is recorded, kept with host.saveRecording, reported in the action and to
// recordingStatusCallback.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt } from '../../../src/call/scripted.js';
import { runTwiml } from '../../helpers/twiml.js';
import { requestOf } from './helpers.js';

test('record-from-answer: saved, RecordingUrl/Sid/Duration on the action, completed callback', async () => {
  const { call, host, outcome } = await runTwiml(
    '<Response><Dial action="/a" record="record-from-answer" recordingStatusCallback="/rec">+14155550001</Dial></Response>',
    { script: { events: [hangupAt(9000)] } },
  );
  assert.equal(call.entries('recording_started').length, 1);
  assert.equal(call.entries('recording_started')[0].legs, 'both');
  assert.equal(host.recordings.length, 1);
  const params = requestOf(outcome).params!;
  assert.equal(params.RecordingSid, `RE${host.recordings[0].file.id}`);
  assert.equal(params.RecordingUrl, `http://pivot.test/recordings/${params.RecordingSid}`);
  assert.equal(params.RecordingDuration, '8');
  const cb = host.callbacks.find((c) => c.url === 'http://app.test/rec');
  assert.ok(cb);
  assert.equal(cb.params.RecordingStatus, 'completed');
  assert.equal(cb.params.RecordingSid, params.RecordingSid);
  assert.equal(cb.params.RecordingUrl, params.RecordingUrl);
  assert.equal(cb.params.RecordingDuration, '8');
  assert.equal(cb.params.RecordingChannels, '1');
  assert.equal(cb.params.RecordingSource, 'DialVerb');
  assert.equal(cb.params.CallSid, call.id);
});

test('dual channels and the inbound track are passed to the recorder', async () => {
  const { call, host } = await runTwiml(
    '<Response><Dial record="record-from-ringing-dual" recordingTrack="inbound" recordingStatusCallback="/rec">+14155550001</Dial></Response>',
    { script: { events: [hangupAt(4000)] } },
  );
  assert.equal(call.entries('recording_started')[0].legs, 'caller');
  assert.equal(host.callbacks[0].params.RecordingChannels, '2');
  assert.equal(host.callbacks[0].params.RecordingTrack, 'inbound');
});

test('no bridge, no recording: no Recording* parameters; absent is reported when asked for', async () => {
  const { host, outcome } = await runTwiml(
    '<Response><Dial action="/a" record="record-from-answer" recordingStatusCallback="/rec" ' +
      'recordingStatusCallbackEvent="completed absent">+14155550001</Dial></Response>',
    { script: { endpoint: () => ({ rejectCode: 486 }) } },
  );
  const params = requestOf(outcome).params!;
  assert.equal(params.RecordingUrl, undefined);
  assert.equal(host.recordings.length, 0);
  assert.deepEqual(
    host.callbacks.map((c) => c.params.RecordingStatus),
    ['absent'],
  );
});

test('do-not-record records nothing', async () => {
  const { call, host } = await runTwiml('<Response><Dial>+14155550001</Dial></Response>', {
    script: { events: [hangupAt(4000)] },
  });
  assert.equal(call.entries('recording_started').length, 0);
  assert.equal(host.recordings.length, 0);
});
