import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsResolver } from '../../src/sip/resolver.js';
import { parseUri } from '../../src/sip/uri.js';

test('RFC 3263: numeric hosts as is, transport from the URI, port 5060 by default', async () => {
  assert.deepEqual(await dnsResolver.resolve(parseUri('sip:bob@127.0.0.1:5070')), [
    { protocol: 'udp', address: '127.0.0.1', port: 5070 },
  ]);
  assert.deepEqual(await dnsResolver.resolve(parseUri('sip:bob@127.0.0.1;transport=tcp')), [
    { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
  ]);
  assert.deepEqual(await dnsResolver.resolve(parseUri('sip:bob@[::1]:5080')), [
    { protocol: 'udp', address: '::1', port: 5080 },
  ]);
  assert.deepEqual(await dnsResolver.resolve(parseUri('sip:bob@example.test;maddr=127.0.0.2')), [
    { protocol: 'udp', address: '127.0.0.2', port: 5060 },
  ]);
});

test('RFC 3263: a name with a port is looked up (A/AAAA); an unknown name fails', async () => {
  const local = await dnsResolver.resolve(parseUri('sip:bob@localhost:5090'));
  assert.ok(local.length > 0);
  assert.ok(local.every((d) => d.port === 5090 && ['127.0.0.1', '::1'].includes(d.address)));
  await assert.rejects(dnsResolver.resolve(parseUri('sip:bob@nonexistent.invalid')));
});
