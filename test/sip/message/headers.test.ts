// Structured header values: parameters, name-addr/addr-spec, Via, CSeq, accessors over a message.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  SipParseError,
  callId,
  contacts,
  cseq,
  expiresOf,
  formatNameAddr,
  formatParams,
  formatVia,
  from,
  maxForwards,
  parseCSeq,
  parseNameAddr,
  parseParams,
  parseVia,
  quote,
  recordRoutes,
  routes,
  tagOf,
  to,
  topVia,
  trimLws,
  unquote,
  vias,
} from '../../../src/sip/headers.js';
import type { SipRequest } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';

function request(lines: string[], body = ''): SipRequest {
  return parseMessage(Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body)) as SipRequest;
}

test('SipParseError carries the reason phrase, the fault and the status', () => {
  const e = new SipParseError('missing Call-ID');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'SipParseError');
  assert.equal(e.message, 'Bad Request (missing Call-ID)');
  assert.equal(e.reason, e.message);
  assert.equal(e.fault, 'missing Call-ID');
  assert.equal(e.status, 400);
  assert.equal(new SipParseError('message too large', 513).message, 'Message Too Large (message too large)');
});

test('parseParams: LWS everywhere, names lower-cased, values as written, flags are null', () => {
  assert.deepEqual(parseParams(' ; Tag = abc ;lr; q=0.5 ;  x="a;b, \\"c\\""'), {
    tag: 'abc',
    lr: null,
    q: '0.5',
    x: '"a;b, \\"c\\""',
  });
  assert.equal(unquote('"a;b, \\"c\\""'), 'a;b, "c"');
  assert.deepEqual(parseParams(''), {});
  assert.deepEqual(parseParams(';received=2001:db8::9:255;maddr=[::1]'), {
    received: '2001:db8::9:255',
    maddr: '[::1]',
  });
  assert.deepEqual(parseParams(';a=1;A=2'), { a: '1' }); // first wins
  assert.deepEqual(parseParams(';x-url=http://example.com/a@b=c'), { 'x-url': 'http://example.com/a@b=c' }); // lenient
  for (const bad of [';', ';;', 'x', ';a=', ';a="unterminated', ';a b', ';a=<x>', ';=1', ';a=b"c"', ';a=\\']) {
    assert.throws(() => parseParams(bad, 'Contact'), { message: 'Bad Request (malformed Contact)' }, bad);
  }
  assert.equal(formatParams({ tag: 'abc', lr: null }), ';tag=abc;lr');
});

test('quote/unquote/trimLws', () => {
  assert.equal(quote('He said "hi" \\o/'), '"He said \\"hi\\" \\\\o/"');
  assert.equal(unquote(quote('a"b\\c\x00d')), 'a"b\\c\x00d');
  assert.equal(quote('line\r\nbreak'), '"linebreak"');
  assert.equal(trimLws(' \t\ufeffx\u00a0 \r\n'), '\ufeffx\u00a0');
});

test('parseNameAddr: quoted display names with escaped quotes and commas', () => {
  const na = parseNameAddr('"Bell, \\"Alex\\" <ander>" <sip:a.g.bell@example.com>;tag=43');
  assert.equal(na.displayName, 'Bell, "Alex" <ander>');
  assert.equal(na.uriText, 'sip:a.g.bell@example.com');
  assert.equal(na.uri.user, 'a.g.bell');
  assert.deepEqual(na.params, { tag: '43' });
  assert.equal(tagOf(na), '43');
  assert.equal(parseNameAddr('"" <sip:x@y>').displayName, '');
  assert.equal(parseNameAddr('"Ünïcode 名前" <sip:x@y>').displayName, 'Ünïcode 名前');
});

test('parseNameAddr: token display names, bare <uri>, no LWS before <', () => {
  assert.equal(parseNameAddr('Alice Smith <sip:alice@atlanta.com>').displayName, 'Alice Smith');
  assert.equal(parseNameAddr('caller<sip:caller@example.com>;tag=323').displayName, 'caller');
  const bare = parseNameAddr('  <sip:alice@atlanta.com>  ');
  assert.equal(bare.displayName, undefined);
  assert.equal('displayName' in bare, false);
  assert.equal(tagOf(bare), undefined);
});

test('parseNameAddr: parameters after an addr-spec belong to the header, inside <> to the URI (§20.10)', () => {
  const spec = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x');
  assert.deepEqual(spec.uri.params, {});
  assert.deepEqual(spec.params, { unknownparam: null, tag: 'x' });
  assert.equal(spec.uriText, 'sip:+19725552222@gw1.example.net');
  const bracketed = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>;tag=x');
  assert.deepEqual(bracketed.uri.params, { unknownparam: null });
  assert.deepEqual(bracketed.params, { tag: 'x' });
  const spaced = parseNameAddr('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
  assert.equal(tagOf(spaced), '1918181833n');
  assert.equal(parseNameAddr('tel:+1234;phone-context=x').params['phone-context'], 'x');
});

test('parseNameAddr: malformed values name the header', () => {
  const bad = [
    '',
    '"unterminated <sip:a@b>',
    '"x" sip:a@b',
    '<sip:a@b',
    '< sip:a@b>',
    '<sip:a@b >',
    'Bell, Alexander <sip:a@b>',
    'sip:user@example.com?Route=%3Csip:x%3E',
    'sip:a@b, sip:c@d',
    '<sip:a@b> junk',
    '<sip:a@b>;;',
    '<>',
    'nonsense',
  ];
  for (const v of bad) assert.throws(() => parseNameAddr(v, 'To'), { message: 'Bad Request (malformed To)' }, v);
});

test('formatNameAddr writes a canonical name-addr that parses back the same', () => {
  const na = parseNameAddr('token  name <sip:%75ser@example.com;lr>;tag=1;expires=60');
  assert.equal(formatNameAddr(na), '"token  name" <sip:user@example.com;lr>;tag=1;expires=60');
  const q = parseNameAddr('"a \\"b\\"" <sip:x@y>');
  assert.deepEqual(parseNameAddr(formatNameAddr(q)).displayName, 'a "b"');
  assert.equal(formatNameAddr(parseNameAddr('sip:x@y;tag=1')), '<sip:x@y>;tag=1');
});

test('parseVia: LWS around /, IPv6 sent-by with port, rport and received', () => {
  const v = parseVia('SIP / 2.0 / udp   [2001:db8::9:1] : 5070 ;rport=5071;received=2001:db8::9:255;branch=z9hG4bKas3');
  assert.deepEqual(v, {
    protocol: 'SIP/2.0',
    transport: 'UDP',
    host: '[2001:db8::9:1]',
    port: 5070,
    params: { rport: '5071', received: '2001:db8::9:255', branch: 'z9hG4bKas3' },
    branch: 'z9hG4bKas3',
    received: '2001:db8::9:255',
    rport: 5071,
  });
  const bare = parseVia('SIP/2.0/TCP client.example.com;rport;branch=z9hG4bK74bf9');
  assert.equal(bare.rport, null);
  assert.equal(bare.port, undefined);
  assert.equal(bare.received, undefined);
  const none = parseVia('SIP/2.0/UDP 192.0.2.1');
  assert.equal('rport' in none || 'branch' in none, false);
  assert.equal(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK').transport, 'WSS');
});

test('parseVia: malformed values', () => {
  const bad = [
    '',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP ',
    'SIP/2.0 UDP host',
    'SIP/2.0/UDPhost',
    'SIP//UDP host',
    'SIP/2.0/UDP host:',
    'SIP/2.0/UDP host:70000',
    'SIP/2.0/UDP [::1',
    'SIP/2.0/UDP [zz]',
    'SIP/2.0/UDP host;;',
    'SIP/2.0/UDP 192.0.2.15;;',
    'SIP/2.0/UDP host;branch',
    'SIP/2.0/UDP host;received',
    'SIP/2.0/UDP host;rport=abc',
    'SIP/2.0/UDP host;rport=99999',
    'SIP/2.0/UDP host junk',
  ];
  for (const v of bad) assert.throws(() => parseVia(v), { message: 'Bad Request (malformed Via)' }, v);
});

test('formatVia: branch/received/rport override params', () => {
  const v = parseVia('SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bK1');
  v.received = '2001:db8::2';
  v.rport = 40000;
  assert.equal(formatVia(v), 'SIP/2.0/UDP [2001:db8::1]:5060;rport=40000;branch=z9hG4bK1;received=2001:db8::2');
  assert.deepEqual(parseVia(formatVia(v)).rport, 40000);
  v.rport = null;
  assert.equal(formatVia(v), 'SIP/2.0/UDP [2001:db8::1]:5060;rport;branch=z9hG4bK1;received=2001:db8::2');
});

test('parseCSeq: leading zeros, LWS, range and syntax', () => {
  assert.deepEqual(parseCSeq('0009 INVITE'), { seq: 9, method: 'INVITE' });
  assert.deepEqual(parseCSeq('  1   ACK  '), { seq: 1, method: 'ACK' });
  assert.deepEqual(parseCSeq('0 OPTIONS'), { seq: 0, method: 'OPTIONS' });
  assert.deepEqual(parseCSeq('4294967295 BYE'), { seq: 4294967295, method: 'BYE' });
  assert.deepEqual(parseCSeq('00000000000000001 BYE'), { seq: 1, method: 'BYE' });
  for (const v of ['4294967296 BYE', '36893488147419103232 REGISTER']) {
    assert.throws(() => parseCSeq(v), { message: 'Bad Request (CSeq number out of range)' });
  }
  for (const v of [
    '',
    'INVITE',
    '1',
    '1INVITE',
    '-1 INVITE',
    '1 INVITE x',
    '1.5 INVITE',
    'fhdjkgfhdkjhgkj',
    '1 IN<VITE',
  ]) {
    assert.throws(() => parseCSeq(v), { message: 'Bad Request (malformed CSeq)' }, v);
  }
});

test('accessors: compact forms, comma lists within and across lines', () => {
  const m = request([
    'INVITE sip:bob@biloxi.com SIP/2.0',
    'v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
    'Via: SIP/2.0/UDP c.example.com;branch=z9hG4bK3',
    'f: "A, B" <sip:alice@atlanta.com>;tag=1928301774',
    't: Bob <sip:bob@biloxi.com>',
    'i: a84b4c76e66710@pc33.atlanta.com',
    'CSeq: 314159 INVITE',
    'm: <sip:alice@pc33.atlanta.com>;expires=60, "Other, Contact" <sip:alice@mobile.atlanta.com>',
    'Contact: sip:alice@desk.atlanta.com;q=0.1',
    'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
    'Route: <sip:p3.example.com;lr>',
    'Record-Route: <sip:rr.example.com;lr>',
    'Max-Forwards: 70',
    'Expires: 3600',
    'l: 0',
  ]);
  assert.deepEqual(
    vias(m).map((v) => v.host),
    ['a.example.com', 'b.example.com', 'c.example.com'],
  );
  assert.equal(topVia(m).branch, 'z9hG4bK1');
  assert.equal(from(m).displayName, 'A, B');
  assert.equal(tagOf(from(m)), '1928301774');
  assert.equal(to(m).displayName, 'Bob');
  assert.equal(tagOf(to(m)), undefined);
  assert.equal(callId(m), 'a84b4c76e66710@pc33.atlanta.com');
  assert.deepEqual(cseq(m), { seq: 314159, method: 'INVITE' });
  const c = contacts(m);
  assert.equal(c.length, 3);
  assert.ok(c[0] !== '*' && c[1] !== '*' && c[2] !== '*');
  assert.equal(c[1].displayName, 'Other, Contact');
  assert.equal(c[2].params.q, '0.1');
  assert.equal(expiresOf(m, c[0]), 60);
  assert.equal(expiresOf(m, c[1]), 3600);
  assert.equal(expiresOf(m), 3600);
  assert.deepEqual(
    routes(m).map((r) => r.uri.host),
    ['p1.example.com', 'p2.example.com', 'p3.example.com'],
  );
  assert.equal(recordRoutes(m)[0].uri.params.lr, null);
  assert.equal(maxForwards(m), 70);
});

test('accessors: missing and malformed headers throw SipParseError naming them', () => {
  const m = request(['OPTIONS sip:x SIP/2.0', 'Contact: *', 'Max-Forwards: ten', 'Expires: soon', 'Via: nope']);
  assert.throws(() => callId(m), { message: 'Bad Request (missing Call-ID)' });
  assert.throws(() => cseq(m), { message: 'Bad Request (missing CSeq)' });
  assert.throws(() => from(m), { message: 'Bad Request (missing From)' });
  assert.throws(() => to(m), { message: 'Bad Request (missing To)' });
  assert.throws(() => topVia(m), { message: 'Bad Request (malformed Via)' });
  assert.throws(() => maxForwards(m), { message: 'Bad Request (malformed Max-Forwards)' });
  assert.throws(() => expiresOf(m), { message: 'Bad Request (malformed Expires)' });
  assert.deepEqual(contacts(m), ['*']);
  assert.deepEqual(routes(m), []);
  const none = request(['OPTIONS sip:x SIP/2.0']);
  assert.throws(() => topVia(none), { message: 'Bad Request (missing Via)' });
  assert.deepEqual(vias(none), []);
  assert.equal(maxForwards(none), undefined);
  assert.equal(expiresOf(none), undefined);
  const badExpires = parseNameAddr('<sip:a@b>;expires=never');
  assert.throws(() => expiresOf(none, badExpires), SipParseError);
});
