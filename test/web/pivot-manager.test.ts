// The Pivot Manager in Chromium against a started Pivot: the empty state; a new action with a number added to the
// account from the form (and another account's number refused) plus an extension, TwiML, POST and a loopback URL,
// checked in what the server stored; the quick URL check and the server's own refusal of a URL; a number already used
// by another callflow shown at the numbers field; search; edit with the gear (URL and a spoken failure prompt, unknown
// fields kept); an action changed elsewhere while it was open; delete with confirmation; the list's error state; the
// Test call button without a number; and the phone-sized layout.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { tenant } from '../helpers/tenants.js';
import { webRig, type WebRig } from '../helpers/browser.js';

let rig: WebRig;
let token: string;
let accountId: string;

const NEW = '+ New Pivot Callflow Action';

/** A request to the acting account's resources as its admin. */
async function acct(method: string, path: string, data?: unknown) {
  return rig.api.call(method, `/v2/accounts/${accountId}${path}`, { token, data });
}

async function pivotActions(): Promise<any[]> {
  const res = await acct('GET', '/callflows?filter_flow.module=pivot');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data;
}

async function byName(name: string): Promise<any> {
  const found = (await pivotActions()).find((d) => d.name === name);
  assert.ok(found, `no stored action named ${name}`);
  return found;
}

function table(page: Page): Locator {
  return page.getByRole('table', { name: 'Pivot Callflow Actions' });
}

function row(page: Page, name: string): Locator {
  return table(page).getByRole('row').filter({ hasText: name });
}

async function openNewForm(page: Page): Promise<Locator> {
  await page.getByRole('button', { name: NEW }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New Pivot Callflow Action' });
  await dialog.waitFor();
  return dialog;
}

before(async () => {
  rig = await webRig({ min: 42100, max: 42199 });
  accountId = rig.api.masterId;
  token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
});

after(async () => {
  await rig?.stop();
});

test('with no action yet, the home page explains what an action is and offers to create one', async () => {
  const { page } = rig;
  await rig.signIn();
  const empty = page.getByRole('heading', { name: 'No Pivot Callflow Actions yet' });
  await empty.waitFor();
  assert.match(await page.locator('.empty').innerText(), /asks your URL what to do/);
  // The empty state's own button and the one at the top right both open the form.
  assert.equal(await page.getByRole('button', { name: NEW }).count(), 2);
  await page.locator('.empty').getByRole('button', { name: NEW }).click();
  const dialog = page.getByRole('dialog', { name: 'New Pivot Callflow Action' });
  await dialog.waitFor();
  // Nothing typed yet: Escape closes without asking.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

test('create: a number added to the account from the form, an extension, TwiML, POST and a loopback URL', async () => {
  const { page, api } = rig;
  // Another account owns a number: adding it here is refused with the server's words.
  const other = await tenant(api, token, accountId, 'elsewhere');
  const taken = await api.call('PUT', `/v2/accounts/${other.id}/phone_numbers/%2B14155550199`, { token: other.token });
  assert.equal(taken.status, 201, JSON.stringify(taken.body));

  const dialog = await openNewForm(page);
  await dialog.getByLabel('Name', { exact: true }).fill('Support line');
  await dialog.getByRole('button', { name: '+ Add a new number to the account' }).click();
  const newNumber = dialog.getByLabel('New number');
  await newNumber.fill('+14155550199');
  await dialog.getByRole('button', { name: 'Add to account' }).click();
  await dialog.getByText('number +14155550199 is already assigned: another account has it').waitFor();

  await newNumber.fill('+14155550100');
  await dialog.getByRole('button', { name: 'Add to account' }).click();
  const chosen = dialog.getByRole('list', { name: 'Chosen numbers and extensions' });
  await chosen.getByText('+14155550100').waitFor();
  const owned = await acct('GET', '/phone_numbers');
  assert.ok(owned.body.data.numbers['+14155550100'], 'the number was added to the account');

  // Enter in the extension box adds the extension; it does not submit the form.
  const ext = dialog.getByLabel('Extension', { exact: true });
  await ext.fill('2001');
  await ext.press('Enter');
  await chosen.getByText('2001').waitFor();
  assert.equal(await ext.inputValue(), '');
  assert.ok(await dialog.isVisible());

  await dialog.getByLabel('Method').selectOption('post');
  await dialog.getByLabel('Request format').selectOption('twiml');
  await dialog.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/voice');
  await rig.screenshot('pivot-manager-form');
  await dialog.locator('summary', { hasText: 'Advanced' }).click();
  const debug = dialog.getByLabel(/^Debug/);
  assert.equal(await debug.isChecked(), true, 'debug is on by default for a new action');
  await dialog.getByText('On by default for new actions').waitFor();
  await dialog.getByText('When the request fails').scrollIntoViewIfNeeded();
  await rig.screenshot('pivot-manager-form-advanced');

  await dialog.getByRole('button', { name: 'Create action' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const created = row(page, 'Support line');
  await created.waitFor();
  const text = await created.innerText();
  assert.match(text, /\+14155550100/);
  assert.match(text, /ext 2001/);
  assert.match(text, /POST/);
  assert.match(text, /http:\/\/127\.0\.0\.1:9\/voice/);
  assert.match(text, /TwiML/);
  assert.match(text, /\bon\b/);

  const stored = await byName('Support line');
  assert.deepEqual(stored.numbers, ['+14155550100', '2001']);
  assert.equal(stored.flow.module, 'pivot');
  assert.equal(stored.flow.data.voice_url, 'http://127.0.0.1:9/voice');
  assert.equal(stored.flow.data.method, 'post');
  assert.equal(stored.flow.data.req_format, 'twiml');
  assert.equal(stored.flow.data.req_body_format, 'form');
  assert.equal(stored.flow.data.debug, true);
  assert.equal(stored.flow.data.req_timeout_ms, undefined);
  assert.equal(stored.flow.children?._, undefined, 'hang up on failure: no `_` child');
  // The number is no longer spare: it is used by the new action.
  const number = await acct('GET', '/phone_numbers/%2B14155550100');
  assert.equal(number.body.data.callflow_id, stored.id);
});

test('URLs: the quick check stops a non-http URL, and the server refusal is shown at the URL field', async () => {
  const { page } = rig;
  const dialog = await openNewForm(page);
  await dialog.getByRole('button', { name: 'Create action' }).click();
  await dialog.getByText('Give the action a name').waitFor();
  await dialog.getByText('The URL Pivot asks what to do is required').waitFor();
  // The first field in error has the focus.
  assert.equal(await dialog.getByLabel('Name', { exact: true }).evaluate((e) => e === document.activeElement), true);

  await dialog.getByLabel('Name', { exact: true }).fill('Too long');
  const url = dialog.getByLabel('URL', { exact: true });
  await url.fill('ftp://127.0.0.1/voice');
  await dialog.getByRole('button', { name: 'Create action' }).click();
  await dialog.getByText('Use an http:// or https:// URL').waitFor();
  assert.equal(await url.getAttribute('aria-invalid'), 'true');

  // Passes the quick check, but the server refuses it (the pivot module's maxLength), and says so at the field.
  await url.fill(`http://127.0.0.1:9/${'a'.repeat(2100)}`);
  await dialog.getByRole('button', { name: 'Create action' }).click();
  const refusal = dialog
    .locator('.field-invalid')
    .filter({ has: page.getByLabel('URL', { exact: true }) })
    .locator('.field-error');
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /2048 characters/);
  await dialog.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
  assert.equal((await pivotActions()).filter((d) => d.name === 'Too long').length, 0);

  // Closing with changes asks first; "Cancel" keeps the form, "Discard" closes it.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  const ask = page.getByRole('dialog', { name: 'Discard your changes?' });
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'hidden' });
  assert.ok(await dialog.isVisible());
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await ask.getByRole('button', { name: 'Discard' }).click();
  await dialog.waitFor({ state: 'hidden' });
});

test('an extension used by another callflow is refused by the server and shown at the numbers field', async () => {
  const { page } = rig;
  const sales = await acct('PUT', '/callflows', {
    name: 'Sales desk',
    numbers: ['3001'],
    flow: { module: 'tts', data: { text: 'Sales' } },
  });
  assert.equal(sales.status, 201, JSON.stringify(sales.body));

  const dialog = await openNewForm(page);
  await dialog.getByLabel('Name', { exact: true }).fill('Billing IVR');
  await dialog.getByLabel('Extension', { exact: true }).fill('3001');
  await dialog.getByRole('button', { name: 'Add extension' }).click();
  await dialog.getByLabel('URL', { exact: true }).fill('https://billing.example.com/ivr');
  await dialog.getByRole('button', { name: 'Create action' }).click();
  const numbersError = dialog.getByRole('group', { name: 'Numbers and extensions' }).locator('.field-error');
  await numbersError.waitFor();
  assert.match(await numbersError.innerText(), /3001 is already used by callflow "Sales desk"/);
  assert.match((await dialog.locator('.np-chip-bad').innerText()) ?? '', /3001/);

  // Another extension instead, and a number of the account picked from its spare numbers.
  const added = await acct('PUT', '/phone_numbers/%2B14155550101');
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await dialog.getByRole('button', { name: 'Remove 3001' }).click();
  await dialog.getByLabel('Extension', { exact: true }).fill('3002');
  await dialog.getByRole('button', { name: 'Add extension' }).click();
  // The spare numbers were loaded when the form opened: close and reopen to see the new one.
  await dialog.getByRole('button', { name: 'Create action' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row(page, 'Billing IVR').getByRole('button', { name: 'Edit Billing IVR' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Billing IVR' });
  const spare = edit.getByLabel('Spare numbers');
  await spare.locator('option', { hasText: '+14155550101' }).waitFor({ state: 'attached' });
  // The number used by "Support line" is not spare.
  assert.equal(await spare.locator('option', { hasText: '+14155550100' }).count(), 0);
  await spare.selectOption('+14155550101');
  await edit.getByRole('button', { name: 'Use number' }).click();
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'hidden' });
  assert.deepEqual((await byName('Billing IVR')).numbers, ['3002', '+14155550101']);
});

test('search filters the list by name, number and URL', async () => {
  const { page } = rig;
  const hours = await acct('PUT', '/callflows', {
    name: 'After hours',
    numbers: ['4000'],
    flow: {
      module: 'pivot',
      data: { voice_url: 'https://hours.example.net/closed', req_format: 'kazoo', debug: false },
    },
  });
  assert.equal(hours.status, 201, JSON.stringify(hours.body));
  await page.getByRole('button', { name: 'Refresh the list' }).click();
  await row(page, 'After hours').waitFor();
  // Only pivot callflows are listed.
  assert.equal(await row(page, 'Sales desk').count(), 0);
  assert.equal(await table(page).locator('tbody tr').count(), 3);
  // The README's picture: the list without the toasts of the tests before.
  await page.waitForFunction(() => !document.querySelector('.toast'), undefined, { timeout: 8000 });
  await rig.screenshot('pivot-manager');

  const search = page.getByRole('searchbox', { name: 'Search actions' });
  const names = () => table(page).locator('tbody tr strong').allInnerTexts();
  await search.fill('billing');
  assert.deepEqual(await names(), ['Billing IVR']);
  await search.fill('415 555 0100');
  assert.deepEqual(await names(), ['Support line']);
  await search.fill('example.net');
  assert.deepEqual(await names(), ['After hours']);
  await search.fill('4000');
  assert.deepEqual(await names(), ['After hours']);
  await page.getByText('1 of 3 actions').waitFor();
  await search.fill('nothing like this');
  await page.getByRole('heading', { name: 'No action matches “nothing like this”' }).waitFor();
  await page.getByRole('button', { name: 'Clear the search' }).click();
  assert.equal(await table(page).locator('tbody tr').count(), 3);
  assert.equal(await search.evaluate((e) => e === document.activeElement), true);
});

test('edit with the gear: a new URL and a spoken prompt when the request fails; unknown fields are kept', async () => {
  const { page } = rig;
  // Fields this page does not know, written by another client.
  const before = await byName('Support line');
  const extra = await acct('PATCH', `/callflows/${before.id}`, {
    ui_metadata: { origin: 'test-suite' },
    flow: { ...before.flow, data: { ...before.flow.data, custom_request_headers: { 'X-Team': 'support' } } },
  });
  assert.equal(extra.status, 200, JSON.stringify(extra.body));

  await row(page, 'Support line').getByRole('button', { name: 'Edit Support line' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit Support line' });
  const url = dialog.getByLabel('URL', { exact: true });
  assert.equal(await url.inputValue(), 'http://127.0.0.1:9/voice');
  assert.equal(await dialog.getByLabel('Method').inputValue(), 'post');
  assert.equal(await dialog.getByLabel('Request format').inputValue(), 'twiml');
  await url.fill('http://127.0.0.1:9/voice-v2');
  await dialog.locator('summary', { hasText: 'Advanced' }).click();
  await dialog.getByLabel('Timeout (ms)').fill('99999');
  // The other failure choices offer their pickers: no media yet (with the way to add some), the account's callflows.
  await dialog.getByLabel('Play a media file').check();
  await dialog.getByText('The account has no media yet').waitFor();
  await dialog.getByLabel('Go to another callflow').check();
  const target = dialog.getByLabel('Callflow', { exact: true });
  await target.locator('option', { hasText: 'Sales desk (3001)' }).waitFor({ state: 'attached' });
  assert.equal(await target.locator('option', { hasText: 'Support line' }).count(), 0, 'not itself');
  await dialog.getByLabel('Speak a message').check();
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  // Both form checks at once: the timeout's bound and the missing message.
  await dialog.getByText('A whole number of milliseconds from 100 to 30000').waitFor();
  await dialog.getByText('Type the message to speak').waitFor();
  await dialog.getByLabel('Timeout (ms)').fill('8000');
  await dialog.getByLabel('Message', { exact: true }).fill('Sorry, we cannot take your call right now.');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row(page, 'Support line').getByText('http://127.0.0.1:9/voice-v2').waitFor();
  await row(page, 'Support line').getByText('On failure: speak a message').waitFor();

  const after = await byName('Support line');
  assert.equal(after.id, before.id);
  assert.equal(after.flow.data.voice_url, 'http://127.0.0.1:9/voice-v2');
  assert.equal(after.flow.data.req_timeout_ms, 8000);
  assert.equal(after.flow.data.method, 'post');
  assert.equal(after.flow.children._.module, 'tts');
  assert.equal(after.flow.children._.data.text, 'Sorry, we cannot take your call right now.');
  assert.deepEqual(after.numbers, ['+14155550100', '2001']);
  assert.deepEqual(after.ui_metadata, { origin: 'test-suite' });
  assert.deepEqual(after.flow.data.custom_request_headers, { 'X-Team': 'support' });

  // Opened again from the keyboard, the form shows what is stored, "Advanced" open because it holds settings;
  // Escape closes it and the focus goes back to the gear.
  await row(page, 'Support line').getByRole('button', { name: 'Edit Support line' }).focus();
  await page.keyboard.press('Enter');
  await dialog.getByLabel('Message', { exact: true }).waitFor();
  assert.equal(await dialog.getByLabel('Speak a message').isChecked(), true);
  assert.equal(await dialog.getByLabel('Timeout (ms)').inputValue(), '8000');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Edit Support line');
});

test('an action changed elsewhere while its form is open is not overwritten without asking', async () => {
  const { page } = rig;
  const stored = await byName('After hours');
  await row(page, 'After hours').getByRole('button', { name: 'Edit After hours' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit After hours' });
  await dialog.getByLabel('URL', { exact: true }).waitFor();
  const elsewhere = await acct('PATCH', `/callflows/${stored.id}`, { name: 'After hours (closed)' });
  assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
  await dialog.getByLabel('URL', { exact: true }).fill('https://hours.example.net/open');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.getByText('This action changed since you opened it.').waitFor();
  assert.equal(
    (await acct('GET', `/callflows/${stored.id}`)).body.data.flow.data.voice_url,
    stored.flow.data.voice_url,
  );
  await dialog.getByRole('button', { name: 'Load the latest' }).click();
  const name = page.getByRole('dialog').getByLabel('Name', { exact: true });
  await page.waitForFunction(
    () =>
      (document.querySelector('dialog[open] input[name="name"]') as HTMLInputElement | null)?.value ===
      'After hours (closed)',
  );
  await name.fill('After hours');
  await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  const now = (await acct('GET', `/callflows/${stored.id}`)).body.data;
  assert.equal(now.name, 'After hours');
  assert.equal(now.flow.data.voice_url, 'https://hours.example.net/closed');
});

test('delete asks first: cancel keeps the action, confirm removes it from the list and the server', async () => {
  const { page } = rig;
  const stored = await byName('After hours');
  await row(page, 'After hours').getByRole('button', { name: 'Delete After hours' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete “After hours”?' });
  await ask.waitFor();
  assert.match(await ask.innerText(), /Calls to 4000 will no longer reach/);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await ask.waitFor({ state: 'hidden' });
  assert.equal(await row(page, 'After hours').count(), 1);
  assert.equal((await acct('GET', `/callflows/${stored.id}`)).status, 200);

  await row(page, 'After hours').getByRole('button', { name: 'Delete After hours' }).click();
  await ask.getByRole('button', { name: 'Delete' }).click();
  await row(page, 'After hours').waitFor({ state: 'detached' });
  await page.getByText('Deleted “After hours”').waitFor();
  assert.equal((await acct('GET', `/callflows/${stored.id}`)).status, 404);
  assert.equal(await table(page).locator('tbody tr').count(), 2);
});

test('Test call needs a number: without one the button says why and does nothing', async () => {
  const { page } = rig;
  const lonely = await acct('PUT', '/callflows', {
    name: 'Unreachable',
    flow: { module: 'pivot', data: { voice_url: 'https://example.com/x' } },
  });
  assert.equal(lonely.status, 201, JSON.stringify(lonely.body));
  await page.getByRole('button', { name: 'Refresh the list' }).click();
  const none = row(page, 'Unreachable').getByRole('button', { name: 'Test call Unreachable' });
  await none.waitFor();
  assert.equal(await none.getAttribute('aria-disabled'), 'true');
  assert.match((await none.getAttribute('title')) ?? '', /Add a number or extension/);
  const some = row(page, 'Support line').getByRole('button', { name: 'Test call Support line' });
  assert.equal(await some.getAttribute('aria-disabled'), null);
  assert.match((await some.getAttribute('title')) ?? '', /Call \+14155550100 from the browser/);
});

test('a failed listing shows the error and tries again; a failed refresh keeps the list', async () => {
  const { page } = rig;
  const listing = (url: URL) => url.pathname.endsWith('/callflows') && url.searchParams.has('filter_flow.module');
  await page.route(listing, (r) =>
    r.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ status: 'error', error: '500', message: 'database unavailable', data: {} }),
    }),
  );
  // A refresh that fails keeps the list on screen and says why.
  await page.getByRole('button', { name: 'Refresh the list' }).click();
  const refresh = page.getByRole('alert').filter({ hasText: 'Could not refresh the list' });
  await refresh.waitFor();
  assert.match(await refresh.innerText(), /database unavailable/);
  assert.equal(await row(page, 'Support line').count(), 1);
  // A first load that fails shows the error in place of the list.
  await page.reload();
  const banner = page.getByRole('alert').filter({ hasText: 'Could not load the Pivot Callflow Actions' });
  await banner.waitFor();
  assert.match(await banner.innerText(), /database unavailable/);
  await page.unroute(listing);
  await banner.getByRole('button', { name: 'Try again' }).click();
  await row(page, 'Support line').waitFor();
});

test('on a phone-sized screen the rows become cards and the form fits', async () => {
  const page = await rig.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  await row(page, 'Support line').waitFor();
  const card = await row(page, 'Support line').boundingBox();
  assert.ok(card && card.width <= 390 && card.height > 120, `a card: ${JSON.stringify(card)}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling');
  await rig.screenshot('pivot-manager-phone', page);

  await page.getByRole('button', { name: NEW }).click();
  const dialog = page.getByRole('dialog', { name: 'New Pivot Callflow Action' });
  await dialog.waitFor();
  const box = await dialog.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the dialog fits: ${JSON.stringify(box)}`);
  await dialog.locator('summary', { hasText: 'Advanced' }).click();
  await rig.screenshot('pivot-manager-form-phone', page);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await page.close();

  assert.deepEqual(
    rig.errors.filter((e) => !/Failed to load resource/.test(e)),
    [],
  );
});
