// PromptCache: URLs from a real HTTP server on 127.0.0.1 (Cache-Control max-age/no-store/no-cache, ETag
// revalidation, errors), shared in-flight conversions, LRU eviction, local files, generated sources, TTS caching.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after, before } from 'node:test';
import { encodeWav, fromUlaw } from '../../../src/media/prompts/audio.js';
import {
  PromptCache,
  freshness,
  type PrepareResult,
  type PreparedPrompt,
  type PromptFetcher,
} from '../../../src/media/prompts/cache.js';
import { TtsRegistry } from '../../../src/media/tts/registry.js';
import type { TtsProvider } from '../../../src/media/tts/types.js';
import { espeakVoice, type VoiceIntent } from '../../../src/media/tts/voices.js';
import { startServer, type TestServer } from '../../helpers/http-server.js';
import { rms, sine, toInt16, zeroCrossingFreq } from './signal.js';

const root = mkdtempSync(join(tmpdir(), 'pivot-prompt-cache-'));
let dirCount = 0;
const freshDir = () => join(root, `c${++dirCount}`);

const WAV_1K = encodeWav(toInt16(sine(1000, 16000, 0.5)), 16000, 1); // 500 ms
const WAV_2K = encodeWav(toInt16(sine(2000, 16000, 0.25)), 16000, 1); // 250 ms
let server: TestServer;
let etagVersion = 1;

before(async () => {
  server = await startServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, headers: Record<string, string>, body: Buffer | string = '') => {
      res.writeHead(status, headers);
      res.end(body);
    };
    switch (path) {
      case '/maxage.wav':
        return send(200, { 'Content-Type': 'audio/wav', 'Cache-Control': 'public, max-age=60' }, WAV_1K);
      case '/nostore.wav':
        return send(200, { 'Content-Type': 'audio/wav', 'Cache-Control': 'no-store' }, WAV_1K);
      case '/etag.wav': {
        const etag = `"v${etagVersion}"`;
        if (req.headers['if-none-match'] === etag) return send(304, { ETag: etag, 'Cache-Control': 'no-cache' });
        return send(
          200,
          { 'Content-Type': 'audio/wav', ETag: etag, 'Cache-Control': 'no-cache' },
          etagVersion === 1 ? WAV_1K : WAV_2K,
        );
      }
      case '/same-body.wav':
        return send(200, { 'Content-Type': 'audio/x-wav', 'Cache-Control': 'max-age=60' }, WAV_1K);
      case '/slow.wav':
        await new Promise((r) => setTimeout(r, 150));
        return send(200, { 'Content-Type': 'audio/wav', 'Cache-Control': 'max-age=60' }, WAV_2K);
      case '/page':
        return send(200, { 'Content-Type': 'text/html; charset=utf-8' }, '<!doctype html><html><body>hi</body></html>');
      case '/bad.mp3':
        return send(200, { 'Content-Type': 'audio/mpeg' }, 'this is not an mp3 file at all, sorry');
      case '/raw.ul':
        return send(200, { 'Content-Type': 'audio/basic', 'Cache-Control': 'max-age=60' }, Buffer.alloc(800, 0xff));
      case '/flaky.wav':
        if (req.headers['if-none-match']) return send(503, {});
        return send(200, { 'Content-Type': 'audio/wav', ETag: '"f"', 'Cache-Control': 'max-age=1' }, WAV_2K);
      default:
        return send(404, { 'Content-Type': 'text/plain' }, 'not found');
    }
  });
});

after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fetcher on global fetch, as Pivot's would be minus the URL policy; 304 and 4xx come back as responses. */
const fetcher: PromptFetcher = async (url, init) => {
  try {
    const res = await fetch(url, { headers: init?.headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  } catch (err) {
    return { error: (err as Error).message };
  }
};

const hits = (path: string) => server.received.filter((r) => r.path === path).length;

function noTts(): TtsRegistry {
  return new TtsRegistry([]);
}

function cache(opts: Partial<ConstructorParameters<typeof PromptCache>[0]> & { clock?: { t: number } } = {}) {
  const clock = opts.clock ?? { t: 1_700_000_000_000 };
  return new PromptCache({ dir: freshDir(), fetcher, tts: noTts(), now: () => clock.t, ...opts });
}

function ok(r: PrepareResult): PreparedPrompt {
  if ('error' in r) assert.fail(r.error);
  return r;
}

test('URL with max-age: converted once to 8 kHz µ-law; a second prepare within max-age does not hit the server', async () => {
  const clock = { t: 1_700_000_000_000 };
  const c = cache({ clock });
  const url = `${server.base}/maxage.wav`;
  const a = ok(await c.prepare({ kind: 'url', url }));
  assert.equal(a.durationMs, 500);
  const samples = fromUlaw(readFileSync(a.path));
  assert.equal(samples.length, 4000);
  assert.ok(Math.abs(zeroCrossingFreq(samples, 8000, 40, 3960) - 1000) < 5);
  assert.equal(hits('/maxage.wav'), 1);
  clock.t += 30_000;
  const b = ok(await c.prepare({ kind: 'url', url }));
  assert.equal(b.path, a.path);
  assert.equal(hits('/maxage.wav'), 1, 'fresh: no request');
  clock.t += 31_000;
  const d = ok(await c.prepare({ kind: 'url', url }));
  assert.equal(d.path, a.path, 'same body, same content-hash file');
  assert.equal(hits('/maxage.wav'), 2, 'stale after 60 s: fetched again');
  // Another URL with the same body shares the converted file.
  const e = ok(await c.prepare({ kind: 'url', url: `${server.base}/same-body.wav` }));
  assert.equal(e.path, a.path);
});

test('no-store re-fetches every time; no-cache revalidates with If-None-Match and a 304 reuses the file', async () => {
  const c = cache();
  const nostore = `${server.base}/nostore.wav`;
  ok(await c.prepare({ kind: 'url', url: nostore }));
  ok(await c.prepare({ kind: 'url', url: nostore }));
  assert.equal(hits('/nostore.wav'), 2);

  etagVersion = 1;
  const url = `${server.base}/etag.wav`;
  const before = server.received.length;
  const a = ok(await c.prepare({ kind: 'url', url }));
  const b = ok(await c.prepare({ kind: 'url', url }));
  const reqs = server.received.slice(before).filter((r) => r.path === '/etag.wav');
  assert.equal(reqs.length, 2);
  assert.equal(reqs[0].headers['if-none-match'], undefined);
  assert.equal(reqs[1].headers['if-none-match'], '"v1"');
  assert.equal(b.path, a.path);
  etagVersion = 2;
  const d = ok(await c.prepare({ kind: 'url', url }));
  assert.notEqual(d.path, a.path, 'changed content');
  assert.equal(d.durationMs, 250);
});

test('HTTP errors, HTML and undecodable media give clear error strings', async () => {
  const c = cache();
  assert.deepEqual(await c.prepare({ kind: 'url', url: `${server.base}/missing.mp3` }), {
    error: `media ${server.base}/missing.mp3: HTTP 404`,
    kind: 'http',
  });
  assert.deepEqual(await c.prepare({ kind: 'url', url: `${server.base}/page` }), {
    error: `media ${server.base}/page: unsupported audio format (text/html)`,
    kind: 'format',
  });
  const bad = await c.prepare({ kind: 'url', url: `${server.base}/bad.mp3` });
  assert.ok('error' in bad);
  assert.match(bad.error, /^media http:\/\/127\.0\.0\.1:\d+\/bad\.mp3: cannot decode MP3: /);
  const refused = await c.prepare({ kind: 'url', url: 'http://127.0.0.1:1/a.wav' });
  assert.ok(
    'error' in refused && refused.error.startsWith('media http://127.0.0.1:1/a.wav: '),
    JSON.stringify(refused),
  );
  assert.deepEqual(await c.prepare({ kind: 'url', url: 'ftp://x/a.wav' }), {
    error: 'media ftp://x/a.wav: not an http(s) URL',
    kind: 'source',
  });
  // Raw µ-law by Content-Type.
  assert.equal(ok(await c.prepare({ kind: 'url', url: `${server.base}/raw.ul` })).durationMs, 100);
});

test('a stale copy is played when revalidation fails with 5xx, with a warning', async () => {
  const clock = { t: 1_700_000_000_000 };
  const c = cache({ clock });
  const url = `${server.base}/flaky.wav`;
  const a = ok(await c.prepare({ kind: 'url', url }));
  clock.t += 5000;
  const b = ok(await c.prepare({ kind: 'url', url }));
  assert.equal(b.path, a.path);
  assert.match(b.warning ?? '', /HTTP 503; playing the cached copy/);
});

test('concurrent prepares of one URL share one fetch and one conversion', async () => {
  const c = cache();
  const url = `${server.base}/slow.wav`;
  const results = await Promise.all(Array.from({ length: 5 }, () => c.prepare({ kind: 'url', url })));
  assert.equal(hits('/slow.wav'), 1);
  const paths = new Set(results.map((r) => ok(r).path));
  assert.equal(paths.size, 1);
});

test('URL freshness survives a restart (metadata beside the files)', async () => {
  const clock = { t: 1_700_000_000_000 };
  const dir = freshDir();
  const url = `${server.base}/maxage.wav?restart`;
  const a = ok(await new PromptCache({ dir, fetcher, tts: noTts(), now: () => clock.t }).prepare({ kind: 'url', url }));
  const n = server.received.length;
  const b = ok(await new PromptCache({ dir, fetcher, tts: noTts(), now: () => clock.t }).prepare({ kind: 'url', url }));
  assert.equal(b.path, a.path);
  assert.equal(server.received.length, n);
});

test('freshness(): max-age minus Age, Expires, heuristic Last-Modified, no-store, no-cache', () => {
  const now = 1_000_000_000_000;
  assert.deepEqual(freshness({ 'cache-control': 'max-age=100', age: '40' }, now), {
    store: true,
    expiresAt: now + 60_000,
  });
  assert.deepEqual(freshness({ 'Cache-Control': 'no-store, max-age=100' }, now), { store: false, expiresAt: now });
  assert.deepEqual(freshness({ 'cache-control': 'no-cache' }, now), { store: true, expiresAt: now });
  const date = new Date(now).toUTCString();
  assert.deepEqual(freshness({ date, expires: new Date(now + 120_000).toUTCString() }, now), {
    store: true,
    expiresAt: now + 120_000,
  });
  assert.deepEqual(freshness({ date, 'last-modified': new Date(now - 100_000_000).toUTCString() }, now), {
    store: true,
    expiresAt: now + 10_000_000,
  });
  assert.deepEqual(freshness({}, now), { store: true, expiresAt: now });
});

test('LRU eviction by last use keeps the folder under its bound', async () => {
  const clock = { t: 1_700_000_000_000 };
  const c = cache({ clock, maxBytes: 20_000, evictMinAgeMs: 0 });
  const s1 = ok(await c.prepare({ kind: 'silence', ms: 1000 })); // 8000 bytes each
  clock.t += 1000;
  const s2 = ok(await c.prepare({ kind: 'silence', ms: 1001 }));
  clock.t += 1000;
  ok(await c.prepare({ kind: 'silence', ms: 1000 })); // s1 used again: s2 is now the oldest
  clock.t += 1000;
  const s3 = ok(await c.prepare({ kind: 'silence', ms: 1002 }));
  assert.ok(existsSync(s1.path), 'recently used survives');
  assert.ok(!existsSync(s2.path), 'least recently used evicted');
  assert.ok(existsSync(s3.path));
  assert.ok(c.stats().bytes <= 20_000);
  // An evicted prompt is simply prepared again.
  const again = ok(await c.prepare({ kind: 'silence', ms: 1001 }));
  assert.equal(again.path, s2.path);
  assert.ok(existsSync(again.path));

  // Files used within evictMinAgeMs are kept even over the bound (they may be about to play).
  const d = cache({ clock, maxBytes: 10_000, evictMinAgeMs: 60_000 });
  const a = ok(await d.prepare({ kind: 'silence', ms: 1000 }));
  const b = ok(await d.prepare({ kind: 'silence', ms: 1001 }));
  assert.ok(existsSync(a.path) && existsSync(b.path));
});

test('LRU order on restart comes from file mtimes', async () => {
  const dir = freshDir();
  const clock = { t: 1_700_000_000_000 };
  const first = new PromptCache({ dir, fetcher, tts: noTts(), now: () => clock.t });
  const a = ok(await first.prepare({ kind: 'silence', ms: 1000 }));
  const b = ok(await first.prepare({ kind: 'silence', ms: 1001 }));
  utimesSync(a.path, new Date(clock.t - 10_000), new Date(clock.t - 10_000));
  utimesSync(b.path, new Date(clock.t - 20_000), new Date(clock.t - 20_000));
  const second = new PromptCache({
    dir,
    fetcher,
    tts: noTts(),
    now: () => clock.t,
    maxBytes: 12_000,
    evictMinAgeMs: 0,
  });
  ok(await second.prepare({ kind: 'silence', ms: 500 }));
  assert.ok(existsSync(a.path));
  assert.ok(!existsSync(b.path), 'the older mtime goes first');
});

test('local files: converted once, a hit costs one stat, a changed file is converted again', async () => {
  const c = cache();
  const path = join(root, 'local.wav');
  writeFileSync(path, encodeWav(toInt16(sine(1000, 44100, 1, 0.5, 2)), 44100, 2));
  const a = ok(await c.prepare({ kind: 'file', path }));
  assert.equal(a.durationMs, 1000);
  const t = performance.now();
  const b = ok(await c.prepare({ kind: 'file', path }));
  assert.ok(performance.now() - t < 20, 'within one packet time');
  assert.equal(b.path, a.path);
  writeFileSync(path, encodeWav(toInt16(sine(1000, 8000, 2)), 8000, 1));
  const mtime = statSync(path).mtime;
  utimesSync(path, mtime, new Date(mtime.getTime() + 5000));
  const d = ok(await c.prepare({ kind: 'file', path }));
  assert.notEqual(d.path, a.path);
  assert.equal(d.durationMs, 2000);
  // Raw µ-law by extension.
  const ul = join(root, 'raw.ul');
  writeFileSync(ul, Buffer.alloc(1600, 0xff));
  assert.equal(ok(await c.prepare({ kind: 'file', path: ul })).durationMs, 200);
  assert.deepEqual(await c.prepare({ kind: 'file', path: join(root, 'nope.wav') }), {
    error: `media file ${join(root, 'nope.wav')}: not found`,
    kind: 'source',
  });
  const garbage = join(root, 'garbage.wav');
  writeFileSync(garbage, 'RIFF\x10\x00\x00\x00WAVEjunkjunk');
  const g = await c.prepare({ kind: 'file', path: garbage });
  assert.ok('error' in g && /invalid WAV/.test(g.error), JSON.stringify(g));
});

test('tones, digits and silence are prepared (and cached) like any prompt', async () => {
  const c = cache();
  const ring = ok(await c.prepare({ kind: 'tone', tone: 'ringback', country: 'uk' }));
  assert.equal(ring.durationMs, 3000);
  assert.equal(ok(await c.prepare({ kind: 'tone', tone: 'ringback', country: 'uk' })).path, ring.path);
  assert.notEqual(ok(await c.prepare({ kind: 'tone', tone: 'ringback', country: 'us' })).path, ring.path);
  assert.equal(ok(await c.prepare({ kind: 'digits', digits: '12w3' })).durationMs, 1100);
  const s = ok(await c.prepare({ kind: 'silence', ms: 250 }));
  assert.equal(s.durationMs, 250);
  assert.ok(
    readFileSync(s.path).every((b) => b === 0xff),
    'µ-law silence',
  );
  assert.deepEqual(await c.prepare({ kind: 'tone', tone: 'whistle' }), {
    error: "unknown tone 'whistle'",
    kind: 'source',
  });
  assert.match(((await c.prepare({ kind: 'digits', digits: '1x' })) as { error: string }).error, /invalid DTMF digit/);
  assert.equal(((await c.prepare({ kind: 'silence', ms: -1 })) as { kind: string }).kind, 'source');
});

/** A TTS engine that renders a tone per character and counts its calls. */
class FakeTts implements TtsProvider {
  readonly name = 'fake';
  calls = 0;
  delayMs = 0;
  async available() {
    return true;
  }
  resolveVoice(intent: VoiceIntent) {
    return espeakVoice(intent);
  }
  async synthesize(text: string) {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return { samples: sine(500, 16000, text.length * 0.05, 0.3), rate: 16000 };
  }
}

test('TTS: synthesised once per (text, voice, language, engine); a cached Say is a hit', async () => {
  const engine = new FakeTts();
  engine.delayMs = 50;
  const dir = freshDir();
  const c = new PromptCache({ dir, fetcher, tts: new TtsRegistry([engine]) });
  const say = { kind: 'tts', text: 'Hello   there,  caller', voice: 'woman', language: 'en-US' } as const;
  const [a, a2] = await Promise.all([c.prepare(say), c.prepare(say)]);
  assert.equal(engine.calls, 1, 'concurrent prepares share one synthesis');
  assert.equal(ok(a).path, ok(a2).path);
  const samples = fromUlaw(readFileSync(ok(a).path));
  assert.equal(samples.length, Math.round(8000 * 'Hello there, caller'.length * 0.05));
  assert.ok(rms(samples) > 5000);

  const b = ok(await c.prepare(say));
  assert.equal(engine.calls, 1);
  assert.equal(b.path, ok(a).path);

  ok(await c.prepare({ ...say, voice: 'man' }));
  ok(await c.prepare({ ...say, language: 'fr-FR' }));
  assert.equal(engine.calls, 3, 'voice and language are part of the key');

  // After a restart the file is found by its key, without synthesis.
  const restarted = new PromptCache({ dir, fetcher, tts: new TtsRegistry([engine]) });
  assert.equal(ok(await restarted.prepare(say)).path, ok(a).path);
  assert.equal(engine.calls, 3);

  assert.deepEqual(await c.prepare({ kind: 'tts', text: '   ' }), { error: 'TTS: empty text', kind: 'tts' });
});

test('TTS: a cached file deleted behind the cache is trusted for up to a second, then synthesised again', async () => {
  const engine = new FakeTts();
  const clock = { t: 1_700_000_000_000 };
  const c = new PromptCache({ dir: freshDir(), fetcher, tts: new TtsRegistry([engine]), now: () => clock.t });
  const say = { kind: 'tts', text: 'Welcome to Pivot' } as const;
  const first = ok(await c.prepare(say));
  rmSync(first.path);
  clock.t += 500;
  assert.equal(ok(await c.prepare(say)).path, first.path, 'a stat less than a second old is trusted');
  assert.equal(engine.calls, 1);
  clock.t += 600;
  const again = ok(await c.prepare(say));
  assert.equal(engine.calls, 2, 'the stat found the file gone: synthesised again');
  assert.ok(existsSync(again.path));
});

test('TTS: a failing engine falls back to the next one; a language nobody speaks is English with a warning', async () => {
  const broken: TtsProvider = {
    name: 'broken',
    available: async () => true,
    resolveVoice: (intent) => espeakVoice(intent),
    synthesize: async () => {
      throw new Error('broken: exploded');
    },
  };
  const good = new FakeTts();
  const c = new PromptCache({ dir: freshDir(), fetcher, tts: new TtsRegistry([broken, good]) });
  const r = ok(await c.prepare({ kind: 'tts', text: 'fallback please' }));
  assert.equal(good.calls, 1);
  assert.match(r.warning ?? '', /broken: exploded; fell back to fake/);
  const xx = ok(await c.prepare({ kind: 'tts', text: 'hello', language: 'xx-YY' }));
  assert.match(xx.warning ?? '', /no TTS voice for language 'xx-YY'; speaking English/);
  const none = new PromptCache({ dir: freshDir(), fetcher, tts: new TtsRegistry([broken]) });
  const err = await none.prepare({ kind: 'tts', text: 'nothing works' });
  assert.deepEqual(err, { error: 'TTS failed: broken: exploded', kind: 'tts' });
});

test('TTS engines run at most ttsConcurrency at a time', async () => {
  let active = 0;
  let peak = 0;
  const engine = new FakeTts();
  const slow: TtsProvider = {
    name: 'slow',
    available: async () => true,
    resolveVoice: (intent) => espeakVoice(intent),
    synthesize: async (text) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      return engine.synthesize(text);
    },
  };
  const c = new PromptCache({ dir: freshDir(), fetcher, tts: new TtsRegistry([slow]), ttsConcurrency: 2 });
  const results = await Promise.all(Array.from({ length: 7 }, (_, i) => c.prepare({ kind: 'tts', text: `text ${i}` })));
  assert.ok(results.every((r) => !('error' in r)));
  assert.equal(engine.calls, 7);
  assert.equal(peak, 2);
});
