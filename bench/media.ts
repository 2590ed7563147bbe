// Media benchmark: N concurrent full-duplex G.711 calls against Pivot's media engine. Each Pivot session plays a
// prompt in a loop and records the caller; a peer in another process sends the caller's audio and measures the
// gaps between the packets it receives from Pivot. Prints one JSON line per N.
//
//   node --import tsx bench/media.ts [--calls 250,500,1000] [--seconds 20] [--workers 2]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MediaEngine, type MediaSession } from '../src/media/engine.js';
import { PromptCache } from '../src/media/prompts/cache.js';
import { createTtsRegistry } from '../src/media/tts/registry.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const counts = arg('calls', '250,500,1000').split(',').map(Number);
const seconds = Number(arg('seconds', '20'));
const workers = Number(arg('workers', '0')) || undefined;

const dir = mkdtempSync(join(tmpdir(), 'pivot-bench-media-'));
const cache = new PromptCache({
  dir: join(dir, 'prompts'),
  fetcher: async () => ({ error: 'no fetching here' }),
  tts: createTtsRegistry(),
});
const prompt = await cache.prepare({
  kind: 'tts',
  text: 'Thank you for calling. Your call is important to us. Please hold while we connect you.',
});
if ('error' in prompt) throw new Error(prompt.error);

for (const n of counts) {
  const engine = new MediaEngine({
    host: '127.0.0.1',
    ports: { min: 40000, max: 40000 + n * 4 + 200 },
    workers,
    rtpTimeoutMs: 0,
  });
  engine.start();
  const peer = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'media-peer.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: peer.stdout! });
  const next = (): Promise<any> => new Promise((resolve) => lines.once('line', (l) => resolve(JSON.parse(l))));
  const send = (o: unknown): void => void peer.stdin!.write(`${JSON.stringify(o)}\n`);

  send({ cmd: 'open', n });
  const { ports } = (await next()) as { ports: number[] };
  const memBefore = process.memoryUsage().rss;
  const sessions: MediaSession[] = [];
  for (const port of ports) {
    const s = await engine.open({ remote: { address: '127.0.0.1', port, codec: 'PCMU', payloadType: 0 } });
    sessions.push(s);
  }
  const recordings = sessions.map((s, i) =>
    s.record({
      file: join(dir, `rec-${n}-${i}.wav`),
      legs: 'caller',
      channels: 1,
      maxMs: 3_600_000,
      silenceMs: 0,
      beep: false,
      terminators: '',
      trimSilence: false,
    }),
  );
  for (const s of sessions) void s.play([prompt.path], { loop: 0 });
  // Let the set-up (sockets, recording files) settle: the figures are for calls in progress.
  await new Promise((r) => setTimeout(r, 2000));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  send({ cmd: 'start', targets: sessions.map((s) => s.port) });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  send({ cmd: 'stop' });
  const peerStats = await next();
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const memAfter = process.memoryUsage().rss;
  const load = engine.load();
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(recordings);
  await engine.stop();
  console.log(
    JSON.stringify({
      bench: 'media',
      calls: n,
      seconds: Math.round(elapsed),
      workers: load.length,
      gap_ms_p50: peerStats.gaps.p50,
      gap_ms_p99: peerStats.gaps.p99,
      gap_ms_p999: peerStats.gaps.p999,
      gaps_over_200ms: peerStats.gaps.over200,
      packets_received: peerStats.received,
      // A packet that arrives after a later one is counted in `late`, not lost.
      packets_lost: Math.max(0, peerStats.lost - peerStats.reordered),
      packets_late: peerStats.reordered,
      peer_cpu_cores: Math.round(peerStats.cpuCores * 100) / 100,
      cpu_pct_of_one_core_per_call: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed / n) * 100 * 1000) / 1000,
      cpu_cores_total: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100) / 100,
      rss_kb_per_call: Math.round((memAfter - memBefore) / 1024 / n),
      worker_max_late_ms: Math.round(Math.max(...load.map((l) => l.peakLateMs)) * 10) / 10,
    }),
  );
}
rmSync(dir, { recursive: true, force: true });
process.exit(0);
