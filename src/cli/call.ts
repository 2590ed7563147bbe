// `pivot call`: a real SIP user agent on the command line, built from Pivot's own layers — a SipStack for the
// INVITE (digest answers to 401/407, CANCEL, BYE), a one-worker MediaEngine for RTP (what it hears is recorded,
// DTMF goes out as RFC 4733 events) — and a timeline of what went over the wire. It is how someone without a SIP
// phone tries the demo: `pivot call 1000 --digits 1 --record out.wav`.

import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadSettings } from '../config.js';
import { MediaEngine, type MediaSession } from '../media/engine.js';
import type { SessionStats } from '../media/protocol.js';
import { cseq } from '../sip/headers.js';
import type { SipMessage } from '../sip/message.js';
import type { OutgoingCall, OutgoingResult } from '../sip/outgoing-call.js';
import { dnsResolver } from '../sip/resolver.js';
import {
  answerOffer,
  createOffer,
  newSessionId,
  readAnswer,
  type LocalMedia,
  type NegotiatedMedia,
} from '../sip/sdp.js';
import type { EndReason } from '../sip/session.js';
import { SipStack } from '../sip/stack.js';
import type { TransportAddress } from '../sip/transport.js';
import { parseUri } from '../sip/uri.js';
import { remoteOf } from '../call/sip-call.js';
import { openStore } from '../store/index.js';
import { CALL_USAGE, digitSteps, parseCallArgs, UsageError, type CallOptions } from './call-options.js';

export { CALL_USAGE, parseCallArgs, UsageError, type CallOptions } from './call-options.js';

export interface CallEnvironment {
  /** Standard output (timeline, summary) and standard error (failures), one line per call. */
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where relative --record paths resolve. */
  cwd: string;
  /** The default SIP port (settings.sipPort). */
  sipPort: number;
  /** The local Pivot data folder and master account, for the demo device's credentials. */
  dataDir?: string;
  adminAccount?: string;
  /** The server's PostgreSQL store, when it keeps one (PIVOT_DATABASE_URL) instead of SQLite in the data folder. */
  databaseUrl?: string;
  /** Aborted on Ctrl-C: hang up (CANCEL or BYE) and return 130. */
  signal?: AbortSignal;
}

/** `pivot call …` as the command line runs it: parses, calls, returns the exit code. */
export async function callCommand(argv: string[]): Promise<number> {
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const err = (line: string): void => void process.stderr.write(line + '\n');
  let settings;
  try {
    settings = loadSettings();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`configuration error: ${e.message}`);
    return 2;
  }
  let options: CallOptions | 'help';
  try {
    options = parseCallArgs(argv, { sipPort: settings.sipPort });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`pivot call: ${e.message}\n\n${CALL_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    out(CALL_USAGE);
    return 0;
  }
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    return await runCall(options, {
      out,
      err,
      cwd: process.cwd(),
      sipPort: settings.sipPort,
      dataDir: settings.dataDir,
      adminAccount: settings.adminAccount,
      databaseUrl: settings.databaseUrl,
      signal: interrupt.signal,
    });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`pivot call: ${e.message}\n\n${CALL_USAGE}`);
    return 2;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

// ---- the timeline ---------------------------------------------------------------------------------------------

/** Prints `  0.123  → INVITE sip:…` lines, seconds since the start. */
export class Timeline {
  private readonly t0 = performance.now();

  constructor(
    private readonly print: (line: string) => void,
    private readonly quiet = false,
  ) {}

  /** Seconds since the start. */
  now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  line(symbol: string, text: string): void {
    if (!this.quiet) this.print(`${this.now().toFixed(3).padStart(7)}  ${symbol} ${text}`);
  }

  info(text: string): void {
    if (!this.quiet) this.print(text);
  }
}

function describeMedia(m: NegotiatedMedia): string {
  const te = m.telephoneEventPt !== undefined ? `, telephone-event ${m.telephoneEventPt}` : ', no telephone-event';
  return `${m.codec}/8000${te}${m.hold ? ' (on hold)' : ''}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Shows every SIP message the stack sends and receives on the timeline (retransmissions once), with what matters
 * about it: the SDP answer's codecs, whether a challenge is answered.
 */
function watchWire(
  stack: SipStack,
  timeline: Timeline,
  describe: { sdp: (body: string) => string; challenge: (status: number) => string },
): { responded: () => boolean } {
  const seen = new Set<string>();
  let responses = 0;
  const key = (dir: string, m: SipMessage): string => {
    const c = m.headers.get('cseq') ?? '';
    const id = m.headers.get('call-id') ?? '';
    return m.kind === 'request' ? `${dir} ${m.method} ${c} ${id}` : `${dir} ${m.status} ${c} ${id}`;
  };
  const method = (m: SipMessage): string => {
    try {
      return cseq(m).method;
    } catch {
      return '?';
    }
  };
  // First in line: the message is shown before the stack acts on it (the ACK and the new INVITE after a 407).
  stack.transport.prependListener('message', (m) => {
    const k = key('in', m);
    if (seen.has(k)) return;
    seen.add(k);
    if (m.kind === 'request') {
      const what = m.method === 'INVITE' ? 'INVITE (re-INVITE)' : m.method;
      return timeline.line('←', what);
    }
    responses++;
    const of = method(m);
    let text = `${m.status} ${m.reason}`;
    if (of !== 'INVITE') text += ` (${of})`;
    else if (m.status === 401 || m.status === 407) text += ` ${describe.challenge(m.status)}`;
    else if (m.body.length && m.status > 100) text += `  ${describe.sdp(m.body.toString('utf8'))}`;
    timeline.line('←', text);
  });
  const send = stack.transport.send.bind(stack.transport);
  stack.transport.send = (m: SipMessage, dest: TransportAddress): Promise<void> => {
    const k = key('out', m);
    if (!seen.has(k)) {
      seen.add(k);
      if (m.kind === 'request') {
        let text = m.method;
        if (m.method === 'INVITE' && method(m) === 'INVITE') {
          const authorized = m.headers.has('proxy-authorization') || m.headers.has('authorization');
          text += ` ${m.uri}${authorized ? ' (with credentials)' : ''}`;
        }
        if (m.method === 'INFO') text += ` ${m.body.toString('utf8').replace(/\r?\n/g, ' ').trim()}`;
        timeline.line('→', text);
      }
    }
    return send(m, dest);
  };
  return { responded: () => responses > 0 };
}

// ---- helpers ----------------------------------------------------------------------------------------------

/** Resolves with `promise`, or with `fallback` after `ms`. */
async function bounded<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The local address that routes to `address` (no packet is sent: a UDP connect only picks the route). */
async function localAddressFor(address: string, port: number): Promise<string> {
  const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((ok, fail) => {
      socket.once('error', fail);
      socket.connect(port, address, () => ok());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

/** A loopback address or one of this machine's interfaces. */
function isThisMachine(address: string): boolean {
  if (/^127\./.test(address) || address === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

const uriHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

/**
 * The demo device of the local Pivot's store — SQLite in its data folder, or its PostgreSQL database — read and
 * closed at once (a running server keeps working).
 */
export async function demoCredentials(
  dataDir: string,
  adminAccount: string,
  databaseUrl?: string,
): Promise<{ username: string; password: string; realm: string } | undefined> {
  if (!databaseUrl && !existsSync(join(dataDir, 'pivot.db'))) return undefined;
  const store = await openStore({ dataDir, databaseUrl });
  try {
    const account = await store.accounts.findByName(adminAccount);
    if (!account?.realm) return undefined;
    const device = await store.devices.findBySipUsername(account.id, 'demo');
    const password = device?.sip?.password;
    if (!device || device.enabled === false || typeof password !== 'string') return undefined;
    return { username: 'demo', password, realm: account.realm };
  } finally {
    await store.close();
  }
}

/** Where the INVITE goes and what its Request-URI is. */
async function destination(opts: CallOptions, sipPort: number): Promise<{ uri: string; dest: TransportAddress }> {
  const protocol = opts.transport;
  if (/^sips?:/i.test(opts.target)) {
    let parsed;
    try {
      parsed = parseUri(opts.target);
    } catch (e) {
      throw new UsageError(`"${opts.target}" is not a SIP URI: ${(e as Error).message}`);
    }
    if (opts.server) {
      const address = isIP(opts.server.host) ? opts.server.host : (await lookup(opts.server.host)).address;
      return { uri: opts.target, dest: { protocol, address, port: opts.server.port } };
    }
    const [found] = await dnsResolver.resolve(parsed);
    if (!found) throw new Error(`no address for ${opts.target}`);
    return { uri: opts.target, dest: opts.transport === 'tcp' ? { ...found, protocol: 'tcp' } : found };
  }
  const server = opts.server ?? { host: '127.0.0.1', port: sipPort };
  const address = isIP(server.host) ? server.host : (await lookup(server.host)).address;
  const user = opts.target.replace(/#/g, '%23');
  const uri = `sip:${user}@${uriHost(server.host)}:${server.port}${protocol === 'tcp' ? ';transport=tcp' : ''}`;
  return { uri, dest: { protocol, address, port: server.port } };
}

// ---- the call -----------------------------------------------------------------------------------------------

type Outcome = 'answered' | 'failed' | 'interrupted';

/** Place the call, run it, print the timeline and the summary; resolves with the exit code. */
export async function runCall(opts: CallOptions, env: CallEnvironment): Promise<number> {
  const timeline = new Timeline(env.out, opts.quiet);
  const recordPath = opts.record ? resolve(env.cwd, opts.record) : undefined;
  if (recordPath && !existsSync(dirname(recordPath))) {
    throw new UsageError(`--record ${opts.record}: the folder ${dirname(recordPath)} does not exist`);
  }
  let where: { uri: string; dest: TransportAddress };
  let localAddress: string;
  try {
    where = await destination(opts, env.sipPort);
    localAddress = await localAddressFor(where.dest.address, where.dest.port);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    env.err(`call failed: cannot reach ${opts.server?.host ?? opts.target}: ${(e as Error).message}`);
    return 1;
  }

  // Credentials: given, or the demo device of the local data folder.
  let auth = opts.user && opts.password !== undefined ? { username: opts.user, password: opts.password } : undefined;
  let realm = opts.realm;
  let credentialsNote = auth ? `${auth.username}${realm ? `@${realm}` : ''} (--user)` : undefined;
  // Only towards this machine: the local demo device is nobody else's business.
  if (!auth && env.dataDir && env.adminAccount && isThisMachine(where.dest.address)) {
    try {
      const demo = await demoCredentials(env.dataDir, env.adminAccount, env.databaseUrl);
      if (demo) {
        auth = { username: demo.username, password: demo.password };
        realm ??= demo.realm;
        const rel = relative(env.cwd, env.dataDir);
        const folder = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? env.dataDir : rel;
        credentialsNote = `${demo.username}@${realm} (the demo device of ${folder})`;
      }
    } catch (e) {
      timeline.info(
        `(could not read the data folder ${env.dataDir}: ${(e as Error).message}; calling without credentials)`,
      );
    }
  }
  const fromUser = opts.from ?? auth?.username ?? 'pivot';

  const engine = new MediaEngine({ host: localAddress, ports: opts.rtpPorts, workers: 1 });
  const stack = new SipStack({
    host: localAddress,
    udpPort: 0,
    ...(where.dest.protocol === 'tcp' ? { tcpPort: 0 } : {}),
    rateLimit: false,
    userAgent: 'pivot-call',
  });
  let media: MediaSession | undefined;
  try {
    try {
      engine.start();
      await stack.start();
      // In-band detection too: <Play digits> is heard as tones, as a phone would hear it.
      media = await engine.open({ inbandDtmf: true });
    } catch (e) {
      env.err(`call failed: cannot start the user agent: ${(e as Error).message}`);
      return 1;
    }
    const local: LocalMedia = {
      address: localAddress,
      port: media.port,
      codecs: ['PCMU', 'PCMA'],
      telephoneEvent: true,
      sessionId: newSessionId(),
      sessionVersion: 1,
    };
    return await converse(opts, env, {
      timeline,
      stack,
      media,
      local,
      where,
      auth,
      realm,
      fromUser,
      credentialsNote,
      recordPath,
    });
  } finally {
    await stack.stop().catch(() => undefined);
    await engine.stop().catch(() => undefined);
  }
}

interface Leg {
  timeline: Timeline;
  stack: SipStack;
  media: MediaSession;
  local: LocalMedia;
  where: { uri: string; dest: TransportAddress };
  auth?: { username: string; password: string };
  realm?: string;
  fromUser: string;
  credentialsNote?: string;
  recordPath?: string;
}

async function converse(opts: CallOptions, env: CallEnvironment, leg: Leg): Promise<number> {
  const { timeline, stack, media, local, where, auth } = leg;
  const signal = env.signal ?? new AbortController().signal;
  const { dest } = where;
  timeline.info(
    `pivot call ${opts.target} → ${uriHost(dest.address)}:${dest.port} over ${dest.protocol}` +
      ` (SIP ${uriHost(stack.advertisedHost)}:${stack.ports[dest.protocol] ?? stack.ports.udp}, RTP ${local.port})`,
  );
  if (leg.credentialsNote) timeline.info(`credentials: ${leg.credentialsNote}`);

  // What is heard and said, for the summary.
  let firstRtp: string | undefined;
  let heard = '';
  let sent = '';
  let mediaProblem: string | undefined;
  const challenged = new Set<number>();
  const wire = watchWire(stack, timeline, {
    sdp: (body) => {
      const r = readAnswer(body, local);
      return r.ok ? describeMedia(r.media) : `(unusable SDP: ${r.warning})`;
    },
    challenge: (status) => {
      if (!auth) return '(no credentials to answer with: pass --user, --password and --realm)';
      if (challenged.has(status)) return '(credentials refused)';
      challenged.add(status);
      return `(answering with credentials of ${auth.username})`;
    },
  });
  // Responses and RTP arrive in later ticks: every listener below is in place by then.
  const sip = leg.stack.invite({
    uri: where.uri,
    from: { user: leg.fromUser, ...(leg.realm ? { host: leg.realm } : {}) },
    sdp: createOffer(local),
    dest,
    ...(auth ? { auth } : {}),
  });
  let hangingUp: Promise<void> | undefined;
  const hangup = (why: string): void => {
    if (hangingUp || sip.state === 'terminated') return;
    timeline.line('●', why);
    hangingUp = sip.hangup();
  };
  media.on('latched', (address: string, port: number) => {
    if (firstRtp) return;
    firstRtp = `${address}:${port}`;
    timeline.line('◀', `first RTP packet from ${firstRtp}`);
  });
  media.on('dtmf', (digit: string, via: string) => {
    heard += digit;
    timeline.line('←', `DTMF ${digit}${via === 'inband' ? ' (in-band)' : ''}`);
  });
  media.on('rtpTimeout', () => {
    mediaProblem = 'RTP stopped arriving';
    hangup('no RTP for 60 s: hanging up');
  });
  media.on('failed', (reason: string) => {
    mediaProblem = `media failed: ${reason}`;
    hangup(`${mediaProblem}: hanging up`);
  });

  const ended = new Promise<{ reason: EndReason; detail?: { status?: number; reason?: string } }>((r) =>
    sip.once('terminated', (reason, detail) => r({ reason, detail })),
  );
  sip.on('progress', (_status, sdp) => {
    // Early media: listen to it (the 183's SDP), the 200 may change it.
    const r = sdp ? readAnswer(sdp, local) : undefined;
    if (r?.ok) media.setRemote(remoteOf(r.media), r.media.hold);
  });
  sip.on('dtmf', (digit) => {
    heard += digit;
    timeline.line('←', `DTMF ${digit} (SIP INFO)`);
  });
  sip.on('offer', (offer) => {
    if (!offer.sdp) {
      local.sessionVersion = (local.sessionVersion ?? 1) + 1;
      return offer.answer(createOffer(local));
    }
    local.sessionVersion = (local.sessionVersion ?? 1) + 1;
    const a = answerOffer(offer.sdp, local);
    if (!a.ok) return offer.reject(a.status);
    media.setRemote(remoteOf(a.media), a.media.hold);
    offer.answer(a.answer);
  });

  // ---- until the answer ----
  let outcome: Outcome = 'failed';
  let timedOut = false;
  let interrupted = false;
  let giveUp!: (r: OutgoingResult) => void;
  const gaveUp = new Promise<OutgoingResult>((r) => (giveUp = r));
  const stopWaiting = (status: number, reason: string): void => {
    void sip.hangup();
    // A server that never answers the CANCEL either: stop waiting after a moment (at once when it never said
    // anything: there is nothing to CANCEL then).
    setTimeout(() => giveUp({ ok: false, status, reason }), wire.responded() ? 3000 : 0).unref();
  };
  const noAnswer = setTimeout(() => {
    timedOut = true;
    timeline.line('●', `no answer within ${seconds(opts.timeoutMs)}: cancelling`);
    stopWaiting(408, 'Request Timeout');
  }, opts.timeoutMs);
  const onInterrupt = (): void => {
    interrupted = true;
    if (sip.state === 'confirmed') return hangup('interrupted: hanging up');
    timeline.line('●', 'interrupted: cancelling');
    stopWaiting(487, 'Request Terminated');
  };
  signal.addEventListener('abort', onInterrupt, { once: true });
  if (signal.aborted) onInterrupt();
  const result = await Promise.race([sip.result, gaveUp]);
  clearTimeout(noAnswer);

  const summary: [string, string][] = [];
  let code = 1;
  let sendingDigits: Promise<void> | undefined;
  const talk = new AbortController();
  if (!result.ok) {
    outcome = interrupted ? 'interrupted' : 'failed';
    summary.push(['result', interrupted ? 'interrupted before the answer' : 'failed']);
    if (timedOut) {
      const silent = wire.responded()
        ? ''
        : ` (no response at all from ${dest.address}:${dest.port}: is Pivot running there?)`;
      env.err(`call failed: no answer within ${seconds(opts.timeoutMs)}${silent}`);
      summary.push(['SIP', `no answer${silent}`]);
    } else if (!interrupted) {
      env.err(`call failed: ${result.status} ${result.reason}${hintFor(result.status, opts, auth)}`);
      summary.push(['SIP', `${result.status} ${result.reason}`]);
    }
    code = interrupted ? 130 : 1;
  } else {
    const answeredAt = performance.now();
    const answer = readAnswer(sip.remoteSdp ?? '', local);
    summary.push(['SIP', `${result.response.status} ${result.response.reason}`]);
    if (!answer.ok) {
      env.err(`call failed: media negotiation failed: ${answer.warning}`);
      hangup('media negotiation failed: hanging up');
      await ended;
      summary.unshift(['result', 'answered, but media negotiation failed']);
    } else {
      outcome = 'answered';
      media.setRemote(remoteOf(answer.media), answer.media.hold);
      const recording = leg.recordPath
        ? media.record({
            file: leg.recordPath,
            legs: 'caller',
            channels: 1,
            maxMs: opts.durationMs + 60_000,
            silenceMs: 0,
            beep: false,
            terminators: '',
            trimSilence: false,
          })
        : undefined;
      const durationTimer = setTimeout(
        () => hangup(`--duration ${seconds(opts.durationMs)} reached: hanging up`),
        opts.durationMs,
      );
      if (opts.digits) {
        sendingDigits = sendDigits(opts, sip, media, answer.media, timeline, talk.signal, (d) => (sent += d));
      }
      const end = await ended;
      clearTimeout(durationTimer);
      talk.abort();
      const talkMs = performance.now() - answeredAt;
      if (hangingUp) await bounded(hangingUp, 2000, undefined);
      await sendingDigits?.catch(() => undefined);
      const stats: SessionStats | undefined = await bounded(media.close(), 3000, undefined);
      const rec = recording ? await bounded(recording, 3000, undefined) : undefined;
      const normal = end.reason === 'local-bye' || end.reason === 'remote-bye';
      summary.unshift([
        'result',
        interrupted
          ? 'answered, hung up on Ctrl-C'
          : end.reason === 'remote-bye'
            ? 'answered, the far end hung up'
            : end.reason === 'local-bye'
              ? 'answered, hung up here'
              : `answered, ended: ${end.reason}`,
      ]);
      summary.push(['talk time', seconds(talkMs)]);
      summary.push([
        'RTP',
        stats
          ? `${stats.packetsReceived} packets received (${stats.packetsLost} lost), ${stats.packetsSent} sent`
          : 'no statistics',
      ]);
      if (leg.recordPath) {
        if (!rec || rec.reason === 'error') {
          const why = rec?.error ?? 'the recorder did not finish';
          timeline.line('●', `recording failed: ${why}`);
          mediaProblem ??= `recording failed: ${why}`;
        } else {
          timeline.line('●', `recording saved ${opts.record} (${seconds(rec.durationMs)})`);
          summary.push(['recording', `${opts.record} (${seconds(rec.durationMs)})`]);
        }
      }
      if (!mediaProblem && stats && stats.packetsReceived === 0 && talkMs >= 2000) {
        mediaProblem = `no RTP received in ${seconds(talkMs)}`;
      }
      if (interrupted) code = 130;
      else if (mediaProblem) {
        env.err(`call failed: ${mediaProblem}`);
        code = 1;
      } else if (!normal) {
        env.err(`call failed: the call ended with ${end.reason}${end.detail?.reason ? ` (${end.detail.reason})` : ''}`);
        code = 1;
      } else code = 0;
    }
  }
  signal.removeEventListener('abort', onInterrupt);
  if (outcome === 'answered' || sent) summary.push(['DTMF sent', sent || 'none']);
  if (outcome === 'answered') summary.push(['DTMF heard', heard || 'none']);
  env.out('');
  env.out('Summary');
  for (const [k, v] of summary) env.out(`  ${k.padEnd(12)} ${v}`);
  return code;
}

function hintFor(status: number, opts: CallOptions, auth: { username: string } | undefined): string {
  const extension = !/^sips?:/i.test(opts.target) && !opts.target.startsWith('+') && opts.target.length < 7;
  if ((status === 401 || status === 407) && !auth) {
    return ' — this needs a device: pass --user, --password and --realm (the account realm)';
  }
  if (status === 403 && auth) return ` — check the credentials of ${auth.username} and --realm`;
  if (status === 404 && extension && !auth) {
    return " — extensions are only reachable by an account's devices: pass --user, --password and --realm";
  }
  return '';
}

/** Send the digit string once answered + --after: RFC 4733 events (SIP INFO when the answer has none). */
async function sendDigits(
  opts: CallOptions,
  sip: OutgoingCall,
  media: MediaSession,
  negotiated: NegotiatedMedia,
  timeline: Timeline,
  signal: AbortSignal,
  onSent: (digit: string) => void,
): Promise<void> {
  try {
    await sleep(opts.afterMs, undefined, { signal });
    for (const step of digitSteps(opts.digits)) {
      if (signal.aborted) return;
      if ('pauseMs' in step) {
        await sleep(step.pauseMs, undefined, { signal });
        continue;
      }
      if (negotiated.telephoneEventPt !== undefined) {
        timeline.line('→', `DTMF ${step.digit}`);
        await media.sendDtmf(step.digit, 160);
        onSent(step.digit);
        // A gap between digits, so two equal ones are two key presses.
        await sleep(80, undefined, { signal });
      } else {
        timeline.line('→', `DTMF ${step.digit} (SIP INFO: the answer has no telephone-event)`);
        const status = await sip.sendDtmfInfo(step.digit, 160);
        if (status >= 300) timeline.line('●', `the INFO for ${step.digit} was refused (${status})`);
        else onSent(step.digit);
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
}
