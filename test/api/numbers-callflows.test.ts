// Phone numbers, callflows and the documents callflow modules read (menus, temporal rules, conferences, voicemail
// boxes, carrier resources) over real HTTP against a started Pivot: E.164 numbers unique across the system,
// callflow numbers/extensions/patterns/flow validation (a Pivot Callflow Action round-trips), every verb's success
// and error shapes, listings paged and filtered, read-only user tokens, and tenant isolation for every verb.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiServer, type ApiServer } from '../helpers/api.js';
import { plainUser, tenant, walkPages, type Tenant } from '../helpers/tenants.js';

let api: ApiServer;
let admin: string;

before(async () => {
  api = await apiServer({ min: 39400, max: 39499 });
  admin = await api.login('admin', 'admin', api.adminPassword);
});

after(async () => {
  await api.stop();
});

const MISSING_ID = '0123456789abcdef0123456789abcdef';
const pivotFlow = (url = 'https://app.example.com/voice') => ({ module: 'pivot', data: { voice_url: url } });

describe('phone numbers', () => {
  let t: Tenant;
  before(async () => {
    t = await tenant(api, admin, api.masterId, 'Numbers Inc');
  });

  test('PUT adds a number (a URL-encoded +, a bare + and typed forms all normalise to E.164)', async () => {
    const encoded = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550100`, { token: t.token });
    assert.equal(encoded.status, 201, JSON.stringify(encoded.body));
    assert.equal(encoded.body.data.id, '+14155550100');
    assert.equal(encoded.body.data.state, 'in_service');
    assert.equal(encoded.body.data.assigned_to, t.id);
    assert.ok(encoded.body.revision);
    const bare = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/+14155550101`, {
      token: t.token,
      data: { state: 'reserved', cnam: { display_name: 'Acme' } },
    });
    assert.equal(bare.status, 201);
    assert.equal(bare.body.data.state, 'reserved');
    assert.deepEqual(bare.body.data.cnam, { display_name: 'Acme' });
    const typed = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/${encodeURIComponent('(415) 555-0102')}`, {
      token: t.token,
    });
    assert.equal(typed.status, 201);
    assert.equal(typed.body.data.id, '+14155550102');

    const read = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers/%2B14155550101`, { token: t.token });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.cnam.display_name, 'Acme');
    const readPlain = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers/4155550101`, { token: t.token });
    assert.equal(readPlain.body.data.id, '+14155550101');

    const list = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers`, { token: t.token });
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.body.data.numbers), ['+14155550100', '+14155550101', '+14155550102']);
    assert.equal(list.body.data.numbers['+14155550101'].state, 'reserved');
    assert.equal(list.body.page_size, 3);
  });

  test('invalid numbers are 400s; a number any account has is a 409', async () => {
    for (const bad of ['abc', '%2B12', '123']) {
      const res = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/${bad}`, { token: t.token });
      assert.equal(res.status, 400, bad);
      assert.ok(res.body.data.number.format, bad);
    }
    const state = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550109`, {
      token: t.token,
      data: { state: 'ported' },
    });
    assert.equal(state.status, 400);
    assert.ok(state.body.data.state.enum);
    await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550110`, { token: t.token });
    const again = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550110`, { token: t.token });
    assert.equal(again.status, 409);
    assert.ok(again.body.data.number.unique);
    const other = await tenant(api, admin, api.masterId, 'Numbers Elsewhere');
    const taken = await api.call('PUT', `/v2/accounts/${other.id}/phone_numbers/4155550110`, { token: other.token });
    assert.equal(taken.status, 409);
    assert.match(taken.body.data.number.unique.message, /another account/);
    assert.ok(!JSON.stringify(taken.body).includes(t.id), 'the owner is not named');
    const missing = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers/%2B14155550199`, { token: t.token });
    assert.equal(missing.status, 404);
  });

  test('PATCH merges, POST replaces (state stays), If-Match guards', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550120`, {
      token: t.token,
      data: { cnam: { display_name: 'One' }, e911: { street_address: '1 Main St' } },
    });
    const url = `/v2/accounts/${t.id}/phone_numbers/%2B14155550120`;
    const patched = await api.call('PATCH', url, { token: t.token, data: { cnam: { display_name: 'Two' } } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.cnam.display_name, 'Two');
    assert.equal(patched.body.data.e911.street_address, '1 Main St');
    const replaced = await api.call('POST', url, { token: t.token, data: { features: ['cnam'] } });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.data.e911, undefined, 'POST replaces');
    assert.equal(replaced.body.data.cnam, undefined);
    assert.deepEqual(replaced.body.data.features, ['cnam']);
    assert.equal(replaced.body.data.state, 'in_service');
    const bad = await api.call('PATCH', url, { token: t.token, data: { features: 'cnam' } });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.data.features.type);
    const stale = await fetch(`${api.base}${url}`, {
      method: 'PATCH',
      headers: { 'X-Auth-Token': t.token, 'Content-Type': 'application/json', 'If-Match': String(made.body.revision) },
      body: JSON.stringify({ data: { state: 'reserved' } }),
    });
    assert.equal(stale.status, 412);
    const fresh = await fetch(`${api.base}${url}`, {
      method: 'PATCH',
      headers: {
        'X-Auth-Token': t.token,
        'Content-Type': 'application/json',
        'If-Match': String(replaced.body.revision),
      },
      body: JSON.stringify({ data: { state: 'reserved' } }),
    });
    assert.equal(fresh.status, 200);
    for (const method of ['POST', 'PATCH', 'DELETE'] as const) {
      const res = await api.call(method, `/v2/accounts/${t.id}/phone_numbers/%2B14155550198`, {
        token: t.token,
        data: method === 'DELETE' ? undefined : {},
      });
      assert.equal(res.status, 404, method);
    }
  });

  test('DELETE releases a number, but not while a callflow lists it (409 naming the callflow)', async () => {
    await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550130`, { token: t.token });
    const cf = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { name: 'Main line', numbers: ['+14155550130'], flow: pivotFlow() },
    });
    assert.equal(cf.status, 201, JSON.stringify(cf.body));
    const used = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers/%2B14155550130`, { token: t.token });
    assert.equal(used.body.data.used_by, 'callflow');
    assert.equal(used.body.data.callflow_id, cf.body.data.id);
    const refused = await api.call('DELETE', `/v2/accounts/${t.id}/phone_numbers/%2B14155550130`, {
      token: t.token,
    });
    assert.equal(refused.status, 409);
    assert.match(refused.body.data.number.unique.message, /Main line/);
    assert.equal(refused.body.data.number.unique.cause, cf.body.data.id);
    await api.call('PATCH', `/v2/accounts/${t.id}/callflows/${cf.body.data.id}`, {
      token: t.token,
      data: { numbers: ['1300'] },
    });
    const released = await api.call('DELETE', `/v2/accounts/${t.id}/phone_numbers/%2B14155550130`, {
      token: t.token,
    });
    assert.equal(released.status, 200);
    assert.equal(released.body.data.id, '+14155550130');
    assert.equal(await api.server.store.phoneNumbers.get('+14155550130'), undefined);
    const gone = await api.call('GET', `/v2/accounts/${t.id}/phone_numbers/%2B14155550130`, { token: t.token });
    assert.equal(gone.status, 404);
  });

  test('the listing pages by number and filters', async () => {
    const p = await tenant(api, admin, api.masterId, 'Numbers Paged');
    for (let i = 1; i <= 5; i++) {
      await api.call('PUT', `/v2/accounts/${p.id}/phone_numbers/%2B1212555010${i}`, {
        token: p.token,
        data: i % 2 ? {} : { state: 'reserved' },
      });
    }
    const pages = await walkPages(api, p.token, `/v2/accounts/${p.id}/phone_numbers`, 2);
    assert.deepEqual(
      pages.map((pg) => pg.length),
      [2, 2, 1],
    );
    assert.deepEqual(
      pages.flat().map((n) => (n as { id: string }).id),
      ['+12125550101', '+12125550102', '+12125550103', '+12125550104', '+12125550105'],
    );
    const reserved = await api.call('GET', `/v2/accounts/${p.id}/phone_numbers?filter_state=reserved`, {
      token: p.token,
    });
    assert.deepEqual(Object.keys(reserved.body.data.numbers), ['+12125550102', '+12125550104']);
  });
});

describe('callflows', () => {
  let t: Tenant;
  before(async () => {
    t = await tenant(api, admin, api.masterId, 'Callflows Inc');
    for (const n of ['%2B14155550200', '%2B14155550201', '%2B14155550202']) {
      await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/${n}`, { token: t.token });
    }
  });

  test('a Pivot Callflow Action round-trips, with the module defaults filled', async () => {
    const body = {
      name: 'Pivot app',
      numbers: ['+14155550200', '2000'],
      patterns: ['^9(\\d+)$'],
      flow: {
        module: 'pivot',
        data: {
          voice_url: 'https://app.example.com/voice',
          req_format: 'twiml',
          debug: true,
          cdr_url: 'https://app.example.com/cdr',
        },
        children: { _: { module: 'hangup', data: {} } },
      },
    };
    const made = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, { token: t.token, data: body });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const cf = made.body.data;
    assert.deepEqual(cf.numbers, ['+14155550200', '2000']);
    assert.deepEqual(cf.patterns, ['^9(\\d+)$']);
    assert.equal(cf.flow.module, 'pivot');
    assert.equal(cf.flow.data.voice_url, 'https://app.example.com/voice');
    assert.equal(cf.flow.data.req_format, 'twiml');
    assert.equal(cf.flow.data.debug, true);
    assert.equal(cf.flow.data.method, 'get', 'schema defaults are filled');
    assert.equal(cf.flow.data.req_body_format, 'form');
    assert.equal(cf.flow.children._.module, 'hangup');
    const read = await api.call('GET', `/v2/accounts/${t.id}/callflows/${cf.id}`, { token: t.token });
    assert.deepEqual(read.body.data, cf);
    const back = await api.call('POST', `/v2/accounts/${t.id}/callflows/${cf.id}`, {
      token: t.token,
      data: read.body.data,
    });
    assert.equal(back.status, 200, 'what was read can be written back as is');
    assert.deepEqual(back.body.data.flow, cf.flow);
    const stored = await api.server.store.callflows.findByNumber(t.id, '+14155550200');
    assert.equal(stored?.id, cf.id, 'the router finds it by its number');
  });

  test('numbers: E.164 ones must be the account’s, typed forms are normalised, each is unique in the account', async () => {
    const unassigned = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { numbers: ['+14155550299'], flow: pivotFlow() },
    });
    assert.equal(unassigned.status, 400);
    assert.match(unassigned.body.data.numbers.assigned.message, /\+14155550299/);
    const short = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { numbers: ['+12'], flow: pivotFlow() },
    });
    assert.equal(short.status, 400);
    assert.ok(short.body.data.numbers.format);
    const typed = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { name: 'Typed', numbers: ['(415) 555-0201', '2001', '2001'], flow: pivotFlow() },
    });
    assert.equal(typed.status, 201);
    assert.deepEqual(typed.body.data.numbers, ['+14155550201', '2001']);

    const dupExt = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { numbers: ['2001'], flow: pivotFlow() },
    });
    assert.equal(dupExt.status, 409);
    assert.match(dupExt.body.data.numbers.unique.message, /Typed/);
    assert.equal(dupExt.body.data.numbers.unique.cause, typed.body.data.id);
    const dupNumber = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { numbers: ['+14155550201'], flow: pivotFlow() },
    });
    assert.equal(dupNumber.status, 409);
    const self = await api.call('PATCH', `/v2/accounts/${t.id}/callflows/${typed.body.data.id}`, {
      token: t.token,
      data: { numbers: ['2001', '+14155550201', '+14155550202'] },
    });
    assert.equal(self.status, 200, 'a callflow keeps its own numbers');
    const other = await tenant(api, admin, api.masterId, 'Callflows Elsewhere');
    const ext = await api.call('PUT', `/v2/accounts/${other.id}/callflows`, {
      token: other.token,
      data: { numbers: ['2001'], flow: pivotFlow() },
    });
    assert.equal(ext.status, 201, 'extensions are unique per account only');
    const foreign = await api.call('PUT', `/v2/accounts/${other.id}/callflows`, {
      token: other.token,
      data: { numbers: ['+14155550202'], flow: pivotFlow() },
    });
    assert.equal(foreign.status, 400, 'another account’s number is not this account’s');
  });

  test('patterns must compile; flow nodes are validated with their path and rule', async () => {
    const pattern = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { patterns: ['^ok$', '(['], flow: pivotFlow() },
    });
    assert.equal(pattern.status, 400);
    assert.equal(pattern.body.data.patterns.format.value, '([');
    const child = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { flow: { module: 'play', data: { id: 'x' }, children: { _: { module: 'pivot', data: {} } } } },
    });
    assert.equal(child.status, 400);
    assert.ok(child.body.data['flow.children._.data.voice_url'].required);
    const url = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { flow: { module: 'pivot', data: { voice_url: 'ftp://x', method: 'put' } } },
    });
    assert.equal(url.status, 400);
    assert.ok(url.body.data['flow.data.voice_url'].pattern);
    assert.ok(url.body.data['flow.data.method'].enum);
    const unknown = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { flow: { module: 'teleport', data: {} } },
    });
    assert.equal(unknown.status, 400);
    assert.ok(unknown.body.data['flow.module'].enum);
    const none = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, { token: t.token, data: { name: 'x' } });
    assert.equal(none.status, 400);
    assert.ok(none.body.data.flow.required);
    const numbersType = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { numbers: '1000', flow: pivotFlow() },
    });
    assert.equal(numbersType.status, 400);
    assert.ok(numbersType.body.data.numbers.type);
  });

  test('a pivot URL the URL policy denies is refused at save, at its field, with the Twilio-style code', async () => {
    const metadata = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: {
        flow: {
          module: 'tts',
          data: { text: 'hi' },
          children: { _: { module: 'pivot', data: { voice_url: 'http://169.254.169.254/latest/meta-data' } } },
        },
      },
    });
    assert.equal(metadata.status, 400);
    assert.match(
      metadata.body.data['flow.children._.data.voice_url'].url_policy.message,
      /denies 169\.254\.169\.254.*11200/,
    );
    const cdr = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { flow: { module: 'pivot', data: { voice_url: 'http://127.0.0.1:9/', cdr_url: 'http://0.0.0.0/cdr' } } },
    });
    assert.equal(cdr.status, 400);
    assert.ok(cdr.body.data['flow.data.cdr_url'].url_policy);
  });

  test('PATCH, POST and DELETE; a missing id is a 404; a PATCH cannot remove the flow', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/callflows`, {
      token: t.token,
      data: { name: 'Edit me', numbers: ['3000'], flow: pivotFlow() },
    });
    const id = made.body.data.id;
    const patched = await api.call('PATCH', `/v2/accounts/${t.id}/callflows/${id}`, {
      token: t.token,
      data: { flow: pivotFlow('https://app.example.com/v2') },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.data.flow.data.voice_url, 'https://app.example.com/v2');
    assert.deepEqual(patched.body.data.numbers, ['3000']);
    const noFlow = await api.call('PATCH', `/v2/accounts/${t.id}/callflows/${id}`, {
      token: t.token,
      data: { flow: null },
    });
    assert.equal(noFlow.status, 400);
    assert.ok(noFlow.body.data.flow.required);
    const replaced = await api.call('POST', `/v2/accounts/${t.id}/callflows/${id}`, {
      token: t.token,
      data: { flow: pivotFlow() },
    });
    assert.equal(replaced.body.data.name, undefined);
    assert.equal(replaced.body.data.numbers, undefined);
    assert.equal(await api.server.store.callflows.findByNumber(t.id, '3000'), undefined, 'its extension is free');
    assert.equal((await api.call('DELETE', `/v2/accounts/${t.id}/callflows/${id}`, { token: t.token })).status, 200);
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
      const res = await api.call(method, `/v2/accounts/${t.id}/callflows/${id}`, {
        token: t.token,
        data: method === 'POST' || method === 'PATCH' ? { flow: pivotFlow() } : undefined,
      });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.message, 'callflow not found');
    }
  });
});

/** Per resource: a valid document, failing ones with the fields and rules expected, and a change for PATCH. */
interface ResourceCase {
  valid(n: number): Record<string, unknown>;
  invalid: { data: Record<string, unknown>; errors: Record<string, string> }[];
  patch: Record<string, unknown>;
}

let mailbox = 100;
const CASES: Record<string, ResourceCase> = {
  callflows: {
    valid: (n) => ({ name: `item${n}`, numbers: [`9${n}${Date.now() % 100000}`], flow: pivotFlow() }),
    invalid: [{ data: { name: 'x', patterns: [1] }, errors: { flow: 'required', 'patterns.0': 'type' } }],
    patch: { patterns: ['^7\\d+$'] },
  },
  menus: {
    valid: (n) => ({ name: `item${n}`, retries: 2, media: { greeting: 'https://example.com/g.wav' } }),
    invalid: [
      { data: { retries: 0, hunt: 'yes' }, errors: { name: 'required', retries: 'minimum', hunt: 'type' } },
      { data: { name: 'm', hunt_allow: '([' }, errors: { hunt_allow: 'format' } },
      { data: { name: 'm', media: { invalid_media: 3 } }, errors: { 'media.invalid_media': 'type' } },
    ],
    patch: { max_extension_length: 3 },
  },
  temporal_rules: {
    valid: (n) => ({
      name: `item${n}`,
      cycle: 'weekly',
      wdays: ['monday', 'friday'],
      time_window_start: 32400,
      time_window_stop: 61200,
    }),
    invalid: [
      { data: { name: 'r', cycle: 'hourly', wdays: ['funday'] }, errors: { cycle: 'enum', 'wdays.0': 'enum' } },
      { data: { name: 'r', timezone: 'Mars/Olympus_Mons' }, errors: { timezone: 'enum' } },
      { data: { name: 'r', time_window_start: 600, time_window_stop: 60 }, errors: { time_window_stop: 'minimum' } },
      { data: { name: 'r', days: [32], month: 13 }, errors: { 'days.0': 'maximum', month: 'maximum' } },
    ],
    patch: { timezone: 'America/New_York' },
  },
  conferences: {
    valid: (n) => ({ name: `item${n}`, member: { pins: ['1234'] }, max_participants: 10 }),
    invalid: [
      { data: { member: { pins: [1234] } }, errors: { name: 'required', 'member.pins.0': 'type' } },
      { data: { name: 'c', owner_id: MISSING_ID }, errors: { owner_id: 'not_found' } },
    ],
    patch: { wait_for_moderator: true },
  },
  vmboxes: {
    valid: (n) => ({ name: `item${n}`, mailbox: String(mailbox++), pin: '4321' }),
    invalid: [
      { data: { name: 'v', mailbox: '12ab', pin: '12' }, errors: { mailbox: 'pattern', pin: 'pattern' } },
      { data: { name: 'v' }, errors: { mailbox: 'required' } },
      { data: { name: 'v', mailbox: '555', timezone: 'Nowhere/Land' }, errors: { timezone: 'enum' } },
    ],
    patch: { skip_greeting: true },
  },
  resources: {
    valid: (n) => ({
      name: `item${n}`,
      gateways: [{ server: 'sip.carrier.example', port: 5080, transport: 'tcp', username: 'u', password: 'p' }],
      rules: ['^\\+1\\d{10}$'],
      weight_cost: 10,
      number_format: 'npan',
    }),
    invalid: [
      { data: { name: 'r', gateways: [] }, errors: { gateways: 'minItems' } },
      {
        data: {
          name: 'r',
          gateways: [{ server: 'bad host!', port: 70000, transport: 'tls' }],
          weight_cost: 0,
          number_format: 'plus',
        },
        errors: {
          'gateways.0.server': 'pattern',
          'gateways.0.port': 'maximum',
          'gateways.0.transport': 'enum',
          weight_cost: 'minimum',
          number_format: 'enum',
        },
      },
      {
        data: { name: 'r', gateways: [{ server: 'a.example', port: '99999' }] },
        errors: { 'gateways.0.port': 'maximum' },
      },
      { data: { name: 'r', gateways: [{ port: 5060 }], rules: ['('] }, errors: { 'gateways.0.server': 'required' } },
      { data: { name: 'r', gateways: [{ server: 'a.example' }], rules: ['ok', '('] }, errors: { 'rules.1': 'format' } },
    ],
    patch: { weight_cost: 20 },
  },
};

describe('menus, temporal rules, conferences, voicemail boxes and carrier resources', () => {
  let t: Tenant;
  before(async () => {
    t = await tenant(api, admin, api.masterId, 'Config Inc');
  });

  for (const path of ['menus', 'temporal_rules', 'conferences', 'vmboxes', 'resources']) {
    test(`${path}: every verb, its answer and its errors`, async () => {
      const c = CASES[path];
      const base = `/v2/accounts/${t.id}/${path}`;
      const body = c.valid(1);
      const made = await api.call('PUT', base, { token: t.token, data: { ...body, custom_field: { kept: true } } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const id = made.body.data.id;
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.equal(made.body.data.name, 'item1');
      assert.deepEqual(made.body.data.custom_field, { kept: true }, 'documents are open');
      assert.ok(made.body.revision);

      const read = await api.call('GET', `${base}/${id}`, { token: t.token });
      assert.deepEqual(read.body.data, made.body.data);
      const list = await api.call('GET', base, { token: t.token });
      assert.deepEqual(
        list.body.data.map((d: { id: string }) => d.id),
        [id],
      );

      const patched = await api.call('PATCH', `${base}/${id}`, { token: t.token, data: c.patch });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      for (const [k, v] of Object.entries(c.patch)) assert.deepEqual(patched.body.data[k], v);
      assert.deepEqual(patched.body.data.custom_field, { kept: true }, 'PATCH keeps the rest');
      const replaced = await api.call('POST', `${base}/${id}`, { token: t.token, data: body });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.data.custom_field, undefined, 'POST replaces');

      for (const bad of c.invalid) {
        const res = await api.call('PUT', base, { token: t.token, data: bad.data });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(bad.data)}: ${JSON.stringify(res.body)}`);
        for (const [field, rule] of Object.entries(bad.errors)) {
          assert.ok(res.body.data[field]?.[rule], `${path}: ${field} ${rule} in ${JSON.stringify(res.body.data)}`);
        }
      }
      const badPatch = await api.call('PATCH', `${base}/${id}`, { token: t.token, data: { name: null } });
      assert.equal(badPatch.status, 400, 'a PATCH cannot remove a required field');
      assert.ok(badPatch.body.data.name.required);

      const deleted = await api.call('DELETE', `${base}/${id}`, { token: t.token });
      assert.equal(deleted.status, 200);
      assert.equal(deleted.body.data.id, id);
      for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
        const res = await api.call(method, `${base}/${id}`, {
          token: t.token,
          data: method === 'POST' || method === 'PATCH' ? body : undefined,
        });
        assert.equal(res.status, 404, `${path} ${method}`);
      }
    });
  }

  test('vmboxes: a mailbox number is unique in the account; the PIN is the owner’s and admins’', async () => {
    const base = `/v2/accounts/${t.id}/vmboxes`;
    const first = await api.call('PUT', base, {
      token: t.token,
      data: { name: 'Sales', mailbox: '3001', pin: '1111' },
    });
    assert.equal(first.status, 201);
    const dup = await api.call('PUT', base, { token: t.token, data: { name: 'Support', mailbox: '3001' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.data.mailbox.unique.cause, first.body.data.id);
    const reader = await plainUser(api, t, 'vmreader');
    const seen = await api.call('GET', `${base}/${first.body.data.id}`, { token: reader.token });
    assert.equal(seen.body.data.pin, undefined);
    assert.equal((await api.call('GET', `${base}?filter_pin=1111`, { token: reader.token })).status, 400);
    const owned = await api.call('PUT', base, {
      token: t.token,
      data: { name: 'Mine', mailbox: '3002', pin: '2222', owner_id: reader.id },
    });
    assert.equal(
      (await api.call('GET', `${base}/${owned.body.data.id}`, { token: reader.token })).body.data.pin,
      '2222',
    );
  });

  test('resources: a port given as text is stored as a number; gateway passwords are for admins only', async () => {
    const made = await api.call('PUT', `/v2/accounts/${t.id}/resources`, {
      token: t.token,
      data: { name: 'Carrier', gateways: [{ server: '192.0.2.10', port: '5080', password: 'trunk-secret' }] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.data.gateways[0].port, 5080);
    assert.equal(made.body.data.gateways[0].password, 'trunk-secret');
    const reader = await plainUser(api, t, 'trunkreader');
    const seen = await api.call('GET', `/v2/accounts/${t.id}/resources/${made.body.data.id}`, {
      token: reader.token,
    });
    assert.equal(seen.status, 200);
    assert.equal(seen.body.data.gateways[0].server, '192.0.2.10');
    assert.equal(seen.body.data.gateways[0].password, undefined);
  });
});

describe('listings of every collection', () => {
  for (const path of Object.keys(CASES)) {
    test(`${path}: page_size 2 over 5 walks every page; filters narrow`, async () => {
      const p = await tenant(api, admin, api.masterId, `Paged ${path}`);
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const res = await api.call('PUT', `/v2/accounts/${p.id}/${path}`, {
          token: p.token,
          data: CASES[path].valid(i),
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        ids.push(res.body.data.id);
      }
      const pages = await walkPages(api, p.token, `/v2/accounts/${p.id}/${path}`, 2);
      assert.deepEqual(
        pages.map((pg) => pg.length),
        [2, 2, 1],
      );
      assert.deepEqual(
        pages.flat().map((d) => (d as { id: string }).id),
        ids,
      );
      const one = await api.call('GET', `/v2/accounts/${p.id}/${path}?filter_name=item3`, { token: p.token });
      assert.deepEqual(
        one.body.data.map((d: { id: string }) => d.id),
        [ids[2]],
      );
      const bad = await api.call('GET', `/v2/accounts/${p.id}/${path}?start_key=nonsense`, { token: p.token });
      assert.equal(bad.status, 400);
      assert.ok(bad.body.data.start_key);
    });
  }
});

describe('user tokens and tenant isolation', () => {
  test('a user token reads every collection and writes none', async () => {
    const t = await tenant(api, admin, api.masterId, 'Read Only Inc');
    const reader = await plainUser(api, t, 'ro');
    await api.call('PUT', `/v2/accounts/${t.id}/phone_numbers/%2B14155550300`, { token: t.token });
    for (const path of Object.keys(CASES)) {
      const made = await api.call('PUT', `/v2/accounts/${t.id}/${path}`, {
        token: t.token,
        data: CASES[path].valid(1),
      });
      const id = made.body.data.id;
      assert.equal((await api.call('GET', `/v2/accounts/${t.id}/${path}`, { token: reader.token })).status, 200);
      assert.equal((await api.call('GET', `/v2/accounts/${t.id}/${path}/${id}`, { token: reader.token })).status, 200);
      for (const [method, url, data] of [
        ['PUT', `/v2/accounts/${t.id}/${path}`, CASES[path].valid(2)],
        ['POST', `/v2/accounts/${t.id}/${path}/${id}`, CASES[path].valid(3)],
        ['PATCH', `/v2/accounts/${t.id}/${path}/${id}`, CASES[path].patch],
        ['DELETE', `/v2/accounts/${t.id}/${path}/${id}`, undefined],
      ] as const) {
        const res = await api.call(method, url, { token: reader.token, data });
        assert.equal(res.status, 403, `${method} ${url}`);
      }
    }
    const numbers = `/v2/accounts/${t.id}/phone_numbers`;
    assert.equal((await api.call('GET', numbers, { token: reader.token })).status, 200);
    assert.equal((await api.call('GET', `${numbers}/%2B14155550300`, { token: reader.token })).status, 200);
    for (const [method, url] of [
      ['PUT', `${numbers}/%2B14155550301`],
      ['POST', `${numbers}/%2B14155550300`],
      ['PATCH', `${numbers}/%2B14155550300`],
      ['DELETE', `${numbers}/%2B14155550300`],
    ] as const) {
      const res = await api.call(method, url, { token: reader.token, data: method === 'DELETE' ? undefined : {} });
      assert.equal(res.status, 403, `${method} ${url}`);
    }
  });

  test('siblings and parents are out of reach for every collection and verb; another account’s id is a 404', async () => {
    const a = await tenant(api, admin, api.masterId, 'Iso2 A');
    const b = await tenant(api, admin, api.masterId, 'Iso2 B');
    const a1 = await tenant(api, a.token, a.id, 'Iso2 A1');
    const verbs = (account: string, path: string, id: string, c: ResourceCase) =>
      [
        ['GET', `/v2/accounts/${account}/${path}`, undefined],
        ['PUT', `/v2/accounts/${account}/${path}`, c.valid(90)],
        ['GET', `/v2/accounts/${account}/${path}/${id}`, undefined],
        ['POST', `/v2/accounts/${account}/${path}/${id}`, c.valid(91)],
        ['PATCH', `/v2/accounts/${account}/${path}/${id}`, c.patch],
        ['DELETE', `/v2/accounts/${account}/${path}/${id}`, undefined],
      ] as const;
    for (const [path, c] of Object.entries(CASES)) {
      const inB = await api.call('PUT', `/v2/accounts/${b.id}/${path}`, { token: b.token, data: c.valid(50) });
      const inA = await api.call('PUT', `/v2/accounts/${a.id}/${path}`, { token: a.token, data: c.valid(60) });
      assert.equal(inB.status, 201, JSON.stringify(inB.body));
      assert.equal(inA.status, 201, JSON.stringify(inA.body));
      for (const [method, url, data] of verbs(b.id, path, inB.body.data.id, c)) {
        const res = await api.call(method, url, { token: a.token, data });
        assert.equal(res.status, 403, `A on sibling B: ${method} ${url}`);
      }
      for (const [method, url, data] of verbs(a.id, path, inA.body.data.id, c)) {
        const res = await api.call(method, url, { token: a1.token, data });
        assert.equal(res.status, 403, `A1 on parent A: ${method} ${url}`);
      }
      for (const [method, url, data] of verbs(a.id, path, inB.body.data.id, c).slice(2)) {
        const res = await api.call(method, url, { token: a.token, data });
        assert.equal(res.status, 404, `B's id under A: ${method} ${url}`);
        assert.ok(!JSON.stringify(res.body).includes('item50'), 'nothing of B’s document');
      }
      const still = await api.call('GET', `/v2/accounts/${b.id}/${path}/${inB.body.data.id}`, { token: b.token });
      assert.equal(still.body.data.name, 'item50', 'B’s document is unchanged');
      assert.equal((await api.call('GET', `/v2/accounts/${a1.id}/${path}`, { token: a.token })).status, 200);
    }

    const num = (account: string, n: string) => `/v2/accounts/${account}/phone_numbers/${n}`;
    assert.equal((await api.call('PUT', num(b.id, '%2B14155550400'), { token: b.token })).status, 201);
    assert.equal((await api.call('PUT', num(a.id, '%2B14155550401'), { token: a.token })).status, 201);
    for (const [account, token, n] of [
      [b.id, a.token, '%2B14155550400'],
      [a.id, a1.token, '%2B14155550401'],
    ] as const) {
      assert.equal((await api.call('GET', `/v2/accounts/${account}/phone_numbers`, { token })).status, 403);
      for (const method of ['PUT', 'GET', 'POST', 'PATCH', 'DELETE'] as const) {
        const res = await api.call(method, num(account, n), {
          token,
          data: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        assert.equal(res.status, 403, `${method} ${num(account, n)}`);
      }
    }
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
      const res = await api.call(method, num(a.id, '%2B14155550400'), {
        token: a.token,
        data: method === 'GET' || method === 'DELETE' ? undefined : { state: 'reserved' },
      });
      assert.equal(res.status, 404, `B's number under A: ${method}`);
    }
    assert.equal((await api.server.store.phoneNumbers.get('+14155550400'))?.account_id, b.id, 'still B’s');
    const listed = await api.call('GET', `/v2/accounts/${a.id}/phone_numbers`, { token: a.token });
    assert.deepEqual(Object.keys(listed.body.data.numbers), ['+14155550401']);
  });
});
