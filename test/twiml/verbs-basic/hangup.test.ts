import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTwiml, runTwiml } from '../../helpers/twiml.js';

const doc = (body: string): string => `<Response>${body}</Response>`;

test('Hangup answers (even first) and hangs up; nothing after it runs', async () => {
  const { call, host, outcome } = await runTwiml(doc('<Hangup/><Say>never</Say>'));
  assert.deepEqual(outcome, { kind: 'end' });
  assert.deepEqual(
    call.timeline.map((e) => e.type),
    ['answer', 'hangup'],
  );
  assert.equal(call.entries('hangup')[0].by, 'local');
  assert.equal(call.hangupCause, 'NORMAL_CLEARING');
  assert.equal(host.traces[0].verb, 'Hangup');
});

test('Hangup accepts <Parameter> children and ignores them', async () => {
  const xml = doc('<Hangup><Parameter name="reason" value="done"/></Hangup>');
  assert.deepEqual(compileTwiml(xml).errors, []);
  const { outcome } = await runTwiml(xml);
  assert.deepEqual(outcome, { kind: 'end' });
});

test('Hangup: an attribute is a warning (Kazoo failed), other children are errors', () => {
  const attr = compileTwiml(doc('<Hangup reason="bye"/>'));
  assert.deepEqual(attr.errors, []);
  assert.equal(attr.warnings[0].code, 12200);
  const child = compileTwiml(doc('<Hangup><Say>x</Say></Hangup>'));
  assert.equal(child.errors[0].code, 12200);
});
