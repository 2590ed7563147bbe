// SIP/SIPS/tel URIs: parsing, formatting, unescaping and RFC 3261 §19.1.4 equivalence.

import assert from 'node:assert/strict';
import test from 'node:test';
import { SipParseError } from '../../../src/sip/headers.js';
import { formatUri, parseUri, unescape, uriEquals } from '../../../src/sip/uri.js';

test('parses every part of a SIP URI', () => {
  const u = parseUri('sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent');
  assert.deepEqual(u, {
    scheme: 'sip',
    user: 'alice',
    password: 'secret',
    host: 'atlanta.com',
    port: 5061,
    params: { transport: 'tcp', lr: null },
    headers: { subject: 'project x', priority: 'urgent' },
  });
});

test('scheme and parameter names are case-insensitive (stored lower case); values keep their case', () => {
  const u = parseUri('SIPS:Bob@Biloxi.COM;Transport=TLS;Maddr=X.example.com');
  assert.equal(u.scheme, 'sips');
  assert.equal(u.user, 'Bob');
  assert.equal(u.host, 'Biloxi.COM');
  assert.deepEqual(u.params, { transport: 'TLS', maddr: 'X.example.com' });
});

test('hosts: names, IPv4, IPv6 references with ports and parameters', () => {
  assert.deepEqual(parseUri('sip:[2001:db8::10]:5070;maddr=[::1]'), {
    scheme: 'sip',
    host: '[2001:db8::10]',
    port: 5070,
    params: { maddr: '[::1]' },
    headers: {},
  });
  assert.equal(parseUri('sip:[::ffff:192.0.2.1]').host, '[::ffff:192.0.2.1]');
  assert.equal(parseUri('sip:user@192.0.2.4').host, '192.0.2.4');
  assert.equal(parseUri('sip:example.com:0').port, 0);
});

test('user part escapes are decoded; unescape never recurses', () => {
  assert.equal(parseUri('sip:%61lice@atlanta.com').user, 'alice');
  assert.equal(parseUri('sip:I%20have%20spaces@example.net').user, 'I have spaces');
  assert.equal(parseUri('sip:caf%C3%A9@example.net').user, 'café');
  assert.equal(unescape('value%25%34%31'), 'value%41');
  assert.equal(unescape('%00'), '\x00');
  assert.equal(unescape('%ff'), '\xff'); // not UTF-8: kept as a byte value
  assert.equal(unescape('no escapes'), 'no escapes');
  assert.equal(unescape('日本%20語'), '日本 語');
});

test('tel URIs: the number is the host', () => {
  assert.deepEqual(parseUri('tel:+1-201-555-0123;phone-context=example.com'), {
    scheme: 'tel',
    host: '+1-201-555-0123',
    params: { 'phone-context': 'example.com' },
    headers: {},
  });
  assert.equal(formatUri(parseUri('tel:7042;phone-context=example.com')), 'tel:7042;phone-context=example.com');
});

test('other schemes are opaque', () => {
  assert.deepEqual(parseUri('urn:service:sos'), { scheme: 'urn', host: 'service:sos', params: {}, headers: {} });
  assert.equal(formatUri(parseUri('mailto:alice@example.com')), 'mailto:alice@example.com');
});

test('malformed URIs throw SipParseError', () => {
  const bad = [
    '',
    'sip',
    ':x',
    'sip:',
    '1sip:x',
    's p:x',
    'sip:@example.com',
    'sip:example.com:',
    'sip:example.com:99999',
    'sip:example.com:123456',
    'sip:ex ample.com',
    ' sip:example.com',
    'sip:example.com ',
    'sip:[::1',
    'sip:[]',
    'sip:[zz::1]',
    'sip:user@',
    'sip:us%4ger@example.com',
    'sip:user%4@example.com',
    'sip:us%zzer@example.com',
    'sip:user@exa@mple.com',
    'sip:example.com;',
    'sip:example.com;=x',
    'sip:example.com?',
    'sip:example.com?x',
    'sip:example.com?=1',
    'sip:example.com>',
    'sip:user"@example.com',
    'tel:',
    'tel:;x',
    'foo:',
    'foo:a b',
    'foo:<x>',
  ];
  for (const text of bad) {
    assert.throws(() => parseUri(text), SipParseError, JSON.stringify(text));
    assert.throws(() => parseUri(text), { message: 'Bad Request (malformed URI)' });
  }
});

test('formatUri escapes what needs escaping and round-trips', () => {
  const cases = [
    'sip:alice@atlanta.com',
    'sips:alice:pw@atlanta.com:5061;transport=tcp;lr',
    'sip:[2001:db8::1]:5060;maddr=[::1]',
    'sip:biloxi.com;method=REGISTER?to=sip:bob%40biloxi.com',
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
  ];
  for (const text of cases) assert.equal(formatUri(parseUri(text)), text);
  assert.equal(
    formatUri({ scheme: 'sip', user: 'sips:user@example.com', host: 'example.net', params: {}, headers: {} }),
    'sip:sips%3Auser%40example.com@example.net',
  );
  assert.equal(
    formatUri({ scheme: 'sip', user: 'a b%c', host: 'h', params: { 'x y': 'é' }, headers: { h: '<a b>' } }),
    'sip:a%20b%25c@h;x%20y=%C3%A9?h=%3Ca%20b%3E',
  );
  const esc = parseUri('sip:%75se%72@example.com;n%61me=v%61lue%25%34%31');
  assert.equal(formatUri(esc), 'sip:user@example.com;name=value%2541');
  assert.ok(uriEquals(parseUri(formatUri(esc)), esc));
});

test('a parameter named __proto__ or constructor is an own key, not the prototype', () => {
  const u = parseUri('sip:h;__proto__=x;constructor');
  assert.equal(Object.getPrototypeOf(u.params), Object.prototype);
  assert.ok(Object.hasOwn(u.params, '__proto__'));
  assert.equal(u.params.constructor, null);
  assert.equal(Object.hasOwn(parseUri('sip:h').params, 'constructor'), false);
  assert.equal(uriEquals(parseUri('sip:h;toString'), parseUri('sip:h')), true);
});

// RFC 3261 §19.1.4 examples.
const EQUAL: [string, string][] = [
  ['sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com;security=on'],
  ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
  [
    'sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com',
    'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com',
  ],
  [
    'sip:alice@atlanta.com?subject=project%20x&priority=urgent',
    'sip:alice@atlanta.com?priority=urgent&subject=project%20x',
  ],
  ['SIP:alice@atlanta.com', 'sip:alice@ATLANTA.com'],
  ['sip:alice@atlanta.com;lr', 'sip:alice@atlanta.com'],
  ['sip:[2001:DB8::1]', 'sip:[2001:db8::1]'],
  ['tel:+1-201-555-0123', 'tel:+12015550123'],
];

const NOT_EQUAL: [string, string][] = [
  ['SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
  ['sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp'],
  ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
  ['sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4'],
  ['sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;security=off'],
  ['sip:alice@atlanta.com', 'sips:alice@atlanta.com'],
  ['sip:atlanta.com', 'sip:alice@atlanta.com'],
  ['sip:alice:a@atlanta.com', 'sip:alice:b@atlanta.com'],
  ['sip:alice@atlanta.com;user=phone', 'sip:alice@atlanta.com'],
  ['sip:alice@atlanta.com;ttl=1', 'sip:alice@atlanta.com;ttl=2'],
  ['sip:alice@atlanta.com;method=INVITE', 'sip:alice@atlanta.com'],
  ['sip:alice@atlanta.com;maddr=239.255.255.1', 'sip:alice@atlanta.com'],
  ['sip:alice@atlanta.com?subject=a', 'sip:alice@atlanta.com?subject=b'],
  ['sip:alice@atlanta.com?subject=a', 'sip:alice@atlanta.com?subject=a&priority=urgent'],
  ['tel:+12015550123', 'tel:+12015550124'],
  ['tel:1234;phone-context=a.example', 'tel:1234;phone-context=b.example'],
  ['tel:+12015550123', 'sip:+12015550123@example.com'],
  ['foo:abc', 'foo:ABC'],
];

test('uriEquals: RFC 3261 §19.1.4 equivalent URIs', () => {
  for (const [a, b] of EQUAL) {
    assert.ok(uriEquals(parseUri(a), parseUri(b)), `${a} == ${b}`);
    assert.ok(uriEquals(parseUri(b), parseUri(a)), `${b} == ${a}`);
  }
});

test('uriEquals: RFC 3261 §19.1.4 non-equivalent URIs (and intransitivity)', () => {
  for (const [a, b] of NOT_EQUAL) {
    assert.equal(uriEquals(parseUri(a), parseUri(b)), false, `${a} != ${b}`);
    assert.equal(uriEquals(parseUri(b), parseUri(a)), false, `${b} != ${a}`);
  }
  const base = parseUri('sip:carol@chicago.com');
  const on = parseUri('sip:carol@chicago.com;security=on');
  const off = parseUri('sip:carol@chicago.com;security=off');
  assert.ok(uriEquals(base, on) && uriEquals(base, off) && !uriEquals(on, off));
});
