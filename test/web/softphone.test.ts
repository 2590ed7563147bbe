// The browser softphone in Chromium (fake microphone) against a started Pivot: a real WebRTC call through the
// web phone gateway into a Pivot action whose webhook asks for a digit; the digit pressed on the dial pad reaches
// the webhook as Digits, the call's Live Debug opens beside the phone, and a call to nothing says why.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { webRig, type WebRig } from '../helpers/browser.js';
import { eventually, twiml, webApp, type WebApp } from '../helpers/pivot.js';

let rig: WebRig;
let hook: WebApp;

before(async () => {
  hook = await webApp({
    '/voice': () => twiml('<Gather numDigits="1" timeout="15" action="/digits"><Say>Press a key.</Say></Gather>'),
    '/digits': () => twiml('<Say>Thank you.</Say><Pause length="5"/><Hangup/>'),
  });
  rig = await webRig({ min: 42500, max: 42599 });
  const token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
  const created = await rig.api.call('PUT', `/v2/accounts/${rig.api.masterId}/callflows`, {
    token,
    data: {
      name: 'Digit test',
      numbers: ['2000'],
      flow: {
        module: 'pivot',
        data: { voice_url: hook.url('/voice'), method: 'POST', req_format: 'twiml', debug: true },
        children: {},
      },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

after(async () => {
  await rig?.stop();
  await hook?.close();
});

test('a call from the dial pad reaches the webhook, and a key pressed reaches it as Digits', async () => {
  const { page } = rig;
  await rig.signIn();
  await page.getByRole('button', { name: 'Open the phone' }).click();
  const phone = page.getByRole('region', { name: 'Phone' });
  await phone.getByLabel('Number or extension').fill('2000');
  await phone.getByRole('button', { name: 'Call', exact: true }).click();
  const [voice] = await hook.waitFor('/voice', 1, 15_000);
  assert.equal(voice.params.To, '2000');
  await phone.getByRole('status').filter({ hasText: 'In call' }).waitFor({ timeout: 15_000 });
  // The call's Live Debug opened beside the phone.
  await page.waitForURL(/\/debug\/.+/);
  assert.equal(decodeURIComponent(page.url().split('/debug/')[1]), voice.params.CallSid);
  await phone.getByRole('button', { name: 'Key 5' }).click();
  const [digits] = await hook.waitFor('/digits', 1, 15_000);
  assert.equal(digits.params.Digits, '5');
  await phone.getByLabel('Digits sent').filter({ hasText: '5' }).waitFor();
  await rig.screenshot('softphone');
  await phone.getByRole('button', { name: 'Hang up' }).click();
  await phone.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
  // Pivot saw the call end: no channel left.
  const token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
  await eventually(
    async () =>
      (await rig.api.call('GET', `/v2/accounts/${rig.api.masterId}/channels`, { token })).body.data.length === 0,
    'the call is gone from the channels',
    5000,
  );
});

test('a call to something the account does not have says why', async () => {
  const phone = rig.page.getByRole('region', { name: 'Phone' });
  await phone.getByLabel('Number or extension').fill('9999');
  await phone.getByRole('button', { name: 'Call', exact: true }).click();
  await phone.getByRole('alert').filter({ hasText: '9999' }).waitFor();
  await phone.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
});

test('"Test call" on a Pivot action calls its number from the browser', async () => {
  const { page } = rig;
  await page.goto('/');
  const before = hook.to('/voice').length;
  await page
    .getByRole('button', { name: /Test call/ })
    .first()
    .click();
  await hook.waitFor('/voice', before + 1, 15_000);
  const phone = page.getByRole('region', { name: 'Phone' });
  await phone.getByRole('status').filter({ hasText: 'In call' }).waitFor({ timeout: 15_000 });
  await phone.getByRole('status').filter({ hasText: 'Digit test' }).waitFor();
  await phone.getByRole('button', { name: 'Hang up' }).click();
  await phone.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
});
