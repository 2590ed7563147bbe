// Leg nouns resolved into endpoints: Client, Kazoo User and Device (through the host), Sip URI headers and auth.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt, type ScriptedCall } from '../../../src/call/scripted.js';
import type { Endpoint } from '../../../src/call/types.js';
import { runTwiml } from '../../helpers/twiml.js';
import { requestOf } from './helpers.js';

const clients: Record<string, Endpoint[]> = {
  alice: [
    { type: 'device', deviceId: 'dev-alice-desk' },
    { type: 'device', deviceId: 'dev-alice-phone' },
  ],
  'user-42': [{ type: 'device', deviceId: 'dev-u42' }],
  'device-7': [{ type: 'device', deviceId: 'device-7' }],
};
const endpointsOf = (call: ScriptedCall) =>
  (call.entries('dial')[0].endpoints as Endpoint[]).map((e) => (e.type === 'device' ? e.deviceId : e.type));

test('Client identity (text or <Identity>) rings all of its endpoints', async () => {
  for (const noun of [
    '<Client>alice</Client>',
    '<Client><Identity>alice</Identity></Client>',
    '<Client>client:alice</Client>',
  ]) {
    const { call } = await runTwiml(
      `<Response><Dial>${noun}</Dial></Response>`,
      { script: { events: [hangupAt(3000)] } },
      { clients },
    );
    assert.deepEqual(endpointsOf(call), ['dev-alice-desk', 'dev-alice-phone'], noun);
  }
});

test('an unknown Client fails its leg only; with no leg left DialCallStatus is failed', async () => {
  const mixed = await runTwiml(
    '<Response><Dial><Client>nobody</Client><Number>+14155550001</Number></Dial></Response>',
    { script: { events: [hangupAt(3000)] } },
    { clients },
  );
  assert.deepEqual(endpointsOf(mixed.call), ['number']);
  assert.equal(mixed.host.warnings.length, 1);
  assert.match(mixed.host.warnings[0].message, /nobody/);

  const alone = await runTwiml(
    '<Response><Dial action="/a"><Client>nobody</Client></Dial></Response>',
    {},
    { clients },
  );
  const req = requestOf(alone.outcome);
  assert.equal(req.params?.DialCallStatus, 'failed');
  assert.equal(req.params?.DialBridged, 'false');
  assert.equal(alone.call.entries('dial').length, 0);
});

test('Kazoo User and Device nouns resolve through the host', async () => {
  const { call } = await runTwiml(
    '<Response><Dial><User>user-42</User><Device>device-7</Device></Dial></Response>',
    { script: { events: [hangupAt(3000)] } },
    { clients },
  );
  assert.deepEqual(endpointsOf(call), ['dev-u42', 'device-7']);
  const unknown = await runTwiml(
    '<Response><Dial action="/a"><Device>nope</Device></Dial></Response>',
    {},
    { clients },
  );
  assert.equal(requestOf(unknown.outcome).params?.DialCallStatus, 'failed');
});

test('Sip: URI query parameters become headers, username/password go with the endpoint', async () => {
  const { call, outcome } = await runTwiml(
    '<Response><Dial action="/a"><Sip username="bob" password="s3cret">' +
      'sip:bob@pbx.example.com;transport=tcp?X-Account=42&amp;X-Name=J%20Doe</Sip></Dial></Response>',
    { script: { events: [hangupAt(3000)] } },
  );
  const [ep] = call.entries('dial')[0].endpoints as Endpoint[];
  assert.deepEqual(ep, {
    type: 'sip',
    uri: 'sip:bob@pbx.example.com;transport=tcp',
    username: 'bob',
    password: 's3cret',
    headers: { 'X-Account': '42', 'X-Name': 'J Doe' },
    tag: '0',
  });
  assert.equal(requestOf(outcome).params?.DialSipResponseCode, '200');
});

test('Sip: <Headers><Header> children; a busy SIP target reports its response code', async () => {
  const { call, outcome } = await runTwiml(
    '<Response><Dial action="/a"><Sip>sips:carol@example.com<Headers><Header name="X-Ticket" value="T-9"/></Headers></Sip></Dial></Response>',
    { script: { endpoint: () => ({ rejectCode: 486 }) } },
  );
  const [ep] = call.entries('dial')[0].endpoints as Endpoint[];
  assert.deepEqual(ep.headers, { 'X-Ticket': 'T-9' });
  const params = requestOf(outcome).params!;
  assert.equal(params.DialCallStatus, 'busy');
  assert.equal(params.DialSipResponseCode, '486');
});
