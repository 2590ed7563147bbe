// Pivot concurrent-calls benchmark: N calls at once, each running a TwiML Gather loop with media both ways. SIPp
// sets the calls up (at --rate calls/s) to a number whose callflow is a `pivot` node; each call's SDP points at
// its own leg in the far-end process (bench/pivot-concurrent-peer.ts), which sends the caller's audio, presses a
// digit (RFC 4733) 1–8 s after each webhook response, and measures what it receives from Pivot as the media
// benchmark does. The web server answers `<Gather numDigits="1" timeout="5" action="/g"><Say>…</Say></Gather>
// <Redirect>/voice</Redirect>` to both /voice and /g, so a call makes a webhook round trip for every digit and
// every Gather that times out. Pivot runs in this process (`startServer`). One JSON line per N, measured over
// --seconds once every call is up:
//
// - the media benchmark's figures (bench/media.ts): gaps between the packets each caller receives
//   (gap_ms_p50/p99/p999, gaps_over_200ms), packets received/lost/late, CPU, RSS per call, the media workers'
//   worst tick lateness in the window;
// - webhook figures: requests and requests/s in the window, failures (requests the server could not route plus
//   Pivot sessions that left an error record), digit_to_webhook_ms (the caller's first RFC 4733 End packet → the
//   Gather action's request at the web server) and webhook_to_prompt_ms (the response handed to the kernel → the
//   first packet of the next Gather's prompt at the caller: TwiML parsed and validated, prompt cache, ≤ 1 tick);
// - calls set up and failed (refused, failed in SIPp, or ended before the window was over).
//
// The calls are hung up by Pivot (BYE) after the window.
//
//   node --import tsx bench/pivot-concurrent.ts [--calls 100,250,500] [--seconds 20] [--rate 50]
//     [--text "Press a key."] [--rtp-ports 20000-29999]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipCall } from '../src/call/sip-call.js';
import { SIPP_DIR, arg, flag, nowMs, parseRange, round, runSipp, spawnPeer, startPivot } from './pivot-bench-lib.js';

const counts = arg('calls', '100,250,500').split(',').map(Number);
const seconds = Number(arg('seconds', '20'));
const rate = Number(arg('rate', '50'));
const text = arg('text', 'Press a key.');
const rtpPorts = parseRange(arg('rtp-ports', '20000-29999'));
const note = (s: string): void => void process.stderr.write(`pivot-concurrent: ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let allOk = true;
for (const n of counts) {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-bench-concurrent-'));
  const peer = spawnPeer('pivot-concurrent-peer.ts', ['--text', text]);
  const { http } = (await peer.next()) as { http: number };
  const pivot = await startPivot({
    rtpPorts,
    voiceUrl: `http://127.0.0.1:${http}/voice`,
    keepRateLimit: flag('keep-rate-limit'),
  });
  const runtime = pivot.server.calls;
  const live = new Set<SipCall>();
  let setUp = 0;
  let endedEarly = 0;
  let hangingUp = false;
  runtime.events.on('call', (call) => {
    setUp++;
    live.add(call);
    const offer = (call.sip as { offer?: string }).offer ?? '';
    const port = Number(/^m=audio (\d+)/m.exec(offer)?.[1]);
    peer.send({ cmd: 'map', callId: call.id, port });
  });
  runtime.events.on('ended', (call) => {
    live.delete(call);
    if (!hangingUp) endedEarly++;
  });

  let sipp: ReturnType<typeof runSipp> | undefined;
  try {
    peer.send({ cmd: 'open', n });
    const { ports } = (await peer.next()) as { ports: number[] };
    const csv = join(dir, 'legs.csv');
    writeFileSync(csv, `SEQUENTIAL\n${ports.map((p) => `${p};`).join('\n')}\n`);
    const setupS = n / rate;
    const memBefore = process.memoryUsage().rss;
    note(`${n} calls: setting up at ${rate}/s`);
    sipp = runSipp({
      scenario: join(SIPP_DIR, 'pivot-concurrent.xml'),
      target: pivot.sipTarget,
      calls: n,
      rate,
      limit: n,
      args: ['-inf', csv],
      timeoutMs: (setupS * 3 + seconds + 120) * 1000,
    });
    // Every call up: routed by Pivot and its leg hearing Pivot's RTP (bounded).
    const deadline = nowMs() + (setupS * 3 + 30) * 1000;
    let hearing = 0;
    while (nowMs() < deadline) {
      peer.send({ cmd: 'status' });
      hearing = ((await peer.next()) as { legs: number }).legs;
      if (setUp >= n && hearing >= n) break;
      await sleep(250);
    }
    if (setUp < n || hearing < n) note(`only ${setUp} calls routed, ${hearing} legs hearing Pivot`);
    // Let the set-up settle: the figures are for calls in progress.
    await sleep(2000);
    const memAfter = process.memoryUsage().rss;
    const endedBefore = endedEarly;
    let lateMax = 0;
    const lateSampler = setInterval(() => {
      for (const l of runtime.media.load()) lateMax = Math.max(lateMax, l.lateMs);
    }, 1000);
    note(`${n} calls: measuring for ${seconds} s`);
    const cpuBefore = process.cpuUsage();
    const started = nowMs();
    peer.send({ cmd: 'measure' });
    await sleep(seconds * 1000);
    peer.send({ cmd: 'stop' });
    const far = (await peer.next()) as {
      elapsedS: number;
      cpuCores: number;
      gaps: { p50: number; p99: number; p999: number; over200: number };
      received: number;
      lost: number;
      reordered: number;
      sent: number;
      digitsSent: number;
      requests: number;
      badRequests: number;
      requestsByPath: Record<string, number>;
      digitToRequest: { n: number; p50: number | null; p99: number | null; max: number | null };
      responseToPrompt: { n: number; p50: number | null; p99: number | null; max: number | null };
    };
    const elapsed = (nowMs() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(lateSampler);
    for (const l of runtime.media.load()) lateMax = Math.max(lateMax, l.lateMs);
    const droppedInWindow = endedEarly - endedBefore;

    // Failures are counted up to here: hanging up a call while its request is in flight is not one.
    const failedSessions = await pivot.failedSessions(Date.now());
    // Pivot hangs up every call; SIPp answers the BYEs and finishes.
    hangingUp = true;
    await Promise.all([...live].map((c) => c.hangup()));
    const run = await sipp.done;
    const afterHangup = await pivot.failedSessions();
    if (afterHangup.count > failedSessions.count) {
      note(
        `${afterHangup.count - failedSessions.count} session(s) left an error record while Pivot hung up the calls:`,
      );
      note(JSON.stringify(afterHangup.reasons));
    }
    const callsFailed = Math.max(n - setUp, run.failed, endedEarly);
    const result = {
      bench: 'pivot-concurrent',
      calls: n,
      seconds: Math.round(elapsed),
      workers: runtime.media.load().length,
      calls_set_up: setUp,
      calls_failed: callsFailed,
      calls_ended_in_window: droppedInWindow,
      gap_ms_p50: far.gaps.p50,
      gap_ms_p99: far.gaps.p99,
      gap_ms_p999: far.gaps.p999,
      gaps_over_200ms: far.gaps.over200,
      packets_received: far.received,
      // A packet that arrives after a later one is counted in `late`, not lost.
      packets_lost: Math.max(0, far.lost - far.reordered),
      packets_late: far.reordered,
      packets_sent_by_callers: far.sent,
      peer_cpu_cores: round(far.cpuCores, 2),
      cpu_pct_of_one_core_per_call: round(((cpu.user + cpu.system) / 1e6 / elapsed / n) * 100, 3),
      cpu_cores_total: round((cpu.user + cpu.system) / 1e6 / elapsed, 2),
      rss_kb_per_call: Math.round((memAfter - memBefore) / 1024 / n),
      worker_max_late_ms: round(lateMax),
      webhook_requests: far.requests,
      webhook_requests_per_s: round(far.requests / far.elapsedS),
      webhook_requests_by_path: far.requestsByPath,
      webhook_failures: far.badRequests + failedSessions.count,
      ...(failedSessions.count ? { webhook_failure_reasons: failedSessions.reasons } : {}),
      digits_sent: far.digitsSent,
      digit_to_webhook_ms_p50: far.digitToRequest.p50,
      digit_to_webhook_ms_p99: far.digitToRequest.p99,
      webhook_to_prompt_ms_p50: far.responseToPrompt.p50,
      webhook_to_prompt_ms_p99: far.responseToPrompt.p99,
      webhook_to_prompt_ms_max: far.responseToPrompt.max,
      sipp_successful: run.successful,
      sipp_failed: run.failed,
      sipp_retransmissions: run.retransmissions,
      sipp_cpu_cores: round(run.cpuS / run.elapsedS, 2),
    };
    console.log(JSON.stringify(result));
    if (run.failed) note(`SIPp errors:\n${run.errors.slice(0, 4000)}`);
    if (callsFailed || result.webhook_failures || run.code !== 0) allOk = false;
  } catch (err) {
    allOk = false;
    note(String(err instanceof Error ? (err.stack ?? err.message) : err));
    sipp?.kill();
  } finally {
    peer.kill();
    hangingUp = true;
    await pivot.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(allOk ? 0 : 1);
