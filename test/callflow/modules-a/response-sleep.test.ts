import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt } from '../../../src/call/scripted.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { harness } from '../../helpers/callflow.js';
import { chain, said, sayNode } from './_probe.js';

test('response: schema default code 486; codes outside 400..699 are refused', () => {
  const ok = flowValidator().validate({ module: 'response', data: {} });
  assert.ok(ok.ok);
  assert.equal(ok.flow.data.code, 486);
  const bad = flowValidator().validate({ module: 'response', data: { code: 200 } });
  assert.ok(!bad.ok);
  assert.deepEqual([bad.errors[0].path, bad.errors[0].rule], ['flow.data.code', 'minimum']);
  const notInt = flowValidator().validate({ module: 'response', data: { code: '503' } });
  assert.ok(!notInt.ok && notInt.errors[0].rule === 'type');
});

test('response: an unanswered call hears the media as early media, is refused with the code, and the flow stops', async () => {
  const h = await harness();
  const call = await h.run({
    module: 'response',
    data: { code: 503, message: 'Closed', media: 'tts://We are closed' },
    children: { _: sayNode('never') },
  });
  assert.equal(call.entries('ring')[0].earlyMedia, true);
  assert.deepEqual(said(call), ['We are closed']);
  assert.equal(call.entries('answer').length, 0);
  const [reject] = call.entries('reject');
  assert.deepEqual([reject.t, reject.sipCode, reject.reason], [650, 503, 'Closed']);
  assert.equal(call.hangupSipCode, 503);
  assert.equal(call.hangupCause, 'NORMAL_TEMPORARY_FAILURE');
});

test('response: an answered call is hung up (no SIP response possible any more)', async () => {
  const h = await harness();
  const call = await h.run(chain({ module: 'answer', data: {} }, { module: 'response', data: {} }, sayNode('never')));
  assert.equal(call.entries('reject').length, 0);
  assert.equal(call.hangupCause, 'USER_BUSY');
  assert.deepEqual(said(call), []);
});

test('sleep: schema defaults and units', () => {
  const ok = flowValidator().validate({ module: 'sleep', data: {} });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { duration: 0, unit: 's' });
  const bad = flowValidator().validate({ module: 'sleep', data: { duration: 5, unit: 'd' } });
  assert.ok(!bad.ok && bad.errors[0].path === 'flow.data.unit');
});

test('sleep: waits the duration in its unit, then continues', async () => {
  const h = await harness();
  const call = await h.run(
    chain(
      { module: 'sleep', data: { duration: 2 } },
      sayNode('after two seconds'),
      { module: 'sleep', data: { duration: 250, unit: 'ms' } },
      sayNode('then a bit'),
      { module: 'sleep', data: { duration: 1, unit: 'm' } },
      sayNode('a minute later'),
    ),
  );
  const says = call.entries('say');
  assert.deepEqual(
    says.map((e) => e.t),
    [2000, 2000 + 850 + 250, 2000 + 850 + 250 + 500 + 60000],
  );
});

test('sleep: a hangup during the sleep ends the flow', async () => {
  const h = await harness();
  const call = await h.run(chain({ module: 'sleep', data: { duration: 1, unit: 'h' } }, sayNode('never')), {
    script: { events: [hangupAt(1000)] },
  });
  assert.deepEqual(said(call), []);
  assert.equal(call.endedAt, 1000);
});
