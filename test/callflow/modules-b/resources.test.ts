import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint } from '../../../src/call/types.js';
import { toE164 } from '../../../src/call/numbers.js';
import { flowValidator } from '../../../src/callflow/validate.js';
import { harness } from '../../helpers/callflow.js';
import { answers, captureDials, play, played, runCall } from './helpers.js';

type NumberEndpoint = Extract<Endpoint, { type: 'number' }>;
const numbers = (endpoints: unknown) => (endpoints as NumberEndpoint[]).map((e) => [e.number, e.resourceId]);

async function twoCarriers() {
  const h = await harness();
  // Created in the "wrong" order: weight_cost decides (cheapest first).
  const backup = await h.store.resources.create(h.accountId, { name: 'Backup', weight_cost: 80, gateways: [{}] });
  const primary = await h.store.resources.create(h.accountId, { name: 'Primary', weight_cost: 10, gateways: [{}] });
  return { h, primary, backup };
}

test('resources: the first carrier fails with 503, the second answers', async () => {
  const { h, primary, backup } = await twoCarriers();
  const flow = { module: 'resources', data: {}, children: { _: play('fallback') } };
  const checked = flowValidator().validate(flow);
  assert.ok(checked.ok);
  const call = await h.run(checked.flow, {
    request: { user: '4155550000' },
    script: {
      endpoint: (e) => ((e as NumberEndpoint).resourceId === primary.id ? { rejectCode: 503 } : answers),
    },
  });
  const [dial] = call.entries('dial');
  assert.equal(dial.strategy, 'single');
  assert.deepEqual(numbers(dial.endpoints), [
    ['+14155550000', primary.id],
    ['+14155550000', backup.id],
  ]);
  const bridged = call.entries('bridged')[0];
  assert.equal((bridged.endpoint as NumberEndpoint).resourceId, backup.id);
  assert.deepEqual(played(call), [], 'a successful bridge stops the callflow');
});

test('resources: every carrier failing takes the failure child', async () => {
  const { h } = await twoCarriers();
  const call = await h.run(
    {
      module: 'resources',
      data: { to_did: '+14155550000' },
      children: { 'sip:503': play('carriers-down'), _: play('fallback') },
    },
    { script: { endpoint: () => ({ rejectCode: 503 }) } },
  );
  assert.deepEqual(
    call.entries('dial_done').map((e) => [e.status, e.sipCode]),
    [['failed', 503]],
  );
  assert.deepEqual(played(call), ['carriers-down']);
});

test('resources documentation examples: to_did with use_local_resources true and false', async () => {
  const { h, primary } = await twoCarriers();
  for (const local of [true, false]) {
    const flow = { module: 'resources', data: { to_did: '+14155550000', use_local_resources: local } };
    const call = await h.run(flow, { script: { endpoint: () => answers } });
    const [dial] = call.entries('dial');
    assert.deepEqual(numbers(dial.endpoints)[0], ['+14155550000', primary.id]);
    assert.equal(call.entries('bridged').length, 1);
  }
});

test('E.164 normalisation of the dialled number, unless bypass_e164 / do_not_normalize', async () => {
  assert.equal(toE164('4155550000'), '+14155550000');
  assert.equal(toE164('(415) 555-0000'), '+14155550000');
  assert.equal(toE164('14155550000'), '+14155550000');
  assert.equal(toE164('00442071234567'), '+442071234567');
  assert.equal(toE164('011442071234567'), '+442071234567');
  assert.equal(toE164('+33123456789'), '+33123456789');
  assert.equal(toE164('1001'), '1001', 'extensions are left alone');
  assert.equal(toE164('sip:bob@example.com'), undefined, 'not a number');

  const { h } = await twoCarriers();
  const dialled = async (data: Record<string, unknown>, user = '0044 20 7123 4567') => {
    const call = await h.run({ module: 'resources', data }, { request: { user }, script: { endpoint: () => answers } });
    return (call.entries('dial')[0].endpoints as NumberEndpoint[])[0].number;
  };
  assert.equal(await dialled({}), '+442071234567');
  assert.equal(await dialled({ bypass_e164: true }), '0044 20 7123 4567');
  assert.equal(await dialled({ do_not_normalize: true }), '0044 20 7123 4567');
  assert.equal(await dialled({ to_did: '2125550100' }), '+12125550100');
});

test('resources: flags, rules and disabled carriers filter; none usable → NO_ROUTE_DESTINATION', async () => {
  const h = await harness();
  const fax = await h.store.resources.create(h.accountId, { name: 'Fax', flags: ['fax'], weight_cost: 5 });
  const intl = await h.store.resources.create(h.accountId, { name: 'Intl', rules: ['^\\+44'], weight_cost: 1 });
  await h.store.resources.create(h.accountId, { name: 'Off', enabled: false, weight_cost: 1 });
  const strict = await h.store.resources.create(h.accountId, { name: 'Strict', require_flags: true, weight_cost: 1 });
  const plain = await h.store.resources.create(h.accountId, { name: 'Plain', weight_cost: 50 });
  const ring = (data: Record<string, unknown>) =>
    h.run(
      { module: 'resources', data, children: { NO_ROUTE_DESTINATION: play('no-route'), _: play('fallback') } },
      { request: { user: '+14155550000' }, script: { endpoint: () => answers } },
    );

  const us = await ring({});
  assert.deepEqual(numbers(us.entries('dial')[0].endpoints), [
    ['+14155550000', fax.id],
    ['+14155550000', plain.id],
  ]);
  const uk = await ring({ to_did: '+442071234567' });
  assert.deepEqual(
    numbers(uk.entries('dial')[0].endpoints).map(([, id]) => id),
    [intl.id, fax.id, plain.id],
  );
  const faxOnly = await ring({ outbound_flags: ['fax'] });
  assert.deepEqual(numbers(faxOnly.entries('dial')[0].endpoints), [['+14155550000', fax.id]]);
  await h.store.resources.update(h.accountId, strict.id, { flags: ['fax'] });
  const withStrict = await ring({ outbound_flags: ['fax'] });
  assert.deepEqual(
    numbers(withStrict.entries('dial')[0].endpoints).map(([, id]) => id),
    [strict.id, fax.id],
  );

  const none = await ring({ outbound_flags: ['sms'] });
  assert.equal(none.entries('dial').length, 0);
  assert.deepEqual(played(none), ['no-route']);
});

test('resources: headers, timeout, ringback and the external caller id of the calling device', async () => {
  const { h, primary } = await twoCarriers();
  const from = await h.store.devices.create(h.accountId, {
    name: 'Desk',
    caller_id: { external: { number: '+15550009999', name: 'Acme Sales' } },
  });
  let dials: ReturnType<typeof captureDials> = [];
  const call = await runCall(
    h,
    {
      module: 'resources',
      data: {
        to_did: '+14155550000',
        timeout: 25,
        emit_account_id: true,
        custom_sip_headers: { out: { 'X-Campaign': 'spring' } },
        ignore_early_media: true,
      },
    },
    { script: { endpoint: () => answers } },
    { device_id: from.id },
    (c) => (dials = captureDials(c)),
  );
  const [dial] = call.entries('dial');
  assert.deepEqual((dial.endpoints as Endpoint[])[0], {
    type: 'number',
    number: '+14155550000',
    resourceId: primary.id,
    timeoutMs: 25000,
    headers: { 'X-Campaign': 'spring', 'X-Account-ID': h.accountId },
  });
  assert.equal(dial.timeoutMs, 25000);
  assert.deepEqual(dial.callerId, { number: '+15550009999', name: 'Acme Sales' });
  assert.equal(dials[0].ringback, 'tone');
});

test("hunt_account_id: a parent's carriers are used, another tenant's never", async () => {
  const h = await harness();
  const sub = await h.store.accounts.create({ name: 'Sub', realm: 'sub.pivot.test', parent_id: h.accountId });
  const parentCarrier = await h.store.resources.create(h.accountId, { name: 'Reseller trunk' });
  const stranger = await h.store.accounts.create({ name: 'Stranger', realm: 'stranger.pivot.test' });
  await h.store.resources.create(stranger.id, { name: 'Not yours' });
  const flow = (hunt: string) => ({
    module: 'resources',
    data: { to_did: '+14155550000', hunt_account_id: hunt },
    children: { NO_ROUTE_DESTINATION: play('no-route') },
  });

  const viaParent = await h.run(flow(h.accountId), { accountId: sub.id, script: { endpoint: () => answers } });
  assert.deepEqual(numbers(viaParent.entries('dial')[0].endpoints), [['+14155550000', parentCarrier.id]]);

  const viaStranger = await h.run(flow(stranger.id), { accountId: sub.id });
  assert.equal(viaStranger.entries('dial').length, 0);
  assert.deepEqual(played(viaStranger), ['no-route']);
});
