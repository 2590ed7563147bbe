// The far end of bench/media: N RTP endpoints in their own process. Each sends 20 ms PCMU packets to its Pivot
// session and measures the gaps between the packets it receives and the ones lost. Driven over stdin/stdout.
//   in:  {"cmd":"open","n":500}          out: {"ports":[...]}
//   in:  {"cmd":"start","targets":[...]}  (Pivot's session ports, same order)
//   in:  {"cmd":"stop"}                   out: {"gaps":{p50,p99,p999,max},"received","lost","sent"}

import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { DriftFreeScheduler } from '../src/media/scheduler.js';
import { ReceiveGaps } from './receive-gaps.js';

interface Leg {
  socket: Socket;
  port: number;
  target?: number;
  /** Its own packet: a send may still be reading it when the next leg's is written, so one buffer per leg. */
  packet: Buffer;
  seq: number;
  ts: number;
  lastArrival: number;
  lastSeq: number;
  received: number;
  lost: number;
  reordered: number;
}

const legs: Leg[] = [];
const gaps = new ReceiveGaps();
let sent = 0;
const scheduler = new DriftFreeScheduler();
let cpuAtStart = process.cpuUsage();
let startedAt = 0;

/** An RTP packet whose payload is a quiet tone, so recordings have something in them; headers are written per send. */
function tonePacket(): Buffer {
  const packet = Buffer.alloc(172, 0xff);
  for (let i = 12; i < 172; i++) packet[i] = (i & 8) === 0 ? 0xe0 : 0x60;
  return packet;
}

function record(leg: Leg, seq: number): void {
  const d = gaps.arrive(leg, seq, performance.now());
  if (d > 0) leg.lost += d;
  if (d < 0) leg.reordered++;
  leg.received++;
}

const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

createInterface({ input: process.stdin }).on('line', async (line) => {
  const msg = JSON.parse(line) as { cmd: string; n?: number; targets?: number[] };
  if (msg.cmd === 'open') {
    for (let i = 0; i < msg.n!; i++) {
      const socket = createSocket('udp4');
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
      const leg: Leg = {
        socket,
        port: socket.address().port,
        packet: tonePacket(),
        seq: 0,
        ts: 0,
        lastArrival: 0,
        lastSeq: 0,
        received: 0,
        lost: 0,
        reordered: 0,
      };
      // RTCP from Pivot goes to RTP port + 1, which may be another leg's socket here: skip it.
      socket.on('message', (m) => (m[1] >= 192 && m[1] <= 223 ? undefined : record(leg, m.readUInt16BE(2))));
      socket.on('error', () => undefined);
      legs.push(leg);
    }
    out({ ports: legs.map((l) => l.port) });
  } else if (msg.cmd === 'start') {
    msg.targets!.forEach((t, i) => (legs[i].target = t));
    // Measure from here: what arrived while Pivot was setting up is not the steady state.
    gaps.reset();
    for (const leg of legs) {
      leg.received = 0;
      leg.lost = 0;
      leg.reordered = 0;
      leg.lastArrival = 0;
    }
    scheduler.onTick = () => {
      for (const leg of legs) {
        const packet = leg.packet;
        packet[0] = 0x80;
        packet[1] = 0;
        packet.writeUInt16BE((leg.seq = (leg.seq + 1) & 0xffff), 2);
        packet.writeUInt32BE((leg.ts = (leg.ts + 160) >>> 0), 4);
        packet.writeUInt32BE(leg.port, 8);
        leg.socket.send(packet, leg.target!, '127.0.0.1');
        sent++;
      }
    };
    cpuAtStart = process.cpuUsage();
    startedAt = performance.now();
    scheduler.start(20);
  } else if (msg.cmd === 'stop') {
    scheduler.stop();
    const received = legs.reduce((a, l) => a + l.received, 0);
    const lost = legs.reduce((a, l) => a + l.lost, 0);
    const reordered = legs.reduce((a, l) => a + l.reordered, 0);
    const cpu = process.cpuUsage(cpuAtStart);
    out({
      reordered,
      cpuCores: (cpu.user + cpu.system) / 1e6 / ((performance.now() - startedAt) / 1000),
      gaps: gaps.summary(),
      received,
      lost,
      sent,
    });
    for (const l of legs) l.socket.close();
    process.exit(0);
  }
});
