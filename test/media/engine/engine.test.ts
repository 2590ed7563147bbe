// The media engine over real RTP on loopback, without SIP: sessions sending to each other, RFC 4733 DTMF between
// them, a bridge across two workers through the frame rings, the port pool running dry (503), and a worker
// that dies (its sessions fail with a cause, and it comes back).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaEngine, MediaError, MediaSession, SPARES_PER_WORKER } from '../../../src/media/engine.js';
import { toUlaw } from '../../../src/media/prompts/audio.js';
import type { RecordSpec } from '../../../src/media/protocol.js';
import { read8k, rmsOf, toneShare } from '../../helpers/media.js';

const dir = mkdtempSync(join(tmpdir(), 'pivot-engine-'));
const engines: MediaEngine[] = [];

after(async () => {
  for (const e of engines) await e.stop();
});

function engine(ports: { min: number; max: number }, workers: number): MediaEngine {
  const e = new MediaEngine({ host: '127.0.0.1', ports, workers, rtpTimeoutMs: 0 });
  e.start();
  engines.push(e);
  return e;
}

/** A µ-law prompt file: `seconds` of a sine at `hz`. */
function tone(hz: number, seconds: number): string {
  const samples = new Int16Array(8000 * seconds);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  const path = join(dir, `tone-${hz}-${seconds}.ul`);
  writeFileSync(path, toUlaw(samples));
  return path;
}

const pcmu = (port: number) => ({
  address: '127.0.0.1',
  port,
  codec: 'PCMU' as const,
  payloadType: 0,
  dtmfPayloadType: 101,
});

const recordSpec = (file: string, maxMs: number): RecordSpec => ({
  file,
  legs: 'caller',
  channels: 1,
  maxMs,
  silenceMs: 0,
  beep: false,
  terminators: '',
  trimSilence: false,
});

test('two sessions exchange audio and RFC 4733 digits over RTP', async () => {
  const e = engine({ min: 32100, max: 32199 }, 1);
  const a = await e.open();
  const b = await e.open();
  a.setRemote(pcmu(b.port));
  b.setRemote(pcmu(a.port));
  const file = join(dir, 'b-hears-a.wav');
  const recording = b.record(recordSpec(file, 1500));
  const played = await a.play([tone(1000, 1)]);
  assert.equal(played.reason, 'done');
  const rec = await recording;
  assert.equal(rec.reason, 'max_length');
  const heard = await read8k(file);
  assert.ok(rmsOf(heard) > 1000, `b recorded a's tone (rms ${rmsOf(heard)})`);
  assert.ok(toneShare(heard, 1000, 800, 7200) > 0.5, 'at 1000 Hz');
  const digits: string[] = [];
  b.on('dtmf', (d: string) => digits.push(d));
  await a.sendDtmf('5#9', 100);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(digits, ['5', '#', '9']);
  await Promise.all([a.close(), b.close()]);
});

test('a prompt starting between ticks goes out at once as the next packet of the stream, which keeps its pace', async () => {
  const e = engine({ min: 32404, max: 32499 }, 1);
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const packets: { seq: number; ts: number; silent: boolean }[] = [];
  sink.on('message', (m: Buffer) => {
    if ((m[1] & 0x7f) !== 0) return; // RTCP
    packets.push({ seq: m.readUInt16BE(2), ts: m.readUInt32BE(4), silent: m.subarray(12).every((b) => b === 0xff) });
  });
  const a = await e.open();
  a.setRemote(pcmu(sink.address().port));
  await new Promise((r) => setTimeout(r, 110));
  const played = await a.play([tone(440, 0.2)]);
  assert.equal(played.reason, 'done');
  await new Promise((r) => setTimeout(r, 60));
  await a.close();
  sink.close();
  const first = packets.findIndex((p) => !p.silent);
  assert.ok(first > 0, 'silence, then the prompt');
  assert.equal(packets.filter((p) => !p.silent).length, 10, 'the 200 ms prompt is 10 packets');
  for (let i = 1; i < packets.length; i++) {
    assert.equal(packets[i].seq, (packets[i - 1].seq + 1) & 0xffff, `packet ${i} follows the one before`);
    assert.equal(packets[i].ts, (packets[i - 1].ts + 160) >>> 0, `packet ${i} is 20 ms after the one before`);
  }
});

test('a bridge across two workers relays audio through the frame rings', async () => {
  const e = engine({ min: 32200, max: 32399 }, 2);
  // caller ↔ x (worker 0) … bridge … y (worker 1) ↔ callee
  const caller = await e.open();
  const x = await e.open();
  const y = await e.open();
  const callee = await e.open();
  assert.notEqual(
    (x as unknown as { slot: unknown }).slot,
    (y as unknown as { slot: unknown }).slot,
    'x and y are on different workers',
  );
  caller.setRemote(pcmu(x.port));
  x.setRemote(pcmu(caller.port));
  y.setRemote(pcmu(callee.port));
  callee.setRemote(pcmu(y.port));
  MediaSession.bridge(x, y);
  const file = join(dir, 'callee-hears-caller.wav');
  const recording = callee.record(recordSpec(file, 1500));
  await caller.play([tone(700, 1)]);
  await recording;
  const heard = await read8k(file);
  assert.ok(
    toneShare(heard, 700, 1600, 7200) > 0.4,
    `the callee heard the caller's 700 Hz (${toneShare(heard, 700, 1600, 7200)})`,
  );
  MediaSession.unbridge(x, y);
  await Promise.all([caller, x, y, callee].map((s) => s.close()));
});

test('an empty port pool is a 503 MediaError', async () => {
  const e = engine({ min: 32400, max: 32403 }, 1);
  const s1 = await e.open();
  const s2 = await e.open();
  await assert.rejects(e.open(), (err: unknown) => err instanceof MediaError && err.sipStatus === 503);
  await s1.close();
  const s3 = await e.open();
  assert.equal(s3.port, s1.port, 'a freed port is used again');
  await Promise.all([s2.close(), s3.close()]);
});

test('sessions open on socket pairs bound ahead of time, which come back after each open', async () => {
  const e = engine({ min: 32600, max: 32699 }, 1);
  const spares = async (n: number): Promise<void> => {
    for (let i = 0; i < 100 && e.load()[0]!.spares < n; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(e.load()[0]!.spares, n, `${n} spare socket pairs are ready`);
  };
  await spares(SPARES_PER_WORKER);
  // More opens at once than there are spares: the first ones take spares, the rest wait for the ones in flight.
  const sessions = await Promise.all(Array.from({ length: SPARES_PER_WORKER + 3 }, () => e.open()));
  const ports = sessions.map((s) => s.port);
  assert.equal(new Set(ports).size, ports.length, 'every session has its own port');
  for (const p of ports) assert.ok(p >= 32600 && p <= 32698 && p % 2 === 0, `port ${p} is an even port of the range`);
  await spares(SPARES_PER_WORKER);
  // A session opened on a spare carries audio like any other.
  const [a, b] = sessions as [MediaSession, MediaSession];
  a.setRemote(pcmu(b.port));
  b.setRemote(pcmu(a.port));
  const file = join(dir, 'spare.wav');
  const [played] = await Promise.all([a.play([tone(600, 1)]), b.record(recordSpec(file, 1500))]);
  assert.equal(played.reason, 'done');
  assert.ok(toneShare(await read8k(file), 600, 0, 8000) > 0.4, 'the spare session received the tone');
  await Promise.all(sessions.map((s) => s.close()));
});

test('a worker that dies fails its sessions with a cause and is restarted', async () => {
  const e = engine({ min: 32500, max: 32599 }, 1);
  const s = await e.open();
  const failed = new Promise<string>((resolve) => s.once('failed', resolve));
  const playing = s.play([tone(440, 1)], { loop: 0 });
  const restarted = new Promise((resolve) => e.once('workerRestarted', resolve));
  await (e as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
  assert.match(await failed, /media worker 0 exited/);
  assert.equal((await playing).reason, 'error');
  await restarted;
  const again = await e.open();
  assert.ok(again.port >= 32500);
  await again.close();
});

test('conference room: members hear each other, and the entry/exit beep reaches everyone', async () => {
  const e = engine({ min: 32600, max: 32799 }, 2);
  const [p1, m1, p2, m2] = [await e.open(), await e.open(), await e.open(), await e.open()];
  p1.setRemote(pcmu(m1.port));
  m1.setRemote(pcmu(p1.port));
  p2.setRemote(pcmu(m2.port));
  m2.setRemote(pcmu(p2.port));
  e.joinRoom('acme:room', m1);
  e.joinRoom('acme:room', m2);
  const file = join(dir, 'room-beep.wav');
  const recording = p2.record(recordSpec(file, 1200));
  await new Promise((r) => setTimeout(r, 200));
  e.roomTone('acme:room');
  await recording;
  const heard = await read8k(file);
  assert.ok(toneShare(heard, 440) > 0.3, `the beep reached the other member (${toneShare(heard, 440)})`);
  const talk = join(dir, 'room-talk.wav');
  const talking = p2.record(recordSpec(talk, 1200));
  await p1.play([tone(900, 1)]);
  await talking;
  const heard2 = await read8k(talk);
  assert.ok(toneShare(heard2, 900, 1600, 7200) > 0.4, 'member 2 hears member 1');
  e.leaveRoom('acme:room', m1);
  e.leaveRoom('acme:room', m2);
  await Promise.all([p1, m1, p2, m2].map((s) => s.close()));
});
