// Spec kazoo_pivot.md §3 (and §13.2): method and encoding of Pivot requests, and the parameters of the Kazoo and
// TwiML request formats, checked on what a real web server receives.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { press } from '../../../src/call/scripted.js';
import type { FlowNode } from '../../../src/callflow/types.js';
import { kazoo, pivotHarness, pivotNode, twiml, webApp, type PivotHarness, type WebApp } from '../../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;

const HANGUP = { module: 'hangup', data: {} };

before(async () => {
  h = await pivotHarness();
  app = await webApp({
    '/kazoo': () => kazoo(HANGUP),
    '/twiml': () => twiml('<Hangup/>'),
    '/redirect': () => twiml('<Redirect>/after-redirect</Redirect>'),
    '/after-redirect': () => twiml('<Redirect method="GET">/after-get</Redirect>'),
    '/after-get': () => twiml('<Hangup/>'),
    '/once': () => twiml('<Redirect>/once-again</Redirect>'),
    '/once-again': () => twiml('<Hangup/>'),
    '/json-gather': () => twiml('<Gather numDigits="1" action="/json-action"><Say>Press</Say></Gather>'),
    '/json-action': () => twiml('<Hangup/>'),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

/** The caller: SIP identities, caller ID, an X- header and a language that differ, so each parameter is traceable. */
const CALLER = {
  from: { user: '+15551230001', realm: 'caller.example' },
  to: { user: '+15557654321', realm: 'to.example' },
  request: { user: '4000', realm: 'acme.pivot.test' },
  callerId: { name: 'Alice Caller', number: '+15551230001' },
  sipHeaders: { 'X-Account-Tag': 'gold' },
  language: 'fr-FR',
};

/** set_variables, then collect_dtmf (caller types 42), then the pivot node. */
function withVarsAndDigits(pivot: FlowNode): FlowNode {
  return {
    module: 'set_variables',
    data: { custom_application_vars: { tier: 'premium', 'note&x=1': 'a+b c' } },
    children: { _: { module: 'collect_dtmf', data: { max_digits: 2, timeout: 3000 }, children: { _: pivot } } },
  };
}

test('Kazoo format, default method: GET with every §3.3 A parameter in the query string, merged with its query', async () => {
  const url = app.url('/kazoo?existing=1');
  const call = await h.run(withVarsAndDigits(pivotNode({ voice_url: url })), {
    ...CALLER,
    script: { events: press('42', 500) },
  });
  const [req] = app.to('/kazoo').slice(-1);
  assert.equal(req.method, 'GET');
  assert.equal(req.body, '');
  assert.ok(req.url.startsWith(`${url}&`), `parameters appended with & to the existing query: ${req.url}`);
  assert.equal(req.query.existing, '1');
  const p = req.query;
  assert.equal(p['Account-ID'], h.accountId);
  assert.equal(p['Api-Version'], '4.x');
  assert.equal(p['Call-ID'], call.id);
  assert.equal(p['Call-Status'], 'in-progress', 'collect_dtmf answered the call');
  assert.equal(p['CallStatus'], 'in-progress', 'request vars (§3.3 C) are sent in both formats');
  assert.equal(p['Caller-ID-Name'], 'Alice Caller');
  assert.equal(p['Caller-ID-Number'], '+15551230001');
  assert.equal(p['Custom-Application-Vars[tier]'], 'premium');
  assert.equal(p['Custom-SIP-Headers[X-Account-Tag]'], 'gold');
  assert.equal(p['Digits[default]'], '42');
  assert.equal(p['Direction'], 'inbound');
  assert.equal(p['From'], '+15551230001');
  assert.equal(p['From-Realm'], 'caller.example');
  assert.equal(p['Language'], 'fr-FR');
  assert.equal(p['Request'], '4000');
  assert.equal(p['Request-Realm'], 'acme.pivot.test');
  assert.equal(p['To'], '+15557654321');
  assert.equal(p['To-Realm'], 'to.example');
  assert.equal(call.entries('hangup').length, 1, 'the returned Kazoo hangup ran');
});

test('Kazoo format: Direction is the real direction of the call, not always inbound', async () => {
  await h.run(pivotNode({ voice_url: app.url('/kazoo?d=out') }), { direction: 'outbound-api' });
  const [req] = app.to('/kazoo').filter((r) => r.query.d === 'out');
  assert.equal(req.query['Direction'], 'outbound-api');
});

test('Kazoo format: keys are URL-encoded, so a key with & and = reaches the app intact', async () => {
  await h.run(withVarsAndDigits(pivotNode({ voice_url: app.url('/kazoo?k=enc') })), {
    script: { events: press('1', 100) },
  });
  const [req] = app.to('/kazoo').filter((r) => r.query.k === 'enc');
  assert.equal(req.query['Custom-Application-Vars[note&x=1]'], 'a+b c');
  assert.equal(req.query['x'], undefined, 'the key did not split into another parameter');
  assert.match(req.url, /Custom-Application-Vars%5Bnote%26x%3D1%5D=a%2Bb\+c/);
});

test('TwiML format before answer: Twilio standard parameters, CallStatus ringing, no Kazoo-only parameters', async () => {
  const call = await h.run(pivotNode({ voice_url: app.url('/twiml?f=ringing'), req_format: 'twiml' }), CALLER);
  const [req] = app.to('/twiml').filter((r) => r.query.f === 'ringing');
  const p = req.query;
  assert.equal(req.method, 'GET');
  assert.equal(p['CallSid'], call.id);
  assert.equal(p['AccountSid'], h.accountId);
  assert.equal(p['From'], '+15551230001');
  assert.equal(p['To'], '+15557654321');
  assert.equal(p['FromRealm'], 'caller.example');
  assert.equal(p['ToRealm'], 'to.example');
  assert.equal(p['CallStatus'], 'ringing');
  assert.equal(p['ApiVersion'], '2010-04-01');
  assert.equal(p['Direction'], 'inbound');
  assert.equal(p['Caller'], '+15551230001');
  assert.equal(p['Called'], '+15557654321');
  assert.equal(p['CallerName'], 'Alice Caller');
  for (const kazooOnly of ['Call-ID', 'Account-ID', 'Language', 'Request', 'Custom-SIP-Headers[X-Account-Tag]']) {
    assert.equal(p[kazooOnly], undefined, `${kazooOnly} is not sent in TwiML format`);
  }
});

test('TwiML format after answer: CallStatus in-progress', async () => {
  const flow: FlowNode = {
    module: 'answer',
    data: {},
    children: { _: pivotNode({ voice_url: app.url('/twiml?f=answered'), req_format: 'twiml' }) },
  };
  await h.run(flow);
  const [req] = app.to('/twiml').filter((r) => r.query.f === 'answered');
  assert.equal(req.query['CallStatus'], 'in-progress');
});

test('POST form: parameters in an x-www-form-urlencoded body, PHP-style nested keys, arrays as key[]', async () => {
  const flow = withVarsAndDigits(pivotNode({ voice_url: app.url('/kazoo?p=form'), method: 'post' }));
  await h.run(flow, { ...CALLER, script: { events: press('42', 500) } }, (call) => call.vars.set('owner_id', 'u1,u2'));
  const [req] = app.to('/kazoo').filter((r) => r.query.p === 'form');
  assert.equal(req.method, 'POST');
  assert.equal(req.contentType, 'application/x-www-form-urlencoded');
  assert.deepEqual(Object.keys(req.query), ['p'], 'nothing added to the query string');
  assert.match(req.body, /(^|&)Digits%5Bdefault%5D=42(&|$)/);
  const form = req.form!;
  assert.equal(form['Digits[default]'], '42');
  assert.equal(form['Custom-Application-Vars[tier]'], 'premium');
  assert.equal(form['Custom-SIP-Headers[X-Account-Tag]'], 'gold');
  assert.deepEqual(form['User-ID[]'], ['u1', 'u2']);
  assert.equal(form['Call-ID'] !== undefined, true);
});

test('POST JSON (req_body_format json): the body is one JSON object with nested values', async () => {
  const flow = withVarsAndDigits(
    pivotNode({ voice_url: app.url('/kazoo?p=json'), method: 'post', req_body_format: 'json' }),
  );
  const call = await h.run(flow, { ...CALLER, script: { events: press('42', 500) } });
  const [req] = app.to('/kazoo').filter((r) => r.query.p === 'json');
  assert.equal(req.method, 'POST');
  assert.equal(req.contentType, 'application/json');
  const body = JSON.parse(req.body) as Record<string, unknown>;
  assert.equal(typeof body, 'object');
  assert.ok(!Array.isArray(body));
  assert.equal(body['Call-ID'], call.id);
  assert.deepEqual(body['Digits'], { default: '42' });
  assert.deepEqual(body['Custom-Application-Vars'], { tier: 'premium', 'note&x=1': 'a+b c' });
  assert.deepEqual(body['Custom-SIP-Headers'], { 'X-Account-Tag': 'gold' });
});

test("the node's method is for the first request only: later requests use the verb's method, POST by default", async () => {
  await h.run(pivotNode({ voice_url: app.url('/redirect'), method: 'get', req_format: 'twiml' }));
  assert.equal(app.to('/redirect').at(-1)!.method, 'GET');
  assert.equal(app.to('/after-redirect').at(-1)!.method, 'POST', '<Redirect> without method: POST');
  assert.equal(app.to('/after-get').at(-1)!.method, 'GET', '<Redirect method="GET">');
});

test('POST JSON: later action requests of the session keep the JSON body format', async () => {
  const flow = pivotNode({
    voice_url: app.url('/json-gather'),
    method: 'post',
    req_body_format: 'json',
    req_format: 'twiml',
  });
  const call = await h.run(flow, { script: { events: press('5', 1000) } });
  const [action] = app.to('/json-action').filter((r) => r.params['CallSid'] === call.id);
  assert.equal(action.method, 'POST');
  assert.equal(action.contentType, 'application/json');
  assert.equal((action.json as Record<string, unknown>)['Digits'], '5');
});

// Spec §3.3 "Consumption rule" and §13.2 "Clear the gathered digits after sending": the digits collected before
// the pivot node are sent with its first request only, not again on every Redirect/action of the session.
for (const req_format of ['kazoo', 'twiml'] as const) {
  test(`${req_format} format: collect_dtmf digits are sent on the first request of the session only`, async () => {
    const flow: FlowNode = {
      module: 'collect_dtmf',
      data: { max_digits: 1 },
      children: { _: pivotNode({ voice_url: app.url(`/once?f=${req_format}`), req_format }) },
    };
    await h.run(flow, { script: { events: press('7', 100) } });
    const digits = (params: Record<string, unknown>) => params['Digits'] ?? params['Digits[default]'];
    const [first] = app.to('/once').filter((r) => r.query.f === req_format);
    assert.equal(digits(first.params), '7');
    const [again] = app.to('/once-again').slice(-1);
    assert.equal(digits(again.params), undefined, 'the Redirect request does not repeat the digits');
  });
}
