// The web app's shell in Chromium against a started Pivot: sign-in (wrong password, then right), navigation with
// deep links that survive a reload, the API's own 404s untouched by the app's fallback page, the account switcher
// for sub-accounts, an expired session brought back by the sign-in dialog without leaving the page, and the menu
// on a phone-sized screen.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenant } from '../helpers/tenants.js';
import { webRig, type WebRig } from '../helpers/browser.js';

let rig: WebRig;

before(async () => {
  rig = await webRig({ min: 42000, max: 42099 });
});

after(async () => {
  await rig?.stop();
});

test('sign-in: a wrong password says so; the right one opens the Pivot Manager', async () => {
  const { page } = rig;
  await page.goto('/');
  await rig.screenshot('login');
  await page.getByLabel('Account').fill('admin');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();
  await page.getByLabel('Password').fill(rig.api.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Pivot Manager' }).getAttribute('aria-current'), 'page');
});

test('navigation: each page has its own path, a reload keeps it, and unknown paths say so', async () => {
  const { page } = rig;
  await page.getByRole('link', { name: 'Live Debug' }).click();
  await page.waitForURL('**/debug');
  await page.reload();
  await page.getByRole('heading', { name: 'Live Debug', level: 1 }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Live Debug' }).getAttribute('aria-current'), 'page');
  await page.goto('/no/such/page');
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Live Debug', level: 1 }).waitFor();
});

test('the API keeps its JSON 404s; the app page is served for browser paths only', async () => {
  const api = await fetch(`${rig.api.base}/v2/no-such-thing`);
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type') ?? '', /json/);
  const app = await fetch(`${rig.api.base}/callflows/abc`);
  assert.equal(app.status, 200);
  assert.match(await app.text(), /<div id="root">/);
  const asset = await fetch(`${rig.api.base}/assets/missing.js`);
  assert.equal(asset.status, 404);
});

test('the account switcher acts on a sub-account', async () => {
  const { page, api } = rig;
  const adminToken = await api.login('admin', 'admin', api.adminPassword);
  await tenant(api, adminToken, api.masterId, 'acme');
  await page.reload();
  const switcher = page.getByRole('combobox', { name: 'Account' });
  await switcher.waitFor();
  await switcher.selectOption({ label: '↳ acme' });
  const acting = await page.evaluate(() => JSON.parse(localStorage.getItem('pivot.account') ?? '{}').name);
  assert.equal(acting, 'acme');
  await switcher.selectOption({ label: 'admin' });
});

test('an expired session brings back the sign-in dialog over the page, which stays where it was', async () => {
  const { page, api } = rig;
  await page.goto('/debug');
  await page.getByRole('heading', { name: 'Live Debug', level: 1 }).waitFor();
  // The token is revoked behind the app's back (as when it expires); the next request finds out.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('pivot.session') ?? '{}').token);
  const revoked = await api.call('DELETE', '/v2/token_auth', { token });
  assert.equal(revoked.status, 200);
  await page.getByRole('link', { name: 'Numbers' }).click();
  const dialog = page.getByRole('dialog', { name: 'Your session has expired' });
  await dialog.waitFor();
  await rig.screenshot('session-expired');
  await dialog.getByLabel('Password').fill(api.adminPassword);
  await dialog.getByRole('button', { name: 'Sign in' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.match(page.url(), /\/numbers$/);
});

test('on a phone-sized screen the navigation opens from the menu button', async () => {
  const page = await rig.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await page.getByRole('button', { name: 'Menu' }).click();
  await nav.getByRole('link', { name: 'Devices' }).click();
  await page.waitForURL('**/devices');
  await rig.screenshot('phone-devices', page);
  await page.close();
  assert.deepEqual(
    rig.errors.filter((e) => !/401|Failed to load resource/.test(e)),
    [],
  );
});
