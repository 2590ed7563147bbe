// A Pivot media rig for tests over real SIP and RTP on loopback: the SIP stack, the media engine with its
// workers (own RTP port range per test file), the prompt cache with TTS, and SipCall for each call that arrives.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConferenceRooms } from '../../src/call/conference-rooms.js';
import { promptPreparer } from '../../src/call/prompts.js';
import { SipCall, type SipCallDeps } from '../../src/call/sip-call.js';
import { configured as configuredAsr } from '../../src/media/asr/registry.js';
import { MediaEngine } from '../../src/media/engine.js';
import { PromptCache } from '../../src/media/prompts/cache.js';
import { createTtsRegistry } from '../../src/media/tts/registry.js';
import { UrlPolicy } from '../../src/pivot/http/index.js';
import { policyFetcher } from '../../src/pivot/media-fetcher.js';
import { SipStack } from '../../src/sip/stack.js';

export interface MediaRig {
  stack: SipStack;
  engine: MediaEngine;
  deps: SipCallDeps;
  target: string;
  dir: string;
  /** Handle each call that arrives (after its media session is open). */
  onCall(handler: (call: SipCall) => Promise<void> | void): void;
  /** Calls that could not start and handlers that threw: a test that waits for its handler reports them. */
  errors: string[];
  close(): Promise<void>;
}

export async function mediaRig(ports: { min: number; max: number }, workers = 2): Promise<MediaRig> {
  const dir = mkdtempSync(join(tmpdir(), 'pivot-media-'));
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, rateLimit: false });
  const engine = new MediaEngine({ host: '127.0.0.1', ports, workers, rtpTimeoutMs: 0 });
  engine.start();
  const cache = new PromptCache({
    dir: join(dir, 'prompts'),
    fetcher: policyFetcher(new UrlPolicy()),
    tts: createTtsRegistry(),
  });
  const deps: SipCallDeps = {
    stack,
    media: engine,
    prepare: promptPreparer(cache),
    rooms: new ConferenceRooms(),
    recordDir: dir,
    asr: configuredAsr(),
  };
  let handler: (call: SipCall) => Promise<void> | void = (call) => void call.reject(480);
  const errors: string[] = [];
  stack.on('invite', (invite) => {
    const user = invite.toUser ?? '';
    void SipCall.inbound(deps, invite, {
      accountId: 'acme',
      direction: 'inbound',
      from: { user: 'caller', realm: '127.0.0.1' },
      to: { user, realm: '127.0.0.1' },
      request: { user, realm: '127.0.0.1' },
    }).then(
      async (call) => {
        try {
          await handler(call);
        } catch (err) {
          errors.push(`the call handler threw: ${String(err)}`);
        }
      },
      (err: unknown) => void errors.push(`the call could not start: ${String(err)}`),
    );
  });
  const { udp } = await stack.start();
  return {
    stack,
    engine,
    deps,
    dir,
    target: `127.0.0.1:${udp}`,
    onCall: (h) => (handler = h),
    errors,
    async close() {
      await stack.stop();
      await engine.stop();
    },
  };
}

/** Duration (s) and RMS amplitude (0..1) of an audio file, as sox measures them. */
export function soxStat(path: string): { seconds: number; rms: number } {
  let out = '';
  try {
    execFileSync('sox', [path, '-n', 'stat'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    out = String((err as { stderr?: string }).stderr ?? '');
  }
  // sox prints stat to stderr even on success.
  if (!out) out = execFileSync('sh', ['-c', `sox "${path}" -n stat 2>&1`], { encoding: 'utf8' });
  const num = (label: string): number => Number(new RegExp(`${label}:\\s*([-\\d.e]+)`).exec(out)?.[1] ?? NaN);
  return { seconds: num('Length \\(seconds\\)'), rms: num('RMS\\s+amplitude') };
}

/** An audio file decoded to 8 kHz mono. */
export async function read8k(path: string): Promise<Int16Array> {
  const { readFileSync } = await import('node:fs');
  const { decodeAudio } = await import('../../src/media/prompts/audio.js');
  return decodeAudio(new Uint8Array(readFileSync(path)), 'audio/wav');
}

/** Share of the signal's power at `hz` (Goertzel over the whole span), 0..1. */
export function toneShare(samples: Int16Array, hz: number, from = 0, to = samples.length): number {
  const n = to - from;
  if (n <= 0) return 0;
  const k = (2 * Math.PI * hz) / 8000;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = from; i < to; i++) {
    const x = samples[i];
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy ? (2 * power) / (n * energy) : 0;
}

/** RMS of a span of samples (0..32768). */
export function rmsOf(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] * samples[i];
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

/** The sndfile dump of what a baresip phone heard. */
export async function heardBy(dumpDir: string): Promise<string> {
  const { readdirSync } = await import('node:fs');
  const file = readdirSync(dumpDir).find((f) => f.endsWith('-dec.wav'));
  if (!file) throw new Error(`no decoded-audio dump in ${dumpDir}`);
  return `${dumpDir}/${file}`;
}
