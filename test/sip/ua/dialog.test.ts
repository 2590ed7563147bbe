// Dialog unit tests (RFC 3261 §12): dialog state from an INVITE (UAS) and from its 2xx (UAC), route sets from
// Record-Route (reversed at the UAC), request construction with loose and strict routing, CSeq ordering and remote
// target refresh.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dialog, dialogId } from '../../../src/sip/dialog.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { parseMessage } from '../../../src/sip/parser.js';
import { createResponse } from '../../../src/sip/serialize.js';

const FLOW = { protocol: 'udp' as const, address: '192.0.2.1', port: 5060 };
const OUR_CONTACT = '<sip:pivot@192.0.2.10:5060>';

function parse<T>(lines: string[]): T {
  return parseMessage(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n'))) as T;
}

function invite(extra: string[] = [], seq = 7): SipRequest {
  return parse<SipRequest>([
    'INVITE sip:bob@192.0.2.10 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKaaa',
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=alice1',
    'To: <sip:bob@example.com>',
    'Call-ID: call-1@example.com',
    `CSeq: ${seq} INVITE`,
    'Contact: <sip:alice@192.0.2.1:5060>',
    ...extra,
  ]);
}

function inDialog(method: string, seq: number, extra: string[] = []): SipRequest {
  return parse<SipRequest>([
    `${method} sip:pivot@192.0.2.10 SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbbb' + seq,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=alice1',
    'To: <sip:bob@example.com>;tag=ours',
    'Call-ID: call-1@example.com',
    `CSeq: ${seq} ${method}`,
    ...extra,
  ]);
}

test('UAS dialog: Record-Route in order, Contact as remote target, our tag in To, remote CSeq from the INVITE', () => {
  const req = invite(['Record-Route: <sip:p2.example.com;lr>;x=1', 'Record-Route: <sip:p1.example.com;lr>']);
  const d = Dialog.asUas(req, 'ours', OUR_CONTACT, FLOW);
  assert.equal(d.id, dialogId('call-1@example.com', 'ours', 'alice1'));
  assert.deepEqual(d.routeSet, ['<sip:p2.example.com;lr>;x=1', '<sip:p1.example.com;lr>']);
  assert.equal(d.remoteTarget, 'sip:alice@192.0.2.1:5060');
  assert.equal(d.local, '<sip:bob@example.com>;tag=ours');
  assert.equal(d.remote, '"Alice" <sip:alice@example.com>;tag=alice1');
  assert.equal(d.remoteSeq, 7);
  assert.equal(d.state, 'early');
  assert.deepEqual(d.flow, FLOW);

  // A BYE from the UAS: From/To swapped, loose routing, CSeq from our own space.
  const seq = d.localSeq;
  const bye = d.request('BYE');
  assert.equal(bye.uri, 'sip:alice@192.0.2.1:5060');
  assert.deepEqual(bye.headers.values('route'), ['<sip:p2.example.com;lr>;x=1', '<sip:p1.example.com;lr>']);
  assert.equal(bye.headers.get('from'), '<sip:bob@example.com>;tag=ours');
  assert.equal(bye.headers.get('to'), '"Alice" <sip:alice@example.com>;tag=alice1');
  assert.equal(bye.headers.get('call-id'), 'call-1@example.com');
  assert.equal(bye.headers.get('cseq'), `${seq + 1} BYE`);
  assert.equal(bye.headers.get('contact'), undefined, 'BYE carries no Contact');
  assert.equal(d.localSeq, seq + 1);
});

test('UAS dialog: a comma-separated Record-Route keeps its order', () => {
  const d = Dialog.asUas(
    invite(['Record-Route: <sip:p2.example.com;lr>, <sip:p1.example.com;lr>']),
    'ours',
    OUR_CONTACT,
    FLOW,
  );
  assert.deepEqual(d.routeSet, ['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
});

test('UAC dialog: Record-Route of the 2xx reversed, its Contact as remote target, CSeq from the INVITE', () => {
  const req = invite();
  req.headers.set('contact', OUR_CONTACT);
  const res: SipResponse = createResponse(req, 200, undefined, {
    toTag: 'bob1',
    headers: [
      ['Record-Route', '<sip:p2.example.com;lr>'],
      ['Record-Route', '<sip:p1.example.com;lr>'],
      ['Contact', '<sip:bob@192.0.2.20:5070>'],
    ],
  });
  const d = Dialog.asUac(req, res);
  assert.equal(d.id, dialogId('call-1@example.com', 'alice1', 'bob1'));
  assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(d.remoteTarget, 'sip:bob@192.0.2.20:5070');
  assert.equal(d.remote, '<sip:bob@example.com>;tag=bob1');
  assert.equal(d.local, '"Alice" <sip:alice@example.com>;tag=alice1');
  assert.equal(d.localSeq, 7);
  assert.equal(d.remoteSeq, undefined);
  assert.equal(d.state, 'confirmed');

  const ack = d.request('ACK', { seq: 7 });
  assert.equal(ack.headers.get('cseq'), '7 ACK');
  assert.equal(ack.uri, 'sip:bob@192.0.2.20:5070');
  assert.deepEqual(ack.headers.values('route'), ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  assert.equal(d.localSeq, 7, 'ACK reuses the INVITE CSeq');
  const reinvite = d.request('INVITE', { body: 'v=0\r\n', contentType: 'application/sdp' });
  assert.equal(reinvite.headers.get('cseq'), '8 INVITE');
  assert.equal(reinvite.headers.get('contact'), OUR_CONTACT);
  assert.equal(reinvite.headers.get('content-type'), 'application/sdp');
});

test('UAC dialog: a provisional response makes an early dialog; no Contact falls back to the Request-URI', () => {
  const req = invite();
  const res = createResponse(req, 180, undefined, { toTag: 'bob1' });
  const d = Dialog.asUac(req, res);
  assert.equal(d.state, 'early');
  assert.equal(d.remoteTarget, 'sip:bob@192.0.2.10');
  assert.deepEqual(d.routeSet, []);
});

test('strict routing: the first route becomes the Request-URI, the remote target goes last in Route', () => {
  const d = Dialog.asUas(
    invite(['Record-Route: <sip:strict.example.com>', 'Record-Route: <sip:p1.example.com;lr>']),
    'ours',
    OUR_CONTACT,
    FLOW,
  );
  const bye = d.request('BYE');
  assert.equal(bye.uri, 'sip:strict.example.com');
  assert.deepEqual(bye.headers.values('route'), ['<sip:p1.example.com;lr>', '<sip:alice@192.0.2.1:5060>']);
  assert.deepEqual(d.routeSet, ['<sip:strict.example.com>', '<sip:p1.example.com;lr>'], 'route set untouched');
});

test('loose routing: the Request-URI is the remote target and every route is a Route header', () => {
  const d = Dialog.asUas(invite(['Record-Route: <sip:p1.example.com;lr>']), 'ours', OUR_CONTACT, FLOW);
  const info = d.request('INFO', { body: 'Signal=1\r\n', contentType: 'application/dtmf-relay' });
  assert.equal(info.uri, 'sip:alice@192.0.2.1:5060');
  assert.deepEqual(info.headers.values('route'), ['<sip:p1.example.com;lr>']);
  assert.equal(info.headers.get('content-type'), 'application/dtmf-relay');
  assert.equal(info.body.toString(), 'Signal=1\r\n');
});

test('CSeq: a lower number is out of order (500); equal or higher goes; ACK and CANCEL are not counted', () => {
  const d = Dialog.asUas(invite([], 7), 'ours', OUR_CONTACT, FLOW);
  assert.equal(d.receive(inDialog('ACK', 7)), undefined);
  assert.equal(d.receive(inDialog('INFO', 8)), undefined);
  assert.equal(d.remoteSeq, 8);
  const refused = d.receive(inDialog('INFO', 5));
  assert.equal(refused?.status, 500);
  assert.match(refused!.reason, /CSeq/);
  assert.equal(d.remoteSeq, 8, 'an out-of-order request does not move the counter');
  assert.equal(d.receive(inDialog('CANCEL', 1)), undefined);
  assert.equal(d.remoteSeq, 8);
  assert.equal(d.receive(inDialog('BYE', 20)), undefined);
  assert.equal(d.remoteSeq, 20);
});

test('CSeq: a UAC dialog takes any first number from the peer', () => {
  const req = invite();
  const d = Dialog.asUac(req, createResponse(req, 200, undefined, { toTag: 'bob1' }));
  assert.equal(d.receive(inDialog('BYE', 1)), undefined);
  assert.equal(d.remoteSeq, 1);
});

test('remote target refresh: re-INVITE and UPDATE change it, INFO does not, nor a request without Contact', () => {
  const d = Dialog.asUas(invite(), 'ours', OUR_CONTACT, FLOW);
  d.receive(inDialog('INVITE', 8, ['Contact: <sip:alice@198.51.100.7:5080>']));
  assert.equal(d.remoteTarget, 'sip:alice@198.51.100.7:5080');
  d.receive(inDialog('UPDATE', 9, ['Contact: "A" <sip:alice@198.51.100.8>;expires=60']));
  assert.equal(d.remoteTarget, 'sip:alice@198.51.100.8');
  d.receive(inDialog('INFO', 10, ['Contact: <sip:elsewhere@203.0.113.1>']));
  assert.equal(d.remoteTarget, 'sip:alice@198.51.100.8');
  d.receive(inDialog('INVITE', 11));
  assert.equal(d.remoteTarget, 'sip:alice@198.51.100.8');
  assert.equal(d.request('BYE').uri, 'sip:alice@198.51.100.8');

  // A 2xx to our own re-INVITE refreshes it too.
  const ours = d.request('INVITE');
  d.refreshFrom(createResponse(ours, 200, undefined, { headers: [['Contact', '<sip:alice@203.0.113.9:5999>']] }));
  assert.equal(d.remoteTarget, 'sip:alice@203.0.113.9:5999');
});
