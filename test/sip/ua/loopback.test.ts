// Two SipStacks calling each other over real UDP on 127.0.0.1: a call with early media, hold by re-INVITE, DTMF
// by INFO both ways, BYE from either side, CANCEL, and RFC 4028 session refreshes in both directions on a shared
// FakeClock.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncomingCall } from '../../../src/sip/incoming-call.js';
import type { OutgoingCall } from '../../../src/sip/outgoing-call.js';
import { answerOffer, createOffer, holdOffer, readAnswer, type LocalMedia } from '../../../src/sip/sdp.js';
import type { SipStack } from '../../../src/sip/stack.js';
import { FakeClock } from '../../../src/sip/timers.js';
import { MEDIA_A, MEDIA_B, answerFor, ended, once, sleep, startStack, within } from './helpers.js';

async function pair(
  opts: Parameters<typeof startStack>[0] = { timers: { T1: 20 } },
): Promise<{ a: SipStack; b: SipStack; bPort: number; close: () => Promise<void> }> {
  const { stack: a } = await startStack(opts);
  const { stack: b, port: bPort } = await startStack(opts);
  return {
    a,
    b,
    bPort,
    close: async () => {
      for (const s of [a, b]) {
        await Promise.race([s.stop(), sleep(500)]);
        s.transactions.close();
        await s.transport.stop();
      }
    },
  };
}

function dial(a: SipStack, bPort: number, headers: [string, string][] = []): OutgoingCall {
  return a.invite({ uri: `sip:bob@127.0.0.1:${bPort}`, from: { user: 'alice' }, sdp: createOffer(MEDIA_A), headers });
}

const incoming = (b: SipStack): Promise<IncomingCall> => once<[IncomingCall]>(b, 'invite').then(([c]) => c);

test('a call between two stacks: early media, answer, hold and resume, DTMF both ways, BYE', async () => {
  const { a, b, bPort, close } = await pair();
  try {
    const arriving = incoming(b);
    const out = dial(a, bPort);
    const progress = once<[number, string | undefined]>(out, 'progress');
    const inc = await arriving;
    const answer = answerFor(inc.offer!, MEDIA_B);
    inc.progress(183, { sdp: answer });
    const [status, early] = await progress;
    assert.equal(status, 183);
    assert.equal(early, answer);
    assert.ok(readAnswer(early!, MEDIA_A).ok);

    const acked = inc.accept({ sdp: answer });
    const result = await within(out.result, 2000, 'the answer');
    assert.ok(result.ok);
    await within(acked, 2000, 'the ACK');
    assert.equal(out.state, 'confirmed');
    assert.equal(inc.state, 'confirmed');
    assert.equal(out.dialog!.remoteTag, inc.dialog!.localTag);
    assert.equal(out.dialog!.localTag, inc.dialog!.remoteTag);

    // Hold from A: B's offer listener answers with sdp.ts.
    const directions: string[] = [];
    inc.on('offer', (offer) => {
      const res = answerOffer(offer.sdp!, MEDIA_B);
      if (!res.ok) return offer.reject(res.status);
      directions.push(res.media.direction);
      offer.answer(res.answer);
    });
    let local: LocalMedia = { ...MEDIA_A, sessionVersion: 1 };
    const hold = holdOffer(local, true);
    local = hold.local;
    const held = await within(out.reinvite(hold.offer), 2000, 'hold');
    assert.match(held!, /a=recvonly/);
    const resume = holdOffer(local, false);
    const resumed = await within(out.reinvite(resume.offer), 2000, 'resume');
    assert.match(resumed!, /a=sendrecv/);
    assert.deepEqual(directions, ['recvonly', 'sendrecv']);
    assert.equal(inc.remoteSdp, resume.offer);

    // DTMF by INFO both ways.
    const atB = once<[string, number]>(inc, 'dtmf');
    assert.equal(await within(out.sendDtmfInfo('5'), 2000, 'INFO'), 200);
    assert.deepEqual(await atB, ['5', 160]);
    const atA = once<[string, number]>(out, 'dtmf');
    assert.equal(await within(inc.sendDtmfInfo('#', 200), 2000, 'INFO'), 200);
    assert.deepEqual(await atA, ['#', 200]);

    const bEnded = ended(inc);
    await within(out.hangup(), 2000, 'BYE');
    assert.equal(await bEnded, 'remote-bye');
    assert.equal(out.endReason, 'local-bye');
    assert.equal(a.sessionCount, 0);
    assert.equal(b.sessionCount, 0);
  } finally {
    await close();
  }
});

test('the callee hangs up: BYE from B ends A as remote-bye', async () => {
  const { a, b, bPort, close } = await pair();
  try {
    b.on('invite', (inc) => void inc.accept({ sdp: answerFor(inc.offer!, MEDIA_B) }).then(() => inc.bye()));
    const out = dial(a, bPort);
    const aEnded = ended(out);
    assert.ok((await within(out.result, 2000, 'the answer')).ok);
    assert.equal(await aEnded, 'remote-bye');
  } finally {
    await close();
  }
});

test('CANCEL between two stacks: B ends as cancel, A gets 487', async () => {
  const { a, b, bPort, close } = await pair();
  try {
    const arriving = incoming(b);
    const out = dial(a, bPort);
    const inc = await arriving;
    const bEnded = ended(inc);
    inc.progress(180);
    await once(out, 'progress');
    void out.hangup();
    const result = await within(out.result, 2000, 'the result');
    assert.equal(result.ok ? 0 : result.status, 487);
    assert.equal(await bEnded, 'cancel');
    assert.equal(out.endReason, 'cancel');
  } finally {
    await close();
  }
});

for (const refresher of ['uac', 'uas'] as const) {
  test(`session timer refresher=${refresher}: refreshes keep the call up for minutes of fake time`, async () => {
    const clock = new FakeClock();
    const { a, b, bPort, close } = await pair({ clock });
    try {
      const arriving = incoming(b);
      const out = dial(a, bPort, [['Session-Expires', `90;refresher=${refresher}`]]);
      const inc = await arriving;
      const acked = inc.accept({ sdp: answerFor(inc.offer!, MEDIA_B) });
      const result = await within(out.result, 2000, 'the answer');
      assert.ok(result.ok);
      assert.equal(result.response.headers.get('session-expires'), `90;refresher=${refresher}`);
      await within(acked, 2000, 'the ACK');
      const refreshed: string[] = [];
      out.on('offer', () => refreshed.push('A'));
      inc.on('offer', (offer) => {
        refreshed.push('B');
        offer.answer(answerFor(offer.sdp!, MEDIA_B));
      });
      out.on('offer', (offer) => offer.answer(answerFor(offer.sdp!, MEDIA_A)));
      for (let t = 0; t < 300_000; t += 5_000) {
        clock.advance(5_000);
        await sleep(15);
      }
      assert.equal(out.state, 'confirmed');
      assert.equal(inc.state, 'confirmed');
      // Every 45 s by the refresher only: the UAC (A) refreshes B for uac, B refreshes A for uas.
      assert.ok(refreshed.length >= 6, `refreshes: ${refreshed.join(',')}`);
      assert.ok(refreshed.every((who) => who === (refresher === 'uac' ? 'B' : 'A')));
    } finally {
      await close();
    }
  });
}
