// The far end of bench/pivot-concurrent, in its own process: the developer's web server (node:http, keep-alive)
// running a Gather loop, and N RTP legs (one per call, the callers). Each leg sends 20 ms PCMU packets (a quiet
// 400 Hz tone) to the Pivot port it first hears from (symmetric RTP), presses a digit (RFC 4733) some time after
// each webhook response, and measures the gaps between the packets it receives from Pivot as bench/media-peer.ts
// does. Driven over stdin/stdout (JSON lines); times are nowMs() (monotonic, shared by every process).
//   out: {"http":<port>}
//   in:  {"cmd":"open","n":500}                out: {"ports":[...]}   (leg sockets, for the SDP of each call)
//   in:  {"cmd":"map","callId":"…","port":<leg port>}   (CallSid of the leg's call)
//   in:  {"cmd":"status"}                      out: {"legs":<legs hearing Pivot>,"requests":…}
//   in:  {"cmd":"measure"}                     (the window starts: counters reset)
//   in:  {"cmd":"stop"}                        out: the window's figures (see the end of this file)

import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { DriftFreeScheduler } from '../src/media/scheduler.js';
import { L16_TO_ULAW } from '../src/media/g711.js';
import { arg, nowMs, stats } from './pivot-bench-util.js';
import { ReceiveGaps } from './receive-gaps.js';

const text = arg('text', 'Press a key.');
const [delayMinS, delayMaxS] = arg('digit-delay', '1-8').split('-').map(Number);
const GATHER =
  `<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" timeout="5" action="/g">` +
  `<Say>${text}</Say></Gather><Redirect>/voice</Redirect></Response>`;

interface Leg {
  socket: Socket;
  port: number;
  target?: number;
  /** The socket is connected to the target: sends go out synchronously. */
  connected: boolean;
  /** Its own packet buffer: an unconnected send reads the buffer later, after other legs would have changed it. */
  packet: Buffer;
  seq: number;
  ts: number;
  lastArrival: number;
  lastSeq: number;
  /** When to press the next digit (0: not planned). */
  digitAt: number;
  /** The digit being sent: event code, its RTP timestamp, packets sent so far. */
  dtmf?: { event: number; ts: number; packets: number };
  /** When the first End packet of the last digit went out (0: none pending). */
  digitEndAt: number;
  /** When the last response to this leg's call was handed to the kernel (0: its prompt arrived since). */
  respondedAt: number;
}

const legs: Leg[] = [];
const byPort = new Map<number, Leg>();
const byCall = new Map<string, Leg>();

// Window figures.
let measuring = false;
const gaps = new ReceiveGaps();
let received = 0;
let lost = 0;
let reordered = 0;
let sent = 0;
let digitsSent = 0;
let requests = 0;
let badRequests = 0;
const requestsByPath: Record<string, number> = {};
const digitToRequest: number[] = [];
const responseToPrompt: number[] = [];
let cpuAtStart = process.cpuUsage();
let startedAt = nowMs();

// A quiet 400 Hz tone: 20 samples a period, 8 periods a packet, so one frame repeats seamlessly. No DTMF in it.
const TONE = Uint8Array.from(
  { length: 160 },
  (_, i) => L16_TO_ULAW[Math.round(1000 * Math.sin((2 * Math.PI * i) / 20)) & 0xffff],
);
const DTMF_PT = 101;
/** A digit is 5 packets (100 ms) and 3 End packets. */
const DTMF_PACKETS = 5;
const DTMF_END_PACKETS = 3;

function planDigit(leg: Leg, from: number): void {
  leg.digitAt = from + (delayMinS + Math.random() * (delayMaxS - delayMinS)) * 1000;
}

function onPacket(leg: Leg, m: Buffer, sourcePort: number): void {
  // RTCP from Pivot goes to RTP port + 1, which may be another leg's socket here: skip it.
  if (m.length < 12 || (m[1] >= 192 && m[1] <= 223)) return;
  const now = nowMs();
  if (leg.target === undefined) {
    leg.target = sourcePort;
    leg.socket.connect(sourcePort, '127.0.0.1', () => (leg.connected = true));
  }
  if (leg.respondedAt) {
    // The first packet that is not µ-law silence after a response: the Gather's prompt.
    for (let i = 12; i < m.length; i++) {
      if (m[i] !== 0xff && m[i] !== 0x7f) {
        if (measuring) responseToPrompt.push(now - leg.respondedAt);
        leg.respondedAt = 0;
        break;
      }
    }
  }
  if (!measuring) return;
  const d = gaps.arrive(leg, m.readUInt16BE(2), now);
  if (d > 0) lost += d;
  if (d < 0) reordered++;
  received++;
}

const scheduler = new DriftFreeScheduler();
scheduler.onTick = () => {
  const now = nowMs();
  for (const leg of legs) {
    if (leg.target === undefined) continue;
    const packet = leg.packet;
    leg.ts = (leg.ts + 160) >>> 0;
    leg.seq = (leg.seq + 1) & 0xffff;
    packet[0] = 0x80;
    packet.writeUInt16BE(leg.seq, 2);
    packet.writeUInt32BE(leg.port, 8);
    if (!leg.dtmf && leg.digitAt && now >= leg.digitAt) {
      leg.digitAt = 0;
      leg.dtmf = { event: 1 + Math.floor(Math.random() * 9), ts: leg.ts, packets: 0 };
    }
    let length = 172;
    if (leg.dtmf) {
      // RFC 4733: the event's packets share its start timestamp; the duration grows; the End packet is sent 3 times.
      const d = leg.dtmf;
      d.packets++;
      const end = d.packets > DTMF_PACKETS;
      packet[1] = DTMF_PT | (d.packets === 1 ? 0x80 : 0);
      packet.writeUInt32BE(d.ts, 4);
      packet[12] = d.event;
      packet[13] = (end ? 0x80 : 0) | 10;
      packet.writeUInt16BE(Math.min(d.packets, DTMF_PACKETS + 1) * 160, 14);
      length = 16;
      if (d.packets === DTMF_PACKETS + 1) {
        leg.digitEndAt = now;
        if (measuring) digitsSent++;
      }
      if (d.packets === DTMF_PACKETS + DTMF_END_PACKETS) leg.dtmf = undefined;
    } else {
      packet[1] = 0;
      packet.writeUInt32BE(leg.ts, 4);
      packet.set(TONE, 12);
    }
    if (leg.connected) leg.socket.send(packet, 0, length);
    else leg.socket.send(packet, 0, length, leg.target, '127.0.0.1');
    if (measuring) sent++;
  }
};

const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
  const requestAt = nowMs();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    const leg = byCall.get(form.get('CallSid') ?? '');
    if (measuring) {
      requests++;
      requestsByPath[path] = (requestsByPath[path] ?? 0) + 1;
    }
    if (path !== '/voice' && path !== '/g') {
      if (measuring) badRequests++;
      res.writeHead(404).end();
      return;
    }
    if (leg) {
      leg.digitAt = 0;
      if (path === '/g' && leg.digitEndAt && form.get('Digits')) {
        if (measuring) digitToRequest.push(requestAt - leg.digitEndAt);
      }
      leg.digitEndAt = 0;
    }
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(GATHER) });
    res.end(GATHER, () => {
      if (!leg) return;
      leg.respondedAt = nowMs();
      planDigit(leg, leg.respondedAt);
    });
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));

/** One JSON line; `then` runs once it is written (a large line to a pipe is written in several steps). */
const out = (o: unknown, then?: () => void): void => void process.stdout.write(`${JSON.stringify(o)}\n`, then);
out({ http: (server.address() as { port: number }).port });

createInterface({ input: process.stdin }).on('line', async (line) => {
  const msg = JSON.parse(line) as { cmd: string; n?: number; callId?: string; port?: number };
  if (msg.cmd === 'open') {
    for (let i = 0; i < msg.n!; i++) {
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const leg: Leg = {
        socket,
        port: socket.address().port,
        connected: false,
        packet: Buffer.alloc(172),
        seq: (Math.random() * 0xffff) | 0,
        ts: (Math.random() * 0xffffffff) >>> 0,
        lastArrival: 0,
        lastSeq: 0,
        digitAt: 0,
        digitEndAt: 0,
        respondedAt: 0,
      };
      socket.on('message', (m, rinfo) => onPacket(leg, m, rinfo.port));
      socket.on('error', () => undefined);
      legs.push(leg);
      byPort.set(leg.port, leg);
    }
    scheduler.start(20);
    out({ ports: legs.map((l) => l.port) });
  } else if (msg.cmd === 'map') {
    const leg = byPort.get(msg.port!);
    if (leg) byCall.set(msg.callId!, leg);
  } else if (msg.cmd === 'status') {
    out({ legs: legs.filter((l) => l.target !== undefined).length, mapped: byCall.size });
  } else if (msg.cmd === 'measure') {
    for (const leg of legs) leg.lastArrival = 0;
    measuring = true;
    cpuAtStart = process.cpuUsage();
    startedAt = nowMs();
  } else if (msg.cmd === 'stop') {
    measuring = false;
    const elapsedS = (nowMs() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    const dr = stats(digitToRequest);
    const rp = stats(responseToPrompt);
    scheduler.stop();
    server.closeAllConnections();
    server.close();
    for (const l of legs) l.socket.close();
    out(
      {
        elapsedS,
        cpuCores: (cpu.user + cpu.system) / 1e6 / elapsedS,
        gaps: gaps.summary(),
        received,
        lost,
        reordered,
        sent,
        digitsSent,
        requests,
        badRequests,
        requestsByPath,
        digitToRequest: dr,
        responseToPrompt: rp,
      },
      () => process.exit(0),
    );
  }
});
