import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedCall } from '../../src/call/scripted.js';
import { CallflowExecutor, MAX_BRANCHES, type StepRecord } from '../../src/callflow/executor.js';
import { next, type CallflowModule, type FlowNode, type ModuleOutcome } from '../../src/callflow/types.js';
import { FlowValidator, MODULE_MAP } from '../../src/callflow/validate.js';
import { harness, type Harness } from '../helpers/callflow.js';

/** `outcome` returns whatever its data says: `{"next": [...]}`, `{"stop": "hard"}`, `{"branch": node}`. */
const outcome: CallflowModule<{ outcome: ModuleOutcome }> = {
  name: 'outcome',
  description: 'test module',
  schema: { type: 'object', required: ['outcome'], properties: { outcome: { type: 'object' } } },
  async run({ data }) {
    return data.outcome;
  },
};

const boom: CallflowModule = {
  name: 'boom',
  description: 'test module that throws',
  schema: { type: 'object' },
  async run() {
    throw new Error('kaboom');
  },
};

const say = (text: string, children?: Record<string, FlowNode>): FlowNode => ({
  module: 'tts',
  data: { text },
  ...(children ? { children } : {}),
});
const out = (o: ModuleOutcome, children?: Record<string, FlowNode>): FlowNode => ({
  module: 'outcome',
  data: { outcome: o },
  ...(children ? { children } : {}),
});

async function setup(): Promise<{ h: Harness; run: (flow: FlowNode) => Promise<ScriptedCall>; steps: StepRecord[] }> {
  const h = await harness();
  const modules = new Map([...MODULE_MAP, ['outcome', outcome as CallflowModule], ['boom', boom]]);
  const steps: StepRecord[] = [];
  const executor = new CallflowExecutor(h.services, {
    modules,
    validator: new FlowValidator(modules),
    onStep: (_c, s) => steps.push(s),
  });
  return {
    h,
    steps,
    async run(flow) {
      const call = new ScriptedCall({ accountId: h.accountId });
      try {
        await executor.run(call, flow);
      } finally {
        call.release();
      }
      return call;
    },
  };
}

const said = (call: ScriptedCall) => call.entries('say').map((e) => e.text);

test('executor: the child named by the module, falling back to `_`, then hangup at the end', async () => {
  const { run } = await setup();
  const children = { '1': say('one'), _: say('default') };
  assert.deepEqual(said(await run(out(next('1'), children))), ['one']);
  assert.deepEqual(said(await run(out(next('7'), children))), ['default']);
  const call = await run(out(next('7'), { '1': say('one') }));
  assert.deepEqual(said(call), []);
  const [hangup] = call.entries('hangup');
  assert.deepEqual([hangup.cause, hangup.by], ['NORMAL_CLEARING', 'local']);
});

test('executor: failure keys are tried in order before `_`', async () => {
  const { run } = await setup();
  const flow = (children: Record<string, FlowNode>) => out(next('sip:486', 'USER_BUSY'), children);
  assert.deepEqual(said(await run(flow({ USER_BUSY: say('busy cause'), 'sip:486': say('sip 486'), _: say('any') }))), [
    'sip 486',
  ]);
  assert.deepEqual(said(await run(flow({ USER_BUSY: say('busy cause'), _: say('any') }))), ['busy cause']);
  assert.deepEqual(said(await run(flow({ _: say('any') }))), ['any']);
});

test('executor: skip_module goes straight to `_`; unknown modules are skipped with a warning', async () => {
  const { h, run, steps } = await setup();
  const call = await run({
    module: 'tts',
    data: { text: 'skipped', skip_module: true },
    children: { _: { module: 'no_such_module', data: {}, children: { _: say('after') } } },
  });
  assert.deepEqual(said(call), ['after']);
  assert.deepEqual(
    steps.map((s) => s.module),
    ['tts'],
  );
  const warn = h.log.lines.find((l) => l.level === 'warn');
  assert.equal(warn?.msg, 'unknown callflow module skipped');
  assert.equal((warn?.obj as { module: string }).module, 'no_such_module');
});

test('executor: invalid data and a module that throws are logged and continue to `_`', async () => {
  const { h, run, steps } = await setup();
  const call = await run({
    module: 'tts',
    data: { text: '' },
    children: { _: { module: 'boom', data: {}, children: { _: say('still here') } } },
  });
  assert.deepEqual(said(call), ['still here']);
  assert.ok(steps[0].error);
  assert.equal(steps[1].error, 'kaboom');
  assert.deepEqual(
    h.log.lines.filter((l) => l.level === 'error').map((l) => l.msg),
    ['invalid module data; skipped', 'callflow module failed'],
  );
});

test('executor: a branch runs the other flow, then the stacked `_` child (callflow module)', async () => {
  const { h, run } = await setup();
  const inner = await h.store.callflows.create(h.accountId, { flow: say('inner', { _: say('inner 2') }) });
  const call = await run({ module: 'callflow', data: { id: inner.id }, children: { _: say('back outside') } });
  assert.deepEqual(said(call), ['inner', 'inner 2', 'back outside']);
  // Nested: two stacked continuations resume innermost first.
  const middle = await h.store.callflows.create(h.accountId, {
    flow: { module: 'callflow', data: { id: inner.id }, children: { _: say('middle') } },
  });
  const nested = await run({ module: 'callflow', data: { id: middle.id }, children: { _: say('outer') } });
  assert.deepEqual(said(nested), ['inner', 'inner 2', 'middle', 'outer']);
});

test('executor: a soft stop resumes the stack; a hard stop (hangup module) ends everything', async () => {
  const { run } = await setup();
  const soft = await run(out({ branch: out({ stop: 'soft' }, { _: say('not reached') }) }, { _: say('resumed') }));
  assert.deepEqual(said(soft), ['resumed']);
  const hard = await run(out({ branch: { module: 'hangup', data: {} } }, { _: say('not resumed') }));
  assert.deepEqual(said(hard), []);
  assert.equal(hard.entries('hangup').length, 1);
  const hardOut = await run(out({ branch: out({ stop: 'hard' }) }, { _: say('not resumed') }));
  assert.deepEqual(said(hardOut), []);
  assert.equal(hardOut.state, 'ended');
});

test(`executor: more than ${MAX_BRANCHES} branches stop the callflow`, async () => {
  const { h, run, steps } = await setup();
  const loop = await h.store.callflows.create(h.accountId, { name: 'loop' });
  await h.store.callflows.update(h.accountId, loop.id, {
    flow: { module: 'callflow', data: { id: loop.id }, children: { _: say('unwinding') } },
  });
  const call = await run({ module: 'callflow', data: { id: loop.id } });
  assert.equal(steps.filter((s) => s.module === 'callflow').length, MAX_BRANCHES + 1);
  assert.deepEqual(said(call), []);
  assert.equal(call.state, 'ended');
  assert.ok(
    h.log.lines.some((l) => l.level === 'error' && String(l.msg).includes(`more than ${MAX_BRANCHES} branches`)),
  );
});

test('executor: a replacement flow (Pivot) runs instead of the rest; a caller hangup ends the run', async () => {
  const { run } = await setup();
  const replaced = await run(out({ replace: say('from pivot') }, { _: say('old child') }));
  assert.deepEqual(said(replaced), ['from pivot']);
  const h = await harness();
  const call = await h.run(say('a long sentence that takes a while to say', { _: say('never') }), {
    script: { events: [{ at: 300, hangup: true }] },
  });
  assert.deepEqual(said(call), ['a long sentence that takes a while to say']);
  assert.equal(call.entries('hangup')[0].by, 'remote');
});
