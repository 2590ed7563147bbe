import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RtpReceiveStats,
  emptyReportBlock,
  ntpMiddle,
  parseRtcp,
  roundTripMs,
  writeBye,
  writeReceiverReport,
  writeSenderReport,
  type ReportBlock,
} from '../../../src/media/rtcp.js';

/** Feeds sequence numbers at 20 ms / 160 timestamp units per packet. */
function feed(stats: RtpReceiveStats, seqs: number[], ssrc?: number): boolean[] {
  return seqs.map((s) => stats.update(s & 0xffff, (s * 160) >>> 0, s * 20, 8000, ssrc));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('RTCP stats: probation, then loss from gaps (A.1, A.3)', () => {
  const stats = new RtpReceiveStats();
  const lostSeqs = new Set([120, 121, 150, 170, 198]);
  const accepted = feed(
    stats,
    range(100, 199).filter((s) => !lostSeqs.has(s)),
  );
  assert.equal(accepted[0], false, 'the first packet is on probation');
  assert.ok(accepted.slice(1).every(Boolean));
  // the source became valid at 101: expected counts from there
  assert.equal(stats.highestSeq, 199);
  assert.equal(stats.expected, 99);
  assert.equal(stats.received, 94);
  assert.equal(stats.lost, 5);
  const block = stats.report(0);
  assert.equal(block.fractionLost, Math.floor((5 * 256) / 99));
  assert.equal(block.cumulativeLost, 5);
  assert.equal(block.highestSeq, 199);
  // the next interval has no loss; the cumulative count stays
  feed(stats, range(200, 249));
  const next = stats.report(0);
  assert.equal(next.fractionLost, 0);
  assert.equal(next.cumulativeLost, 5);
  assert.equal(next.highestSeq, 249);
  // a late packet fills a gap: the cumulative loss goes down, the interval's fraction is 0 (lost ≤ 0)
  assert.equal(stats.update(150, 150 * 160, 5000), true);
  assert.equal(stats.report(0).cumulativeLost, 4);
});

test('RTCP stats: reordering, duplicates and sequence wrap', () => {
  const stats = new RtpReceiveStats();
  feed(stats, [65530, 65531, 65532, 65534, 65533, 65535, 65536, 65538, 65537, 65539, 65540]);
  assert.equal(stats.highestSeq, 65536 + 4, 'one cycle plus 4');
  assert.equal(stats.lost, 0);
  assert.equal(stats.report(0).fractionLost, 0);
  feed(stats, [65540, 65540]); // duplicates count as received (A.3), so loss can go negative
  assert.equal(stats.lost, -2);
  assert.equal(stats.report(0).cumulativeLost, -2);
  // a wrap while reordered: 65535 arriving after 0 does not add a cycle
  const s2 = new RtpReceiveStats();
  feed(s2, [65532, 65533, 65534, 65536, 65535, 65537]);
  assert.equal(s2.highestSeq, 65536 + 1);
  assert.equal(s2.lost, 0);
});

test('RTCP stats: interarrival jitter on a known pattern (A.8)', () => {
  // every other packet arrives 5 ms late: each transit difference is 40 timestamp units,
  // so after k updates J = 40 · (1 − (15/16)^k)
  const stats = new RtpReceiveStats();
  const count = 202;
  for (let i = 0; i < count; i++) {
    stats.update((1000 + i) & 0xffff, (0xfffff000 + i * 160) >>> 0, 1e6 + i * 20 + (i % 2) * 5);
  }
  const updates = count - 2; // probation swallows the first packet, the second sets the base transit
  assert.ok(Math.abs(stats.jitter - 40 * (1 - (15 / 16) ** updates)) < 1e-6, String(stats.jitter));
  assert.equal(stats.report(0).jitter, 39);

  // constant network delay is no jitter, across the timestamp wrap too
  const steady = new RtpReceiveStats();
  for (let i = 0; i < 100; i++) steady.update(i, (0xffffff00 + i * 160) >>> 0, 12345.5 + i * 20);
  assert.equal(steady.jitter, 0);

  // one 30 ms spike: J jumps by (240 − 0)/16, then decays by 15/16 per packet (the catch-up is 240 too)
  const spike = new RtpReceiveStats();
  for (let i = 0; i < 10; i++) spike.update(i, i * 160, i * 20 + (i === 5 ? 30 : 0));
  const j5 = 240 / 16;
  const j6 = j5 + (240 - j5) / 16;
  const expected = j6 * (15 / 16) ** 3;
  assert.ok(Math.abs(spike.jitter - expected) < 1e-9);

  // other clock rates: timestamps in 16 kHz units
  const wide = new RtpReceiveStats();
  for (let i = 0; i < 50; i++) wide.update(i, i * 320, i * 20 + (i % 2) * 5, 16000);
  assert.ok(Math.abs(wide.jitter - 80 * (1 - (15 / 16) ** 48)) < 1e-6);
});

test('RTCP stats: an SSRC change or a sender restart starts over', () => {
  const stats = new RtpReceiveStats();
  feed(stats, range(10, 60), 0xaaaa);
  assert.equal(stats.ssrc, 0xaaaa);
  assert.equal(stats.received, 50);
  // a new SSRC (e.g. after a re-INVITE) with its own sequence space: probation again
  const accepted = feed(stats, range(40000, 40009), 0xbbbb);
  assert.equal(stats.ssrc, 0xbbbb);
  assert.equal(accepted[0], false);
  assert.equal(stats.received, 9);
  assert.equal(stats.lost, 0);
  assert.equal(stats.highestSeq, 40009);
  // the same SSRC jumping far ahead: rejected once, accepted when the next packet follows (A.1 bad_seq)
  assert.equal(stats.update(20000, 0, 0, 8000, 0xbbbb), false);
  assert.equal(stats.update(20001, 160, 20, 8000, 0xbbbb), true);
  assert.equal(stats.highestSeq, 20001);
  assert.equal(stats.received, 1);
  assert.equal(stats.lost, 0);
  // a single stray packet far away is ignored
  assert.equal(stats.update(5, 0, 0), false);
  assert.equal(stats.update(20002, 320, 40), true);
  assert.equal(stats.lost, 0);
});

test('RTCP SR and RR round trip with report blocks, SDES CNAME and BYE', () => {
  const buf = Buffer.alloc(256);
  const report: ReportBlock = {
    ssrc: 0x12345678,
    fractionLost: 25,
    cumulativeLost: -3,
    highestSeq: 0x0001fffe,
    jitter: 37,
    lsr: 0xabcd1234,
    dlsr: 65536 * 2,
  };
  const ntpMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const srLen = writeSenderReport(buf, {
    ssrc: 0xcafe,
    ntpMs,
    rtpTimestamp: 0xfffffff0,
    packets: 1500,
    octets: 240000,
    report,
    cname: 'pivot@example.test',
  });
  assert.equal(srLen % 4, 0);
  assert.equal(srLen, 52 + 32); // SR with one block (28 + 24), SDES: header 4, chunk 4 + 2 + 18 + 1 padded to 28
  const sr = parseRtcp(buf, srLen);
  assert.ok(sr && sr.sender);
  assert.equal(sr.ssrc, 0xcafe);
  assert.equal(sr.sender.ssrc, 0xcafe);
  assert.ok(Math.abs(sr.sender.ntpMs - ntpMs) < 0.001);
  assert.equal(sr.sender.ntpMiddle, ntpMiddle(ntpMs));
  assert.equal(sr.sender.rtpTimestamp, 0xfffffff0);
  assert.equal(sr.sender.packets, 1500);
  assert.equal(sr.sender.octets, 240000);
  assert.deepEqual(sr.reports, [report]);
  assert.equal(sr.cname, 'pivot@example.test');
  assert.equal(sr.bye, false);
  // the first word: V=2, RC=1, PT=200, length 12 words − 1
  assert.deepEqual([...buf.subarray(0, 4)], [0x81, 200, 0, 12]);

  const rrLen = writeReceiverReport(buf, { ssrc: 0xbeef, report });
  assert.equal(rrLen, 32);
  const rr = parseRtcp(buf, rrLen + writeBye(buf, rrLen, 0xbeef));
  assert.ok(rr);
  assert.equal(rr.sender, null);
  assert.equal(rr.ssrc, 0xbeef);
  assert.deepEqual(rr.reports, [report]);
  assert.equal(rr.bye, true);
  assert.equal(rr.cname, null);

  const empty = writeReceiverReport(buf, { ssrc: 1 });
  assert.equal(empty, 8);
  assert.deepEqual(parseRtcp(buf, empty)?.reports, []);

  // invalid: truncated, wrong version, lengths not adding up
  assert.equal(parseRtcp(buf, 4), null);
  const bad = Buffer.from(buf.subarray(0, 8));
  bad[0] = 0x40;
  assert.equal(parseRtcp(bad, 8), null);
  writeReceiverReport(buf, { ssrc: 1, report });
  assert.equal(parseRtcp(buf, 20), null);
});

test('RTCP LSR/DLSR from a received SR give the round-trip time', () => {
  // we send an SR at t=1000 (wall clock); the peer gets it, waits 250 ms, reports; we receive at t=1400
  const wall = Date.UTC(2025, 5, 1);
  const peer = new RtpReceiveStats();
  for (let i = 0; i < 10; i++) peer.update(i, i * 160, i * 20);
  peer.onSenderReport(ntpMiddle(wall + 1000), 5000);
  const block = peer.report(5250, emptyReportBlock());
  assert.equal(block.lsr, ntpMiddle(wall + 1000));
  assert.equal(block.dlsr, Math.round(250 * 65.536));
  const rtt = roundTripMs(block, wall + 1400);
  assert.ok(rtt !== undefined && Math.abs(rtt - 150) < 0.1, String(rtt));
  assert.equal(roundTripMs(new RtpReceiveStats().report(0), wall), undefined);
});
