import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hangupAt, press } from '../../../src/call/scripted.js';
import { PROMPTS } from '../../../src/callflow/modules/voicemail.js';
import { harness } from '../../helpers/callflow.js';
import { play, played, runCall, said } from './helpers.js';

async function withBox(fields: Record<string, unknown> = {}) {
  const h = await harness();
  const box = await h.store.vmboxes.create(h.accountId, { mailbox: '1001', name: 'Bob', pin: '1234', ...fields });
  return { h, box };
}

test('voicemail compose: greeting, beep, record; the message is stored with its file', async () => {
  const { h, box } = await withBox();
  const call = await h.run(
    { module: 'voicemail', data: { id: box.id } },
    { callerId: { number: '+15550001111', name: 'Carol' } },
  );
  assert.equal(call.entries('answer').length, 1);
  assert.deepEqual(said(call), [PROMPTS.greeting('1001'), PROMPTS.thankYou]);
  assert.equal(call.entries('beep').length, 1);
  const [rec] = call.entries('record');
  assert.equal(rec.maxLengthMs, 500_000);
  assert.equal(rec.silenceTimeoutMs, 5000);
  assert.equal(rec.terminators, '#');

  const messages = await h.store.voicemailMessages.listForBox(h.accountId, box.id);
  assert.equal(messages.length, 1);
  const [msg] = messages;
  assert.equal(msg.folder, 'new');
  assert.equal(msg.caller_id_number, '+15550001111');
  assert.equal(msg.caller_id_name, 'Carol');
  assert.equal(msg.duration_ms, 3000, 'three seconds of speech, trailing silence trimmed');
  assert.ok(msg.path && msg.path.startsWith(join(h.services.dataDir, 'voicemail', h.accountId, box.id)));
  assert.ok(existsSync(msg.path!), 'the recording file was kept under the data dir');
  assert.equal(call.entries('hangup')[0].by, 'local', 'nothing after the module: the call ends');
});

test('voicemail compose: the box greeting media plays; a too-short message is not stored', async () => {
  const { h, box } = await withBox({ media: { unavailable: 'greeting-media' } });
  const call = await h.run(
    { module: 'voicemail', data: { id: box.id, max_message_length: 60 } },
    { script: { speakMs: 400 } },
  );
  assert.deepEqual(played(call), ['greeting-media']);
  assert.equal(call.entries('record')[0].maxLengthMs, 60_000);
  assert.deepEqual(said(call), [PROMPTS.instructions, PROMPTS.tooShort, PROMPTS.goodbye]);
  assert.equal((await h.store.voicemailMessages.listForBox(h.accountId, box.id)).length, 0);
});

test('voicemail compose: hanging up after speaking still leaves the message', async () => {
  const { h, box } = await withBox({ skip_greeting: true });
  const call = await h.run({ module: 'voicemail', data: { id: box.id } }, { script: { events: [hangupAt(2500)] } });
  assert.deepEqual(said(call), []);
  const [msg] = await h.store.voicemailMessages.listForBox(h.accountId, box.id);
  assert.equal(msg.duration_ms, 2500);
  assert.equal(call.entries('hangup')[0].by, 'remote');
});

test('voicemail compose: a full box says so and goes on to _ (max_message_count)', async () => {
  const { h, box } = await withBox({ max_message_count: 1 });
  await h.store.voicemailMessages.add(h.accountId, { vmbox_id: box.id, path: '/nowhere.wav' });
  const call = await h.run({ module: 'voicemail', data: { id: box.id }, children: { _: play('after') } });
  assert.deepEqual(said(call), [PROMPTS.full]);
  assert.equal(call.entries('record').length, 0);
  assert.deepEqual(played(call), ['after']);
});

test('voicemail compose to an unknown box goes on to _', async () => {
  const h = await harness();
  const call = await h.run({
    module: 'voicemail',
    data: { id: '0123456789abcdef0123456789abcdef' },
    children: { _: play('operator') },
  });
  assert.deepEqual(said(call), [PROMPTS.noBox]);
  assert.deepEqual(played(call), ['operator']);
});

async function boxWithMessages() {
  const { h, box } = await withBox();
  const dir = mkdtempSync(join(tmpdir(), 'vm-test-'));
  const file = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, 'RIFF');
    return path;
  };
  const first = await h.store.voicemailMessages.add(h.accountId, {
    vmbox_id: box.id,
    caller_id_number: '+15550001111',
    path: file('first.wav'),
    created: 1000,
  });
  const second = await h.store.voicemailMessages.add(h.accountId, {
    vmbox_id: box.id,
    caller_id_number: '+15550002222',
    path: file('second.wav'),
    created: 2000,
  });
  return { h, box, first, second };
}

test('voicemail check: wrong PIN then right, play each message, save the first, delete the second', async () => {
  const { h, box, first, second } = await boxWithMessages();
  // PIN prompt 0–2.75 s: "0000#" at 3 s fails; the second prompt ends at 6.95 s: "1234#" at 7.5 s.
  // Counts and "Message 1 of 2" until 10.95 s, the message plays until 12.95 s, the menu starts: 2 at 14 s.
  // "Message saved", "Message 2 of 2" until 15.45 s, it plays until 17.45 s, the menu starts: 7 at 18 s.
  const call = await h.run(
    { module: 'voicemail', data: { id: box.id, action: 'check' } },
    {
      script: {
        events: [...press('0000#', 3000), ...press('1234#', 7500), ...press('2', 14000), ...press('7', 18000)],
      },
    },
  );
  assert.deepEqual(said(call), [
    PROMPTS.enterPin,
    PROMPTS.badPin,
    PROMPTS.enterPin,
    PROMPTS.counts(2, 0),
    PROMPTS.message(1, 2),
    PROMPTS.messageMenu,
    PROMPTS.saved,
    PROMPTS.message(2, 2),
    PROMPTS.messageMenu,
    PROMPTS.deleted,
    PROMPTS.noMore,
    PROMPTS.goodbye,
  ]);
  assert.deepEqual(
    call.entries('play').map((e) => e.source),
    [
      { kind: 'file', path: first.path },
      { kind: 'file', path: second.path },
    ],
  );
  assert.equal((await h.store.voicemailMessages.get(h.accountId, first.id))?.folder, 'saved');
  assert.equal((await h.store.voicemailMessages.get(h.accountId, second.id))?.folder, 'deleted');
});

test('voicemail check: 1 replays, # skips, 0 exits', async () => {
  const { h, box, first } = await boxWithMessages();
  // Logged in at 0.5 s (PIN typed ahead); counts until 2.8 s, "Message 1 of 2" until 3.55 s, play until 5.55 s;
  // 1 at 6 s replays (intro until 6.75 s, play until 8.75 s); # at 11 s; 0 at 11.3 s cuts message 2's intro.
  const call = await h.run(
    { module: 'voicemail', data: { id: box.id, action: 'check' } },
    {
      script: {
        events: [...press('1234#', 100), ...press('1', 6000), ...press('#', 11000), ...press('0', 11300)],
      },
    },
  );
  const plays = call.entries('play').map((e) => (e.source as { path: string }).path);
  assert.equal(plays[0], first.path);
  assert.equal(plays[1], first.path, 'replayed');
  assert.equal(plays.length, 2, '# skipped to message 2, whose intro 0 interrupted before it played');
  assert.equal(said(call).at(-1), PROMPTS.goodbye);
  assert.ok(!said(call).includes(PROMPTS.noMore), 'exited before the end');
  const folders = (await h.store.voicemailMessages.listForBox(h.accountId, box.id)).map((m) => m.folder);
  assert.deepEqual(folders, ['new', 'new'], 'nothing saved or deleted');
});

test('voicemail check: the mailbox number is asked when no id is given; 3 wrong PINs hang up', async () => {
  const { h } = await withBox();
  const call = await h.run(
    { module: 'voicemail', data: { action: 'check' }, children: { _: play('after') } },
    {
      script: {
        events: [...press('1001#', 500), ...press('1#', 4000), ...press('2#', 9000), ...press('3#', 14000)],
      },
    },
  );
  assert.deepEqual(said(call), [
    PROMPTS.enterMailbox,
    PROMPTS.enterPin,
    PROMPTS.badPin,
    PROMPTS.enterPin,
    PROMPTS.badPin,
    PROMPTS.enterPin,
    PROMPTS.badPin,
    PROMPTS.goodbye,
  ]);
  assert.deepEqual(played(call), []);
  assert.equal(call.entries('hangup')[0].by, 'local');
});

test('voicemail check: callerid_match_login finds the owner’s box; require_pin false skips the PIN', async () => {
  const h = await harness();
  const owner = await h.store.users.create(h.accountId, { username: 'bob' });
  const desk = await h.store.devices.create(h.accountId, { name: 'Desk', owner_id: owner.id });
  await h.store.vmboxes.create(h.accountId, { mailbox: '2002', owner_id: owner.id, pin: '0000' });
  await h.store.vmboxes.create(h.accountId, { mailbox: '1001', owner_id: owner.id, pin: '1234', require_pin: false });
  const call = await runCall(
    h,
    { module: 'voicemail', data: { action: 'check', callerid_match_login: true } },
    { callerId: { number: '1001' } },
    { device_id: desk.id },
  );
  assert.deepEqual(said(call), [PROMPTS.counts(0, 0), PROMPTS.goodbye]);

  // single_mailbox_login needs exactly one box: with two, the mailbox number is asked.
  const asked = await runCall(
    h,
    { module: 'voicemail', data: { action: 'check', single_mailbox_login: true } },
    { script: { events: [hangupAt(1000)] } },
    { device_id: desk.id },
  );
  assert.deepEqual(said(asked), [PROMPTS.enterMailbox]);
});
