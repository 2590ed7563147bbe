// Calls placed through the API over real SIP: Twilio's own Node library (`client.calls.create`) and the Kazoo-shaped
// `PUT /v2/accounts/{id}/pivot/calls` place a call to a SIPp UAS; once it answers, the Pivot URL runs with
// Direction=outbound-api, and the status callbacks arrive in order. Bad requests get Twilio- or Kazoo-shaped errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { e2eServer, sleep, type E2eServer } from '../helpers/e2e.js';
import { hashPassword } from '../../src/api/passwords.js';
import { eventually, kazoo, twilioValid, twiml, webApp, type WebApp } from '../helpers/pivot.js';
import { sipp } from '../helpers/sipp.js';

let e2e: E2eServer;
let app: WebApp;
let api: string;
const seen: { path: string; params: Record<string, unknown>; signed: boolean }[] = [];

before(async () => {
  // SIPp's media ports (38980, 38990 and +2 for video) stay outside Pivot's range: its workers bind spares there.
  e2e = await e2eServer({ min: 38900, max: 38979 });
  api = e2e.server.publicUrl;
  app = await webApp({
    '/voice': (p, req) => {
      seen.push({ path: '/voice', params: p, signed: twilioValid(e2e.signingKey, req) });
      return twiml('<Say>This call was placed by the API.</Say><Hangup/>');
    },
    '/status': (p, req) => {
      seen.push({ path: '/status', params: p, signed: twilioValid(e2e.signingKey, req) });
      return { status: 204, body: '' };
    },
    '/hold': (p) => {
      seen.push({ path: '/hold', params: p, signed: true });
      return twiml('<Say>Please hold.</Say><Pause length="25"/>');
    },
    '/redirected': (p, req) => {
      seen.push({ path: '/redirected', params: p, signed: twilioValid(e2e.signingKey, req) });
      return twiml('<Say>You were redirected.</Say><Hangup/>');
    },
    '/kazoo': (p) => {
      seen.push({ path: '/kazoo', params: p, signed: true });
      return kazoo({ module: 'tts', data: { text: 'Hello from a Kazoo callflow.' } });
    },
  });
});

after(async () => {
  await app?.close();
  await e2e?.stop();
});

/** Twilio's library, pointed at this server instead of api.twilio.com. */
function twilioClient(sid: string, token: string) {
  const real = new twilio.RequestClient();
  const local = new URL(api);
  return twilio(sid, token, {
    httpClient: {
      request(opts: Parameters<typeof real.request>[0]) {
        const u = new URL(opts.uri);
        u.protocol = local.protocol;
        u.host = local.host;
        return real.request({ ...opts, uri: u.toString() });
      },
    } as unknown as typeof real,
  });
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

test('Twilio library: calls.create rings a SIPp UAS, runs the Url when answered, and sends status callbacks', async () => {
  const uas = sipp({ scenario: 'uas', calls: 1, timeoutMs: 30_000, args: ['-mi', '127.0.0.1', '-mp', '38980'] });
  const port = await uas.port;
  await sleep(300);
  const client = twilioClient(`AC${e2e.accountId}`, e2e.signingKey);
  const call = await client.calls.create({
    to: `sip:callee@127.0.0.1:${port}`,
    from: '+14155550177',
    url: app.url('/voice'),
    statusCallback: app.url('/status'),
    statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
  });
  assert.match(call.sid, /.+/);
  assert.equal(call.status, 'queued');
  assert.equal(call.direction, 'outbound-api');
  const run = await uas.done;
  assert.equal(run.code, 0, run.output + run.errors);

  await eventually(() => seen.filter((s) => s.path === '/status').length === 4, 'four status callbacks', 10_000);
  const voice = seen.find((s) => s.path === '/voice')!;
  assert.ok(voice.signed, 'the Pivot request is signed with the account key');
  assert.equal(voice.params.Direction, 'outbound-api');
  assert.equal(voice.params.CallSid, call.sid);
  assert.equal(voice.params.From, '+14155550177');
  assert.equal(voice.params.To, 'callee');
  assert.equal(voice.params.CallStatus, 'in-progress');
  const statuses = seen.filter((s) => s.path === '/status');
  assert.deepEqual(
    statuses.map((s) => s.params.CallStatus),
    ['initiated', 'ringing', 'in-progress', 'completed'],
  );
  assert.ok(statuses.every((s) => s.signed));
  assert.deepEqual(
    statuses.map((s) => Number(s.params.SequenceNumber)),
    [0, 1, 2, 3],
  );

  await eventually(
    async () => (await e2e.server.store.cdrs.forCall(e2e.accountId, call.sid)).length === 1,
    'the CDR',
    5000,
  );
  const fetched = await client.calls(call.sid).fetch();
  assert.equal(fetched.status, 'completed');
  assert.equal(fetched.direction, 'outbound-api');
});

test('Twilio library: calls(sid).update({url}) redirects a live call to new TwiML at once', async () => {
  const uas = sipp({ scenario: 'uas', calls: 1, timeoutMs: 30_000, args: ['-mi', '127.0.0.1', '-mp', '38984'] });
  const port = await uas.port;
  await sleep(300);
  const client = twilioClient(`AC${e2e.accountId}`, e2e.signingKey);
  const started = Date.now();
  const call = await client.calls.create({
    to: `sip:held@127.0.0.1:${port}`,
    from: '+14155550177',
    url: app.url('/hold'),
  });
  await eventually(
    () => seen.some((s) => s.path === '/hold' && s.params.CallSid === call.sid),
    'the hold TwiML',
    10_000,
  );
  const updated = await client.calls(call.sid).update({ url: app.url('/redirected'), method: 'POST' });
  assert.equal(updated.sid, call.sid);
  const run = await uas.done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.ok(Date.now() - started < 20_000, 'the 25 s pause was cut short');
  const redirected = seen.find((s) => s.path === '/redirected');
  assert.ok(redirected, 'the new Url was requested');
  assert.equal(redirected.params.CallSid, call.sid);
  assert.ok(redirected.signed);
  const gone = await fetch(`${api}/2010-04-01/Accounts/${e2e.accountId}/Calls/${call.sid}.json`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(e2e.accountId, e2e.signingKey),
    },
    body: new URLSearchParams({ Url: app.url('/redirected') }).toString(),
  });
  assert.equal(gone.status, 404, 'an ended call cannot be redirected');
});

test('Kazoo shape: PUT /v2/accounts/{id}/pivot/calls runs a Kazoo-format Pivot URL on answer', async () => {
  const uas = sipp({ scenario: 'uas', calls: 1, timeoutMs: 30_000, args: ['-mi', '127.0.0.1', '-mp', '38990'] });
  const port = await uas.port;
  await sleep(300);
  // With a REST API token this time (the Twilio shape above uses HTTP Basic).
  const login = await fetch(`${api}/v2/user_auth`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      data: { username: 'admin', password: e2e.server.boot.createdAdmin!.password, account_name: 'admin' },
    }),
  });
  const token = ((await login.json()) as { auth_token: string }).auth_token;
  const res = await fetch(`${api}/v2/accounts/${e2e.accountId}/pivot/calls`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-auth-token': token },
    body: JSON.stringify({
      data: { to: `sip:kazoo@127.0.0.1:${port}`, from: '+14155550178', voice_url: app.url('/kazoo') },
    }),
  });
  assert.equal(res.status, 201);
  const body = (await res.json()) as { status: string; data: { call_id: string; status: string } };
  assert.equal(body.status, 'success');
  assert.equal(body.data.status, 'queued');
  const run = await uas.done;
  assert.equal(run.code, 0, run.output + run.errors);
  const request = seen.find((s) => s.path === '/kazoo');
  assert.ok(request, 'the Kazoo-format URL was requested');
  assert.equal(request.params['Call-ID'], body.data.call_id);
  assert.equal(request.params.Direction, 'outbound-api');
});

test('bad requests get clear Twilio- and Kazoo-shaped errors', async () => {
  const post = (fields: Record<string, string>, auth = basic(e2e.accountId, e2e.signingKey)) =>
    fetch(`${api}/2010-04-01/Accounts/${e2e.accountId}/Calls.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth },
      body: new URLSearchParams(fields).toString(),
    });
  const noTo = await post({ From: '+14155550100', Url: app.url('/voice') });
  assert.equal(noTo.status, 400);
  assert.equal(((await noTo.json()) as { code: number }).code, 21201);

  const wrongKey = await post({ To: '+14155550100', From: '+1415', Url: app.url('/voice') }, basic(e2e.accountId, 'x'));
  assert.equal(wrongKey.status, 401);
  assert.match(wrongKey.headers.get('www-authenticate') ?? '', /Basic/);
  assert.equal(((await wrongKey.json()) as { code: number }).code, 20003);

  const denied = await post({ To: 'sip:x@127.0.0.1:9', From: '+14155550100', Url: 'http://169.254.169.254/latest' });
  assert.equal(denied.status, 400);
  const deniedBody = (await denied.json()) as { code: number; message: string };
  assert.equal(deniedBody.code, 21205);
  assert.match(deniedBody.message, /169\.254/);

  const badTo = await post({ To: 'not a number', From: '+14155550100', Url: app.url('/voice') });
  assert.equal(badTo.status, 400);
  assert.equal(((await badTo.json()) as { code: number }).code, 21211);

  const notRegistered = await e2e.server.store.devices.create(e2e.accountId, {
    name: 'desk',
    sip: { username: 'desk', password: 'desk-secret' },
  });
  assert.ok(notRegistered.id);
  const offline = await post({ To: 'client:desk', From: '+14155550100', Url: app.url('/voice') });
  assert.equal(offline.status, 400);
  assert.match(((await offline.json()) as { message: string }).message, /not registered/);

  // A sibling account's credentials cannot place calls for this one.
  const other = await e2e.server.store.accounts.create({ name: 'other', realm: 'other.pivot.test' });
  const sibling = await post(
    { To: '+14155550100', From: '+14155550100', Url: app.url('/voice') },
    basic(other.id, other.signing_key),
  );
  assert.equal(sibling.status, 403);

  const kazooRes = await fetch(`${api}/v2/accounts/${e2e.accountId}/pivot/calls`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: basic(e2e.accountId, e2e.signingKey) },
    body: JSON.stringify({ data: { from: '+14155550100', method: 'delete' } }),
  });
  assert.equal(kazooRes.status, 400);
  const kazooBody = (await kazooRes.json()) as { status: string; error: string; data: Record<string, unknown> };
  assert.equal(kazooBody.status, 'error');
  assert.equal(kazooBody.error, '400');
  assert.deepEqual(Object.keys(kazooBody.data).sort(), ['method', 'to', 'voice_url']);

  // Tokens: an unknown one is a 401; a sibling account's admin token is a 403.
  const callWith = (token: string) =>
    fetch(`${api}/v2/accounts/${e2e.accountId}/pivot/calls`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify({ data: { to: '+14155550100', from: '+14155550100', voice_url: app.url('/kazoo') } }),
    });
  assert.equal((await callWith('no-such-token')).status, 401);
  await e2e.server.store.users.create(other.id, {
    username: 'boss',
    priv_level: 'admin',
    password_hash: await hashPassword(other.id, 'boss', 'other-secret'),
  });
  const otherLogin = await fetch(`${api}/v2/user_auth`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: { username: 'boss', password: 'other-secret', account_name: 'other' } }),
  });
  const otherToken = ((await otherLogin.json()) as { auth_token: string }).auth_token;
  const siblingToken = await callWith(otherToken);
  assert.equal(siblingToken.status, 403);
  assert.equal(((await siblingToken.json()) as { status: string }).status, 'error');
});
