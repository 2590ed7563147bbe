// Pivot call rate benchmark: SIPp places calls at a fixed rate to a number whose callflow is a `pivot` node; each
// call makes one webhook round trip to a local web server answering `<Say>` of a cached prompt then `<Hangup/>`.
// Pivot runs in this process (`startServer`, as `pivot start` does); the web server and the RTP sink that every
// call's SDP points at run in a far-end process (bench/pivot-cps-peer.ts). Prints one JSON line:
//
// - calls_per_s: INVITEs Pivot received per second from the first to the last (the rate it kept up with);
//   successful / failed as SIPp counts them, plus webhook_missing (no request reached the web server),
//   prompt_missing (no prompt audio reached the caller) and failed_sessions (Pivot debug error records);
// - invite_to_webhook_ms (a): from the SIP stack's `invite` event (message parsed, transaction made) to the
//   moment Pivot's HTTP client writes the webhook request's headers to its socket (undici's
//   `undici:client:sendHeaders` diagnostics channel, matched by the CallSid in the body). It includes routing,
//   the media session's opening (on a socket pair its worker bound ahead of time), building, signing and checking
//   the request against the URL policy, and, when every open connection to the web server is busy, the one the
//   HTTP client keeps ahead for a busy origin (or a new connection when that spare is taken too).
//   invite_to_webhook_received_ms adds the loopback hop: up to the web server's `request` event;
// - webhook_to_prompt_ms (b): from the web server handing the response to the kernel to the first RTP packet of
//   the prompt at the caller's sink (the first one that is not µ-law silence; Pivot sends silence from the
//   INVITE on). It includes the loopback hop, parsing and validating the TwiML, the 200 OK (Say answers the
//   call; the prompt starts with the 200 OK since the caller's offer is known, the ACK is not waited for), the
//   prompt cache lookup, and the play command's hop to the media worker, which sends the first packet at once
//   (not at its next 20 ms tick).
// Both are p50/p99/max over the measured calls; the prompt is spoken once in a warm-up before measuring.
//
//   node --import tsx bench/pivot-cps.ts [--rate 200] [--calls 6000] [--warmup 20] [--text "Hello."]
//     [--rtp-ports 20000-29999] [--keep-rate-limit] [--debug (debug records for every request, as the Pivot
//     Manager's actions have them; else for failures only)]

import { subscribe } from 'node:diagnostics_channel';
import {
  SIPP_DIR,
  arg,
  flag,
  nowMs,
  parseRange,
  round,
  runSipp,
  spawnPeer,
  startPivot,
  stats,
} from './pivot-bench-lib.js';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const rate = Number(arg('rate', '200'));
const calls = Number(arg('calls', '6000'));
const warmup = Number(arg('warmup', '20'));
const text = arg('text', 'Hello.');
const rtpPorts = parseRange(arg('rtp-ports', '20000-29999'));
const note = (s: string): void => void process.stderr.write(`pivot-cps: ${s}\n`);

const peer = spawnPeer('pivot-cps-peer.ts', ['--text', text]);
const ports = (await peer.next()) as { http: number; rtp: number };
const pivot = await startPivot({
  rtpPorts,
  voiceUrl: `http://127.0.0.1:${ports.http}/voice`,
  keepRateLimit: flag('keep-rate-limit'),
  debug: flag('debug'),
});
const runtime = pivot.server.calls;

const inviteAt = new Map<string, number>();
/** When Pivot's HTTP client sent each webhook request, by CallSid. */
const sentAt = new Map<string, number>();
subscribe('undici:client:sendHeaders', (message) => {
  const body = (message as { request?: { body?: unknown } }).request?.body;
  const text = Buffer.isBuffer(body) ? body.toString('latin1') : typeof body === 'string' ? body : '';
  const sid = /(?:^|&)CallSid=([^&]+)/.exec(text)?.[1];
  if (sid && !sentAt.has(decodeURIComponent(sid))) sentAt.set(decodeURIComponent(sid), nowMs());
});
pivot.stack.prependListener('invite', (invite) => inviteAt.set(invite.callIdValue, nowMs()));
/** Pivot's call id (the CallSid of its requests) → the SIP Call-ID of the INVITE. */
const sipCallId = new Map<string, string>();
/** For the break-down of (a) and (b): when the call started running, and when it was answered (200 OK sent). */
const callAt = new Map<string, number>();
const answeredAt = new Map<string, number>();
runtime.events.on('call', (call) => {
  const id = (call.sip as { callIdValue?: string }).callIdValue ?? call.id;
  callAt.set(id, nowMs());
  sipCallId.set(call.id, id);
  peer.send({ cmd: 'map', port: call.media.port, callId: call.id });
  const onState = (state: string): void => {
    if (state !== 'answered' && state !== 'ended') return;
    if (state === 'answered') answeredAt.set(id, nowMs());
    call.off('state', onState);
  };
  call.on('state', onState);
});

async function settle(): Promise<void> {
  for (let i = 0; i < 100 && runtime.activeCalls > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

const scenario = join(SIPP_DIR, 'pivot-cps.xml');
const sippArgs = ['-key', 'sink_port', String(ports.rtp)];
let exitCode = 1;
try {
  // Warm-up: the prompt is synthesised and cached, the workers read it, the code paths are compiled.
  note(`warm-up: ${warmup} calls`);
  const warm = await runSipp({
    scenario,
    target: pivot.sipTarget,
    calls: warmup,
    rate: 10,
    limit: 100,
    args: sippArgs,
    timeoutMs: 60_000,
  }).done;
  if (warm.failed || warm.successful !== warmup) throw new Error(`warm-up failed:\n${warm.output}\n${warm.errors}`);
  await settle();
  peer.send({ cmd: 'reset' });
  inviteAt.clear();
  sentAt.clear();
  sipCallId.clear();
  callAt.clear();
  answeredAt.clear();

  note(`${calls} calls at ${rate}/s`);
  let maxActive = 0;
  const sampler = setInterval(() => (maxActive = Math.max(maxActive, runtime.activeCalls)), 100);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = nowMs();
  const run = await runSipp({
    scenario,
    target: pivot.sipTarget,
    calls,
    rate,
    limit: Math.max(100, rate * 10),
    args: sippArgs,
    timeoutMs: Math.max(60_000, (calls / rate) * 3000),
  }).done;
  const elapsedS = (nowMs() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  clearInterval(sampler);
  loop.disable();
  await settle();
  peer.send({ cmd: 'stop' });
  const far = (await peer.next()) as {
    calls: [string, number, number, number][];
    requests: number;
    badRequests: number;
    packets: number;
    cpuCores: number;
  };

  const a: number[] = [];
  const aSent: number[] = [];
  const pivotIdOf = new Map([...sipCallId].map(([pivotId, sip]) => [sip, pivotId]));
  const b: number[] = [];
  const a1: number[] = [];
  const a2: number[] = [];
  const b1: number[] = [];
  const b2: number[] = [];
  let webhookMissing = 0;
  let promptMissing = 0;
  const seen = new Map(far.calls.map((c) => [sipCallId.get(c[0]) ?? c[0], c]));
  for (const [id, at] of inviteAt) {
    const c = seen.get(id);
    if (!c || !c[1]) {
      webhookMissing++;
      continue;
    }
    a.push(c[1] - at);
    const sent = sentAt.get(pivotIdOf.get(id) ?? id);
    if (sent !== undefined) aSent.push(sent - at);
    const routed = callAt.get(id);
    if (routed) {
      a1.push(routed - at);
      a2.push(c[1] - routed);
    }
    if (c[2] && c[3]) {
      b.push(c[3] - c[2]);
      const answered = answeredAt.get(id);
      if (answered) {
        b1.push(answered - c[2]);
        b2.push(c[3] - answered);
      }
    } else promptMissing++;
  }
  const times = [...inviteAt.values()];
  const spanS = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
  const sA = stats(aSent);
  const sAReceived = stats(a);
  const sB = stats(b);
  const failedSessions = await pivot.failedSessions();
  const result = {
    bench: 'pivot-cps',
    target_rate: rate,
    calls,
    successful: run.successful,
    failed: run.failed,
    retransmissions: run.retransmissions,
    invites: inviteAt.size,
    webhook_requests: far.requests,
    webhook_missing: webhookMissing,
    prompt_missing: promptMissing,
    failed_sessions: failedSessions.count,
    ...(failedSessions.count ? { failed_session_reasons: failedSessions.reasons } : {}),
    calls_per_s: spanS ? round((inviteAt.size - 1) / spanS) : 0,
    elapsed_s: round(elapsedS, 2),
    max_concurrent_calls: maxActive,
    invite_to_webhook_ms_p50: sA.p50,
    invite_to_webhook_ms_p99: sA.p99,
    invite_to_webhook_ms_max: sA.max,
    invite_to_webhook_received_ms_p50: sAReceived.p50,
    invite_to_webhook_received_ms_p99: sAReceived.p99,
    webhook_to_prompt_ms_p50: sB.p50,
    webhook_to_prompt_ms_p99: sB.p99,
    webhook_to_prompt_ms_max: sB.max,
    // Break-down: (a) = invite_to_call (routing, media session opened in a worker, SDP answer; up to the runtime's
    // `call` event) + call_to_webhook (session start, request built and signed, loopback HTTP); (b) =
    // webhook_to_answered (response read, TwiML parsed and validated, 200 OK sent) +
    // answered_to_prompt (prompt cache lookup, play command to the media worker, first packet sent).
    invite_to_call_ms_p50: stats(a1).p50,
    invite_to_call_ms_p99: stats(a1).p99,
    call_to_webhook_ms_p50: stats(a2).p50,
    call_to_webhook_ms_p99: stats(a2).p99,
    webhook_to_answered_ms_p50: stats(b1).p50,
    webhook_to_answered_ms_p99: stats(b1).p99,
    answered_to_prompt_ms_p50: stats(b2).p50,
    answered_to_prompt_ms_p99: stats(b2).p99,
    // How late the main thread's event loop ran timers (1 ms resolution): time it was blocked by something.
    event_loop_delay_ms_p99: round(loop.percentile(99) / 1e6),
    event_loop_delay_ms_max: round(loop.max / 1e6),
    // The main thread (signalling, routing, webhooks) alone: how busy it was, and its time per call. Queueing
    // behind it is what the tail of (a) is made of.
    main_thread_utilization: round(elu.utilization, 2),
    main_thread_ms_per_call: round(elu.active / Math.max(1, run.successful), 3),
    pivot_cpu_cores: round((cpu.user + cpu.system) / 1e6 / elapsedS, 2),
    pivot_cpu_ms_per_call: round((cpu.user + cpu.system) / 1000 / Math.max(1, run.successful), 3),
    far_end_cpu_cores: round(far.cpuCores, 2),
    sipp_cpu_cores: round(run.cpuS / elapsedS, 2),
    sipp_exit: run.code,
  };
  console.log(JSON.stringify(result));
  if (run.failed) note(`SIPp errors:\n${run.errors.slice(0, 4000)}`);
  const ok =
    run.code === 0 &&
    run.failed === 0 &&
    run.successful === calls &&
    webhookMissing === 0 &&
    promptMissing === 0 &&
    failedSessions.count === 0;
  exitCode = ok ? 0 : 1;
} catch (err) {
  note(String(err instanceof Error ? (err.stack ?? err.message) : err));
} finally {
  peer.kill();
  await pivot.stop();
}
process.exit(exitCode);
