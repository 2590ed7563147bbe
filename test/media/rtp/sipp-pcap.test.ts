// Real RTP from SIPp: the caller talks (SIPp's G.711 A-law pcap) and then sends 4, 2, # as RFC 2833 events.
// Pivot records the caller until #, collects the digits, and the recording's length and level are checked with sox.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { SipCall } from '../../../src/call/sip-call.js';
import type { RecordResult } from '../../../src/call/types.js';
import { mediaRig, soxStat, type MediaRig } from '../../helpers/media.js';
import { SCENARIOS, sipp } from '../../helpers/sipp.js';

let rig: MediaRig;

before(async () => {
  // SIPp's own media ports (31600-31603) are outside every test's RTP range: tests run side by side.
  rig = await mediaRig({ min: 31000, max: 31199 });
});

after(async () => {
  await rig.close();
});

test('SIPp pcap caller: Pivot records the audio and detects the RFC 2833 digits', async () => {
  const seen: { result?: RecordResult; digits?: string; call?: SipCall } = {};
  const done = new Promise<void>((resolve) => {
    rig.onCall(async (call) => {
      seen.call = call;
      await call.answer();
      seen.result = await call.record({ silenceTimeoutMs: 0, maxLengthMs: 30_000, terminators: '#', beep: false });
      seen.digits = call.flushDtmf();
      await call.wait(Infinity);
      resolve();
    });
  });
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-pcap-dtmf.xml'),
    target: rig.target,
    calls: 1,
    args: ['-s', 'record', '-mi', '127.0.0.1', '-mp', '31600'],
    timeoutMs: 40_000,
  }).done;
  // Bounded: a handler that never finishes fails the test with what it saw instead of hanging the suite.
  const waited = await Promise.race([
    done.then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 20_000).unref()),
  ]);
  assert.ok(
    waited,
    `the call handler did not finish: ${JSON.stringify({ ...seen, call: seen.call?.state })} ` +
      `${rig.errors.join('; ')}\n${run.output.slice(-1500)}`,
  );
  assert.equal(run.code, 0, run.output + run.errors);
  const { result, digits } = seen;
  assert.equal(result?.reason, 'terminator');
  assert.equal(result?.terminator, '#');
  assert.equal(digits, '42', 'the digits pressed during the recording are in the buffer');
  assert.ok(result?.recording, 'a recording was made');
  const stat = soxStat(result!.recording!.path);
  assert.ok(stat.seconds > 7 && stat.seconds < 12, `recording length ${stat.seconds} s`);
  assert.ok(stat.rms > 0.01, `recording has the caller's audio (RMS ${stat.rms})`);
  assert.equal(seen.call?.hangupCause, 'NORMAL_CLEARING');
});
