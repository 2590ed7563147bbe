import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { recordingsSettled, uploadTarget } from '../../../src/call/recordings.js';
import { harness } from '../../helpers/callflow.js';
import { chain, said, sayNode } from './_probe.js';

interface Upload {
  url: string;
  method: string;
  file: { path: string; durationMs: number };
}

test('record_call: schema defaults and limits', () => {
  const ok = flowValidator().validate({ module: 'record_call', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, {
    action: 'start',
    method: 'put',
    time_limit: 3600,
    record_on_answer: false,
    record_on_bridge: false,
    should_follow_transfer: true,
  });
  const bad = flowValidator().validate({
    module: 'record_call',
    data: { action: 'pause', time_limit: 3, url: 'ftp://example.com/rec', format: 'ogg' },
  });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.path).sort(), [
    'flow.data.action',
    'flow.data.format',
    'flow.data.time_limit',
    'flow.data.url',
  ]);
});

test('record_call: start, then stop saves a recording row and uploads it to <url>/call_recording_<call id>.mp3', async () => {
  const h = await harness();
  const call = await h.run(
    chain(
      { module: 'answer', data: {} },
      { module: 'record_call', data: { action: 'start', label: 'support', url: 'https://rec.example.com/uploads/' } },
      { module: 'sleep', data: { duration: 4 } },
      { module: 'record_call', data: { action: 'stop' } },
      sayNode('Recording saved'),
    ),
  );
  const [started] = call.entries('recording_started');
  assert.deepEqual([started.t, started.legs], [0, 'both']);
  assert.deepEqual(
    call.entries('recording_stopped').map((e) => [e.t, e.durationMs]),
    [[4000, 4000]],
  );
  assert.deepEqual(said(call), ['Recording saved']);
  const rows = (await h.store.recordings.list(h.accountId)).items;
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.call_id, call.id);
  assert.equal(row.duration_ms, 4000);
  assert.equal(row.content_type, 'audio/mpeg');
  assert.equal(row.source, 'record_call');
  assert.equal(row.label, 'support');
  assert.ok(row.size_bytes > 0);
  assert.ok(row.path.startsWith(h.services.dataDir), row.path);
  assert.equal(statSync(row.path).size, row.size_bytes);
  const uploads = h.http.uploads as Upload[];
  assert.equal(uploads.length, 1);
  assert.equal(uploads[0].url, `https://rec.example.com/uploads/call_recording_${call.id}.mp3`);
  assert.equal(uploads[0].method, 'put');
  assert.equal(uploads[0].file.path, row.path);
});

test('record_call: a recording still running at hangup is stopped, saved and uploaded (url naming a file as is)', async () => {
  const h = await harness();
  const call = await h.run(
    chain(
      { module: 'answer', data: {} },
      {
        module: 'record_call',
        data: { action: 'start', format: 'wav', method: 'post', url: 'http://rec.example.com/calls/this-call.wav' },
      },
      { module: 'sleep', data: { duration: 1, unit: 'h' } },
    ),
    { script: { events: [hangupAt(7000)] } },
  );
  await recordingsSettled(call);
  assert.equal(call.entries('recording_stopped')[0].t, 7000);
  const [row] = (await h.store.recordings.list(h.accountId)).items;
  assert.deepEqual([row.duration_ms, row.content_type], [7000, 'audio/wav']);
  const uploads = h.http.uploads as Upload[];
  assert.deepEqual([uploads[0].url, uploads[0].method], ['http://rec.example.com/calls/this-call.wav', 'post']);
});

test('record_call: record_on_answer waits for the answer; a url on the stop node; stop without a recording is harmless', async () => {
  const h = await harness();
  const call = await h.run(
    chain(
      { module: 'record_call', data: { action: 'stop' } },
      { module: 'record_call', data: { action: 'start', record_on_answer: true, media_name: 'greeting' } },
      { module: 'record_call', data: { action: 'start' } }, // already recording: ignored
      { module: 'sleep', data: { duration: 2 } },
      { module: 'answer', data: {} },
      { module: 'sleep', data: { duration: 3 } },
      { module: 'record_call', data: { action: 'stop', url: 'https://rec.example.com' } },
    ),
  );
  assert.deepEqual(
    call.entries('recording_started').map((e) => e.t),
    [2000],
  );
  const [row] = (await h.store.recordings.list(h.accountId)).items;
  assert.equal(row.duration_ms, 3000);
  assert.equal(row.media_name, 'greeting.mp3');
  assert.equal((h.http.uploads as Upload[])[0].url, 'https://rec.example.com/greeting.mp3');
});

test('record_call: recordings shorter than record_min_sec are dropped', async () => {
  const h = await harness();
  const call = await h.run(
    chain(
      { module: 'record_call', data: { action: 'start', url: 'https://rec.example.com', record_min_sec: 5 } },
      { module: 'sleep', data: { duration: 2 } },
      { module: 'record_call', data: { action: 'stop' } },
    ),
  );
  assert.equal(call.entries('recording_stopped').length, 1);
  assert.equal((await h.store.recordings.list(h.accountId)).items.length, 0);
  assert.equal(h.http.uploads.length, 0);
});

test('record_caller: records the caller until a key, then saves and uploads; schema', async () => {
  const ok = flowValidator().validate({ module: 'record_caller', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { method: 'put', time_limit: 3600 });
  const bad = flowValidator().validate({ module: 'record_caller', data: { time_limit: 20000 } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.time_limit' && bad.errors[0].rule === 'maximum');

  const h = await harness();
  const call = await h.run(
    chain({ module: 'record_caller', data: { url: 'https://rec.example.com/in' } }, sayNode('Thanks')),
    { script: { events: press('#', 4000) } },
  );
  const [rec] = call.entries('record');
  assert.deepEqual([rec.t, rec.maxLengthMs, rec.silenceTimeoutMs], [0, 3600000, 0]);
  assert.equal(call.entries('beep').length, 0);
  assert.deepEqual([call.entries('record_done')[0].t, call.entries('record_done')[0].reason], [4000, 'terminator']);
  assert.equal(call.entries('say')[0].t, 4000);
  const [row] = (await h.store.recordings.list(h.accountId)).items;
  assert.deepEqual([row.duration_ms, row.source], [4000, 'record_caller']);
  assert.ok(existsSync(row.path));
  const uploads = h.http.uploads as Upload[];
  assert.deepEqual(
    [uploads[0].url, uploads[0].method],
    [`https://rec.example.com/in/call_recording_${call.id}.mp3`, 'put'],
  );
});

test('record_caller: the time limit ends the recording; a hangup still saves it', async () => {
  const h = await harness();
  const limited = await h.run({ module: 'record_caller', data: { time_limit: 5 } });
  assert.equal(limited.entries('record_done')[0].reason, 'max_length');
  const hungUp = await h.run({ module: 'record_caller', data: {} }, { script: { events: [hangupAt(2500)] } });
  assert.equal(hungUp.entries('record_done')[0].reason, 'hangup');
  const rows = (await h.store.recordings.list(h.accountId)).items;
  assert.deepEqual(rows.map((r) => r.duration_ms).sort(), [2500, 5000]);
  assert.equal(h.http.uploads.length, 0);
});

test('uploadTarget: a base URL gets the file name, a URL naming a file is used as is', () => {
  assert.equal(uploadTarget('https://x.test/a', 'f.mp3'), 'https://x.test/a/f.mp3');
  assert.equal(uploadTarget('https://x.test/a/?sig=1', 'f.mp3'), 'https://x.test/a/f.mp3?sig=1');
  assert.equal(uploadTarget('https://x.test/a/b.wav', 'f.mp3'), 'https://x.test/a/b.wav');
});
