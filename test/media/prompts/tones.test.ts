// Tone generators: frequencies (Goertzel), cadence lengths, country fallback, DTMF strings with pauses.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  COUNTRY_TONES,
  DTMF_FREQUENCIES,
  beep,
  busy,
  congestion,
  countryTones,
  dialTone,
  dtmfTones,
  parseToneList,
  ringback,
  silence,
  toneByName,
} from '../../../src/media/prompts/tones.js';
import { bursts, rms, toneShare } from './signal.js';

const ms = (samples: number) => Math.round(samples / 8);

/** Share of energy at the given frequencies within [from, to). */
function share(x: Int16Array, freqs: number[], from = 0, to = x.length): number {
  return freqs.reduce((a, f) => a + toneShare(x, f, 8000, from, to), 0);
}

test('beep: 440 Hz for 500 ms by default', () => {
  const b = beep();
  assert.equal(b.length, 4000);
  assert.ok(share(b, [440], 40, 3960) > 0.98);
  assert.ok(rms(b) > 4000);
  const b2 = beep({ freq: 1000, ms: 200 });
  assert.equal(b2.length, 1600);
  assert.ok(share(b2, [1000], 40, 1560) > 0.98);
});

test('US ringback: 440+480 Hz, 2 s on 4 s off, one cycle', () => {
  const r = ringback('us');
  assert.equal(ms(r.length), 6000);
  const on = bursts(r);
  assert.equal(on.length, 1);
  assert.ok(Math.abs(ms(on[0][1]) - 2000) <= 5, `on ${ms(on[0][1])} ms`);
  assert.ok(share(r, [440, 480], 100, 15900) > 0.97);
  assert.equal(rms(r, 16100, r.length), 0);
});

test('UK ringback: 400+450 Hz, 0.4 on 0.2 off 0.4 on 2.0 off', () => {
  const r = ringback('uk');
  assert.equal(ms(r.length), 3000);
  const on = bursts(r);
  assert.deepEqual(
    on.map(([s, n]) => [Math.round(ms(s) / 10) * 10, Math.round(ms(n) / 10) * 10]),
    [
      [0, 400],
      [600, 400],
    ],
  );
  assert.ok(share(r, [400, 450], 100, 3100) > 0.95);
  assert.deepEqual(ringback('GB'), r, 'gb is uk');
});

test('every Twilio ringTone country has E.180 tones; unknown countries fall back to us', () => {
  const list =
    'at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl no nz ph pl pt ru se sg th uk us tw ve za';
  for (const c of list.split(' ')) {
    assert.ok(COUNTRY_TONES[c], c);
    for (const kind of ['ringback', 'busy', 'congestion', 'dial'] as const) {
      const segs = parseToneList(COUNTRY_TONES[c][kind]);
      assert.ok(segs.length >= 1, `${c} ${kind}`);
    }
    const r = ringback(c);
    assert.ok(r.length > 8000 && rms(r) > 1000, `${c} ringback`);
  }
  assert.deepEqual(countryTones('zz'), COUNTRY_TONES.us);
  assert.deepEqual(ringback('zz'), ringback('us'));
  // de: 425 Hz 1 s on 4 s off; fr: 440 Hz 1.5 s on 3.5 s off; jp: 400 Hz modulated by 16 Hz, 1 s on 2 s off.
  const de = ringback('de');
  assert.equal(ms(de.length), 5000);
  assert.ok(Math.abs(ms(bursts(de)[0][1]) - 1000) <= 5);
  assert.ok(share(de, [425], 100, 7900) > 0.97);
  const fr = ringback('fr');
  assert.ok(Math.abs(ms(bursts(fr)[0][1]) - 1500) <= 5);
  const jp = ringback('jp');
  assert.equal(ms(jp.length), 3000);
  assert.ok(share(jp, [384, 400, 416], 100, 7900) > 0.9, 'AM sidebands');
});

test('busy, congestion and dial tones', () => {
  const b = busy('us');
  assert.equal(ms(b.length), 1000);
  assert.ok(share(b, [480, 620], 100, 3900) > 0.97);
  assert.ok(Math.abs(ms(bursts(b)[0][1]) - 500) <= 5);
  const c = congestion('us');
  assert.equal(ms(c.length), 500);
  assert.ok(Math.abs(ms(bursts(c)[0][1]) - 250) <= 5);
  const ukc = congestion('uk');
  assert.equal(bursts(ukc).length, 2);
  const d = dialTone('us');
  assert.equal(ms(d.length), 1000);
  assert.ok(share(d, [350, 440]) > 0.99);
  // A steady tone loops seamlessly: whole cycles, so the sample before the first is the last (a sum of sines is
  // odd: x(-1) = -x(1)).
  assert.equal(d[0], 0);
  assert.ok(Math.abs(d[d.length - 1] + d[1]) <= 1);
});

test('DTMF strings: each key 100 ms of its two frequencies, w = 0.5 s and W = 1 s pauses', () => {
  const t = dtmfTones('1w9W#');
  assert.equal(ms(t.length), 200 + 500 + 200 + 1000 + 200);
  const on = bursts(t);
  assert.equal(on.length, 3);
  assert.deepEqual(
    on.map(([s]) => Math.round(ms(s) / 10) * 10),
    [0, 700, 1900],
  );
  for (const [i, key] of ['1', '9', '#'].entries()) {
    const [start, len] = on[i];
    const [lo, hi] = DTMF_FREQUENCIES[key];
    assert.ok(share(t, [lo, hi], start + 8, start + len - 8) > 0.95, key);
    assert.ok(Math.abs(ms(len) - 100) <= 2, `${key} ${ms(len)} ms`);
  }
  assert.equal(Object.keys(DTMF_FREQUENCIES).length, 16);
  assert.throws(() => dtmfTones('12x'), /invalid DTMF digit 'x'/);
});

test('silence and named tones', () => {
  assert.equal(silence(250).length, 2000);
  assert.equal(rms(silence(100)), 0);
  assert.deepEqual(toneByName('ringing', 'uk'), ringback('uk'));
  assert.deepEqual(toneByName('beep'), beep());
  const tgml = toneByName('tone_stream://%(2000,4000,440,480)');
  assert.ok(tgml instanceof Int16Array);
  assert.equal(ms(tgml.length), 6000);
  assert.ok(share(tgml, [440, 480], 100, 15900) > 0.97);
  const list = toneByName('1000/300,0/200');
  assert.ok(list instanceof Int16Array && ms(list.length) === 500);
  assert.deepEqual(toneByName('whistle'), { error: "unknown tone 'whistle'" });
  assert.match((toneByName('9000/100') as { error: string }).error, /invalid tone frequency/);
});
