// Inbound routing over real SIP: SIPp calls an assigned number (answered), an unknown number (404), and an
// extension as a device, challenged with 407 and answered once it authenticates.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InviteRouter } from '../../../src/callflow/router.js';
import { DigestServer } from '../../../src/sip/digest.js';
import { answerOffer } from '../../../src/sip/sdp.js';
import { SipStack } from '../../../src/sip/stack.js';
import { openSqliteStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { SCENARIOS, sipp } from '../../helpers/sipp.js';

let store: Store;
let stack: SipStack;
let target: string;
const routed: string[] = [];

before(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  const acme = await store.accounts.create({ name: 'Acme', realm: 'acme.pivot.test' });
  await store.devices.create(acme.id, { name: 'Alice', sip: { username: 'alice', password: 'wonderland' } });
  await store.phoneNumbers.assign(acme.id, '+14155550100');
  await store.callflows.create(acme.id, { numbers: ['+14155550100', '1000'], flow: { module: 'answer', data: {} } });
  const router = new InviteRouter({ store, digest: new DigestServer() });
  stack = new SipStack({ host: '127.0.0.1', udpPort: 0, rateLimit: false });
  stack.on('invite', (call) => {
    void router.route(call.request).then((decision) => {
      if (decision.kind === 'challenge') return call.reject(407, undefined, [[decision.header, decision.value]]);
      if (decision.kind === 'reject') return call.reject(decision.status, decision.reason);
      routed.push(`${decision.match}:${decision.dialled}`);
      const answer = answerOffer(call.offer ?? '', {
        address: '127.0.0.1',
        port: 42000,
        codecs: ['PCMU'],
        telephoneEvent: true,
      });
      void call.accept({ sdp: answer.ok ? answer.answer : undefined }).catch(() => undefined);
    });
  });
  target = `127.0.0.1:${(await stack.start()).udp}`;
});

after(async () => {
  await stack.stop();
  await store.close();
});

test('an assigned number is answered; an unknown one gets 404 with the reason', async () => {
  const ok = await sipp({ scenario: 'uac', target, calls: 1, args: ['-s', '4155550100'] }).done;
  assert.equal(ok.code, 0, ok.output + ok.errors);
  assert.deepEqual(routed, ['number:+14155550100']);
  const unknown = await sipp({ scenario: 'uac', target, calls: 1, args: ['-s', '+14155550777'] }).done;
  assert.equal(unknown.failed, 1);
  assert.match(unknown.errors + unknown.output, /404 Not Found \(no route for \+14155550777\)/);
});

test('a device calling an extension is challenged with 407, then answered once authenticated', async () => {
  const run = await sipp({
    scenario: join(SCENARIOS, 'uac-auth.xml'),
    target,
    calls: 1,
    args: [
      '-s',
      '1000',
      '-key',
      'user',
      'alice',
      '-key',
      'realm',
      'acme.pivot.test',
      '-au',
      'alice',
      '-ap',
      'wonderland',
    ],
  }).done;
  assert.equal(run.code, 0, run.output + run.errors);
  assert.deepEqual(routed.at(-1), 'extension:1000');
  const wrong = await sipp({
    scenario: join(SCENARIOS, 'uac-auth.xml'),
    target,
    calls: 1,
    args: ['-s', '1000', '-key', 'user', 'alice', '-key', 'realm', 'acme.pivot.test', '-au', 'alice', '-ap', 'guess'],
  }).done;
  assert.equal(wrong.failed, 1);
  assert.match(wrong.errors + wrong.output, /403 Forbidden \(bad credentials\)/);
});
