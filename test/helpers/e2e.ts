// End-to-end rig: `pivot start`'s server in-process on loopback (its own data dir, SIP on a free port, RTP on the
// range the test file owns), numbers with their callflows, an upload sink that keeps the exact bytes Pivot PUTs
// (recordings), a WAV header reader, and baresip phones that dial a number and dump what they hear.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';
import type { CallflowNode, PivotDebugRecord } from '../../src/store/types.js';
import { Baresip } from './baresip.js';
import { toneShare } from './media.js';
import { eventually } from './pivot.js';

export type PivotServer = Awaited<ReturnType<typeof startServer>>;

export interface E2eServer {
  server: PivotServer;
  accountId: string;
  signingKey: string;
  /** `127.0.0.1:<udp port>` of Pivot's SIP stack. */
  target: string;
  /** Assigns an E.164 number to the master account and routes it to `flow`. */
  number(e164: string, flow: CallflowNode): Promise<void>;
  /** Every debug record of a call, oldest first. */
  debug(callId: string): Promise<PivotDebugRecord[]>;
  stop(): Promise<void>;
}

/** `pivot start` on loopback with a fresh data dir; RTP on `rtpPorts` only. */
export async function e2eServer(rtpPorts: { min: number; max: number }): Promise<E2eServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-e2e-'));
  const server = await startServer({
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts,
    bind: '127.0.0.1',
    logLevel: 'silent',
  });
  const account = server.boot.account;
  return {
    server,
    accountId: account.id,
    signingKey: account.signing_key,
    target: `127.0.0.1:${server.calls.sipPorts.udp}`,
    async number(e164, flow) {
      await server.store.phoneNumbers.assign(account.id, e164);
      await server.store.callflows.create(account.id, { name: e164, numbers: [e164], flow });
    },
    debug: (callId) => server.store.pivotDebug.forCall(account.id, callId),
    stop: () => server.stop(1000),
  };
}

// ---- uploads ----------------------------------------------------------------------------------------------

export interface Upload {
  method: string;
  path: string;
  contentType?: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received. */
  body: Buffer;
  at: number;
}

export interface UploadSink {
  base: string;
  url(path: string): string;
  uploads: Upload[];
  /** Waits (bounded) until `count` uploads arrived. */
  waitFor(count?: number, timeoutMs?: number): Promise<Upload[]>;
  close(): Promise<void>;
}

/** An HTTP server on loopback that answers every PUT/POST with `status` and keeps the raw body. */
export async function uploadSink(status = 201): Promise<UploadSink> {
  const uploads: Upload[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uploads.push({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0],
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: (path) => `${base}${path}`,
    uploads,
    async waitFor(count = 1, timeoutMs = 10_000) {
      await eventually(() => uploads.length >= count, `${count} upload(s)`, timeoutMs);
      return uploads;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface WavHeader {
  /** 1 = PCM. */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  seconds: number;
}

/** The `fmt ` and `data` chunks of a RIFF/WAVE file; throws when the bytes are not one. */
export function wavHeader(bytes: Buffer): WavHeader {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error(`not a RIFF/WAVE file (starts with ${JSON.stringify(bytes.toString('latin1', 0, 12))})`);
  }
  let fmt: Omit<WavHeader, 'dataBytes' | 'seconds'> | undefined;
  for (let off = 12; off + 8 <= bytes.length;) {
    const id = bytes.toString('latin1', off, off + 4);
    const size = bytes.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = {
        format: bytes.readUInt16LE(off + 8),
        channels: bytes.readUInt16LE(off + 10),
        sampleRate: bytes.readUInt32LE(off + 12),
        bitsPerSample: bytes.readUInt16LE(off + 22),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before its fmt chunk');
      const dataBytes = Math.min(size, bytes.length - off - 8);
      const frame = (fmt.bitsPerSample / 8) * fmt.channels;
      return { ...fmt, dataBytes, seconds: dataBytes / frame / fmt.sampleRate };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error('WAV without a data chunk');
}

/** Writes bytes to a new temporary file (for sox and the decoders); returns its path. */
export function tempFile(bytes: Buffer, name: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pivot-e2e-file-')), name);
  writeFileSync(path, bytes);
  return path;
}

// ---- phones -----------------------------------------------------------------------------------------------

export interface Phone {
  phone: Baresip;
  /** Where the sndfile module dumps what the phone hears (`*-dec.wav`) and says (`*-enc.wav`). */
  dump: string;
}

/**
 * A baresip phone that does not register (it calls assigned numbers, which need no credentials), says a sine of
 * `sineHz` (or plays `wav`), dumps its audio, and uses RTP ports in `rtpPorts` only.
 */
export async function phone(opts: {
  name: string;
  rtpPorts: { min: number; max: number };
  sineHz?: number;
  /** A WAV file the phone says instead of the sine (baresip hangs up when it ends: make it long enough). */
  wav?: string;
  timeoutMs?: number;
}): Promise<Phone> {
  const dump = mkdtempSync(join(tmpdir(), 'baresip-dump-'));
  const p = await Baresip.start({
    account: `<sip:${opts.name}@127.0.0.1>;regint=0;audio_codecs=PCMU`,
    sineHz: opts.sineHz ?? 440,
    ...(opts.wav ? { wav: opts.wav } : {}),
    dumpDir: dump,
    rtpPorts: opts.rtpPorts,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  return { phone: p, dump };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends keys one by one (RFC 2833 from baresip), `gapMs` apart. */
export async function press(p: Baresip, keys: string, gapMs = 400): Promise<void> {
  for (const k of keys) {
    p.command('sndcode', k);
    await sleep(gapMs);
  }
}

/**
 * Share of the signal's power at `hz`, measured over 100 ms blocks and summed: unlike one Goertzel over the whole
 * span, a phase jump (a lost or late RTP packet on a loaded machine) only costs its own block. `hz` should be a
 * multiple of 10 so it falls on a block's bin.
 */
export function blockToneShare(samples: Int16Array, hz: number, from = 0, to = samples.length, block = 800): number {
  let power = 0;
  let energy = 0;
  for (let start = Math.max(0, Math.floor(from)); start + block <= to; start += block) {
    let e = 0;
    for (let i = start; i < start + block; i++) e += samples[i] * samples[i];
    power += toneShare(samples, hz, start, start + block) * e;
    energy += e;
  }
  return energy ? power / energy : 0;
}
