// The REST API's media, recordings, CDRs and Live Debug resources over real HTTP against a started Pivot: media
// metadata, raw uploads (WAV, MP3, µ-law) checked by decoding, downloads with their Content-Type and ranges, TTS
// documents rendered to audio, the 400/404/413/415 answers; recordings, CDRs and debug records (written through the
// store as the call runtime writes them) listed, paged, filtered, downloaded and deleted; and the tenant rule for
// every endpoint and verb (a sibling's token 403, a sub-account's token on its parent 403, another account's ids 404).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaReference } from '../../src/call/media-source.js';
import { promptPreparer } from '../../src/call/prompts.js';
import { PromptCache, promptCacheDir } from '../../src/media/prompts/cache.js';
import { decodeAudio, encodeWav, toUlaw } from '../../src/media/prompts/audio.js';
import { createTtsRegistry } from '../../src/media/tts/registry.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { tenant as newTenant, plainUser } from '../helpers/tenants.js';
import { wavHeader } from '../helpers/e2e.js';

let api: ApiServer;
let admin: string;
/** Siblings under the master account, and a sub-account of A. */
let A: { id: string; token: string };
let B: { id: string; token: string };
let A1: { id: string; token: string };
/** A `user` (not admin) token of A. */
let userA: string;

/** A sub-account of `parentId` with an admin user `boss` logged in. */
const tenant = (parentToken: string, parentId: string, name: string) => newTenant(api, parentToken, parentId, name);

before(async () => {
  api = await apiServer({ min: 39600, max: 39699 });
  admin = await api.login('admin', 'admin', api.adminPassword);
  A = await tenant(admin, api.masterId, 'media-a');
  B = await tenant(admin, api.masterId, 'media-b');
  A1 = await tenant(A.token, A.id, 'media-a1');
  userA = (await plainUser(api, { id: A.id, name: 'media-a' }, 'clerk')).token;
});

after(async () => {
  await api.stop();
});

interface RawAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: any;
}

/** Any request with a binary body and/or a binary answer. */
async function raw(
  method: string,
  path: string,
  opts: { token?: string; body?: Buffer | string; type?: string; accept?: string; range?: string } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers['X-Auth-Token'] = opts.token;
  if (opts.type) headers['Content-Type'] = opts.type;
  if (opts.accept) headers.Accept = opts.accept;
  if (opts.range) headers.Range = opts.range;
  const res = await fetch(`${api.base}${path}`, {
    method,
    headers,
    body: typeof opts.body === 'string' || opts.body === undefined ? opts.body : new Uint8Array(opts.body),
    signal: AbortSignal.timeout(20_000),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  if ((res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, headers: res.headers, bytes, json };
}

/** A sine as 16-bit mono PCM. */
function sine(hz: number, seconds: number, rate: number, amplitude = 0.5): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * amplitude * 32767);
  return out;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

const mediaDir = (accountId: string): string => join(api.server.settings.dataDir, 'media', accountId);
const filesOf = (accountId: string): string[] =>
  existsSync(mediaDir(accountId)) ? readdirSync(mediaDir(accountId)).filter((f) => !f.includes('.tmp-')) : [];

async function createMedia(token: string, accountId: string, data: Record<string, unknown>) {
  const res = await api.call('PUT', `/v2/accounts/${accountId}/media`, { token, data });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data as Record<string, any>;
}

// ---- media ----------------------------------------------------------------------------------------------------

describe('media', () => {
  test('an upload document is created, read and listed; it has no audio until one is sent', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'Welcome', description: 'front desk greeting' });
    assert.match(doc.id, /^[0-9a-f]{32}$/);
    assert.equal(doc.name, 'Welcome');
    assert.equal(doc.media_source, 'upload', 'upload is the default source');
    assert.equal(doc.path, undefined, 'the file path is never shown');
    const read = await api.call('GET', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.description, 'front desk greeting');
    assert.ok(read.body.revision, 'a revision');
    assert.ok(read.headers.get('etag'));
    const list = await api.call('GET', `/v2/accounts/${A.id}/media`, { token: A.token });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.some((m: any) => m.id === doc.id));
    const audio = await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token });
    assert.equal(audio.status, 404);
    assert.match(audio.json.message, /has no audio yet/);
    // A user token reads, but only admins write.
    assert.equal((await api.call('GET', `/v2/accounts/${A.id}/media/${doc.id}`, { token: userA })).status, 200);
    const denied = await api.call('PUT', `/v2/accounts/${A.id}/media`, { token: userA, data: { name: 'x' } });
    assert.equal(denied.status, 403);
  });

  test('validation names the field and rule; file fields a client sends are ignored', async () => {
    const missing = await api.call('PUT', `/v2/accounts/${A.id}/media`, { token: A.token, data: { description: 'x' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.message, 'invalid data');
    assert.ok(missing.body.data.name.required);
    const badSource = await api.call('PUT', `/v2/accounts/${A.id}/media`, {
      token: A.token,
      data: { name: 'x', media_source: 'fax' },
    });
    assert.equal(badSource.status, 400);
    assert.ok(badSource.body.data.media_source.enum);
    const noText = await api.call('PUT', `/v2/accounts/${A.id}/media`, {
      token: A.token,
      data: { name: 'x', media_source: 'tts' },
    });
    assert.equal(noText.status, 400);
    assert.ok(noText.body.data['tts.text'].required);
    const longText = await api.call('PUT', `/v2/accounts/${A.id}/media`, {
      token: A.token,
      data: { name: 'x', media_source: 'tts', tts: { text: 'a'.repeat(5000) } },
    });
    assert.equal(longText.status, 400);
    assert.ok(longText.body.data['tts.text'].maxLength);
    const noBody = await api.call('PUT', `/v2/accounts/${A.id}/media`, { token: A.token });
    assert.equal(noBody.status, 400);
    const notJson = await api.call('PUT', `/v2/accounts/${A.id}/media`, {
      token: A.token,
      body: 'name=x',
      type: 'text/plain',
    });
    assert.equal(notJson.status, 415);
    const audioBody = await raw('PUT', `/v2/accounts/${A.id}/media`, {
      token: A.token,
      body: encodeWav(sine(440, 0.1, 8000), 8000),
      type: 'audio/wav',
    });
    assert.equal(audioBody.status, 415, 'audio is for …/raw only');
    const sneaky = await createMedia(A.token, A.id, { name: 'sneaky', path: '/etc/passwd', content_type: 'audio/wav' });
    assert.equal(sneaky.content_type, undefined);
    const stored = await api.server.store.media.get(A.id, sneaky.id);
    assert.equal(stored?.path, undefined, 'a client cannot point a media document at a file');
    assert.equal((await raw('GET', `/v2/accounts/${A.id}/media/${sneaky.id}/raw`, { token: A.token })).status, 404);
  });

  test('a WAV upload is kept as sent: the download is the same bytes with audio/wav; ranges work', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'tone' });
    const wav = encodeWav(sine(440, 1, 16000), 16000);
    const up = await raw('PUT', `/v2/accounts/${A.id}/media/${doc.id}/raw`, {
      token: A.token,
      body: wav,
      type: 'audio/wav',
    });
    assert.equal(up.status, 200, up.bytes.toString());
    assert.equal(up.json.data.content_type, 'audio/wav');
    assert.equal(up.json.data.content_length, wav.length);
    assert.equal(up.json.data.duration_ms, 1000);
    assert.equal(up.json.data.media_source, 'upload');
    assert.equal(up.json.data.path, undefined);
    const down = await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token });
    assert.equal(down.status, 200);
    assert.equal(down.headers.get('content-type'), 'audio/wav');
    assert.ok(down.bytes.equals(wav), 'the same bytes back');
    const part = await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token, range: 'bytes=0-11' });
    assert.equal(part.status, 206);
    assert.equal(part.bytes.toString('latin1', 0, 4), 'RIFF');
    assert.equal(part.bytes.length, 12);
    assert.equal(part.headers.get('content-range'), `bytes 0-11/${wav.length}`);
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 1);

    // A new upload (KAZOO's POST form) replaces the file; the old one is gone.
    const again = await raw('POST', `/v2/accounts/${A.id}/media/${doc.id}/raw`, {
      token: A.token,
      body: encodeWav(sine(880, 0.5, 8000), 8000),
      type: 'audio/x-wav',
    });
    assert.equal(again.status, 200);
    assert.equal(again.json.data.duration_ms, 500);
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 1, 'the old file was removed');
  });

  test('uploaded media plays by id: the prompt preparer of calls finds the file', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'played' });
    await raw('PUT', `/v2/accounts/${A.id}/media/${doc.id}/raw`, {
      token: A.token,
      body: encodeWav(sine(440, 2, 8000), 8000),
      type: 'audio/wav',
    });
    const cache = new PromptCache({
      dir: promptCacheDir(mkdtempSync(join(tmpdir(), 'pivot-media-play-'))),
      fetcher: async () => ({ error: 'no fetching' }),
      tts: createTtsRegistry(),
    });
    const prepare = promptPreparer(cache, api.server.store);
    const prepared = await prepare({ kind: 'media', id: doc.id }, A.id);
    assert.ok('path' in prepared, JSON.stringify(prepared));
    assert.equal(readFileSync(prepared.path).length, 16000, '2 s of 8 kHz µ-law');
    // Kazoo's /<account>/<media> form resolves to the same document; under another account the id is unknown.
    const ref = mediaReference(`/${A.id}/${doc.id}`);
    assert.deepEqual(ref, { kind: 'media', id: doc.id });
    const again = await prepare(ref as { kind: 'media'; id: string }, A.id);
    assert.ok('path' in again && again.path === prepared.path);
    const other = await prepare({ kind: 'media', id: doc.id }, B.id);
    assert.ok('error' in other);
  });

  test('headerless µ-law (audio/basic) becomes a WAV; MP3 is kept as MP3', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'ulaw' });
    const ulaw = Buffer.from(toUlaw(sine(1000, 1.5, 8000)));
    const up = await raw('PUT', `/v2/accounts/${A.id}/media/${doc.id}/raw`, {
      token: A.token,
      body: ulaw,
      type: 'audio/basic',
    });
    assert.equal(up.status, 200, up.bytes.toString());
    assert.equal(up.json.data.content_type, 'audio/wav');
    assert.equal(up.json.data.duration_ms, 1500);
    const down = await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token });
    const h = wavHeader(down.bytes);
    assert.deepEqual([h.format, h.channels, h.sampleRate, h.bitsPerSample], [1, 1, 8000, 16]);
    assert.ok(Math.abs(h.seconds - 1.5) < 0.01);

    const tmp = mkdtempSync(join(tmpdir(), 'pivot-media-mp3-'));
    writeFileSync(join(tmp, 'in.wav'), encodeWav(sine(440, 1, 22050), 22050));
    execFileSync('lame', ['--quiet', '-b', '64', join(tmp, 'in.wav'), join(tmp, 'out.mp3')]);
    const mp3 = readFileSync(join(tmp, 'out.mp3'));
    const doc2 = await createMedia(A.token, A.id, { name: 'mp3' });
    const up2 = await raw('PUT', `/v2/accounts/${A.id}/media/${doc2.id}/raw`, {
      token: A.token,
      body: mp3,
      type: 'audio/mpeg',
    });
    assert.equal(up2.status, 200, up2.bytes.toString());
    assert.equal(up2.json.data.content_type, 'audio/mpeg');
    assert.ok(Math.abs(up2.json.data.duration_ms - 1000) < 100, `duration ${up2.json.data.duration_ms}`);
    const down2 = await raw('GET', `/v2/accounts/${A.id}/media/${doc2.id}/raw`, { token: A.token });
    assert.equal(down2.headers.get('content-type'), 'audio/mpeg');
    assert.ok(down2.bytes.equals(mp3));
  });

  test('uploads that are not audio: 415 naming the supported types, 400 with the reason, 413 over the limit', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'bad uploads' });
    const url = `/v2/accounts/${A.id}/media/${doc.id}/raw`;
    for (const type of ['text/plain', 'application/json', 'audio/ogg', 'application/octet-stream']) {
      const res = await raw('PUT', url, { token: A.token, body: 'hello', type });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.error, '415');
      assert.match(res.json.message, /audio\/wav/);
      assert.ok(res.json.data.supported.includes('audio/mpeg'));
    }
    const none = await raw('PUT', url, { token: A.token });
    assert.equal(none.status, 415);
    const garbage = await raw('PUT', url, { token: A.token, body: 'this is not a wav file at all', type: 'audio/wav' });
    assert.equal(garbage.status, 400);
    assert.match(garbage.json.message, /not audio Pivot can decode/);
    assert.ok(garbage.json.data.file.audio.message);
    const html = await raw('PUT', url, { token: A.token, body: '<html><body>oops</body></html>', type: 'audio/mpeg' });
    assert.equal(html.status, 400);
    const empty = await raw('PUT', url, { token: A.token, body: Buffer.alloc(0), type: 'audio/wav' });
    assert.equal(empty.status, 400);
    const big = await raw('PUT', url, { token: A.token, body: Buffer.alloc(16 * 1024 * 1024 + 1), type: 'audio/wav' });
    assert.equal(big.status, 413);
    assert.match(big.json.message, /too large/);
    const after = await api.call('GET', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token });
    assert.equal(after.body.data.content_type, undefined, 'no audio was attached');
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 0, 'nothing was kept');
    const unknown = await raw('PUT', `/v2/accounts/${A.id}/media/nope/raw`, {
      token: A.token,
      body: encodeWav(sine(440, 0.1, 8000), 8000),
      type: 'audio/wav',
    });
    assert.equal(unknown.status, 404);
    const asUser = await raw('PUT', url, {
      token: userA,
      body: encodeWav(sine(440, 0.1, 8000), 8000),
      type: 'audio/wav',
    });
    assert.equal(asUser.status, 403);
  });

  test('a TTS document is spoken at once: its raw download is audio; new text renders again', async () => {
    const doc = await createMedia(A.token, A.id, {
      name: 'tts greeting',
      media_source: 'tts',
      tts: { text: 'Thank you for calling Pivot.', language: 'en-US' },
    });
    assert.equal(doc.content_type, 'audio/wav');
    assert.ok(doc.duration_ms > 500, `duration ${doc.duration_ms}`);
    const down = await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token });
    assert.equal(down.status, 200);
    assert.equal(down.headers.get('content-type'), 'audio/wav');
    const h = wavHeader(down.bytes);
    assert.equal(h.sampleRate, 8000);
    assert.ok(Math.abs(h.seconds * 1000 - doc.duration_ms) < 30);
    const samples = await decodeAudio(down.bytes, 'audio/wav');
    assert.ok(rms(samples) > 300, `speech, not silence (RMS ${rms(samples)})`);

    const patched = await api.call('PATCH', `/v2/accounts/${A.id}/media/${doc.id}`, {
      token: A.token,
      data: { tts: { text: 'A much longer sentence, spoken after the greeting was changed by the admin.' } },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.data.tts.language, 'en-US', 'PATCH merges the tts object');
    assert.ok(patched.body.data.duration_ms > doc.duration_ms);
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 1, 'the old rendering was removed');

    // A name change keeps the rendering.
    const renamed = await api.call('PATCH', `/v2/accounts/${A.id}/media/${doc.id}`, {
      token: A.token,
      data: { name: 'renamed' },
    });
    assert.equal(renamed.body.data.duration_ms, patched.body.data.duration_ms);

    // Turned into an upload document, it has no audio until one is sent.
    const toUpload = await api.call('PATCH', `/v2/accounts/${A.id}/media/${doc.id}`, {
      token: A.token,
      data: { media_source: 'upload' },
    });
    assert.equal(toUpload.status, 200);
    assert.equal(toUpload.body.data.content_type, undefined);
    assert.equal((await raw('GET', `/v2/accounts/${A.id}/media/${doc.id}/raw`, { token: A.token })).status, 404);
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 0);
  });

  test('POST replaces the client fields and keeps the audio; DELETE removes the document and its file', async () => {
    const doc = await createMedia(A.token, A.id, { name: 'replace me', description: 'old', language: 'en-us' });
    await raw('PUT', `/v2/accounts/${A.id}/media/${doc.id}/raw`, {
      token: A.token,
      body: encodeWav(sine(440, 0.4, 8000), 8000),
      type: 'audio/wav',
    });
    const replaced = await api.call('POST', `/v2/accounts/${A.id}/media/${doc.id}`, {
      token: A.token,
      data: { name: 'replaced' },
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.data.name, 'replaced');
    assert.equal(replaced.body.data.description, undefined, 'fields left out are removed');
    assert.equal(replaced.body.data.duration_ms, 400, 'the audio stays');
    const noName = await api.call('POST', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token, data: {} });
    assert.equal(noName.status, 400);
    assert.equal(
      (await api.call('POST', `/v2/accounts/${A.id}/media/nope`, { token: A.token, data: { name: 'x' } })).status,
      404,
    );
    assert.equal(
      (await api.call('PATCH', `/v2/accounts/${A.id}/media/nope`, { token: A.token, data: { name: 'x' } })).status,
      404,
    );
    assert.equal(
      (await api.call('PATCH', `/v2/accounts/${A.id}/media/${doc.id}`, { token: userA, data: { name: 'x' } })).status,
      403,
    );
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 1);
    const del = await api.call('DELETE', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token });
    assert.equal(del.status, 200);
    assert.equal(del.body.data.id, doc.id);
    assert.equal(filesOf(A.id).filter((f) => f.startsWith(doc.id)).length, 0, 'its file is gone');
    assert.equal((await api.call('GET', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token })).status, 404);
    assert.equal((await api.call('DELETE', `/v2/accounts/${A.id}/media/${doc.id}`, { token: A.token })).status, 404);
  });

  test('listings page with page_size/start_key and narrow with filter_* and created_from/created_to', async () => {
    const t = await tenant(admin, api.masterId, 'media-pages');
    const names = ['one', 'two', 'three'];
    for (const name of names) await createMedia(t.token, t.id, { name, language: name === 'two' ? 'fr-fr' : 'en-us' });
    const first = await api.call('GET', `/v2/accounts/${t.id}/media?page_size=2`, { token: t.token });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.data.map((m: any) => m.name),
      ['one', 'two'],
    );
    assert.equal(first.body.page_size, 2);
    assert.ok(first.body.next_start_key);
    const second = await api.call(
      'GET',
      `/v2/accounts/${t.id}/media?page_size=2&start_key=${encodeURIComponent(String(first.body.next_start_key))}`,
      { token: t.token },
    );
    assert.deepEqual(
      second.body.data.map((m: any) => m.name),
      ['three'],
    );
    assert.equal(second.body.next_start_key, undefined);
    const filtered = await api.call('GET', `/v2/accounts/${t.id}/media?filter_language=fr-fr`, { token: t.token });
    assert.deepEqual(
      filtered.body.data.map((m: any) => m.name),
      ['two'],
    );
    const future = Math.ceil(Date.now() / 1000) + 3600;
    const none = await api.call('GET', `/v2/accounts/${t.id}/media?created_from=${future}`, { token: t.token });
    assert.deepEqual(none.body.data, []);
    const past = await api.call('GET', `/v2/accounts/${t.id}/media?created_to=2000-01-01T00:00:00Z`, {
      token: t.token,
    });
    assert.deepEqual(past.body.data, []);
    const bad = await api.call('GET', `/v2/accounts/${t.id}/media?page_size=0`, { token: t.token });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.data.page_size);
    const badTime = await api.call('GET', `/v2/accounts/${t.id}/media?created_from=yesterday`, { token: t.token });
    assert.equal(badTime.status, 400);
  });
});

// ---- recordings -----------------------------------------------------------------------------------------------

/** A recording row as the call runtime adds it, with a real WAV file under the data dir. */
async function recording(accountId: string, callId: string, seconds: number, created?: number) {
  const dir = join(api.server.settings.dataDir, 'recordings', accountId);
  mkdirSync(dir, { recursive: true });
  const wav = encodeWav(sine(440, seconds, 8000), 8000);
  const id = `${callId}-rec`.replace(/[^A-Za-z0-9-]/g, '');
  const path = join(dir, `${id}.wav`);
  writeFileSync(path, wav);
  const row = await api.server.store.recordings.add(accountId, {
    id,
    call_id: callId,
    path,
    content_type: 'audio/wav',
    duration_ms: seconds * 1000,
    size_bytes: wav.length,
    source: 'record_call',
    ...(created ? { created } : {}),
  });
  return { row, wav, path };
}

describe('deleting an account', () => {
  test('removes its media, recording and voicemail files with its documents', async () => {
    const gone = await tenant(admin, api.masterId, 'media-gone');
    const doc = await createMedia(gone.token, gone.id, { name: 'prompt' });
    const up = await raw('PUT', `/v2/accounts/${gone.id}/media/${doc.id}/raw`, {
      token: gone.token,
      body: encodeWav(sine(440, 0.5, 8000), 8000),
      type: 'audio/wav',
    });
    assert.equal(up.status, 200);
    assert.equal(filesOf(gone.id).length, 1);
    const other = await createMedia(B.token, B.id, { name: 'kept' });
    await raw('PUT', `/v2/accounts/${B.id}/media/${other.id}/raw`, {
      token: B.token,
      body: encodeWav(sine(440, 0.5, 8000), 8000),
      type: 'audio/wav',
    });
    const kept = filesOf(B.id).find((f) => f.startsWith(other.id));
    assert.ok(kept, "B's media file is there");
    const dataDir = api.server.settings.dataDir;
    for (const kind of ['recordings', 'voicemail']) {
      mkdirSync(join(dataDir, kind, gone.id), { recursive: true });
      writeFileSync(join(dataDir, kind, gone.id, 'x.wav'), encodeWav(sine(440, 0.1, 8000), 8000));
    }
    assert.equal((await api.call('DELETE', `/v2/accounts/${gone.id}`, { token: admin })).status, 200);
    for (const kind of ['media', 'recordings', 'voicemail']) {
      assert.equal(existsSync(join(dataDir, kind, gone.id)), false, `${kind} files of the account are gone`);
    }
    assert.ok(filesOf(B.id).includes(kept), 'other accounts keep theirs');
  });
});

describe('recordings', () => {
  test('listed (by call_id too), read as metadata, downloaded as audio, deleted with their file', async () => {
    const r1 = await recording(A.id, 'call-rec-1', 1, Date.now() - 3000);
    const r2 = await recording(A.id, 'call-rec-2', 2, Date.now() - 2000);
    await recording(A.id, 'call-rec-3', 1, Date.now() - 1000);
    const list = await api.call('GET', `/v2/accounts/${A.id}/recordings`, { token: A.token });
    assert.equal(list.status, 200);
    assert.ok(list.body.data.length >= 3);
    assert.ok(
      list.body.data.every((r: any) => r.path === undefined),
      'no file paths',
    );
    const byCall = await api.call('GET', `/v2/accounts/${A.id}/recordings?call_id=call-rec-2`, { token: A.token });
    assert.deepEqual(
      byCall.body.data.map((r: any) => r.id),
      [r2.row.id],
    );
    const byFilter = await api.call('GET', `/v2/accounts/${A.id}/recordings?filter_call_id=call-rec-1`, {
      token: A.token,
    });
    assert.deepEqual(
      byFilter.body.data.map((r: any) => r.id),
      [r1.row.id],
    );
    const page = await api.call('GET', `/v2/accounts/${A.id}/recordings?page_size=2`, { token: A.token });
    assert.equal(page.body.data.length, 2);
    assert.ok(page.body.next_start_key);
    const rest = await api.call(
      'GET',
      `/v2/accounts/${A.id}/recordings?page_size=2&start_key=${encodeURIComponent(String(page.body.next_start_key))}`,
      { token: A.token },
    );
    assert.equal(rest.body.data.length, 1);

    const meta = await api.call('GET', `/v2/accounts/${A.id}/recordings/${r2.row.id}`, { token: A.token });
    assert.equal(meta.status, 200);
    assert.equal(meta.body.data.call_id, 'call-rec-2');
    assert.equal(meta.body.data.duration_ms, 2000);
    assert.equal(meta.body.data.path, undefined);
    const asAudio = await raw('GET', `/v2/accounts/${A.id}/recordings/${r2.row.id}`, {
      token: A.token,
      accept: 'audio/*',
    });
    assert.equal(asAudio.status, 200);
    assert.equal(asAudio.headers.get('content-type'), 'audio/wav');
    assert.ok(asAudio.bytes.equals(r2.wav));
    const rawDown = await raw('GET', `/v2/accounts/${A.id}/recordings/${r2.row.id}/raw`, { token: userA });
    assert.ok(rawDown.bytes.equals(r2.wav), 'a user token downloads too');
    const tail = await raw('GET', `/v2/accounts/${A.id}/recordings/${r2.row.id}/raw`, {
      token: A.token,
      range: 'bytes=-100',
    });
    assert.equal(tail.status, 206);
    assert.ok(tail.bytes.equals(r2.wav.subarray(r2.wav.length - 100)));

    assert.equal(
      (await api.call('DELETE', `/v2/accounts/${A.id}/recordings/${r2.row.id}`, { token: userA })).status,
      403,
    );
    const del = await api.call('DELETE', `/v2/accounts/${A.id}/recordings/${r2.row.id}`, { token: A.token });
    assert.equal(del.status, 200);
    assert.equal(del.body.data.id, r2.row.id);
    assert.ok(!existsSync(r2.path), 'the file is deleted');
    assert.equal(await api.server.store.recordings.get(A.id, r2.row.id), undefined);
    for (const path of [`recordings/${r2.row.id}`, `recordings/${r2.row.id}/raw`, 'recordings/nope']) {
      assert.equal((await api.call('GET', `/v2/accounts/${A.id}/${path}`, { token: A.token })).status, 404, path);
    }
    assert.equal(
      (await api.call('DELETE', `/v2/accounts/${A.id}/recordings/${r2.row.id}`, { token: A.token })).status,
      404,
    );
  });

  test('a recording whose file is missing answers 404 saying so', async () => {
    const r = await recording(A.id, 'call-rec-gone', 1);
    rmSync(r.path);
    const res = await raw('GET', `/v2/accounts/${A.id}/recordings/${r.row.id}/raw`, { token: A.token });
    assert.equal(res.status, 404);
    assert.match(res.json.message, /audio file of recording .* is missing/);
  });
});

// ---- CDRs -----------------------------------------------------------------------------------------------------

describe('cdrs', () => {
  test('listed by created with paging and filters, read by id or call id, legs of a call together', async () => {
    const t = await tenant(admin, api.masterId, 'cdr-pages');
    const store = api.server.store;
    const base = Date.UTC(2025, 4, 10, 12, 0, 0);
    const parent = await store.cdrs.add(t.id, { call_id: 'leg-parent', direction: 'inbound', created: base });
    const child1 = await store.cdrs.add(t.id, {
      call_id: 'leg-child-1',
      direction: 'outbound-dial',
      parent_call_id: 'leg-parent',
      created: base + 1000,
    });
    const child2 = await store.cdrs.add(t.id, {
      call_id: 'leg-child-2',
      direction: 'outbound-dial',
      parent_call_id: 'leg-parent',
      created: base + 2000,
    });
    const lone = await store.cdrs.add(t.id, { call_id: 'lone', direction: 'inbound', created: base + 60_000 });

    const all = await api.call('GET', `/v2/accounts/${t.id}/cdrs`, { token: t.token });
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.data.map((c: any) => c.call_id),
      ['leg-parent', 'leg-child-1', 'leg-child-2', 'lone'],
    );
    const p1 = await api.call('GET', `/v2/accounts/${t.id}/cdrs?page_size=3`, { token: t.token });
    assert.equal(p1.body.data.length, 3);
    const p2 = await api.call(
      'GET',
      `/v2/accounts/${t.id}/cdrs?page_size=3&start_key=${encodeURIComponent(String(p1.body.next_start_key))}`,
      { token: t.token },
    );
    assert.deepEqual(
      p2.body.data.map((c: any) => c.call_id),
      ['lone'],
    );
    const ranged = await api.call(
      'GET',
      `/v2/accounts/${t.id}/cdrs?created_from=${(base + 500) / 1000}&created_to=${new Date(base + 2000).toISOString()}`,
      { token: t.token },
    );
    assert.deepEqual(
      ranged.body.data.map((c: any) => c.call_id),
      ['leg-child-1', 'leg-child-2'],
    );
    const dials = await api.call('GET', `/v2/accounts/${t.id}/cdrs?filter_direction=outbound-dial`, { token: t.token });
    assert.equal(dials.body.data.length, 2);

    const byId = await api.call('GET', `/v2/accounts/${t.id}/cdrs/${lone.id}`, { token: t.token });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.data.call_id, 'lone');
    const byCall = await api.call('GET', `/v2/accounts/${t.id}/cdrs/leg-child-1`, { token: t.token });
    assert.equal(byCall.body.data.id, child1.id);
    const byKazooId = await api.call('GET', `/v2/accounts/${t.id}/cdrs/202505-lone`, { token: t.token });
    assert.equal(byKazooId.body.data.id, lone.id);
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}/cdrs/nope`, { token: t.token })).status, 404);

    for (const from of ['leg-parent', 'leg-child-2']) {
      const legs = await api.call('GET', `/v2/accounts/${t.id}/cdrs/legs/${from}`, { token: t.token });
      assert.equal(legs.status, 200);
      assert.deepEqual(
        legs.body.data.map((c: any) => c.id),
        [parent.id, child1.id, child2.id],
        from,
      );
    }
    const loneLegs = await api.call('GET', `/v2/accounts/${t.id}/cdrs/legs/lone`, { token: t.token });
    assert.deepEqual(
      loneLegs.body.data.map((c: any) => c.id),
      [lone.id],
    );
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}/cdrs/legs/nope`, { token: t.token })).status, 404);
  });
});

// ---- Live Debug -----------------------------------------------------------------------------------------------

describe('pivot debug', () => {
  test('one summary per call, newest first, paged and filtered; a call read back by id or YYYYMM-<call_id>', async () => {
    const t = await tenant(admin, api.masterId, 'debug-pages');
    const store = api.server.store;
    const base = Date.UTC(2025, 5, 1, 8, 0, 0);
    for (const [i, callId] of ['dbg-1', 'dbg-2', 'dbg-3'].entries()) {
      const at = base + i * 60_000;
      await store.pivotDebug.add(t.id, {
        call_id: callId,
        iteration: 1,
        kind: 'request',
        created: at,
        uri: `http://app.test/voice/${i}`,
        method: 'post',
        req_headers: { 'content-type': 'application/x-www-form-urlencoded' },
        req_body: `CallSid=${callId}`,
      });
      await store.pivotDebug.add(t.id, {
        call_id: callId,
        iteration: 1,
        kind: 'response',
        created: at + 40,
        resp_status_code: i === 1 ? 500 : 200,
        resp_headers: { 'content-type': 'text/xml' },
        resp_body: '<Response><Hangup/></Response>',
        duration_ms: 40,
      });
    }
    const list = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug`, { token: t.token });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.data.map((s: any) => s.call_id),
      ['dbg-3', 'dbg-2', 'dbg-1'],
    );
    const s = list.body.data[2];
    assert.equal(s.debug_id, '202506-dbg-1');
    assert.equal(s.uri, 'http://app.test/voice/0');
    assert.equal(s.status_code, 200);
    assert.equal(s.iteration, 1);
    assert.equal(s.duration_ms, 40);
    assert.equal(s.has_schema_errors, false);
    assert.equal(s.has_json_errors, false);

    const p1 = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug?page_size=2`, { token: t.token });
    assert.deepEqual(
      p1.body.data.map((x: any) => x.call_id),
      ['dbg-3', 'dbg-2'],
    );
    const p2 = await api.call(
      'GET',
      `/v2/accounts/${t.id}/pivot/debug?page_size=2&start_key=${encodeURIComponent(String(p1.body.next_start_key))}`,
      { token: t.token },
    );
    assert.deepEqual(
      p2.body.data.map((x: any) => x.call_id),
      ['dbg-1'],
    );
    assert.equal(p2.body.next_start_key, undefined);
    const ranged = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug?created_to=${(base + 60_000) / 1000}`, {
      token: t.token,
    });
    assert.deepEqual(
      ranged.body.data.map((x: any) => x.call_id),
      ['dbg-2', 'dbg-1'],
    );
    const failed = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug?filter_status_code=500`, {
      token: t.token,
    });
    assert.deepEqual(
      failed.body.data.map((x: any) => x.call_id),
      ['dbg-2'],
    );
    const ok1 = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug?filter_status_code=200&page_size=1`, {
      token: t.token,
    });
    assert.deepEqual(
      ok1.body.data.map((x: any) => x.call_id),
      ['dbg-3'],
    );
    const ok2 = await api.call(
      'GET',
      `/v2/accounts/${t.id}/pivot/debug?filter_status_code=200&page_size=1&start_key=${encodeURIComponent(String(ok1.body.next_start_key))}`,
      { token: t.token },
    );
    assert.deepEqual(
      ok2.body.data.map((x: any) => x.call_id),
      ['dbg-1'],
    );

    for (const id of ['dbg-2', '202506-dbg-2']) {
      const records = await api.call('GET', `/v2/accounts/${t.id}/pivot/debug/${id}`, { token: t.token });
      assert.equal(records.status, 200, id);
      assert.deepEqual(
        records.body.data.map((r: any) => r.kind),
        ['request', 'response'],
      );
      assert.equal(records.body.data[0].req_body, 'CallSid=dbg-2');
      assert.equal(records.body.data[1].resp_status_code, 500);
      assert.ok(records.body.data.every((r: any) => r.debug_id === '202506-dbg-2'));
    }
    assert.equal(
      (await api.call('GET', `/v2/accounts/${t.id}/pivot/debug/202401-dbg-2`, { token: t.token })).status,
      404,
    );
    assert.equal((await api.call('GET', `/v2/accounts/${t.id}/pivot/debug/nope`, { token: t.token })).status, 404);
  });
});

// ---- tenant isolation -----------------------------------------------------------------------------------------

describe('tenant isolation', () => {
  /** Documents of B (and of A, for the parent test) of every resource. */
  async function docsOf(t: { id: string; token: string }, tag: string) {
    const media = await createMedia(t.token, t.id, { name: `${tag} media` });
    await raw('PUT', `/v2/accounts/${t.id}/media/${media.id}/raw`, {
      token: t.token,
      body: encodeWav(sine(440, 0.2, 8000), 8000),
      type: 'audio/wav',
    });
    const rec = await recording(t.id, `${tag}-call`, 1);
    const cdr = await api.server.store.cdrs.add(t.id, { call_id: `${tag}-call` });
    await api.server.store.pivotDebug.add(t.id, { call_id: `${tag}-call`, iteration: 1, kind: 'request' });
    return { media: media.id, recording: rec.row.id, cdr: cdr.id, call: `${tag}-call` };
  }

  /** Every endpoint of these resources, with the ids it names. */
  function endpoints(account: string, ids: { media: string; recording: string; cdr: string; call: string }) {
    const wav = encodeWav(sine(440, 0.1, 8000), 8000);
    const a = `/v2/accounts/${account}`;
    return [
      { method: 'GET', path: `${a}/media` },
      { method: 'PUT', path: `${a}/media`, data: { name: 'intruder' } },
      { method: 'GET', path: `${a}/media/${ids.media}`, id: true },
      { method: 'POST', path: `${a}/media/${ids.media}`, data: { name: 'intruder' }, id: true },
      { method: 'PATCH', path: `${a}/media/${ids.media}`, data: { name: 'intruder' }, id: true },
      { method: 'DELETE', path: `${a}/media/${ids.media}`, id: true },
      { method: 'PUT', path: `${a}/media/${ids.media}/raw`, audio: wav, id: true },
      { method: 'POST', path: `${a}/media/${ids.media}/raw`, audio: wav, id: true },
      { method: 'GET', path: `${a}/media/${ids.media}/raw`, id: true },
      { method: 'GET', path: `${a}/recordings` },
      { method: 'GET', path: `${a}/recordings/${ids.recording}`, id: true },
      { method: 'GET', path: `${a}/recordings/${ids.recording}`, accept: 'audio/*', id: true },
      { method: 'GET', path: `${a}/recordings/${ids.recording}/raw`, id: true },
      { method: 'DELETE', path: `${a}/recordings/${ids.recording}`, id: true },
      { method: 'GET', path: `${a}/cdrs` },
      { method: 'GET', path: `${a}/cdrs/${ids.cdr}`, id: true },
      { method: 'GET', path: `${a}/cdrs/${ids.call}`, id: true },
      { method: 'GET', path: `${a}/cdrs/legs/${ids.call}`, id: true },
      { method: 'GET', path: `${a}/pivot/debug` },
      { method: 'GET', path: `${a}/pivot/debug/${ids.call}`, id: true },
      { method: 'GET', path: `${a}/channels` },
      { method: 'GET', path: `${a}/channels/${ids.call}`, id: true },
      { method: 'POST', path: `${a}/channels/${ids.call}`, data: { action: 'hangup' }, id: true },
    ] as { method: string; path: string; data?: unknown; audio?: Buffer; accept?: string; id?: boolean }[];
  }

  async function request(e: ReturnType<typeof endpoints>[number], token: string): Promise<RawAnswer> {
    if (e.audio) return raw(e.method, e.path, { token, body: e.audio, type: 'audio/wav' });
    if (e.data)
      return raw(e.method, e.path, { token, body: JSON.stringify({ data: e.data }), type: 'application/json' });
    return raw(e.method, e.path, { token, ...(e.accept ? { accept: e.accept } : {}) });
  }

  test("a sibling's token gets 403 on every endpoint of the other account, and changes nothing", async () => {
    const ids = await docsOf(B, 'iso-b');
    for (const e of endpoints(B.id, ids)) {
      const res = await request(e, A.token);
      assert.equal(res.status, 403, `${e.method} ${e.path}: ${res.bytes.toString().slice(0, 200)}`);
      assert.equal(res.json?.error, '403');
    }
    assert.equal((await api.server.store.media.get(B.id, ids.media))?.name, 'iso-b media');
    assert.ok(await api.server.store.recordings.get(B.id, ids.recording));
  });

  test("a sub-account's token gets 403 on every endpoint of its parent", async () => {
    const ids = await docsOf(A, 'iso-a');
    for (const e of endpoints(A.id, ids)) {
      const res = await request(e, A1.token);
      assert.equal(res.status, 403, `${e.method} ${e.path}`);
    }
    assert.equal((await api.server.store.media.get(A.id, ids.media))?.name, 'iso-a media');
  });

  test("another account's document ids under one's own URL are 404; its documents are not listed", async () => {
    const ids = await docsOf(B, 'iso-b2');
    for (const e of endpoints(A.id, ids)) {
      const res = await request(e, A.token);
      if (e.id) assert.equal(res.status, 404, `${e.method} ${e.path}: ${res.bytes.toString().slice(0, 200)}`);
      else if (e.method === 'GET') {
        assert.equal(res.status, 200, e.path);
        const listed = JSON.stringify(res.json.data);
        for (const id of Object.values(ids)) assert.ok(!listed.includes(id), `${e.path} lists ${id}`);
      }
    }
    // The parent reaches the child's documents through the child's URL.
    const viaParent = await api.call('GET', `/v2/accounts/${A1.id}/media`, { token: A.token });
    assert.equal(viaParent.status, 200);
    const masterReads = await api.call('GET', `/v2/accounts/${B.id}/media/${ids.media}`, { token: admin });
    assert.equal(masterReads.status, 200);
    assert.ok(await api.server.store.media.get(B.id, ids.media), 'B keeps its media');
  });
});
