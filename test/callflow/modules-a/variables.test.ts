import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowNode } from '../../../src/callflow/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { harness } from '../../helpers/callflow.js';
import { chain, probe, probeNode, said, sayNode } from './_probe.js';

test('set_variables: custom application vars reach the next Pivot request; null removes one', async () => {
  const ok = flowValidator().validate({ module: 'set_variables', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { custom_application_vars: {} });
  const bad = flowValidator().validate({ module: 'set_variables', data: { custom_application_vars: 'x=1' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.custom_application_vars');

  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  await h.run(
    chain(
      { module: 'set_variables', data: { custom_application_vars: { plan: 'gold', tries: 2, gone: 'x' } } },
      { module: 'set_variables', data: { custom_application_vars: { gone: null }, export: true } },
      probeNode(),
    ),
  );
  assert.deepEqual(seen[0].appVars, { plan: 'gold', tries: '2' });
});

test('set_variable: sets a channel var; without a value nothing is set', async () => {
  const ok = flowValidator().validate({ module: 'set_variable', data: { variable: 'x', value: '1' } });
  assert.ok(ok.ok && ok.flow.data.channel === 'a');
  const bad = flowValidator().validate({ module: 'set_variable', data: { variable: 'x', channel: 'b' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.channel');

  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  await h.run(
    chain(
      { module: 'set_variable', data: { variable: 'queue', value: 'sales', channel: 'both' } },
      { module: 'set_variable', data: { variable: 'empty' } },
      probeNode(),
    ),
  );
  assert.deepEqual(seen[0].vars, { queue: 'sales' });
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && String(l.msg).includes('set_variable')));
});

const branches = (children: Record<string, string>): Record<string, FlowNode> =>
  Object.fromEntries(Object.entries(children).map(([k, text]) => [k, sayNode(text)]));

test('branch_variable: the child keyed by a channel var (then an app var), else `_`', async () => {
  const ok = flowValidator().validate({ module: 'branch_variable', data: { variable: 'x' } });
  assert.ok(ok.ok && ok.flow.data.scope === 'custom_channel_vars');
  const missing = flowValidator().validate({ module: 'branch_variable', data: {} });
  assert.ok(!missing.ok && missing.errors[0].path === 'flow.data.variable' && missing.errors[0].rule === 'required');
  const badScope = flowValidator().validate({ module: 'branch_variable', data: { variable: 'x', scope: 'global' } });
  assert.ok(!badScope.ok && badScope.errors[0].path === 'flow.data.scope');

  const h = await harness();
  const run = (set: FlowNode, variable: string) =>
    h.run(
      chain(set, {
        module: 'branch_variable',
        data: { variable },
        children: branches({ sales: 'Sales', support: 'Support', _: 'Default' }),
      }),
    );
  const byChannelVar = await run(
    { module: 'set_variable', data: { variable: 'Queue-Name', value: 'sales' } },
    'queue_name',
  );
  assert.deepEqual(said(byChannelVar), ['Sales']);
  const byAppVar = await run(
    { module: 'set_variables', data: { custom_application_vars: { queue: 'support' } } },
    'queue',
  );
  assert.deepEqual(said(byAppVar), ['Support']);
  const unknownValue = await run({ module: 'set_variable', data: { variable: 'queue', value: 'billing' } }, 'queue');
  assert.deepEqual(said(unknownValue), ['Default']);
  const unset = await run({ module: 'answer', data: {} }, 'nothing');
  assert.deepEqual(said(unset), ['Default']);
});

test('branch_variable: account, device, user and merged scopes; booleans as "true"/"false"', async () => {
  const h = await harness();
  await h.store.accounts.update(h.accountId, { vip: true, tier: 'gold' });
  const user = await h.store.users.create(h.accountId, { username: 'ann', department: 'sales' });
  const device = await h.store.devices.create(h.accountId, { name: 'desk', owner_id: user.id, tier: 'silver' });
  const node = (variable: string, scope: string): FlowNode => ({
    module: 'branch_variable',
    data: { variable, scope },
    children: branches({ true: 'VIP', false: 'Regular', gold: 'Gold', silver: 'Silver', sales: 'Sales', _: 'Default' }),
  });
  // The routing layer sets `device_id` for a registered device; Kazoo's `authorizing_id` works too.
  const asDevice: FlowNode = { module: 'set_variable', data: { variable: 'device_id', value: device.id } };
  const asKazooDevice: FlowNode = { module: 'set_variable', data: { variable: 'Authorizing-ID', value: device.id } };
  const cases: [FlowNode, string][] = [
    [node('vip', 'account'), 'VIP'],
    [node('tier', 'account'), 'Gold'],
    [chain(asDevice, node('tier', 'device')), 'Silver'],
    [chain(asDevice, node('department', 'user')), 'Sales'],
    [chain(asDevice, node('tier', 'merged')), 'Silver'],
    [chain(asDevice, node('vip', 'merged')), 'VIP'],
    [chain(asKazooDevice, node('tier', 'device')), 'Silver'],
    [node('tier', 'device'), 'Default'], // no registered device on this call
  ];
  for (const [flow, expected] of cases) assert.deepEqual(said(await h.run(flow)), [expected]);
  await h.store.accounts.update(h.accountId, { vip: false });
  assert.deepEqual(said(await h.run(node('vip', 'account'))), ['Regular']);
});

test('language: sets the call language used by later prompts; the code must look like xx or xx-YY', async () => {
  const bad = flowValidator().validate({ module: 'language', data: { language: 'english' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.language');
  const missing = flowValidator().validate({ module: 'language', data: {} });
  assert.ok(!missing.ok && missing.errors[0].rule === 'required');

  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const call = await h.run(chain({ module: 'language', data: { language: 'fr-ca' } }, probeNode(), sayNode('Bonjour')));
  assert.equal(seen[0].language, 'fr-CA');
  assert.equal(call.entries('say')[0].language, 'fr-CA');
});

test('callflow: branches into a stored callflow and comes back to `_`; a missing one is skipped', async () => {
  assert.ok(flowValidator().validate({ module: 'callflow', data: { id: 'abc' } }).ok);
  const bad = flowValidator().validate({ module: 'callflow', data: { id: 42 } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.id');

  const h = await harness();
  const other = await h.store.callflows.create(h.accountId, { numbers: ['2000'], flow: sayNode('In the other flow') });
  const call = await h.run({ module: 'callflow', data: { id: other.id }, children: { _: sayNode('Back') } });
  assert.deepEqual(said(call), ['In the other flow', 'Back']);
  const missing = await h.run({ module: 'callflow', data: { id: 'nope' }, children: { _: sayNode('Skipped') } });
  assert.deepEqual(said(missing), ['Skipped']);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && String(l.msg).includes('not found')));
});
