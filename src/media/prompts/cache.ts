// Prepared prompts: every playback source (file, URL, tone, DTMF digits, silence, TTS) becomes an 8 kHz mono
// µ-law file (raw bytes, `.ul`) in one cache folder, which the media workers play directly. File names are
// content hashes (of the source bytes for URLs, of the source description for everything else), so a file never
// changes once written and workers may keep it in memory by path.
//
// - URLs go through the injected fetcher (which applies Pivot's URL policy), honour Cache-Control (max-age,
//   no-cache, no-store), Expires and revalidate with ETag/Last-Modified; identical bodies share one file.
// - Concurrent prepares of the same source share one conversion; TTS engines run a few at a time.
// - An in-memory index answers repeated prepares with one stat; the folder is bounded, least recently used
//   files (by mtime, kept current on use) go first.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { AudioError, PROMPT_RATE, contentTypeForPath, decodeAudio, resampleTo8kAsync, toUlaw } from './audio.js';
import { ToneError, dtmfTones, toneByName } from './tones.js';
import type { TtsRegistry } from '../tts/registry.js';
import { MAX_TTS_CHARS } from '../tts/types.js';

export type PromptSource =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'tone'; tone: string; country?: string }
  | { kind: 'digits'; digits: string }
  | { kind: 'silence'; ms: number }
  | { kind: 'tts'; text: string; voice?: string; language?: string; engine?: string };

export type FetchHeaders = Record<string, string | string[] | undefined> | Headers;

export interface FetchedMedia {
  status: number;
  /** Response headers (any case). */
  headers: FetchHeaders;
  body: Buffer | Uint8Array;
}

/**
 * GETs a media URL through Pivot's URL policy. `init.headers` carries conditional headers (If-None-Match,
 * If-Modified-Since) for revalidation; a fetcher that ignores them still works (it just never sees a 304).
 * Non-2xx statuses should be returned as responses, not errors.
 */
export type PromptFetcher = (
  url: string,
  init?: { headers?: Record<string, string> },
) => Promise<FetchedMedia | { error: string }>;

export interface PreparedPrompt {
  /** Absolute path of the 8 kHz µ-law file. */
  path: string;
  durationMs: number;
  /** Something the caller should log (voice/language fallback, stale media served). */
  warning?: string;
}

export type PromptErrorKind = 'source' | 'http' | 'format' | 'decode' | 'tts' | 'io';

export type PrepareResult = PreparedPrompt | { error: string; kind: PromptErrorKind };

export interface PromptCacheOptions {
  /** The cache folder (created when missing), e.g. `<data dir>/prompts`. */
  dir: string;
  fetcher: PromptFetcher;
  tts: TtsRegistry;
  /** Clock for HTTP freshness and LRU (ms since epoch). */
  now?: () => number;
  /** Size bound of the folder, default 512 MiB. */
  maxBytes?: number;
  /** Files used within this window are not evicted even over the bound (they may be starting to play). 60 s. */
  evictMinAgeMs?: number;
  /** Largest local file accepted, default 64 MiB. */
  maxFileBytes?: number;
  /** Longest silence/DTMF/tone prompt, default 10 minutes. */
  maxGeneratedMs?: number;
  /** TTS syntheses at once, default the number of CPUs (at least 2). */
  ttsConcurrency?: number;
}

/** The prompt cache folder under Pivot's data folder. */
export function promptCacheDir(dataDir: string): string {
  return join(dataDir, 'cache', 'prompts');
}

/** Bump when generated audio changes, so old cached renderings are not reused. */
const FORMAT_VERSION = 1;
const EXT = '.ul';
const URL_META_PREFIX = 'u-';
const TOUCH_INTERVAL_MS = 60_000;
/** A hit trusts a stat this recent: a greeting played to every caller costs one stat a second, not one a call. */
const SEEN_FRESH_MS = 1_000;
/** Heuristic freshness (Last-Modified without Cache-Control) is capped at one day (RFC 9111 §4.2.2). */
const MAX_HEURISTIC_MS = 24 * 3600_000;

interface FileEntry {
  size: number;
  lastUsed: number;
  /** When a stat last found the file on disk. */
  seenAt?: number;
}

interface UrlEntry {
  url: string;
  name: string;
  expiresAt: number;
  etag?: string;
  lastModified?: string;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function header(headers: FetchHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const h = headers as Record<string, string | string[] | undefined>;
  let v = h[name];
  if (v === undefined) {
    const lower = name.toLowerCase();
    const key = Object.keys(h).find((k) => k.toLowerCase() === lower);
    v = key === undefined ? undefined : h[key];
  }
  return Array.isArray(v) ? v.join(', ') : v;
}

function parseCacheControl(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (value ?? '').split(',')) {
    const [k, ...v] = part.split('=');
    const key = k.trim().toLowerCase();
    if (key) out.set(key, v.join('=').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

/** RFC 9111 freshness of a response received at `now`: whether it may be stored, and until when it is fresh. */
export function freshness(headers: FetchHeaders, now: number): { store: boolean; expiresAt: number } {
  const cc = parseCacheControl(header(headers, 'cache-control'));
  if (cc.has('no-store')) return { store: false, expiresAt: now };
  if (cc.has('no-cache')) return { store: true, expiresAt: now };
  const age = Math.max(0, Number(header(headers, 'age')) || 0);
  const maxAge = cc.get('max-age');
  if (maxAge !== undefined) {
    const n = Number(maxAge);
    return { store: true, expiresAt: Number.isFinite(n) ? now + Math.max(0, n - age) * 1000 : now };
  }
  const dateHeader = Date.parse(header(headers, 'date') ?? '');
  const date = Number.isFinite(dateHeader) ? dateHeader : now;
  const expires = header(headers, 'expires');
  if (expires !== undefined) {
    const e = Date.parse(expires);
    return { store: true, expiresAt: Number.isFinite(e) ? now + Math.max(0, e - date) : now };
  }
  const lm = Date.parse(header(headers, 'last-modified') ?? '');
  if (Number.isFinite(lm) && lm < date) {
    return { store: true, expiresAt: now + Math.min(MAX_HEURISTIC_MS, (date - lm) / 10) };
  }
  return { store: true, expiresAt: now };
}

/** A counting semaphore. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so late arrivals cannot overtake.
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

function prepared(path: string, bytes: number, warning?: string): PreparedPrompt {
  const p: PreparedPrompt = { path, durationMs: Math.round((bytes * 1000) / PROMPT_RATE) };
  if (warning) p.warning = warning;
  return p;
}

function fail(kind: PromptErrorKind, error: string): { error: string; kind: PromptErrorKind } {
  return { error, kind };
}

export class PromptCache {
  readonly dir: string;
  private readonly fetcher: PromptFetcher;
  private readonly tts: TtsRegistry;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private readonly evictMinAgeMs: number;
  private readonly maxFileBytes: number;
  private readonly maxGeneratedMs: number;
  private readonly ttsLimiter: Limiter;

  private readonly files = new Map<string, FileEntry>();
  private totalBytes = 0;
  private readonly urls = new Map<string, UrlEntry>();
  private readonly inflight = new Map<string, Promise<PrepareResult>>();
  /** Names being written or just produced by an unfinished prepare: never evicted. */
  private readonly pinned = new Set<string>();
  private ready: Promise<void> | undefined;
  private tmpCounter = 0;

  constructor(opts: PromptCacheOptions) {
    this.dir = resolve(opts.dir);
    this.fetcher = opts.fetcher;
    this.tts = opts.tts;
    this.now = opts.now ?? Date.now;
    this.maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
    this.evictMinAgeMs = opts.evictMinAgeMs ?? 60_000;
    this.maxFileBytes = opts.maxFileBytes ?? 64 * 1024 * 1024;
    this.maxGeneratedMs = opts.maxGeneratedMs ?? 600_000;
    this.ttsLimiter = new Limiter(opts.ttsConcurrency ?? Math.max(2, cpus().length));
  }

  /** Number of prepared files and their total size. */
  stats(): { files: number; bytes: number } {
    return { files: this.files.size, bytes: this.totalBytes };
  }

  /** Turn a playback source into a prepared 8 kHz µ-law file. Never throws; errors are operator-facing strings. */
  async prepare(source: PromptSource): Promise<PrepareResult> {
    try {
      await (this.ready ??= this.load());
    } catch (err) {
      this.ready = undefined;
      return fail('io', `prompt cache ${this.dir}: ${(err as Error).message}`);
    }
    switch (source?.kind) {
      case 'file':
        return this.prepareFile(source.path);
      case 'url':
        return this.prepareUrl(source.url);
      case 'tone':
        return this.prepareGenerated(['tone', source.tone, (source.country ?? '').toLowerCase()], () => {
          const samples = toneByName(source.tone, source.country);
          if ('error' in samples) throw new ToneError(samples.error);
          return samples;
        });
      case 'digits':
        return this.prepareGenerated(['digits', source.digits], () => dtmfTones(source.digits));
      case 'silence': {
        const ms = Number(source.ms);
        if (!Number.isFinite(ms) || ms < 0) return fail('source', `invalid silence length ${source.ms}`);
        // At least one packet, so a player never loops an empty file.
        const samples = Math.max(160, Math.round((Math.min(ms, this.maxGeneratedMs) * PROMPT_RATE) / 1000));
        return this.prepareGenerated(['silence', samples], () => new Int16Array(samples));
      }
      case 'tts':
        return this.prepareTts(source);
      default:
        return fail('source', `unknown prompt source ${JSON.stringify((source as { kind?: unknown })?.kind)}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Index

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    await Promise.all(
      names.map(async (name) => {
        const path = join(this.dir, name);
        if (!name.endsWith(EXT) && !name.includes('.tmp-')) return;
        const st = await stat(path).catch(() => undefined);
        if (!st?.isFile()) return;
        // Leftovers of an interrupted write (not one another process sharing the folder is doing right now).
        if (name.includes('.tmp-')) {
          if (st.mtimeMs < this.now() - 3600_000) await unlink(path).catch(() => {});
          return;
        }
        this.addFile(name, st.size, st.mtimeMs);
      }),
    );
  }

  /** Indexes a file just written or found by a stat (so it counts as seen). */
  private addFile(name: string, size: number, lastUsed: number): void {
    const old = this.files.get(name);
    if (old) this.totalBytes -= old.size;
    this.files.set(name, { size, lastUsed, seenAt: this.now() });
    this.totalBytes += size;
  }

  private dropFile(name: string): void {
    const old = this.files.get(name);
    if (!old) return;
    this.totalBytes -= old.size;
    this.files.delete(name);
  }

  /** A hit: a stat to confirm the file is still there (unless one just did), then LRU bookkeeping. */
  private async hit(name: string, warning?: string): Promise<PreparedPrompt | undefined> {
    const entry = this.files.get(name);
    if (!entry) return undefined;
    const path = join(this.dir, name);
    const now = this.now();
    if (entry.seenAt === undefined || now - entry.seenAt >= SEEN_FRESH_MS) {
      const st = await stat(path).catch(() => undefined);
      if (!st) {
        this.dropFile(name);
        return undefined;
      }
      entry.seenAt = now;
    }
    this.touch(name, entry);
    return prepared(path, entry.size, warning);
  }

  private touch(name: string, entry: FileEntry): void {
    const now = this.now();
    if (now - entry.lastUsed > TOUCH_INTERVAL_MS) {
      const t = new Date(now);
      utimes(join(this.dir, name), t, t).catch(() => {});
    }
    entry.lastUsed = now;
  }

  /** Write µ-law bytes under `name` atomically, index them and evict over the bound. */
  private async store(name: string, ulaw: Uint8Array, warning?: string): Promise<PreparedPrompt> {
    const path = join(this.dir, name);
    const tmp = `${path}.tmp-${process.pid}-${++this.tmpCounter}`;
    this.pinned.add(name);
    try {
      await writeFile(tmp, ulaw);
      await rename(tmp, path);
      this.addFile(name, ulaw.length, this.now());
      await this.evict();
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    } finally {
      this.pinned.delete(name);
    }
    return prepared(path, ulaw.length, warning);
  }

  private async evict(): Promise<void> {
    if (this.totalBytes <= this.maxBytes) return;
    const cutoff = this.now() - this.evictMinAgeMs;
    const victims = [...this.files.entries()]
      .filter(([name, e]) => !this.pinned.has(name) && e.lastUsed <= cutoff)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [name] of victims) {
      if (this.totalBytes <= this.maxBytes) break;
      this.dropFile(name);
      await unlink(join(this.dir, name)).catch(() => {});
      for (const [url, entry] of this.urls) {
        if (entry.name === name) {
          this.urls.delete(url);
          await unlink(this.urlMetaPath(url)).catch(() => {});
        }
      }
    }
  }

  /** Share one preparation between concurrent callers of the same key. */
  private shared(key: string, work: () => Promise<PrepareResult>): Promise<PrepareResult> {
    let p = this.inflight.get(key);
    if (!p) {
      p = work().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Generated sources (tones, digits, silence) and TTS

  private async prepareGenerated(material: unknown[], generate: () => Int16Array): Promise<PrepareResult> {
    const name = sha256(JSON.stringify([FORMAT_VERSION, ...material])) + EXT;
    const cached = await this.hit(name);
    if (cached) return cached;
    return this.shared(name, async () => {
      let samples: Int16Array;
      try {
        samples = generate();
      } catch (err) {
        return fail('source', (err as Error).message);
      }
      if (samples.length > (this.maxGeneratedMs * PROMPT_RATE) / 1000) {
        return fail('source', `generated prompt longer than ${this.maxGeneratedMs / 1000} s`);
      }
      try {
        return await this.store(name, toUlaw(samples));
      } catch (err) {
        return fail('io', `cannot write prompt: ${(err as Error).message}`);
      }
    });
  }

  private async prepareTts(source: Extract<PromptSource, { kind: 'tts' }>): Promise<PrepareResult> {
    const text = String(source.text ?? '')
      .replace(/\s+/g, ' ')
      .trim();
    if (!text) return fail('tts', 'TTS: empty text');
    if (text.length > MAX_TTS_CHARS) return fail('tts', `TTS: text longer than ${MAX_TTS_CHARS} characters`);
    const { choices, warning } = await this.tts.candidates(source);
    if (choices.length === 0) return fail('tts', `TTS: no engine is available (${this.tts.names().join(', ')})`);
    const errors: string[] = [];
    for (const choice of choices) {
      const w = [warning, choice.warning, ...errors.map((e) => `${e}; fell back to ${choice.provider.name}`)]
        .filter(Boolean)
        .join('; ');
      const material = ['tts', FORMAT_VERSION, choice.provider.name, choice.voice, choice.language, text];
      const name = sha256(JSON.stringify(material)) + EXT;
      const cached = await this.hit(name, w || undefined);
      if (cached) return cached;
      const result = await this.shared(name, async () => {
        try {
          const audio = await this.ttsLimiter.run(() =>
            choice.provider.synthesize(text, { voice: choice.voice, language: choice.language }),
          );
          const samples = await resampleTo8kAsync(audio.samples, audio.rate, 1);
          if (samples.length === 0) return fail('tts', `${choice.provider.name}: no audio produced`);
          return await this.store(name, toUlaw(samples));
        } catch (err) {
          return fail('tts', (err as Error).message);
        }
      });
      if (!('error' in result)) return w ? { ...result, warning: w } : result;
      errors.push(result.error);
    }
    return fail('tts', `TTS failed: ${errors.join('; ')}`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Local files

  private async prepareFile(rawPath: string): Promise<PrepareResult> {
    if (typeof rawPath !== 'string' || !rawPath) return fail('source', 'media file: no path');
    const path = resolve(rawPath);
    const st = await stat(path).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      return fail('source', `media file ${path}: ${st.code === 'ENOENT' ? 'not found' : st.message}`);
    }
    if (!st.isFile()) return fail('source', `media file ${path}: not a file`);
    if (st.size > this.maxFileBytes)
      return fail('source', `media file ${path}: larger than ${this.maxFileBytes} bytes`);
    const name = sha256(JSON.stringify(['file', FORMAT_VERSION, path, st.size, st.mtimeMs])) + EXT;
    const entry = this.files.get(name);
    if (entry) {
      // The source's stat above is the only disk access on a hit.
      this.touch(name, entry);
      return prepared(join(this.dir, name), entry.size);
    }
    return this.shared(name, async () => {
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        return fail('source', `media file ${path}: ${(err as Error).message}`);
      }
      return this.convert(name, bytes, contentTypeForPath(path), `media file ${path}`);
    });
  }

  private async convert(
    name: string,
    bytes: Uint8Array,
    contentType: string | undefined,
    label: string,
    warning?: string,
  ): Promise<PrepareResult> {
    let samples: Int16Array;
    try {
      samples = await decodeAudio(bytes, contentType);
    } catch (err) {
      const msg = (err as Error).message;
      const kind = err instanceof AudioError && msg.startsWith('unsupported audio format') ? 'format' : 'decode';
      return fail(kind, `${label}: ${msg}`);
    }
    try {
      return await this.store(name, toUlaw(samples), warning);
    } catch (err) {
      return fail('io', `${label}: cannot write prompt: ${(err as Error).message}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // URLs

  private urlMetaPath(url: string): string {
    return join(this.dir, `${URL_META_PREFIX}${sha256(url)}.json`);
  }

  private async urlEntry(url: string): Promise<UrlEntry | undefined> {
    const mem = this.urls.get(url);
    if (mem) return mem;
    try {
      const meta = JSON.parse(await readFile(this.urlMetaPath(url), 'utf8')) as UrlEntry;
      if (meta.url !== url || typeof meta.name !== 'string' || !this.files.has(meta.name)) return undefined;
      this.urls.set(url, meta);
      return meta;
    } catch {
      return undefined;
    }
  }

  private async saveUrlEntry(entry: UrlEntry): Promise<void> {
    this.urls.set(entry.url, entry);
    const path = this.urlMetaPath(entry.url);
    const tmp = `${path}.tmp-${process.pid}-${++this.tmpCounter}`;
    try {
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, path);
    } catch {
      await unlink(tmp).catch(() => {});
    }
  }

  private async forgetUrl(url: string): Promise<void> {
    this.urls.delete(url);
    await unlink(this.urlMetaPath(url)).catch(() => {});
  }

  private async prepareUrl(url: string): Promise<PrepareResult> {
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url))
      return fail('source', `media ${url}: not an http(s) URL`);
    const entry = await this.urlEntry(url);
    if (entry && this.now() < entry.expiresAt) {
      const cached = await this.hit(entry.name);
      if (cached) return cached;
    }
    return this.shared(`url:${url}`, () => this.fetchUrl(url));
  }

  private async fetchUrl(url: string): Promise<PrepareResult> {
    const label = `media ${url}`;
    const entry = await this.urlEntry(url);
    const usable = entry && this.files.has(entry.name) ? entry : undefined;
    const conditional: Record<string, string> = {};
    if (usable?.etag) conditional['If-None-Match'] = usable.etag;
    if (usable?.lastModified) conditional['If-Modified-Since'] = usable.lastModified;
    const hasValidators = Object.keys(conditional).length > 0;

    let res: FetchedMedia | { error: string };
    try {
      res = await this.fetcher(url, hasValidators ? { headers: conditional } : undefined);
    } catch (err) {
      res = { error: (err as Error).message };
    }
    const now = this.now();

    if ('error' in res || res.status >= 500) {
      const why = 'error' in res ? res.error : `HTTP ${res.status}`;
      if (usable) {
        const stale = await this.hit(usable.name, `${label}: ${why}; playing the cached copy`);
        if (stale) return stale;
      }
      return fail('http', `${label}: ${why}`);
    }

    if (res.status === 304 && usable) {
      const f = freshness(res.headers, now);
      const updated: UrlEntry = {
        ...usable,
        expiresAt: f.expiresAt,
        etag: header(res.headers, 'etag') ?? usable.etag,
        lastModified: header(res.headers, 'last-modified') ?? usable.lastModified,
      };
      if (f.store) await this.saveUrlEntry(updated);
      else await this.forgetUrl(url);
      const cached = await this.hit(usable.name);
      if (cached) return cached;
      return this.fetchUrlUnconditional(url);
    }
    return this.handleResponse(url, res, now);
  }

  /** After a 304 whose cached file vanished meanwhile. */
  private async fetchUrlUnconditional(url: string): Promise<PrepareResult> {
    let res: FetchedMedia | { error: string };
    try {
      res = await this.fetcher(url);
    } catch (err) {
      res = { error: (err as Error).message };
    }
    if ('error' in res) return fail('http', `media ${url}: ${res.error}`);
    return this.handleResponse(url, res, this.now());
  }

  private async handleResponse(url: string, res: FetchedMedia, now: number): Promise<PrepareResult> {
    const label = `media ${url}`;
    if (res.status < 200 || res.status > 299) return fail('http', `${label}: HTTP ${res.status}`);
    const body = res.body instanceof Uint8Array ? res.body : new Uint8Array(res.body);
    if (body.length === 0) return fail('http', `${label}: empty response body`);
    const name = sha256(body) + EXT;
    let result: PrepareResult | undefined = await this.hit(name);
    if (!result) {
      result = await this.shared(name, () => this.convert(name, body, header(res.headers, 'content-type'), label));
    }
    if ('error' in result) {
      await this.forgetUrl(url);
      return result;
    }
    const f = freshness(res.headers, now);
    if (f.store) {
      await this.saveUrlEntry({
        url,
        name,
        expiresAt: f.expiresAt,
        etag: header(res.headers, 'etag'),
        lastModified: header(res.headers, 'last-modified'),
      });
    } else {
      await this.forgetUrl(url);
    }
    return result;
  }
}
