// Runs SIPp (Debian's sip-tester) against a server on loopback: bounded by call count and a hard timeout, on its
// own free port, with its statistics read back from its summary.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippRun {
  /** 0: every call succeeded; 1: some failed; others: SIPp could not run. */
  code: number | null;
  successful: number;
  failed: number;
  retransmissions: number;
  output: string;
  errors: string;
}

export interface SippOptions {
  /** A built-in scenario (`uac`, `uas`) or the path of an XML scenario. */
  scenario: string;
  /** `host:port` to call, for client scenarios. */
  target?: string;
  /** Local port (default: a free one). */
  port?: number;
  calls?: number;
  rate?: number;
  /** Extra command-line arguments. */
  args?: string[];
  /** Hard limit; SIPp is killed after it (default 30 s). */
  timeoutMs?: number;
  /** Resolves once SIPp is listening (for server scenarios): waits this long after spawning. */
  transport?: 'u1' | 't1';
}

/** A UDP port that was free a moment ago. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export const SCENARIOS = join(import.meta.dirname, '..', 'sip', 'sipp', 'scenarios');

export function sipp(opts: SippOptions): { port: Promise<number>; done: Promise<SippRun>; kill(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  let child: ReturnType<typeof spawn> | undefined;
  const port = opts.port ? Promise.resolve(opts.port) : freeUdpPort();
  const done = port.then(
    (p) =>
      new Promise<SippRun>((resolve) => {
        const scenario = opts.scenario.endsWith('.xml') ? ['-sf', opts.scenario] : ['-sn', opts.scenario];
        const errorFile = join(dir, 'errors.log');
        const args = [
          ...scenario,
          ...(opts.target ? [opts.target] : []),
          '-i',
          '127.0.0.1',
          '-p',
          String(p),
          '-m',
          String(opts.calls ?? 1),
          '-r',
          String(opts.rate ?? 10),
          '-t',
          opts.transport ?? 'u1',
          '-nostdin',
          '-timeout',
          `${Math.ceil((opts.timeoutMs ?? 30_000) / 1000)}s`,
          '-timeout_error',
          '-trace_err',
          '-error_file',
          errorFile,
          ...(opts.args ?? []),
        ];
        child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
        const kill = setTimeout(() => child?.kill('SIGKILL'), (opts.timeoutMs ?? 30_000) + 5000);
        child.on('close', (code) => {
          clearTimeout(kill);
          const stat = (name: string): number => {
            const m = new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(output);
            return m ? Number(m[1]) : 0;
          };
          resolve({
            code,
            successful: stat('Successful call'),
            failed: stat('Failed call'),
            retransmissions: retransmissions(output),
            output,
            errors: existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '',
          });
        });
      }),
  );
  return { port, done, kill: () => child?.kill('SIGKILL') };
}

/** Sum of the Retrans column of SIPp's final message table (`INVITE ---------->   20   0   0`). */
function retransmissions(output: string): number {
  let total = 0;
  for (const line of output.split('\n')) {
    const m = /^\s*\S+\s+(?:-+>|<-+)\s+(?:[A-Z]-RTD\d+\s+)?(\d+)\s+(\d+)/.exec(line);
    if (m) total += Number(m[2]);
  }
  return total;
}

/** Hands out SIPp media ports from `first` on, four apart (RTP, RTCP and SIPp's video pair), one block per call. */
export function sippMediaPorts(first: number): () => string {
  let next = first - 4;
  return () => String((next += 4));
}
