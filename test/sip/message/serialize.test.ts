// serialize, requestLine/statusLine, createResponse (RFC 3261 §8.2.6, §12.1.1).

import assert from 'node:assert/strict';
import test from 'node:test';
import { parseNameAddr, tagOf, to } from '../../../src/sip/headers.js';
import { Headers, type SipRequest, type SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse, requestLine, serialize, statusLine } from '../../../src/sip/serialize.js';
import { checkResponse } from '../../../src/sip/validate.js';

function request(text: string[], body = ''): SipRequest {
  return parseMessage(Buffer.from(text.join('\r\n') + '\r\n\r\n' + body)) as SipRequest;
}

const INVITE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP proxy2.example.com;branch=z9hG4bK2, SIP/2.0/UDP proxy1.example.com;branch=z9hG4bK1',
  'v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
  'Record-Route: <sip:proxy2.example.com;lr>',
  'Record-Route: <sip:proxy1.example.com;lr>, <sip:edge.example.com;lr>',
  'Max-Forwards: 68',
  't: Bob <sip:bob@biloxi.com>',
  'f: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'i: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Timestamp: 54',
  'Contact: <sip:alice@pc33.atlanta.com>',
  'c: application/sdp',
];

test('requestLine and statusLine', () => {
  assert.equal(requestLine({ method: 'INVITE', uri: 'sip:bob@biloxi.com' }), 'INVITE sip:bob@biloxi.com SIP/2.0');
  assert.equal(statusLine({ status: 180 }), 'SIP/2.0 180 Ringing');
  assert.equal(
    statusLine({ status: 400, reason: 'Bad Request (missing Call-ID)' }),
    'SIP/2.0 400 Bad Request (missing Call-ID)',
  );
  assert.equal(statusLine({ status: 299 }), 'SIP/2.0 299 ');
  assert.equal(statusLine({ status: 400, reason: 'evil\r\nX-Injected: 1' }), 'SIP/2.0 400 evil X-Injected: 1');
});

test('serialize: canonical names, Content-Length always equal to the body', () => {
  const m = request(INVITE, 'v=0\n');
  const text = serialize(m).toString();
  assert.equal(
    text,
    [
      'INVITE sip:bob@biloxi.com SIP/2.0',
      'Via: SIP/2.0/UDP proxy2.example.com;branch=z9hG4bK2, SIP/2.0/UDP proxy1.example.com;branch=z9hG4bK1',
      'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
      'Record-Route: <sip:proxy2.example.com;lr>',
      'Record-Route: <sip:proxy1.example.com;lr>, <sip:edge.example.com;lr>',
      'Max-Forwards: 68',
      'To: Bob <sip:bob@biloxi.com>',
      'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
      'Call-ID: a84b4c76e66710@pc33.atlanta.com',
      'CSeq: 314159 INVITE',
      'Timestamp: 54',
      'Contact: <sip:alice@pc33.atlanta.com>',
      'Content-Type: application/sdp',
      'Content-Length: 4',
      '',
      'v=0\n',
    ].join('\r\n'),
  );
  // A changed body gets a matching Content-Length; a missing one is added; duplicates collapse.
  m.body = Buffer.from('v=0\r\ns=-\r\n');
  assert.match(serialize(m).toString(), /\r\nContent-Length: 10\r\n\r\nv=0/);
  m.headers.append('Content-Length', '999');
  assert.equal(
    serialize(m)
      .toString()
      .match(/Content-Length/g)?.length,
    1,
  );
  m.headers.delete('content-length');
  assert.match(serialize(m).toString(), /Content-Type: application\/sdp\r\nContent-Length: 10\r\n\r\n/);
});

test('serialize: binary bodies, UTF-8 headers, no line breaks smuggled in a value', () => {
  const headers = new Headers().append('Subject', 'Grüße').append('X-Evil', 'a\r\nVia: forged');
  const body = Buffer.from([0, 1, 2, 255, 13, 10]);
  const res: SipResponse = { kind: 'response', status: 200, reason: 'OK', version: 'SIP/2.0', headers, body };
  const buf = serialize(res);
  assert.ok(buf.subarray(buf.length - body.length).equals(body));
  const again = parseMessage(buf);
  assert.equal(again.headers.get('subject'), 'Grüße');
  assert.equal(again.headers.get('x-evil'), 'a Via: forged');
  assert.equal(again.headers.has('via'), false);
  assert.ok(again.body.equals(body));
});

test('createResponse copies Via (all, in order), From, To, Call-ID, CSeq; adds the To tag', () => {
  const req = request(INVITE, 'v=0\n');
  const res = createResponse(req, 486, undefined, { toTag: 'a6c85cf' });
  assert.deepEqual([res.status, res.reason, res.version], [486, 'Busy Here', 'SIP/2.0']);
  assert.deepEqual(res.headers.lines('via'), req.headers.lines('via'));
  assert.equal(res.headers.get('from'), 'Alice <sip:alice@atlanta.com>;tag=1928301774');
  assert.equal(res.headers.get('to'), 'Bob <sip:bob@biloxi.com>;tag=a6c85cf');
  assert.equal(tagOf(to(res)), 'a6c85cf');
  assert.equal(res.headers.get('call-id'), 'a84b4c76e66710@pc33.atlanta.com');
  assert.equal(res.headers.get('cseq'), '314159 INVITE');
  assert.equal(res.headers.has('record-route'), false); // not for a failure
  assert.equal(res.headers.has('timestamp'), false);
  assert.equal(res.headers.has('contact'), false);
  assert.equal(res.body.length, 0);
  assert.equal(checkResponse(parseMessage(serialize(res)) as SipResponse), 'more than one Via'); // fine: for the UAC
  assert.deepEqual(serialize(res).toString().split('\r\n').slice(0, 4), [
    'SIP/2.0 486 Busy Here',
    'Via: SIP/2.0/UDP proxy2.example.com;branch=z9hG4bK2, SIP/2.0/UDP proxy1.example.com;branch=z9hG4bK1',
    'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;received=192.0.2.1',
    'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  ]);
});

test('createResponse keeps an existing To tag and leaves a malformed To alone', () => {
  const tagged = request(INVITE.map((l) => (l.startsWith('t:') ? 't: <sip:bob@biloxi.com>;tag=existing' : l)));
  assert.equal(
    createResponse(tagged, 200, 'OK', { toTag: 'new' }).headers.get('to'),
    '<sip:bob@biloxi.com>;tag=existing',
  );
  const broken = request(INVITE.map((l) => (l.startsWith('t:') ? 't: "unterminated <sip:bob@biloxi.com>' : l)));
  assert.equal(
    createResponse(broken, 400, 'Bad Request (malformed To)', { toTag: 'x' }).headers.get('to'),
    '"unterminated <sip:bob@biloxi.com>',
  );
  assert.equal(createResponse(request(INVITE), 180).headers.get('to'), 'Bob <sip:bob@biloxi.com>'); // no tag given
});

test('createResponse: Record-Route in 2xx (and 18x) to INVITE by default, in order (§12.1.1)', () => {
  const req = request(INVITE);
  const rr = ['<sip:proxy2.example.com;lr>', '<sip:proxy1.example.com;lr>, <sip:edge.example.com;lr>'];
  assert.deepEqual(createResponse(req, 200, undefined, { toTag: 't' }).headers.lines('record-route'), rr);
  assert.deepEqual(createResponse(req, 180, undefined, { toTag: 't' }).headers.lines('record-route'), rr);
  assert.deepEqual(createResponse(req, 100).headers.lines('record-route'), []);
  assert.deepEqual(createResponse(req, 603).headers.lines('record-route'), []);
  assert.deepEqual(createResponse(req, 603, undefined, { recordRoute: true }).headers.lines('record-route'), rr);
  assert.deepEqual(createResponse(req, 200, undefined, { recordRoute: false }).headers.lines('record-route'), []);
  const bye = request(INVITE.map((l) => l.replace('INVITE', 'BYE')));
  assert.deepEqual(createResponse(bye, 200).headers.lines('record-route'), []);
  const sub = request(INVITE.map((l) => l.replace('INVITE', 'SUBSCRIBE')));
  assert.deepEqual(createResponse(sub, 202).headers.lines('record-route'), rr);
  // The serialised 200 carries them, in order, after the dialog headers.
  const text = serialize(createResponse(req, 200, undefined, { toTag: 't' })).toString();
  assert.ok(text.indexOf('Record-Route: <sip:proxy2') < text.indexOf('Record-Route: <sip:proxy1'));
  assert.equal(
    parseNameAddr(parseMessage(Buffer.from(text)).headers.values('record-route')[2]).uri.host,
    'edge.example.com',
  );
});

test('createResponse: 100 copies Timestamp; extra headers and a body', () => {
  const req = request(INVITE);
  assert.equal(createResponse(req, 100).headers.get('timestamp'), '54');
  const res = createResponse(req, 200, 'OK', {
    toTag: 'abc',
    headers: [
      ['Contact', '<sip:pivot@192.0.2.10:5060>'],
      ['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS'],
    ],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });
  assert.equal(res.headers.get('contact'), '<sip:pivot@192.0.2.10:5060>');
  assert.equal(res.headers.get('content-type'), 'application/sdp');
  assert.equal(res.body.toString(), 'v=0\r\n');
  const again = parseMessage(serialize(res));
  assert.equal(again.headers.get('content-length'), '5');
  assert.equal(again.body.toString(), 'v=0\r\n');
  assert.equal(createResponse(req, 299).reason, '');
  assert.equal(createResponse(req, 400, 'Bad Request (missing Call-ID)').reason, 'Bad Request (missing Call-ID)');
});
