// Pivot's debug records for Live Debug (src/pivot/debug.ts): a session's first record says who called whom and
// which callflow ran; requests keep their timeout; TwiML verbs and the modules of a Kazoo JSON answer are recorded
// with what they did (digits collected, the branch taken); and a recorded request is replayed exactly — same
// method, URL, headers and body, fresh signatures a twilio app accepts, the URL policy and the document checks.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { press } from '../../src/call/scripted.js';
import { NotReplayable, documentError, replayRequest } from '../../src/pivot/debug.js';
import { UrlPolicy } from '../../src/pivot/http/index.js';
import type { PivotDebugRecord } from '../../src/store/types.js';
import {
  eventually,
  kazoo,
  pivotHarness,
  pivotNode,
  twilioValid,
  twiml,
  webApp,
  type PivotHarness,
  type WebApp,
} from '../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;
/** What /echo answers next (the replay tests change it). */
let echo = (): ReturnType<typeof twiml> => twiml('<Say>first</Say>');

before(async () => {
  h = await pivotHarness();
  app = await webApp({
    '/gather': () => twiml('<Say>Enter two digits</Say><Gather numDigits="2" action="/done"/>'),
    '/done': (p) => twiml(`<Say>You pressed ${String(p.Digits)}</Say><Hangup/>`),
    '/kazoo': () =>
      kazoo({
        module: 'tts',
        data: { text: 'Enter a digit' },
        children: {
          _: {
            module: 'collect_dtmf',
            data: { max_digits: 1 },
            children: { _: { module: 'tts', data: { text: 'thanks' } } },
          },
        },
      }),
    '/echo': () => echo(),
    '/moved': () => ({ status: 302, headers: { Location: '/echo' }, contentType: null }),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

async function records(callId: string, count: number, kind?: PivotDebugRecord['kind']): Promise<PivotDebugRecord[]> {
  let out: PivotDebugRecord[] = [];
  await eventually(
    async () => (out = (await h.debug(callId)).filter((r) => !kind || r.kind === kind)).length >= count,
    `${count} ${kind ?? ''} record(s)`,
  );
  return out;
}

test("a session's first record names the caller, the number dialled and the callflow; requests keep their timeout", async () => {
  await h.store.callflows.create(h.accountId, {
    name: 'Sales line',
    numbers: ['2101'],
    flow: pivotNode({ voice_url: app.url('/gather') }),
  });
  const call = await h.run(
    pivotNode({
      voice_url: app.url('/gather'),
      req_format: 'twiml',
      method: 'post',
      debug: true,
      req_timeout_ms: 4000,
    }),
    {
      from: { user: 'alice' },
      request: { user: '2101' },
      callerId: { number: '+14155550123', name: 'Alice' },
      script: { events: press('42', 2000) },
    },
  );
  const all = await records(call.id, 2, 'request');
  const [first] = await h.debug(call.id);
  assert.equal(first.kind, 'request');
  assert.equal(first.from_number, '+14155550123');
  assert.equal(first.to_number, '2101');
  assert.equal(first.callflow_name, 'Sales line');
  assert.ok(first.callflow_id);
  assert.equal(first.timeout_ms, 4000);
  assert.equal(all[1].from_number, undefined, 'only the first record carries the context');

  const line = await h.summary(call.id);
  assert.equal(line?.from_number, '+14155550123');
  assert.equal(line?.to_number, '2101');
  assert.equal(line?.callflow_name, 'Sales line');
  assert.equal(line?.result, 'ok');
  assert.equal(line?.last_status_code, 200);

  // The verbs executed, with what they did.
  const executed = await records(call.id, 3, 'execution');
  const gather = executed.find((r) => r.verb === 'Gather');
  assert.equal(gather?.detail?.digits, '42');
  assert.equal(gather?.iteration, 1);
  const said = executed.filter((r) => r.verb === 'Say').map((r) => r.detail?.text);
  assert.deepEqual(said, ['Enter two digits', 'You pressed 42']);
});

test('the modules of a Kazoo JSON answer are recorded as they run, with the digits they collected', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/kazoo'), debug: true }), {
    script: { events: press('7', 1500) },
  });
  const executed = await records(call.id, 3, 'execution');
  assert.deepEqual(
    executed.map((r) => r.verb),
    ['tts', 'collect_dtmf', 'tts'],
  );
  const [tts, collect] = executed;
  assert.equal(tts.detail?.type, 'module');
  assert.equal((tts.detail?.data as { text?: string }).text, 'Enter a digit');
  assert.deepEqual(tts.detail?.outcome, { next: ['_'] });
  assert.deepEqual(collect.detail?.digits, { default: '7' });
  assert.ok(executed.every((r) => r.iteration === 1));
});

test('with debug off, modules are not recorded (failures only)', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/kazoo') }), { script: { events: press('7', 1500) } });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await h.debug(call.id), []);
});

test('replay: the same request again, signed afresh so a twilio app accepts it, and the new answer', async () => {
  const call = await h.run(
    pivotNode({ voice_url: app.url('/echo'), req_format: 'twiml', method: 'post', debug: true }),
  );
  const [request] = await records(call.id, 1, 'request');
  const sent = app.to('/echo').at(-1)!;
  echo = () => twiml('<Say>second</Say>');
  const policy = new UrlPolicy();
  const result = await replayRequest(request, { policy, signingKey: h.signingKey });
  const again = app.to('/echo').at(-1)!;
  assert.notEqual(again, sent, 'the web app got a new request');
  assert.equal(again.method, 'POST');
  assert.equal(again.body, sent.body, 'the exact body');
  assert.equal(again.headers['content-type'], sent.headers['content-type']);
  assert.equal(again.headers['user-agent'], sent.headers['user-agent']);
  assert.ok(twilioValid(h.signingKey, again), 'X-Twilio-Signature is valid for the replay');
  assert.match(String(again.headers['x-pivot-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.equal(result.id, request.id);
  assert.equal(result.request.url, app.url('/echo'));
  assert.equal(result.request.body, sent.body);
  assert.equal(result.response?.status, 200);
  assert.match(String(result.response?.body), /<Say>second<\/Say>/);
  assert.equal(result.error, undefined);
  assert.ok(result.duration_ms >= 0);
  assert.deepEqual(result.notes, []);

  // Broken XML now: the replay says where, as the call would have.
  echo = () => ({ contentType: 'text/xml', body: '<Response>\n  <Say>unclosed\n</Response>' });
  const broken = await replayRequest(request, { policy, signingKey: h.signingKey });
  assert.equal(broken.response?.status, 200);
  assert.equal(broken.error?.type, 'xml');
  assert.equal(broken.error?.code, 12100);
  assert.equal(broken.error?.line, 3);
  assert.ok(broken.error?.column);

  // An HTTP error keeps the response.
  echo = () => ({ status: 500, contentType: 'text/plain', body: 'boom' });
  const failed = await replayRequest(request, { policy, signingKey: h.signingKey });
  assert.equal(failed.response?.status, 500);
  assert.equal(failed.response?.body, 'boom');
  assert.deepEqual([failed.error?.code, failed.error?.type], [11200, 'http']);

  // The URL policy applies.
  const denied = await replayRequest(request, { policy: new UrlPolicy({ deny: ['127.0.0.0/8'] }) });
  assert.equal(denied.response, undefined);
  assert.equal(denied.error?.type, 'policy');
  echo = () => twiml('<Say>first</Say>');
});

test('replay: a GET that was redirected starts again from its first URL; non-requests are refused', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/moved'), req_format: 'twiml', debug: true }));
  const [request] = await records(call.id, 1, 'request');
  assert.ok(Array.isArray(request.redirects));
  const before = app.to('/moved').length;
  const result = await replayRequest(request, { policy: new UrlPolicy(), signingKey: h.signingKey });
  assert.equal(app.to('/moved').length, before + 1);
  assert.equal(result.response?.status, 200);
  assert.ok(twilioValid(h.signingKey, app.to('/echo').at(-1)!));
  const [response] = await records(call.id, 1, 'response');
  await assert.rejects(replayRequest(response, { policy: new UrlPolicy() }), NotReplayable);

  const withAuth: PivotDebugRecord = {
    ...request,
    req_headers: { ...request.req_headers, authorization: 'Basic [redacted]' },
  };
  const noted = await replayRequest(withAuth, { policy: new UrlPolicy() });
  assert.equal(noted.notes.length, 1);
  assert.equal(app.to('/moved').at(-1)!.headers.authorization, undefined);
});

test('documentError: what the session would have refused, with line and column', () => {
  assert.equal(documentError({ body: '<Response><Say>hi</Say></Response>', contentType: 'text/xml' }), undefined);
  const json = documentError({ body: '{"module": "tts",\n "data": }', contentType: 'application/json' });
  assert.deepEqual([json?.type, json?.code, json?.line], ['json', 12100, 2]);
  const schema = documentError({ body: '{"module": "tts", "data": {"text": 5}}', contentType: 'application/json' });
  assert.equal(schema?.type, 'schema');
  const verb = documentError({ body: '<Response><Gather numDigits="x"/></Response>', contentType: 'text/xml' });
  assert.equal(verb?.type, 'twiml');
  assert.equal(documentError({ body: '  ', contentType: 'text/xml' })?.code, 11770);
});
