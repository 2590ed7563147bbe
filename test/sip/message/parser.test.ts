// parseMessage (datagrams) and StreamFramer (TCP/TLS/WS streams).

import assert from 'node:assert/strict';
import test from 'node:test';
import { SipParseError, contacts, vias } from '../../../src/sip/headers.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';
import { StreamFramer, parseMessage } from '../../../src/sip/parser.js';

const INVITE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.com>',
  'Content-Type: application/sdp',
];
const SDP = 'v=0\r\no=alice 2890844526 2890844526 IN IP4 pc33.atlanta.com\r\ns=-\r\n';

function wire(lines: string[], body = '', withLength = true): Buffer {
  const head = withLength ? [...lines, `Content-Length: ${Buffer.byteLength(body)}`] : lines;
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + body);
}

function parse(lines: string[], body = '', withLength = true): SipMessage {
  return parseMessage(wire(lines, body, withLength));
}

function fails(buf: Buffer | string, message: string | RegExp, status = 400): void {
  assert.throws(
    () => parseMessage(typeof buf === 'string' ? Buffer.from(buf) : buf),
    (e: unknown) =>
      e instanceof SipParseError &&
      e.status === status &&
      (typeof message === 'string' ? e.message === message : message.test(e.message)),
    String(message),
  );
}

test('a request: start line, headers in order, body by Content-Length', () => {
  const m = parse(INVITE, SDP) as SipRequest;
  assert.equal(m.kind, 'request');
  assert.deepEqual([m.method, m.uri, m.version], ['INVITE', 'sip:bob@biloxi.com', 'SIP/2.0']);
  assert.equal(m.headers.size, 9);
  assert.equal(m.headers.entries()[0][0], 'Via');
  assert.equal(m.headers.get('call-id'), 'a84b4c76e66710@pc33.atlanta.com');
  assert.equal(m.body.toString(), SDP);
});

test('a response: status line with and without reason phrase', () => {
  const r = parse(['SIP/2.0 180 Ringing', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1']) as SipResponse;
  assert.deepEqual([r.kind, r.status, r.reason, r.version], ['response', 180, 'Ringing', 'SIP/2.0']);
  const spaced = parse(['SIP/2.0 404 Not  Found here ']) as SipResponse;
  assert.equal(spaced.reason, 'Not  Found here ');
  assert.equal((parse(['SIP/2.0 200']) as SipResponse).reason, '');
  assert.equal((parse(['SIP/2.0 699 ']) as SipResponse).status, 699);
});

test('compact and case-insensitive header names', () => {
  const m = parse([
    'OPTIONS sip:x@y SIP/2.0',
    'v: SIP/2.0/UDP a;branch=z9hG4bK1',
    'VIA: SIP/2.0/UDP b;branch=z9hG4bK2',
    'i: abc',
    'f: <sip:a@b>;tag=1',
    't: <sip:c@d>',
    'm: <sip:e@f>',
    'CALL-ID: other',
    'cSeQ: 1 OPTIONS',
    'k: timer',
    'x: 1800',
  ]);
  assert.equal(m.headers.lines('via').length, 2);
  assert.deepEqual(m.headers.lines('Call-ID'), ['abc', 'other']);
  assert.equal(m.headers.get('FROM'), '<sip:a@b>;tag=1');
  assert.equal(m.headers.get('supported'), 'timer');
  assert.equal(m.headers.get('session-expires'), '1800');
  assert.deepEqual(
    m.headers.entries().map(([n]) => n),
    [
      'Via',
      'Via',
      'Call-ID',
      'From',
      'To',
      'Contact',
      'Call-ID',
      'CSeq',
      'Supported',
      'Session-Expires',
      'Content-Length',
    ],
  );
});

test('header folding: continuation lines join with one space; whitespace around the colon is ignored', () => {
  const m = parse([
    'OPTIONS sip:x@y SIP/2.0',
    "Subject  :   I know you're there,",
    '      pick up the phone   ',
    '\t and talk to me!',
    'Via: SIP/2.0/UDP a;',
    ' branch=z9hG4bK1,',
    ' SIP/2.0/TCP b;branch=z9hG4bK2',
    'Empty:',
    'Folded-Empty:',
    '   ',
    'TO :',
    ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
  ]);
  assert.equal(m.headers.get('subject'), "I know you're there, pick up the phone and talk to me!");
  assert.equal(m.headers.get('via'), 'SIP/2.0/UDP a; branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2');
  assert.deepEqual(
    vias(m).map((v) => v.branch),
    ['z9hG4bK1', 'z9hG4bK2'],
  );
  assert.equal(m.headers.get('empty'), '');
  assert.equal(m.headers.get('folded-empty'), '');
  assert.equal(m.headers.get('to'), 'sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
});

test('comma lists across lines, and quoted strings with commas are not split', () => {
  const m = parse([
    'REGISTER sip:example.com SIP/2.0',
    'Contact: "Doe, John" <sip:john@a.example.com>, <sip:john@b.example.com>;q=0.5',
    'Contact: sip:john@c.example.com',
    'Allow: INVITE, ACK,',
    '  BYE',
    'Allow: CANCEL',
  ]);
  const c = contacts(m);
  assert.equal(c.length, 3);
  assert.ok(c[0] !== '*');
  assert.equal(c[0].displayName, 'Doe, John');
  assert.deepEqual(m.headers.values('allow'), ['INVITE', 'ACK', 'BYE', 'CANCEL']);
});

test('tolerated: leading CRLFs, bare LF line ends, no empty line at the end of a datagram, UTF-8 values', () => {
  const lf = Buffer.from('\r\n\r\nOPTIONS sip:x@y SIP/2.0\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\nl: 2\n\nhi');
  const m = parseMessage(lf);
  assert.equal(m.headers.get('via'), 'SIP/2.0/UDP a;branch=z9hG4bK1');
  assert.equal(m.body.toString(), 'hi');
  const noBlank = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nCall-ID: abc\r\n'));
  assert.equal(noBlank.headers.get('call-id'), 'abc');
  assert.equal(noBlank.body.length, 0);
  const noCrlf = parseMessage(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\nCall-ID: abc'));
  assert.equal(noCrlf.headers.get('call-id'), 'abc');
  const utf8 = parse(['MESSAGE sip:x@y SIP/2.0', 'Subject: Grüße 👋']);
  assert.equal(utf8.headers.get('subject'), 'Grüße 👋');
  assert.equal(parse(['OPTIONS sip:x@y sip/2.0']).version, 'sip/2.0');
});

test('UDP bodies: no Content-Length means the rest of the datagram; octets after the body are ignored', () => {
  const m = parse(INVITE, SDP, false);
  assert.equal(m.body.toString(), SDP);
  const extra = Buffer.concat([wire(INVITE, SDP), Buffer.from('garbage after the body')]);
  assert.equal(parseMessage(extra).body.toString(), SDP);
  const zero = Buffer.from(wire(['OPTIONS sip:x@y SIP/2.0', 'l: 0']).toString() + 'junk');
  assert.equal(parseMessage(zero).body.length, 0);
  assert.equal(
    parse(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 0005', 'Content-Length: 5'], 'hello', false).body.toString(),
    'hello',
  );
});

test('Content-Length errors', () => {
  const base = ['OPTIONS sip:x@y SIP/2.0'];
  fails(wire([...base, 'Content-Length: 10'], 'short', false), 'Bad Request (Content-Length larger than message)');
  fails(wire([...base, 'Content-Length: 99999999999999999999'], '', false), /larger than message/);
  fails(wire([...base, 'Content-Length: -1'], '', false), 'Bad Request (malformed Content-Length)');
  fails(wire([...base, 'Content-Length: five'], '', false), 'Bad Request (malformed Content-Length)');
  fails(wire([...base, 'Content-Length:'], '', false), 'Bad Request (malformed Content-Length)');
  fails(wire([...base, 'Content-Length: 1 2'], '', false), 'Bad Request (malformed Content-Length)');
  fails(wire([...base, 'l: 3', 'Content-Length: 4'], 'abcd', false), 'Bad Request (multiple Content-Length values)');
  fails(wire(['OPTIONS sip:x@y SIP/2.0', 'Content-Length: 5'], '', false), /larger than message/);
});

test('malformed start lines', () => {
  const cases: [string, string][] = [
    ['INVITE  sip:x@y SIP/2.0', 'malformed Request-Line'],
    ['INVITE sip:x@y  SIP/2.0', 'malformed Request-Line'],
    ['INVITE sip:x@y SIP/2.0 ', 'malformed Request-Line'],
    ['INVITE sip:x@y; lr SIP/2.0', 'malformed Request-Line'],
    ['INVITE sip:x@y', 'malformed Request-Line'],
    ['INVITE', 'malformed Request-Line'],
    [' INVITE sip:x@y SIP/2.0', 'malformed Request-Line'],
    ['IN VITE sip:x@y SIP/2.0', 'malformed Request-Line'],
    ['INV<ITE sip:x@y SIP/2.0', 'malformed Request-Line'],
    ['INVITE sip:x@y HTTP/1.1', 'malformed Request-Line'],
    ['INVITE sip:x@y SIP/2', 'malformed Request-Line'],
    ['INVITE sip:x@y SIP/2.', 'malformed Request-Line'],
    ['INVITE sip:x@y SIP/a.0', 'malformed Request-Line'],
    ['INVITE <sip:x@y> SIP/2.0', 'malformed Request-URI'],
    ['INVITE sip:x\ty SIP/2.0', 'malformed Request-URI'],
    ['SIP/2.0 4294967301 better not break the receiver', 'malformed status code'],
    ['SIP/2.0 20 OK', 'malformed status code'],
    ['SIP/2.0 099 Low', 'malformed status code'],
    ['SIP/2.0 700 High', 'malformed status code'],
    ['SIP/2.0 2OO OK', 'malformed status code'],
    ['SIP/2.0', 'malformed Status-Line'],
    ['SIP/x.y 200 OK', 'malformed Status-Line'],
    ['SIP/2.0  200 OK', 'malformed status code'],
  ];
  for (const [line, fault] of cases) fails(`${line}\r\nCall-ID: x\r\n\r\n`, `Bad Request (${fault})`);
  fails('', 'Bad Request (empty message)');
  fails('\r\n\r\n', 'Bad Request (empty message)');
});

test('malformed header lines', () => {
  for (const line of ['No colon here', ': empty name', 'Bad Name: x', 'Bad\u00e9: x', 'Semi;colon: x', '(x): y']) {
    fails(`OPTIONS sip:x@y SIP/2.0\r\n${line}\r\n\r\n`, 'Bad Request (malformed header line)');
  }
  fails('OPTIONS sip:x@y SIP/2.0\r\n folded-first: x\r\n\r\n', 'Bad Request (malformed header line)');
});

test('limits: message size (513) and header count', () => {
  const big = wire(['MESSAGE sip:x@y SIP/2.0', 'Content-Type: text/plain'], 'x'.repeat(70000));
  fails(big, 'Message Too Large (message too large)', 513);
  assert.equal(parseMessage(big, { maxBytes: 100000 }).body.length, 70000);
  assert.throws(() => parseMessage(wire(['MESSAGE sip:x@y SIP/2.0'], 'x'.repeat(200)), { maxBytes: 100 }), {
    status: 513,
  });
  const many = ['OPTIONS sip:x@y SIP/2.0', ...Array.from({ length: 127 }, (_, i) => `X-H${i}: ${i}`)];
  assert.equal(parse(many).headers.size, 128); // 127 + Content-Length
  fails(wire([...many, 'X-One-More: 1']), 'Bad Request (too many headers)');
  assert.throws(() => parseMessage(wire(many), { maxHeaders: 10 }), /too many headers/);
  // Folded lines count once.
  const folded = ['OPTIONS sip:x@y SIP/2.0', 'Accept: a,', ...Array.from({ length: 200 }, () => ' b,'), ' c'];
  assert.equal(parse(folded).headers.values('accept').length, 202);
});

test('the body of a datagram is a view of the buffer (no copy)', () => {
  const buf = wire(INVITE, SDP);
  const m = parseMessage(buf);
  assert.equal(m.body.buffer, buf.buffer);
});

// ---- StreamFramer ----

const A = wire(INVITE, SDP);
const B = wire(['BYE sip:alice@pc33.atlanta.com SIP/2.0', 'Via: SIP/2.0/TCP b;branch=z9hG4bK9', 'CSeq: 2 BYE']);
const C = wire(['SIP/2.0 200 OK', 'Via: SIP/2.0/TCP c;branch=z9hG4bK8', 'Content-Type: text/plain'], 'ok ✓');

function describe(m: SipMessage): string {
  const start = m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
  return `${start}|${m.headers.entries().join(';')}|${m.body.toString('hex')}`;
}

const EXPECTED = [A, B, C].map((b) => describe(parseMessage(b)));

test('StreamFramer: several messages in one chunk', () => {
  const f = new StreamFramer();
  const out = f.push(Buffer.concat([A, B, C]));
  assert.equal(out.error, undefined);
  assert.deepEqual(out.messages.map(describe), EXPECTED);
  assert.equal(f.buffered, 0);
});

test('StreamFramer: split at every byte boundary', () => {
  const all = Buffer.concat([A, B, C]);
  for (let i = 0; i <= all.length; i++) {
    const f = new StreamFramer();
    const first = f.push(all.subarray(0, i));
    const second = f.push(all.subarray(i));
    assert.equal(first.error ?? second.error, undefined, `split at ${i}`);
    assert.deepEqual([...first.messages, ...second.messages].map(describe), EXPECTED, `split at ${i}`);
    assert.equal(f.buffered, 0);
  }
});

test('StreamFramer: one byte at a time, and random chunk sizes', () => {
  const all = Buffer.concat([A, B, C, A]);
  const f = new StreamFramer();
  const got: SipMessage[] = [];
  for (let i = 0; i < all.length; i++) got.push(...f.push(all.subarray(i, i + 1)).messages);
  assert.deepEqual(got.map(describe), [...EXPECTED, EXPECTED[0]]);

  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let round = 0; round < 50; round++) {
    const g = new StreamFramer();
    const msgs: SipMessage[] = [];
    for (let i = 0; i < all.length;) {
      const n = 1 + Math.floor(rnd() * 300);
      msgs.push(...g.push(all.subarray(i, i + n)).messages);
      i += n;
    }
    assert.equal(msgs.length, 4);
  }
});

test('StreamFramer: CRLF keep-alives are skipped and counted (RFC 5626)', () => {
  const f = new StreamFramer();
  assert.deepEqual(f.push(Buffer.from('\r\n\r\n')), { messages: [], keepAlives: 1 });
  assert.deepEqual(f.push(Buffer.from('\r\n')), { messages: [] });
  assert.deepEqual(f.push(Buffer.from('\r\n')), { messages: [], keepAlives: 1 });
  const out = f.push(
    Buffer.concat([Buffer.from('\r\n\r\n'), A, Buffer.from('\r\n\r\n\r\n\r\n'), B, Buffer.from('\r\n')]),
  );
  assert.equal(out.keepAlives, 3);
  assert.deepEqual(out.messages.map(describe), EXPECTED.slice(0, 2));
  assert.equal(f.buffered, 0);
});

test('StreamFramer: Content-Length is mandatory on streams; errors are final', () => {
  const f = new StreamFramer();
  const out = f.push(Buffer.concat([B, wire(['OPTIONS sip:x@y SIP/2.0'], '', false), C]));
  assert.deepEqual(out.messages.map(describe), [EXPECTED[1]]);
  assert.ok(out.error instanceof SipParseError);
  assert.equal(out.error.message, 'Bad Request (missing Content-Length)');
  assert.deepEqual(f.push(C), { messages: [], error: out.error });
  assert.equal(f.buffered, 0);
});

test('StreamFramer: malformed messages and limits', () => {
  assert.equal(
    new StreamFramer().push(Buffer.from('GARBAGE\r\n\r\n')).error?.message,
    'Bad Request (malformed Request-Line)',
  );
  // A header block that never ends is cut off at maxBytes.
  const f = new StreamFramer({ maxBytes: 1000 });
  let out = f.push(Buffer.from('OPTIONS sip:x@y SIP/2.0\r\n'));
  for (let i = 0; i < 100 && !out.error; i++) out = f.push(Buffer.from('X-Filler: 0123456789\r\n'));
  assert.equal(out.error?.status, 513);
  assert.equal(f.buffered, 0);
  // A Content-Length beyond maxBytes fails at once, before the body arrives.
  const g = new StreamFramer({ maxBytes: 1000 });
  const head = Buffer.from('MESSAGE sip:x@y SIP/2.0\r\nContent-Length: 5000\r\n\r\n');
  assert.equal(g.push(head).error?.message, 'Message Too Large (message too large)');
  // Too many headers.
  const h = new StreamFramer({ maxHeaders: 3 });
  assert.equal(
    h.push(wire(['OPTIONS sip:x@y SIP/2.0', 'A: 1', 'B: 2', 'C: 3'])).error?.message,
    'Bad Request (too many headers)',
  );
});

test('StreamFramer: the buffer stays bounded while waiting for a body', () => {
  const f = new StreamFramer({ maxBytes: 70000 });
  const head = Buffer.from('MESSAGE sip:x@y SIP/2.0\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n\r\n');
  assert.deepEqual(f.push(head), { messages: [] });
  let total = 0;
  const chunk = Buffer.alloc(1000, 0x61);
  let out = { messages: [] as SipMessage[] };
  while (total < 60000) {
    out = f.push(chunk);
    total += chunk.length;
    assert.ok(f.buffered <= 70000);
  }
  assert.equal(out.messages.length, 1);
  assert.equal(out.messages[0].body.length, 60000);
  assert.equal(f.buffered, 0);
});

test('StreamFramer: bodies are copies, independent of the chunks pushed', () => {
  const f = new StreamFramer();
  const chunk = Buffer.from(C);
  const [m] = f.push(chunk).messages;
  chunk.fill(0);
  assert.equal(m.body.toString(), 'ok ✓');
});
