// Speech recognition: the not-configured path, grammars from hints, and (when pocketsphinx is installed) real
// recognition of TTS speech. pocketsphinx is weak (../shared/spec/media.md §4): assertions are tolerant.

import assert from 'node:assert/strict';
import test from 'node:test';
import { resampleTo8k } from '../../../src/media/prompts/audio.js';
import { digitsGrammar, hintsGrammar } from '../../../src/media/asr/grammar.js';
import { PocketsphinxProvider, parseContinuousOutput, parseJsonOutput } from '../../../src/media/asr/pocketsphinx.js';
import { ASR_NOT_CONFIGURED, AsrRegistry, configured } from '../../../src/media/asr/registry.js';
import type { AsrProvider } from '../../../src/media/asr/types.js';
import { EspeakWasmProvider } from '../../../src/media/tts/espeak-wasm.js';
import { FliteProvider } from '../../../src/media/tts/flite.js';
import { hasCommand } from './signal.js';

test('not configured: PIVOT_ASR=none, an unknown provider, or pocketsphinx missing', () => {
  assert.equal(
    ASR_NOT_CONFIGURED,
    'speech recognition is not configured: install pocketsphinx (apt-get install pocketsphinx pocketsphinx-en-us) or set PIVOT_ASR=<provider>',
  );
  assert.equal(configured({ PIVOT_ASR: 'none' }), undefined);
  assert.equal(configured({ PIVOT_ASR: 'whisper' }), undefined);
  const missing = new AsrRegistry({ env: {}, pocketsphinx: { command: 'pivot-no-such-pocketsphinx' } });
  assert.equal(missing.configured(), undefined);
  const noModel = new AsrRegistry({ env: { PIVOT_POCKETSPHINX_MODEL: '/nonexistent/model' } });
  assert.equal(noModel.configured(), undefined);
  // An external engine registered by name.
  const external: AsrProvider = { name: 'vosk', recognize: async () => ({ text: 'yes', confidence: 0.9 }) };
  const reg = new AsrRegistry({ env: { PIVOT_ASR: 'vosk' } });
  reg.register(external);
  assert.equal(reg.configured(), external);
});

test('grammars: digits, hints with unknown words dropped, Twilio digit classes', () => {
  assert.match(digitsGrammar(), /public <digits> = \( zero \| one .* \| oh \)\+ ;/);
  const dict = new Set(['sales', 'support', 'billing', 'talk', 'to', 'an', 'operator', 'one', 'two']);
  const g = hintsGrammar('sales, support,billing , talk to an operator, Zyxwvut Corp', (w) => dict.has(w));
  assert.ok(g);
  assert.equal(g.jsgf.split('\n')[2], 'public <hint> = sales | support | billing | talk to an operator ;');
  assert.deepEqual(g.dropped, ['Zyxwvut Corp']);
  const d = hintsGrammar(['$OOV_CLASS_DIGIT_SEQUENCE', 'option 1'], (w) => dict.has(w) || w === 'option');
  assert.ok(d && d.jsgf.includes('option one') && d.jsgf.includes('( zero |'));
  assert.equal(
    hintsGrammar('qqq, zzz', () => false),
    undefined,
  );
});

test('pocketsphinx output parsing (5prealpha -time yes, and 5.x JSON)', () => {
  const out =
    'one two three\n<sil> 0.000 0.160 1.000000\none(2) 0.170 0.510 0.900000\n(NULL) 0.510 0.510 1.000000\ntwo 0.520 0.750 0.800000\nthree 0.850 1.000 0.700000\n';
  assert.deepEqual(parseContinuousOutput(out), { text: 'one two three', confidence: 0.8 });
  assert.equal(parseContinuousOutput('\n'), null);
  assert.deepEqual(parseJsonOutput('{"b":0.0,"d":1.2,"p":0.75,"t":"support","w":[]}\n'), {
    text: 'support',
    confidence: 0.75,
  });
});

const psAvailable = new PocketsphinxProvider().available();

/** 8 kHz speech from flite (kal) when installed, else the espeak-ng WASM build. */
async function speech(text: string): Promise<Int16Array> {
  const flite = new FliteProvider();
  const audio = (await flite.available())
    ? await flite.synthesize(text, { voice: 'kal', language: 'en-US' })
    : await new EspeakWasmProvider().synthesize(text, { voice: 'en-us', language: 'en-US' });
  return resampleTo8k(audio.samples, audio.rate, 1);
}

test(
  'pocketsphinx recognises TTS digits with a digits grammar (at least partly)',
  { skip: !psAvailable && 'pocketsphinx not installed', timeout: 60_000 },
  async (t) => {
    const asr = new AsrRegistry({ env: {} }).configured();
    assert.ok(asr, 'configured when installed');
    const r = await asr.recognize(await speech('one two three'), { language: 'en-US', grammar: digitsGrammar() });
    t.diagnostic(`digits: ${JSON.stringify(r)}`);
    assert.ok(r);
    const words = r.text.split(' ');
    const found = ['one', 'two', 'three'].filter((w) => words.includes(w));
    assert.ok(found.length >= 2, `heard "${r.text}"`);
    assert.ok(r.confidence >= 0 && r.confidence <= 1);
  },
);

test(
  'pocketsphinx recognises "support" with a menu grammar from hints',
  { skip: !psAvailable && 'pocketsphinx not installed', timeout: 60_000 },
  async (t) => {
    const asr = new PocketsphinxProvider();
    const r = await asr.recognize(await speech('support'), {
      language: 'en-US',
      hints: 'sales, support, billing, operator',
    });
    t.diagnostic(`menu: ${JSON.stringify(r)}`);
    assert.ok(r);
    assert.match(r.text, /support/);
    // Silence-short audio is nothing; other languages are refused clearly.
    assert.equal(await asr.recognize(new Int16Array(100), { language: 'en-US' }), null);
    await assert.rejects(asr.recognize(new Int16Array(8000), { language: 'fr-FR' }), /no model for language 'fr-FR'/);
  },
);

test('pocketsphinx CLI found', { skip: !psAvailable && 'pocketsphinx not installed' }, () => {
  assert.ok(hasCommand('pocketsphinx_continuous') || hasCommand('pocketsphinx'));
});
