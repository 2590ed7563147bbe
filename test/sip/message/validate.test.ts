// checkRequest / checkResponse: the checks before any processing (RFC 3261 §8.2, §8.1.3).

import assert from 'node:assert/strict';
import test from 'node:test';
import { Headers, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { checkRequest, checkResponse } from '../../../src/sip/validate.js';

const BASE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.com>',
];

function req(lines: string[], body = ''): SipRequest {
  const extra = body ? `\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length}` : '';
  const text = lines.join('\r\n') + extra + '\r\n\r\n' + body;
  return parseMessage(Buffer.from(text)) as SipRequest;
}

/** BASE with the header lines starting with `name:` replaced (or removed with no `line`). */
function edit(name: string, line?: string, lines = BASE): string[] {
  const out = lines.filter((l) => !l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  if (line !== undefined) out.push(line);
  return out;
}

function bad(lines: string[], fault: string): void {
  assert.deepEqual(checkRequest(req(lines)), { status: 400, reason: `Bad Request (${fault})` }, fault);
}

test('a well-formed request passes', () => {
  assert.equal(checkRequest(req(BASE)), undefined);
  assert.equal(checkRequest(req(BASE, 'v=0\r\n')), undefined);
  assert.equal(
    checkRequest(req(edit('CSeq', 'CSeq: 1 REGISTER', [BASE[0].replace('INVITE', 'REGISTER'), ...BASE.slice(1)]))),
    undefined,
  );
});

test('505 for another SIP version', () => {
  const r = req([BASE[0].replace('SIP/2.0', 'SIP/3.0'), ...BASE.slice(1)]);
  assert.deepEqual(checkRequest(r), { status: 505, reason: 'Version Not Supported' });
  assert.equal(checkRequest(req([BASE[0].replace('SIP/2.0', 'sip/2.0'), ...BASE.slice(1)])), undefined);
});

test('400 naming every missing mandatory header', () => {
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards']) bad(edit(name), `missing ${name}`);
  bad([BASE[0], BASE[1], BASE[6]], 'missing From, To, Call-ID, Max-Forwards');
  // An RFC 2543 client (no magic cookie) may omit Max-Forwards.
  const old = edit('Via', 'Via: SIP/2.0/UDP pc33.atlanta.com', edit('Max-Forwards'));
  assert.equal(checkRequest(req(old)), undefined);
});

test('400 for single-valued headers given twice', () => {
  for (const [name, line] of [
    ['From', 'From: <sip:eve@evil.com>;tag=2'],
    ['To', 'To: <sip:carol@chicago.com>'],
    ['Call-ID', 'Call-ID: other'],
    ['CSeq', 'CSeq: 1 INVITE'],
    ['Max-Forwards', 'Max-Forwards: 5'],
  ]) {
    bad([...BASE, line], `multiple ${name} headers`);
  }
  bad([...BASE, 'Content-Type: text/plain', 'c: text/plain'], 'multiple Content-Type headers');
});

test('Request-URI: syntax (400), scheme (416), escaped headers (400)', () => {
  const withUri = (uri: string) => [`INVITE ${uri} SIP/2.0`, ...BASE.slice(1)];
  bad(withUri('sip:bob@'), 'malformed Request-URI');
  bad(withUri('sip:bob@biloxi.com:99999'), 'malformed Request-URI');
  assert.deepEqual(checkRequest(req(withUri('http://example.com/'))), {
    status: 416,
    reason: 'Unsupported URI Scheme',
  });
  assert.deepEqual(checkRequest(req(withUri('mailto:bob@biloxi.com'))), {
    status: 416,
    reason: 'Unsupported URI Scheme',
  });
  assert.equal(checkRequest(req(withUri('tel:+12015550123'))), undefined);
  assert.equal(checkRequest(req(withUri('sips:bob@biloxi.com'))), undefined);
  assert.equal(checkRequest(req(withUri('tel:+12015550123')), { schemes: ['sip'] })?.status, 416);
  bad(withUri('sip:bob@biloxi.com?Subject=hi'), 'escaped headers in Request-URI');
});

test('CSeq: syntax, range (< 2**31), method', () => {
  bad(edit('CSeq', 'CSeq: INVITE'), 'malformed CSeq');
  bad(edit('CSeq', 'CSeq: 2147483648 INVITE'), 'CSeq number out of range');
  bad(edit('CSeq', 'CSeq: 99999999999 INVITE'), 'CSeq number out of range');
  assert.equal(checkRequest(req(edit('CSeq', 'CSeq: 2147483647 INVITE'))), undefined);
  assert.equal(checkRequest(req(edit('CSeq', 'CSeq: 0 INVITE'))), undefined);
  bad(edit('CSeq', 'CSeq: 1 BYE'), 'CSeq method does not match');
  bad(edit('CSeq', 'CSeq: 1 invite'), 'CSeq method does not match'); // methods are case-sensitive
});

test('Via, From, To, Contact, Route syntax', () => {
  bad(edit('Via', 'Via: SIP/2.0/UDP'), 'malformed Via');
  bad([...BASE, 'Via: SIP/2.0/UDP ok.example.com;;'], 'malformed Via');
  bad(edit('Via', 'Via: SIP/2.0/UDP h;branch=z9hG4bK'), 'empty Via branch');
  bad(edit('From', 'From: Bell, Alexander <sip:a@b>;tag=1'), 'malformed From');
  bad(edit('To', 'To: "Bob <sip:bob@biloxi.com>'), 'malformed To');
  bad(edit('Contact', 'Contact: sip:a@b?x=y'), 'malformed Contact');
  bad(edit('Contact', 'Contact: *'), 'malformed Contact'); // only REGISTER
  bad([...BASE, 'Route: <sip:p1.example.com;lr'], 'malformed Route');
  bad([...BASE, 'Record-Route: junk'], 'malformed Record-Route');
  const register = (contact: string) =>
    edit('Contact', contact, [
      'REGISTER sip:example.com SIP/2.0',
      ...BASE.slice(1).map((l) => l.replace('314159 INVITE', '1 REGISTER')),
      'Expires: 0',
    ]);
  assert.equal(checkRequest(req(register('Contact: *'))), undefined);
  bad(register('Contact: *, <sip:a@b>'), 'malformed Contact');
});

test('Max-Forwards: syntax, range, 0 on anything but OPTIONS (483)', () => {
  bad(edit('Max-Forwards', 'Max-Forwards: ten'), 'malformed Max-Forwards');
  bad(edit('Max-Forwards', 'Max-Forwards: 256'), 'Max-Forwards out of range');
  assert.deepEqual(checkRequest(req(edit('Max-Forwards', 'Max-Forwards: 0'))), {
    status: 483,
    reason: 'Too Many Hops',
  });
  const options = edit('Max-Forwards', 'Max-Forwards: 0', [
    'OPTIONS sip:bob@biloxi.com SIP/2.0',
    ...BASE.slice(1).map((l) => l.replace('314159 INVITE', '1 OPTIONS')),
  ]);
  assert.equal(checkRequest(req(options)), undefined);
});

test('Content-Length against the body, Content-Type with a body', () => {
  const r = req(BASE, 'v=0\r\n');
  r.body = Buffer.from('v=0\r\ns=-\r\n'); // e.g. rewritten in place
  assert.deepEqual(checkRequest(r), { status: 400, reason: 'Bad Request (Content-Length mismatch)' });
  const noType = parseMessage(Buffer.from(BASE.join('\r\n') + '\r\nContent-Length: 5\r\n\r\nhello')) as SipRequest;
  assert.deepEqual(checkRequest(noType), { status: 400, reason: 'Bad Request (missing Content-Type)' });
});

test('Date (GMT only) and Expires syntax', () => {
  assert.equal(checkRequest(req([...BASE, 'Date: Sat, 13 Nov 2010 23:29:00 GMT'])), undefined);
  bad([...BASE, 'Date: Fri, 01 Jan 2010 16:00:00 EST'], 'malformed Date');
  bad([...BASE, 'Date: yesterday'], 'malformed Date');
  assert.equal(checkRequest(req([...BASE, 'Expires: 0003600'])), undefined);
  bad([...BASE, 'Expires: soon'], 'malformed Expires');
});

test('Require against the supported option tags (420)', () => {
  const r = req([...BASE, 'Require: 100rel, timer', 'Proxy-Require: foo']);
  assert.equal(checkRequest(r), undefined);
  assert.equal(checkRequest(r, { supported: ['100rel', 'timer'] }), undefined);
  assert.deepEqual(checkRequest(r, { supported: ['timer'] }), {
    status: 420,
    reason: 'Bad Extension',
    unsupported: ['100rel'],
  });
});

test('checkRequest never throws, whatever the headers hold', () => {
  const headers = new Headers()
    .append('Via', '\u0000')
    .append('From', '<')
    .append('To', '"')
    .append('Call-ID', '')
    .append('CSeq', '')
    .append('Max-Forwards', '');
  const r: SipRequest = { kind: 'request', method: 'X', uri: '', version: 'SIP/2.0', headers, body: Buffer.alloc(0) };
  assert.equal(checkRequest(r)?.status, 400);
});

// ---- responses ----

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
  'To: Bob <sip:bob@biloxi.com>;tag=a6c85cf',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Content-Length: 0',
];

function res(lines: string[]): SipResponse {
  return parseMessage(Buffer.from(lines.join('\r\n') + '\r\n\r\n')) as SipResponse;
}

test('checkResponse: usable responses pass, unusable ones say why', () => {
  assert.equal(checkResponse(res(OK)), undefined);
  assert.equal(checkResponse(res([OK[0].replace('2.0', '3.0'), ...OK.slice(1)])), 'Version Not Supported');
  assert.equal(checkResponse(res(OK.filter((l) => !l.startsWith('Call-ID')))), 'missing Call-ID');
  assert.equal(checkResponse(res(OK.filter((l) => !l.startsWith('Via')))), 'missing Via');
  assert.equal(checkResponse(res([...OK, 'Via: SIP/2.0/UDP other;branch=z9hG4bK2'])), 'more than one Via');
  assert.equal(checkResponse(res([...OK, 'To: <sip:x@y>'])), 'multiple To headers');
  assert.equal(
    checkResponse(res(OK.map((l) => (l.startsWith('CSeq') ? 'CSeq: 2147483648 INVITE' : l)))),
    'CSeq number out of range',
  );
  assert.equal(checkResponse(res(OK.map((l) => (l.startsWith('CSeq') ? 'CSeq: x' : l)))), 'malformed CSeq');
  assert.equal(checkResponse(res(OK.map((l) => (l.startsWith('Via') ? 'Via: nonsense' : l)))), 'malformed Via');
  assert.equal(checkResponse(res(OK.map((l) => (l.startsWith('From') ? 'From: <sip:' : l)))), 'malformed From');
});
