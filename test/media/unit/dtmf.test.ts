import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DTMF_EVENTS,
  DTMF_FREQUENCIES,
  DtmfReceiver,
  DtmfSender,
  readTelephoneEvent,
  writeTelephoneEvent,
} from '../../../src/media/dtmf.js';
import { RtpHeader, readRtp, writeRtp } from '../../../src/media/rtp.js';

test('RFC 4733 event payload read and write', () => {
  const buf = Buffer.alloc(16);
  assert.equal(writeTelephoneEvent(buf, 12, 11, true, 10, 1280), 4);
  assert.deepEqual([...buf.subarray(12)], [11, 0x8a, 0x05, 0x00]);
  const e = readTelephoneEvent(buf, 12);
  assert.ok(e);
  assert.deepEqual({ ...e }, { event: 11, end: true, volume: 10, duration: 1280 });
  assert.equal(DTMF_EVENTS[e.event], '#');
  // the R bit is ignored, the shared object is reused
  buf[13] = 0x40 | 63;
  const again = readTelephoneEvent(buf, 12);
  assert.equal(again, e);
  assert.deepEqual({ ...again }, { event: 11, end: false, volume: 63, duration: 1280 });
  // truncated: event −1, which the receiver ignores
  assert.equal(readTelephoneEvent(buf, 13).event, -1);
  assert.equal(readTelephoneEvent(buf, 12, 15).event, -1);
  assert.equal(new DtmfReceiver().feed(0, -1, true, 0), undefined);
  assert.equal(DTMF_EVENTS.length, 16);
  assert.deepEqual(DTMF_FREQUENCIES['1'], [697, 1209]);
  assert.deepEqual(DTMF_FREQUENCIES['0'], [941, 1336]);
  assert.deepEqual(DTMF_FREQUENCIES['#'], [941, 1477]);
  assert.deepEqual(DTMF_FREQUENCIES['D'], [941, 1633]);
  assert.equal(Object.keys(DTMF_FREQUENCIES).sort().join(''), [...DTMF_EVENTS].sort().join(''));
});

interface Sent {
  marker: boolean;
  timestamp: number;
  last: boolean;
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

function sendDigit(sender: DtmfSender, digit: string, ts: number, ms: number, volume?: number): Sent[] {
  const out = Buffer.alloc(4);
  sender.start(digit, ts, ms, volume);
  const sent: Sent[] = [];
  for (let p = sender.nextPacket(out, 0); p; p = sender.nextPacket(out, 0)) {
    assert.equal(p.length, 4);
    const e = readTelephoneEvent(out, 0);
    sent.push({ marker: p.marker, timestamp: p.timestamp, last: p.last, ...e });
    assert.ok(sent.length < 1000);
  }
  return sent;
}

test('RFC 4733 sender: marker first, duration steps of 160, three End packets, one timestamp', () => {
  const sender = new DtmfSender();
  const sent = sendDigit(sender, '5', 0xffffff00, 100);
  assert.equal(sent.length, 4 + 3);
  assert.deepEqual(
    sent.map((s) => s.duration),
    [160, 320, 480, 640, 800, 800, 800],
  );
  assert.deepEqual(
    sent.map((s) => s.marker),
    [true, false, false, false, false, false, false],
  );
  assert.deepEqual(
    sent.map((s) => s.end),
    [false, false, false, false, true, true, true],
  );
  assert.deepEqual(
    sent.map((s) => s.last),
    [false, false, false, false, false, false, true],
  );
  assert.ok(sent.every((s) => s.timestamp === 0xffffff00 && s.event === 5 && s.volume === 10));
  assert.equal(sender.active, false);
  assert.equal(sender.nextPacket(Buffer.alloc(4), 0), null);

  // a duration that is not a multiple of 20 ms ends on the exact value; a short one is a lone End with the marker
  const odd = sendDigit(sender, '#', 1000, 90, 7);
  assert.deepEqual(
    odd.map((s) => [s.duration, s.end]),
    [
      [160, false],
      [320, false],
      [480, false],
      [640, false],
      [720, true],
      [720, true],
      [720, true],
    ],
  );
  assert.ok(odd.every((s) => s.event === 11 && s.volume === 7));
  const short = sendDigit(sender, 'a', 0, 10);
  assert.deepEqual(
    short.map((s) => [s.marker, s.end, s.duration]),
    [
      [true, true, 160],
      [false, true, 160],
      [false, true, 160],
    ],
  );
  assert.throws(() => sender.start('x', 0, 100));
  assert.throws(() => sender.start('12', 0, 100));
});

test('RFC 4733 sender packets travel in RTP and the receiver reports the digit once', () => {
  const sender = new DtmfSender();
  const digits: [string, number][] = [];
  const receiver = new DtmfReceiver((d, ms) => digits.push([d, ms]));
  const packet = Buffer.alloc(16);
  const h = new RtpHeader();
  let seq = 65533;
  let ts = 0xfffffe00;
  for (const d of '123*#ABCD0') {
    sender.start(d, ts, 120);
    let ended = false;
    for (let p = sender.nextPacket(packet, 12); p; p = sender.nextPacket(packet, 12)) {
      writeRtp(packet, { marker: p.marker, payloadType: 101, sequence: seq, timestamp: p.timestamp, ssrc: 42 });
      seq = (seq + 1) & 0xffff;
      assert.ok(readRtp(packet, 16, h));
      const e = readTelephoneEvent(packet, h.payloadOffset, h.payloadOffset + h.payloadLength);
      const digit = receiver.feed(h.timestamp, e.event, e.end, e.duration);
      assert.equal(digit, e.end && !ended ? d : undefined); // reported by the first End only
      ended ||= e.end;
      if (p.marker) assert.equal(sender.active, true);
    }
    ts = (ts + 2000) >>> 0;
  }
  assert.deepEqual(digits.map(([d]) => d).join(''), '123*#ABCD0');
  assert.ok(digits.every(([, ms]) => ms === 120));
  assert.equal(receiver.lastDurationMs, 120);
});

test('RFC 4733 receiver: retransmitted Ends are deduplicated, a lost End is still reported', () => {
  const digits: string[] = [];
  const durations: number[] = [];
  const r = new DtmfReceiver((d, ms) => {
    digits.push(d);
    durations.push(ms);
  });
  // digit 4 at ts 8000: updates, then three End packets (the second one arrives twice)
  r.feed(8000, 4, false, 160, 0);
  r.feed(8000, 4, false, 320, 20);
  r.feed(8000, 4, true, 640, 60);
  r.feed(8000, 4, true, 640, 80);
  r.feed(8000, 4, true, 640, 80);
  r.feed(8000, 4, true, 640, 100);
  assert.deepEqual(digits, ['4']);
  assert.deepEqual(durations, [80]);
  // digit 7 whose End packets are all lost: reported when digit 9 starts, with the longest duration seen
  r.feed(16000, 7, false, 160, 1000);
  r.feed(16000, 7, false, 480, 1040);
  assert.deepEqual(digits, ['4']);
  r.feed(24000, 9, false, 160, 2000);
  assert.deepEqual(digits, ['4', '7']);
  assert.equal(durations[1], 60);
  // a late packet of the finished digit 7 changes nothing; 9 ends normally
  r.feed(16000, 7, true, 800, 2010);
  r.feed(24000, 9, true, 800, 2100);
  r.feed(24000, 9, true, 800, 2120);
  assert.deepEqual(digits, ['4', '7', '9']);
  // digit 1 loses its Ends and nothing follows: flush() reports it after the timeout, once
  r.feed(32000, 1, false, 160, 3000);
  r.flush(3200);
  assert.deepEqual(digits, ['4', '7', '9']);
  r.flush(3600);
  r.flush(4000);
  assert.deepEqual(digits, ['4', '7', '9', '1']);
  r.feed(32000, 1, true, 320, 4100); // its End turns up after all: already reported
  assert.deepEqual(digits, ['4', '7', '9', '1']);
  // an event that only ever sends Ends (first packets lost) is reported; non-digit events (16: flash) are not
  r.feed(40000, 16, true, 800, 5000);
  r.feed(48000, 0, true, 800, 6000);
  r.feed(48000, 0, true, 800, 6020);
  assert.deepEqual(digits, ['4', '7', '9', '1', '0']);
  // the same key twice in a row is two events (two timestamps)
  r.feed(56000, 0, false, 160, 7000);
  r.feed(56000, 0, true, 400, 7040);
  assert.deepEqual(digits, ['4', '7', '9', '1', '0', '0']);
  // after reset (new SSRC), timestamps start over
  r.reset();
  r.feed(100, 5, true, 400, 8000);
  assert.deepEqual(digits, ['4', '7', '9', '1', '0', '0', '5']);
});

test('RFC 4733 receiver: return values, one digit per call, and a timeout counted from flush() without a clock', () => {
  const r = new DtmfReceiver();
  assert.equal(r.feed(160, 2, false, 160), undefined);
  // 2 lost its Ends; the first packet we see of 3 is already an End: 2 now, 3 with the next End copy
  assert.equal(r.feed(4000, 3, true, 480), '2');
  assert.equal(r.lastDurationMs, 20);
  assert.equal(r.feed(4000, 3, true, 480), '3');
  assert.equal(r.lastDurationMs, 60);
  assert.equal(r.feed(4000, 3, true, 480), undefined);
  // …or with the next flush() if those copies are lost too
  r.feed(8000, 4, false, 160);
  assert.equal(r.feed(12000, 5, true, 320), '4');
  assert.equal(r.flush(0), '5');
  // no nowMs passed to feed(): the timeout starts at the first flush() after the packet
  r.feed(16000, 6, false, 160);
  assert.equal(r.flush(1_000_000), undefined);
  assert.equal(r.flush(1_000_400), undefined);
  assert.equal(r.flush(1_000_500), '6');
  assert.equal(r.flush(1_000_600), undefined);
});

test('RFC 4733 receiver: a marker bit starts a new event even when the timestamp went backwards (SIPp pcaps)', () => {
  const r = new DtmfReceiver();
  const got: string[] = [];
  const press = (ts: number, event: number, at: number): void => {
    for (const [i, [end, dur]] of (
      [
        [false, 0],
        [false, 320],
        [true, 2240],
        [true, 2240],
      ] as const
    ).entries()) {
      const d = r.feed(ts, event, end, dur, at + i * 20, i === 0);
      if (d) got.push(d);
    }
  };
  press(37120, 4, 0);
  press(23200, 2, 600);
  press(92640, 11, 1200);
  assert.deepEqual(got, ['4', '2', '#']);
  // a repeated first packet of the pending event is not a new press
  const again = new DtmfReceiver();
  again.feed(1000, 5, false, 0, 0, true);
  again.feed(1000, 5, false, 0, 5, true);
  assert.equal(again.feed(1000, 5, true, 800, 100), '5');
  assert.equal(again.feed(1000, 5, true, 800, 120), undefined);
});
