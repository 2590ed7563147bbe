import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowNode } from '../../../src/callflow/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { PREPEND_CID_VAR } from '../../../src/callflow/modules/prepend_cid.js';
import { harness } from '../../helpers/callflow.js';
import { chain, probe, probeNode, said, sayNode } from './_probe.js';

const CALLER = { callerId: { name: 'Ann', number: '+15551230000' } };

test('set_cid: replaces the caller ID; an empty field keeps its value', async () => {
  const ok = flowValidator().validate({ module: 'set_cid', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { caller_id_name: '', caller_id_number: '' });
  const bad = flowValidator().validate({ module: 'set_cid', data: { caller_id_number: 15551234 } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.caller_id_number');

  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  await h.run(
    chain(
      { module: 'set_cid', data: { caller_id_name: 'Acme Support' } },
      probeNode(),
      { module: 'set_cid', data: { caller_id_number: '+15559990000' } },
      probeNode(),
    ),
    CALLER,
  );
  assert.deepEqual(seen[0].callerId, { name: 'Acme Support', number: '+15551230000' });
  assert.deepEqual(seen[1].callerId, { name: 'Acme Support', number: '+15559990000' });
});

test('prepend_cid: prefixes stack with apply_to=current, replace with original, and reset restores', async () => {
  const ok = flowValidator().validate({ module: 'prepend_cid', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, {
    action: 'prepend',
    caller_id_name_prefix: '',
    caller_id_number_prefix: '',
    apply_to: 'current',
  });
  const bad = flowValidator().validate({ module: 'prepend_cid', data: { action: 'append' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.action');

  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const prepend = (name: string, number: string, apply_to = 'current'): FlowNode => ({
    module: 'prepend_cid',
    data: { caller_id_name_prefix: name, caller_id_number_prefix: number, apply_to },
  });
  await h.run(
    chain(
      prepend('Sales: ', '1'),
      probeNode(),
      prepend('VIP ', '2'),
      probeNode(),
      prepend('Support: ', '3', 'original'),
      probeNode(),
      { module: 'prepend_cid', data: { action: 'reset' } },
      probeNode(),
    ),
    CALLER,
  );
  assert.deepEqual(
    seen.map((s) => s.callerId),
    [
      { name: 'Sales: Ann', number: '1+15551230000' },
      { name: 'VIP Sales: Ann', number: '21+15551230000' },
      { name: 'Support: Ann', number: '3+15551230000' },
      { name: 'Ann', number: '+15551230000' },
    ],
  );
  assert.ok(seen[0].vars[PREPEND_CID_VAR]);
  assert.equal(seen[3].vars[PREPEND_CID_VAR], undefined);
});

test('prepend_cid: a set_cid in between becomes the caller ID the prefix applies to', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  await h.run(
    chain(
      { module: 'prepend_cid', data: { caller_id_name_prefix: 'A ' } },
      { module: 'set_cid', data: { caller_id_name: 'Bob' } },
      { module: 'prepend_cid', data: { caller_id_name_prefix: 'B ' } },
      probeNode(),
      { module: 'prepend_cid', data: { action: 'reset' } },
      probeNode(),
    ),
    CALLER,
  );
  assert.equal(seen[0].callerId.name, 'B A Bob');
  assert.equal(seen[1].callerId.name, 'Bob');
});

test('check_cid: match / nomatch on the regex, else `_`', async () => {
  const ok = flowValidator().validate({ module: 'check_cid', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { regex: '.*', use_absolute_mode: false });
  const bad = flowValidator().validate({ module: 'check_cid', data: { use_absolute_mode: 'yes' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.use_absolute_mode');

  const h = await harness();
  const node = (regex: string, children: Record<string, FlowNode>): FlowNode => ({
    module: 'check_cid',
    data: { regex },
    children,
  });
  const both = { match: sayNode('Match'), nomatch: sayNode('No match'), _: sayNode('Default') };
  assert.deepEqual(said(await h.run(node('^\\+1555', both), CALLER)), ['Match']);
  assert.deepEqual(said(await h.run(node('^\\+44', both), CALLER)), ['No match']);
  assert.deepEqual(said(await h.run(node('^\\+44', { _: sayNode('Default') }), CALLER)), ['Default']);
  assert.deepEqual(said(await h.run(node('(?i)^\\+1555', { match: sayNode('Inline flags') }), CALLER)), [
    'Inline flags',
  ]);
  assert.deepEqual(said(await h.run(node('([', both), CALLER)), ['No match']);
});

test('check_cid: absolute mode takes the child named by the number and rewrites the caller ID', async () => {
  const { pivot, seen } = probe();
  const h = await harness({ pivot });
  const flow: FlowNode = {
    module: 'check_cid',
    data: {
      use_absolute_mode: true,
      caller_id: { external: { name: 'Known caller', number: '+15550000001' } },
      user_id: 'user-1',
    },
    children: { '+15551230000': probeNode(sayNode('Hello Ann')), _: sayNode('Who are you?') },
  };
  const call = await h.run(flow, CALLER);
  assert.deepEqual(said(call), ['Hello Ann']);
  assert.deepEqual(seen[0].callerId, { name: 'Known caller', number: '+15550000001' });
  assert.equal(seen[0].vars.owner_id, 'user-1');
  const stranger = await h.run(flow, { callerId: { number: '+15557777777' } });
  assert.deepEqual(said(stranger), ['Who are you?']);
  assert.deepEqual(stranger.callerId, { number: '+15557777777' });
});
