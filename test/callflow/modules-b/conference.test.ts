import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedWorld, hangupAt, press } from '../../../src/call/scripted.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { PROMPTS } from '../../../src/callflow/modules/conference.js';
import { harness } from '../../helpers/callflow.js';
import { said } from './helpers.js';

test('conferencing documentation example: two callers with the same ad-hoc config.name meet', async () => {
  const h = await harness();
  const flow = { module: 'conference', data: { config: { name: 'My Ad-hoc Conference' } } };
  const checked = flowValidator().validate(flow);
  assert.ok(checked.ok);
  const world = new ScriptedWorld();
  const [a, b] = await Promise.all([
    h.run(checked.flow, { world, script: { events: [hangupAt(20000)] } }),
    h.run(checked.flow, { world, script: { events: [hangupAt(30000)] } }),
  ]);
  const room = `${h.accountId}:My Ad-hoc Conference`;
  for (const call of [a, b]) {
    assert.deepEqual(said(call), [PROMPTS.welcome]);
    assert.equal(call.entries('answer').length, 1);
    assert.deepEqual(
      call.entries('conference_join').map((e) => e.room),
      [room],
    );
    assert.equal(call.entries('conference_waiting').length, 0, 'nobody waits without moderators');
  }
  assert.equal(a.entries('conference_leave')[0].t, 20000);
  assert.equal(b.entries('conference_leave')[0].t, 30000);
});

test('conference rooms are namespaced by account: the same name in two accounts never meets', async () => {
  const h = await harness();
  const other = await h.store.accounts.create({ name: 'Other', realm: 'other.pivot.test' });
  const flow = { module: 'conference', data: { config: { name: 'Standup' }, welcome_prompt: { play: false } } };
  const world = new ScriptedWorld();
  const [a, b] = await Promise.all([
    h.run(flow, { world, script: { events: [hangupAt(5000)] } }),
    h.run(flow, { world, accountId: other.id, script: { events: [hangupAt(5000)] } }),
  ]);
  assert.equal(a.entries('conference_join')[0].room, `${h.accountId}:Standup`);
  assert.equal(b.entries('conference_join')[0].room, `${other.id}:Standup`);
  assert.deepEqual(said(a), [], 'welcome_prompt.play false');
});

test('stored conference with PINs: the member waits (wrong PIN first) until the moderator joins', async () => {
  const h = await harness();
  const conf = await h.store.conferences.create(h.accountId, {
    name: 'Board',
    member: { pins: ['1111'], join_muted: true },
    moderator: { pins: ['9999'] },
  });
  const flow = { module: 'conference', data: { id: conf.id } };
  const world = new ScriptedWorld();
  // Welcome 0–1.3 s, PIN prompt from 1.3 s. The member types a wrong PIN (interrupting the prompt), hears
  // "not valid", is asked again and types the right one; the moderator types theirs at 12 s.
  const [member, moderator] = await Promise.all([
    h.run(flow, { world, script: { events: [...press('0000#', 1500), ...press('1111#', 7000), hangupAt(30000)] } }),
    h.run(flow, { world, script: { events: [...press('9999#', 12000), hangupAt(40000)] } }),
  ]);
  const room = `${h.accountId}:${conf.id}`;
  assert.deepEqual(said(member), [PROMPTS.welcome, PROMPTS.enterPin, PROMPTS.badPin, PROMPTS.enterPin]);
  assert.deepEqual(
    member.entries('collect_done').map((e) => e.digits),
    ['0000', '1111'],
  );
  const [mJoin] = member.entries('conference_join');
  assert.equal(mJoin.room, room);
  assert.equal(mJoin.moderator, undefined);
  assert.equal(mJoin.muted, true, 'member.join_muted');
  assert.equal(member.entries('conference_waiting').length, 1, 'the member waits for a moderator');
  const [started] = member.entries('conference_started');
  const [modJoin] = moderator.entries('conference_join');
  assert.equal(modJoin.moderator, true);
  assert.equal(modJoin.room, room);
  assert.ok(started.t === modJoin.t && started.t > mJoin.t, 'the conference starts when the moderator joins');
  assert.equal(moderator.entries('conference_waiting').length, 0);
});

test('moderator: true skips the PIN; three wrong PINs hang up without joining', async () => {
  const h = await harness();
  const conf = await h.store.conferences.create(h.accountId, {
    name: 'Board',
    member: { pins: ['1111'] },
    moderator: { pins: ['9999'] },
  });
  const mod = await h.run(
    { module: 'conference', data: { id: conf.id, moderator: true, welcome_prompt: { play: false } } },
    { script: { events: [hangupAt(5000)] } },
  );
  assert.deepEqual(said(mod), []);
  assert.equal(mod.entries('conference_join')[0].moderator, true);

  const intruder = await h.run(
    { module: 'conference', data: { id: conf.id, welcome_prompt: { play: false } } },
    { script: { events: [...press('1#', 500), ...press('2#', 6000), ...press('3#', 12000)] } },
  );
  assert.equal(intruder.entries('conference_join').length, 0);
  assert.equal(said(intruder).filter((s) => s === PROMPTS.badPin).length, 3);
  assert.equal(said(intruder).at(-1), PROMPTS.tooManyAttempts);
  assert.equal(intruder.entries('hangup')[0].by, 'local');
});

test('no id or config: the caller types a conference number (and the welcome plays custom media)', async () => {
  const h = await harness();
  const conf = await h.store.conferences.create(h.accountId, {
    name: 'Sales',
    conference_numbers: ['555'],
    play_entry_tone: false,
  });
  const call = await h.run(
    { module: 'conference', data: { welcome_prompt: { media_id: 'welcome-media' } } },
    { script: { events: [...press('4#', 3000), ...press('555#', 9000), hangupAt(20000)] } },
  );
  assert.deepEqual(
    call.entries('play').map((e) => e.source),
    [{ kind: 'media', id: 'welcome-media' }],
  );
  assert.deepEqual(said(call), [PROMPTS.enterNumber, PROMPTS.badNumber, PROMPTS.enterNumber]);
  assert.equal(call.entries('conference_join')[0].room, `${h.accountId}:${conf.id}`);
});

test('a missing stored conference goes to _; a full one says so and hangs up', async () => {
  const h = await harness();
  const missing = await h.run({
    module: 'conference',
    data: { id: '0123456789abcdef0123456789abcdef' },
    children: { _: { module: 'play', data: { id: 'fallback' } } },
  });
  assert.equal(missing.entries('conference_join').length, 0);
  assert.equal(missing.entries('play').length, 1);

  const conf = await h.store.conferences.create(h.accountId, { name: 'Tiny', max_participants: 1 });
  const flow = { module: 'conference', data: { id: conf.id, welcome_prompt: { play: false } } };
  const world = new ScriptedWorld();
  const [first, second] = await Promise.all([
    h.run(flow, { world, script: { events: [hangupAt(10000)] } }),
    h.run(flow, { world, script: { events: [hangupAt(10000)] } }),
  ]);
  assert.equal(first.entries('conference_join').length, 1);
  assert.equal(second.entries('conference_full').length, 1);
  assert.deepEqual(said(second), [PROMPTS.full]);
  assert.equal(second.entries('hangup')[0].by, 'local');
});
