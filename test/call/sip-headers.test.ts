import { test } from 'node:test';
import assert from 'node:assert/strict';
import { customHeaderProblem, safeHeaders } from '../../src/call/sip-headers.js';
import { customHeaders } from '../../src/callflow/modules/_endpoints.js';
import { compileTwiml } from '../helpers/twiml.js';

test('custom headers: names must be tokens and not owned by the stack; values carry no line breaks', () => {
  assert.equal(customHeaderProblem('X-Account', 'acme'), undefined);
  assert.match(customHeaderProblem('X-A', 'x\r\nVia: evil')!, /line break/);
  assert.match(customHeaderProblem('Contact', '<sip:evil@x>')!, /set by Pivot/);
  assert.match(customHeaderProblem('m', '<sip:evil@x>')!, /set by Pivot/);
  assert.match(customHeaderProblem('X A', '1')!, /not a valid header name/);
  const { headers, rejected } = safeHeaders({ 'X-Ok': '1', Via: 'SIP/2.0/UDP evil', 'X-Bad': 'a\nb' });
  assert.deepEqual(headers, { 'X-Ok': '1' });
  assert.equal(rejected.length, 2);
});

test('callflow custom_sip_headers drop unsafe headers', () => {
  assert.deepEqual(customHeaders({ 'X-Ok': 'yes', 'X-Evil': 'a\r\nContact: <sip:x@y>', 'Call-ID': 'mine' }), {
    'X-Ok': 'yes',
  });
});

test('TwiML <Sip> refuses header injection through URI parameters, <Header> and credentials', () => {
  const viaUri = compileTwiml('<Response><Dial><Sip>sip:b@x?X-Foo=a%0d%0aContact:%20evil</Sip></Dial></Response>');
  assert.equal(viaUri.errors[0]?.code, 13253);
  assert.match(viaUri.errors[0].message, /line break/);
  const viaHeader = compileTwiml(
    '<Response><Dial><Sip>sip:b@x<Headers><Header name="X-A" value="x&#13;&#10;Via: y"/></Headers></Sip></Dial></Response>',
  );
  assert.equal(viaHeader.errors[0]?.code, 13253);
  const creds = compileTwiml('<Response><Dial><Sip username="a&#10;b" password="p">sip:b@x</Sip></Dial></Response>');
  assert.equal(creds.errors[0]?.code, 13249);
});
