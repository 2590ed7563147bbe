import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowNode } from '../../../src/callflow/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import {
  GREGORIAN_EPOCH_OFFSET,
  TEMPORAL_PROMPTS,
  localTime,
  ruleMatches,
  type TemporalRule,
} from '../../../src/callflow/modules/temporal_route.js';
import { harness } from '../../helpers/callflow.js';
import { said, sayNode } from './_probe.js';

// Wednesday 2024-03-13 15:30 UTC: 11:30 Wednesday in New York (EDT), 08:30 in Los Angeles (PDT),
// 15:30 in London (GMT), 00:30 Thursday in Tokyo.
const NOW = Date.UTC(2024, 2, 13, 15, 30);
const gregorian = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000 + GREGORIAN_EPOCH_OFFSET;
const OFFICE_HOURS: TemporalRule = {
  cycle: 'weekly',
  wdays: ['monday', 'tuesday', 'wensday', 'thursday', 'friday'],
  time_window_start: 9 * 3600,
  time_window_stop: 17 * 3600,
};

test('temporal_route: schema', () => {
  const ok = flowValidator().validate({ module: 'temporal_route', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { rules: [] });
  const bad = flowValidator().validate({ module: 'temporal_route', data: { rules: 'abc', action: 'toggle' } });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.path).sort(), ['flow.data.action', 'flow.data.rules']);
});

test('localTime: calendar fields in a time zone, DST included', () => {
  assert.deepEqual(localTime(NOW, 'America/New_York'), {
    year: 2024,
    month: 3,
    day: 13,
    wday: 3,
    dayNumber: Date.UTC(2024, 2, 13) / 86400000,
    seconds: 11.5 * 3600,
  });
  assert.equal(localTime(NOW, 'Asia/Tokyo').wday, 4);
  assert.equal(localTime(NOW, 'Asia/Tokyo').seconds, 1800);
  assert.equal(localTime(Date.UTC(2024, 0, 13, 15, 30), 'America/New_York').seconds, 10.5 * 3600); // EST
});

test('ruleMatches: weekly office hours across time zones', () => {
  assert.equal(ruleMatches(OFFICE_HOURS, NOW, 'America/New_York'), true);
  assert.equal(ruleMatches(OFFICE_HOURS, NOW, 'Europe/London'), true);
  assert.equal(ruleMatches(OFFICE_HOURS, NOW, 'America/Los_Angeles'), false); // 08:30
  assert.equal(ruleMatches(OFFICE_HOURS, NOW, 'Asia/Tokyo'), false); // 00:30 Thursday
  assert.equal(ruleMatches({ ...OFFICE_HOURS, time_window_start: 0 }, NOW, 'Asia/Tokyo'), true);
  assert.equal(ruleMatches({ ...OFFICE_HOURS, wdays: ['saturday', 'sunday'] }, NOW, 'UTC'), false);
  assert.equal(ruleMatches({ cycle: 'weekly' }, NOW, 'UTC'), true); // no wdays: every day
});

test('ruleMatches: every cycle, with intervals, ordinals and start dates', () => {
  const utc = (rule: TemporalRule) => ruleMatches(rule, NOW, 'UTC');
  // date
  assert.equal(utc({ cycle: 'date', start_date: gregorian(2024, 3, 13) }), true);
  assert.equal(utc({ cycle: 'date', start_date: gregorian(2024, 3, 12) }), false);
  assert.equal(utc({ cycle: 'date', start_date: Date.UTC(2024, 2, 13) / 1000 }), true); // Unix seconds
  assert.equal(ruleMatches({ cycle: 'date', start_date: gregorian(2024, 3, 13) }, NOW, 'Asia/Tokyo'), false);
  // daily
  assert.equal(utc({ cycle: 'daily' }), true);
  assert.equal(utc({ cycle: 'daily', interval: 2, start_date: gregorian(2024, 3, 1) }), true);
  assert.equal(utc({ cycle: 'daily', interval: 2, start_date: gregorian(2024, 3, 2) }), false);
  assert.equal(utc({ cycle: 'daily', start_date: gregorian(2024, 3, 14) }), false); // starts tomorrow
  // weekly every other week: 2024-02-28 is two weeks before, 2024-03-06 one week before
  assert.equal(utc({ cycle: 'weekly', interval: 2, wdays: ['wednesday'], start_date: gregorian(2024, 2, 28) }), true);
  assert.equal(utc({ cycle: 'weekly', interval: 2, wdays: ['wednesday'], start_date: gregorian(2024, 3, 6) }), false);
  // monthly: days, or the nth weekday (13 March 2024 is the second Wednesday)
  assert.equal(utc({ cycle: 'monthly', days: [1, 13] }), true);
  assert.equal(utc({ cycle: 'monthly', days: [14] }), false);
  assert.equal(utc({ cycle: 'monthly', ordinal: 'second', wdays: ['wednesday'] }), true);
  assert.equal(utc({ cycle: 'monthly', ordinal: 'first', wdays: ['wednesday'] }), false);
  assert.equal(utc({ cycle: 'monthly', ordinal: 'every', wdays: ['wednesday'] }), true);
  assert.equal(utc({ cycle: 'monthly', ordinal: 'last', wdays: ['wednesday'] }), false);
  assert.equal(
    ruleMatches({ cycle: 'monthly', ordinal: 'last', wdays: ['wednesday'] }, Date.UTC(2024, 2, 27, 12), 'UTC'),
    true,
  );
  assert.equal(utc({ cycle: 'monthly', interval: 2, days: [13], start_date: gregorian(2024, 1, 5) }), true);
  assert.equal(utc({ cycle: 'monthly', interval: 2, days: [13], start_date: gregorian(2024, 2, 5) }), false);
  // yearly
  assert.equal(utc({ cycle: 'yearly', month: 3, days: [13] }), true);
  assert.equal(utc({ cycle: 'yearly', month: 4, days: [13] }), false);
  assert.equal(utc({ cycle: 'yearly', month: 3, ordinal: 'second', wdays: ['wednesday'] }), true);
  assert.equal(utc({ cycle: 'yearly', interval: 2, month: 3, days: [13], start_date: gregorian(2023, 1, 1) }), false);
  // enabled overrides; unknown cycles never match
  assert.equal(utc({ cycle: 'yearly', month: 4, days: [1], enabled: true }), true);
  assert.equal(utc({ cycle: 'daily', enabled: false }), false);
  assert.equal(utc({ cycle: 'hourly' }), false);
});

async function setup(now = NOW) {
  const h = await harness({ now: () => now });
  const rule = async (doc: object) => (await h.store.temporalRules.create(h.accountId, { name: 'rule', ...doc })).id;
  return { h, rule };
}

test('temporal_route: the child of the first matching rule, else `_`; the time zone comes from data, rule, account', async () => {
  const { h, rule } = await setup();
  const closed = await rule({ cycle: 'weekly', wdays: ['saturday', 'sunday'] });
  const office = await rule(OFFICE_HOURS);
  const flow = (data: Record<string, unknown>): FlowNode => ({
    module: 'temporal_route',
    data: { rules: [closed, office], ...data },
    children: { [closed]: sayNode('Closed'), [office]: sayNode('Open'), _: sayNode('After hours') },
  });
  assert.deepEqual(said(await h.run(flow({}))), ['Open']); // UTC 15:30
  assert.deepEqual(said(await h.run(flow({ timezone: 'America/Los_Angeles' }))), ['After hours']);
  assert.deepEqual(said(await h.run(flow({ timezone: 'America/New_York' }))), ['Open']);
  await h.store.accounts.update(h.accountId, { timezone: 'Asia/Tokyo' });
  assert.deepEqual(said(await h.run(flow({}))), ['After hours']);
  await h.store.temporalRules.update(h.accountId, office, { timezone: 'Europe/London' });
  assert.deepEqual(said(await h.run(flow({}))), ['Open']);
  assert.deepEqual(said(await h.run(flow({ timezone: 'Invalid/Zone' }))), ['Open']); // falls back to UTC
  assert.ok(h.log.lines.some((l) => String(l.msg).includes('unknown time zone')));
});

test('temporal_route: children keys are rules too; enabled forces; rules starting later are ignored', async () => {
  const { h, rule } = await setup();
  const holiday = await rule({ cycle: 'yearly', month: 12, days: [25] });
  const later = await rule({ cycle: 'daily', start_date: gregorian(2024, 4, 1) });
  const daily = await rule({ cycle: 'daily' });
  const flow: FlowNode = {
    module: 'temporal_route',
    data: {},
    children: { [holiday]: sayNode('Holiday'), [later]: sayNode('Later'), [daily]: sayNode('Daily') },
  };
  assert.deepEqual(said(await h.run(flow)), ['Daily']);
  await h.store.temporalRules.update(h.accountId, holiday, { enabled: true });
  assert.deepEqual(said(await h.run(flow)), ['Holiday']);
  await h.store.temporalRules.update(h.accountId, holiday, { enabled: null });
  await h.store.temporalRules.update(h.accountId, daily, { enabled: false });
  assert.deepEqual(said(await h.run(flow)), []);
});

test('temporal_route: rule sets — `rule_set` matches take the `rule_set` child, a set id as key matches any member', async () => {
  const { h, rule } = await setup();
  const xmas = await rule({ cycle: 'yearly', month: 12, days: [25] });
  const today = await rule({ cycle: 'date', start_date: gregorian(2024, 3, 13) });
  const set = await rule({ temporal_rules: [xmas, today] });
  const bySet = await h.run({
    module: 'temporal_route',
    data: { rule_set: set },
    children: { rule_set: sayNode('Holiday set'), _: sayNode('Normal day') },
  });
  assert.deepEqual(said(bySet), ['Holiday set']);
  const byKey = await h.run({
    module: 'temporal_route',
    data: {},
    children: { [set]: sayNode('Holiday by key'), _: sayNode('Normal day') },
  });
  assert.deepEqual(said(byKey), ['Holiday by key']);
  const missing = await h.run({
    module: 'temporal_route',
    data: { rules: ['nope'] },
    children: { _: sayNode('Normal day') },
  });
  assert.deepEqual(said(missing), ['Normal day']);
});

test('temporal_route: enable, disable and reset set the override of the rules, then continue', async () => {
  const { h, rule } = await setup();
  const a = await rule({ cycle: 'daily' });
  const b = await rule({ cycle: 'daily' });
  const action = (name: string) =>
    h.run({ module: 'temporal_route', data: { action: name, rules: [a, b] }, children: { _: sayNode('Done') } });
  assert.deepEqual(said(await action('disable')), [TEMPORAL_PROMPTS.disable, 'Done']);
  assert.deepEqual(
    (await Promise.all([a, b].map((id) => h.store.temporalRules.get(h.accountId, id)))).map((d) => d?.enabled),
    [false, false],
  );
  await action('enable');
  assert.equal((await h.store.temporalRules.get(h.accountId, a))?.enabled, true);
  await action('reset');
  assert.equal('enabled' in ((await h.store.temporalRules.get(h.accountId, a)) ?? {}), false);
});

test('temporal_route: the menu action lets the caller pick enable (1), disable (2) or reset (3)', async () => {
  const { h, rule } = await setup();
  const a = await rule({ cycle: 'daily' });
  const call = await h.run(
    { module: 'temporal_route', data: { action: 'menu', rules: [a] }, children: { _: sayNode('Done') } },
    { script: { events: [{ at: 1000, dtmf: '2' }] } },
  );
  assert.deepEqual(said(call), [TEMPORAL_PROMPTS.menu, TEMPORAL_PROMPTS.disable, 'Done']);
  assert.equal((await h.store.temporalRules.get(h.accountId, a))?.enabled, false);
});
