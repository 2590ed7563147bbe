// DESIGN §2 and spec kazoo_pivot.md §4.1–§4.3: any failure to get a usable document takes the pivot node's `_`
// child at once (hang up without one), leaves a debug record that says exactly what was wrong, and nothing of an
// invalid document runs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { press } from '../../../src/call/scripted.js';
import type { PivotDebugRecord } from '../../../src/store/types.js';
import { freePort } from '../../helpers/http-server.js';
import {
  kazoo,
  pivotHarness,
  pivotNode,
  ttsNode,
  twiml,
  webApp,
  type AppResponse,
  type PivotHarness,
  type WebApp,
} from '../../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;

const xml = (body: string): AppResponse => ({ contentType: 'text/xml', body });

const ANSWERS: Record<string, AppResponse> = {
  '/500': { status: 500, contentType: 'text/plain', body: 'boom' },
  '/404': { status: 404, contentType: 'text/plain', body: 'not here' },
  '/201': { status: 201, ...twiml('<Say>created</Say>') },
  '/204': { status: 204 },
  '/302': { status: 302, contentType: 'text/plain', body: 'moved, but where?' },
  '/slow': { delayMs: 3000, ...twiml('<Say>too late</Say>') },
  '/empty': { contentType: 'text/xml', body: '' },
  '/malformed': xml('<?xml version="1.0"?>\n<Response>\n  <Say>hi</Sey>\n</Response>'),
  '/not-response': xml('<?xml version="1.0"?>\n<Document><Say>hi</Say></Document>'),
  '/bad-json': { contentType: 'application/json', body: '{\n  "module": "tts",\n  "data": {"text": "x",}\n}' },
  '/unknown-module': kazoo({ module: 'teleport', data: {} }),
  '/tts-without-text': kazoo({ module: 'tts', data: { voice: 'female' } }),
  '/bad-grandchild': kazoo(
    ttsNode('first node is valid', {
      module: 'tts',
      data: { text: 'ok' },
      children: { _: { module: 'tts', data: {} } },
    }),
  ),
  '/json-array': kazoo([{ module: 'tts', data: { text: 'in an array' } }]),
  '/unknown-verb': xml('<Response>\n  <Say>one</Say>\n  <Teleport to="mars"/>\n</Response>'),
  '/bad-attribute': xml('<Response>\n  <Say loop="-1">one</Say>\n</Response>'),
  '/neither': { contentType: 'text/html', body: '<html><body>Hello</body>' },
  '/say-then-bogus': xml('<Response><Say>one</Say><Bogus/></Response>'),
  '/206': { status: 206, ...twiml('<Say>partial content</Say>') },
  '/moved': { status: 302, headers: { Location: '/206' }, contentType: 'text/plain', body: '' },
  '/to-private': twiml('<Redirect>http://10.255.255.1/next</Redirect>'),
  '/gather-slow': twiml('<Gather numDigits="1" action="/slow"><Say>Press a key</Say></Gather>'),
  '/gather': twiml('<Gather numDigits="1" action="/500"><Say>Press a key</Say></Gather>'),
  '/loop': twiml('<Redirect method="GET">/loop</Redirect>'),
  '/deep': {
    contentType: 'application/json',
    body: '{"module":"tts","data":{"text":"x"},"children":{"_":'.repeat(4000) + '{}' + '}}'.repeat(4000),
  },
  '/client': twiml('<Say>one</Say><Dial><Client>alice</Client></Dial><Say>two</Say>'),
};

before(async () => {
  h = await pivotHarness();
  const routes = Object.fromEntries(Object.entries(ANSWERS).map(([path, answer]) => [path, () => answer]));
  app = await webApp(routes);
});

after(async () => {
  await app.close();
  await h.close();
});

/** Runs a pivot node on `url` whose `_` child says "fallback"; returns the call and its error debug record. */
async function fails(url: string, data: Record<string, unknown> = {}, harness = h) {
  const call = await harness.run(pivotNode({ voice_url: url, ...data }, ttsNode('fallback')));
  const says = call.entries('say');
  assert.deepEqual(
    says.map((s) => [s.t, s.text]),
    [[0, 'fallback']],
    'the _ child ran at once (virtual time 0) and nothing else was said',
  );
  const errors = await harness.debugOf(call.id, 'error');
  assert.equal(errors.length, 1, `one error record: ${JSON.stringify(errors)}`);
  return { call, error: errors[0] as PivotDebugRecord & { error: NonNullable<PivotDebugRecord['error']> } };
}

for (const status of [500, 404, 201, 204]) {
  test(`HTTP ${status}: _ child at once, error 11200, the failing exchange recorded with debug off`, async () => {
    const { call, error } = await fails(app.url(`/${status}`));
    assert.equal(error.error.code, 11200);
    assert.equal(error.error.type, 'http');
    assert.match(error.error.message, new RegExp(`HTTP ${status}`));
    const [response] = await h.debugOf(call.id, 'response');
    assert.equal(response.resp_status_code, status);
    assert.equal((await h.debugOf(call.id, 'request')).length, 1);
  });
}

test('206 counts as a success, like 200', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/206') }, ttsNode('fallback')));
  assert.deepEqual(
    call.entries('say').map((s) => s.text),
    ['partial content'],
  );
});

test('3xx: followed for GET, not for POST (_ child, error 11200)', async () => {
  const followed = await h.run(pivotNode({ voice_url: app.url('/moved') }, ttsNode('fallback')));
  assert.deepEqual(
    followed.entries('say').map((s) => s.text),
    ['partial content'],
  );
  const { error } = await fails(app.url('/moved'), { method: 'post' });
  assert.equal(error.error.code, 11200);
  assert.match(error.error.message, /302/);
});

test('3xx without Location: _ child, error 11200', async () => {
  const { error } = await fails(app.url('/302'));
  assert.equal(error.error.code, 11200);
  assert.match(error.error.message, /302/);
});

test('timeout (req_timeout_ms 300, server answers after 3 s): _ child at virtual time 0, type timeout', async () => {
  const { error } = await fails(app.url('/slow'), { req_timeout_ms: 300 });
  assert.equal(error.error.code, 11200);
  assert.equal(error.error.type, 'timeout');
  assert.match(error.error.message, /300 ms/);
});

test('connection refused: _ child, error 11205', async () => {
  const port = await freePort();
  const { error } = await fails(`http://127.0.0.1:${port}/voice`);
  assert.equal(error.error.code, 11205);
  assert.match(error.error.message, /refused/);
});

test('DNS failure: _ child, error 11210', async () => {
  const { error } = await fails('http://nonexistent.invalid/voice');
  assert.equal(error.error.code, 11210);
  assert.match(error.error.message, /nonexistent\.invalid/);
});

test('URL denied by the policy: _ child, type policy, and the server receives nothing', async () => {
  const denying = await pivotHarness({ policy: { deny: ['127.0.0.0/8'] } });
  try {
    const before = app.requests.length;
    const { error } = await fails(app.url('/500?denied=1'), {}, denying);
    assert.equal(error.error.type, 'policy');
    assert.equal(error.error.code, 11200);
    assert.equal(app.requests.length, before, 'no request reached the web app');
  } finally {
    await denying.close();
  }
});

test('a TwiML action URL denied by the policy: _ child, type policy (action URLs are checked too)', async () => {
  const denying = await pivotHarness({ policy: { deny: ['10.0.0.0/8'] } });
  try {
    const call = await denying.run(pivotNode({ voice_url: app.url('/to-private') }, ttsNode('fallback')));
    assert.deepEqual(
      call.entries('say').map((s) => s.text),
      ['fallback'],
    );
    const [error] = await denying.debugOf(call.id, 'error');
    assert.equal(error.iteration, 2);
    assert.equal(error.error?.type, 'policy');
  } finally {
    await denying.close();
  }
});

test('empty 200 body: _ child, error 11770', async () => {
  const { error } = await fails(app.url('/empty'));
  assert.equal(error.error.code, 11770);
});

test('malformed XML: _ child, error 12100 with line and column', async () => {
  const { error } = await fails(app.url('/malformed'));
  assert.equal(error.error.code, 12100);
  assert.equal(error.error.type, 'xml');
  assert.equal(error.error.line, 3);
  assert.equal(typeof error.error.column, 'number');
});

test('XML whose root is not <Response>: _ child, error 12102', async () => {
  const { error } = await fails(app.url('/not-response'));
  assert.equal(error.error.code, 12102);
  assert.equal(error.error.line, 2);
});

test('invalid JSON: _ child, error 12100 type json with line/column, has_json_errors in the summary', async () => {
  const { call, error } = await fails(app.url('/bad-json'));
  assert.equal(error.error.code, 12100);
  assert.equal(error.error.type, 'json');
  assert.equal(error.error.line, 3);
  assert.equal(typeof error.error.column, 'number');
  assert.deepEqual(Object.keys(error.json_errors as object).sort(), ['column', 'line', 'message']);
  const summary = await h.summary(call.id);
  assert.equal(summary?.has_json_errors, true);
  assert.equal(summary?.has_schema_errors, false);
});

test('Kazoo JSON with an unknown module: _ child, schema_errors keyed by path, has_schema_errors', async () => {
  const { call, error } = await fails(app.url('/unknown-module'));
  assert.equal(error.error.type, 'schema');
  assert.deepEqual(Object.keys(error.schema_errors as object), ['flow.module']);
  assert.match(JSON.stringify(error.schema_errors), /teleport/);
  assert.equal((await h.summary(call.id))?.has_schema_errors, true);
});

test('Kazoo JSON tts without text: _ child, schema_errors names flow.data.text / required', async () => {
  const { call, error } = await fails(app.url('/tts-without-text'));
  assert.equal(error.error.type, 'schema');
  const errors = error.schema_errors as Record<string, Record<string, { message: string }>>;
  assert.ok(errors['flow.data.text']?.required, JSON.stringify(errors));
  assert.equal((await h.summary(call.id))?.has_schema_errors, true);
});

test('Kazoo JSON is validated as a whole before anything runs: a bad node deep in children stops it all', async () => {
  const { error } = await fails(app.url('/bad-grandchild'));
  assert.equal(error.error.type, 'schema');
  const errors = error.schema_errors as Record<string, Record<string, unknown>>;
  assert.ok(errors['flow.children._.children._.data.text']?.required, JSON.stringify(errors));
});

test('Kazoo JSON must be one node object: an array is a schema error', async () => {
  const { error } = await fails(app.url('/json-array'));
  assert.equal(error.error.type, 'schema');
  assert.ok((error.schema_errors as Record<string, unknown>)['flow'], JSON.stringify(error.schema_errors));
});

test('TwiML with an unknown verb: _ child, 12200 at its line and column, nothing of the document ran', async () => {
  const { error } = await fails(app.url('/unknown-verb'));
  assert.equal(error.error.code, 12200);
  assert.equal(error.error.type, 'twiml');
  assert.equal(error.error.line, 3);
  assert.equal(error.error.column, 3);
});

test('TwiML with a bad attribute value: _ child, the verb error code at its line and column', async () => {
  const { error } = await fails(app.url('/bad-attribute'));
  assert.equal(error.error.code, 13510);
  assert.equal(error.error.line, 2);
  assert.equal(error.error.column, 3);
});

test('a body of another Content-Type that is neither TwiML nor JSON: _ child, error 12300', async () => {
  const { error } = await fails(app.url('/neither'));
  assert.equal(error.error.code, 12300);
});

test('nothing runs from a document that fails validation: <Say>one</Say><Bogus/> says nothing', async () => {
  const { call } = await fails(app.url('/say-then-bogus'));
  assert.ok(!call.entries('say').some((s) => s.text === 'one'));
  assert.equal(call.entries('answer').length, 1, 'only the fallback tts answered');
});

test('without a _ child a failure hangs the call up at once', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/500') }));
  assert.equal(call.state, 'ended');
  assert.deepEqual(
    call.timeline.map((e) => [e.t, e.type]),
    [[0, 'hangup']],
  );
});

test('a failure in a later iteration (Gather action answers 500) also takes the _ child', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/gather') }, ttsNode('fallback')), {
    script: { events: press('1', 1000) },
  });
  assert.deepEqual(
    call.entries('say').map((s) => s.text),
    ['Press a key', 'fallback'],
  );
  const [error] = await h.debugOf(call.id, 'error');
  assert.equal(error.iteration, 2);
  assert.equal(error.error?.code, 11200);
  assert.equal(call.state, 'ended');
});

test('req_timeout_ms applies to every request of the session: a slow Gather action takes the _ child', async () => {
  const call = await h.run(
    pivotNode({ voice_url: app.url('/gather-slow'), req_timeout_ms: 300 }, ttsNode('fallback')),
    {
      script: { events: press('1', 1000) },
    },
  );
  assert.deepEqual(
    call.entries('say').map((s) => s.text),
    ['Press a key', 'fallback'],
  );
  const [error] = await h.debugOf(call.id, 'error');
  assert.equal(error.error?.type, 'timeout');
});

test('a document that redirects to itself is stopped as a request loop (_ child, error record)', async () => {
  const { error } = await fails(app.url('/loop'));
  assert.equal(error.error.code, 11200);
  assert.match(error.error.message, /request loop/);
  assert.ok(app.requests.filter((r) => r.path === '/loop').length <= 101, 'no more than the loop limit is sent');
});

test('absurdly nested Kazoo JSON is a schema error, not a crash', async () => {
  const { error } = await fails(app.url('/deep'));
  assert.equal(error.error.type, 'schema');
  assert.match(error.error.message, /nested deeper/);
});

test('a verb that throws ends the call with a 12400 record instead of escaping to the _ child', async () => {
  const broken = await pivotHarness();
  broken.store.users.findByUsername = async () => {
    throw new Error('database is locked');
  };
  try {
    const call = await broken.run(pivotNode({ voice_url: app.url('/client') }, ttsNode('fallback')));
    assert.deepEqual(
      call.entries('say').map((e) => e.text),
      ['one'],
      'neither the rest of the document nor the _ child ran',
    );
    assert.equal(call.state, 'ended');
    const [error] = await broken.debugOf(call.id, 'error');
    assert.equal(error.error?.code, 12400);
    assert.match(String(error.error?.message), /database is locked/);
  } finally {
    await broken.close();
  }
});
