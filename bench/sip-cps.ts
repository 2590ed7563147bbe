// SIP signalling benchmark: SIPp places calls at a fixed rate against Pivot's SIP stack, which answers each with
// 180, 200 OK and an SDP answer (no media), and receives the BYE. Prints one JSON line: calls/s sustained,
// failed calls, retransmissions and Pivot's CPU time per call.
//
//   node --import tsx bench/sip-cps.ts [--rate 500] [--calls 10000] [--transport u1|t1]

import { answerOffer } from '../src/sip/sdp.js';
import { SipStack } from '../src/sip/stack.js';
import { sipp } from '../test/helpers/sipp.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const rate = Number(arg('rate', '500'));
const calls = Number(arg('calls', '10000'));
const transport = arg('transport', 'u1') as 'u1' | 't1';
const media = {
  address: '127.0.0.1',
  port: 40000,
  codecs: ['PCMU', 'PCMA'] as ('PCMU' | 'PCMA')[],
  telephoneEvent: true,
};

const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, rateLimit: false });
let answered = 0;
stack.on('invite', (call) => {
  const answer = call.offer ? answerOffer(call.offer, media) : undefined;
  call.progress(180);
  void call.accept({ sdp: answer?.ok ? answer.answer : undefined }).then(
    () => answered++,
    () => undefined,
  );
});
const ports = await stack.start();
const target = `127.0.0.1:${transport === 't1' ? ports.tcp : ports.udp}`;

const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const run = await sipp({
  scenario: 'uac',
  target,
  calls,
  rate,
  transport,
  timeoutMs: Math.max(60_000, (calls / rate) * 3000),
  args: ['-s', 'bench', '-l', String(rate * 4)],
}).done;
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuBefore);
await stack.stop();

console.log(
  JSON.stringify({
    bench: 'sip-cps',
    transport: transport === 't1' ? 'tcp' : 'udp',
    target_rate: rate,
    calls,
    successful: run.successful,
    failed: run.failed,
    retransmissions: run.retransmissions,
    answered,
    elapsed_s: Math.round(elapsedS * 100) / 100,
    calls_per_s: Math.round((run.successful / elapsedS) * 10) / 10,
    cpu_ms_per_call: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, run.successful)) * 1000) / 1000,
    sipp_exit: run.code,
  }),
);
process.exit(run.failed === 0 && run.code === 0 ? 0 : 1);
