// Voice mapping: Twilio (`man`, `woman`, `alice`, `Polly.<Name>[-Neural|-Generative]`, `Google.<locale>-…`) and
// Kazoo (`male`, `female`) voices plus a `language` attribute become a gender and a language, which each engine
// turns into one of its own voices. Nothing fails: an unknown voice keeps the default gender, and a language no
// engine speaks falls back to English with a warning for the caller to log.

export type Gender = 'male' | 'female';

export interface VoiceIntent {
  gender: Gender;
  /** BCP 47 style, region upper-case: `en-US`, `fr-FR`, `es`. */
  language: string;
  /** An engine voice named directly (`slt`, `en-gb+f2`), used when that engine is chosen. */
  engineVoice?: string;
  warning?: string;
}

export interface ResolvedVoice {
  /** The engine's own voice argument (`kal`, `en-us+f3`). */
  voice: string;
  /** The language the engine will speak. */
  language: string;
  warning?: string;
}

/** Twilio's default `<Say>` voice is `man`. */
export const DEFAULT_GENDER: Gender = 'male';
export const DEFAULT_LANGUAGE = 'en-US';

/** Amazon Polly voices: gender and native language. */
const POLLY: Record<string, [Gender, string]> = {
  // English (US)
  joanna: ['female', 'en-US'],
  salli: ['female', 'en-US'],
  kimberly: ['female', 'en-US'],
  kendra: ['female', 'en-US'],
  ivy: ['female', 'en-US'],
  ruth: ['female', 'en-US'],
  danielle: ['female', 'en-US'],
  matthew: ['male', 'en-US'],
  justin: ['male', 'en-US'],
  joey: ['male', 'en-US'],
  kevin: ['male', 'en-US'],
  stephen: ['male', 'en-US'],
  gregory: ['male', 'en-US'],
  patrick: ['male', 'en-US'],
  // English (other)
  amy: ['female', 'en-GB'],
  emma: ['female', 'en-GB'],
  brian: ['male', 'en-GB'],
  arthur: ['male', 'en-GB'],
  nicole: ['female', 'en-AU'],
  olivia: ['female', 'en-AU'],
  russell: ['male', 'en-AU'],
  aditi: ['female', 'en-IN'],
  raveena: ['female', 'en-IN'],
  kajal: ['female', 'en-IN'],
  aria: ['female', 'en-NZ'],
  ayanda: ['female', 'en-ZA'],
  niamh: ['female', 'en-IE'],
  geraint: ['male', 'en-GB'],
  // Spanish
  conchita: ['female', 'es-ES'],
  lucia: ['female', 'es-ES'],
  enrique: ['male', 'es-ES'],
  sergio: ['male', 'es-ES'],
  mia: ['female', 'es-MX'],
  andres: ['male', 'es-MX'],
  penelope: ['female', 'es-US'],
  lupe: ['female', 'es-US'],
  miguel: ['male', 'es-US'],
  pedro: ['male', 'es-US'],
  // French
  celine: ['female', 'fr-FR'],
  lea: ['female', 'fr-FR'],
  mathieu: ['male', 'fr-FR'],
  remi: ['male', 'fr-FR'],
  chantal: ['female', 'fr-CA'],
  gabrielle: ['female', 'fr-CA'],
  liam: ['male', 'fr-CA'],
  isabelle: ['female', 'fr-BE'],
  // German
  marlene: ['female', 'de-DE'],
  vicki: ['female', 'de-DE'],
  hans: ['male', 'de-DE'],
  daniel: ['male', 'de-DE'],
  hannah: ['female', 'de-AT'],
  sabrina: ['female', 'de-CH'],
  // Italian, Portuguese
  carla: ['female', 'it-IT'],
  bianca: ['female', 'it-IT'],
  giorgio: ['male', 'it-IT'],
  adriano: ['male', 'it-IT'],
  vitoria: ['female', 'pt-BR'],
  camila: ['female', 'pt-BR'],
  ricardo: ['male', 'pt-BR'],
  thiago: ['male', 'pt-BR'],
  ines: ['female', 'pt-PT'],
  cristiano: ['male', 'pt-PT'],
  // Others
  mizuki: ['female', 'ja-JP'],
  kazuha: ['female', 'ja-JP'],
  tomoko: ['female', 'ja-JP'],
  takumi: ['male', 'ja-JP'],
  seoyeon: ['female', 'ko-KR'],
  zhiyu: ['female', 'cmn-CN'],
  hiujin: ['female', 'yue-CN'],
  lotte: ['female', 'nl-NL'],
  laura: ['female', 'nl-NL'],
  ruben: ['male', 'nl-NL'],
  naja: ['female', 'da-DK'],
  sofie: ['female', 'da-DK'],
  mads: ['male', 'da-DK'],
  liv: ['female', 'nb-NO'],
  ida: ['female', 'nb-NO'],
  ewa: ['female', 'pl-PL'],
  maja: ['female', 'pl-PL'],
  ola: ['female', 'pl-PL'],
  jacek: ['male', 'pl-PL'],
  jan: ['male', 'pl-PL'],
  carmen: ['female', 'ro-RO'],
  tatyana: ['female', 'ru-RU'],
  maxim: ['male', 'ru-RU'],
  astrid: ['female', 'sv-SE'],
  elin: ['female', 'sv-SE'],
  filiz: ['female', 'tr-TR'],
  burcu: ['female', 'tr-TR'],
  gwyneth: ['female', 'cy-GB'],
  dora: ['female', 'is-IS'],
  karl: ['male', 'is-IS'],
  zeina: ['female', 'ar'],
  hala: ['female', 'ar-AE'],
  zayd: ['male', 'ar-AE'],
  suvi: ['female', 'fi-FI'],
  kajsa: ['female', 'sv-SE'],
};

/** Google voices whose gender the name does not tell: en-US letters and the Chirp 3 HD names. */
const GOOGLE_MALE = new Set(['a', 'b', 'd', 'i', 'j', 'charon', 'fenrir', 'orus', 'puck', 'achird', 'algenib']);

/** Normalise a language tag: `en_us` → `en-US`, `ES` → `es`, `cmn-hans-cn` → `cmn-Hans-CN`. */
export function normalizeLanguage(tag: string | undefined): string | undefined {
  const t = tag?.trim().replace(/_/g, '-');
  if (!t || !/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(t)) return undefined;
  const [first, ...rest] = t.split('-');
  return [
    first.toLowerCase(),
    ...rest.map((p) =>
      p.length === 2
        ? p.toUpperCase()
        : p.length === 4
          ? p[0].toUpperCase() + p.slice(1).toLowerCase()
          : p.toLowerCase(),
    ),
  ].join('-');
}

/** Gender and language from Twilio/Kazoo `voice` and `language` attributes. */
export function voiceIntent(voice?: string, language?: string): VoiceIntent {
  const lang = normalizeLanguage(language);
  const warn: string[] = [];
  if (language && !lang) warn.push(`invalid TTS language '${language}'`);
  const v = (voice ?? '').trim();
  const lower = v.toLowerCase();
  let gender: Gender = DEFAULT_GENDER;
  let native: string | undefined;
  let engineVoice: string | undefined;
  if (!v) {
    // default voice
  } else if (lower === 'man' || lower === 'male') {
    gender = 'male';
  } else if (lower === 'woman' || lower === 'female' || lower === 'alice') {
    gender = 'female';
  } else if (lower.startsWith('polly.')) {
    const name = lower
      .slice(6)
      .replace(/-(neural|generative|standard|long-form)$/, '')
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '');
    const hit = POLLY[name];
    if (hit) [gender, native] = hit;
    else warn.push(`unknown voice '${v}'; using the default voice`);
  } else if (lower.startsWith('google.')) {
    const parts = v.slice(7).split('-');
    native = normalizeLanguage(parts.slice(0, 2).join('-'));
    const last = parts[parts.length - 1]?.toLowerCase() ?? '';
    gender = GOOGLE_MALE.has(last) ? 'male' : 'female';
  } else if (/^[a-z0-9_.+-]+$/i.test(v)) {
    engineVoice = v; // an engine voice named directly (kal, slt, en-gb+f3); engines that lack it use the default
  } else {
    warn.push(`unknown voice '${v}'; using the default voice`);
  }
  return {
    gender,
    language: lang ?? native ?? DEFAULT_LANGUAGE,
    engineVoice,
    warning: warn.length ? warn.join('; ') : undefined,
  };
}

function joinWarnings(...w: (string | undefined)[]): string | undefined {
  const list = w.filter(Boolean);
  return list.length ? list.join('; ') : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// espeak-ng (Debian binary and the npm WASM build share the same voice list, 1.51)

export const ESPEAK_LANGUAGES = new Set(
  (
    'af am an ar as az ba be bg bn bpy bs ca chr-US-Qaaa-x-west cmn cmn-latn-pinyin cs cv cy da de el en-029 en-gb ' +
    'en-gb-scotland en-gb-x-gbclan en-gb-x-gbcwmd en-gb-x-rp en-us en-us-nyc eo es es-419 et eu fa fa-latn fi fr-be ' +
    'fr-ch fr-fr ga gd gn grc gu hak haw he hi hr ht hu hy hyw ia id io is it ja jbo ka kk kl kn ko kok ku ky la lb ' +
    'lfn lt ltg lv mi mk ml mr ms mt my nb nci ne nl nog om or pa pap piqd pl pt pt-br py qdb qu quc qya ro ru ru-lv ' +
    'sd shn si sjn sk sl smj sq sr sv sw ta te th tk tn tr tt ug uk ur uz vi vi-vn-x-central vi-vn-x-south yue'
  )
    .toLowerCase()
    .split(' '),
);

const ESPEAK_ALIASES: Record<string, string> = {
  en: 'en-us',
  'en-ca': 'en-us',
  'en-au': 'en-gb',
  'en-nz': 'en-gb',
  'en-ie': 'en-gb',
  'en-in': 'en-gb',
  'en-za': 'en-gb',
  'en-sg': 'en-gb',
  'en-gb-wls': 'en-gb',
  fr: 'fr-fr',
  'fr-ca': 'fr-fr',
  'pt-pt': 'pt',
  zh: 'cmn',
  'zh-cn': 'cmn',
  'zh-tw': 'cmn',
  'zh-sg': 'cmn',
  'cmn-cn': 'cmn',
  'cmn-tw': 'cmn',
  'zh-hk': 'yue',
  'yue-hk': 'yue',
  'yue-cn': 'yue',
  no: 'nb',
  nn: 'nb',
  iw: 'he',
  arb: 'ar',
  'es-es': 'es',
};

/** The espeak language voice for a tag, or undefined when espeak has none. */
export function espeakLanguage(language: string): string | undefined {
  const t = language.toLowerCase();
  if (ESPEAK_LANGUAGES.has(t)) return t;
  if (ESPEAK_ALIASES[t]) return ESPEAK_ALIASES[t];
  const primary = t.split('-')[0];
  if (primary === 'es') return 'es-419'; // Latin American Spanish for es-MX, es-US, es-AR…
  return ESPEAK_ALIASES[primary] ?? (ESPEAK_LANGUAGES.has(primary) ? primary : undefined);
}

/** Female voices use espeak's `+f3` variant; male ones the language voice itself. */
export function espeakVoice(intent: VoiceIntent): ResolvedVoice {
  if (intent.engineVoice) {
    const [base] = intent.engineVoice.toLowerCase().split('+');
    if (ESPEAK_LANGUAGES.has(base)) return { voice: intent.engineVoice.toLowerCase(), language: base };
  }
  const lang = espeakLanguage(intent.language);
  const variant = intent.gender === 'female' ? '+f3' : '';
  if (!lang) {
    return {
      voice: `en-us${variant}`,
      language: DEFAULT_LANGUAGE,
      warning: joinWarnings(intent.warning, `no TTS voice for language '${intent.language}'; speaking English (en-US)`),
    };
  }
  return { voice: `${lang}${variant}`, language: intent.language, warning: intent.warning };
}

// ---------------------------------------------------------------------------------------------------------------
// flite (English only)

export const FLITE_VOICES = ['kal', 'kal16', 'slt', 'awb', 'rms', 'awb_time'];

/** `slt` for female voices, `kal` (8 kHz natively) for male ones; undefined for languages other than English. */
export function fliteVoice(intent: VoiceIntent): ResolvedVoice | undefined {
  if (intent.engineVoice && FLITE_VOICES.includes(intent.engineVoice.toLowerCase())) {
    return { voice: intent.engineVoice.toLowerCase(), language: 'en-US', warning: intent.warning };
  }
  if (intent.language.split('-')[0].toLowerCase() !== 'en') return undefined;
  return { voice: intent.gender === 'female' ? 'slt' : 'kal', language: intent.language, warning: intent.warning };
}
