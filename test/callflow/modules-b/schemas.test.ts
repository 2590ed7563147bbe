import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowValidator, type FlowValidation } from '../../../src/callflow/validate.js';

const ID = '0123456789abcdef0123456789abcdef';

function data(v: FlowValidation): Record<string, unknown> {
  assert.ok(v.ok, `expected a valid flow: ${JSON.stringify(!v.ok && v.errors)}`);
  return v.ok ? v.flow.data : {};
}

function errors(v: FlowValidation): [string, string][] {
  assert.ok(!v.ok, 'expected validation errors');
  return v.ok ? [] : v.errors.map((e) => [e.path, e.rule]);
}

const validate = (module: string, d: Record<string, unknown>) => flowValidator().validate({ module, data: d });

test('device: Kazoo defaults, and a bad strategy or timeout is rejected', () => {
  assert.deepEqual(data(validate('device', { id: ID })), {
    id: ID,
    timeout: 0,
    delay: 0,
    dial_strategy: 'simultaneous',
  });
  assert.deepEqual(errors(validate('device', { id: ID, dial_strategy: 'round_robin', timeout: 'soon' })), [
    ['flow.data.timeout', 'type'],
    ['flow.data.dial_strategy', 'enum'],
  ]);
  assert.deepEqual(data(validate('device', { id: ID, skip_module: true })).skip_module, true);
});

test('user: defaults timeout 20, delay 0, simultaneous; strategy must be simultaneous or single', () => {
  assert.deepEqual(data(validate('user', { id: ID })), { id: ID, timeout: 20, delay: 0, strategy: 'simultaneous' });
  assert.deepEqual(errors(validate('user', { id: ID, strategy: 'weighted_random' })), [['flow.data.strategy', 'enum']]);
});

test('ring_group: endpoints required; member defaults delay 0 / timeout 20; weight 1..100', () => {
  const d = data(validate('ring_group', { endpoints: [{ id: ID, endpoint_type: 'user' }, ID] }));
  assert.deepEqual(d, {
    endpoints: [{ id: ID, endpoint_type: 'user', delay: 0, timeout: 20 }, ID],
    strategy: 'simultaneous',
    timeout: 20,
    repeats: 1,
    ignore_forward: true,
  });
  assert.deepEqual(errors(validate('ring_group', {})), [['flow.data.endpoints', 'required']]);
  assert.deepEqual(errors(validate('ring_group', { endpoints: [] })), [['flow.data.endpoints', 'minItems']]);
  const bad = errors(validate('ring_group', { endpoints: [{ id: ID, endpoint_type: 'device', weight: 101 }] }));
  assert.ok(bad.some(([path, rule]) => path === 'flow.data.endpoints.0.weight' && rule === 'maximum'));
  const untyped = errors(validate('ring_group', { endpoints: [{ id: ID }] }));
  assert.ok(untyped.some(([path, rule]) => path === 'flow.data.endpoints.0.endpoint_type' && rule === 'required'));
  assert.deepEqual(errors(validate('ring_group', { endpoints: [ID], repeats: 0 })), [['flow.data.repeats', 'minimum']]);
});

test('conference: welcome_prompt.play defaults to true; id must be a 32-character id', () => {
  assert.deepEqual(data(validate('conference', { config: { name: 'My Ad-hoc Conference' } })), {
    config: { name: 'My Ad-hoc Conference' },
    welcome_prompt: { play: true },
  });
  assert.deepEqual(errors(validate('conference', { id: 'conference_id' })), [['flow.data.id', 'minLength']]);
  assert.deepEqual(errors(validate('conference', { config: { name: 'x', max_participants: -1 } })), [
    ['flow.data.config.max_participants', 'minimum'],
  ]);
  assert.ok(data(validate('conference', { id: ID, play_entry_tone: 'tone-media', play_exit_tone: false })));
});

test('resources: defaults use_local_resources, caller_id_type external, no flags, early media on', () => {
  assert.deepEqual(data(validate('resources', { to_did: '+14155550000' })), {
    to_did: '+14155550000',
    use_local_resources: true,
    outbound_flags: [],
    caller_id_type: 'external',
    ignore_early_media: false,
  });
  assert.deepEqual(errors(validate('resources', { outbound_flags: 'fax' })), [['flow.data.outbound_flags', 'type']]);
  assert.deepEqual(data(validate('offnet', {})).use_local_resources, true, 'offnet is an alias of resources');
});

test('voicemail: compose by default, 500 s messages, 2000 ms between digits; action must be compose or check', () => {
  assert.deepEqual(data(validate('voicemail', { id: ID })), {
    id: ID,
    action: 'compose',
    max_message_length: 500,
    interdigit_timeout: 2000,
    callerid_match_login: false,
    single_mailbox_login: false,
  });
  assert.deepEqual(errors(validate('voicemail', { id: ID, action: 'listen' })), [['flow.data.action', 'enum']]);
});
