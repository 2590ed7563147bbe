// The UAC core over real UDP on loopback against a raw peer playing the UAS (and proxies, redirect servers and
// forking proxies): early media, digest challenges, redirects, forked 2xx, CANCEL, BYE, re-INVITE and INFO.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { computeDigest, normalizeAlgorithm, parseAuthHeader } from '../../../src/sip/digest.js';
import { cseq, tagOf, to, topVia } from '../../../src/sip/headers.js';
import type { SipMessage, SipRequest } from '../../../src/sip/message.js';
import type { OutgoingCall, OutgoingOptions } from '../../../src/sip/outgoing-call.js';
import { createOffer, holdOffer, isHoldOffer } from '../../../src/sip/sdp.js';
import type { SipStack } from '../../../src/sip/stack.js';
import { MEDIA_A, RawPeer, answerFor, ended, once, sleep, startStack, within } from './helpers.js';

let stack: SipStack;
let peer: RawPeer;

beforeEach(async () => {
  ({ stack } = await startStack({ timers: { T1: 20 } }));
  peer = await RawPeer.open();
});

afterEach(async () => {
  await peer.close();
  await within(stack.stop(), 3000, 'stack.stop');
});

function call(opts: Partial<OutgoingOptions> = {}): OutgoingCall {
  return stack.invite({
    uri: `sip:bob@${peer.hostport}`,
    from: { user: 'pivot', displayName: 'Pivot' },
    sdp: createOffer(MEDIA_A),
    ...opts,
  });
}

const contact = (p: RawPeer = peer, user = 'bob'): [string, string] => ['Contact', `<sip:${user}@${p.hostport}>`];

/** 200 OK with our answer, as a UAS would send it. */
function answer(invite: SipRequest, toTag = 'uas1', p: RawPeer = peer, extra: [string, string][] = []): void {
  p.reply(invite, 200, {
    toTag,
    headers: [contact(p), ...extra],
    body: answerFor(invite.body.toString()),
    contentType: 'application/sdp',
  });
}

const isAck =
  (tag?: string) =>
  (m: SipMessage): boolean =>
    m.kind === 'request' && m.method === 'ACK' && (tag === undefined || tagOf(to(m)) === tag);

async function answered(opts: Partial<OutgoingOptions> = {}): Promise<{ out: OutgoingCall; invite: SipRequest }> {
  const out = call(opts);
  const invite = await peer.request('INVITE');
  answer(invite);
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok, true);
  await peer.next(isAck('uas1'), 2000, 'the ACK');
  return { out, invite };
}

test('INVITE: headers, 180 and 183 as `progress` with early SDP, 200 → ACK, confirmed', async () => {
  const out = call();
  const progress: [number, string | undefined][] = [];
  out.on('progress', (status, sdp) => progress.push([status, sdp]));
  const confirmed = once(out, 'confirmed');
  const invite = await peer.request('INVITE');
  assert.equal(invite.uri, `sip:bob@${peer.hostport}`);
  assert.match(invite.headers.get('from')!, /^"Pivot" <sip:pivot@127\.0\.0\.1>;tag=\w+$/);
  assert.equal(invite.headers.get('to'), `<sip:bob@${peer.hostport}>`);
  assert.match(invite.headers.get('contact')!, /^<sip:pivot@127\.0\.0\.1:\d+>$/);
  assert.equal(invite.headers.get('supported'), 'timer');
  assert.equal(invite.headers.get('content-type'), 'application/sdp');
  assert.match(topVia(invite).branch!, /^z9hG4bK/);

  peer.reply(invite, 100);
  peer.reply(invite, 180, { toTag: 'uas1', headers: [contact()] });
  const early = answerFor(invite.body.toString());
  peer.reply(invite, 183, { toTag: 'uas1', headers: [contact()], body: early, contentType: 'application/sdp' });
  await within(
    (async () => {
      while (progress.length < 2) await sleep(5);
    })(),
    2000,
    'two progress events',
  );
  assert.deepEqual(progress, [
    [180, undefined],
    [183, early],
  ]);
  assert.equal(out.state, 'early');
  assert.equal(out.remoteSdp, early);

  answer(invite);
  const result = await within(out.result, 2000, 'the result');
  assert.ok(result.ok);
  await confirmed;
  const ack = await peer.next<SipRequest>(isAck('uas1'), 2000, 'the ACK');
  assert.equal(ack.uri, `sip:bob@${peer.hostport}`, 'ACK to the Contact of the 2xx');
  assert.equal(cseq(ack).seq, cseq(invite).seq);
  assert.notEqual(topVia(ack).branch, topVia(invite).branch, 'the ACK for a 2xx is a new transaction');
  assert.equal(out.state, 'confirmed');
  assert.equal(out.dialog?.remoteTag, 'uas1');
  assert.equal(stack.sessionCount, 1);
});

test('a final failure (486) settles the result and ends the call as failed', async () => {
  const out = call();
  const end = ended(out);
  const invite = await peer.request('INVITE');
  peer.reply(invite, 486, { toTag: 'busy' });
  const result = await within(out.result, 2000, 'the result');
  assert.deepEqual(result.ok ? undefined : [result.status, result.reason], [486, 'Busy Here']);
  assert.equal(await end, 'failed');
  const ack = await peer.request('ACK');
  assert.equal(topVia(ack).branch, topVia(invite).branch, 'the ACK for a non-2xx is hop-by-hop');
});

function digestOk(req: SipRequest, header: string, password: string): boolean {
  const auth = parseAuthHeader(req.headers.get(header) ?? '');
  if (!auth) return false;
  const p = auth.params;
  return (
    p.response ===
    computeDigest({
      algorithm: normalizeAlgorithm(p.algorithm)!,
      username: p.username,
      realm: p.realm,
      password,
      method: req.method,
      uri: p.uri,
      nonce: p.nonce,
      qop: p.qop,
      nc: p.nc,
      cnonce: p.cnonce,
    })
  );
}

for (const [status, challengeHeader, credentials] of [
  [401, 'WWW-Authenticate', 'authorization'],
  [407, 'Proxy-Authenticate', 'proxy-authorization'],
] as const) {
  test(`${status}: answered once with ${credentials}, new CSeq, same Call-ID and From tag`, async () => {
    const out = call({ auth: { username: 'trunk', password: 's3cret' } });
    const first = await peer.request('INVITE');
    peer.reply(first, status, {
      toTag: 'auth',
      headers: [[challengeHeader, 'Digest realm="carrier", nonce="n1", qop="auth", algorithm=MD5']],
    });
    const second = await peer.request('INVITE');
    assert.equal(cseq(second).seq, cseq(first).seq + 1);
    assert.equal(second.headers.get('call-id'), first.headers.get('call-id'));
    assert.equal(tagOf(parseTo(second, 'from')), tagOf(parseTo(first, 'from')));
    assert.ok(digestOk(second, credentials, 's3cret'), 'valid digest');
    assert.match(second.headers.get(credentials)!, /username="trunk".*realm="carrier".*qop=auth/);
    answer(second);
    assert.equal((await within(out.result, 2000, 'the result')).ok, true);
  });
}

function parseTo(req: SipRequest, which: 'from' | 'to'): ReturnType<typeof to> {
  const copy = { ...req, headers: req.headers.clone() };
  if (which === 'from') copy.headers.set('to', req.headers.get('from')!);
  return to(copy);
}

test('a second challenge for the same request fails cleanly: no third INVITE, result 401', async () => {
  const out = call({ auth: { username: 'trunk', password: 'wrong' } });
  const end = ended(out);
  for (let i = 0; i < 2; i++) {
    const inv = await peer.request('INVITE');
    peer.reply(inv, 401, {
      toTag: `auth${i}`,
      headers: [['WWW-Authenticate', `Digest realm="carrier", nonce="n${i}", qop="auth"`]],
    });
  }
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.status, 401);
  assert.equal(await end, 'failed');
  await sleep(100);
  assert.equal(peer.all((m) => m.kind === 'request' && m.method === 'INVITE').length, 2);
});

test('a proxy challenge then a UAS challenge: both answered, the second INVITE keeps Proxy-Authorization', async () => {
  const out = call({ auth: { username: 'trunk', password: 's3cret' } });
  const first = await peer.request('INVITE');
  peer.reply(first, 407, { toTag: 'p', headers: [['Proxy-Authenticate', 'Digest realm="proxy", nonce="p1"']] });
  const second = await peer.request('INVITE');
  assert.ok(digestOk(second, 'proxy-authorization', 's3cret'));
  peer.reply(second, 401, {
    toTag: 'u',
    headers: [['WWW-Authenticate', 'Digest realm="uas", nonce="u1", algorithm=SHA-256, qop="auth"']],
  });
  const third = await peer.request('INVITE');
  assert.ok(digestOk(third, 'authorization', 's3cret'));
  assert.match(third.headers.get('authorization')!, /algorithm=SHA-256/);
  assert.ok(digestOk(third, 'proxy-authorization', 's3cret'), 'proxy credentials still there');
  answer(third);
  assert.equal((await within(out.result, 2000, 'the result')).ok, true);
});

test('a challenge without credentials configured fails with its status', async () => {
  const out = call();
  const inv = await peer.request('INVITE');
  peer.reply(inv, 407, { toTag: 'p', headers: [['Proxy-Authenticate', 'Digest realm="proxy", nonce="p1"']] });
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok ? 0 : result.status, 407);
});

test('302: the INVITE follows the Contact of the redirect', async () => {
  const target = await RawPeer.open();
  try {
    const out = call();
    const first = await peer.request('INVITE');
    peer.reply(first, 302, { toTag: 'r', headers: [contact(target, 'carol')] });
    await peer.request('ACK'); // for the 302
    const second = await target.request('INVITE');
    assert.equal(second.uri, `sip:carol@${target.hostport}`);
    assert.equal(second.headers.get('call-id'), first.headers.get('call-id'));
    assert.ok(cseq(second).seq > cseq(first).seq);
    answer(second, 'carol1', target);
    const result = await within(out.result, 2000, 'the result');
    assert.ok(result.ok);
    assert.equal(out.target, `sip:carol@${target.hostport}`);
    await target.next(isAck('carol1'), 2000, 'the ACK');
  } finally {
    await target.close();
  }
});

test('redirect loop: after maxRedirects the 3xx is the result', async () => {
  const out = call({ maxRedirects: 2 });
  for (let i = 0; i < 3; i++) {
    const inv = await peer.request('INVITE');
    peer.reply(inv, 302, { toTag: `r${i}`, headers: [contact(peer, `hop${i}`)] });
  }
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok ? 0 : result.status, 302);
});

test('forking: the first 2xx wins; a 2xx with another To tag is ACKed and then BYEd', async () => {
  const out = call();
  const invite = await peer.request('INVITE');
  answer(invite, 'fork-a');
  answer(invite, 'fork-b');
  const result = await within(out.result, 2000, 'the result');
  assert.ok(result.ok);
  assert.equal(tagOf(to(result.response)), 'fork-a');
  await peer.next(isAck('fork-a'), 2000, 'ACK for fork A');
  await peer.next(isAck('fork-b'), 2000, 'ACK for fork B');
  const bye = await peer.request('BYE');
  assert.equal(tagOf(to(bye)), 'fork-b');
  assert.equal(bye.headers.get('call-id'), invite.headers.get('call-id'));
  peer.reply(bye, 200);
  assert.equal(out.dialog?.remoteTag, 'fork-a');
  assert.equal(out.state, 'confirmed');
  // A retransmission of the winning 2xx is ACKed again, and nothing is hung up.
  answer(invite, 'fork-a');
  await peer.next(isAck('fork-a'), 2000, 'a second ACK for fork A');
  await sleep(100);
  assert.equal(peer.all((m) => m.kind === 'request' && m.method === 'BYE').length, 1);
  assert.equal(out.state, 'confirmed');
});

test('a retransmitted 2xx from the losing fork gets its ACK again but no second BYE', async () => {
  const out = call();
  const invite = await peer.request('INVITE');
  answer(invite, 'fork-a');
  await within(out.result, 2000, 'the result');
  answer(invite, 'fork-b');
  peer.reply(await peer.request('BYE'), 200);
  answer(invite, 'fork-b');
  await peer.next(isAck('fork-b'), 2000, 'ACK for fork B');
  await peer.next(isAck('fork-b'), 2000, 'ACK for the retransmission');
  await sleep(100);
  assert.equal(peer.all((m) => m.kind === 'request' && m.method === 'BYE').length, 1);
});

test('CANCEL while ringing: CANCEL on the INVITE branch, 487 → result 487, ended as cancel', async () => {
  const out = call();
  const end = ended(out);
  const invite = await peer.request('INVITE');
  peer.reply(invite, 180, { toTag: 'ring' });
  await once(out, 'progress');
  void out.hangup();
  const cancel = await peer.request('CANCEL');
  assert.equal(topVia(cancel).branch, topVia(invite).branch);
  assert.equal(cancel.uri, invite.uri);
  assert.equal(cseq(cancel).seq, cseq(invite).seq);
  peer.reply(cancel, 200, { toTag: 'ring' });
  peer.reply(invite, 487, { toTag: 'ring' });
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok ? 0 : result.status, 487);
  assert.equal(await end, 'cancel');
  await peer.request('ACK');
});

test('hangup before any provisional: the CANCEL waits for the first 1xx (§9.1)', async () => {
  const out = call();
  const invite = await peer.request('INVITE');
  void out.hangup();
  await sleep(50);
  assert.equal(peer.all((m) => m.kind === 'request' && m.method === 'CANCEL').length, 0);
  peer.reply(invite, 100);
  const cancel = await peer.request('CANCEL');
  peer.reply(cancel, 200);
  peer.reply(invite, 487, { toTag: 'x' });
  assert.equal((await within(out.result, 2000, 'the result')).ok, false);
});

test('hangup right after invite(): no INVITE leaves at all, the result is 487', async () => {
  const out = call();
  void out.hangup();
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok ? 0 : result.status, 487);
  assert.equal(out.endReason, 'cancel');
  await sleep(100);
  assert.equal(peer.all((m) => m.kind === 'request').length, 0);
});

test('answered while cancelling: the 2xx is ACKed and BYEd, the result is 487', async () => {
  const out = call();
  const invite = await peer.request('INVITE');
  peer.reply(invite, 180, { toTag: 'x' });
  await once(out, 'progress');
  void out.hangup();
  const cancel = await peer.request('CANCEL');
  peer.reply(cancel, 200, { toTag: 'x' });
  answer(invite, 'x');
  const result = await within(out.result, 2000, 'the result');
  assert.equal(result.ok ? 0 : result.status, 487);
  await peer.next(isAck('x'), 2000, 'the ACK');
  const bye = await peer.request('BYE');
  peer.reply(bye, 200);
  assert.equal(out.endReason, 'cancel');
});

test('BYE after the answer: Request-URI = the Contact, tags, next CSeq; ended as local-bye', async () => {
  const { out, invite } = await answered();
  const end = ended(out);
  const done = out.hangup();
  const bye = await peer.request('BYE');
  assert.equal(bye.uri, `sip:bob@${peer.hostport}`);
  assert.equal(tagOf(to(bye)), 'uas1');
  assert.equal(bye.headers.get('call-id'), invite.headers.get('call-id'));
  assert.equal(cseq(bye).seq, cseq(invite).seq + 1);
  peer.reply(bye, 200);
  await within(done, 2000, 'hangup()');
  assert.equal(await end, 'local-bye');
  assert.equal(stack.sessionCount, 0);
});

test('BYE from the callee: 200 and remote-bye', async () => {
  const { out, invite } = await answered();
  const end = ended(out);
  const ours = `<sip:pivot@127.0.0.1>`;
  peer.send(
    [
      `BYE ${invite.headers.get('contact')!.slice(1, -1)} SIP/2.0`,
      `Via: SIP/2.0/UDP ${peer.hostport};branch=z9hG4bKbye1`,
      'Max-Forwards: 70',
      `From: <sip:bob@${peer.hostport}>;tag=uas1`,
      `To: ${ours};tag=${tagOf(parseTo(invite, 'from'))}`,
      `Call-ID: ${invite.headers.get('call-id')}`,
      'CSeq: 1 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    stack.ports.udp!,
  );
  await peer.response(200, 'BYE');
  assert.equal(await end, 'remote-bye');
});

test('Record-Route in the 2xx: reversed into the route set; in-dialog requests go through it', async () => {
  const proxy = await RawPeer.open();
  try {
    const out = call();
    const invite = await peer.request('INVITE');
    // As written by two proxies: the one next to the UAS first, the one next to us (the test's proxy) last.
    answer(invite, 'uas1', peer, [
      ['Record-Route', '<sip:192.0.2.1;lr>'],
      ['Record-Route', `<sip:${proxy.hostport};lr>`],
    ]);
    await within(out.result, 2000, 'the result');
    assert.deepEqual(out.dialog?.routeSet, [`<sip:${proxy.hostport};lr>`, '<sip:192.0.2.1;lr>']);
    await proxy.next(isAck('uas1'), 2000, 'the ACK via the proxy');
    void out.hangup();
    const bye = await proxy.request('BYE');
    assert.equal(bye.uri, `sip:bob@${peer.hostport}`);
    assert.deepEqual(bye.headers.values('route'), [`<sip:${proxy.hostport};lr>`, '<sip:192.0.2.1;lr>']);
    proxy.reply(bye, 200);
  } finally {
    await proxy.close();
  }
});

test('reinvite(): hold offer out, answer back, ACK sent, remote target refreshed from the 2xx', async () => {
  const { out, invite } = await answered();
  const { offer } = holdOffer({ ...MEDIA_A, sessionVersion: 1 }, true);
  const pending = out.reinvite(offer);
  const re = await peer.request('INVITE');
  assert.equal(re.body.toString(), offer);
  assert.ok(isHoldOffer(re.body.toString()));
  assert.equal(cseq(re).seq, cseq(invite).seq + 1);
  assert.equal(tagOf(to(re)), 'uas1');
  assert.ok(re.headers.get('contact'));
  const reply = answerFor(re.body.toString());
  assert.match(reply, /a=recvonly/);
  peer.reply(re, 200, {
    headers: [['Contact', `<sip:moved@${peer.hostport}>`]],
    body: reply,
    contentType: 'application/sdp',
  });
  assert.equal(await within(pending, 2000, 'reinvite()'), reply);
  const ack = await peer.next<SipRequest>((m) => isAck()(m) && cseq(m).seq === cseq(re).seq, 2000, 'the ACK');
  assert.equal(ack.uri, `sip:moved@${peer.hostport}`);
  assert.equal(out.localSdp, offer);
  assert.equal(out.remoteSdp, reply);

  // A retransmission of that 2xx (our ACK was lost) is ACKed again.
  peer.reply(re, 200, {
    headers: [['Contact', `<sip:moved@${peer.hostport}>`]],
    body: reply,
    contentType: 'application/sdp',
  });
  await peer.next((m) => isAck()(m) && cseq(m).seq === cseq(re).seq, 2000, 'the ACK again');

  void out.hangup();
  const bye = await peer.request('BYE');
  assert.equal(bye.uri, `sip:moved@${peer.hostport}`);
  peer.reply(bye, 200);
});

test('reinvite() refused: rejects with the status; the call stays up', async () => {
  const { out } = await answered();
  const before = out.localSdp;
  const pending = assert.rejects(out.reinvite(createOffer({ ...MEDIA_A, codecs: ['PCMA'] })), /488/);
  const re = await peer.request('INVITE');
  peer.reply(re, 488);
  await within(pending, 2000, 'reinvite() to reject');
  await peer.request('ACK'); // hop-by-hop, same branch
  assert.equal(out.state, 'confirmed');
  assert.equal(out.localSdp, before);
});

test('sendDtmfInfo: INFO application/dtmf-relay with Signal and Duration; resolves with the status', async () => {
  const { out } = await answered();
  const sent = out.sendDtmfInfo('5');
  const info = await peer.request('INFO');
  assert.equal(info.headers.get('content-type'), 'application/dtmf-relay');
  assert.equal(info.body.toString(), 'Signal=5\r\nDuration=160\r\n');
  peer.reply(info, 200);
  assert.equal(await within(sent, 2000, 'sendDtmfInfo'), 200);
  const hash = out.sendDtmfInfo('#', 250);
  const info2 = await peer.request('INFO');
  assert.equal(info2.body.toString(), 'Signal=#\r\nDuration=250\r\n');
  assert.ok(cseq(info2).seq > cseq(info).seq);
  peer.reply(info2, 481);
  assert.equal(await within(hash, 2000, 'sendDtmfInfo'), 481);
});

test('a losing fork whose Contact cannot be resolved is dropped quietly (no unhandled rejection)', async () => {
  const local = await startStack({
    timers: { T1: 20 },
    resolver: {
      resolve: async (uri) => {
        if (!/^[\d.]+$/.test(uri.host)) throw new Error(`cannot resolve ${uri.host}`);
        return [{ protocol: 'udp', address: uri.host, port: uri.port ?? 5060 }];
      },
    },
  });
  try {
    const out = local.stack.invite({
      uri: `sip:bob@${peer.hostport}`,
      from: { user: 'pivot' },
      sdp: createOffer(MEDIA_A),
    });
    const invite = await peer.request('INVITE');
    answer(invite, 'fork-a');
    peer.reply(invite, 200, {
      toTag: 'fork-b',
      headers: [['Contact', '<sip:b@nowhere.test>']],
      body: answerFor(invite.body.toString()),
      contentType: 'application/sdp',
    });
    assert.ok((await within(out.result, 2000, 'the result')).ok);
    await sleep(100);
    assert.equal(out.state, 'confirmed');
    assert.equal(peer.all(isAck('fork-b')).length, 0);
  } finally {
    await within(local.stack.stop(), 3000, 'stop');
  }
});
