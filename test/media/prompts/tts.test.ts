// TTS engines for real: the espeak-ng WASM build in a child process (always there after npm install), the
// Debian espeak-ng and flite binaries when installed; engine choice; timeouts kill the child.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { fromUlaw, resampleTo8k } from '../../../src/media/prompts/audio.js';
import { PromptCache } from '../../../src/media/prompts/cache.js';
import { EspeakNgBinaryProvider } from '../../../src/media/tts/espeak-ng-binary.js';
import { EspeakWasmProvider } from '../../../src/media/tts/espeak-wasm.js';
import { FliteProvider } from '../../../src/media/tts/flite.js';
import { runProcess } from '../../../src/media/tts/process.js';
import { TtsRegistry, createTtsRegistry } from '../../../src/media/tts/registry.js';
import type { TtsProvider } from '../../../src/media/tts/types.js';
import { espeakVoice, fliteVoice } from '../../../src/media/tts/voices.js';
import { hasCommand, rms } from './signal.js';

const root = mkdtempSync(join(tmpdir(), 'pivot-tts-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** About five seconds of speech. */
const PROMPT = 'Thank you for calling Pivot. Please press one for sales, two for support, or stay on the line.';

/** Speech-like: long enough and with energy (L16 RMS over the whole prompt, pauses included). */
function assertSpeech(samples8k: Int16Array, label: string, minSeconds = 3, maxSeconds = 12) {
  const seconds = samples8k.length / 8000;
  assert.ok(seconds > minSeconds && seconds < maxSeconds, `${label}: ${seconds.toFixed(2)} s`);
  const level = rms(samples8k);
  assert.ok(level > 1000, `${label}: rms ${level.toFixed(0)}`);
}

async function timed(provider: TtsProvider, voice: string) {
  const t = performance.now();
  const audio = await provider.synthesize(PROMPT, { voice, language: 'en-US' });
  return { audio, ms: performance.now() - t };
}

test('espeak-ng WASM (child process) speaks a 5 s prompt, resampled to 8 kHz', { timeout: 60_000 }, async (t) => {
  const wasm = new EspeakWasmProvider();
  assert.equal(await wasm.available(), true);
  for (const voice of ['en-us', 'en-us+f3']) {
    const { audio, ms } = await timed(wasm, voice);
    assert.equal(audio.rate, 22050);
    assertSpeech(resampleTo8k(audio.samples, audio.rate, 1), `wasm ${voice}`);
    t.diagnostic(`espeak-wasm ${voice}: ${ms.toFixed(0)} ms for ${(audio.samples.length / audio.rate).toFixed(1)} s`);
  }
  // Another language, and text that looks like options is spoken, not parsed.
  const fr = await wasm.synthesize('Bonjour et bienvenue.', { voice: 'fr-fr', language: 'fr-FR' });
  assert.ok(fr.samples.length / fr.rate > 0.8);
  const dash = await wasm.synthesize('-v --help', { voice: 'en-us', language: 'en-US' });
  assert.ok(dash.samples.length / dash.rate > 0.3);
  await assert.rejects(
    wasm.synthesize('hello', { voice: 'xx-nope', language: 'en-US' }),
    /espeak-ng \(wasm\): Error: The specified espeak-ng voice does not exist/,
  );
});

test('espeak-ng WASM: a synthesis over its time limit is killed with a clear error', { timeout: 20_000 }, async () => {
  const slow = new EspeakWasmProvider({ timeoutMs: 5 });
  const t = performance.now();
  await assert.rejects(
    slow.synthesize(PROMPT, { voice: 'en-us', language: 'en-US' }),
    /espeak-ng \(wasm\): synthesis timed out after 5 ms/,
  );
  assert.ok(performance.now() - t < 5000);
  // runProcess kills the child at the deadline (SIGKILL), it does not wait for it.
  const t2 = performance.now();
  await assert.rejects(runProcess('sleep', ['30'], { timeoutMs: 100 }), /sleep timed out after 100 ms/);
  assert.ok(performance.now() - t2 < 2000);
  await assert.rejects(
    runProcess('pivot-no-such-binary', [], { timeoutMs: 1000 }),
    /pivot-no-such-binary is not installed/,
  );
});

test(
  'espeak-ng binary speaks a 5 s prompt',
  { skip: !hasCommand('espeak-ng') && 'espeak-ng not installed', timeout: 30_000 },
  async (t) => {
    const p = new EspeakNgBinaryProvider();
    assert.equal(await p.available(), true);
    const { audio, ms } = await timed(p, espeakVoice({ gender: 'female', language: 'en-US' }).voice);
    assert.equal(audio.rate, 22050);
    assertSpeech(resampleTo8k(audio.samples, audio.rate), 'espeak-ng');
    t.diagnostic(`espeak-ng binary: ${ms.toFixed(0)} ms`);
    await assert.rejects(p.synthesize('hello', { voice: 'xx-nope', language: 'en-US' }), /^Error: espeak-ng: /);
  },
);

test(
  'flite speaks a 5 s prompt, kal at 8 kHz natively',
  { skip: !hasCommand('flite') && 'flite not installed', timeout: 30_000 },
  async (t) => {
    const p = new FliteProvider();
    assert.equal(await p.available(), true);
    const kal = await timed(p, fliteVoice({ gender: 'male', language: 'en-US' })!.voice);
    assert.equal(kal.audio.rate, 8000);
    assertSpeech(resampleTo8k(kal.audio.samples, kal.audio.rate), 'flite kal');
    const slt = await timed(p, 'slt');
    assert.equal(slt.audio.rate, 16000);
    assertSpeech(resampleTo8k(slt.audio.samples, slt.audio.rate), 'flite slt');
    t.diagnostic(`flite kal: ${kal.ms.toFixed(0)} ms, slt: ${slt.ms.toFixed(0)} ms`);
  },
);

test('registry: fastest installed engine for the language, `engine` attribute first, warnings instead of failures', async () => {
  const fake = (name: string, up: boolean, english = false): TtsProvider => ({
    name,
    available: async () => up,
    resolveVoice: (intent) => (english ? fliteVoice(intent) : espeakVoice(intent)),
    synthesize: async () => ({ samples: new Int16Array(8000), rate: 8000 }),
  });
  const reg = new TtsRegistry([fake('flite', true, true), fake('espeak-ng', false), fake('espeak-wasm', true)]);
  const en = await reg.choose({ voice: 'woman' });
  assert.ok(!('error' in en));
  assert.deepEqual([en.provider.name, en.voice, en.warning], ['flite', 'slt', undefined]);
  const fr = await reg.choose({ voice: 'woman', language: 'fr-FR' });
  assert.ok(!('error' in fr));
  assert.deepEqual([fr.provider.name, fr.voice], ['espeak-wasm', 'fr-fr+f3']);
  const wasm = await reg.choose({ engine: 'espeak-wasm' });
  assert.ok(!('error' in wasm) && wasm.provider.name === 'espeak-wasm' && !wasm.warning);
  const espeak = await reg.choose({ engine: 'espeak' });
  assert.ok(!('error' in espeak) && espeak.provider.name === 'espeak-wasm' && !espeak.warning, 'binary missing → wasm');
  const missing = await reg.choose({ engine: 'espeak-ng' });
  assert.ok(!('error' in missing) && missing.provider.name === 'espeak-wasm');
  const bogus = await reg.choose({ engine: 'polly' });
  assert.ok(!('error' in bogus));
  assert.equal(bogus.warning, "unknown TTS engine 'polly'; using flite");
  const fliteFr = await reg.choose({ engine: 'flite', language: 'de-DE' });
  assert.ok(!('error' in fliteFr));
  assert.equal(fliteFr.warning, "TTS engine 'flite' has no voice for 'de-DE'; using espeak-wasm");
  const preferred = new TtsRegistry([fake('flite', true, true), fake('espeak-wasm', true)], {
    preferred: 'espeak-wasm',
  });
  const p = await preferred.choose({});
  assert.ok(!('error' in p) && p.provider.name === 'espeak-wasm');
  assert.deepEqual(await new TtsRegistry([fake('flite', false)]).choose({}), {
    error: 'no TTS engine is available (tried flite)',
  });
});

test(
  'default registry end to end: each installed engine through the prompt cache, cached second time',
  { timeout: 90_000 },
  async (t) => {
    const registry = createTtsRegistry({ env: {} });
    const installed = (await registry.installed()).map((p) => p.name);
    assert.ok(installed.includes('espeak-wasm'));
    const c = new PromptCache({
      dir: join(root, 'cache'),
      fetcher: async () => ({ error: 'no network' }),
      tts: registry,
    });
    for (const engine of installed) {
      const t0 = performance.now();
      const r = await c.prepare({ kind: 'tts', text: PROMPT, voice: 'Polly.Joanna', engine });
      const first = performance.now() - t0;
      assert.ok(!('error' in r), JSON.stringify(r));
      assert.equal(r.warning, undefined);
      assertSpeech(fromUlaw(readFileSync(r.path)), engine);
      const t1 = performance.now();
      const again = await c.prepare({ kind: 'tts', text: PROMPT, voice: 'Polly.Joanna', engine });
      const second = performance.now() - t1;
      assert.ok(!('error' in again) && again.path === r.path);
      assert.ok(second < 20, `${engine}: cached prepare ${second} ms`);
      t.diagnostic(
        `${engine}: prepare ${first.toFixed(0)} ms (${r.durationMs} ms of audio), cached ${second.toFixed(2)} ms`,
      );
    }
    // German through the automatic choice: flite cannot, an espeak engine does.
    const de = await c.prepare({ kind: 'tts', text: 'Guten Tag, willkommen bei Pivot.', voice: 'Polly.Hans' });
    assert.ok(!('error' in de) && de.durationMs > 1000, JSON.stringify(de));
  },
);
