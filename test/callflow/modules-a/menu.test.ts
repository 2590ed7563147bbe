import { test } from 'node:test';
import assert from 'node:assert/strict';
import { press } from '../../../src/call/scripted.js';
import type { FlowNode } from '../../../src/callflow/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { MENU_PROMPTS } from '../../../src/callflow/modules/menu.js';
import { harness, type Harness } from '../../helpers/callflow.js';
import { said, sayNode } from './_probe.js';

const GREETING = 'Press 1 for sales'; // 17 characters: 850 ms of speech

async function setup(doc: Record<string, unknown> = {}, children: Record<string, FlowNode> = {}) {
  const h = await harness();
  const menu = await h.store.menus.create(h.accountId, {
    name: 'Main',
    media: { greeting: `tts://${GREETING}` },
    ...doc,
  });
  const flow: FlowNode = {
    module: 'menu',
    data: { id: menu.id },
    children: { '1': sayNode('Sales'), '2': sayNode('Support'), ...children },
  };
  return { h, flow };
}

test('menu: schema', () => {
  assert.ok(flowValidator().validate({ module: 'menu', data: { id: 'abc' } }).ok);
  const bad = flowValidator().validate({ module: 'menu', data: { id: 'abc', interdigit_timeout: 'soon' } });
  assert.ok(!bad.ok);
  assert.equal(bad.errors[0].path, 'flow.data.interdigit_timeout');
});

test('menu: a key pressed during the greeting routes to its child after the interdigit timeout', async () => {
  const { h, flow } = await setup();
  const call = await h.run(flow, { script: { events: press('1', 500) } });
  assert.equal(call.entries('answer')[0].t, 0);
  assert.equal(call.entries('say_stopped')[0].t, 500);
  const [done] = call.entries('collect_done');
  assert.deepEqual([done.t, done.digits], [500 + 2000, '1']);
  assert.deepEqual(said(call), [GREETING, 'Sales']);
  assert.equal(call.entries('say')[1].t, 2500);
});

test('menu: an invalid entry plays the invalid prompt and the greeting again; then a valid one routes', async () => {
  const { h, flow } = await setup({ interdigit_timeout: 1000 });
  const call = await h.run(flow, { script: { events: [...press('9', 900), ...press('2', 6000)] } });
  assert.deepEqual(said(call), [GREETING, MENU_PROMPTS.invalid, GREETING, 'Support']);
  const says = call.entries('say');
  assert.equal(says[1].t, 900 + 1000); // the invalid prompt follows the interdigit timeout
  assert.equal(call.entries('collect_done')[1].t, 6000 + 1000);
});

test('menu: custom invalid media, or none', async () => {
  const custom = await setup({ media: { greeting: `tts://${GREETING}`, invalid_media: 'tts://Nope' }, retries: 1 });
  const c1 = await custom.h.run(custom.flow, { script: { events: press('5', 100) } });
  assert.deepEqual(said(c1), [GREETING, 'Nope', MENU_PROMPTS.exit, MENU_PROMPTS.goodbye]);
  const silent = await setup({ media: { invalid_media: false, exit_media: false }, retries: 1 });
  const c2 = await silent.h.run(silent.flow, { script: { events: press('5', 100) } });
  assert.deepEqual(said(c2), [MENU_PROMPTS.goodbye]);
});

test('menu: no input retries silently; after `retries` timeouts the max_retries child runs', async () => {
  const { h, flow } = await setup(
    { retries: 2, timeout: 3000 },
    { max_retries: sayNode('Too many tries'), _: sayNode('Operator') },
  );
  const call = await h.run(flow);
  assert.deepEqual(said(call), [GREETING, GREETING, MENU_PROMPTS.exit, 'Too many tries']);
  const collects = call.entries('collect_done');
  assert.deepEqual(
    collects.map((c) => [c.t, c.reason]),
    [
      [850 + 3000, 'timeout'],
      [2 * (850 + 3000), 'timeout'],
    ],
  );
});

test('menu: without max_retries the `_` child follows a transfer prompt; a `timeout` child is taken at once', async () => {
  const a = await setup({ retries: 1, timeout: 1000 }, { _: sayNode('Operator') });
  const c1 = await a.h.run(a.flow);
  assert.deepEqual(said(c1), [GREETING, MENU_PROMPTS.exit, MENU_PROMPTS.transfer, 'Operator']);
  const b = await setup({ retries: 3, timeout: 1000 }, { timeout: sayNode('Nobody there?') });
  const c2 = await b.h.run(b.flow);
  assert.deepEqual(said(c2), [GREETING, 'Nobody there?']);
});

async function addExtension(h: Harness, number: string, text: string) {
  await h.store.callflows.create(h.accountId, { numbers: [number], flow: sayNode(text) });
}

test('menu: hunt dials an extension of the account and returns to `_` after it', async () => {
  const { h, flow } = await setup({ hunt_deny: '^9' }, { _: sayNode('Back in the main flow') });
  await addExtension(h, '1001', 'Extension 1001');
  const call = await h.run(flow, { script: { events: press('1001', 300) } });
  assert.equal(call.entries('collect_done')[0].digits, '1001');
  assert.equal(call.entries('collect_done')[0].reason, 'max_digits');
  assert.deepEqual(said(call), [GREETING, MENU_PROMPTS.transfer, 'Extension 1001', 'Back in the main flow']);
  assert.equal(h.steps.filter((s) => s.module === 'menu').length, 1);
});

test('menu: hunt_allow / hunt_deny and hunt=false keep the caller in the menu', async () => {
  for (const doc of [{ hunt_deny: '^10' }, { hunt_allow: '^2' }, { hunt: false }]) {
    const { h, flow } = await setup({ ...doc, retries: 1 });
    await addExtension(h, '1001', 'Extension 1001');
    const call = await h.run(flow, { script: { events: press('1001', 300) } });
    assert.deepEqual(
      said(call),
      [GREETING, MENU_PROMPTS.invalid, MENU_PROMPTS.exit, MENU_PROMPTS.goodbye],
      JSON.stringify(doc),
    );
  }
});

test('menu: a missing menu document runs with defaults and no greeting', async () => {
  const h = await harness();
  const call = await h.run(
    { module: 'menu', data: { id: 'missing' }, children: { '3': sayNode('Three') } },
    { script: { events: press('3', 1000) } },
  );
  assert.deepEqual(said(call), ['Three']);
  assert.equal(call.entries('collect')[0].timeoutMs, 10000);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && String(l.msg).includes('menu document not found')));
});

test('menu: hanging up in the menu ends the callflow', async () => {
  const { h, flow } = await setup({}, { _: sayNode('Operator') });
  const call = await h.run(flow, { script: { events: [{ at: 3000, hangup: true }] } });
  assert.deepEqual(said(call), [GREETING]);
  assert.equal(call.endedAt, 3000);
});
