// Shared pieces of the Pivot call benchmarks (bench/pivot-cps.ts, bench/pivot-concurrent.ts): Pivot started in
// this process with a number whose callflow is a `pivot` node, a far-end process (webhook server and RTP peer)
// driven over stdin/stdout, SIPp with its pid (for its CPU time), and the statistics.
//
// Times that cross processes are taken with `nowMs()`: process.hrtime, CLOCK_MONOTONIC, the same clock in every
// process of the machine.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startServer } from '../src/cli/start.js';
import { loadSettings } from '../src/config.js';
import type { SipStack } from '../src/sip/stack.js';
import { freeUdpPort } from '../test/helpers/sipp.js';
import { nowMs } from './pivot-bench-util.js';

export * from './pivot-bench-util.js';

/** The number SIPp dials (its callflow is the benchmark's `pivot` node). */
export const NUMBER = '+14155550100';

export type Pivot = Awaited<ReturnType<typeof startPivot>>;

/**
 * Pivot as `pivot start` runs it (temp data dir, 127.0.0.1, silent logs), with `NUMBER` assigned and a callflow
 * whose root is a `pivot` node asking `voiceUrl` (TwiML parameters, form POST, debug records for failures only, or
 * for every request with `debug`, as the Pivot Manager creates actions).
 */
export async function startPivot(opts: {
  rtpPorts: { min: number; max: number };
  voiceUrl: string;
  /** Keep the SIP stack's per-source rate limit (50 INVITEs/s per address, burst 100). */
  keepRateLimit?: boolean;
  /** Debug records for every request and response, not only failures. */
  debug?: boolean;
}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-bench-'));
  const server = await startServer({
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: opts.rtpPorts,
    bind: '127.0.0.1',
    logLevel: 'silent',
    // SIPp calls from one address: without this, the stack drops INVITEs above 50/s per source.
    sipRateLimit: opts.keepRateLimit ? 50 : 0,
  });
  const account = server.boot.account;
  await server.store.phoneNumbers.assign(account.id, NUMBER);
  await server.store.callflows.create(account.id, {
    name: 'bench',
    numbers: [NUMBER],
    flow: {
      module: 'pivot',
      data: { voice_url: opts.voiceUrl, method: 'post', req_format: 'twiml', debug: opts.debug ?? false },
    },
  });
  return {
    server,
    accountId: account.id,
    stack: server.calls.stack as SipStack,
    sipTarget: `127.0.0.1:${server.calls.sipPorts.udp}`,
    /**
     * Calls whose Pivot session left an error record (a failed request, a bad document, a runtime error) among the
     * records created up to `until` (epoch ms), with the distinct error messages and how often each came.
     */
    async failedSessions(until?: number): Promise<{ count: number; reasons: Record<string, number> }> {
      let count = 0;
      const reasons: Record<string, number> = {};
      let startKey: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const r = await server.store.pivotDebug.listCalls(account.id, {
          limit: 500,
          ...(until ? { createdTo: until } : {}),
          ...(startKey ? { startKey } : {}),
        });
        for (const c of r.items.filter((i) => i.has_errors)) {
          count++;
          for (const rec of await server.store.pivotDebug.forCall(account.id, c.call_id)) {
            if (rec.kind !== 'error' || !rec.error) continue;
            const reason = `${rec.error.code ?? ''} ${rec.error.message}`.trim().slice(0, 200);
            if (reason in reasons || Object.keys(reasons).length < 10) reasons[reason] = (reasons[reason] ?? 0) + 1;
          }
        }
        if (!r.nextStartKey) break;
        startKey = r.nextStartKey;
      }
      return { count, reasons };
    },
    async stop(): Promise<void> {
      await server.stop(2000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A far-end process speaking JSON lines: `send` writes one, `next` reads the next one. */
export function spawnPeer(script: string, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const queue: unknown[] = [];
  const waiting: ((v: any) => void)[] = [];
  lines.on('line', (l) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      v = { error: `${script} wrote a line that is not JSON: ${l.slice(0, 200)}` };
    }
    const w = waiting.shift();
    if (w) w(v);
    else queue.push(v);
  });
  return {
    child,
    send(o: unknown): void {
      child.stdin!.write(`${JSON.stringify(o)}\n`);
    },
    next(timeoutMs = 60_000): Promise<any> {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${script} did not answer within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((v) => {
          clearTimeout(t);
          resolve(v);
        });
      });
    },
    kill(): void {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  retransmissions: number;
  /** CPU seconds SIPp used (last sample of /proc/<pid>/stat, taken every 500 ms). */
  cpuS: number;
  /** Seconds from SIPp's start to its exit. */
  elapsedS: number;
  output: string;
  errors: string;
}

const CLK_TCK = 100;

/** CPU seconds (user + system) of a process from /proc, or undefined once it is gone. */
function procCpuS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Runs SIPp (bounded by its call count and a hard timeout); resolves with its statistics. */
export function runSipp(opts: {
  scenario: string;
  target: string;
  calls: number;
  rate: number;
  /** Most calls at once (-l). */
  limit: number;
  args?: string[];
  timeoutMs: number;
}): { done: Promise<SippResult>; kill(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-bench-sipp-'));
  let child: ChildProcess | undefined;
  const done = freeUdpPort().then(
    (port) =>
      new Promise<SippResult>((resolve) => {
        const errorFile = join(dir, 'errors.log');
        child = spawn(
          'sipp',
          [
            '-sf',
            opts.scenario,
            opts.target,
            '-i',
            '127.0.0.1',
            '-p',
            String(port),
            '-m',
            String(opts.calls),
            '-r',
            String(opts.rate),
            '-l',
            String(opts.limit),
            '-t',
            'u1',
            '-s',
            NUMBER.slice(2),
            '-nostdin',
            '-timeout',
            `${Math.ceil(opts.timeoutMs / 1000)}s`,
            '-timeout_error',
            '-trace_err',
            '-error_file',
            errorFile,
            ...(opts.args ?? []),
          ],
          { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const spawnedAt = nowMs();
        let output = '';
        child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
        let cpuS = 0;
        const sampler = setInterval(() => (cpuS = procCpuS(child!.pid!) ?? cpuS), 500);
        const hard = setTimeout(() => child?.kill('SIGKILL'), opts.timeoutMs + 5000);
        child.on('close', (code) => {
          clearInterval(sampler);
          clearTimeout(hard);
          const stat = (name: string): number => {
            const m = new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(output);
            return m ? Number(m[1]) : 0;
          };
          let retransmissions = 0;
          for (const line of output.split('\n')) {
            const m = /^\s*\S+\s+(?:-+>|<-+)\s+(?:[A-Z]-RTD\d+\s+)?(\d+)\s+(\d+)/.exec(line);
            if (m) retransmissions += Number(m[2]);
          }
          const errors = existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '';
          rmSync(dir, { recursive: true, force: true });
          resolve({
            code,
            successful: stat('Successful call'),
            failed: stat('Failed call'),
            retransmissions,
            cpuS,
            elapsedS: (nowMs() - spawnedAt) / 1000,
            output,
            errors,
          });
        });
      }),
  );
  return { done, kill: () => child?.kill('SIGKILL') };
}

export const SIPP_DIR = join(import.meta.dirname, 'sipp');
