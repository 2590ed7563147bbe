// Inbound routing (DESIGN §2): numbers from anywhere, extensions and patterns for authenticated devices, clear
// SIP errors for everything else.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InviteRouter } from '../../src/callflow/router.js';
import { authorize } from '../../src/sip/digest.js';
import { DigestServer } from '../../src/sip/digest.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

let store: Store;
let router: InviteRouter;
const digest = new DigestServer();
let acmeId: string;

function invite(user: string, fromHost: string, extra: string[] = []): SipRequest {
  const lines = [
    `INVITE sip:${user}@pivot.test SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-r1',
    'Max-Forwards: 70',
    `From: <sip:alice@${fromHost}>;tag=a1`,
    `To: <sip:${user}@pivot.test>`,
    'Call-ID: route-test',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@127.0.0.1:5099>',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

/** The same INVITE, answering a 407 challenge for the device. */
function authed(user: string, password: string): SipRequest {
  const challenge = digest.challenge('acme.pivot.test', { proxy: true }).value;
  const value = authorize(challenge, { username: 'alice', password, method: 'INVITE', uri: `sip:${user}@pivot.test` });
  return invite(user, 'acme.pivot.test', [`Proxy-Authorization: ${value}`]);
}

before(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  const acme = await store.accounts.create({ name: 'Acme', realm: 'acme.pivot.test' });
  acmeId = acme.id;
  const off = await store.accounts.create({ name: 'Closed', realm: 'closed.pivot.test', enabled: false });
  await store.devices.create(acme.id, { name: 'Alice desk', sip: { username: 'alice', password: 'wonderland' } });
  await store.phoneNumbers.assign(acme.id, '+14155550100');
  await store.phoneNumbers.assign(acme.id, '+14155550199');
  await store.phoneNumbers.assign(off.id, '+14155550111');
  const tts = (text: string) => ({ module: 'tts', data: { text } });
  await store.callflows.create(acme.id, { name: 'Main', numbers: ['+14155550100', '1000'], flow: tts('main') });
  await store.callflows.create(acme.id, { name: 'Outbound', patterns: ['^\\*9(\\d+)$'], flow: tts('outbound') });
  router = new InviteRouter({ store, digest });
});

test('an assigned number reaches the owning account from anywhere, in E.164 or as dialled', async () => {
  for (const user of ['+14155550100', '4155550100', '14155550100']) {
    const r = await router.route(invite(user, 'carrier.example'));
    assert.equal(r.kind, 'route', user);
    if (r.kind === 'route') {
      assert.equal(r.account.id, acmeId);
      assert.equal(r.match, 'number');
      assert.equal(r.dialled, '+14155550100');
      assert.equal(r.callflow.name, 'Main');
    }
  }
});

test('numbers that route nowhere get clear errors', async () => {
  assert.deepEqual(await router.route(invite('+14155550199', 'carrier.example')), {
    kind: 'reject',
    status: 404,
    reason: 'Not Found (+14155550199 has no callflow)',
  });
  assert.deepEqual(await router.route(invite('+14155550111', 'carrier.example')), {
    kind: 'reject',
    status: 403,
    reason: 'Forbidden (+14155550111 belongs to a disabled account)',
  });
  const unknown = await router.route(invite('+14155550777', 'carrier.example'));
  assert.deepEqual(unknown, { kind: 'reject', status: 404, reason: 'Not Found (no route for +14155550777)' });
  const extensionFromOutside = await router.route(invite('1000', 'carrier.example'));
  assert.equal(extensionFromOutside.kind === 'reject' && extensionFromOutside.status, 404);
});

test('a device must authenticate (407) before it reaches extensions; bad credentials get 403', async () => {
  const challenged = await router.route(invite('1000', 'acme.pivot.test'));
  assert.equal(challenged.kind, 'challenge');
  if (challenged.kind === 'challenge') assert.match(challenged.value, /^Digest realm="acme\.pivot\.test"/);
  const wrong = await router.route(authed('1000', 'guess'));
  assert.deepEqual(wrong, { kind: 'reject', status: 403, reason: 'Forbidden (bad credentials)' });
  const ok = await router.route(authed('1000', 'wonderland'));
  assert.equal(ok.kind, 'route');
  if (ok.kind === 'route') {
    assert.equal(ok.match, 'extension');
    assert.equal(ok.dialled, '1000');
    assert.equal(ok.device?.name, 'Alice desk');
  }
});

test('authenticated devices reach callflow patterns, with captures; unknown extensions get 404', async () => {
  const r = await router.route(authed('*914155551234', 'wonderland'));
  assert.equal(r.kind, 'route');
  if (r.kind === 'route') {
    assert.equal(r.match, 'pattern');
    assert.deepEqual(r.captures, ['14155551234']);
    assert.equal(r.callflow.name, 'Outbound');
  }
  assert.deepEqual(await router.route(authed('2000', 'wonderland')), {
    kind: 'reject',
    status: 404,
    reason: 'Not Found (no extension 2000 in account Acme)',
  });
  const disabled = await router.route(invite('1000', 'closed.pivot.test'));
  assert.equal(disabled.kind === 'reject' && disabled.status, 403);
});
