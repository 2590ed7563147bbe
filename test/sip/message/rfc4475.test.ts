// RFC 4475 (SIP torture test messages): every message of §3.1.1 (valid), §3.1.2 (invalid), §3.2 (transaction
// layer), §3.3 (application layer) and §3.4 (backward compatibility). The fixtures in ./fixtures/rfc4475 are the
// bit-exact messages of the RFC's archive (CRLF line ends, NUL/BEL/DEL and UTF-8 octets, binary body parts).

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
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

const DIR = new URL('./fixtures/rfc4475/', import.meta.url);

function raw(name: string): Buffer {
  return readFileSync(new URL(`${name}.dat`, DIR));
}

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
  assert.throws(
    () => parseMessage(raw(name)),
    (e: unknown) => e instanceof SipParseError && e.status === 400 && e.message === `Bad Request (${fault})`,
    name,
  );
}

function answers(name: string, status: number, reason: string): void {
  assert.deepEqual(checkRequest(req(name)), { status, reason }, name);
}

const SDP150 =
  'v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\n' +
  'm=audio 49217 RTP/AVP 0 12\r\nm=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n';

test('the fixture set is the 49 messages of RFC 4475', () => {
  const names = readdirSync(DIR)
    .filter((f) => f.endsWith('.dat'))
    .map((f) => f.slice(0, -4))
    .sort();
  assert.deepEqual(names, [
    ...['badaspec', 'badbranch', 'baddate', 'baddn', 'badinv01', 'badvers', 'bcast', 'bext01', 'bigcode', 'clerr'],
    ...['cparam01', 'cparam02', 'dblreq', 'esc01', 'esc02', 'escnull', 'escruri', 'insuf', 'intmeth', 'inv2543'],
    ...['invut', 'longreq', 'ltgtruri', 'lwsdisp', 'lwsruri', 'lwsstart', 'mcl01', 'mismatch01', 'mismatch02'],
    ...['mpart01', 'multi01', 'ncl', 'noreason', 'novelsc', 'quotbal', 'regaut01', 'regbadct', 'regescrt'],
    ...['scalar02', 'scalarlg', 'sdp01', 'semiuri', 'transports', 'trws', 'unkscm', 'unksm2', 'unreason'],
    ...['wsinv', 'zeromf'],
  ]);
  // A few byte-exact landmarks.
  assert.equal(raw('wsinv').length, 1001);
  assert.ok(raw('intmeth').includes(Buffer.from('BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f', 'latin1')));
  assert.ok(raw('intmeth').includes(Buffer.from('efbbbfe5a4a7e5819ce99bbb', 'hex')));
  assert.ok(raw('mpart01').includes(0));
});

// ---- §3.1.1 valid messages ----

test('3.1.1.1 wsinv: a short tortuous INVITE', () => {
  const m = req('wsinv');
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  const ruri = parseUri(m.uri);
  assert.deepEqual([ruri.user, ruri.host, ruri.params], ['vivekg', 'chair-dnrc.example.com', { unknownparam: null }]);
  assert.equal(m.headers.size, 14);

  const t = to(m);
  assert.equal(t.displayName, undefined);
  assert.equal(t.uriText, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(tagOf(t), '1918181833n');
  const f = from(m);
  assert.equal(f.displayName, 'J Rosenberg \\"');
  assert.equal(f.uri.user, 'jdrosen');
  assert.equal(tagOf(f), '98asjd8');

  assert.equal(maxForwards(m), 68);
  assert.equal(callId(m), 'wsinv.ndaksdj@192.0.2.1');
  assert.deepEqual(cseq(m), { seq: 9, method: 'INVITE' });
  assert.equal(m.headers.get('subject'), '');

  const v = vias(m);
  assert.deepEqual(
    v.map((x) => [x.protocol, x.transport, x.host, x.branch]),
    [
      ['SIP/2.0', 'UDP', '192.0.2.2', '390skdjuw'],
      ['SIP/2.0', 'TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['SIP/2.0', 'UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  assert.equal(m.headers.lines('via').length, 2); // Via and v: (the latter with two comma-separated values)

  assert.equal(m.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.equal(m.headers.get('content-type'), 'application/sdp');

  const r = routes(m);
  assert.equal(r.length, 1);
  assert.deepEqual(r[0].uri.params, { lr: null, unknownwith: 'value', 'unknown-no-value': null });

  const c = contacts(m);
  assert.equal(c.length, 1);
  assert.notEqual(c[0], '*');
  if (c[0] !== '*') {
    assert.equal(c[0].displayName, 'Quoted string ""');
    assert.equal(c[0].uriText, 'sip:jdrosen@example.com');
    assert.deepEqual(c[0].params, { newparam: 'newvalue', secondparam: null, q: '0.33' });
  }
  assert.equal(m.body.length, 150);
  assert.ok(m.body.toString().startsWith('v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\n'));
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.2 intmeth: a wide range of valid characters', () => {
  const m = req('intmeth');
  const method = "!interesting-Method0123456789_*+`.%indeed'~";
  assert.equal(m.method, method);
  const ruri = parseUri(m.uri);
  assert.equal(ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(ruri.host, 'example.com');
  assert.equal(topVia(m).branch, "z9hG4bK-.!%66*_+`'~");
  assert.equal(to(m).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  assert.equal(to(m).uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  const f = from(m);
  assert.equal(f.displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(f.params["fromparam''~+*_!.-%"], '"работающий"');
  assert.equal(tagOf(f), "_token~1'+`*%!-.");
  assert.equal(callId(m), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  assert.deepEqual(cseq(m), { seq: 139122385, method });
  assert.equal(maxForwards(m), 255);
  assert.equal(m.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
  assert.equal(m.body.length, 0);
  assert.equal(checkRequest(m), undefined); // an unknown method is the UAS core's business (501)
  roundTrip(m);
});

test('3.1.1.3 esc01: valid use of the % escaping mechanism', () => {
  const m = req('esc01');
  const ruri = parseUri(m.uri);
  assert.deepEqual([ruri.user, ruri.host], ['sips:user@example.com', 'example.net']);
  assert.equal(to(m).uri.user, 'user');
  assert.ok(uriEquals(to(m).uri, parseUri('sip:user@example.com')));
  assert.equal(from(m).uri.user, 'I have spaces');
  assert.equal(tagOf(from(m)), '938');
  assert.equal(callId(m), 'esc01.239409asdfakjkn23onasd0-3234');
  assert.equal(m.headers.get('content-type'), 'application/sdp'); // compact "C"
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.equal(c.uri.user, 'caller');
  assert.deepEqual(c.uri.params, { lr: null, name: 'value%41' }); // unescaped once, never recursively
  assert.equal(m.body.length, 150);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.4 escnull: escaped nulls in URIs', () => {
  const m = req('escnull');
  assert.equal(to(m).uri.user, 'null-\x00-null');
  assert.equal(from(m).uri.user, 'null-\x00-null');
  const c = contacts(m);
  assert.equal(c.length, 2);
  assert.ok(c[0] !== '*' && c[1] !== '*');
  assert.equal(c[0].uri.user, '\x00');
  assert.equal(c[1].uri.user, '\x00\x00');
  assert.equal(uriEquals(c[0].uri, c[1].uri), false);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.5 esc02: use of % when it is not an escape', () => {
  const m = req('esc02');
  assert.equal(m.method, 'RE%47IST%45R');
  assert.notEqual(m.method, 'REGISTER');
  assert.equal(to(m).displayName, '%Z%45');
  assert.equal(from(m).displayName, '%Z%45');
  assert.equal(topVia(m).branch, 'z9hG4bK209%fzsnel234');
  assert.deepEqual(cseq(m), { seq: 29344, method: 'RE%47IST%45R' });
  const c = contacts(m);
  assert.equal(c.length, 2); // <sip:alias2@host2.example.com> is a C%6Fntact header
  assert.equal(m.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.6 lwsdisp: message with no LWS between display name and <', () => {
  const m = req('lwsdisp');
  assert.equal(from(m).displayName, 'caller');
  assert.equal(from(m).uriText, 'sip:caller@example.com');
  assert.equal(tagOf(from(m)), '323');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.7 longreq: long values in header fields', () => {
  const m = req('longreq');
  const t = to(m);
  assert.equal(t.displayName, 'I have a user name of ' + 'extreme'.repeat(10) + ' proportion');
  assert.equal(t.uri.port, 6000);
  assert.equal(t.uri.params.unknownparam1, 'verylong' + 'long'.repeat(19) + 'value');
  assert.equal(t.uri.params['longparam' + 'name'.repeat(25)], 'shortvalue');
  assert.equal(t.uri.params['verylong' + 'long'.repeat(24) + 'parameternamewithnovalue'], null);
  const f = from(m);
  assert.equal(f.uri.user, 'amazinglylongcallername'.repeat(5));
  assert.equal(tagOf(f), '1' + '298'.repeat(50) + '2424');
  assert.equal(f.params['unknownheaderparam' + 'name'.repeat(20)], 'unknowheaderparam' + 'value'.repeat(15));
  assert.ok(Object.hasOwn(f.params, 'unknownvaluelessparamname' + 'paramname'.repeat(9)));
  assert.equal(callId(m), 'longreq.one' + 'really'.repeat(20) + 'longcallid');
  const v = vias(m);
  assert.equal(v.length, 34);
  assert.deepEqual(
    v.slice(0, 33).map((x) => x.host),
    Array.from({ length: 33 }, (_, i) => `sip${33 - i}.example.com`),
  );
  assert.equal(v[33].received, '192.0.2.5');
  assert.equal(v[33].branch, 'very' + 'long'.repeat(50) + 'branchvalue');
  assert.equal(m.headers.lines('via').length, 34);
  assert.equal(contacts(m).length, 1);
  assert.equal(m.body.length, 150);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.8 dblreq: extra trailing octets in a UDP datagram', () => {
  const m = req('dblreq');
  assert.equal(m.method, 'REGISTER');
  assert.equal(callId(m), 'dblreq.0ha0isndaksdj99sdfafnl3lk233412');
  assert.equal(m.body.length, 0);
  assert.equal(m.headers.lines('to').length, 1); // nothing of the INVITE that follows
  assert.equal(m.headers.size, 8);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.9 semiuri: semicolon-separated parameters in the URI user part', () => {
  const m = req('semiuri');
  const ruri = parseUri(m.uri);
  assert.equal(ruri.user, 'user;par=u@example.net');
  assert.equal(ruri.host, 'example.com');
  assert.deepEqual(ruri.params, {});
  assert.deepEqual(m.headers.values('accept'), [
    'application/sdp',
    'application/pkcs7-mime',
    'multipart/mixed',
    'multipart/signed',
    'message/sip',
    'message/sipfrag',
  ]);
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.10 transports: Via with all known transport types', () => {
  const m = req('transports');
  assert.deepEqual(
    vias(m).map((v) => v.transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );
  assert.equal(callId(m), 'transports.kijh4akdnaqjkwendsasfdj');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.11 mpart01: multipart MIME message with a binary part', () => {
  const m = req('mpart01');
  assert.equal(m.method, 'MESSAGE');
  assert.equal(m.body.length, 553);
  assert.ok(m.body.includes(0));
  assert.ok(m.body.toString('latin1').endsWith('\r\n--7a9cbec02ceef655--\r\n'));
  assert.equal(m.headers.get('content-type'), 'multipart/mixed;boundary=7a9cbec02ceef655');
  const v = topVia(m);
  assert.deepEqual([v.host, v.port, v.rport], ['127.0.0.1', 5070, null]);
  assert.equal(callId(m), '3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.1.1.12 unreason: unusual reason phrase', () => {
  const m = res('unreason');
  assert.equal(m.status, 200);
  assert.equal(m.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  assert.equal(m.body.length, 154);
  assert.equal(checkResponse(m), undefined);
  roundTrip(m);
});

test('3.1.1.13 noreason: empty reason phrase', () => {
  const m = res('noreason');
  assert.equal(m.status, 100);
  assert.equal(m.reason, '');
  assert.equal(tagOf(to(m)), '902jndnke3');
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
  const five = raw('ncl').toString('latin1').replace('Content-Length: -999', 'Content-Length: five');
  assert.throws(() => parseMessage(Buffer.from(five, 'latin1')), /malformed Content-Length/);
  assert.equal(new StreamFramer().push(raw('ncl')).error?.message, 'Bad Request (malformed Content-Length)');
});

test('3.1.2.4 scalar02: request scalar fields with overlarge values', () => {
  answers('scalar02', 400, 'Bad Request (CSeq number out of range)');
  const m = req('scalar02');
  assert.equal(maxForwards(m), 300);
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.equal(c.params.expires, '280297596632815');
  assert.equal(expiresOf(m, c), 0xffffffff); // capped
  assert.equal(expiresOf(m), 0xffffffff);
});

test('3.1.2.5 scalarlg: response scalar fields with overlarge values', () => {
  const m = res('scalarlg');
  assert.equal(m.status, 503);
  assert.equal(checkResponse(m), 'CSeq number out of range');
  assert.throws(() => parseCSeq(m.headers.get('cseq')!), SipParseError);
});

test('3.1.2.6 quotbal: unterminated quoted string in display name', () => {
  answers('quotbal', 400, 'Bad Request (malformed To)');
});

test('3.1.2.7 ltgtruri: <> enclosing the Request-URI', () => {
  rejects('ltgtruri', 'malformed Request-URI');
});

test('3.1.2.8 lwsruri: malformed SIP Request-URI (embedded LWS)', () => {
  rejects('lwsruri', 'malformed Request-Line');
});

test('3.1.2.9 lwsstart: multiple SP separating Request-Line elements', () => {
  rejects('lwsstart', 'malformed Request-Line');
});

test('3.1.2.10 trws: SP characters at the end of the Request-Line', () => {
  rejects('trws', 'malformed Request-Line');
});

test('3.1.2.11 escruri: escaped headers in the SIP Request-URI', () => {
  answers('escruri', 400, 'Bad Request (escaped headers in Request-URI)');
  assert.deepEqual(parseUri(req('escruri').uri).headers, { Route: '<sip:example.com>' });
});

test('3.1.2.12 baddate: invalid time zone in Date header', () => {
  answers('baddate', 400, 'Bad Request (malformed Date)');
});

test('3.1.2.13 regbadct: failure to enclose a name-addr URI in <>', () => {
  answers('regbadct', 400, 'Bad Request (malformed Contact)');
});

test('3.1.2.14 badaspec: spaces within addr-spec', () => {
  answers('badaspec', 400, 'Bad Request (malformed To)');
  assert.equal(from(req('badaspec')).displayName, 'Bell, Alexander'); // quoted, so fine
});

test('3.1.2.15 baddn: non-token characters in display name', () => {
  answers('baddn', 400, 'Bad Request (malformed From)');
  assert.throws(() => to(req('baddn')), /malformed To/);
});

test('3.1.2.16 badvers: unknown protocol version', () => {
  answers('badvers', 505, 'Version Not Supported');
});

test('3.1.2.17 mismatch01: start line and CSeq method mismatch', () => {
  answers('mismatch01', 400, 'Bad Request (CSeq method does not match)');
});

test('3.1.2.18 mismatch02: unknown method with CSeq method mismatch', () => {
  answers('mismatch02', 400, 'Bad Request (CSeq method does not match)');
});

test('3.1.2.19 bigcode: overlarge response code', () => {
  rejects('bigcode', 'malformed status code');
});

// ---- §3.2 transaction layer ----

test('3.2.1 badbranch: missing transaction identifier', () => {
  const m = req('badbranch');
  assert.equal(topVia(m).branch, 'z9hG4bK');
  answers('badbranch', 400, 'Bad Request (empty Via branch)');
});

// ---- §3.3 application layer ----

test('3.3.1 insuf: missing required header fields', () => {
  answers('insuf', 400, 'Bad Request (missing From, To, Call-ID, Max-Forwards)');
  assert.throws(() => callId(req('insuf')), /missing Call-ID/);
});

test('3.3.2 unkscm: Request-URI with an unknown scheme', () => {
  const m = req('unkscm');
  const u = parseUri(m.uri);
  assert.deepEqual([u.scheme, u.host], ['nobodyknowsthisscheme', 'totallyopaquecontent']);
  answers('unkscm', 416, 'Unsupported URI Scheme');
});

test('3.3.3 novelsc: Request-URI with a known but atypical scheme', () => {
  const u = parseUri(req('novelsc').uri);
  assert.deepEqual([u.scheme, u.host], ['soap.beep', '//192.0.2.103:3002']);
  answers('novelsc', 416, 'Unsupported URI Scheme');
});

test('3.3.4 unksm2: unknown URI schemes in header fields', () => {
  const m = req('unksm2');
  assert.deepEqual([to(m).uri.scheme, to(m).uri.host], ['isbn', '2983792873']);
  assert.deepEqual([from(m).uri.scheme, from(m).uri.host], ['http', '//www.example.com']);
  assert.equal(tagOf(from(m)), '3234233');
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.deepEqual([c.uri.scheme, c.uri.host], ['name', 'John_Smith']);
  assert.equal(checkRequest(m), undefined); // the registrar, not the parser, rejects a non-SIP AOR
  roundTrip(m);
});

test('3.3.5 bext01: Proxy-Require and Require', () => {
  const m = req('bext01');
  assert.equal(checkRequest(m), undefined);
  assert.deepEqual(checkRequest(m, { supported: ['timer', '100rel'] }), {
    status: 420,
    reason: 'Bad Extension',
    unsupported: ['nothingSupportsThis', 'nothingSupportsThisEither'],
  });
  assert.equal(topVia(m).transport, 'TLS');
  roundTrip(m);
});

test('3.3.6 invut: unknown Content-Type', () => {
  const m = req('invut');
  assert.equal(m.headers.get('content-type'), 'application/unknownformat');
  assert.equal(m.body.toString(), '<audio>\r\n <pcmu port="443"/>\r\n</audio>\r\n');
  assert.equal(checkRequest(m), undefined); // 415 is the UAS core's decision
  roundTrip(m);
});

test('3.3.7 regaut01: unknown authorization scheme', () => {
  const m = req('regaut01');
  assert.equal(m.headers.get('authorization'), 'NoOneKnowsThisScheme opaque-data=here');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.3.8 multi01: multiple values in single-value required fields', () => {
  answers('multi01', 400, 'Bad Request (multiple From headers)');
  const m = req('multi01');
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
  assert.deepEqual(c.uri.params, {});
  assert.deepEqual(c.params, { unknownparam: null });
  assert.equal(checkRequest(req('cparam01')), undefined);
});

test('3.3.13 cparam02: REGISTER with a url-parameter', () => {
  const c = contacts(req('cparam02'))[0];
  assert.ok(c !== '*');
  assert.deepEqual(c.uri.params, { unknownparam: null });
  assert.deepEqual(c.params, {});
  assert.equal(checkRequest(req('cparam02')), undefined);
});

test('3.3.14 regescrt: REGISTER with a URL-escaped header', () => {
  const m = req('regescrt');
  const c = contacts(m)[0];
  assert.ok(c !== '*');
  assert.deepEqual(c.uri.headers, { Route: '<sip:sip.example.com>' });
  assert.equal(parseNameAddr(c.uri.headers.Route).uri.host, 'sip.example.com');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

test('3.3.15 sdp01: unacceptable Accept offering', () => {
  const m = req('sdp01');
  assert.equal(m.headers.get('accept'), 'text/nobodyKnowsThis');
  assert.equal(m.body.length, 150);
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
  assert.equal(m.body.length, 105); // the rest of the datagram
  assert.ok(m.body.toString().endsWith('m=audio 49217 RTP/AVP 0\r\n'));
  assert.equal(recordRoutes(m)[0].uri.params.maddr, 'ss1.example.com');
  assert.equal(checkRequest(m), undefined);
  roundTrip(m);
});

// ---- robustness ----

test('every accessor on every message returns or throws SipParseError, nothing else', () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.dat'))) {
    const buf = readFileSync(new URL(f, DIR));
    const calls: (() => unknown)[] = [];
    let m: SipMessage | undefined;
    try {
      m = parseMessage(buf);
    } catch (e) {
      assert.ok(e instanceof SipParseError, f);
    }
    const framed = new StreamFramer().push(buf);
    for (const x of framed.messages) assert.ok(x.kind, f);
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
        assert.ok(e instanceof SipParseError, `${f}: ${String(e)}`);
      }
    }
  }
});

test('the SDP used by several messages is the one the RFC shows', () => {
  assert.equal(req('wsinv').body.toString(), SDP150);
});
