import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('Set with no Variable does nothing (Kazoo returned an error)', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Set/><Pause/>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(host.userVars.size, 0);
  assert.equal(call.entries('wait').length, 1);
});

test('Set with one Variable', async () => {
  const { host } = await runTwiml(doc('<Set><Variable key="customer" value="42"/></Set>'));
  assert.deepEqual([...host.userVars], [['customer', '42']]);
  assert.deepEqual(host.traces[0], { verb: 'Set', detail: { variables: { customer: '42' } } });
});

test('Set with three Variables (Kazoo crashed with more than one); the call is not answered', async () => {
  const { call, host } = await runTwiml(
    doc(
      '<Set><Variable key="a" value="1"/><Variable key="b" value="two words"/><Variable key="c" value=""/></Set><Say>hi</Say>',
    ),
  );
  assert.deepEqual(Object.fromEntries(host.userVars), { a: '1', b: 'two words', c: '' });
  assert.equal(call.entries('say').length, 1);
  const setOnly = await runTwiml(doc('<Set><Variable key="a" value="1"/></Set>'));
  assert.equal(setOnly.call.entries('answer').length, 0);
});

test('Set: a Variable needs a key; only Variable children', () => {
  const noKey = compileTwiml(doc('<Set><Variable value="1"/></Set>'));
  assert.equal(noKey.errors[0].code, 12200);
  assert.equal(noKey.errors[0].element, 'Variable');
  const other = compileTwiml(doc('<Set><Say>x</Say></Set>'));
  assert.equal(other.errors[0].element, 'Say');
  const odd = compileTwiml(doc('<Set><Variable key="a" value="1" scope="call"/></Set>'));
  assert.deepEqual(odd.errors, []);
  assert.equal(odd.warnings[0].code, 12200);
});
