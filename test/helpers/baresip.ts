// Runs Debian's baresip as a real SIP phone, driven over its ctrl_tcp module (netstring-framed JSON): configured
// on loopback ports of its own, with a sine tone as microphone and no sound card, bounded by a hard timeout.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './sipp.js';

export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipOptions {
  /** The account line, e.g. `<sip:alice@acme.test>;auth_pass=x;outbound="sip:127.0.0.1:5060"`. */
  account: string;
  /** Hard limit on baresip's life (default 30 s). */
  timeoutMs?: number;
  /** Frequency of the sine the phone "says" (default 440 Hz). */
  sineHz?: number;
  /** A WAV file the phone "says" instead (baresip hangs up when it ends: pad it). */
  wav?: string;
  /** Dump what the phone sends and hears to `dump-*-enc.wav` / `dump-*-dec.wav` here (sndfile module). */
  dumpDir?: string;
  /** RTP port range of the phone (default: baresip's own, 1024-49152). */
  rtpPorts?: { min: number; max: number };
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  private readonly waiters: { type: string; resolve: (e: BaresipEvent) => void }[] = [];
  private buffer = Buffer.alloc(0);
  private token = 0;
  output = '';

  private constructor(
    private readonly proc: ChildProcess,
    private readonly socket: Socket,
    /** The phone's SIP address (for calls to it). */
    readonly sipPort: number,
  ) {}

  /**
   * Starts baresip on ports that were free a moment ago; another process may take one before baresip binds it
   * (its SIP port is bound for UDP and TCP), so a start that finds a port in use is tried again on new ones.
   */
  static async start(opts: BaresipOptions): Promise<Baresip> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Baresip.startOnce(opts);
      } catch (err) {
        if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
      }
    }
  }

  private static async startOnce(opts: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
    const [sipPort, ctrlPort] = [await freeUdpPort(), await freeUdpPort()];
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_trans_def udp',
        'audio_player aubridge,nil',
        opts.wav ? `audio_source aufile,${opts.wav}` : `audio_source ausine,${opts.sineHz ?? 440}`,
        'ausrc_srate 48000',
        'auplay_srate 48000',
        'ausrc_channels 2',
        'auplay_channels 2',
        'audio_alert aubridge,nil',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module ausine.so',
        'module aufile.so',
        'module aubridge.so',
        'module account.so',
        'module menu.so',
        ...(opts.dumpDir ? ['module sndfile.so', `snd_path ${opts.dumpDir}`] : []),
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        'net_interface 127.0.0.1',
        ...(opts.rtpPorts ? [`rtp_ports ${opts.rtpPorts.min}-${opts.rtpPorts.max}`] : []),
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'accounts'), `${opts.account}\n`);
    const proc = spawn('baresip', ['-f', dir, '-t', String(Math.ceil((opts.timeoutMs ?? 30_000) / 1000))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const socket = await connectWithRetry(ctrlPort, 5000, () => output).catch((err: unknown) => {
      proc.kill('SIGKILL');
      throw err;
    });
    const b = new Baresip(proc, socket, sipPort);
    proc.stdout!.on('data', (d: Buffer) => (b.output += d.toString()));
    b.output = output;
    socket.on('data', (d: Buffer) => b.receive(d));
    socket.on('error', () => undefined);
    return b;
  }

  /** Send a command (`dial`, `hangup`, `sndcode`, `quit`…). */
  command(command: string, params = ''): void {
    const json = JSON.stringify({ command, params, token: String(++this.token) });
    this.socket.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** The first event of `type` (already seen or still to come), bounded by `timeoutMs`. */
  waitFor(type: string, timeoutMs = 10_000): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `baresip: no ${type} within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(', ')}\n${this.output}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        type,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.command('quit');
    this.socket.end();
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      if (this.proc.exitCode !== null) {
        clearTimeout(kill);
        return resolve();
      }
      this.proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + len + 1) return;
      const json = this.buffer.subarray(colon + 1, colon + 1 + len).toString();
      this.buffer = this.buffer.subarray(colon + 2 + len);
      try {
        const msg = JSON.parse(json) as BaresipEvent & { event?: boolean };
        if (!msg.event) continue;
        this.events.push(msg);
        for (const w of this.waiters.filter((x) => x.type === msg.type)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      } catch {
        // not JSON: ignore
      }
    }
  }
}

async function connectWithRetry(port: number, timeoutMs: number, output: () => string): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch {
      // A failed start (a port taken meanwhile) says so at once: no need to wait for the deadline.
      if (Date.now() > deadline || /init failed/.test(output())) {
        throw new Error(`baresip's ctrl_tcp never listened on ${port}\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
