// A prompt starts with the 200 OK when the caller's offer is known: Pivot does not wait for the ACK before the
// first packet of a <Say> (a caller slow to ACK still hears it from the start), and the call still ends cleanly.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { e2eServer, type E2eServer } from '../helpers/e2e.js';
import { webApp, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp } from '../helpers/sipp.js';

let pivot: E2eServer;
let app: WebApp;
let sink: Socket;
/** When the first RTP packet that is not µ-law silence reached the caller's RTP port. */
let firstSound: number | undefined;

before(async () => {
  pivot = await e2eServer({ min: 39000, max: 39099 });
  app = await webApp({
    '/voice': () => ({ body: '<Response><Say>Hello from Pivot.</Say><Hangup/></Response>' }),
  });
  await pivot.number('+14155550190', {
    module: 'pivot',
    data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml' },
  });
  sink = createSocket('udp4');
  sink.on('message', (msg) => {
    if (firstSound === undefined && msg.length > 12 && msg.subarray(12).some((b) => b !== 0xff)) {
      firstSound = performance.now();
    }
  });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
});

after(async () => {
  sink.close();
  await app.close();
  await pivot.stop();
});

test('a Say is heard before a slow caller has sent its ACK', async () => {
  let confirmed: number | undefined;
  pivot.server.calls.events.once('call', (call) => {
    (call.sip as { once(e: string, f: () => void): void }).once('confirmed', () => (confirmed = performance.now()));
  });
  const run = sipp({
    scenario: join(SCENARIOS, 'uac-late-ack.xml'),
    target: pivot.target,
    args: ['-s', '+14155550190', '-key', 'sink_port', String(sink.address().port)],
    timeoutMs: 20_000,
  });
  const result = await run.done;
  assert.equal(result.successful, 1, `SIPp: ${result.errors || result.output.slice(-800)}`);
  assert.ok(firstSound !== undefined, 'the caller heard the prompt');
  assert.ok(confirmed !== undefined, 'the ACK reached Pivot');
  assert.ok(firstSound < confirmed, 'the prompt started before the ACK arrived');
});
