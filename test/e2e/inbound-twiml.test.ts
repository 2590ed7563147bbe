// End to end through `pivot start`'s runtime: SIPp calls an assigned number; the callflow's pivot node asks a
// real TwiML web app (written with the twilio package, every request signature-checked) what to do; the caller
// hears a Say, presses 4 and 2 (RFC 2833 over real RTP), the Gather action gets Digits=42, and Pivot hangs up.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';
import { twilioValid, webApp, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp } from '../helpers/sipp.js';

let server: Awaited<ReturnType<typeof startServer>>;
let app: WebApp;
const actions: Record<string, unknown>[] = [];

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-e2e-'));
  server = await startServer({
    ...loadSettings({}, dataDir),
    dataDir,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: 33100, max: 33299 },
    bind: '127.0.0.1',
    logLevel: 'silent',
  });
  const account = server.boot.account;
  app = await webApp({
    '/voice': (params, req) => {
      if (!twilioValid(account.signing_key, req)) return { status: 403, body: 'bad signature' };
      const r = new twilio.twiml.VoiceResponse();
      r.say({ voice: 'alice', language: 'en-US' }, 'Welcome to Pivot.');
      r.gather({ numDigits: 2, timeout: 15, action: '/digits' });
      return { contentType: 'text/xml', body: r.toString() };
    },
    '/digits': (params, req) => {
      if (!twilioValid(account.signing_key, req)) return { status: 403, body: 'bad signature' };
      actions.push(params);
      const r = new twilio.twiml.VoiceResponse();
      r.say(`You pressed ${String(params.Digits)}. Goodbye.`);
      r.hangup();
      return { contentType: 'text/xml', body: r.toString() };
    },
  });
  await server.store.phoneNumbers.assign(account.id, '+14155550100');
  await server.store.callflows.create(account.id, {
    name: 'IVR',
    numbers: ['+14155550100'],
    flow: {
      module: 'pivot',
      data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml', debug: true },
      children: { _: { module: 'tts', data: { text: 'The application is unavailable.' } } },
    },
  });
});

after(async () => {
  await app.close();
  await server.stop(1000);
});

test('a SIPp caller reaches a TwiML app through the number, and its RFC 2833 digits reach the Gather action', async () => {
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-pcap-dtmf-wait-bye.xml'),
    target: `127.0.0.1:${server.calls.sipPorts.udp}`,
    calls: 1,
    args: ['-s', '4155550100', '-mi', '127.0.0.1', '-mp', '33500'],
    timeoutMs: 40_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.equal(actions.length, 1);
  assert.equal(actions[0].Digits, '42');
  assert.equal(actions[0].Direction, 'inbound');
  assert.equal(actions[0].To, '4155550100');
  const calls = await server.store.pivotDebug.listCalls(server.boot.account.id);
  assert.equal(calls.items.length, 1, 'the session left debug records');
  assert.equal(calls.items[0].iterations, 2);
});
