// The far end of bench/pivot-cps, in its own process so it does not share Pivot's event loop: the developer's web
// server (node:http, keep-alive) answering every call with `<Say>` of one prompt then `<Hangup/>`, and the RTP
// sink every call's SDP points at. Driven over stdin/stdout (JSON lines); times are nowMs() (monotonic, shared
// by every process).
//   out: {"http":<port>,"rtp":<port>}                 once listening
//   in:  {"cmd":"map","port":<pivot RTP port>,"callId":"…"}   a call started (packets from that port are its own)
//   in:  {"cmd":"reset"}                               forget what was recorded (after the warm-up)
//   in:  {"cmd":"stop"}   out: {"calls":[[callId, requestAt, respondedAt, promptAt], …], "cpuCores", …}

import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { arg, nowMs } from './pivot-bench-util.js';

const text = arg('text', 'Hello.');
const body = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${text}</Say><Hangup/></Response>`;

interface CallTimes {
  requestAt: number;
  respondedAt: number;
  promptAt: number;
}

const calls = new Map<string, CallTimes>();
/** Pivot RTP port → the call using it now. */
const byPort = new Map<number, CallTimes>();
let requests = 0;
let packets = 0;
let badRequests = 0;

function times(callId: string): CallTimes {
  let t = calls.get(callId);
  if (!t) calls.set(callId, (t = { requestAt: 0, respondedAt: 0, promptAt: 0 }));
  return t;
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
  const requestAt = nowMs();
  requests++;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const callId = new URLSearchParams(Buffer.concat(chunks).toString()).get('CallSid');
    if (!callId) {
      badRequests++;
      res.writeHead(400).end();
      return;
    }
    const t = times(callId);
    t.requestAt = requestAt;
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) });
    // The callback runs once the response is handed to the kernel: (b) starts there.
    res.end(body, () => (t.respondedAt = nowMs()));
  });
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));

/** An even RTP port with the RTCP port above it also bound (Pivot's reports go there), bounded attempts. */
async function bindPair(): Promise<{ rtp: Socket; rtcp: Socket }> {
  const bind = (p: number): Promise<Socket | undefined> =>
    new Promise((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind(p, '127.0.0.1', () => {
        s.removeAllListeners('error');
        s.on('error', () => undefined);
        resolve(s);
      });
    });
  for (let i = 0; i < 200; i++) {
    const p = 45000 + 2 * Math.floor(Math.random() * 2400);
    const rtp = await bind(p);
    if (!rtp) continue;
    const rtcp = await bind(p + 1);
    if (rtcp) return { rtp, rtcp };
    rtp.close();
  }
  throw new Error('no free RTP port pair in 45000-49799');
}

const { rtp, rtcp } = await bindPair();
rtcp.on('message', () => undefined);
rtp.on('message', (m, rinfo) => {
  packets++;
  const t = byPort.get(rinfo.port);
  if (!t || t.promptAt || m.length < 12 || (m[1] & 0x7f) !== 0) return;
  // µ-law silence is 0xFF (or 0x7F): Pivot sends it from the INVITE on; the first other byte is the prompt.
  const start = 12 + (m[0] & 0x0f) * 4;
  for (let i = start; i < m.length; i++) {
    if (m[i] !== 0xff && m[i] !== 0x7f) {
      t.promptAt = nowMs();
      return;
    }
  }
});

/** One JSON line; `then` runs once it is written (a large line to a pipe is written in several steps). */
const out = (o: unknown, then?: () => void): void => void process.stdout.write(`${JSON.stringify(o)}\n`, then);
let cpuAtStart = process.cpuUsage();
let startedAt = nowMs();
out({ http: (server.address() as { port: number }).port, rtp: rtp.address().port });

createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { cmd: string; port?: number; callId?: string };
  if (msg.cmd === 'map') {
    byPort.set(msg.port!, times(msg.callId!));
  } else if (msg.cmd === 'reset') {
    calls.clear();
    byPort.clear();
    requests = packets = badRequests = 0;
    cpuAtStart = process.cpuUsage();
    startedAt = nowMs();
  } else if (msg.cmd === 'stop') {
    const cpu = process.cpuUsage(cpuAtStart);
    server.closeAllConnections();
    server.close();
    rtp.close();
    rtcp.close();
    out(
      {
        calls: [...calls].map(([id, t]) => [id, t.requestAt, t.respondedAt, t.promptAt]),
        requests,
        badRequests,
        packets,
        cpuCores: (cpu.user + cpu.system) / 1e6 / ((nowMs() - startedAt) / 1000),
      },
      () => process.exit(0),
    );
  }
});
