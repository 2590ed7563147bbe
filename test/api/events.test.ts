// Live events over real HTTP, WebSocket and SIP against a started Pivot: a SIPp call to account A's number, whose
// callflow asks a real TwiML web app, reaches the WebSocket of A (call.started, call.answered, call.ended and
// pivot.debug records with the Live Debug summary) and of A's parent, never a sibling's or a sub-account's; the same
// stream as Server-Sent Events; bad, revoked and expired tokens end the stream with a clear reason.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import WebSocket from 'ws';
import { liveEventLimits } from '../../src/api/events.js';
import { hashPassword } from '../../src/api/passwords.js';
import { digest } from '../../src/api/session.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { eventually, twiml, webApp, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp } from '../helpers/sipp.js';

// Ports of this file: Pivot's RTP 39800-39879, SIPp's media 39880-39899.
const NUMBER = '+14155550190';

// Checked often here, so revoked and expired tokens end streams within the test's patience.
liveEventLimits.recheckMs = 300;

let api: ApiServer;
let app: WebApp;
let admin: string;
const A = { id: '', token: '' };
const B = { id: '', token: '' };
const A1 = { id: '', token: '' };

/** A sub-account of `parentId` with an admin user; returns its id and a token. */
async function tenant(parentToken: string, parentId: string, name: string): Promise<{ id: string; token: string }> {
  const res = await api.call('PUT', `/v2/accounts/${parentId}`, { token: parentToken, data: { name } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const id = res.body.data.id as string;
  await api.server.store.users.create(id, {
    username: 'boss',
    priv_level: 'admin',
    password_hash: await hashPassword(id, 'boss', `${name}-secret`),
  });
  return { id, token: await api.login(name, 'boss', `${name}-secret`) };
}

interface Client {
  ws: WebSocket;
  messages: any[];
  events(): any[];
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  /** The first message (after those already taken) that `match` accepts. */
  next(match: (m: any) => boolean, timeoutMs?: number): Promise<any>;
}

async function client(): Promise<Client> {
  const ws = new WebSocket(`${api.base.replace(/^http/, 'ws')}/v2/websocket`);
  const messages: any[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let taken = 0;
  return {
    ws,
    messages,
    events: () => messages.filter((m) => m.action === 'event'),
    closed,
    send: (msg) => ws.send(JSON.stringify(msg)),
    async next(match, timeoutMs = 5000) {
      let found: any;
      await eventually(
        () => {
          const i = messages.findIndex((m, j) => j >= taken && match(m));
          if (i >= 0) [found, taken] = [messages[i], i + 1];
          return i >= 0;
        },
        'a WebSocket message',
        timeoutMs,
      );
      return found;
    },
  };
}

const replies = (m: any): boolean => m.action === 'reply';

/** A socket subscribed with `token` to `accountId` (`binding` default `*`). */
async function subscribed(token: string, accountId: string, binding = '*'): Promise<Client> {
  const c = await client();
  c.send({ action: 'subscribe', auth_token: token, request_id: 'r1', data: { account_id: accountId, binding } });
  const reply = await c.next(replies);
  assert.equal(reply.status, 'success', JSON.stringify(reply));
  assert.equal(reply.request_id, 'r1');
  assert.deepEqual(reply.data.subscribed, [{ account_id: accountId, binding }]);
  return c;
}

/** Server-Sent Events of an account, read as they come. */
async function sse(token: string, accountId: string, query = '') {
  const ctl = new AbortController();
  const res = await fetch(`${api.base}/v2/accounts/${accountId}/events${query}`, {
    headers: { 'X-Auth-Token': token },
    signal: ctl.signal,
  });
  const events: { event: string; data: any }[] = [];
  let ended = false;
  if (res.ok) {
    void (async () => {
      let buf = '';
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body!) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
      ended = true;
    })();
  }
  return { res, events, ended: () => ended, close: () => ctl.abort() };
}

before(async () => {
  api = await apiServer({ min: 39800, max: 39879 });
  admin = await api.login('admin', 'admin', api.adminPassword);
  Object.assign(A, await tenant(admin, api.masterId, 'events-a'));
  Object.assign(B, await tenant(admin, api.masterId, 'events-b'));
  Object.assign(A1, await tenant(A.token, A.id, 'events-a1'));
  app = await webApp({
    '/voice': () => twiml('<Say>Hello from the live events test.</Say><Hangup/>'),
  });
  await api.server.store.phoneNumbers.assign(A.id, NUMBER);
  await api.server.store.callflows.create(A.id, {
    name: 'live',
    numbers: [NUMBER],
    flow: { module: 'pivot', data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml', debug: true } },
  });
});

after(async () => {
  await app?.close();
  await api?.stop();
});

describe('a call', () => {
  test("reaches A's socket and its parent's, not a sibling's or a sub-account's; SSE streams it too", async () => {
    const sockets = {
      a: await subscribed(A.token, A.id),
      master: await subscribed(admin, api.masterId, 'call.*'),
      b: await subscribed(B.token, B.id),
      a1: await subscribed(A1.token, A1.id),
    };
    const stream = await sse(A.token, A.id, '?binding=call.*,pivot.debug');
    assert.equal(stream.res.status, 200);
    assert.match(String(stream.res.headers.get('content-type')), /^text\/event-stream/);
    await eventually(() => stream.events.some((e) => e.event === 'subscribed'), 'the SSE subscribed event');

    const run = await sipp({
      scenario: join(SCENARIOS, 'uac-wait-bye.xml'),
      target: `127.0.0.1:${api.server.calls.sipPorts.udp}`,
      args: ['-s', NUMBER.slice(2), '-mi', '127.0.0.1', '-mp', String(39880 + api.portShift)],
      timeoutMs: 30_000,
    }).done;
    assert.equal(run.code, 0, run.output + run.errors);

    const ended = (c: Client) => c.next((m) => m.action === 'event' && m.name === 'call.ended', 10_000);
    const end = await ended(sockets.a);
    await ended(sockets.master);
    await eventually(() => stream.events.some((e) => e.event === 'call.ended'), 'call.ended over SSE', 5000);

    const events = sockets.a.events();
    const names = events.map((e) => e.name);
    assert.equal(names[0], 'call.started', names.join(' '));
    assert.ok(names.indexOf('call.answered') > 0, names.join(' '));
    assert.equal(names.filter((n) => n === 'call.answered').length, 1);
    assert.ok(names.includes('pivot.debug'), names.join(' '));

    const started = events[0];
    const callId = started.data.call_id as string;
    assert.ok(callId);
    assert.equal(started.account_id, A.id);
    assert.equal(started.subscribed_key, '*');
    assert.deepEqual(
      {
        account_id: started.data.account_id,
        direction: started.data.direction,
        state: started.data.state,
        request: String(started.data.request).split('@')[0],
      },
      { account_id: A.id, direction: 'inbound', state: 'ringing', request: NUMBER.slice(2) },
    );
    assert.match(started.data.from, /^sipp@/);
    assert.match(started.data.to, new RegExp(`^${NUMBER.slice(2)}@`));
    assert.equal(end.data.call_id, callId);
    assert.equal(end.data.state, 'ended');
    assert.equal(end.data.hangup_cause, 'NORMAL_CLEARING');
    assert.ok(end.data.answered_at && end.data.ended_at, JSON.stringify(end.data));

    // Debug records as GET /pivot/debug/{call_id} answers them, each with the call's line of GET /pivot/debug.
    // The last ones (the execution record) may be written after call.ended: wait until every one was streamed.
    let debug = events.filter((e) => e.name === 'pivot.debug');
    let rest = await api.call('GET', `/v2/accounts/${A.id}/pivot/debug/${encodeURIComponent(callId)}`, {
      token: A.token,
    });
    await eventually(
      async () => {
        rest = await api.call('GET', `/v2/accounts/${A.id}/pivot/debug/${encodeURIComponent(callId)}`, {
          token: A.token,
        });
        debug = sockets.a.events().filter((e) => e.name === 'pivot.debug');
        const records = (rest.body.data ?? []) as { id: string }[];
        return records.length >= 2 && records.length === debug.length;
      },
      'every debug record of the call streamed',
      5000,
    );
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    for (const r of rest.body.data) {
      const live = debug.find((e) => e.data.id === r.id);
      assert.ok(live, `record ${r.kind} ${r.iteration} was streamed`);
      const { call: _call, ...record } = live.data;
      assert.deepEqual(record, r);
    }
    const request = debug.find((e) => e.data.kind === 'request')!;
    assert.equal(request.data.uri, app.url('/voice'));
    // Records are written concurrently: the newest line is the one with the latest record, not the last to arrive.
    const last = debug
      .map((e) => e.data.call)
      .reduce((a, b) => ((b.last_created ?? 0) >= (a.last_created ?? 0) ? b : a));
    const list = await api.call('GET', `/v2/accounts/${A.id}/pivot/debug`, { token: A.token });
    const summary = list.body.data.find((s: { call_id: string }) => s.call_id === callId);
    const picked = Object.fromEntries(Object.keys(summary).map((k) => [k, last[k]]));
    assert.deepEqual(picked, summary, 'the line GET /pivot/debug has');
    assert.equal(last.status_code, 200);
    assert.equal(last.direction, 'inbound');
    assert.match(last.from, /^sipp@/);

    // The parent sees its sub-account's calls (only the binding it asked for).
    const masterNames = sockets.master.events().map((e) => e.name);
    assert.deepEqual([...new Set(masterNames)].sort(), ['call.answered', 'call.ended', 'call.started']);
    assert.ok(sockets.master.events().every((e) => e.account_id === A.id && e.subscribed_key === 'call.*'));

    // SSE: the same events with the same JSON.
    const allNames = sockets.a.events().map((e) => e.name);
    const sseNamesNow = () => stream.events.map((e) => e.event).filter((n) => n !== 'subscribed');
    await eventually(() => sseNamesNow().length >= allNames.length, 'the SSE stream catching up', 5000);
    assert.deepEqual(sseNamesNow(), allNames);
    assert.deepEqual(stream.events.find((e) => e.event === 'call.started')!.data, {
      ...started,
      subscribed_key: 'call.*',
    });

    // Nothing for the sibling nor for the sub-account, even a while later.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sockets.b.events(), []);
    assert.deepEqual(sockets.a1.events(), []);

    stream.close();
    for (const c of Object.values(sockets)) c.ws.close();
  });
});

describe('tokens', () => {
  test('a bad token is answered with an error and the socket closed with the reason', async () => {
    const c = await client();
    c.send({ action: 'subscribe', auth_token: 'not-a-token', data: { account_id: A.id, binding: 'call.*' } });
    const reply = await c.next(replies);
    assert.deepEqual(
      { action: reply.action, status: reply.status, error: reply.error },
      { action: 'reply', status: 'error', error: '401' },
    );
    const closed = await c.closed;
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /token is unknown or was revoked/);
  });

  test('a first message without a token is refused', async () => {
    const c = await client();
    c.send({ action: 'subscribe', data: { binding: '*' } });
    const closed = await c.closed;
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /auth_token/);
  });

  test("another tenant's account, an unknown binding and bad JSON are errors; the socket stays open", async () => {
    const c = await client();
    c.send({ action: 'subscribe', auth_token: A.token, request_id: 'x', data: { account_id: B.id, binding: '*' } });
    const forbidden = await c.next(replies);
    assert.deepEqual([forbidden.status, forbidden.error, forbidden.request_id], ['error', '403', 'x']);
    c.send({ action: 'subscribe', auth_token: A1.token, data: { account_id: A.id } });
    assert.equal((await c.next(replies)).error, '403', 'a sub-account cannot watch its parent');
    c.send({ action: 'subscribe', auth_token: A.token, data: { account_id: A.id, binding: 'sms.*' } });
    const unknown = await c.next(replies);
    assert.equal(unknown.error, '400');
    assert.match(JSON.stringify(unknown.data), /unknown binding/);
    c.ws.send('{nope');
    assert.equal((await c.next(replies)).error, '400');
    c.send({ action: 'ping' });
    assert.deepEqual((await c.next(replies)).data, { response: 'pong' });
    c.send({ action: 'subscribe', data: { account_id: A1.id, binding: 'pivot.debug' } });
    assert.deepEqual((await c.next(replies)).data.subscribed, [{ account_id: A1.id, binding: 'pivot.debug' }]);
    c.ws.close();
  });

  test('a revoked token ends the WebSocket and the SSE stream at the periodic check', async () => {
    const token = await api.login('events-a', 'boss', 'events-a-secret');
    const c = await subscribed(token, A.id);
    const stream = await sse(token, A.id);
    assert.equal(stream.res.status, 200);
    assert.equal((await api.call('DELETE', '/v2/token_auth', { token })).status, 200);
    const closed = await Promise.race([
      c.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed by the check')), 3000)),
    ]);
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /revoked/);
    await eventually(() => stream.ended(), 'the SSE stream ending', 3000);
    const last = stream.events.at(-1)!;
    assert.equal(last.event, 'error');
    assert.equal(last.data.error, '401');
    assert.match(last.data.message, /revoked/);
  });

  test('revoking a token is noticed at the next message', async () => {
    const token = await api.login('events-a', 'boss', 'events-a-secret');
    liveEventLimits.recheckMs = 60_000;
    let c: Client;
    try {
      c = await subscribed(token, A.id);
    } finally {
      liveEventLimits.recheckMs = 300;
    }
    assert.equal((await api.call('DELETE', '/v2/token_auth', { token })).status, 200);
    c.send({ action: 'ping' });
    const reply = await c.next(replies);
    assert.equal(reply.error, '401');
    const closed = await c.closed;
    assert.equal(closed.code, 4401);
  });

  test('an expired token closes the stream', async () => {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await api.server.store.authTokens.add({
      id: digest(token),
      account_id: A.id,
      priv_level: 'admin',
      method: 'api_auth',
      created: now,
      expires: now + 1000,
    });
    const c = await subscribed(token, A.id);
    const closed = await c.closed;
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /expired/);
  });

  test('a plain GET of the WebSocket URL is a 426 in the error envelope; SSE needs a token and the tenant rule', async () => {
    const res = await api.call('GET', '/v2/websocket');
    assert.equal(res.status, 426);
    assert.equal(res.body.status, 'error');
    assert.equal((await api.call('GET', `/v2/accounts/${A.id}/events`)).status, 401);
    const other = await sse(A.token, B.id);
    assert.equal(other.res.status, 403);
    const badBinding = await sse(A.token, A.id, '?binding=nope');
    assert.equal(badBinding.res.status, 400);
  });
});
