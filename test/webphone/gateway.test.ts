// The browser softphone's gateway end to end over loopback: a real Pivot (`pivot start` on its own ports), a real
// webhook serving TwiML, and a werift RTCPeerConnection in the test as the browser (PCMU + telephone-event,
// loopback candidates, non-trickle). The prompt's audio arrives over SRTP, a digit sent as RFC 4733 reaches the
// webhook, DELETE hangs up and the CDR and debug records show the call; Pivot's BYE, the browser leaving, a refusal
// by Pivot's router, a browser that never connects and one that never sends audio each end the call with their
// reason; bad requests get errors that name the field.
//
// Ports of this file: Pivot's RTP 41000-41199; SIP, HTTP and the gateway's own sockets are ephemeral.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebphoneGateway } from '../../src/webphone/gateway.js';
import { webphoneUsername } from '../../src/api/webphone.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { eventually, twiml, webApp, type WebApp } from '../helpers/pivot.js';
import { plainUser, tenant, type Tenant } from '../helpers/tenants.js';
import { BrowserPeer, OPUS, within } from './peer.js';

let api: ApiServer;
let app: WebApp;
let A: Tenant;
let C: Tenant;
let alice: { id: string; token: string };
const peers: BrowserPeer[] = [];

const NO_CALLFLOW = '+14155550990';

before(async () => {
  api = await apiServer({ min: 41000, max: 41199 });
  const admin = await api.login('admin', 'admin', api.adminPassword);
  A = await tenant(api, admin, api.masterId, 'wp-a');
  C = await tenant(api, admin, api.masterId, 'wp-c');
  alice = await plainUser(api, A, 'alice');
  app = await webApp({
    '/voice': () => twiml('<Gather numDigits="1" action="/digits" timeout="20"><Say>Press a key</Say></Gather>'),
    '/digits': (p) => twiml(`<Say>You pressed ${String(p.Digits)}</Say><Pause length="30"/>`),
    '/bye': () => twiml('<Say>Goodbye</Say><Hangup/>'),
    '/wait': () => twiml('<Say>Hold on</Say><Pause length="30"/>'),
  });
  const pivot = (path: string) => ({
    module: 'pivot',
    data: { voice_url: app.url(path), method: 'post', req_format: 'twiml', debug: true },
  });
  await api.server.store.callflows.create(A.id, { name: 'gather', numbers: ['1000'], flow: pivot('/voice') });
  await api.server.store.callflows.create(A.id, { name: 'bye', numbers: ['1001'], flow: pivot('/bye') });
  await api.server.store.callflows.create(A.id, { name: 'wait', numbers: ['1002'], flow: pivot('/wait') });
  await api.server.store.phoneNumbers.assign(A.id, NO_CALLFLOW);
});

after(async () => {
  for (const p of peers) await p.close();
  await app?.close();
  await api?.stop();
});

const calls = (accountId: string): string => `/v2/accounts/${accountId}/webphone/calls`;

function peer(opts?: ConstructorParameters<typeof BrowserPeer>[0]): BrowserPeer {
  const p = new BrowserPeer(opts);
  peers.push(p);
  return p;
}

/** PUT the offer of a new peer, apply the answer, wait for the connection; the call's view. */
async function connectedCall(to: string, token = A.token): Promise<{ p: BrowserPeer; call: any }> {
  const p = peer();
  const res = await api.call('PUT', calls(A.id), { token, data: { to, sdp: await p.offer() } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await p.answer(res.body.data.sdp);
  await p.connected(5000);
  p.startMic();
  return { p, call: res.body.data };
}

/** Nothing reaches the browser any more (its connection is closed on the gateway's side). */
async function mediaStopped(p: BrowserPeer): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  const received = p.received;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(p.received, received, 'no audio after the end');
}

/** GET the call until `check` holds (bounded); its last view. */
async function callUntil(
  callId: string,
  check: (call: any) => boolean,
  what: string,
  token = A.token,
  timeoutMs = 10_000,
) {
  let last: any;
  await eventually(
    async () => {
      const res = await api.call('GET', `${calls(A.id)}/${encodeURIComponent(callId)}`, { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      last = res.body.data;
      return check(last);
    },
    what,
    timeoutMs,
  ).catch((e: Error) => assert.fail(`${e.message}; the call: ${JSON.stringify(last)}`));
  return last;
}

describe('a web phone call', { timeout: 60_000 }, () => {
  test('hears the prompt over SRTP, its RFC 4733 digit reaches the webhook, DELETE hangs up', async () => {
    const { p, call } = await connectedCall('1000');
    assert.equal(call.to, '1000');
    assert.equal(call.account_id, A.id);
    assert.match(call.sdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0 126\r?$/m, 'the answer: PCMU and telephone-event');
    assert.match(call.sdp, /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 /, 'a loopback candidate');
    assert.ok(!/opus/i.test(call.sdp));
    const callId = call.call_id as string;

    // Pivot runs the action with the gateway's Call-ID as its call id.
    const [voice] = await app.waitFor('/voice', 1, 10_000);
    assert.equal(voice.params.CallSid, callId);
    assert.match(String(voice.params.From), new RegExp(webphoneUsername({ userId: A.bossId, accountId: A.id })));

    // (1) The prompt arrives: packets, and not all of them silence.
    await eventually(() => p.audible >= 10 && p.received >= 25, 'the prompt over SRTP', 10_000).catch(() =>
      assert.fail(`prompt packets received ${p.received}, audible ${p.audible}`),
    );
    assert.deepEqual([...p.payloadTypes], [0], 'PCMU only reaches the browser');
    const live = await callUntil(callId, (c) => c.state === 'answered', 'answered');
    assert.ok(live.answered_at);
    assert.equal(live.dtmf, 'rfc4733');

    // (2) A key as the browser's RTCDTMFSender sends it.
    await p.sendDigit('5');
    const [digits] = await app.waitFor('/digits', 1, 5000);
    assert.equal(digits.params.Digits, '5');
    assert.equal(digits.params.CallSid, callId);

    const list = await api.call('GET', calls(A.id), { token: A.token });
    assert.equal(list.status, 200);
    const listed = list.body.data.find((c: any) => c.call_id === callId);
    assert.ok(listed, JSON.stringify(list.body.data));
    assert.ok(listed.packets.to_pivot > 10 && listed.packets.dtmf_events >= 3, JSON.stringify(listed.packets));
    assert.ok(listed.packets.to_browser >= 25, JSON.stringify(listed.packets));
    const channel = await api.call('GET', `/v2/accounts/${A.id}/channels/${encodeURIComponent(callId)}`, {
      token: A.token,
    });
    assert.equal(channel.status, 200, 'the same id in channels');

    // (3) DELETE hangs up; Pivot's side ends: its CDR and debug records show the call.
    const del = await api.call('DELETE', `${calls(A.id)}/${encodeURIComponent(callId)}`, { token: A.token });
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(del.body.data.state, 'ended');
    assert.equal(del.body.data.end.reason, 'hangup');
    let cdr: any;
    await eventually(
      async () => {
        const res = await api.call('GET', `/v2/accounts/${A.id}/cdrs/legs/${encodeURIComponent(callId)}`, {
          token: A.token,
        });
        cdr = res.body.data?.[0];
        return res.status === 200;
      },
      "Pivot's CDR",
      5000,
    );
    assert.equal(cdr.call_id, callId);
    assert.ok(cdr.answered_at && cdr.ended_at, JSON.stringify(cdr));
    assert.match(cdr.from, /^webphone_/);
    const debug = await api.call('GET', `/v2/accounts/${A.id}/pivot/debug/${encodeURIComponent(callId)}`, {
      token: A.token,
    });
    assert.equal(debug.status, 200);
    assert.ok(debug.body.data.length >= 2, 'debug records of /voice and /digits');
    const gone = await api.call('GET', `/v2/accounts/${A.id}/channels/${encodeURIComponent(callId)}`, {
      token: A.token,
    });
    assert.equal(gone.status, 404, 'no longer live in Pivot');
    assert.deepEqual((await api.call('GET', calls(A.id), { token: A.token })).body.data, []);
    await mediaStopped(p);

    // The device: made on first use, of type webphone, reused by the next call.
    const devices = await api.call('GET', `/v2/accounts/${A.id}/devices`, { token: A.token });
    const mine = devices.body.data.filter((d: any) => d.device_type === 'webphone');
    assert.equal(mine.length, 1, JSON.stringify(devices.body.data));
    assert.equal(mine[0].name, 'Web phone (boss)');
  });

  test("Pivot's hangup ends the call and the browser's audio; a user gets a device of their own", async () => {
    const { p, call } = await connectedCall('1001', alice.token);
    const ended = await callUntil(call.call_id, (c) => c.state === 'ended', 'the end', alice.token);
    assert.equal(ended.end.reason, 'remote-bye', JSON.stringify(ended));
    assert.ok(p.received > 0);
    await mediaStopped(p);
    const devices = (await api.call('GET', `/v2/accounts/${A.id}/devices`, { token: A.token })).body.data;
    const names = devices.filter((d: any) => d.device_type === 'webphone').map((d: any) => d.name);
    assert.deepEqual(names.sort(), ['Web phone (alice)', 'Web phone (boss)']);
    const own = devices.find((d: any) => d.name === 'Web phone (alice)');
    assert.equal(own.owner_id, alice.id);
  });

  test('the browser leaving (no more RTP for 10 s) ends the SIP leg', async () => {
    const { p, call } = await connectedCall('1002');
    // Answered, and the browser's audio has reached the gateway: it leaves a call it took part in.
    await callUntil(call.call_id, (c) => c.state === 'answered' && c.packets.from_browser > 0, 'answered, with audio');
    // Another user of the account does not see it; its admin does.
    assert.deepEqual((await api.call('GET', calls(A.id), { token: alice.token })).body.data, []);
    const other = await api.call('GET', `${calls(A.id)}/${encodeURIComponent(call.call_id)}`, { token: alice.token });
    assert.equal(other.status, 404);
    await p.close();
    const ended = await callUntil(call.call_id, (c) => c.state === 'ended', 'the end', A.token, 15_000);
    assert.equal(ended.end.reason, 'media-lost', JSON.stringify(ended));
    await eventually(
      async () =>
        (await api.call('GET', `/v2/accounts/${A.id}/channels/${encodeURIComponent(call.call_id)}`, { token: A.token }))
          .status === 404,
      "Pivot's leg to end",
      5000,
    );
  });

  test('a browser that connects but never sends audio is gone after 10 s without RTP', async () => {
    const p = peer();
    const res = await api.call('PUT', calls(A.id), { token: A.token, data: { to: '1002', sdp: await p.offer() } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await p.answer(res.body.data.sdp);
    await p.connected(5000);
    // No microphone: the connection is up, but not one RTP packet comes.
    const ended = await callUntil(res.body.data.call_id, (c) => c.state === 'ended', 'the end', A.token, 15_000);
    assert.equal(ended.packets.from_browser, 0);
    assert.deepEqual(
      [ended.end.reason, ended.end.message],
      ['media-lost', 'no audio from the browser for 10 s'],
      JSON.stringify(ended),
    );
  });

  test("a refusal by Pivot's router ends the call with its status and reason", async () => {
    // Routable as far as the API can tell (an assigned number), refused by Pivot: it has no callflow.
    const { call } = await connectedCall(NO_CALLFLOW);
    const ended = await callUntil(call.call_id, (c) => c.state === 'ended', 'the refusal');
    assert.equal(ended.end.reason, 'rejected');
    assert.equal(ended.end.sip_status, 404);
    assert.match(ended.end.message, /404 .*no callflow/, ended.end.message);
  });

  test('the POST dtmf fallback reaches the webhook as SIP INFO', async () => {
    const { call } = await connectedCall('1000');
    const before = app.to('/digits').length;
    await callUntil(call.call_id, (c) => c.state === 'answered', 'answered');
    const url = `${calls(A.id)}/${encodeURIComponent(call.call_id)}/dtmf`;
    const bad = await api.call('POST', url, { token: A.token, data: { digits: '5x' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.data.digits.pattern);
    const res = await api.call('POST', url, { token: A.token, data: { digits: '7' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const all = await app.waitFor('/digits', before + 1, 5000);
    assert.equal(all[before].params.Digits, '7');
    assert.equal((await api.call('DELETE', url.replace(/\/dtmf$/, ''), { token: A.token })).status, 200);
  });
});

describe('errors', { timeout: 30_000 }, () => {
  test('bad requests name the field; nothing is left running', async () => {
    const live = api.server.calls.webphone?.size;
    const sdp = await peer().offer();
    const put = (data: unknown, token = A.token, account = A.id) => api.call('PUT', calls(account), { token, data });

    const noSdp = await put({ to: '1000' });
    assert.equal(noSdp.status, 400);
    assert.ok(noSdp.body.data.sdp.required, JSON.stringify(noSdp.body));
    const noTo = await put({ sdp });
    assert.equal(noTo.status, 400);
    assert.ok(noTo.body.data.to.required);
    assert.ok((await put({ to: '10 00', sdp })).body.data.to.pattern);

    const garbage = await put({ to: '1000', sdp: 'hello' });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.data.sdp.sdp.message, /v=0/);

    const opus = await put({ to: '1000', sdp: await peer({ codecs: [OPUS()] }).offer() });
    assert.equal(opus.status, 400, JSON.stringify(opus.body));
    assert.match(opus.body.data.sdp.codec.message, /no PCMU.*offered: OPUS/, JSON.stringify(opus.body));

    const trickle = await put({ to: '1000', sdp: sdp.replace(/^a=(candidate|end-of-candidates).*\r?\n/gm, '') });
    assert.equal(trickle.status, 400);
    assert.match(trickle.body.data.sdp.ice.message, /gathering/);

    const plain = await put({ to: '1000', sdp: sdp.replace('UDP/TLS/RTP/SAVPF', 'RTP/AVP') });
    assert.equal(plain.status, 400);
    assert.ok(plain.body.data.sdp.media);

    const nowhere = await put({ to: '4999', sdp });
    assert.equal(nowhere.status, 404);
    assert.match(
      nowhere.body.data.to.not_found.message,
      /no extension, number or pattern of account wp-a matches 4999/,
    );

    assert.equal((await put({ to: '1000', sdp }, A.token, 'f'.repeat(32))).status, 403, 'unknown account');
    assert.equal((await put({ to: '1000', sdp }, C.token)).status, 403, "a sibling's token");

    const unknown = `${calls(A.id)}/nosuchcall`;
    assert.equal((await api.call('GET', unknown, { token: A.token })).status, 404);
    assert.equal((await api.call('DELETE', unknown, { token: A.token })).status, 404);
    assert.equal((await api.call('POST', `${unknown}/dtmf`, { token: A.token, data: { digits: '1' } })).status, 404);
    assert.equal(api.server.calls.webphone?.size, live);
  });

  test('a browser that never connects: the call ends with media-timeout and no INVITE', async () => {
    const device = await api.server.store.devices.findBySipUsername(
      A.id,
      webphoneUsername({ userId: A.bossId, accountId: A.id }),
    );
    assert.ok(device?.sip?.password);
    const gateway = new WebphoneGateway({
      pivot: { address: '127.0.0.1', port: api.server.calls.sipPorts.udp! },
      connectTimeoutMs: 300,
    });
    await gateway.start();
    try {
      const voiceBefore = app.to('/voice').length;
      const placed = await gateway.place({
        accountId: A.id,
        realm: (await api.server.store.accounts.get(A.id))!.realm,
        to: '1000',
        offer: await peer().offer(),
        device: { id: device.id, username: String(device.sip.username), password: String(device.sip.password) },
        placedBy: { accountId: A.id },
      });
      assert.equal(placed.call.state, 'connecting');
      await eventually(() => gateway.get(placed.call.call_id)?.state === 'ended', 'the connect timeout', 3000);
      assert.equal(gateway.get(placed.call.call_id)?.end?.reason, 'media-timeout');
      assert.equal(app.to('/voice').length, voiceBefore, 'Pivot never got the call');
    } finally {
      await within(gateway.stop(), 5000, 'the gateway to stop');
    }
  });

  test('503 when the gateway is not running', async () => {
    await api.server.calls.webphone!.stop();
    const res = await api.call('PUT', calls(A.id), { token: A.token, data: { to: '1000', sdp: await peer().offer() } });
    assert.equal(res.status, 503);
    assert.match(res.body.message!, /not running/);
    assert.equal((await api.call('GET', calls(A.id), { token: A.token })).status, 503);
  });
});
