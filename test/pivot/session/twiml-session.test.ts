// Spec kazoo_pivot.md §3.3 C/D, §3.4, §3.5, §5, §7 and §8, with DESIGN §2's fixes: a TwiML session follows
// Gather, Redirect, Record and Dial actions, keeps <Set> variables, hangs up at the end of the document, posts the
// CDR to cdr_url, and writes debug records per iteration.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt, press } from '../../../src/call/scripted.js';
import {
  PUBLIC_URL,
  eventually,
  pivotHarness,
  pivotNode,
  twiml,
  webApp,
  type PivotHarness,
  type WebApp,
} from '../../helpers/pivot.js';

let h: PivotHarness;
let app: WebApp;

before(async () => {
  h = await pivotHarness();
  app = await webApp({
    // Gather round trip
    '/g/voice': () => twiml('<Say>Welcome</Say><Gather action="/g/gathered"><Say>Enter your code</Say></Gather>'),
    '/g/gathered': () => twiml('<Redirect>/g/next</Redirect>'),
    '/g/next': () => twiml('<Hangup/>'),
    // relative Redirects
    '/a/b/start': () => twiml('<Redirect>next</Redirect>'),
    '/a/b/next': () => twiml('<Redirect>../x</Redirect>'),
    '/a/x': () => twiml('<Redirect>/root</Redirect>'),
    '/root': () => twiml('<Hangup/>'),
    '/old/voice': () => ({ status: 301, headers: { Location: '/new/voice' }, contentType: 'text/plain', body: '' }),
    '/new/voice': () => twiml('<Redirect>next</Redirect>'),
    '/new/next': () => twiml('<Hangup/>'),
    '/old/next': () => twiml('<Say>wrong base</Say>'),
    '/self': () => twiml('<Gather numDigits="1"><Say>Press</Say></Gather>'),
    // <Set> and <Redirect><Variable>
    '/set/voice': () =>
      twiml(
        '<Set><Variable key="color" value="blue"/><Variable key="size" value="L"/>' +
          '<Variable key="CallSid" value="CAforged"/></Set><Redirect>/set/second</Redirect>',
      ),
    '/set/second': () => twiml('<Redirect><Variable key="via" value="redirect"/>/set/third</Redirect>'),
    '/set/third': () => twiml('<Hangup/>'),
    // Record
    '/rec/voice': () =>
      twiml(
        '<Say>Leave a message</Say><Record action="/rec/done" maxLength="20" recordingStatusCallback="/rec/status"/>',
      ),
    '/rec/done': () => twiml('<Say>Thanks</Say>'),
    '/rec/status': () => ({ status: 204 }),
    '/empty/gather': () => twiml('<Gather timeout="3" action="/never"><Say>Press</Say></Gather><Say>no input</Say>'),
    '/empty/record': () => twiml('<Record action="/never" timeout="2"/><Say>no message</Say>'),
    '/never': () => twiml('<Say>not expected</Say>'),
    '/hang/voice': () => twiml('<Record action="/hang/done"/>'),
    '/hang/done': () => twiml('<Say>never heard</Say>'),
    // Dial
    '/dial/voice': () => twiml('<Dial action="/dial/done" timeout="10"><Number>+15550003333</Number></Dial>'),
    '/dial/done': () => twiml('<Hangup/>'),
    // end of document, cdr_url, debug
    '/eod/voice': () => twiml('<Say>Goodbye</Say>'),
    '/cdr/voice': () => twiml(`<Pause length="2"/><Play>${app.url('/media/hello.mp3')}</Play>`),
    '/cdr': () => ({ status: 200, contentType: 'text/plain', body: 'ok' }),
    '/three/1': () => twiml('<Say>one</Say><Redirect>/three/2</Redirect>'),
    '/three/2': () => twiml('<Say>two</Say><Redirect>/three/3</Redirect>'),
    '/three/3': () => twiml('<Say>three</Say>'),
    '/later-fails': () => twiml('<Say>one</Say><Redirect>/nowhere</Redirect>'),
  });
});

after(async () => {
  await app.close();
  await h.close();
});

const twimlNode = (path: string, data: Record<string, unknown> = {}) =>
  pivotNode({ voice_url: app.url(path), req_format: 'twiml', ...data });

test('Gather: 12# at 2 s → action with Digits=12 and FinishedOnKey=#; the digits are not sent again', async () => {
  const call = await h.run(twimlNode('/g/voice'), { script: { events: press('12#', 2000) } });
  const [gathered] = app.to('/g/gathered');
  assert.equal(gathered.method, 'POST');
  assert.equal(gathered.params['Digits'], '12');
  assert.equal(gathered.params['FinishedOnKey'], '#');
  assert.equal(gathered.params['CallSid'], call.id);
  const [next] = app.to('/g/next');
  assert.equal(next.params['Digits'], undefined, 'Digits are sent once');
  assert.equal(next.params['FinishedOnKey'], undefined);
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['Welcome', 'Enter your code'],
  );
  assert.equal(call.state, 'ended');
});

test('Redirect chains resolve relative URLs by RFC 3986 (next, ../x, /root → host root)', async () => {
  await h.run(twimlNode('/a/b/start?q=1', { method: 'get' }));
  const paths = app.requests.filter((r) => ['/a/b/start', '/a/b/next', '/a/x', '/root'].includes(r.path));
  assert.deepEqual(
    paths.map((r) => `${r.method} ${r.path}`),
    ['GET /a/b/start', 'POST /a/b/next', 'POST /a/x', 'POST /root'],
  );
  assert.deepEqual(app.to('/a/b/next')[0].query, {}, "the first request's parameters are not part of the document URL");
});

test('after an HTTP redirect, relative URLs resolve against the URL retrieved (RFC 3986 §5.1.3)', async () => {
  const call = await h.run(twimlNode('/old/voice', { method: 'get' }));
  assert.deepEqual(
    app.requests.filter((r) => r.path.endsWith('/next') && r.params['CallSid'] === call.id).map((r) => r.path),
    ['/new/next'],
  );
  assert.equal(call.entries('say').length, 0);
});

test('Gather without action requests the document URL again, without the parameters Pivot appended', async () => {
  const call = await h.run(twimlNode('/self?menu=main', { method: 'get' }), { script: { events: press('5', 1000) } });
  const mine = app.to('/self').filter((r) => r.params['CallSid'] === call.id);
  assert.equal(mine[0].method, 'GET');
  assert.equal(mine[1].method, 'POST');
  assert.equal(mine[1].url, app.url('/self?menu=main'));
  assert.equal(mine[1].params['Digits'], '5');
});

test('<Set> with several Variables: sent on every later request, unable to override CallSid', async () => {
  const call = await h.run(twimlNode('/set/voice'));
  for (const path of ['/set/second', '/set/third']) {
    const [req] = app.to(path);
    assert.equal(req.params['color'], 'blue', path);
    assert.equal(req.params['size'], 'L', path);
    assert.equal(req.params['CallSid'], call.id, `${path}: base parameters win over user variables`);
  }
  assert.equal(app.to('/set/third')[0].params['via'], 'redirect', '<Redirect><Variable> works too');
});

test('Record: a stored recording, RecordingUrl/Sid/Duration and Digits on the action, recordingStatusCallback', async () => {
  const call = await h.run(twimlNode('/rec/voice'), { script: { events: press('#', 5000) } });
  const [done] = app.to('/rec/done');
  assert.ok(done, 'the Record action was requested');
  const rows = (await h.store.recordings.list(h.accountId)).items.filter((r) => r.call_id === call.id);
  assert.equal(rows.length, 1, 'one recording row for the call');
  assert.equal(done.params['RecordingSid'], `RE${rows[0].id}`);
  assert.equal(
    done.params['RecordingUrl'],
    `${PUBLIC_URL}/2010-04-01/Accounts/${h.accountId}/Recordings/RE${rows[0].id}`,
  );
  assert.equal(done.params['RecordingDuration'], '3');
  assert.equal(done.params['Digits'], '#');
  const [status] = await app.waitFor('/rec/status');
  assert.equal(status.method, 'POST');
  assert.equal(status.params['RecordingStatus'], 'completed');
  assert.equal(status.params['RecordingSid'], done.params['RecordingSid']);
  assert.equal(status.params['CallSid'], call.id);
  assert.deepEqual(
    call.entries('say').map((e) => e.text),
    ['Leave a message', 'Thanks'],
  );
});

test('Gather without input and an empty Record make no request: the next verb runs', async () => {
  const gather = await h.run(twimlNode('/empty/gather'));
  const record = await h.run(twimlNode('/empty/record'), { script: { speakMs: 0 } });
  assert.deepEqual(
    gather.entries('say').map((e) => e.text),
    ['Press', 'no input'],
  );
  assert.deepEqual(
    record.entries('say').map((e) => e.text),
    ['no message'],
  );
  assert.equal(app.to('/never').length, 0);
  assert.equal((await h.store.recordings.list(h.accountId)).items.filter((r) => r.call_id === record.id).length, 0);
});

test('the caller hangs up during Record: the action is still requested with Digits=hangup, its answer ignored', async () => {
  const call = await h.run(twimlNode('/hang/voice'), { script: { events: [hangupAt(2000)] } });
  const [done] = app.to('/hang/done');
  assert.ok(done, 'the Record action was requested after the hangup');
  assert.equal(done.params['Digits'], 'hangup');
  assert.equal(done.params['CallStatus'], 'completed');
  assert.equal(call.entries('say').length, 0, 'the TwiML returned for a finished call did not run');
  assert.equal(call.entries('hangup').length, 1);
});

test('Dial with action: DialCallStatus, DialCallSid, DialCallDuration and DialBridged', async () => {
  const call = await h.run(twimlNode('/dial/voice'), {
    script: { endpoint: () => ({ answerAfterMs: 1000, hangupAfterMs: 5000 }) },
  });
  const [done] = app.to('/dial/done');
  assert.ok(done, 'the Dial action was requested');
  assert.equal(done.params['DialCallStatus'], 'completed');
  assert.equal(done.params['DialCallDuration'], '5');
  assert.equal(done.params['DialBridged'], 'true');
  assert.match(String(done.params['DialCallSid']), /.+/);
  assert.equal(call.entries('dial').length, 1);
});

test('end of document hangs up', async () => {
  const call = await h.run(twimlNode('/eod/voice'));
  assert.deepEqual(
    call.timeline.filter((e) => e.type === 'say' || e.type === 'hangup').map((e) => [e.t, e.type, e.by ?? e.text]),
    [
      [0, 'say', 'Goodbye'],
      [500, 'hangup', 'local'],
    ],
  );
});

test('cdr_url: the end of document still hangs up, then the CDR is form-POSTed', async () => {
  const call = await h.run(twimlNode('/cdr/voice', { cdr_url: app.url('/cdr'), debug: true }));
  assert.deepEqual(
    call.entries('hangup').map((e) => [e.t, e.by]),
    [[4000, 'local']],
    'hung up at the end of the document (Pause 2 s + Play 2 s)',
  );
  const [cdr] = await app.waitFor('/cdr');
  assert.equal(cdr.method, 'POST');
  assert.equal(cdr.contentType, 'application/x-www-form-urlencoded');
  const p = cdr.params;
  assert.equal(p['Call-ID'], call.id);
  assert.equal(p['Hangup-Cause'], 'NORMAL_CLEARING');
  assert.equal(p['Billing-Seconds'], '2', 'answered by the Play after the 2 s Pause');
  assert.equal(p['Duration-Seconds'], '4');
  assert.equal(p['Ringing-Seconds'], '2');
  await eventually(async () => (await h.debugOf(call.id, 'cdr_response')).length === 1, 'the cdr debug records');
  const [cdrRequest] = await h.debugOf(call.id, 'cdr_request');
  assert.equal(cdrRequest.uri, app.url('/cdr'));
});

test('the iteration counter goes 1, 2, 3 with each request of the session', async () => {
  const call = await h.run(twimlNode('/three/1', { debug: true }));
  const requests = await h.debugOf(call.id, 'request');
  assert.deepEqual(
    requests.map((r) => [new URL(r.uri!).pathname, r.iteration]),
    [
      ['/three/1', 1],
      ['/three/2', 2],
      ['/three/3', 3],
    ],
  );
  assert.deepEqual(
    (await h.debugOf(call.id, 'response')).map((r) => r.iteration),
    [1, 2, 3],
  );
});

test('debug: true keeps request, response and execution records for every iteration', async () => {
  const call = await h.run(twimlNode('/three/1', { debug: true, method: 'post' }));
  const records = await h.debug(call.id);
  for (const iteration of [1, 2, 3]) {
    const of = (kind: string) => records.filter((r) => r.iteration === iteration && r.kind === kind);
    const [request] = of('request');
    const [response] = of('response');
    assert.ok(request && response, `request and response of iteration ${iteration}`);
    assert.equal(new URL(request.uri!).pathname, `/three/${iteration}`);
    assert.equal(request.method, 'post');
    const headers = Object.fromEntries(Object.entries(request.req_headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    assert.match(headers['x-twilio-signature'] ?? '', /^[A-Za-z0-9+/]+=*$/);
    assert.match(headers['x-pivot-signature'] ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(request.req_body ?? '', new RegExp(`CallSid=${call.id}`));
    assert.equal(response.resp_status_code, 200);
    assert.match(response.resp_headers?.['content-type'] ?? '', /text\/xml/);
    assert.match(response.resp_body ?? '', /<Response>/);
    assert.equal(typeof response.duration_ms, 'number');
    assert.ok(of('execution').length >= 1, `execution records of iteration ${iteration}`);
  }
  assert.equal(records.filter((r) => r.kind === 'error').length, 0);
});

test('debug: false stores nothing for a successful call', async () => {
  const call = await h.run(twimlNode('/three/1'));
  assert.equal(call.entries('say').length, 3);
  assert.deepEqual(await h.debug(call.id), []);
});

test('debug: false still stores the failing exchange and its error, and only those', async () => {
  const call = await h.run(twimlNode('/later-fails'));
  const records = await h.debug(call.id);
  assert.deepEqual(
    records.map((r) => [r.kind, r.iteration]),
    [
      ['request', 2],
      ['response', 2],
      ['error', 2],
    ],
  );
  assert.equal(records[1].resp_status_code, 404);
  assert.equal(records[2].error?.code, 11200);
});
