// Live Debug in Chromium against a started Pivot, with real calls: two Pivot Callflow Actions with debug on are made
// through the API, one answering TwiML from a real web app, one answering broken XML. With the page open, SIPp calls
// each number and the calls appear in the list without a reload (time, caller → number, action, iterations, last
// status, webhook time, result badge); a status filter narrows the list and lives in the URL. The details show the
// request (URL, signature headers, parameters), the response body, the verbs executed, and for the broken call the
// error with its line, column and code; "Copy as cURL" puts a command on the clipboard that, run by a shell, sends the
// same request; "Replay request" shows the web app's new answer beside the original. Also on a phone-sized screen.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { curlCommand } from '../../web/src/debug/curl.js';
import { lines, prettyXml, tokenize } from '../../web/src/debug/format.js';
import {
  NO_FILTERS,
  lineOfEvent,
  groupIterations,
  iterationResult,
  matchesFilters,
  queryOf,
  filtersOf,
  type CallSummary,
  type DebugRecord,
} from '../../web/src/debug/model.js';
import { webRig, type WebRig } from '../helpers/browser.js';
import { eventually, twiml, webApp, type AppResponse, type WebApp } from '../helpers/pivot.js';
import { SCENARIOS, sipp, sippMediaPorts } from '../helpers/sipp.js';

// Ports of this file: Pivot's RTP 42300-42379, SIPp's media 42380-42399.
const nextSippMediaPort = sippMediaPorts(42384);

let rig: WebRig;
let app: WebApp;
let token: string;
/** What the good web app answers now (the replay test changes it). */
let voice = (): AppResponse => twiml('<Say>Hello from Live Debug.</Say><Hangup/>');
const BROKEN = '<?xml version="1.0"?>\n<Response>\n  <Say>Oops</Sya>\n</Response>';
const calls: { good?: string; broken?: string } = {};

before(async () => {
  rig = await webRig({ min: 42300, max: 42379 });
  await rig.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: rig.api.base });
  token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
  app = await webApp({
    '/voice': () => voice(),
    '/broken': () => ({ contentType: 'text/xml', body: BROKEN }),
  });
  await action('Support line', '+14155550901', app.url('/voice'));
  await action('Broken app', '+14155550902', app.url('/broken'));
});

after(async () => {
  await app?.close();
  await rig?.stop();
});

/** A Pivot Callflow Action with debug on at a new number, through the API. */
async function action(name: string, number: string, url: string): Promise<void> {
  const base = `/v2/accounts/${rig.api.masterId}`;
  const added = await rig.api.call('PUT', `${base}/phone_numbers/${encodeURIComponent(number)}`, { token, data: {} });
  assert.ok(added.status === 200 || added.status === 201, JSON.stringify(added.body));
  const made = await rig.api.call('PUT', `${base}/callflows`, {
    token,
    data: {
      name,
      numbers: [number],
      flow: {
        module: 'pivot',
        data: { voice_url: url, method: 'post', req_format: 'twiml', debug: true },
        children: { _: { module: 'tts', data: { text: 'The application is unavailable.' } } },
      },
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
}

/** SIPp calls `number` and waits (up to 30 s) for Pivot's BYE. */
async function call(number: string): Promise<void> {
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-wait-bye.xml'),
    target: `127.0.0.1:${rig.api.server.calls.sipPorts.udp}`,
    args: ['-s', number.slice(2), '-mi', '127.0.0.1', '-mp', String(Number(nextSippMediaPort()) + rig.api.portShift)],
    timeoutMs: 30_000,
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
}

const rows = (page: Page) => page.locator('table.ld-calls tbody tr');
const row = (page: Page, callId: string) => page.locator(`tr[data-call-id="${callId}"]`);

test('the list is empty at first, says what to do, and is live', async () => {
  const { page } = rig;
  await rig.signIn();
  await page.getByRole('link', { name: 'Live Debug' }).click();
  await page.getByRole('heading', { name: 'No Pivot requests yet' }).waitFor();
  await page.getByText('calls to an action with debug on appear here as they happen').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Open the Pivot Manager' }).getAttribute('href'), '/');
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
});

test('calls made by SIPp appear in the list without a reload, with their result', async () => {
  const { page } = rig;
  // A marker that a reload would wipe.
  await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));

  await call('+14155550901');
  const [first] = await app.waitFor('/voice', 1, 5000);
  calls.good = String(first.params.CallSid);
  const good = row(page, calls.good);
  await good.waitFor({ timeout: 15_000 });
  await good.getByText('Support line').waitFor();
  await good.locator('.badge', { hasText: 'OK' }).waitFor();
  const text = await good.innerText();
  assert.match(text, /sipp\s*→\s*4155550901/);
  assert.match(text, /\b200\b/, 'last HTTP status');
  assert.match(text, /\d+(\.\d+)? m?s/, 'webhook time');
  assert.equal(await good.locator('td[data-label="Iterations"]').innerText(), '1');

  await call('+14155550902');
  const [broken] = await app.waitFor('/broken', 1, 5000);
  calls.broken = String(broken.params.CallSid);
  const bad = row(page, calls.broken);
  await bad.waitFor({ timeout: 15_000 });
  await bad.locator('.badge', { hasText: 'Invalid XML' }).waitFor();
  await bad.getByText('Broken app').waitFor();
  assert.equal(await rows(page).first().getAttribute('data-call-id'), calls.broken, 'newest first');
  assert.equal(await rows(page).count(), 2);
  assert.ok(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), 'no reload');

  // What the server stored says the same.
  const stored = await rig.api.call('GET', `/v2/accounts/${rig.api.masterId}/pivot/debug`, { token });
  const byId = Object.fromEntries((stored.body.data as any[]).map((s) => [s.call_id, s]));
  assert.equal(byId[calls.good].result, 'ok');
  assert.equal(byId[calls.good].callflow_name, 'Support line');
  assert.equal(byId[calls.broken].result, 'invalid_xml');
  assert.equal(byId[calls.broken].error_code, 12100);
  await rig.screenshot('live-debug');
});

test('a status filter narrows the list, lives in the URL and survives a reload', async () => {
  const { page } = rig;
  await page.getByLabel('Status').selectOption({ label: 'Invalid XML' });
  await page.waitForURL('**/debug?status=invalid_xml');
  await eventually(async () => (await rows(page).count()) === 1, 'one invalid-XML call', 5000);
  assert.equal(await rows(page).first().getAttribute('data-call-id'), calls.broken);
  await page.reload();
  await row(page, calls.broken!).waitFor();
  assert.equal(await rows(page).count(), 1);
  assert.equal(await page.getByLabel('Status').inputValue(), 'invalid_xml');

  await page.getByLabel('Status').selectOption({ label: 'OK' });
  await page.waitForURL('**/debug?status=ok');
  await row(page, calls.good!).waitFor();
  await eventually(async () => (await rows(page).count()) === 1, 'one ok call', 5000);

  await page.getByLabel('Number').fill('0902');
  await page.waitForURL(/number=0902/);
  await page.getByRole('heading', { name: 'No calls match these filters' }).waitFor();
  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await page.waitForURL(/\/debug$/);
  await eventually(async () => (await rows(page).count()) === 2, 'both calls again', 5000);
});

test('details: the request with its signature and parameters, the response, and the verbs executed', async () => {
  const { page } = rig;
  await row(page, calls.good!).getByRole('link', { name: 'View details' }).click();
  await page.waitForURL(`**/debug/${encodeURIComponent(calls.good!)}`);
  await page.getByRole('heading', { name: 'Call details', level: 1 }).waitFor();
  const request = page.getByRole('region', { name: 'Iteration 1 request' });
  await request.getByText(app.url('/voice'), { exact: true }).waitFor();
  const signature = request.locator('tr.ld-signature', { hasText: /x-twilio-signature/i });
  assert.match(await signature.innerText(), /[A-Za-z0-9+/]{27}=/, 'X-Twilio-Signature with its value');
  await request.locator('tr.ld-signature', { hasText: /x-pivot-signature/i }).waitFor();
  const params = request.getByRole('table', { name: 'Iteration 1 request parameters' });
  const callSid = params
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: 'CallSid', exact: true }) });
  assert.equal(await callSid.getByRole('cell').innerText(), calls.good);
  const response = page.getByRole('region', { name: 'Iteration 1 response' });
  await response.getByText('HTTP 200').waitFor();
  await response.getByText('Hello from Live Debug.').waitFor();
  const executed = page.getByRole('region', { name: 'Iteration 1 executed' });
  await executed.getByText('<Say>').waitFor();
  await executed.getByText('said “Hello from Live Debug.”').waitFor();
  await executed.getByText('<Hangup>').waitFor();
});

test('Copy as cURL: a command that sends the same request from a shell', async () => {
  const { page } = rig;
  const before = app.to('/voice').length;
  await page.getByRole('button', { name: 'Copy as cURL' }).click();
  await page.getByText('cURL command copied to the clipboard').waitFor();
  const command = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(command, new RegExp(`^curl -X POST '${app.url('/voice')}'`));
  assert.match(command, /-H 'X-Twilio-Signature: [^']+'/);
  assert.match(command, /--data-raw '[^']*CallSid=/);
  await promisify(execFile)('sh', ['-c', `${command} --silent --output /dev/null`], { timeout: 10_000 });
  const sent = app.to('/voice');
  assert.equal(sent.length, before + 1);
  assert.equal(sent.at(-1)!.body, sent[0].body, 'the exact body');
  assert.equal(sent.at(-1)!.headers['x-twilio-signature'], sent[0].headers['x-twilio-signature']);
});

test('cURL quoting: quotes, dollars, backticks and newlines reach the server exactly as recorded', async () => {
  const body = `a='it'"s"&b=$HOME&c=\`id\`&d=line1\nline2&e=\\n`;
  const command = curlCommand({
    method: 'post',
    uri: `${app.url('/voice')}?q='x'`,
    req_headers: { 'Content-Type': 'text/plain', 'X-Odd': `it's $(not) run` },
    req_body: body,
  });
  await promisify(execFile)('sh', ['-c', `${command} --silent --output /dev/null`], { timeout: 10_000 });
  const got = app.to('/voice').at(-1)!;
  assert.equal(got.body, body);
  assert.equal(got.headers['x-odd'], `it's $(not) run`);
  assert.equal(got.query.q, "'x'");
});

test('Replay request shows the web app’s new answer beside the original', async () => {
  const { page } = rig;
  voice = () => twiml('<Say>The replayed answer.</Say><Hangup/>');
  const before = app.to('/voice').length;
  await page.getByRole('button', { name: 'Replay request' }).click();
  const replay = page.getByRole('region', { name: 'Replay response' });
  await replay.getByText('The replayed answer.').waitFor();
  await replay.getByText('HTTP 200').waitFor();
  await replay.getByText('The document is usable.').waitFor();
  await page.getByRole('region', { name: 'Iteration 1 response' }).getByText('Hello from Live Debug.').waitFor();
  assert.equal(app.to('/voice').length, before + 1);
  await page.getByText('cURL command copied to the clipboard').waitFor({ state: 'hidden' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await rig.screenshot('live-debug-details');
});

test('a broken answer: the error with its line, column and code, marked in the body', async () => {
  const { page } = rig;
  await page.getByRole('link', { name: '← All calls' }).click();
  await page.waitForURL(/\/debug$/);
  await row(page, calls.broken!).click();
  await page.waitForURL(`**/debug/${encodeURIComponent(calls.broken!)}`);
  const errors = page.getByRole('region', { name: 'Iteration 1 errors' });
  await errors.getByText('Document parse failure').waitFor();
  const where = await errors.locator('.ld-pos').innerText();
  assert.match(where, /^line 3, column \d+$/);
  const code = errors.getByRole('link', { name: '12100' });
  assert.equal(await code.getAttribute('href'), '#code-12100');
  await code.click();
  await page.locator('#code-12100').getByText('not well-formed XML or JSON').waitFor();
  const body = page.getByRole('region', { name: 'Iteration 1 response' });
  await body.locator('.code-line-error', { hasText: '<Say>Oops</Sya>' }).waitFor();
  await body
    .getByRole('note')
    .filter({ hasText: /line 3, column \d+/ })
    .waitFor();
  await page.getByRole('region', { name: 'Iteration 1 executed' }).waitFor({ state: 'detached' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await rig.screenshot('live-debug-error');
});

test('keyboard: a call opens from its link with Enter, the details take the focus, the back link returns', async () => {
  const { page } = rig;
  await page.goto('/debug?status=ok');
  const link = row(page, calls.good!).getByRole('link', { name: 'View details' });
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/debug/${encodeURIComponent(calls.good!)}?status=ok`);
  await page.getByRole('heading', { name: 'Call details', level: 1 }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Call details');
  // Tab reaches the request's buttons; Enter on the Pretty/Raw toggle switches the view.
  const raw = page.getByRole('region', { name: 'Iteration 1 response' }).getByRole('button', { name: 'Raw' });
  await raw.focus();
  await page.keyboard.press('Enter');
  assert.equal(await raw.getAttribute('aria-pressed'), 'true');
  await page.getByRole('link', { name: '← All calls' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL('**/debug?status=ok', { waitUntil: 'commit' });
  await row(page, calls.good!).waitFor();
  assert.equal(await page.getByLabel('Status').inputValue(), 'ok', 'the filter came back with the list');
});

test('on a phone-sized screen the calls are cards and the details fit', async () => {
  const page = await rig.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/debug');
  await row(page, calls.good!).waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width}px)`);
  await rig.screenshot('live-debug-phone', page);
  await row(page, calls.good!).getByRole('link', { name: 'View details' }).click();
  await page.getByRole('heading', { name: 'Call details', level: 1 }).waitFor();
  const detailsWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(detailsWidth <= 390, `details fit (${detailsWidth}px)`);
  await rig.screenshot('live-debug-details-phone', page);
  await page.close();
  assert.deepEqual(
    rig.errors.filter((e) => !/Failed to load resource/.test(e)),
    [],
  );
});

// ---- the page's own logic, without a browser ----------------------------------------------------------------

test('XML is pretty-printed one element a line, and highlighted by kind', () => {
  assert.equal(
    prettyXml(
      '<?xml version="1.0"?><Response><Gather numDigits="1" action="/next"><Say>Press 1</Say></Gather><Hangup/></Response>',
    ),
    [
      '<?xml version="1.0"?>',
      '<Response>',
      '  <Gather numDigits="1" action="/next">',
      '    <Say>Press 1</Say>',
      '  </Gather>',
      '  <Hangup/>',
      '</Response>',
    ].join('\n'),
  );
  const kinds = tokenize('<Say voice="alice">Hi &amp; bye</Say><!-- c -->', 'xml')
    .filter((t) => t.cls)
    .map((t) => [t.cls, t.text]);
  assert.deepEqual(kinds, [
    ['tok-punct', '<'],
    ['tok-tag', 'Say'],
    ['tok-attr', 'voice'],
    ['tok-punct', '='],
    ['tok-string', '"alice"'],
    ['tok-punct', '>'],
    ['tok-entity', '&amp;'],
    ['tok-punct', '</'],
    ['tok-tag', 'Say'],
    ['tok-punct', '>'],
    ['tok-comment', '<!-- c -->'],
  ]);
  const json = tokenize('{"module": "tts", "n": 1.5, "ok": true}', 'json').filter(
    (t) => t.cls && t.cls !== 'tok-punct',
  );
  assert.deepEqual(
    json.map((t) => t.cls),
    ['tok-key', 'tok-string', 'tok-key', 'tok-number', 'tok-key', 'tok-literal'],
  );
  // A comment over two lines stays highlighted on both.
  assert.deepEqual(
    lines(tokenize('<a>\n<!-- x\ny --></a>', 'xml')).map((l) => l.map((t) => t.cls ?? '').join(',')),
    ['tok-punct,tok-tag,tok-punct', 'tok-comment', 'tok-comment,tok-punct,tok-tag,tok-punct'],
  );
});

test('records become iterations; a live record updates a line; filters live in the query', () => {
  const r = (kind: DebugRecord['kind'], iteration: number, extra: Partial<DebugRecord> = {}): DebugRecord => ({
    id: `${kind}-${iteration}-${Math.random()}`,
    call_id: 'c1',
    account_id: 'a',
    created: 1000 + iteration,
    kind,
    iteration,
    ...extra,
  });
  const its = groupIterations([
    r('request', 1, { from_number: '+1415', to_number: '2000', callflow_name: 'Sales' }),
    r('response', 1, { resp_status_code: 200 }),
    r('execution', 1, { verb: 'Gather' }),
    r('request', 2),
    r('response', 2, { resp_status_code: 200 }),
    r('error', 2, { error: { message: 'bad', type: 'xml', code: 12100, line: 2, column: 3 } }),
    r('request', 1), // a second pivot node counts from 1 again
    r('error', 1, { error: { message: 'slow', type: 'warning' } }),
    r('cdr_request', 1),
    r('cdr_response', 1),
  ]);
  assert.deepEqual(
    its.map((i) => [i.index, i.iteration, i.cdr, i.executed.length, i.errors.length, iterationResult(i)]),
    [
      [1, 1, false, 1, 0, 'ok'],
      [2, 2, false, 0, 1, 'invalid_xml'],
      [3, 1, false, 0, 1, 'warning'],
      [4, 1, true, 0, 0, 'ok'],
    ],
  );

  // A server's event carries the call's whole line: it is taken as is (without the call's own fields).
  const line: CallSummary = {
    call_id: 'c1',
    created: 1000,
    debug_id: 'c1',
    iteration: 1,
    iterations: 2,
    duration_ms: 12,
    has_schema_errors: false,
    has_json_errors: false,
    has_errors: true,
    from_number: '+14155550100',
    to_number: '2000',
    callflow_id: 'cf',
    last_status_code: 500,
    error_code: 11200,
    result: 'http_error',
  };
  const hubLine = { ...line, iterations: 3, result: 'timeout' as const, from: 'sipp@127.0.0.1', request: '2000@x' };
  const taken = lineOfEvent({ ...line, live: false }, { ...r('error', 3), call: hubLine });
  assert.deepEqual(
    [taken?.iterations, taken?.result, taken?.live, taken && 'from' in taken],
    [3, 'timeout', false, false],
  );
  assert.equal(lineOfEvent(undefined, { ...r('error', 3), call: hubLine })?.live, true, 'a new call is live');
  assert.equal(lineOfEvent(line, r('request', 1)), undefined, 'an event without a line gives none');

  const now = 10_000_000;
  const f = { ...NO_FILTERS, number: '415 555', status: 'error', action: 'cf' };
  assert.ok(matchesFilters({ ...line, created: now }, f, now));
  assert.ok(!matchesFilters({ ...line, created: now }, { ...f, status: 'ok' }, now));
  assert.ok(!matchesFilters({ ...line, created: now }, { ...f, number: '999' }, now));
  assert.ok(!matchesFilters({ ...line, created: now - 2 * 3_600_000 }, { ...f, since: '1h' }, now));
  assert.equal(queryOf(f), '?action=cf&number=415+555&status=error');
  assert.deepEqual(filtersOf(new URLSearchParams(queryOf(f))), f);
  assert.equal(queryOf({ ...NO_FILTERS, from: '2026-01-01T00:00' }), '', 'from/to only with since=custom');
});
