import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpService } from '../../../src/callflow/types.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { webhookSettings, webhooksSettled } from '../../../src/callflow/modules/webhook.js';
import { harness } from '../../helpers/callflow.js';
import { said, sayNode } from './_probe.js';

type SendRequest = Parameters<HttpService['send']>[0];

/** An HttpService whose `send` answers from a script of results (or throws for `throw`). */
function scriptedHttp(results: ({ status?: number; error?: string } | 'throw')[]) {
  const sent: SendRequest[] = [];
  const http: HttpService = {
    async send(req) {
      sent.push(req);
      const r = results.shift() ?? { status: 200 };
      if (r === 'throw') throw new Error('socket hang up');
      return r;
    },
    async upload() {
      return { status: 200 };
    },
  };
  return { http, sent };
}

webhookSettings.retryDelayMs = 5;

test('webhook: schema', () => {
  const ok = flowValidator().validate({ module: 'webhook', data: { uri: 'https://hooks.example.com/x' } });
  assert.ok(ok.ok);
  assert.deepEqual(ok.flow.data, { uri: 'https://hooks.example.com/x', http_verb: 'post', retries: 2 });
  const missing = flowValidator().validate({ module: 'webhook', data: {} });
  assert.ok(!missing.ok && missing.errors[0].path === 'flow.data.uri' && missing.errors[0].rule === 'required');
  const bad = flowValidator().validate({
    module: 'webhook',
    data: { uri: 'file:///etc/passwd', http_verb: 'put', retries: 9, custom_data: [] },
  });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.path).sort(), [
    'flow.data.custom_data',
    'flow.data.http_verb',
    'flow.data.retries',
    'flow.data.uri',
  ]);
});

test('webhook: posts the call data merged with custom_data, without holding up the callflow', async () => {
  let release!: () => void;
  const sent: SendRequest[] = [];
  const http: HttpService = {
    send(req) {
      sent.push(req);
      return new Promise((resolve) => (release = () => resolve({ status: 200 })));
    },
    async upload() {
      return { status: 200 };
    },
  };
  const h = await harness({ http, now: () => Date.UTC(2024, 0, 1) });
  const call = await h.run(
    {
      module: 'webhook',
      data: { uri: 'https://hooks.example.com/missed', custom_data: { app: 'ivr', caller_id_name: 'Override' } },
      children: { _: sayNode('Carry on') },
    },
    { callerId: { name: 'Ann', number: '+15551230000' } },
  );
  // The flow finished although the webhook has not been answered yet.
  assert.deepEqual(said(call), ['Carry on']);
  assert.equal(call.entries('say')[0].t, 0);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].url, 'https://hooks.example.com/missed');
  assert.equal(sent[0].method, 'post');
  assert.equal(sent[0].format, 'form');
  assert.deepEqual(sent[0].params, {
    call_id: call.id,
    account_id: h.accountId,
    direction: 'inbound',
    from: '+15550001111@example.test',
    to: '+15550002222@example.test',
    request: '+15550002222@example.test',
    caller_id_name: 'Override',
    caller_id_number: '+15551230000',
    callee_id_name: '',
    callee_id_number: '',
    language: 'en-US',
    call_state: 'ringing',
    timestamp: Date.UTC(2024, 0, 1) / 1000,
    app: 'ivr',
  });
  release();
  await webhooksSettled();
});

test('webhook: transport errors and 5xx are retried up to `retries` attempts; 4xx is not', async () => {
  const flow = (retries: number, verb = 'post') => ({
    module: 'webhook',
    data: { uri: 'http://hooks.example.com/x', retries, http_verb: verb },
  });

  const recovering = scriptedHttp([{ error: 'ECONNREFUSED' }, 'throw', { status: 200 }]);
  const h1 = await harness({ http: recovering.http });
  await h1.run(flow(3));
  await webhooksSettled();
  assert.equal(recovering.sent.length, 3);
  assert.equal(h1.log.lines.filter((l) => l.msg === 'webhook failed').length, 2);

  const failing = scriptedHttp([{ status: 503 }, { status: 502 }, { status: 200 }]);
  const h2 = await harness({ http: failing.http });
  await h2.run(flow(2, 'get'));
  await webhooksSettled();
  assert.equal(failing.sent.length, 2);
  assert.equal(failing.sent[0].method, 'get');
  assert.equal(failing.sent[0].format, undefined);
  const last = h2.log.lines.filter((l) => l.msg === 'webhook failed').pop();
  assert.deepEqual((last?.obj as { retry: boolean; status: number }).retry, false);

  const refused = scriptedHttp([{ status: 404 }, { status: 200 }]);
  const h3 = await harness({ http: refused.http });
  await h3.run(flow(5));
  await webhooksSettled();
  assert.equal(refused.sent.length, 1);
});
