// The Numbers, Devices, Media and Users pages in Chromium against a started Pivot: setting up a working system
// from the browser alone. Numbers are added (an invalid one refused inline, one another account owns refused by
// the server) and released (refused while a callflow uses it); a device is created, its SIP credentials read off
// the screen and used by a real baresip to REGISTER, and the page sees it registered without a reload; a WAV is
// uploaded (button and drag-and-drop; a file that is not audio refused with the server's reason) and played from
// a blob: URL, a TTS prompt synthesised; a user is created, signs in from a second browser, is edited, gets a new
// password and is deleted — and you cannot delete yourself. Each page also fits a phone-sized screen.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/media/prompts/audio.js';
import { Baresip } from '../helpers/baresip.js';
import { webRig, type WebRig } from '../helpers/browser.js';
import { tenant } from '../helpers/tenants.js';

let rig: WebRig;
let token: string;
let base: string;
const tmp = mkdtempSync(join(tmpdir(), 'pivot-admin-pages-'));

/** A sine as 16-bit mono PCM. */
function sine(hz: number, seconds: number, rate: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / rate) * 0.4 * 32767);
  return out;
}

before(async () => {
  rig = await webRig({ min: 42400, max: 42499 });
  token = await rig.api.login('admin', 'admin', rig.api.adminPassword);
  base = `/v2/accounts/${rig.api.masterId}`;
  await rig.signIn();
});

after(async () => {
  await rig?.stop();
});

test('numbers: add (inline E.164 check, the server refuses one another account owns), see the callflow using it, release', async () => {
  const { page, api } = rig;
  await page.getByRole('link', { name: 'Numbers' }).click();
  await page.getByRole('heading', { name: 'No numbers yet' }).waitFor();

  await page.getByRole('button', { name: '+ Add number' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a number' });
  await dialog.getByLabel('Phone number').fill('12ab');
  await dialog.getByRole('button', { name: 'Add number' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'E.164' }).waitFor();

  // Typed as people write it; added in E.164.
  await dialog.getByLabel('Phone number').fill('(415) 555-0100');
  await dialog.getByText('Will be added as +14155550100').waitFor();
  await dialog.getByRole('button', { name: 'Add number' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('cell', { name: '+14155550100', exact: true }).waitFor();
  const stored = await api.call('GET', `${base}/phone_numbers/%2B14155550100`, { token });
  assert.equal(stored.status, 200);

  // A number another account has: the server says so, next to the field.
  const other = await tenant(api, token, api.masterId, 'elsewhere');
  assert.equal((await api.call('PUT', `/v2/accounts/${other.id}/phone_numbers/%2B14155550199`, { token })).status, 201);
  await page.getByRole('button', { name: '+ Add number' }).first().click();
  await dialog.getByLabel('Phone number').fill('+14155550199');
  await dialog.getByRole('button', { name: 'Add number' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'another account has it' }).waitFor();
  assert.equal(await dialog.getByLabel('Phone number').getAttribute('aria-invalid'), 'true');
  await dialog.getByLabel('Phone number').fill('+14155550101');
  await dialog.getByRole('button', { name: 'Add number' }).click();
  await dialog.waitFor({ state: 'hidden' });

  // A callflow routes the first number: the list links to it, the other is spare.
  const cf = await api.call('PUT', `${base}/callflows`, {
    token,
    data: {
      name: 'Main line',
      numbers: ['+14155550100'],
      flow: { module: 'pivot', data: { voice_url: 'https://app.example.com/voice' } },
    },
  });
  assert.equal(cf.status, 201, JSON.stringify(cf.body));
  await page.reload();
  const link = page.getByRole('link', { name: 'Main line' });
  await link.waitFor();
  assert.equal(await link.getAttribute('href'), `/callflows/${cf.body.data.id}`);
  await page
    .getByRole('row', { name: /\+14155550101/ })
    .getByText('spare')
    .waitFor();

  // Search narrows by digits however they are typed.
  await page.getByLabel('Search numbers').fill('555 0101');
  await page.getByRole('cell', { name: '+14155550100', exact: true }).waitFor({ state: 'hidden' });
  await page.getByLabel('Search numbers').fill('');
  await rig.screenshot('numbers');

  // Released while the callflow uses it: the server refuses and the page shows why.
  await page.getByRole('button', { name: 'Release +14155550100' }).click();
  const confirm = page.getByRole('dialog', { name: 'Release +14155550100?' });
  await confirm.getByRole('button', { name: 'Release' }).click();
  const refused = page.getByRole('alert').filter({ hasText: '+14155550100 was not released' });
  await refused.waitFor();
  assert.match((await refused.textContent()) ?? '', /used by callflow "Main line"/);
  assert.equal((await api.call('GET', `${base}/phone_numbers/%2B14155550100`, { token })).status, 200);

  // Once the callflow lets go of it, it is released.
  await api.call('DELETE', `${base}/callflows/${cf.body.data.id}`, { token });
  await page.reload();
  await page.getByRole('button', { name: 'Release +14155550100' }).click();
  await confirm.getByRole('button', { name: 'Release' }).click();
  await page.getByRole('cell', { name: '+14155550100', exact: true }).waitFor({ state: 'hidden' });
  assert.equal((await api.call('GET', `${base}/phone_numbers/%2B14155550100`, { token })).status, 404);
});

test('devices: create one, read its SIP credentials on screen, register baresip with them, watch it turn registered', async () => {
  const { page, api } = rig;
  const alice = await api.call('PUT', `${base}/users`, {
    token,
    data: { username: 'alice', first_name: 'Alice', last_name: 'Liddell', password: 'Wonderland-123' },
  });
  assert.equal(alice.status, 201);

  await page.goto('/devices');
  await page.getByRole('heading', { name: 'No devices yet' }).waitFor();
  await page.getByRole('button', { name: '+ New device' }).first().click();
  const form = page.getByRole('dialog', { name: 'New device' });
  await form.getByRole('button', { name: 'Create device' }).click();
  await form.getByRole('alert').filter({ hasText: 'Give the device a name' }).waitFor();
  await form.getByLabel('Name', { exact: true }).fill('Front desk');
  await form.getByLabel('Owner').selectOption({ label: 'Alice Liddell (alice)' });
  await form.getByRole('button', { name: 'Create device' }).click();

  const creds = page.getByRole('dialog', { name: /Front desk.*SIP credentials/ });
  await creds.waitFor();
  const username = (await creds.getByLabel('SIP username', { exact: true }).textContent())!;
  assert.match(
    (await creds.getByLabel('SIP password (hidden)').textContent())!,
    /^•+$/,
    'the password is hidden at first',
  );
  await creds.getByRole('button', { name: 'Show sip password' }).click();
  const password = (await creds.getByLabel('SIP password', { exact: true }).textContent())!;
  const domain = (await creds.getByLabel('SIP domain', { exact: true }).textContent())!;
  const server = (await creds.getByLabel('SIP server', { exact: true }).textContent())!;
  const line = (await creds.getByLabel('baresip account line', { exact: true }).textContent())!;

  // What the screen says is what the server stored.
  const devices = await api.call('GET', `${base}/devices`, { token });
  assert.equal(devices.body.data.length, 1);
  const device = devices.body.data[0];
  assert.equal(device.name, 'Front desk');
  assert.equal(device.owner_id, alice.body.data.id);
  assert.equal(device.sip.username, username);
  assert.equal(device.sip.password, password);
  const account = await api.call('GET', `${base}`, { token });
  assert.equal(domain, account.body.data.realm);
  assert.equal(server, `127.0.0.1:${api.server.calls.sipPorts.udp}`);
  const sipServer = await api.call('GET', `${base}/devices/sip_server`, { token });
  assert.deepEqual(sipServer.body.data, {
    realm: domain,
    host: '127.0.0.1',
    udp_port: api.server.calls.sipPorts.udp,
    tcp_port: api.server.calls.sipPorts.tcp,
  });
  assert.ok(line.includes(`auth_pass=${password}`) && line.includes(`<sip:${username}@${domain}>`), line);
  await creds.getByText('Waiting for the phone to register').waitFor();
  await rig.screenshot('devices-credentials');

  // A real phone configured with the ready-to-paste line, as shown.
  const phone = await Baresip.start({ account: line, timeoutMs: 60_000 });
  try {
    await creds.locator('.reg-live').getByText('registered', { exact: true }).waitFor({ timeout: 15_000 });
    await creds.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: /Front desk/ });
    await row.getByText('registered', { exact: true }).waitFor();
    assert.match((await row.textContent()) ?? '', /udp:127\.0\.0\.1:\d+/);
    assert.match((await row.textContent()) ?? '', /Alice Liddell/);
    const status = await api.call('GET', `${base}/devices/status`, { token });
    assert.equal(status.body.data[0].registered, true);
    await rig.screenshot('devices');
  } finally {
    await phone.stop();
  }

  // Edit: a new name is stored.
  await page.getByRole('button', { name: 'Edit Front desk' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit “Front desk”' });
  await edit.getByLabel('Name', { exact: true }).fill('Reception');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'hidden' });
  await page.getByRole('row', { name: /Reception/ }).waitFor();
  assert.equal((await api.call('GET', `${base}/devices/${device.id}`, { token })).body.data.name, 'Reception');

  // Disable, then delete.
  await page.getByRole('button', { name: 'Disable Reception' }).click();
  await page
    .getByRole('row', { name: /Reception/ })
    .getByText('disabled')
    .waitFor();
  assert.equal((await api.call('GET', `${base}/devices/${device.id}`, { token })).body.data.enabled, false);
  await page.getByRole('button', { name: 'Delete Reception' }).click();
  await page
    .getByRole('dialog', { name: 'Delete “Reception”?' })
    .getByRole('button', { name: 'Delete device' })
    .click();
  await page.getByRole('heading', { name: 'No devices yet' }).waitFor();
  assert.equal((await api.call('GET', `${base}/devices/${device.id}`, { token })).status, 404);
});

test('media: upload a WAV (and drop one), refuse a file that is not audio, play it from a blob: URL, TTS, rename, delete', async () => {
  const { page, api } = rig;
  const wav = join(tmp, 'tone.wav');
  writeFileSync(wav, encodeWav(sine(440, 1, 8000), 8000));
  const notAudio = join(tmp, 'notes.wav');
  writeFileSync(notAudio, 'these are not the samples you are looking for\n'.repeat(20));

  await page.goto('/media');
  await page.getByRole('heading', { name: 'No prompts yet' }).waitFor();

  // A file that is not audio: the server's reason, and no empty prompt left behind.
  await page.getByRole('button', { name: '↑ Upload audio' }).first().click();
  const upload = page.getByRole('dialog', { name: 'Upload a prompt' });
  await upload.getByLabel('Audio file').setInputFiles(notAudio);
  assert.equal(await upload.getByLabel('Name', { exact: true }).inputValue(), 'notes');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await upload
    .getByRole('alert')
    .filter({ hasText: /not audio Pivot can decode|RIFF|WAV/i })
    .first()
    .waitFor();
  assert.deepEqual((await api.call('GET', `${base}/media`, { token })).body.data, []);

  await upload.getByLabel('Audio file').setInputFiles(wav);
  await upload.getByLabel('Name', { exact: true }).fill('tone');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await upload.waitFor({ state: 'hidden' });
  const row = page.getByRole('row', { name: /tone/ });
  await row.getByText('1.0 s').waitFor();

  // Drag-and-drop onto the page opens the upload with the file in it.
  const bytes = encodeWav(sine(660, 0.5, 8000), 8000).toString('base64');
  const drop = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([raw], 'dropped-beep.wav', { type: 'audio/wav' }));
    return dt;
  }, bytes);
  await page.dispatchEvent('[data-testid=media-page]', 'dragenter', { dataTransfer: drop });
  await page.getByText('Drop the audio file to upload it').waitFor();
  await page.dispatchEvent('[data-testid=media-page]', 'drop', { dataTransfer: drop });
  await upload.waitFor();
  assert.equal(await upload.getByLabel('Name', { exact: true }).inputValue(), 'dropped beep');
  await upload.getByRole('button', { name: 'Upload' }).click();
  await upload.waitFor({ state: 'hidden' });
  await page
    .getByRole('row', { name: /dropped beep/ })
    .getByText('0.5 s')
    .waitFor();

  // Played in the browser from a blob: URL, and its duration loads.
  await page.getByRole('button', { name: 'Play tone' }).click();
  const audio = page.getByLabel('Audio of tone');
  await audio.waitFor();
  const played = await page.waitForFunction(
    () => {
      const a = document.querySelector<HTMLAudioElement>('audio[aria-label="Audio of tone"]');
      return a && a.src.startsWith('blob:') && Number.isFinite(a.duration) && a.duration > 0
        ? { src: a.src, duration: a.duration }
        : undefined;
    },
    undefined,
    { timeout: 10_000 },
  );
  const { duration } = (await played.jsonValue())!;
  assert.ok(Math.abs(duration - 1) < 0.05, `duration ${duration}`);

  // Text to speech: synthesised on save, listed with its duration.
  await page.getByRole('button', { name: '+ Text to speech' }).click();
  const tts = page.getByRole('dialog', { name: 'New text-to-speech prompt' });
  await tts.getByLabel('Name', { exact: true }).fill('Welcome');
  await tts.getByLabel('Text to speak').fill('Thank you for calling Pivot.');
  await tts.getByLabel('Voice').selectOption('female');
  await tts.getByRole('button', { name: 'Create prompt' }).click();
  await tts.waitFor({ state: 'hidden', timeout: 20_000 });
  const welcome = page.getByRole('row', { name: /Welcome/ });
  await welcome.getByText('TTS · en-US').waitFor();
  const media = (await api.call('GET', `${base}/media`, { token })).body.data as Record<string, any>[];
  const spoken = media.find((m) => m.name === 'Welcome')!;
  assert.equal(spoken.media_source, 'tts');
  assert.equal(spoken.tts.text, 'Thank you for calling Pivot.');
  assert.equal(spoken.tts.voice, 'female');
  assert.ok(spoken.duration_ms > 500, `duration ${spoken.duration_ms}`);
  await welcome.getByRole('button', { name: 'Play Welcome' }).click();
  await page.waitForFunction(() => {
    const a = document.querySelector<HTMLAudioElement>('audio[aria-label="Audio of Welcome"]');
    return !!a && a.src.startsWith('blob:') && a.duration > 0.5;
  });
  await rig.screenshot('media');

  // Rename keeps the audio.
  await page.getByRole('button', { name: 'Rename tone' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename “tone”' });
  await rename.getByLabel('Name', { exact: true }).fill('Tone 440');
  await rename.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('row', { name: /Tone 440/ }).waitFor();
  const renamed = (await api.call('GET', `${base}/media`, { token })).body.data.find(
    (m: { name: string }) => m.name === 'Tone 440',
  );
  assert.equal(renamed.duration_ms, 1000);

  // Search, then delete one.
  await page.getByLabel('Search prompts').fill('calling');
  await page.getByRole('row', { name: /Tone 440/ }).waitFor({ state: 'hidden' });
  await page.getByLabel('Search prompts').fill('');
  await page.getByRole('button', { name: 'Delete dropped beep' }).click();
  await page
    .getByRole('dialog', { name: 'Delete “dropped beep”?' })
    .getByRole('button', { name: 'Delete prompt' })
    .click();
  await page.getByRole('row', { name: /dropped beep/ }).waitFor({ state: 'hidden' });
  const left = (await api.call('GET', `${base}/media`, { token })).body.data.map((m: { name: string }) => m.name);
  assert.deepEqual(left.sort(), ['Tone 440', 'Welcome']);
});

test('users: create one who signs in from another browser (read-only there), edit, new password, delete; not yourself', async () => {
  const { page, api } = rig;
  await page.goto('/users');
  const me = page.getByRole('row', { name: /admin/ }).filter({ hasText: 'you' });
  await me.waitFor();
  await me.getByRole('button', { name: 'Delete admin' }).click();
  await page.getByText('You cannot delete yourself').waitFor();

  await page.getByRole('button', { name: '+ New user' }).click();
  const form = page.getByRole('dialog', { name: 'New user' });
  await form.getByLabel('First name').fill('Bob');
  await form.getByLabel('Last name').fill('Builder');
  await form.getByLabel('Email').fill('not-an-email');
  await form.getByLabel('Username').fill('bob');
  await form.getByLabel('Password', { exact: true }).fill('short');
  await form.getByText('Very weak').or(form.getByText('Weak')).first().waitFor();
  await form.getByRole('button', { name: 'Create user' }).click();
  await form.getByRole('alert').filter({ hasText: 'not an email address' }).waitFor();
  await form.getByLabel('Email').fill('bob@example.com');
  await form.getByLabel('Password', { exact: true }).fill('Can-We-Fix-It-2024');
  await form.getByText('Strong').waitFor();
  await form.getByRole('button', { name: 'Create user' }).click();
  await form.waitFor({ state: 'hidden' });
  await page.getByRole('row', { name: /Bob Builder/ }).waitFor();
  const users = (await api.call('GET', `${base}/users`, { token })).body.data as Record<string, any>[];
  const bob = users.find((u) => u.username === 'bob')!;
  assert.equal(bob.priv_level, 'user');
  assert.equal(bob.email, 'bob@example.com');
  assert.equal(bob.password_hash, undefined, 'never answered');

  // Bob signs in from another browser and sees a read-only Users page (he may edit himself).
  const other = await rig.browser.newContext({ baseURL: api.base, viewport: { width: 1280, height: 800 } });
  other.setDefaultTimeout(10_000);
  try {
    const bobPage = await other.newPage();
    await bobPage.goto('/');
    await bobPage.getByLabel('Account').fill('admin');
    await bobPage.getByLabel('Username').fill('bob');
    await bobPage.getByLabel('Password').fill('Can-We-Fix-It-2024');
    await bobPage.getByRole('button', { name: 'Sign in' }).click();
    await bobPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await bobPage.getByText('Read-only view.').waitFor();
    assert.equal(await bobPage.getByRole('button', { name: '+ New user' }).count(), 0);
    assert.equal(await bobPage.getByRole('button', { name: /^Delete / }).count(), 0);
    await bobPage.getByRole('button', { name: 'Edit bob' }).waitFor();
    assert.equal(await bobPage.getByRole('button', { name: 'Edit admin' }).count(), 0);
    await rig.screenshot('users-read-only', bobPage);
    await bobPage.getByRole('link', { name: 'Numbers' }).click();
    await bobPage.getByText('Read-only view.').waitFor();
    assert.equal(await bobPage.getByRole('button', { name: '+ Add number' }).count(), 0);
  } finally {
    await other.close();
  }

  // Edit: name, email and role are stored.
  await page.getByRole('button', { name: 'Edit bob' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit bob' });
  await edit.getByLabel('Email').fill('bob@builders.example');
  await edit.getByLabel('Role').selectOption('admin');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'hidden' });
  await page.getByRole('row', { name: /bob@builders\.example/ }).waitFor();
  const edited = (await api.call('GET', `${base}/users/${bob.id}`, { token })).body.data;
  assert.equal(edited.email, 'bob@builders.example');
  assert.equal(edited.priv_level, 'admin');

  // A new password: the old one stops working, the new one works.
  await page.getByRole('button', { name: 'Reset password of bob' }).click();
  const reset = page.getByRole('dialog', { name: 'Reset the password of bob' });
  await reset.getByLabel('New password').fill('Scoop-And-Muck-77');
  await reset.getByRole('button', { name: 'Set password' }).click();
  await reset.waitFor({ state: 'hidden' });
  await assert.rejects(api.login('admin', 'bob', 'Can-We-Fix-It-2024'));
  assert.ok(await api.login('admin', 'bob', 'Scoop-And-Muck-77'));
  await rig.screenshot('users');

  await page.getByRole('button', { name: 'Delete bob' }).click();
  await page.getByRole('dialog', { name: 'Delete bob?' }).getByRole('button', { name: 'Delete user' }).click();
  await page.getByRole('row', { name: /Bob Builder/ }).waitFor({ state: 'hidden' });
  assert.equal((await api.call('GET', `${base}/users/${bob.id}`, { token })).status, 404);
});

test('on a phone-sized screen every page fits the width, and the app logged no errors', async () => {
  const page = await rig.context.newPage();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const [path, heading] of [
      ['/numbers', 'Numbers'],
      ['/devices', 'Devices'],
      ['/media', 'Media'],
      ['/users', 'Users'],
    ]) {
      await page.goto(path);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.locator('.loading').waitFor({ state: 'detached' });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 390, `${path} is ${wide}px wide`);
    }
    await rig.screenshot('phone-users', page);
    // A device's credentials fit the phone's screen too.
    const made = await rig.api.call('PUT', `${base}/devices`, { token, data: { name: 'Pocket' } });
    assert.equal(made.status, 201);
    await page.goto('/devices');
    await page.getByRole('button', { name: 'Credentials of Pocket' }).click();
    const creds = page.getByRole('dialog', { name: 'SIP credentials of “Pocket”' });
    await creds.getByLabel('SIP username', { exact: true }).waitFor();
    const box = (await creds.boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the dialog spans ${box.x}..${box.x + box.width}`);
    assert.ok(await creds.evaluate((d) => d.scrollWidth <= d.clientWidth), 'the dialog does not scroll sideways');
    await rig.screenshot('phone-device-credentials', page);
    await creds.getByRole('button', { name: 'Done' }).click();
  } finally {
    await page.close();
  }
  // Refused requests (409, 400) are logged by Chromium as failed resources: they are the tests' own doing.
  assert.deepEqual(
    rig.errors.filter((e) => !/Failed to load resource/.test(e)),
    [],
  );
});
