import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import twilio from 'twilio';
import {
  bodySha256,
  pivotSignature,
  twilioSignature,
  verifyPivotSignature,
  withBodySha256,
} from '../../../src/pivot/http/signing.js';

const VECTOR_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const VECTOR_PARAMS: [string, string][] = [
  ['From', '+12349013030'],
  ['To', '+18005551212'],
  ['CallSid', 'CA1234567890ABCDE'],
  ['Digits', '1234'],
  ['Caller', '+12349013030'],
];

test('twilioSignature: the spec test vector (twiml.md §9)', () => {
  assert.equal(twilioSignature('12345', VECTOR_URL, VECTOR_PARAMS), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.equal(
    twilio.validateRequest('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', VECTOR_URL, Object.fromEntries(VECTOR_PARAMS)),
    true,
  );
});

test('twilioSignature: URL alone when params are null or empty', () => {
  const expected = createHmac('sha1', 'k').update('http://h/p?a=1').digest('base64');
  assert.equal(twilioSignature('k', 'http://h/p?a=1', null), expected);
  assert.equal(twilioSignature('k', 'http://h/p?a=1', []), expected);
});

test('twilioSignature: repeated keys sorted by value, duplicates once, like twilio-node', () => {
  const pairs: [string, string][] = [
    ['b[]', 'z'],
    ['a', '1'],
    ['b[]', 'y'],
    ['b[]', 'z'],
  ];
  const sig = twilioSignature('key', 'http://h/x', pairs);
  assert.equal(sig, createHmac('sha1', 'key').update('http://h/xa1b[]yb[]z').digest('base64'));
  assert.equal(twilio.validateRequest('key', sig, 'http://h/x', { a: '1', 'b[]': ['z', 'y', 'z'] }), true);
});

test('JSON bodies: bodySHA256 in the URL, URL signed alone; validateRequestWithBody accepts it', () => {
  const body = JSON.stringify({ CallSid: 'CA1', Digits: { default: '1' } });
  const url = withBodySha256('https://example.com/hook?x=1', body);
  assert.equal(url, `https://example.com/hook?x=1&bodySHA256=${bodySha256(body)}`);
  assert.match(bodySha256(body), /^[0-9a-f]{64}$/);
  const sig = twilioSignature('secret', url, null);
  assert.equal(twilio.validateRequestWithBody('secret', sig, url, body), true);
  assert.equal(twilio.validateRequestWithBody('secret', sig, url, body + ' '), false);
});

test('pivotSignature: format and value', () => {
  const h = pivotSignature('k', { timestamp: 1700000000, method: 'post', url: 'http://h/p', body: 'a=1' });
  const mac = createHmac('sha256', 'k').update('1700000000.POST.http://h/p.a=1').digest('hex');
  assert.equal(h, `t=1700000000,v1=${mac}`);
});

test('verifyPivotSignature: round trip, tampering and expiry', () => {
  const now = 1700000000;
  const req = { method: 'POST', url: 'http://h/p?x=1', body: 'CallSid=CA1' };
  const header = pivotSignature('key', { ...req, timestamp: now });
  assert.equal(verifyPivotSignature('key', header, req, 300, now + 10), true);
  assert.equal(verifyPivotSignature('key', header, req, 300, now - 10), true);
  assert.equal(verifyPivotSignature('other', header, req, 300, now), false);
  assert.equal(verifyPivotSignature('key', header, { ...req, body: 'CallSid=CA2' }, 300, now), false);
  assert.equal(verifyPivotSignature('key', header, { ...req, url: 'http://h/p?x=2' }, 300, now), false);
  assert.equal(verifyPivotSignature('key', header, { ...req, method: 'GET' }, 300, now), false);
  assert.equal(verifyPivotSignature('key', header, req, 300, now + 301), false);
  assert.equal(verifyPivotSignature('key', header, req, 600, now + 301), true);
  // a timestamp changed by an attacker no longer matches the MAC
  assert.equal(verifyPivotSignature('key', header.replace(`t=${now}`, `t=${now + 1}`), req, 300, now), false);
  assert.equal(verifyPivotSignature('key', '', req), false);
  assert.equal(verifyPivotSignature('key', 'garbage', req), false);
  assert.equal(verifyPivotSignature('key', undefined, req), false);
  // GET with no body signs an empty body
  const g = pivotSignature('key', { method: 'GET', url: 'http://h/', timestamp: now });
  assert.equal(verifyPivotSignature('key', g, { method: 'GET', url: 'http://h/', body: '' }, 300, now), true);
});
