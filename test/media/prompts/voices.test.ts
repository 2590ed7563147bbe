// Voice mapping: Twilio and Kazoo voices and languages onto espeak and flite voices, never failing.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  espeakLanguage,
  espeakVoice,
  fliteVoice,
  normalizeLanguage,
  voiceIntent,
} from '../../../src/media/tts/voices.js';

const espeak = (voice?: string, language?: string) => espeakVoice(voiceIntent(voice, language));
const flite = (voice?: string, language?: string) => fliteVoice(voiceIntent(voice, language));

test('Twilio and Kazoo voice names to gender and language', () => {
  const table: [string | undefined, string | undefined, string, string][] = [
    [undefined, undefined, 'male', 'en-US'],
    ['man', undefined, 'male', 'en-US'],
    ['woman', 'en-gb', 'female', 'en-GB'],
    ['alice', 'es-MX', 'female', 'es-MX'],
    ['male', 'de-DE', 'male', 'de-DE'],
    ['female', 'fr-FR', 'female', 'fr-FR'],
    ['Polly.Joanna', undefined, 'female', 'en-US'],
    ['Polly.Matthew-Neural', undefined, 'male', 'en-US'],
    ['Polly.Amy-Generative', undefined, 'female', 'en-GB'],
    ['Polly.Céline', undefined, 'female', 'fr-FR'],
    ['Polly.Hans', undefined, 'male', 'de-DE'],
    ['Polly.Conchita', 'es-US', 'female', 'es-US'],
    ['Google.en-US-Standard-C', undefined, 'female', 'en-US'],
    ['Google.en-US-Neural2-D', undefined, 'male', 'en-US'],
    ['Google.de-DE-Wavenet-F', undefined, 'female', 'de-DE'],
    ['Google.en-US-Chirp3-HD-Charon', undefined, 'male', 'en-US'],
  ];
  for (const [voice, language, gender, lang] of table) {
    const i = voiceIntent(voice, language);
    assert.deepEqual([i.gender, i.language], [gender, lang], `${voice} ${language}`);
    assert.equal(i.warning, undefined, `${voice}`);
  }
  assert.match(voiceIntent('Polly.Nobody').warning ?? '', /unknown voice 'Polly.Nobody'/);
  assert.equal(normalizeLanguage('en_us'), 'en-US');
  assert.equal(normalizeLanguage('cmn-hans-cn'), 'cmn-Hans-CN');
  assert.equal(normalizeLanguage('not a tag'), undefined);
});

test('espeak voices: language voices with +f3 for female, regional fallbacks, English with a warning', () => {
  const table: [string | undefined, string | undefined, string][] = [
    [undefined, undefined, 'en-us'],
    ['woman', undefined, 'en-us+f3'],
    ['man', 'en-GB', 'en-gb'],
    ['alice', 'en-AU', 'en-gb+f3'],
    ['man', 'es', 'es'],
    ['man', 'es-ES', 'es'],
    ['woman', 'es-MX', 'es-419+f3'],
    ['man', 'fr-FR', 'fr-fr'],
    ['woman', 'fr-CA', 'fr-fr+f3'],
    ['man', 'de-DE', 'de'],
    ['Polly.Vitoria', undefined, 'pt-br+f3'],
    ['Polly.Ines', undefined, 'pt+f3'],
    ['Polly.Zhiyu', undefined, 'cmn+f3'],
    ['Polly.Takumi', undefined, 'ja'],
    ['alice', 'nb-NO', 'nb+f3'],
    ['alice', 'zh-HK', 'yue+f3'],
    ['en-gb-scotland', undefined, 'en-gb-scotland'],
  ];
  for (const [voice, language, expected] of table) {
    const r = espeak(voice, language);
    assert.equal(r.voice, expected, `${voice} ${language}`);
    assert.equal(r.warning, undefined);
  }
  const xx = espeak('woman', 'xx-YY');
  assert.deepEqual(xx, {
    voice: 'en-us+f3',
    language: 'en-US',
    warning: "no TTS voice for language 'xx-YY'; speaking English (en-US)",
  });
  assert.equal(espeakLanguage('tlh'), undefined);
});

test('flite voices: slt female, kal male, English only (other languages go to espeak)', () => {
  assert.equal(flite('man')?.voice, 'kal');
  assert.equal(flite('woman', 'en-GB')?.voice, 'slt');
  assert.equal(flite('Polly.Joanna')?.voice, 'slt');
  assert.equal(flite('Polly.Brian')?.voice, 'kal');
  assert.equal(flite('awb')?.voice, 'awb');
  assert.equal(flite('man', 'fr-FR'), undefined);
  assert.equal(flite('Polly.Hans'), undefined);
});
