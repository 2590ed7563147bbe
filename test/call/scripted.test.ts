import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedCall, ScriptedWorld, hangupAt, press } from '../../src/call/scripted.js';

test('a say is cut by a terminator key, which stays buffered for collect', async () => {
  const call = new ScriptedCall({ script: { events: [...press('1', 700)], sayMsPerChar: 100 } });
  await call.answer();
  const said = await call.say('Press one for sales', { terminators: '0123456789' });
  assert.deepEqual(said, { reason: 'dtmf', digit: '1' });
  assert.equal(call.dtmfBuffer, '1');
  const got = await call.collect({ maxDigits: 1, timeoutMs: 5000 });
  assert.deepEqual(got, { digits: '1', reason: 'max_digits' });
  assert.equal(call.entries('collect_done')[0].t, 700);
});

test('collect honours terminators, interdigit timeout and hangup', async () => {
  const call = new ScriptedCall({ script: { events: [...press('12#', 1000), hangupAt(9000)] } });
  const r = await call.collect({ maxDigits: 10, timeoutMs: 5000, terminators: '#' });
  assert.deepEqual(r, { digits: '12', reason: 'terminator', terminator: '#' });
  const t = await call.collect({ maxDigits: 3, timeoutMs: 3000 });
  assert.deepEqual(t, { digits: '', reason: 'timeout' });
  assert.equal(call.entries('collect_done')[1].t, 1200 + 3000);
  const h = await call.collect({ maxDigits: 3, timeoutMs: 30000 });
  assert.equal(h.reason, 'hangup');
  assert.equal(call.state, 'ended');
  assert.equal(call.endedAt, 9000);
});

test('dial: first answer wins, busy and no-answer outcomes', async () => {
  const call = new ScriptedCall({
    answered: true,
    script: {
      events: [hangupAt(60000)],
      endpoint: (e) =>
        e.type === 'sip' && e.uri.includes('busy') ? { rejectCode: 486 } : { answerAfterMs: 3000, hangupAfterMs: 5000 },
    },
  });
  const events: string[] = [];
  const ok = await call.dial({
    endpoints: [
      { type: 'sip', uri: 'sip:busy@x' },
      { type: 'sip', uri: 'sip:ok@x' },
    ],
    strategy: 'simultaneous',
    timeoutMs: 20000,
    onEvent: (e) => events.push(`${e.status}:${e.outcome ?? ''}`),
  });
  assert.equal(ok.status, 'completed');
  assert.equal(ok.bridged, true);
  assert.equal(ok.durationMs, 5000);
  assert.equal(ok.endedBy, 'callee');
  assert.ok(events.includes('answered:'));
  const busy = await call.dial({
    endpoints: [{ type: 'sip', uri: 'sip:busy@x' }],
    strategy: 'single',
    timeoutMs: 20000,
  });
  assert.equal(busy.status, 'busy');
  assert.equal(busy.sipCode, 486);
  const none = await call.dial({
    endpoints: [{ type: 'number', number: '+1555' }],
    strategy: 'single',
    timeoutMs: 2000,
  });
  assert.equal(none.status, 'no-answer');
  assert.equal(call.entries('dial_done')[2].t - call.entries('dial')[2].t, 2000);
});

test('two calls in one world: conference starts when the moderator joins and ends on their exit', async () => {
  const world = new ScriptedWorld();
  const member = new ScriptedCall({ world, answered: true, script: { events: [hangupAt(100000)] } });
  const mod = new ScriptedCall({ world, answered: true, script: { events: [hangupAt(8000)] } });
  const a = member.conference({ room: 'r1', startOnEnter: false });
  const b = (async () => {
    await mod.wait(3000);
    return mod.conference({ room: 'r1', moderator: true, endOnExit: true });
  })();
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(rb.reason, 'hangup');
  assert.equal(ra.reason, 'ended');
  assert.equal(ra.durationMs, 8000);
  assert.equal(member.entries('conference_started')[0].t, 3000);
});
