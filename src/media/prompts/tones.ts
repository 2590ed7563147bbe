// Call-progress and DTMF tones as 8 kHz L16 buffers. Cadenced tones are one cycle long (the player loops them);
// steady tones are one second of whole cycles, so looping them is seamless. Country values follow ITU-T E.180
// (Supplement 2), in the tone-list notation `[!]f1[+f2][*mod][/ms],…` (f1*mod: f1 amplitude-modulated by mod, 90 %).

const RATE = 8000;

/** Peak amplitude of a single tone (about -9 dBm0) and of each component of a dual tone. */
const SINGLE_AMPLITUDE = 8000;
const DUAL_AMPLITUDE = 5000;
const MOD_DEPTH = 0.9;
/** Raised-cosine ramp at the edges of each cadence segment, to avoid clicks. */
const RAMP_SAMPLES = 24;
/** Length of a steady (uncadenced) tone buffer. */
const STEADY_MS = 1000;

export interface CountryTones {
  ringback: string;
  busy: string;
  congestion: string;
  dial: string;
}

/** ITU-T E.180 values for the Twilio `ringTone` countries. */
export const COUNTRY_TONES: Record<string, CountryTones> = {
  at: { ringback: '420/1000,0/5000', busy: '420/400,0/400', congestion: '420/200,0/200', dial: '420' },
  au: {
    ringback: '413+438/400,0/200,413+438/400,0/2000',
    busy: '425/375,0/375',
    congestion: '425/375,0/375,420/375,0/375',
    dial: '413+438',
  },
  be: { ringback: '425/1000,0/3000', busy: '425/500,0/500', congestion: '425/167,0/167', dial: '425' },
  bg: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/250,0/250', dial: '425' },
  br: { ringback: '425/1000,0/4000', busy: '425/250,0/250', congestion: '425/250,0/250,425/750,0/250', dial: '425' },
  ch: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/200,0/200', dial: '425' },
  cl: { ringback: '400/1000,0/3000', busy: '400/500,0/500', congestion: '400/200,0/200', dial: '400' },
  cn: { ringback: '450/1000,0/4000', busy: '450/350,0/350', congestion: '450/700,0/700', dial: '450' },
  cz: {
    ringback: '425/1000,0/4000',
    busy: '425/330,0/330',
    congestion: '425/165,0/165',
    dial: '425/330,0/330,425/660,0/660',
  },
  de: { ringback: '425/1000,0/4000', busy: '425/480,0/480', congestion: '425/240,0/240', dial: '425' },
  dk: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/200,0/200', dial: '425' },
  ee: { ringback: '425/1000,0/4000', busy: '425/300,0/300', congestion: '425/200,0/200', dial: '425' },
  es: {
    ringback: '425/1500,0/3000',
    busy: '425/200,0/200',
    congestion: '425/200,0/200,425/200,0/200,425/200,0/600',
    dial: '425',
  },
  fi: { ringback: '425/1000,0/4000', busy: '425/300,0/300', congestion: '425/200,0/200', dial: '425' },
  fr: { ringback: '440/1500,0/3500', busy: '440/500,0/500', congestion: '440/250,0/250', dial: '440' },
  gr: {
    ringback: '425/1000,0/4000',
    busy: '425/300,0/300',
    congestion: '425/200,0/200',
    dial: '425/200,0/300,425/700,0/800',
  },
  hu: { ringback: '425/1250,0/3750', busy: '425/300,0/300', congestion: '425/300,0/300', dial: '425' },
  il: { ringback: '414/1000,0/3000', busy: '414/500,0/500', congestion: '414/250,0/250', dial: '414' },
  in: {
    ringback: '400*25/400,0/200,400*25/400,0/2000',
    busy: '400/750,0/750',
    congestion: '400/250,0/250',
    dial: '400*25',
  },
  it: {
    ringback: '425/1000,0/4000',
    busy: '425/500,0/500',
    congestion: '425/200,0/200',
    dial: '425/200,0/200,425/600,0/1000',
  },
  jp: { ringback: '400*16/1000,0/2000', busy: '400/500,0/500', congestion: '400/500,0/500', dial: '400' },
  lt: { ringback: '425/1000,0/4000', busy: '425/350,0/350', congestion: '425/200,0/200', dial: '425' },
  mx: { ringback: '425/1000,0/4000', busy: '425/250,0/250', congestion: '425/250,0/250', dial: '425' },
  my: { ringback: '425/400,0/200,425/400,0/2000', busy: '425/500,0/500', congestion: '425/500,0/500', dial: '425' },
  nl: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/250,0/250', dial: '425' },
  no: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/200,0/200', dial: '425' },
  nz: {
    ringback: '400+450/400,0/200,400+450/400,0/2000',
    busy: '400/500,0/500',
    congestion: '400/250,0/250',
    dial: '400',
  },
  ph: {
    ringback: '425+480/1000,0/4000',
    busy: '480+620/500,0/500',
    congestion: '480+620/250,0/250',
    dial: '425',
  },
  pl: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/500,0/500', dial: '425' },
  pt: { ringback: '425/1000,0/5000', busy: '425/500,0/500', congestion: '425/200,0/200', dial: '425' },
  ru: { ringback: '425/1000,0/4000', busy: '425/350,0/350', congestion: '425/175,0/175', dial: '425' },
  se: { ringback: '425/1000,0/5000', busy: '425/250,0/250', congestion: '425/250,0/750', dial: '425' },
  sg: {
    ringback: '425*24/400,0/200,425*24/400,0/2000',
    busy: '425/750,0/750',
    congestion: '425/250,0/250',
    dial: '425',
  },
  th: { ringback: '420/1000,0/5000', busy: '400/500,0/500', congestion: '400/300,0/300', dial: '400*50' },
  tw: {
    ringback: '440+480/1000,0/2000',
    busy: '480+620/500,0/500',
    congestion: '480+620/250,0/250',
    dial: '350+440',
  },
  uk: {
    ringback: '400+450/400,0/200,400+450/400,0/2000',
    busy: '400/375,0/375',
    congestion: '400/400,0/350,400/225,0/525',
    dial: '350+440',
  },
  us: {
    ringback: '440+480/2000,0/4000',
    busy: '480+620/500,0/500',
    congestion: '480+620/250,0/250',
    dial: '350+440',
  },
  ve: { ringback: '425/1000,0/4000', busy: '425/500,0/500', congestion: '425/250,0/250', dial: '425' },
  za: {
    ringback: '400*33/400,0/200,400*33/400,0/2000',
    busy: '400/500,0/500',
    congestion: '400/250,0/250',
    dial: '400*33',
  },
};

const COUNTRY_ALIASES: Record<string, string> = { gb: 'uk', ca: 'us', pr: 'us' };

/** The tone set for a country code (ISO 3166 alpha-2, case-insensitive; `gb` = `uk`); unknown codes get `us`. */
export function countryTones(country?: string): CountryTones {
  const c = (country ?? 'us').trim().toLowerCase();
  return COUNTRY_TONES[COUNTRY_ALIASES[c] ?? c] ?? COUNTRY_TONES.us;
}

// ---------------------------------------------------------------------------------------------------------------
// Synthesis

interface Segment {
  freqs: number[];
  mod?: number;
  ms: number;
}

export class ToneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToneError';
  }
}

function msToSamples(ms: number): number {
  return Math.round((ms * RATE) / 1000);
}

function checkFreq(f: number, spec: string): number {
  if (!Number.isFinite(f) || f < 0 || f >= RATE / 2) throw new ToneError(`invalid tone frequency in '${spec}'`);
  return f;
}

/** Parse the tone-list notation: `440+480/2000,0/4000`, `400*25/400`, `!950/330`, `425` (steady). */
export function parseToneList(spec: string): Segment[] {
  const segments: Segment[] = [];
  for (const raw of spec.split(',')) {
    const el = raw.trim().replace(/^!/, '');
    if (!el) continue;
    const m = /^([0-9.]+)(?:([+*])([0-9.]+))?(?:\+([0-9.]+))?(?:\/([0-9]+))?$/.exec(el);
    if (!m) throw new ToneError(`invalid tone element '${el}'`);
    const f1 = checkFreq(Number(m[1]), spec);
    const freqs = f1 > 0 ? [f1] : [];
    let mod: number | undefined;
    if (m[2] === '+') freqs.push(checkFreq(Number(m[3]), spec));
    else if (m[2] === '*') mod = checkFreq(Number(m[3]), spec);
    if (m[4]) freqs.push(checkFreq(Number(m[4]), spec));
    segments.push({ freqs: freqs.filter((f) => f > 0), mod, ms: m[5] === undefined ? STEADY_MS : Number(m[5]) });
  }
  if (segments.length === 0) throw new ToneError(`empty tone list '${spec}'`);
  const total = segments.reduce((a, s) => a + s.ms, 0);
  if (total <= 0 || total > 60_000) throw new ToneError(`tone list '${spec}' must last between 1 ms and 60 s`);
  return segments;
}

function render(segments: Segment[], opts: { amplitude?: number } = {}): Int16Array {
  const total = segments.reduce((a, s) => a + msToSamples(s.ms), 0);
  const out = new Int16Array(total);
  const cadenced = segments.length > 1;
  let pos = 0;
  for (const seg of segments) {
    const n = msToSamples(seg.ms);
    if (seg.freqs.length > 0) {
      const amp = opts.amplitude ?? (seg.freqs.length > 1 ? DUAL_AMPLITUDE : SINGLE_AMPLITUDE) / (seg.mod ? 1.5 : 1);
      const ramp = cadenced ? Math.min(RAMP_SAMPLES, n >> 1) : 0;
      const w = seg.freqs.map((f) => (2 * Math.PI * f) / RATE);
      const wm = seg.mod ? (2 * Math.PI * seg.mod) / RATE : 0;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (const wi of w) v += Math.sin(wi * i);
        if (seg.mod) v *= 1 + MOD_DEPTH * Math.cos(wm * i);
        let g = amp;
        if (i < ramp) g *= 0.5 - 0.5 * Math.cos((Math.PI * i) / ramp);
        else if (i >= n - ramp) g *= 0.5 - 0.5 * Math.cos((Math.PI * (n - 1 - i)) / ramp);
        out[pos + i] = Math.round(v * g);
      }
    }
    pos += n;
  }
  return out;
}

/** A tone list (see `parseToneList`) rendered as one cycle. */
export function toneList(spec: string): Int16Array {
  return render(parseToneList(spec));
}

/** A single beep; the default is Kazoo's 440 Hz for 500 ms. */
export function beep(opts: { freq?: number; ms?: number } = {}): Int16Array {
  const freq = checkFreq(opts.freq ?? 440, 'beep');
  const ms = opts.ms ?? 500;
  return render([
    { freqs: [freq], ms },
    { freqs: [], ms: 0 },
  ]);
}

/** One cadence cycle of the ringback (ringing) tone for a country. */
export function ringback(country?: string): Int16Array {
  return toneList(countryTones(country).ringback);
}

export function busy(country?: string): Int16Array {
  return toneList(countryTones(country).busy);
}

export function congestion(country?: string): Int16Array {
  return toneList(countryTones(country).congestion);
}

export function dialTone(country?: string): Int16Array {
  return toneList(countryTones(country).dial);
}

export function silence(ms: number): Int16Array {
  if (!Number.isFinite(ms) || ms < 0) throw new ToneError(`invalid silence length ${ms}`);
  return new Int16Array(msToSamples(ms));
}

// ---------------------------------------------------------------------------------------------------------------
// DTMF

const DTMF_LOW = [697, 770, 852, 941];
const DTMF_HIGH = [1209, 1336, 1477, 1633];
const DTMF_KEYS = ['123A', '456B', '789C', '*0#D'];

/** The (low, high) frequency pair of each DTMF key. */
export const DTMF_FREQUENCIES: Record<string, [number, number]> = {};
DTMF_KEYS.forEach((row, r) => [...row].forEach((key, c) => (DTMF_FREQUENCIES[key] = [DTMF_LOW[r], DTMF_HIGH[c]])));

/** Low group about -10 dBm0, high group 2 dB higher (positive twist, as telephones send). */
const DTMF_LOW_AMPLITUDE = 5500;
const DTMF_HIGH_AMPLITUDE = 6900;

/**
 * DTMF tones for a digit string: 0-9 * # A-D, `w` a 0.5 s pause and `W` a 1 s pause (Twilio `sendDigits`). Each
 * key is `toneMs` of tone followed by `gapMs` of silence.
 */
export function dtmfTones(digits: string, opts: { toneMs?: number; gapMs?: number } = {}): Int16Array {
  const toneN = msToSamples(opts.toneMs ?? 100);
  const gapN = msToSamples(opts.gapMs ?? 100);
  let total = 0;
  for (const ch of digits) {
    const key = ch.toUpperCase();
    if (ch === 'w') total += msToSamples(500);
    else if (ch === 'W') total += msToSamples(1000);
    else if (DTMF_FREQUENCIES[key]) total += toneN + gapN;
    else throw new ToneError(`invalid DTMF digit '${ch}' in '${digits}'`);
  }
  if (total > msToSamples(600_000)) throw new ToneError('DTMF string too long');
  const out = new Int16Array(total);
  let pos = 0;
  for (const ch of digits) {
    if (ch === 'w' || ch === 'W') {
      pos += msToSamples(ch === 'w' ? 500 : 1000);
      continue;
    }
    const [lo, hi] = DTMF_FREQUENCIES[ch.toUpperCase()];
    const wl = (2 * Math.PI * lo) / RATE;
    const wh = (2 * Math.PI * hi) / RATE;
    const ramp = Math.min(RAMP_SAMPLES / 3, toneN >> 1);
    for (let i = 0; i < toneN; i++) {
      let g = 1;
      if (i < ramp) g = 0.5 - 0.5 * Math.cos((Math.PI * i) / ramp);
      else if (i >= toneN - ramp) g = 0.5 - 0.5 * Math.cos((Math.PI * (toneN - 1 - i)) / ramp);
      out[pos + i] = Math.round(g * (DTMF_LOW_AMPLITUDE * Math.sin(wl * i) + DTMF_HIGH_AMPLITUDE * Math.sin(wh * i)));
    }
    pos += toneN + gapN;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Named tones

/** FreeSWITCH TGML segments `%(on,off,f1[,f2…])`, other directives (v=, L=, >=, +=) ignored. */
function parseTgml(spec: string): Segment[] | undefined {
  const re = /%\(\s*([0-9]+)\s*,\s*([0-9]+)\s*((?:,\s*[0-9.]+\s*)*)\)/g;
  const segments: Segment[] = [];
  for (let m = re.exec(spec); m; m = re.exec(spec)) {
    const freqs = m[3]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => checkFreq(Number(s), spec))
      .filter((f) => f > 0);
    segments.push({ freqs, ms: Number(m[1]) });
    if (Number(m[2]) > 0) segments.push({ freqs: [], ms: Number(m[2]) });
  }
  if (segments.length === 0) return undefined;
  if (segments.length === 1) segments.push({ freqs: [], ms: 0 });
  return segments;
}

/**
 * A tone by name: `beep`, `ringback` (`ring`, `ringing`), `busy`, `congestion` (`reorder`, `fast-busy`), `dial`,
 * a tone list (`440+480/2000,0/4000`) or FreeSWITCH TGML (`tone_stream://%(2000,4000,440,480)`).
 */
export function toneByName(name: string, country?: string): Int16Array | { error: string } {
  const n = name.trim().replace(/^tone_stream:\/\//i, '');
  try {
    switch (n.toLowerCase()) {
      case 'beep':
        return beep();
      case 'ringback':
      case 'ring':
      case 'ringing':
        return ringback(country);
      case 'busy':
        return busy(country);
      case 'congestion':
      case 'reorder':
      case 'fast-busy':
      case 'fastbusy':
        return congestion(country);
      case 'dial':
      case 'dialtone':
        return dialTone(country);
    }
    const tgml = parseTgml(n);
    if (tgml) return render(tgml);
    if (/^!?[0-9]/.test(n)) return toneList(n);
    return { error: `unknown tone '${name}'` };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
