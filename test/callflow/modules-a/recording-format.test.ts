// A recording is named by what the file is: when a call delivers WAV where MP3 was asked for (SipCall records WAV
// only), record_call and record_caller upload `call_recording_<id>.wav`, not WAV bytes under an `.mp3` name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedCall } from '../../../src/call/scripted.js';
import { saveRecording } from '../../../src/callflow/modules/_recording.js';
import { harness } from '../../helpers/callflow.js';

function wavFile(id: string): { id: string; path: string; contentType: string; durationMs: number; sizeBytes: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'pivot-rec-format-')), `${id}.wav`);
  writeFileSync(path, Buffer.alloc(44 + 1600));
  return { id, path, contentType: 'audio/wav', durationMs: 100, sizeBytes: 44 + 1600 };
}

test('saveRecording: a WAV file asked for as mp3 is named and uploaded as .wav', async () => {
  const h = await harness();
  const call = new ScriptedCall({ accountId: h.accountId });
  try {
    const ctx = { call, services: h.services, log: h.log };
    const doc = await saveRecording(ctx, wavFile('a1'), {
      source: 'record_call',
      format: 'mp3',
      url: 'https://rec.example.com/up/',
      method: 'put',
    });
    assert.equal(doc?.media_name, `call_recording_${call.id}.wav`);
    const named = await saveRecording(ctx, wavFile('a2'), {
      source: 'record_caller',
      format: 'mp3',
      url: 'https://rec.example.com/up/',
      method: 'put',
      mediaName: 'greeting',
    });
    assert.equal(named?.media_name, 'greeting.wav');
    const uploads = h.http.uploads as { url: string; file: { contentType: string } }[];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      uploads.map((u) => [u.url, u.file.contentType]),
      [
        [`https://rec.example.com/up/call_recording_${call.id}.wav`, 'audio/wav'],
        ['https://rec.example.com/up/greeting.wav', 'audio/wav'],
      ],
    );
  } finally {
    call.release();
  }
});
