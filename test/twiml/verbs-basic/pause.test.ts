import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hangupAt } from '../../../src/call/scripted.js';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('a leading Pause delays pick-up: it waits without answering', async () => {
  const { call, host } = await runTwiml(doc('<Pause length="3"/><Say>Hello</Say>'));
  assert.deepEqual(call.entries('wait')[0], { t: 0, type: 'wait', ms: 3000 });
  assert.equal(call.entries('answer')[0].t, 3000);
  assert.equal(call.entries('say')[0].t, 3000);
  assert.deepEqual(host.traces[0], { verb: 'Pause', detail: { length: 3, result: 'done' } });
});

test('Pause defaults to 1 second and never answers on its own', async () => {
  const { call, outcome } = await runTwiml(doc('<Pause/>'));
  assert.deepEqual(outcome, { kind: 'next' });
  assert.equal(call.entries('wait')[0].ms, 1000);
  assert.equal(call.entries('answer').length, 0);
  assert.equal(call.state, 'ringing');
});

test('Pause above 3600 s is clamped with a warning', async () => {
  const { warnings, errors } = compileTwiml(doc('<Pause length="7200"/>'));
  assert.deepEqual(errors, []);
  assert.equal(warnings[0].code, 13910);
  const { call } = await runTwiml(doc('<Pause length="7200"/>'), { script: { events: [hangupAt(10000)] } });
  assert.equal(call.entries('wait')[0].ms, 3600000);
});

test('Pause notices the hangup at once and ends the document', async () => {
  const { call, outcome } = await runTwiml(doc('<Pause length="30"/><Say>never</Say>'), {
    answered: true,
    script: { events: [hangupAt(2500)] },
  });
  assert.deepEqual(outcome, { kind: 'end' });
  assert.equal(call.endedAt, 2500);
  assert.equal(call.entries('say').length, 0);
});

test('Pause length must be a whole number of at least 1 (13910)', () => {
  for (const bad of ['0', '-2', '1.5', 'long']) {
    const { errors } = compileTwiml(doc(`<Pause length="${bad}"/>`));
    assert.equal(errors[0]?.code, 13910, bad);
  }
});
