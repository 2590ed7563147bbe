// Real phones (baresip) over RTP on loopback: one hears a TTS prompt and sends DTMF that Pivot collects; two are
// bridged and each hears the other's tone; three meet in a conference and each hears the others but not itself.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipCall } from '../../../src/call/sip-call.js';
import { Baresip } from '../../helpers/baresip.js';
import { heardBy, mediaRig, read8k, rmsOf, toneShare, type MediaRig } from '../../helpers/media.js';

let rig: MediaRig;
const handlers = new Map<string, (call: SipCall) => Promise<void>>();

before(async () => {
  rig = await mediaRig({ min: 31200, max: 31599 });
  rig.onCall(async (call) => {
    const h = handlers.get(call.request.user);
    if (h) await h(call);
    else await call.reject(404);
  });
});

after(async () => {
  await rig.close();
});

async function phone(sineHz: number): Promise<{ phone: Baresip; dump: string }> {
  const dump = mkdtempSync(join(tmpdir(), 'baresip-dump-'));
  const p = await Baresip.start({
    account: `<sip:phone${sineHz}@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU`,
    sineHz,
    dumpDir: dump,
  });
  return { phone: p, dump };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('baresip hears a TTS prompt (length and energy) and the digits it sends are collected', async () => {
  const { phone: p, dump } = await phone(440);
  let collected = '';
  let said: Awaited<ReturnType<SipCall['say']>> | undefined;
  const done = new Promise<void>((resolve) => {
    handlers.set('prompt', async (call) => {
      await call.answer();
      said = await call.say('Welcome to Pivot. Please enter your account number, then press pound.');
      const got = await call.collect({ maxDigits: 10, timeoutMs: 8000, interdigitMs: 3000, terminators: '#' });
      collected = got.digits;
      await call.hangup();
      resolve();
    });
  });
  try {
    p.command('dial', `sip:prompt@${rig.target}`);
    await p.waitFor('CALL_ESTABLISHED');
    await sleep(5500);
    p.command('sndcode', '1');
    await sleep(300);
    p.command('sndcode', '2');
    await sleep(300);
    p.command('sndcode', '3');
    await sleep(300);
    p.command('sndcode', '#');
    await done;
    await p.waitFor('CALL_CLOSED');
  } finally {
    await p.stop();
  }
  assert.equal(said?.reason, 'done', JSON.stringify(said));
  assert.equal(collected, '123');
  const heard = await read8k(await heardBy(dump));
  assert.ok(heard.length > 8000 * 4, `the phone heard ${heard.length / 8000} s`);
  assert.ok(rmsOf(heard, 0, 8000 * 3) > 300, 'the prompt reached the phone with energy');
});

test('two baresip legs bridged: each hears the tone of the other', async () => {
  const a = await phone(440);
  const b = await phone(1000);
  let result: Awaited<ReturnType<SipCall['dial']>> | undefined;
  const done = new Promise<void>((resolve) => {
    handlers.set('bridge', async (call) => {
      await call.answer();
      result = await call.dial({
        endpoints: [{ type: 'sip', uri: `sip:phone1000@127.0.0.1:${b.phone.sipPort}` }],
        strategy: 'simultaneous',
        timeoutMs: 10_000,
        timeLimitMs: 3000,
      });
      await call.hangup();
      resolve();
    });
  });
  try {
    a.phone.command('dial', `sip:bridge@${rig.target}`);
    await done;
    await a.phone.waitFor('CALL_CLOSED');
    await b.phone.waitFor('CALL_CLOSED');
  } finally {
    await Promise.all([a.phone.stop(), b.phone.stop()]);
  }
  assert.equal(result?.status, 'completed', JSON.stringify(result));
  assert.equal(result?.bridged, true);
  const heardA = await read8k(await heardBy(a.dump));
  const heardB = await read8k(await heardBy(b.dump));
  const mid = (x: Int16Array): [number, number] => [Math.floor(x.length * 0.3), Math.floor(x.length * 0.8)];
  assert.ok(
    toneShare(heardA, 1000, ...mid(heardA)) > 0.3,
    `A hears B's 1000 Hz (${toneShare(heardA, 1000, ...mid(heardA))})`,
  );
  assert.ok(
    toneShare(heardB, 440, ...mid(heardB)) > 0.3,
    `B hears A's 440 Hz (${toneShare(heardB, 440, ...mid(heardB))})`,
  );
});

test('three-party conference: each participant hears the other two and not itself', async () => {
  const tones = [440, 1000, 1800];
  const phones = await Promise.all(tones.map(phone));
  let joined = 0;
  const allIn = new Promise<void>((resolve) => {
    handlers.set('conf', async (call) => {
      await call.answer();
      joined++;
      if (joined === 3) resolve();
      await call.conference({ room: 'acme:standup', startOnEnter: true });
    });
  });
  try {
    for (const p of phones) p.phone.command('dial', `sip:conf@${rig.target}`);
    await allIn;
    await sleep(3000);
    for (const p of phones) p.phone.command('hangup');
    await Promise.all(phones.map((p) => p.phone.waitFor('CALL_CLOSED')));
  } finally {
    await Promise.all(phones.map((p) => p.phone.stop()));
  }
  for (const [i, p] of phones.entries()) {
    const heard = await read8k(await heardBy(p.dump));
    const span: [number, number] = [heard.length - 8000 * 2.5, heard.length - 8000 * 0.5];
    const own = toneShare(heard, tones[i], ...span);
    const others = tones.filter((_, j) => j !== i).map((hz) => toneShare(heard, hz, ...span));
    for (const o of others) assert.ok(o > 0.15, `phone ${tones[i]} hears the others (${others})`);
    assert.ok(own < 0.05, `phone ${tones[i]} does not hear itself (${own})`);
  }
});

test('speech: a caller saying "support" is recognised from the hints (pocketsphinx)', async () => {
  const dump = mkdtempSync(join(tmpdir(), 'baresip-speech-'));
  const wav = join(dump, 'support.wav');
  // flite says it at 8 kHz; sox pads it with silence before and after (baresip hangs up when its file ends).
  execFileSync('flite', ['-voice', 'kal', '-t', 'support', '-o', join(dump, 'raw.wav')]);
  execFileSync('sox', [join(dump, 'raw.wav'), '-r', '48000', '-c', '2', wav, 'pad', '1.5', '6']);
  const p = await Baresip.start({ account: '<sip:speaker@127.0.0.1>;regint=0;audio_codecs=PCMU', wav });
  let result: Awaited<ReturnType<SipCall['collect']>> | undefined;
  const done = new Promise<void>((resolve) => {
    handlers.set('speech', async (call) => {
      await call.answer();
      result = await call.collect({
        maxDigits: 1,
        timeoutMs: 5000,
        speech: { hints: ['sales', 'support', 'billing', 'operator'], speechTimeoutMs: 800 },
      });
      await call.hangup();
      resolve();
    });
  });
  try {
    p.command('dial', `sip:speech@${rig.target}`);
    await done;
  } finally {
    await p.stop();
  }
  assert.equal(result?.reason, 'speech', JSON.stringify(result));
  assert.match(result?.speech?.text ?? '', /support/);
});
