// Twilio's recording resource over real HTTP: the audio (whole, by byte range, HEAD), the JSON form, and 404s
// with Twilio's error body for unknown sids, another account's sid and a row whose file is gone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { twilioRecordings } from '../../src/api/twilio-recordings.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { AccountDoc, RecordingDoc, Store } from '../../src/store/types.js';

const PUBLIC = 'https://pivot.example.com';
let store: Store;
let app: FastifyInstance;
let base: string;
let acme: AccountDoc;
let other: AccountDoc;
let row: RecordingDoc;
let gone: RecordingDoc;
let wav: Buffer;

/** A 1 s, 8 kHz, 16-bit mono WAV of a ramp. */
function makeWav(): Buffer {
  const samples = 8000;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE((i % 200) * 100 - 10000, 44 + i * 2);
  return b;
}

before(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  acme = await store.accounts.create({ name: 'Acme', realm: 'acme.pivot.test' });
  other = await store.accounts.create({ name: 'Other', realm: 'other.pivot.test' });
  const dir = mkdtempSync(join(tmpdir(), 'pivot-recordings-'));
  wav = makeWav();
  const path = join(dir, 'a.wav');
  writeFileSync(path, wav);
  row = await store.recordings.add(acme.id, {
    id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    call_id: 'call-1',
    path,
    content_type: 'audio/wav',
    duration_ms: 1000,
    size_bytes: wav.length,
    source: 'twiml',
  });
  gone = await store.recordings.add(acme.id, {
    call_id: 'call-2',
    path: join(dir, 'missing.wav'),
    content_type: 'audio/wav',
    duration_ms: 500,
    size_bytes: 100,
  });
  app = Fastify();
  await app.register(twilioRecordings, { store, publicUrl: () => PUBLIC });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  await app.close();
  await store.close();
});

const url = (accountId: string, sid: string): string => `${base}/2010-04-01/Accounts/${accountId}/Recordings/${sid}`;

async function assertTwilio404(res: Response, path: string): Promise<void> {
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.code, 20404);
  assert.equal(body.status, 404);
  assert.equal(body.more_info, 'https://www.twilio.com/docs/errors/20404');
  assert.match(String(body.message), new RegExp(`The requested resource ${path.replace(/\./g, '\\.')} was not found`));
}

test('the audio: without suffix, .wav and .mp3 stream the stored WAV with its type and length', async () => {
  for (const suffix of ['', '.wav', '.mp3']) {
    const res = await fetch(url(acme.id, `RE${row.id}${suffix}`));
    assert.equal(res.status, 200, suffix);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.equal(res.headers.get('content-length'), String(wav.length));
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.equals(wav), `the bytes of the file (${suffix || 'no suffix'})`);
  }
});

test('byte ranges: first bytes, the tail, and an unsatisfiable range', async () => {
  let res = await fetch(url(acme.id, `RE${row.id}`), { headers: { Range: 'bytes=0-43' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes 0-43/${wav.length}`);
  assert.equal(res.headers.get('content-length'), '44');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(wav.subarray(0, 44)));

  res = await fetch(url(acme.id, `RE${row.id}.wav`), { headers: { Range: 'bytes=-10' } });
  assert.equal(res.status, 206);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(wav.subarray(wav.length - 10)));

  res = await fetch(url(acme.id, `RE${row.id}`), { headers: { Range: `bytes=${wav.length}-` } });
  assert.equal(res.status, 416);
  assert.equal(res.headers.get('content-range'), `bytes */${wav.length}`);
  await res.arrayBuffer();
});

test('HEAD gives the type and length without a body', async () => {
  const res = await fetch(url(acme.id, `RE${row.id}`), { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  assert.equal(res.headers.get('content-length'), String(wav.length));
  assert.equal((await res.arrayBuffer()).byteLength, 0);
});

test('.json is a Twilio-shaped recording resource', async () => {
  const res = await fetch(url(acme.id, `RE${row.id}.json`));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const r = (await res.json()) as Record<string, unknown>;
  const path = `/2010-04-01/Accounts/${acme.id}/Recordings/RE${row.id}`;
  assert.equal(r.sid, `RE${row.id}`);
  assert.equal(r.account_sid, acme.id);
  assert.equal(r.call_sid, 'call-1');
  assert.equal(r.api_version, '2010-04-01');
  assert.equal(r.duration, '1');
  assert.equal(r.status, 'completed');
  assert.equal(r.source, 'RecordVerb');
  assert.equal(r.channels, 1);
  assert.equal(r.uri, `${path}.json`);
  assert.equal(r.media_url, `${PUBLIC}${path}`);
  assert.equal(r.price, null);
  assert.match(String(r.date_created), /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
  assert.equal(Date.parse(String(r.date_created)), Math.floor(row.created / 1000) * 1000);
});

test('404 with Twilio error body: unknown sid, another account, not a recording sid, unknown suffix', async () => {
  const unknown = `/2010-04-01/Accounts/${acme.id}/Recordings/RE0000000000000000000000000000dead`;
  await assertTwilio404(await fetch(`${base}${unknown}`), unknown);
  await assertTwilio404(await fetch(`${base}${unknown}.json`), `${unknown}.json`);
  // the sid exists, but under another account: it looks exactly like an unknown one
  const foreign = `/2010-04-01/Accounts/${other.id}/Recordings/RE${row.id}`;
  await assertTwilio404(await fetch(`${base}${foreign}`), foreign);
  await assertTwilio404(await fetch(`${base}${foreign}.json`), `${foreign}.json`);
  const notRe = `/2010-04-01/Accounts/${acme.id}/Recordings/CA${row.id}`;
  await assertTwilio404(await fetch(`${base}${notRe}`), notRe);
  const ogg = `/2010-04-01/Accounts/${acme.id}/Recordings/RE${row.id}.ogg`;
  await assertTwilio404(await fetch(`${base}${ogg}`), ogg);
});

test('a row whose audio file is gone: 404 for the audio, the JSON still describes it', async () => {
  const path = `/2010-04-01/Accounts/${acme.id}/Recordings/RE${gone.id}`;
  const res = await fetch(`${base}${path}`);
  assert.equal(res.status, 404);
  const body = (await res.json()) as { code: number; message: string };
  assert.equal(body.code, 20404);
  assert.match(body.message, /audio file is missing/);
  const json = await fetch(`${base}${path}.json`);
  assert.equal(json.status, 200);
  assert.equal(((await json.json()) as { source: string }).source, 'StartCallRecordingAPI');
});
