import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpHeader, isRtcp, nextSeq, patchRtp, readRtp, seqDelta, tsDelta, writeRtp } from '../../../src/media/rtp.js';
import { writeReceiverReport, writeSenderReport } from '../../../src/media/rtcp.js';

test('RTP write then read round trip, marker and 32-bit fields', () => {
  const buf = Buffer.alloc(172);
  const len = writeRtp(buf, {
    marker: true,
    payloadType: 8,
    sequence: 0xfffe,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
  });
  assert.equal(len, 12);
  assert.deepEqual([...buf.subarray(0, 12)], [0x80, 0x88, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef]);
  const h = new RtpHeader();
  assert.equal(readRtp(buf, 172, h), true);
  assert.equal(h.version, 2);
  assert.equal(h.marker, true);
  assert.equal(h.payloadType, 8);
  assert.equal(h.sequence, 0xfffe);
  assert.equal(h.timestamp, 0xfffffff0);
  assert.equal(h.ssrc, 0xdeadbeef);
  assert.equal(h.payloadOffset, 12);
  assert.equal(h.payloadLength, 160);
  assert.equal(h.padding || h.extension, false);
  assert.equal(h.csrcCount, 0);

  // the same object is reused; the length argument bounds the packet, not buf.length
  writeRtp(buf, { marker: false, payloadType: 0, sequence: 1, timestamp: 160, ssrc: 1 }, 0);
  assert.equal(readRtp(buf, 32, h), true);
  assert.equal(h.marker, false);
  assert.equal(h.payloadType, 0);
  assert.equal(h.payloadLength, 20);
  // an RtpHeader is a valid input to writeRtp (relaying)
  const out = Buffer.alloc(12);
  writeRtp(out, h);
  assert.deepEqual(out, buf.subarray(0, 12));
});

test('RTP read skips CSRCs and the header extension and honours padding', () => {
  // V=2 P=1 X=1 CC=2, M=1 PT=0, then 2 CSRCs, an extension of 2 words, 5 payload bytes, 3 padding bytes
  const bytes = [0xb2, 0x80, 0x12, 0x34, 0, 0, 0x01, 0x00, 0, 0, 0, 7];
  bytes.push(0, 0, 0, 1, 0, 0, 0, 2);
  bytes.push(0xbe, 0xde, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8);
  bytes.push(10, 11, 12, 13, 14);
  bytes.push(0, 0, 3);
  const buf = Buffer.from(bytes);
  const h = new RtpHeader();
  assert.equal(readRtp(buf, buf.length, h), true);
  assert.equal(h.csrcCount, 2);
  assert.equal(h.extension, true);
  assert.equal(h.padding, true);
  assert.equal(h.marker, true);
  assert.equal(h.sequence, 0x1234);
  assert.equal(h.timestamp, 256);
  assert.equal(h.ssrc, 7);
  assert.equal(h.payloadOffset, 12 + 8 + 12);
  assert.equal(h.payloadLength, 5);
  assert.deepEqual([...buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength)], [10, 11, 12, 13, 14]);
});

test('RTP read rejects non-RTP and malformed packets', () => {
  const h = new RtpHeader();
  const ok = Buffer.alloc(20);
  writeRtp(ok, { marker: false, payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 });
  assert.equal(readRtp(ok, 11, h), false, 'shorter than the fixed header');
  assert.equal(readRtp(ok, 12, h), true, 'an empty payload is fine');
  assert.equal(h.payloadLength, 0);
  const cases: [string, (b: Buffer) => void, boolean][] = [
    ['version 1', (b) => (b[0] = 0x40), false],
    ['version 0 (e.g. STUN)', (b) => (b[0] = 0x00), false],
    ['15 CSRCs overrun', (b) => (b[0] = 0x8f), false],
    ['extension overruns', (b) => ((b[0] = 0x90), (b[15] = 9)), false],
    ['extension of one word fits', (b) => ((b[0] = 0x90), (b[15] = 1)), true],
    ['padding count 0', (b) => ((b[0] = 0xa0), (b[19] = 0)), false],
    ['padding beyond the payload', (b) => ((b[0] = 0xa0), (b[19] = 9)), false],
    ['padding eating the whole payload', (b) => ((b[0] = 0xa0), (b[19] = 8)), true],
    ['an RTCP SR on the RTP port', (b) => (b[1] = 200), false],
  ];
  for (const [name, mutate, expected] of cases) {
    const b = Buffer.from(ok);
    mutate(b);
    assert.equal(readRtp(b, 20, h), expected, name);
  }
  assert.equal(readRtp(Buffer.from('hello world, not rtp'), 20, h), false);
});

test('RTCP is told apart from RTP on a muxed port (RFC 5761)', () => {
  const buf = Buffer.alloc(100);
  const sr = writeSenderReport(buf, { ssrc: 1, ntpMs: Date.now(), rtpTimestamp: 0, packets: 0, octets: 0 });
  assert.equal(isRtcp(buf, sr), true);
  const rr = writeReceiverReport(buf, { ssrc: 1 });
  assert.equal(isRtcp(buf, rr), true);
  for (const type of [200, 201, 202, 203, 204]) {
    buf[1] = type;
    assert.equal(isRtcp(buf, 8), true, String(type));
  }
  for (const pt of [0, 8, 101, 127]) {
    for (const marker of [false, true]) {
      writeRtp(buf, { marker, payloadType: pt, sequence: 1, timestamp: 1, ssrc: 1 });
      assert.equal(isRtcp(buf, 172), false, `PT ${pt} marker ${marker}`);
    }
  }
  assert.equal(isRtcp(Buffer.from([0x80, 200, 0]), 3), false, 'too short');
});

test('sequence and timestamp arithmetic wraps', () => {
  assert.equal(seqDelta(5, 3), 2);
  assert.equal(seqDelta(3, 5), -2);
  assert.equal(seqDelta(0, 0xffff), 1);
  assert.equal(seqDelta(0xffff, 0), -1);
  assert.equal(seqDelta(10, 0xfff0), 26);
  assert.equal(seqDelta(0x8000, 0), -0x8000);
  assert.equal(nextSeq(0xffff), 0);
  assert.equal(nextSeq(7), 8);
  assert.equal(tsDelta(100, 0xffffff00), 356);
  assert.equal(tsDelta(0xffffff00, 100), -356);

  // a sender incrementing across both wraps writes and reads back what it meant
  const buf = Buffer.alloc(12);
  const h = new RtpHeader();
  let seq = 0xfffe;
  let ts = 0xffffff60;
  for (let i = 0; i < 4; i++) {
    writeRtp(buf, { marker: false, payloadType: 0, sequence: seq, timestamp: ts, ssrc: 9 });
    assert.ok(readRtp(buf, 12, h));
    assert.equal(h.sequence, seq);
    assert.equal(h.timestamp, ts);
    seq = nextSeq(seq);
    ts = (ts + 160) >>> 0;
  }
  assert.equal(seq, 2);
  assert.equal(ts, 0x1e0);
});

test('patchRtp rewrites sequence, timestamp and SSRC in place', () => {
  const buf = Buffer.alloc(172, 7);
  writeRtp(buf, { marker: true, payloadType: 0, sequence: 1, timestamp: 2, ssrc: 3 });
  patchRtp(buf, 0xabcd, 0x01020304, 0xcafebabe);
  const h = new RtpHeader();
  assert.ok(readRtp(buf, 172, h));
  assert.deepEqual([h.marker, h.sequence, h.timestamp, h.ssrc, buf[12]], [true, 0xabcd, 0x01020304, 0xcafebabe, 7]);
});
