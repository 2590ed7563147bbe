// Live calls through the REST API, over real SIP and RTP on loopback: a SIPp call into a sub-account's callflow
// (answer, record_call, a long sleep) shows in `channels` with its fields, is hung up with POST channels/{id}
// (SIPp sees the BYE), and leaves a recording that downloads and a CDR; a call through a `pivot` node to a real web
// app leaves debug records that `pivot/debug` lists and reads back. The tenant rule for live calls: a sibling's and
// a sub-account's tokens get 403, the call's id under another account's URL is 404.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CallflowNode } from '../../src/store/types.js';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { tenant as newTenant, plainUser } from '../helpers/tenants.js';
import { wavHeader } from '../helpers/e2e.js';
import { eventually, twilioValid, twiml, webApp, type AppResponse, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp, sippMediaPorts } from '../helpers/sipp.js';

// Ports of this file: Pivot's RTP 39700-39749, SIPp's media 39750-39799.
const nextSippMediaPort = sippMediaPorts(39754);

let api: ApiServer;
let admin: string;
let app: WebApp;
/** B and its sibling C under the master account; B1 below B. */
let B: { id: string; token: string };
let C: { id: string; token: string };
let B1: { id: string; token: string };
let userB: string;
/** What the web app's /replay answers now. */
let replayAnswer = (): AppResponse => twiml('<Say>replayed</Say>');

/** A sub-account of `parentId` with an admin user `boss` logged in. */
const tenant = (parentToken: string, parentId: string, name: string) => newTenant(api, parentToken, parentId, name);

before(async () => {
  api = await apiServer({ min: 39700, max: 39749 });
  admin = await api.login('admin', 'admin', api.adminPassword);
  B = await tenant(admin, api.masterId, 'live-b');
  C = await tenant(admin, api.masterId, 'live-c');
  B1 = await tenant(B.token, B.id, 'live-b1');
  userB = (await plainUser(api, { id: B.id, name: 'live-b' }, 'clerk')).token;
  app = await webApp({
    '/voice': () => twiml('<Say>Hello from the debug test.</Say><Hangup/>'),
    '/hold': () => twiml('<Say>Please hold.</Say><Pause length="25"/><Say>Still here.</Say>'),
    '/transferred': () => twiml('<Say>You were transferred.</Say><Hangup/>'),
    '/replay': () => replayAnswer(),
  });
});

after(async () => {
  await app?.close();
  await api.stop();
});

const target = (): string => `127.0.0.1:${api.server.calls.sipPorts.udp}`;

async function number(accountId: string, e164: string, flow: CallflowNode): Promise<void> {
  await api.server.store.phoneNumbers.assign(accountId, e164);
  await api.server.store.callflows.create(accountId, { name: e164, numbers: [e164], flow });
}

/** A SIPp caller that waits (up to 30 s) for Pivot's BYE. */
function caller(e164: string) {
  const started = Date.now();
  const run = sipp({
    scenario: join(SCENARIOS, 'uac-wait-bye.xml'),
    target: target(),
    args: ['-s', e164.slice(2), '-mi', '127.0.0.1', '-mp', String(Number(nextSippMediaPort()) + api.portShift)],
    timeoutMs: 40_000,
  });
  return { started, done: run.done, kill: run.kill };
}

describe('channels', () => {
  test('a live call is listed and read; POST hangup ends it (SIPp gets the BYE); its recording and CDR remain', async () => {
    await number(B.id, '+14155550761', {
      module: 'answer',
      children: {
        _: {
          module: 'record_call',
          data: { action: 'start', format: 'wav' },
          children: { _: { module: 'sleep', data: { duration: 25 } } },
        },
      },
    });
    const call = caller('+14155550761');
    try {
      let channels: any[] = [];
      await eventually(
        async () => {
          const res = await api.call('GET', `/v2/accounts/${B.id}/channels`, { token: B.token });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          channels = res.body.data;
          return channels.length === 1 && channels[0].answered === true;
        },
        'the call in channels',
        10_000,
      );
      const ch = channels[0];
      assert.equal(ch.account_id, B.id);
      assert.equal(ch.direction, 'inbound');
      assert.equal(ch.call_direction, 'inbound');
      assert.equal(ch.state, 'answered');
      assert.equal(ch.destination, '4155550761');
      assert.match(ch.from, /^sipp@/);
      assert.match(ch.to, /^4155550761@/);
      assert.ok(Date.parse(ch.answered_at) >= call.started - 1000);
      assert.ok(typeof ch.duration_seconds === 'number');
      assert.deepEqual(ch.bridged_with, []);
      const callId = ch.call_id as string;
      const url = `/v2/accounts/${B.id}/channels/${encodeURIComponent(callId)}`;

      const one = await api.call('GET', url, { token: userB });
      assert.equal(one.status, 200);
      assert.equal(one.body.data.uuid, callId);

      // Nobody else reaches it: other accounts' URLs 403, the id under another account's URL 404.
      assert.equal((await api.call('GET', `/v2/accounts/${B.id}/channels`, { token: C.token })).status, 403);
      assert.equal((await api.call('GET', url, { token: C.token })).status, 403);
      assert.equal((await api.call('POST', url, { token: C.token, data: { action: 'hangup' } })).status, 403);
      assert.equal((await api.call('PUT', url, { token: C.token, data: { action: 'hangup' } })).status, 403);
      assert.equal((await api.call('GET', url, { token: B1.token })).status, 403);
      assert.equal((await api.call('POST', url, { token: B1.token, data: { action: 'hangup' } })).status, 403);
      const elsewhere = `/v2/accounts/${C.id}/channels/${encodeURIComponent(callId)}`;
      assert.equal((await api.call('GET', elsewhere, { token: admin })).status, 404);
      assert.equal((await api.call('POST', elsewhere, { token: admin, data: { action: 'hangup' } })).status, 404);
      assert.deepEqual((await api.call('GET', `/v2/accounts/${C.id}/channels`, { token: C.token })).body.data, []);
      assert.deepEqual(
        (await api.call('GET', `/v2/accounts/${api.masterId}/channels`, { token: admin })).body.data,
        [],
        "the parent's own list has only its own calls",
      );
      assert.equal((await api.call('GET', `/v2/accounts/${B.id}/channels`, { token: admin })).body.data.length, 1);

      // Validation, a user token, and transfer (not there yet).
      assert.equal((await api.call('POST', url, { token: B.token, data: {} })).status, 400);
      const bogus = await api.call('POST', url, { token: B.token, data: { action: 'park' } });
      assert.equal(bogus.status, 400);
      assert.ok(bogus.body.data.action.enum);
      const noTarget = await api.call('POST', url, { token: B.token, data: { action: 'transfer' } });
      assert.equal(noTarget.status, 400);
      assert.ok(noTarget.body.data.target.required);
      const nowhere = await api.call('POST', url, { token: B.token, data: { action: 'transfer', target: '2999' } });
      assert.equal(nowhere.status, 404, 'no callflow of the account has that extension');
      assert.ok(nowhere.body.data.target.not_found);
      assert.equal((await api.call('POST', url, { token: userB, data: { action: 'hangup' } })).status, 403);
      assert.equal((await api.call('GET', url, { token: B.token })).status, 200, 'still up');

      // Long enough for a recording worth the name.
      await new Promise((r) => setTimeout(r, Math.max(0, call.started + 3000 - Date.now())));
      // PUT (the verb) does what POST (KAZOO's) does.
      const hangup = await api.call('PUT', url, { token: B.token, data: { action: 'hangup' } });
      assert.equal(hangup.status, 200, JSON.stringify(hangup.body));
      assert.equal(hangup.body.data.state, 'ended');
      const run = await call.done;
      assert.equal(run.code, 0, run.output + run.errors);
      assert.ok(Date.now() - call.started < 20_000, 'ended by the API, not by the 25 s sleep');
      assert.equal((await api.call('GET', url, { token: B.token })).status, 404);
      assert.equal((await api.call('POST', url, { token: B.token, data: { action: 'hangup' } })).status, 404);
      assert.deepEqual((await api.call('GET', `/v2/accounts/${B.id}/channels`, { token: B.token })).body.data, []);

      // The call's recording (record_call) is listed and downloads as a WAV as long as the call was up.
      let recs: any[] = [];
      await eventually(
        async () => {
          const res = await api.call('GET', `/v2/accounts/${B.id}/recordings?call_id=${encodeURIComponent(callId)}`, {
            token: B.token,
          });
          recs = res.body.data;
          return recs.length === 1;
        },
        'the recording row',
        10_000,
      );
      assert.equal(recs[0].content_type, 'audio/wav');
      const audio = await fetch(`${api.base}/v2/accounts/${B.id}/recordings/${recs[0].id}/raw`, {
        headers: { 'X-Auth-Token': B.token },
      });
      assert.equal(audio.status, 200);
      assert.equal(audio.headers.get('content-type'), 'audio/wav');
      const wav = wavHeader(Buffer.from(await audio.arrayBuffer()));
      assert.ok(wav.seconds > 1.5, `recording length ${wav.seconds} s`);
      assert.ok(Math.abs(wav.seconds * 1000 - recs[0].duration_ms) < 100);
      const viaAccept = await fetch(`${api.base}/v2/accounts/${B.id}/recordings/${recs[0].id}`, {
        headers: { 'X-Auth-Token': B.token, Accept: 'audio/wav' },
      });
      assert.equal(viaAccept.headers.get('content-type'), 'audio/wav');
      await viaAccept.arrayBuffer();

      // Its CDR.
      let cdr: any;
      await eventually(
        async () => {
          const res = await api.call('GET', `/v2/accounts/${B.id}/cdrs/${encodeURIComponent(callId)}`, {
            token: B.token,
          });
          cdr = res.body.data;
          return res.status === 200;
        },
        'the CDR',
        10_000,
      );
      assert.equal(cdr.call_id, callId);
      assert.equal(cdr.hangup_cause, 'NORMAL_CLEARING');
      assert.deepEqual(cdr.recording_ids, [recs[0].id], 'the CDR names the recording saved at hangup');
      const legs = await api.call('GET', `/v2/accounts/${B.id}/cdrs/legs/${encodeURIComponent(callId)}`, {
        token: B.token,
      });
      assert.deepEqual(
        legs.body.data.map((c: any) => c.call_id),
        [callId],
      );
      const listed = await api.call('GET', `/v2/accounts/${B.id}/cdrs?filter_call_id=${encodeURIComponent(callId)}`, {
        token: B.token,
      });
      assert.equal(listed.body.data.length, 1);
      assert.equal(
        (await api.call('GET', `/v2/accounts/${C.id}/cdrs/${encodeURIComponent(callId)}`, { token: C.token })).status,
        404,
      );
    } finally {
      call.kill();
    }
  });
});

describe('transfer', () => {
  test('a caller in a pivot flow is transferred to an extension: its flow runs at once and ends the call', async () => {
    await number(B.id, '+14155550762', {
      module: 'pivot',
      data: { voice_url: app.url('/hold'), method: 'post', req_format: 'twiml' },
    });
    await api.server.store.callflows.create(B.id, {
      name: 'sales',
      numbers: ['2000'],
      flow: { module: 'pivot', data: { voice_url: app.url('/transferred'), method: 'post', req_format: 'twiml' } },
    });
    const call = caller('+14155550762');
    try {
      const [hold] = await app.waitFor('/hold', 1, 10_000);
      const callId = String(hold.params.CallSid);
      const url = `/v2/accounts/${B.id}/channels/${encodeURIComponent(callId)}`;
      await eventually(
        async () => (await api.call('GET', url, { token: B.token })).body.data?.answered === true,
        'the call answered',
        10_000,
      );
      // Another account cannot move it, nor can a user token.
      const denied = await api.call('PUT', url, { token: C.token, data: { action: 'transfer', target: '2000' } });
      assert.equal(denied.status, 403);
      const res = await api.call('PUT', url, { token: B.token, data: { action: 'transfer', target: '2000' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.transferred_to.target, '2000');
      const [moved] = await app.waitFor('/transferred', 1, 10_000);
      assert.equal(moved.params.CallSid, callId, 'the same call asks the new flow');
      const run = await call.done;
      assert.equal(run.code, 0, run.output + run.errors);
      assert.ok(Date.now() - call.started < 20_000, 'the 25 s pause was cut short: the new flow hung up');
      assert.equal(app.to('/hold').length, 1);
      await eventually(
        async () => {
          const res = await api.call('GET', `/v2/accounts/${B.id}/cdrs/${encodeURIComponent(callId)}`, {
            token: B.token,
          });
          return res.status === 200;
        },
        'the CDR',
        10_000,
      );
      const after = await api.call('PUT', url, { token: B.token, data: { action: 'transfer', target: '2000' } });
      assert.equal(after.status, 404, 'an ended call is no longer a channel');
    } finally {
      call.kill();
    }
  });
});

describe('pivot debug', () => {
  test('a call through a pivot node to a real web app: its records are listed and read back', async () => {
    await number(api.masterId, '+14155550771', {
      module: 'pivot',
      data: { voice_url: app.url('/voice'), method: 'post', req_format: 'twiml', debug: true },
    });
    const call = caller('+14155550771');
    const run = await call.done;
    assert.equal(run.code, 0, run.output + run.errors);
    const [request] = await app.waitFor('/voice', 1, 5000);
    const callId = String(request.params.CallSid);
    assert.ok(callId);

    let summary: any;
    await eventually(
      async () => {
        const res = await api.call('GET', `/v2/accounts/${api.masterId}/pivot/debug`, { token: admin });
        summary = res.body.data.find((s: any) => s.call_id === callId);
        return !!summary;
      },
      'the debug summary',
      5000,
    );
    assert.equal(summary.uri, app.url('/voice'));
    assert.equal(summary.status_code, 200);
    assert.equal(summary.iteration, 1);
    assert.equal(summary.has_errors, false);
    assert.equal(summary.has_schema_errors, false);
    assert.equal(summary.has_json_errors, false);
    assert.ok(summary.duration_ms >= 0);
    // Who called whom, the action, the last status and the result.
    assert.equal(summary.from_number, 'sipp');
    assert.equal(summary.to_number, '4155550771');
    assert.equal(summary.callflow_name, '+14155550771');
    assert.ok(summary.callflow_id);
    assert.equal(summary.last_status_code, 200);
    assert.equal(summary.result, 'ok');
    assert.equal(summary.has_warnings, false);
    assert.ok(summary.last_created >= summary.created);
    const list = (query: string) =>
      api.call('GET', `/v2/accounts/${api.masterId}/pivot/debug?${query}`, { token: admin }).then((r) => {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return (r.body.data as any[]).map((c) => c.call_id);
      });
    assert.deepEqual(await list('filter_number=415-555-0771'), [callId], 'the number dialled, digits only');
    assert.deepEqual(await list('filter_number=sipp'), [callId], 'the caller');
    assert.deepEqual(await list('filter_number=999'), []);
    assert.deepEqual(await list(`filter_callflow_id=${summary.callflow_id}`), [callId]);
    assert.deepEqual(await list('filter_result=ok'), [callId]);
    assert.deepEqual(await list('filter_result=error'), []);
    assert.deepEqual(await list('filter_result=error&filter_number=0771'), []);
    const month = new Date(summary.created).toISOString().slice(0, 7).replace('-', '');
    assert.equal(summary.debug_id, `${month}-${callId}`);

    for (const id of [callId, summary.debug_id]) {
      const res = await api.call('GET', `/v2/accounts/${api.masterId}/pivot/debug/${encodeURIComponent(id)}`, {
        token: admin,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const records = res.body.data as any[];
      const kinds = records.map((r) => r.kind);
      assert.deepEqual(kinds.slice(0, 2), ['request', 'response'], kinds.join(','));
      assert.deepEqual(
        records.filter((r) => r.kind === 'execution').map((r) => r.verb),
        ['Say', 'Hangup', 'document'],
        'the verbs executed, then how the document ended',
      );
      const [req, resp] = records;
      assert.equal(req.uri, app.url('/voice'));
      assert.equal(String(req.method).toLowerCase(), 'post');
      assert.ok(req.req_headers && Object.keys(req.req_headers).length > 0, 'request headers');
      assert.match(String(req.req_body), new RegExp(`CallSid=${encodeURIComponent(callId)}`));
      assert.equal(resp.resp_status_code, 200);
      assert.ok(resp.resp_headers, 'response headers');
      assert.match(String(resp.resp_body), /<Say>Hello from the debug test\.<\/Say>/);
      assert.equal(typeof resp.duration_ms, 'number');
      for (let i = 1; i < records.length; i++) assert.ok(records[i].created >= records[i - 1].created, 'oldest first');
      assert.ok(records.every((r) => r.debug_id === summary.debug_id));
    }
    // Another account sees none of it.
    assert.equal(
      (await api.call('GET', `/v2/accounts/${B.id}/pivot/debug/${encodeURIComponent(callId)}`, { token: B.token }))
        .status,
      404,
    );
    assert.equal(
      (
        await api.call('GET', `/v2/accounts/${api.masterId}/pivot/debug/${encodeURIComponent(callId)}`, {
          token: B.token,
        })
      ).status,
      403,
    );
  });
});

describe('pivot debug replay', () => {
  test('a recorded request is sent again, signed afresh, and the new answer returned; nothing runs', async () => {
    const signingKey = (await api.call('GET', `/v2/accounts/${B.id}/pivot/signing_key`, { token: B.token })).body.data
      .signing_key as string;
    const store = api.server.store.pivotDebug;
    const body = 'CallSid=replay-1&From=%2B14155550100&To=2000&Digits=5';
    const request = await store.add(B.id, {
      call_id: 'replay-1',
      iteration: 2,
      kind: 'request',
      uri: app.url('/replay'),
      method: 'post',
      req_headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'Pivot/test',
        accept: 'application/xml, text/xml, application/json',
        'x-twilio-signature': 'stale',
        'x-custom': 'kept',
      },
      req_body: body,
      timeout_ms: 3000,
    });
    const response = await store.add(B.id, {
      call_id: 'replay-1',
      iteration: 2,
      kind: 'response',
      resp_status_code: 200,
    });
    const url = `/v2/accounts/${B.id}/pivot/debug/replay-1/replay`;

    const res = await api.call('POST', url, { token: B.token, data: { id: request.id } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const got = app.to('/replay').at(-1)!;
    assert.equal(got.method, 'POST');
    assert.equal(got.body, body, 'the exact body');
    assert.equal(got.headers['x-custom'], 'kept');
    assert.equal(got.headers['user-agent'], 'Pivot/test');
    assert.ok(twilioValid(signingKey, got), 'signed afresh with the account key');
    const r = res.body.data;
    assert.equal(r.id, request.id);
    assert.equal(r.call_id, 'replay-1');
    assert.equal(r.iteration, 2);
    assert.equal(r.request.url, app.url('/replay'));
    assert.equal(r.request.body, body);
    assert.equal(r.response.status, 200);
    assert.match(r.response.body, /<Say>replayed<\/Say>/);
    assert.match(r.response.content_type, /xml/);
    assert.equal(typeof r.response.duration_ms, 'number');
    assert.equal(r.error, undefined);
    assert.ok(Date.parse(new Date(r.replayed_at).toISOString()) > 0);

    // By iteration; a broken answer comes back with its error, line and column.
    replayAnswer = () => ({ contentType: 'text/xml', body: '<Response>\n<Say>oops</Sya>\n</Response>' });
    const broken = await api.call('POST', url, { token: B.token, data: { iteration: 2 } });
    assert.equal(broken.status, 200, JSON.stringify(broken.body));
    assert.equal(broken.body.data.error.type, 'xml');
    assert.equal(broken.body.data.error.code, 12100);
    assert.equal(broken.body.data.error.line, 2);
    replayAnswer = () => twiml('<Say>replayed</Say>');
    assert.equal((await store.forCall(B.id, 'replay-1')).length, 2, 'a replay adds no record');

    // What is refused: no record named, not a request, unknown ids, a user token, other accounts.
    const none = await api.call('POST', url, { token: B.token, data: {} });
    assert.equal(none.status, 400);
    assert.ok(none.body.data.id.required);
    const notRequest = await api.call('POST', url, { token: B.token, data: { id: response.id } });
    assert.equal(notRequest.status, 400);
    assert.match(notRequest.body.data.id.type.message, /not a request/);
    const unknown = await api.call('POST', url, { token: B.token, data: { id: 'nope' } });
    assert.equal(unknown.status, 404);
    assert.ok(unknown.body.data.id.not_found);
    assert.equal((await api.call('POST', url, { token: B.token, data: { iteration: 9 } })).status, 404);
    assert.equal(
      (
        await api.call('POST', `/v2/accounts/${B.id}/pivot/debug/no-such-call/replay`, {
          token: B.token,
          data: { iteration: 1 },
        })
      ).status,
      404,
    );
    assert.equal((await api.call('POST', url, { token: userB, data: { id: request.id } })).status, 403);
    assert.equal((await api.call('POST', url, { token: C.token, data: { id: request.id } })).status, 403);
    assert.equal(
      (
        await api.call('POST', `/v2/accounts/${C.id}/pivot/debug/replay-1/replay`, {
          token: admin,
          data: { id: request.id },
        })
      ).status,
      404,
    );
  });
});
