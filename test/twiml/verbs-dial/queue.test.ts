// <Enqueue>, <Dial><Queue> and <Leave> with callers and agents as scripted calls in one world.

import assert from 'node:assert/strict';
import test from 'node:test';
import { hangupAt } from '../../../src/call/scripted.js';
import { World, requestOf } from './helpers.js';

const WAIT_DOC =
  '<Response><Say>Please hold, an agent will be with you shortly.</Say><Redirect>/wait</Redirect></Response>';
// The Say lasts 47 characters × 50 ms = 2350 ms.
const SAY_MS = 'Please hold, an agent will be with you shortly.'.length * 50;

test('an agent takes the waiting caller: both bridged, QueueResult bridged, DialCallStatus completed', async () => {
  const w = new World();
  const caller = w.start(
    '<Response><Enqueue waitUrl="/wait" action="/queue-done">support</Enqueue></Response>',
    { id: 'CAcaller', script: { events: [hangupAt(30000)] } },
    { documents: { 'http://app.test/wait': WAIT_DOC } },
  );
  const agent = w.start(
    '<Response><Dial action="/agent-done"><Queue>support</Queue></Dial></Response>',
    { id: 'CAagent', script: { events: [hangupAt(60000)] } },
    {},
    5000,
  );
  const [cOut, aOut] = await Promise.all([caller.done, agent.done]);

  // The wait document ran in a loop (Redirect to itself) with the queue figures.
  const fetched = caller.host.fetched;
  assert.ok(fetched.length >= 3, `fetched ${fetched.length}`);
  assert.ok(fetched.every((f) => f.url === 'http://app.test/wait' && f.method === 'POST'));
  const first = fetched[0].params;
  assert.match(String(first.QueueSid), /^QU[0-9a-f]{32}$/);
  assert.equal(first.QueuePosition, '1');
  assert.equal(first.CurrentQueueSize, '1');
  assert.equal(first.MaxQueueSize, '100');
  assert.equal(first.QueueTime, '0');
  assert.equal(fetched[1].params.QueueTime, String(Math.round(SAY_MS / 1000)));
  assert.equal(caller.call.entries('say')[0].t, 0);

  // Taken at 5 s: the hold message stops, both legs are bridged until the caller hangs up at 30 s.
  assert.equal(caller.call.entries('say_stopped')[0]?.t, 5000);
  assert.equal(agent.call.entries('bridge')[0].t, 5000);
  assert.equal(caller.call.entries('bridge')[0].with, 'CAagent');
  assert.equal(agent.call.entries('unbridge')[0].t, 30000);

  const c = requestOf(cOut);
  assert.equal(c.url, 'http://app.test/queue-done');
  assert.deepEqual(c.params, { QueueResult: 'bridged', QueueSid: first.QueueSid, QueueTime: '5' });

  const a = requestOf(aOut);
  assert.equal(a.params?.DialCallStatus, 'completed');
  assert.equal(a.params?.DialCallSid, 'CAcaller');
  assert.equal(a.params?.DialCallDuration, '25');
  assert.equal(a.params?.DialBridged, 'true');
  assert.equal(a.params?.QueueSid, first.QueueSid);
  assert.equal(w.queues.info(caller.call.accountId, 'support'), undefined, 'nobody left in the queue');
});

test('when the agent hangs up, the caller goes on with the verb after Enqueue', async () => {
  const w = new World();
  const caller = w.start('<Response><Enqueue>sales</Enqueue><Say>thanks for calling</Say></Response>', {
    script: { events: [hangupAt(60000)] },
  });
  const agent = w.start(
    '<Response><Dial><Queue>sales</Queue></Dial></Response>',
    { script: { events: [hangupAt(9000)] } },
    {},
    2000,
  );
  const [cOut, aOut] = await Promise.all([caller.done, agent.done]);
  assert.equal(aOut.kind, 'end');
  assert.equal(cOut.kind, 'next');
  // No waitUrl: the built-in hold (a ringback tone, looped) until taken.
  const hold = caller.call.entries('play')[0];
  assert.deepEqual(hold.source, { kind: 'tone', tone: 'ringback' });
  assert.equal(hold.loop, 0);
  assert.equal(caller.call.entries('say')[0].t, 9000);
  assert.equal(caller.call.entries('say')[0].text, 'thanks for calling');
});

test('the agent waits on an empty queue until a caller joins', async () => {
  const w = new World();
  const agent = w.start('<Response><Dial timeout="60" action="/a"><Queue>q1</Queue></Dial></Response>', {
    script: { events: [hangupAt(20000)] },
  });
  const caller = w.start(
    '<Response><Enqueue action="/c">q1</Enqueue></Response>',
    { script: { events: [hangupAt(30000)] } },
    {},
    4000,
  );
  const [aOut, cOut] = await Promise.all([agent.done, caller.done]);
  assert.equal(agent.call.entries('wait')[0].t, 0);
  assert.equal(agent.call.entries('bridge')[0].t, 4000);
  assert.equal(requestOf(aOut).params?.DialCallStatus, 'completed');
  assert.equal(requestOf(aOut).params?.DialCallDuration, '16');
  const c = requestOf(cOut).params!;
  assert.equal(c.QueueResult, 'bridged');
  assert.equal(c.QueueTime, '0');
  assert.equal(caller.call.entries('play').length, 0, 'handed over at once: no hold music');
});

test('the agent times out on an empty queue: no-answer after the Dial timeout, then the next verb', async () => {
  const w = new World();
  const agent = w.start('<Response><Dial timeout="5"><Queue>empty</Queue></Dial><Say>no callers</Say></Response>', {
    script: { events: [hangupAt(60000)] },
  });
  assert.equal((await agent.done).kind, 'next');
  assert.equal(agent.call.entries('say')[0].t, 5000);
  assert.equal(w.queues.info(agent.call.accountId, 'empty'), undefined);

  const w2 = new World();
  const withAction = w2.start('<Response><Dial timeout="5" action="/a"><Queue>empty</Queue></Dial></Response>', {});
  assert.equal(requestOf(await withAction.done).params?.DialCallStatus, 'no-answer');
});

test('an agent who hangs up while waiting: canceled', async () => {
  const w = new World();
  const agent = w.start('<Response><Dial action="/a"><Queue>q</Queue></Dial></Response>', {
    script: { events: [hangupAt(3000)] },
  });
  assert.equal(requestOf(await agent.done).params?.DialCallStatus, 'canceled');
});

test('queue-full: maxQueueSize reached, QueueResult queue-full at once', async () => {
  const w = new World();
  const first = w.start('<Response><Enqueue maxQueueSize="1" action="/c">tiny</Enqueue></Response>', {
    script: { events: [hangupAt(10000)] },
  });
  const second = w.start(
    '<Response><Enqueue maxQueueSize="1" action="/c">tiny</Enqueue></Response>',
    { script: { events: [hangupAt(10000)] } },
    {},
    1000,
  );
  const [one, two] = await Promise.all([first.done, second.done]);
  const p = requestOf(two).params!;
  assert.equal(p.QueueResult, 'queue-full');
  assert.equal(p.QueueTime, '0');
  assert.equal(second.call.entries('play').length, 0);
  assert.equal(requestOf(one).params?.QueueResult, 'hangup');
});

test('<Leave> in the wait document: out of the queue, the verb after Enqueue runs', async () => {
  const w = new World();
  const caller = w.start(
    '<Response><Enqueue waitUrl="http://app.test/closed">support</Enqueue><Say>call again tomorrow</Say></Response>',
    { script: { events: [hangupAt(60000)] } },
    {
      documents: {
        'http://app.test/closed': '<Response><Say>We are closed.</Say><Leave/><Say>unreachable</Say></Response>',
      },
    },
  );
  assert.equal((await caller.done).kind, 'next');
  assert.deepEqual(
    caller.call.entries('say').map((s) => s.text),
    ['We are closed.', 'call again tomorrow'],
  );
  assert.equal(w.queues.info(caller.call.accountId, 'support'), undefined);

  const w2 = new World();
  const withAction = w2.start(
    '<Response><Enqueue waitUrl="/closed" action="/after">support</Enqueue></Response>',
    { script: { events: [hangupAt(60000)] } },
    { documents: { 'http://app.test/closed': '<Response><Pause length="3"/><Leave/></Response>' } },
  );
  const p = requestOf(await withAction.done).params!;
  assert.equal(p.QueueResult, 'leave');
  assert.equal(p.QueueTime, '3');
});

test('the caller hangs up while waiting: QueueResult hangup, removed from the queue', async () => {
  const w = new World();
  const caller = w.start(
    '<Response><Enqueue waitUrl="/wait" action="/after">support</Enqueue><Say>never</Say></Response>',
    { script: { events: [hangupAt(7000)] } },
    { documents: { 'http://app.test/wait': WAIT_DOC } },
  );
  const p = requestOf(await caller.done).params!;
  assert.equal(p.QueueResult, 'hangup');
  assert.equal(p.QueueTime, '7');
  assert.equal(w.queues.info(caller.call.accountId, 'support'), undefined);

  const noAction = new World().start('<Response><Enqueue>q</Enqueue><Say>never</Say></Response>', {
    script: { events: [hangupAt(2000)] },
  });
  assert.equal((await noAction.done).kind, 'end');
  assert.equal(noAction.call.entries('say').length, 0);
});

test('<Hangup> in the wait document ends the call', async () => {
  const w = new World();
  const caller = w.start(
    '<Response><Enqueue waitUrl="/w" action="/after">q</Enqueue></Response>',
    {},
    { documents: { 'http://app.test/w': '<Response><Say>bye</Say><Hangup/></Response>' } },
  );
  assert.equal(requestOf(await caller.done).params?.QueueResult, 'hangup');
  assert.equal(caller.call.state, 'ended');
});

test('a wait document that cannot be fetched ends the wait with QueueResult error', async () => {
  const w = new World();
  const caller = w.start('<Response><Enqueue waitUrl="/missing" action="/after">q</Enqueue></Response>', {});
  assert.equal(requestOf(await caller.done).params?.QueueResult, 'error');
  assert.equal(caller.host.warnings[0].code, 11200);
});

test('verbs not allowed in a wait document are skipped with a warning; a short document is re-fetched each second', async () => {
  const w = new World();
  const caller = w.start(
    '<Response><Enqueue waitUrl="/w">q</Enqueue></Response>',
    { script: { events: [hangupAt(3500)] } },
    { documents: { 'http://app.test/w': '<Response><Dial>+14155550001</Dial></Response>' } },
  );
  await caller.done;
  assert.equal(caller.call.entries('dial').length, 0);
  assert.equal(caller.host.fetched.length, 4, 'at 0, 1, 2 and 3 s');
  assert.ok(caller.host.warnings.some((x) => x.element === 'Dial' && x.code === 12200));
});

test('<Leave> outside a wait document is a warning and the document goes on', async () => {
  const w = new World();
  const call = w.start('<Response><Leave/><Say>still here</Say></Response>', {});
  assert.equal((await call.done).kind, 'next');
  assert.equal(call.call.entries('say').length, 1);
  assert.equal(call.host.warnings.length, 1);
  assert.equal(call.host.warnings[0].element, 'Leave');
});

test('two callers are served in order; the wait document sees positions', async () => {
  const w = new World();
  const docs = { documents: { 'http://app.test/wait': WAIT_DOC } };
  const c1 = w.start(
    '<Response><Enqueue waitUrl="/wait" action="/c">line</Enqueue></Response>',
    { id: 'CA1', script: { events: [hangupAt(20000)] } },
    docs,
  );
  const c2 = w.start(
    '<Response><Enqueue waitUrl="/wait" action="/c">line</Enqueue></Response>',
    { id: 'CA2', script: { events: [hangupAt(20000)] } },
    docs,
    1000,
  );
  const agent = w.start(
    '<Response><Dial action="/a"><Queue>line</Queue></Dial></Response>',
    { script: { events: [hangupAt(30000)] } },
    {},
    3000,
  );
  const [, , a] = await Promise.all([c1.done, c2.done, agent.done]);
  assert.equal(requestOf(a).params?.DialCallSid, 'CA1');
  assert.equal(c2.host.fetched[0].params.QueuePosition, '2');
  assert.equal(c2.host.fetched[0].params.CurrentQueueSize, '2');
  const later = c2.host.fetched.find((f) => f.params.QueuePosition === '1');
  assert.ok(later, 'the second caller moves up once the first is taken');
  assert.equal(requestOf(await c2.done).params?.QueueResult, 'hangup');
});

test('Enqueue parse: name required and ≤ 64 characters, attribute codes, TaskRouter warning', async () => {
  const { compileTwiml } = await import('../../helpers/twiml.js');
  const codes = (xml: string) => compileTwiml(xml).errors.map((e) => e.code);
  assert.deepEqual(codes('<Response><Enqueue></Enqueue></Response>'), [14205]);
  assert.deepEqual(codes(`<Response><Enqueue>${'x'.repeat(65)}</Enqueue></Response>`), [14205]);
  assert.deepEqual(codes('<Response><Enqueue method="PUT">q</Enqueue></Response>'), [14201]);
  assert.deepEqual(codes('<Response><Enqueue waitUrlMethod="PUT">q</Enqueue></Response>'), [14203]);
  assert.deepEqual(codes('<Response><Enqueue maxQueueSize="0">q</Enqueue></Response>'), [14206]);
  const doc = compileTwiml('<Response><Enqueue workflowSid="WW1">q<Task>{}</Task></Enqueue></Response>');
  assert.deepEqual(doc.errors, []);
  assert.equal(doc.warnings.length, 1);
  const ok = compileTwiml('<Response><Enqueue>q</Enqueue></Response>');
  assert.deepEqual(ok.program[0].options, {
    name: 'q',
    method: 'POST',
    waitUrlMethod: 'POST',
    action: undefined,
    waitUrl: undefined,
    maxQueueSize: undefined,
  });
});
