// RFC 4475 (SIP torture test messages): one message of our own for every test of §3.1.1 (valid), §3.1.2
// (invalid), §3.2 (transaction layer), §3.3 (application layer) and §3.4 (backward compatibility). The messages
// are built as exact bytes (CRLF line ends, NUL/BEL/DEL and UTF-8 octets, a binary body part) by
// ./rfc4475-messages.ts.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  SipParseError,
  callId,
  contacts,
  cseq,
  expiresOf,
  from,
  maxForwards,
  parseCSeq,
  parseNameAddr,
  recordRoutes,
  routes,
  tagOf,
  to,
  topVia,
  vias,
} from '../../../src/sip/headers.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { StreamFramer, parseMessage } from '../../../src/sip/parser.js';
import { serialize } from '../../../src/sip/serialize.js';
import { parseUri, uriEquals } from '../../../src/sip/uri.js';
import { checkRequest, checkResponse } from '../../../src/sip/validate.js';
import { BINARY_PART, LONG, MESSAGES, SDP, SDP_2543, UNREASON, torture as raw } from './rfc4475-messages.js';

function req(name: string): SipRequest {
  const m = parseMessage(raw(name));
  assert.equal(m.kind, 'request', name);
  return m as SipRequest;
}

function res(name: string): SipResponse {
  const m = parseMessage(raw(name));
  assert.equal(m.kind, 'response', name);
  return m as SipResponse;
}

/** Serialise and parse again: same start line, same headers (but Content-Length, rewritten), same body. */
function roundTrip(m: SipMessage): void {
  const wire = serialize(m);
  const again = parseMessage(wire);
  const strip = (x: SipMessage) => x.headers.entries().filter(([n]) => n !== 'Content-Length');
  assert.equal(again.kind, m.kind);
  if (m.kind === 'request' && again.kind === 'request') {
    assert.deepEqual([again.method, again.uri, again.version], [m.method, m.uri, m.version]);
  } else if (m.kind === 'response' && again.kind === 'response') {
    assert.deepEqual([again.status, again.reason, again.version], [m.status, m.reason, m.version]);
  }
  assert.deepEqual(strip(again), strip(m));
  assert.equal(again.headers.get('content-length'), String(m.body.length));
  assert.ok(again.body.equals(m.body));
  assert.ok(serialize(again).equals(wire), 'serialisation is stable');
}

function rejects(name: string, fault: string): void {
  rejectsBytes(raw(name), fault, name);
}

function rejectsBytes(bytes: Buffer, fault: string, what: string): void {
  assert.throws(
    () => parseMessage(bytes),
    (e: unknown) => e instanceof SipParseError && e.status === 400 && e.message === `Bad Request (${fault})`,
    what,
  );
}

function answers(name: string, status: number, reason: string): void {
  assert.deepEqual(checkRequest(req(name)), { status, reason }, name);
}

/** The header block (start line to the empty line) as latin1 text. */
function headerBlock(bytes: Buffer): string {
  const end = bytes.indexOf('\r\n\r\n');
  return bytes.toString('latin1', 0, end < 0 ? bytes.length : end + 4);
}

test('one message of our own for each of the 49 tests of RFC 4475', () => {
  assert.deepEqual(
    MESSAGES.map((m) => m.id),
    [
      ...['3.1.1.1 wsinv', '3.1.1.2 intmeth', '3.1.1.3 esc01', '3.1.1.4 escnull', '3.1.1.5 esc02'],
      ...['3.1.1.6 lwsdisp', '3.1.1.7 longreq', '3.1.1.8 dblreq', '3.1.1.9 semiuri', '3.1.1.10 transports'],
      ...['3.1.1.11 mpart01', '3.1.1.12 unreason', '3.1.1.13 noreason'],
      ...['3.1.2.1 badinv01', '3.1.2.2 clerr', '3.1.2.3 ncl', '3.1.2.4 scalar02', '3.1.2.5 scalarlg'],
      ...['3.1.2.6 quotbal', '3.1.2.7 ltgtruri', '3.1.2.8 lwsruri', '3.1.2.9 lwsstart', '3.1.2.10 trws'],
      ...['3.1.2.11 escruri', '3.1.2.12 baddate', '3.1.2.13 regbadct', '3.1.2.14 badaspec', '3.1.2.15 baddn'],
      ...['3.1.2.16 badvers', '3.1.2.17 mismatch01', '3.1.2.18 mismatch02', '3.1.2.19 bigcode'],
      '3.2.1 badbranch',
      ...['3.3.1 insuf', '3.3.2 unkscm', '3.3.3 novelsc', '3.3.4 unksm2', '3.3.5 bext01', '3.3.6 invut'],
      ...['3.3.7 regaut01', '3.3.8 multi01', '3.3.9 mcl01', '3.3.10 bcast', '3.3.11 zeromf', '3.3.12 cparam01'],
      ...['3.3.13 cparam02', '3.3.14 regescrt', '3.3.15 sdp01'],
      '3.4.1 inv2543',
    ],
  );
  const kinds: Record<string, number> = {};
  for (const m of MESSAGES) kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
  assert.deepEqual(kinds, { valid: 13, invalid: 19, transaction: 1, application: 15, compatibility: 1 });

  for (const m of MESSAGES) {
    assert.ok(m.title.length > 0, m.id);
    // Header lines end in CRLF only, and the hosts are ours.
    assert.doesNotMatch(headerBlock(m.bytes), /[^\r]\n/, m.id);
    assert.doesNotMatch(m.bytes.toString('latin1'), /example\.(com|net|org)|192\.0\.2\./i, m.id);
  }

  // Byte-exact landmarks.
  assert.ok(raw('intmeth').includes(Buffer.from('bell:\\\x07 nul:\\\x00 del:\\\x7f', 'latin1')));
  assert.ok(raw('intmeth').includes(Buffer.from('efbbbfe99fb3e5a3b0', 'hex'))); // U+FEFF 音声
  assert.ok(raw('mpart01').includes(BINARY_PART));
  assert.ok(raw('unreason').subarray(0, 15).equals(Buffer.from('SIP/2.0 200 \xc3\x87a', 'latin1')));
  assert.ok(raw('noreason').subarray(0, 14).equals(Buffer.from('SIP/2.0 100 \r\n')));
  assert.ok(raw('wsinv').includes(Buffer.from('\r\n\t<sip:counter@pivot.test>\r\n  ;\r\n')));
  assert.ok(raw('trws').includes(Buffer.from(' SIP/2.0  \r\n')));
  assert.ok(raw('dblreq').includes(Buffer.from('l: 0\r\n\r\nINVITE ')));
});

// ---- §3.1.1 valid messages ----

test('3.1.1.1 wsinv: a short INVITE full of legal oddities', () => {
  const m = req('wsinv');
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:ada.l@lab.example.test;unknownparam');
  const ruri = parseUri(m.uri);
  assert.deepEqual([ruri.user, ruri.host, ruri.params], ['ada.l', 'lab.example.test', { unknownparam: null }]);
  assert.equal(m.headers.size, 14);

  const t = to(m);
  assert.equal(t.displayName, undefined);
  assert.equal(t.uriText, 'sip:ada.l@lab.example.test');
  assert.equal(tagOf(t), '77ab12fe90z');
  const f = from(m);
  assert.equal(f.displayName, 'Ada Counter \\"');
  assert.equal(f.uri.user, 'counter');
  assert.equal(tagOf(f), '4c0ffee9');

  assert.equal(maxForwards(m), 69);
  assert.equal(callId(m), 'wsinv.q7t3vz0@198.51.100.20');
  assert.deepEqual(cseq(m), { seq: 11, method: 'INVITE' });
  assert.equal(m.headers.get('subject'), '');

  const v = vias(m);
  assert.deepEqual(
    v.map((x) => [x.protocol, x.transport, x.host, x.port, x.branch]),
    [
      ['SIP/2.0', 'UDP', '198.51.100.21', undefined, 'k8s7d6f5g'],
      ['SIP/2.0', 'TCP', 'relay.pivot.test', undefined, 'z9hG4bK2vb8'],
      ['SIP/2.0', 'UDP', '[2001:db8::9]', 5062, 'z9hG4bK7yu6'],
    ],
  );
  assert.equal(m.headers.lines('via').length, 2); // Via and v: (the latter with two comma-separated values)

  assert.equal(m.headers.get('NewFangledHeader'), 'a header nobody has heard of before');
  assert.equal(m.headers.get('X-Only-Separators'), ';,;;,,;');
  assert.equal(m.headers.get('content-type'), 'application/sdp');

  const r = routes(m);
  assert.equal(r.length, 1);
  assert.deepEqual(r[0].uri.params, { lr: null, oddparam: 'odd', flagparam: null });

  const c = contacts(m);
  assert.equal(c.length, 1);
  assert.notEqual(c[0], '*');
  if (c[0] !== '*') {
    assert.equal(c[0].displayName, 'Pivot "" Contact');
    assert.equal(c[0].uriText, 'sip:ada@pivot.test:5070');
    assert.deepEqual(c[0].params, { newparam: 'newvalue', secondparam: null, q: '0.5' });
  }
  assert.equal(m.body.length, Buffer.byteLength(SDP));
  assert.equal(m.body.toString(), SDP);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.2 intmeth: every token character, quoted control characters, UTF-8', () => {
  const m = req('intmeth');
  const method = "`~Pivot.Odd-Method_0987654321!%*+'";
  const user = "9_odd.USER~(for-real!)&that's+$/fine?,/;;*";
  assert.equal(m.method, method);
  const ruri = parseUri(m.uri);
  assert.equal(ruri.user, user);
  assert.equal(ruri.password, "&pass+w0rd=1,wow!*~_(it's)$.-");
  assert.equal(ruri.host, 'example.test');
  assert.equal(topVia(m).branch, "z9hG4bK-pv.!%7e*_+`'~");
  assert.equal(to(m).displayName, 'bell:\x07 nul:\x00 del:\x7f');
  assert.equal(to(m).uri.user, user);
  const f = from(m);
  assert.equal(f.displayName, "~tilde1 'apos2' `grave3` *.pct%!-_+");
  assert.equal(f.params["pivotparam'~`+*_!.-%"], '"über ✓ ünïcødé"');
  assert.equal(tagOf(f), "~tag'1`*%!-._+");
  assert.equal(callId(m), 'intmeth.pv-~\'`*%!+_.()<>:\\"/[]?{}@}{][?/"\\:><)(.-_+!%*`\'~9');
  assert.deepEqual(cseq(m), { seq: 2147483647, method });
  assert.equal(maxForwards(m), 255);
  assert.equal(m.headers.get("X-Pivot_Ext.!%*+`'~"), '\ufeff音声テスト');
  assert.equal(m.body.length, 0);
  assert.equal(checkRequest(m), undefined); // an unknown method is the UAS core's business (501)
  roundTrip(m);
});

test('3.1.1.3 esc01: valid use of % escapes', () => {
  const m = req('esc01');
  const ruri = parseUri(m.uri);
  assert.deepEqual([ruri.user, ruri.host], ['sips:usr@pivot.test', 'edge.example.test']);
  assert.equal(to(m).uri.user, 'ada');
  assert.ok(uriEquals(to(m).uri, parseUri('sip:ada@pivot.test')));
  assert.equal(from(m).uri.user, 'I have blanks');
  assert.equal(tagOf(from(m)), 'e5c01');
  assert.equal(callId(m), 'esc01.4d7f2a9b1c-pivot');
  assert.equal(m.headers.get('content-type'), 'application/sdp'); // compact "C"
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.equal(c.uri.user, 'caller');
  assert.deepEqual(c.uri.params, { ob: null, label: 'x%61' }); // unescaped once, never recursively
  assert.equal(m.body.toString(), SDP);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.4 escnull: escaped NULs in URI user parts', () => {
  const m = req('escnull');
  assert.equal(to(m).uri.user, 'zero-\x00-zero');
  assert.equal(from(m).uri.user, 'zero-\x00-zero');
  const c = contacts(m);
  assert.equal(c.length, 2);
  assert.ok(c[0] !== '*' && c[1] !== '*');
  assert.equal(c[0].uri.user, '\x00');
  assert.equal(c[1].uri.user, '\x00\x00');
  assert.equal(uriEquals(c[0].uri, c[1].uri), false);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.5 esc02: % where it is not an escape', () => {
  const m = req('esc02');
  assert.equal(m.method, 'REG%49STER');
  assert.notEqual(m.method, 'REGISTER');
  assert.equal(to(m).displayName, '%Q%4A'); // quoted
  assert.equal(from(m).displayName, '%Q%4A'); // a token
  assert.equal(topVia(m).branch, 'z9hG4bK%pv%zz02');
  assert.deepEqual(cseq(m), { seq: 31, method: 'REG%49STER' });
  const c = contacts(m);
  assert.equal(c.length, 2); // <sip:second@host2.example.test> is in a Cont%61ct header
  assert.deepEqual(
    c.map((x) => x !== '*' && x.uri.user),
    ['first', 'third'],
  );
  assert.equal(m.headers.get('Cont%61ct'), '<sip:second@host2.example.test>');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.6 lwsdisp: no LWS between display name and <', () => {
  const m = req('lwsdisp');
  assert.equal(from(m).displayName, 'pivotcaller');
  assert.equal(from(m).uriText, 'sip:pivotcaller@example.test');
  assert.equal(tagOf(from(m)), '1d5p');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.7 longreq: long values in header fields, many header lines', () => {
  const m = req('longreq');
  const t = to(m);
  assert.equal(t.displayName, 'A callee whose name runs on ' + 'and on '.repeat(12) + 'and then stops');
  assert.equal(t.displayName, LONG.displayName);
  assert.equal(t.uri.port, 5090);
  assert.equal(t.uri.params.oddparam1, 'lengthy'.repeat(20));
  assert.equal(t.uri.params['paramnamethatgoes' + 'on'.repeat(40)], 'short');
  assert.equal(t.uri.params['valueless' + 'x'.repeat(100)], null);
  const f = from(m);
  assert.equal(f.uri.user, 'averylongcallerusername'.repeat(6));
  assert.equal(tagOf(f), '7' + '315'.repeat(60));
  assert.equal(f.params['headerparam' + 'name'.repeat(22)], 'headerparamvalue'.repeat(12));
  assert.ok(Object.hasOwn(f.params, 'flagparam' + 'flag'.repeat(15)));
  assert.equal(callId(m), 'longreq.' + 'verylong'.repeat(25) + '@pivot.test');
  const v = vias(m);
  assert.equal(v.length, 34);
  assert.deepEqual(
    v.slice(0, 33).map((x) => [x.host, x.port, x.branch]),
    Array.from({ length: 33 }, (_, i) => [`relay-${i + 1}.example.test`, 5061 + i, `z9hG4bKhop${i + 1}`]),
  );
  assert.equal(v[33].received, '203.0.113.99');
  assert.equal(v[33].branch, 'z9hG4bK' + 'lengthy'.repeat(40));
  assert.equal(m.headers.lines('via').length, 34);
  assert.equal(m.headers.get('x-pivot-lengthy')?.length, 1000);
  assert.equal(contacts(m).length, 1);
  assert.equal(m.body.toString(), SDP);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.8 dblreq: extra octets after the message in a UDP datagram', () => {
  const m = req('dblreq');
  assert.equal(m.method, 'REGISTER');
  assert.equal(callId(m), 'dblreq.7h6g5f4d@198.51.100.90');
  assert.equal(m.body.length, 0);
  assert.equal(m.headers.lines('to').length, 1); // nothing of the INVITE that follows
  assert.equal(m.headers.size, 9);
  assert.deepEqual(contacts(m), ['*']); // a de-registration of every binding
  assert.equal(expiresOf(m), 0);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
  // On a stream, the same bytes are two messages.
  const out = new StreamFramer().push(raw('dblreq'));
  assert.deepEqual(
    out.messages.map((x) => x.kind === 'request' && x.method),
    ['REGISTER', 'INVITE'],
  );
});

test('3.1.1.9 semiuri: semicolon-separated parameters in the URI user part', () => {
  const m = req('semiuri');
  const ruri = parseUri(m.uri);
  assert.equal(ruri.user, 'ada;tagged=u@pivot.test');
  assert.equal(ruri.host, 'example.test');
  assert.deepEqual(ruri.params, {});
  assert.deepEqual(m.headers.values('accept'), [
    'application/sdp',
    'application/pidf+xml',
    'multipart/mixed',
    'message/sipfrag;version=2.0',
    'text/plain',
  ]);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.10 transports: Via with every known transport and an unknown one', () => {
  const m = req('transports');
  assert.deepEqual(
    vias(m).map((v) => v.transport),
    ['TCP', 'SCTP', 'TLS', 'TLS-SCTP', 'WSS', 'WS', 'FROBNICATE', 'UDP'],
  );
  assert.equal(callId(m), 'transports.w2e3r4t5y6@198.51.100.17');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.11 mpart01: multipart MIME body with a binary part', () => {
  const m = req('mpart01');
  assert.equal(m.method, 'MESSAGE');
  assert.equal(m.body.length, 488);
  assert.ok(m.body.includes(0));
  assert.ok(m.body.includes(BINARY_PART));
  assert.ok(m.body.toString('latin1').endsWith('\r\n--pivot-boundary-5e1f--\r\n'));
  assert.equal(m.headers.get('content-type'), 'multipart/mixed;boundary=pivot-boundary-5e1f');
  const v = topVia(m);
  assert.deepEqual([v.host, v.port, v.rport], ['198.51.100.70', 5072, null]);
  assert.equal(callId(m), 'mpart01-7c1e@host.pivot.test');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.12 unreason: non-ASCII reason phrase', () => {
  const m = res('unreason');
  assert.equal(m.status, 200);
  assert.equal(m.reason, 'Ça marche ✓ — 成功しました — всё хорошо');
  assert.equal(m.reason, UNREASON);
  assert.equal(m.body.toString(), SDP);
  assert.equal(checkResponse(m), undefined);
  roundTrip(m);
});

test('3.1.1.13 noreason: empty reason phrase', () => {
  const m = res('noreason');
  assert.equal(m.status, 100);
  assert.equal(m.reason, '');
  assert.equal(tagOf(to(m)), 'nr2k4m');
  assert.equal(checkResponse(m), undefined);
  roundTrip(m);
  assert.ok(serialize(m).toString().startsWith('SIP/2.0 100 \r\n'));
});

// ---- §3.1.2 invalid messages ----

test('3.1.2.1 badinv01: extraneous header field separators', () => {
  answers('badinv01', 400, 'Bad Request (malformed Via)');
  assert.throws(() => contacts(req('badinv01')), SipParseError);
});

test('3.1.2.2 clerr: Content-Length larger than the message', () => {
  rejects('clerr', 'Content-Length larger than message');
  // On a stream the framer just waits for the rest.
  const out = new StreamFramer().push(raw('clerr'));
  assert.deepEqual(out, { messages: [] });
});

test('3.1.2.3 ncl: negative Content-Length', () => {
  rejects('ncl', 'malformed Content-Length');
  const five = raw('ncl').toString('latin1').replace('Content-Length: -1234', 'Content-Length: five');
  assert.throws(() => parseMessage(Buffer.from(five, 'latin1')), /malformed Content-Length/);
  assert.equal(new StreamFramer().push(raw('ncl')).error?.message, 'Bad Request (malformed Content-Length)');
});

test('3.1.2.4 scalar02: request scalar fields with overlarge values', () => {
  answers('scalar02', 400, 'Bad Request (CSeq number out of range)');
  const m = req('scalar02');
  assert.equal(maxForwards(m), 4096);
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.equal(c.params.expires, '123456789012345678');
  assert.equal(expiresOf(m, c), 0xffffffff); // capped
  assert.equal(expiresOf(m), 0xffffffff);
});

test('3.1.2.5 scalarlg: response scalar fields with overlarge values', () => {
  const m = res('scalarlg');
  assert.equal(m.status, 503);
  assert.equal(checkResponse(m), 'CSeq number out of range');
  assert.throws(() => parseCSeq(m.headers.get('cseq')!), SipParseError);
});

test('3.1.2.6 quotbal: unterminated quoted string in a display name', () => {
  answers('quotbal', 400, 'Bad Request (malformed To)');
  assert.equal(from(req('quotbal')).displayName, 'Charles Babbage');
});

test('3.1.2.7 ltgtruri: <> around the Request-URI', () => {
  rejects('ltgtruri', 'malformed Request-URI');
});

test('3.1.2.8 lwsruri: whitespace inside the Request-URI', () => {
  rejects('lwsruri', 'malformed Request-Line');
});

test('3.1.2.9 lwsstart: several SP between Request-Line elements', () => {
  rejects('lwsstart', 'malformed Request-Line');
  // Whitespace before the method is no better (a valid message with SP or HTAB in front).
  for (const ws of [' ', '\t', ' \t ']) {
    rejectsBytes(Buffer.concat([Buffer.from(ws), raw('lwsdisp')]), 'malformed Request-Line', JSON.stringify(ws));
  }
});

test('3.1.2.10 trws: SP after the SIP version', () => {
  rejects('trws', 'malformed Request-Line');
});

test('3.1.2.11 escruri: escaped headers in the Request-URI', () => {
  answers('escruri', 400, 'Bad Request (escaped headers in Request-URI)');
  assert.deepEqual(parseUri(req('escruri').uri).headers, { Route: '<sip:edge.pivot.test>', Priority: 'urgent' });
});

test('3.1.2.12 baddate: Date in a time zone other than GMT', () => {
  answers('baddate', 400, 'Bad Request (malformed Date)');
  const gmt = raw('baddate').toString('latin1').replace('09:30:00 CEST', '07:30:00 GMT');
  assert.equal(checkRequest(parseMessage(Buffer.from(gmt, 'latin1')) as SipRequest), undefined);
});

test('3.1.2.13 regbadct: name-addr URI with headers not enclosed in <>', () => {
  answers('regbadct', 400, 'Bad Request (malformed Contact)');
});

test('3.1.2.14 badaspec: spaces around the addr-spec inside <>', () => {
  answers('badaspec', 400, 'Bad Request (malformed To)');
  assert.equal(from(req('badaspec')).displayName, 'Lovelace, Ada'); // quoted, so fine
});

test('3.1.2.15 baddn: non-token characters in an unquoted display name', () => {
  answers('baddn', 400, 'Bad Request (malformed From)');
  assert.throws(() => to(req('baddn')), /malformed To/);
});

test('3.1.2.16 badvers: unknown protocol version', () => {
  answers('badvers', 505, 'Version Not Supported');
  assert.equal(req('badvers').version, 'SIP/7.0');
});

test('3.1.2.17 mismatch01: start line and CSeq method mismatch', () => {
  answers('mismatch01', 400, 'Bad Request (CSeq method does not match)');
});

test('3.1.2.18 mismatch02: unknown method with a CSeq method mismatch', () => {
  answers('mismatch02', 400, 'Bad Request (CSeq method does not match)');
  assert.equal(req('mismatch02').method, 'FROBNICATE');
});

test('3.1.2.19 bigcode: overlarge response code', () => {
  rejects('bigcode', 'malformed status code');
});

// ---- §3.2 transaction layer ----

test('3.2.1 badbranch: branch that is only the magic cookie', () => {
  const m = req('badbranch');
  assert.equal(topVia(m).branch, 'z9hG4bK');
  answers('badbranch', 400, 'Bad Request (empty Via branch)');
});

// ---- §3.3 application layer ----

test('3.3.1 insuf: missing required header fields', () => {
  answers('insuf', 400, 'Bad Request (missing From, Call-ID, CSeq, Max-Forwards)');
  assert.throws(() => callId(req('insuf')), /missing Call-ID/);
  assert.throws(() => cseq(req('insuf')), /missing CSeq/);
});

test('3.3.2 unkscm: Request-URI with an unknown scheme', () => {
  const m = req('unkscm');
  const u = parseUri(m.uri);
  assert.deepEqual([u.scheme, u.host], ['zorblat', 'whoKnows;what=this/means']);
  answers('unkscm', 416, 'Unsupported URI Scheme');
});

test('3.3.3 novelsc: Request-URI with a known but atypical scheme', () => {
  const u = parseUri(req('novelsc').uri);
  assert.deepEqual([u.scheme, u.host], ['coap+tcp', '//198.51.100.59:5683/voice']);
  answers('novelsc', 416, 'Unsupported URI Scheme');
});

test('3.3.4 unksm2: unknown URI schemes in header fields', () => {
  const m = req('unksm2');
  assert.deepEqual([to(m).uri.scheme, to(m).uri.host], ['urn', 'ietf:params:pivot:ada']);
  assert.deepEqual([from(m).uri.scheme, from(m).uri.host], ['https', '//www.pivot.test/ada']);
  assert.equal(tagOf(from(m)), 'uk2m');
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.deepEqual([c.uri.scheme, c.uri.host], ['gopher', '//burrow.example.test/1ada']);
  assert.equal(checkRequest(m), undefined); // the registrar, not the parser, rejects a non-SIP AOR
  roundTrip(m);
});

test('3.3.5 bext01: Proxy-Require and Require', () => {
  const m = req('bext01');
  assert.equal(checkRequest(m), undefined);
  assert.deepEqual(checkRequest(m, { supported: ['timer', '100rel'] }), {
    status: 420,
    reason: 'Bad Extension',
    unsupported: ['x-pivot-unheard-of', 'nobody-implements-this'],
  });
  assert.equal(m.headers.get('proxy-require'), 'x-pivot-proxy-magic');
  assert.equal(topVia(m).transport, 'TLS');
  roundTrip(m);
});

test('3.3.6 invut: unknown Content-Type', () => {
  const m = req('invut');
  assert.equal(m.headers.get('content-type'), 'application/x-pivot-mystery');
  assert.equal(m.body.toString(), '{"codec":"opus","ptime":20}\r\n');
  assert.equal(checkRequest(m), undefined); // 415 is the UAS core's decision
  roundTrip(m);
});

test('3.3.7 regaut01: unknown authorization scheme', () => {
  const m = req('regaut01');
  assert.equal(m.headers.get('authorization'), 'PivotImaginaryScheme blob=c2VjcmV0, hint=nothing-here');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.3.8 multi01: multiple values in single-value required fields', () => {
  answers('multi01', 400, 'Bad Request (multiple From headers)');
  const m = req('multi01');
  assert.equal(m.headers.lines('from').length, 2); // From and f:
  assert.equal(m.headers.lines('to').length, 2);
  assert.equal(m.headers.lines('call-id').length, 2);
  assert.equal(m.headers.lines('cseq').length, 2);
  assert.equal(m.headers.lines('max-forwards').length, 2);
});

test('3.3.9 mcl01: multiple Content-Length values', () => {
  rejects('mcl01', 'multiple Content-Length values');
});

test('3.3.10 bcast: 200 OK response with a broadcast Via', () => {
  const m = res('bcast');
  assert.equal(vias(m)[1].host, '255.255.255.255');
  assert.equal(checkResponse(m), 'more than one Via');
});

test('3.3.11 zeromf: Max-Forwards of zero', () => {
  const m = req('zeromf');
  assert.equal(maxForwards(m), 0);
  assert.equal(checkRequest(m), undefined); // OPTIONS: answered here
  const invite = raw('zeromf')
    .toString('latin1')
    .replace(/OPTIONS/g, 'INVITE');
  assert.deepEqual(checkRequest(parseMessage(Buffer.from(invite, 'latin1')) as SipRequest), {
    status: 483,
    reason: 'Too Many Hops',
  });
});

test('3.3.12 cparam01: REGISTER with a Contact header parameter', () => {
  const c = contacts(req('cparam01'))[0];
  assert.ok(c !== '*');
  assert.equal(c.uri.user, '+12025550143');
  assert.deepEqual(c.uri.params, {});
  assert.deepEqual(c.params, { mysteryflag: null });
  assert.equal(checkRequest(req('cparam01')), undefined);
});

test('3.3.13 cparam02: REGISTER with a url-parameter', () => {
  const c = contacts(req('cparam02'))[0];
  assert.ok(c !== '*');
  assert.deepEqual(c.uri.params, { mysteryflag: null });
  assert.deepEqual(c.params, {});
  assert.equal(checkRequest(req('cparam02')), undefined);
});

test('3.3.14 regescrt: REGISTER with a URL-escaped header', () => {
  const m = req('regescrt');
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.deepEqual(c.uri.headers, { Route: '<sip:edge.pivot.test>' });
  assert.equal(parseNameAddr(c.uri.headers.Route).uri.host, 'edge.pivot.test');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.3.15 sdp01: Accept that excludes the body offered', () => {
  const m = req('sdp01');
  assert.equal(m.headers.get('accept'), 'application/x-pivot-nothing');
  assert.equal(m.body.toString(), SDP);
  assert.equal(checkRequest(m), undefined); // 406 is the UAS core's decision
});

// ---- §3.4 backward compatibility ----

test('3.4.1 inv2543: INVITE with RFC 2543 syntax', () => {
  const m = req('inv2543');
  assert.equal(topVia(m).branch, undefined);
  assert.equal(tagOf(from(m)), undefined);
  assert.equal(from(m).uri.params.user, 'phone');
  assert.equal(to(m).params.user, 'phone'); // addr-spec: the parameter belongs to the header (§20.10)
  assert.deepEqual(to(m).uri.params, {});
  assert.equal(m.headers.get('max-forwards'), undefined);
  assert.equal(m.headers.get('content-length'), undefined);
  assert.equal(m.body.toString(), SDP_2543); // the rest of the datagram
  assert.ok(m.body.toString().endsWith('m=audio 30000 RTP/AVP 0\r\n'));
  assert.equal(recordRoutes(m)[0].uri.params.maddr, 'ss2.pivot.test');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

// ---- robustness ----

test('every accessor on every message returns or throws SipParseError, nothing else', () => {
  for (const { id, bytes } of MESSAGES) {
    const buf = Buffer.from(bytes);
    const calls: (() => unknown)[] = [];
    let m: SipMessage | undefined;
    try {
      m = parseMessage(buf);
    } catch (e) {
      assert.ok(e instanceof SipParseError, id);
    }
    const framed = new StreamFramer().push(buf);
    for (const x of framed.messages) assert.ok(x.kind, id);
    if (framed.error) assert.ok(framed.error instanceof SipParseError);
    if (!m) continue;
    const msg = m;
    calls.push(
      () => (msg.kind === 'request' ? checkRequest(msg, { supported: [] }) : checkResponse(msg)),
      () => callId(msg),
      () => cseq(msg),
      () => vias(msg),
      () => topVia(msg),
      () => from(msg),
      () => to(msg),
      () => contacts(msg),
      () => routes(msg),
      () => recordRoutes(msg),
      () => maxForwards(msg),
      () => expiresOf(msg),
      () => serialize(msg),
      () => (msg.kind === 'request' ? parseUri(msg.uri) : undefined),
    );
    for (const call of calls) {
      try {
        call();
      } catch (e) {
        assert.ok(e instanceof SipParseError, `${id}: ${String(e)}`);
      }
    }
  }
});

test('the messages do not share their bytes', () => {
  const a = raw('wsinv');
  a[0] = 0x58;
  assert.equal(raw('wsinv')[0], 0x49); // torture() hands out copies
  assert.equal(req('wsinv').body.toString(), SDP);
});
