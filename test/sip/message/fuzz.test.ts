// Fuzzing: random mutations of valid messages (seeded, bounded). The parser, the framer, the validators and every
// accessor must return or throw SipParseError — never anything else, never hang.

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
  parseNameAddr,
  parseParams,
  parseVia,
  recordRoutes,
  routes,
  to,
  topVia,
  vias,
} from '../../../src/sip/headers.js';
import type { SipMessage } from '../../../src/sip/message.js';
import { StreamFramer, parseMessage } from '../../../src/sip/parser.js';
import { createResponse, serialize } from '../../../src/sip/serialize.js';
import { formatUri, parseUri } from '../../../src/sip/uri.js';
import { checkRequest, checkResponse } from '../../../src/sip/validate.js';
import { MESSAGES } from './rfc4475-messages.js';

const CORPUS = MESSAGES.map((m) => m.bytes);

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = Buffer.from('\r\n:;,"<>\\ \t%@[]=?&/0\x00\xff*');

function mutate(src: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(src);
  const ops = 1 + Math.floor(rnd() * 4);
  const pick = (n: number) => Math.floor(rnd() * n);
  for (let k = 0; k < ops; k++) {
    const at = pick(buf.length + 1);
    switch (pick(7)) {
      case 0: // overwrite with a special byte
        if (buf.length) buf[Math.min(at, buf.length - 1)] = SPECIAL[pick(SPECIAL.length)];
        break;
      case 1: // random byte
        if (buf.length) buf[Math.min(at, buf.length - 1)] = pick(256);
        break;
      case 2: // insert special bytes
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from([SPECIAL[pick(SPECIAL.length)]]), buf.subarray(at)]);
        break;
      case 3: // delete a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + pick(20))]);
        break;
      case 4: {
        // duplicate a range
        const len = 1 + pick(60);
        buf = Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
        break;
      }
      case 5: // truncate
        buf = buf.subarray(0, at);
        break;
      default: {
        // swap two lines
        const lines = buf.toString('latin1').split('\r\n');
        const i = pick(lines.length);
        const j = pick(lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        buf = Buffer.from(lines.join('\r\n'), 'latin1');
      }
    }
  }
  return buf;
}

function only(what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SipParseError)) assert.fail(`${what} threw ${String(e)}`);
  }
}

function exercise(m: SipMessage): void {
  only('check', () => (m.kind === 'request' ? checkRequest(m, { supported: ['timer'] }) : checkResponse(m)));
  only('callId', () => callId(m));
  only('cseq', () => cseq(m));
  only('vias', () => vias(m));
  only('topVia', () => topVia(m));
  only('from', () => from(m));
  only('to', () => to(m));
  only('contacts', () => contacts(m));
  only('routes', () => routes(m));
  only('recordRoutes', () => recordRoutes(m));
  only('maxForwards', () => maxForwards(m));
  only('expiresOf', () => expiresOf(m));
  if (m.kind === 'request') {
    only('uri', () => formatUri(parseUri(m.uri)));
    only('createResponse', () => serialize(createResponse(m, 400, 'Bad Request', { toTag: 'x' })));
  }
  for (const [, value] of m.headers.entries()) {
    only('parseNameAddr', () => parseNameAddr(value));
    only('parseVia', () => parseVia(value));
    only('parseParams', () => parseParams(value));
  }
  const again = parseMessage(serialize(m), { maxBytes: 1 << 20, maxHeaders: 1 << 20 });
  assert.equal(again.kind, m.kind);
}

test(
  'random mutations of the RFC 4475 messages: a message or a SipParseError, nothing else',
  { timeout: 60_000 },
  () => {
    const rnd = prng(4475);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 6000; i++) {
      const input = mutate(CORPUS[i % CORPUS.length], rnd);
      let m: SipMessage | undefined;
      try {
        m = parseMessage(input);
        parsed++;
      } catch (e) {
        if (!(e instanceof SipParseError)) assert.fail(`parseMessage threw ${String(e)} on ${input.toString('hex')}`);
        rejected++;
      }
      if (m) exercise(m);
      // The same bytes as a stream, in random chunks.
      const framer = new StreamFramer();
      for (let at = 0; at < input.length;) {
        const n = 1 + Math.floor(rnd() * 200);
        const out = framer.push(input.subarray(at, at + n));
        for (const x of out.messages) exercise(x);
        if (out.error) assert.ok(out.error instanceof SipParseError);
        at += n;
      }
    }
    assert.ok(parsed > 1000 && rejected > 1000, `parsed ${parsed}, rejected ${rejected}`);
  },
);

test('pathological inputs stay linear', { timeout: 60_000 }, () => {
  const head = 'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n';
  const big = (line: string) => Buffer.from(head + line + '\r\n\r\n');
  const n = 60_000;
  const inputs = [
    big('To: ' + '"'.repeat(n)),
    big('To: ' + '<'.repeat(n)),
    big('To: ' + ';'.repeat(n)),
    big('To: ' + '\\'.repeat(n)),
    big('Contact: ' + '<sip:a@b>,'.repeat(n / 10)),
    big('Via: ' + 'SIP/2.0/UDP h;'.repeat(n / 14)),
    big('Via: SIP/2.0/UDP h' + ';x'.repeat(n / 2)),
    big('From: ' + 'a '.repeat(n / 2) + '<sip:a@b>'),
    big('CSeq: ' + '0'.repeat(n) + '1 INVITE'),
    big('Content-Length: ' + '9'.repeat(n)),
    big('X: y\r\n' + ' z\r\n'.repeat(n / 4)),
    Buffer.from('\r\n'.repeat(n / 2)),
    Buffer.from('INVITE ' + 'sip:' + 'a'.repeat(n) + ' SIP/2.0\r\n\r\n'),
    Buffer.from(head + 'a: b\r\n'.repeat(200) + '\r\n'),
  ];
  for (const input of inputs) {
    let m: SipMessage | undefined;
    try {
      m = parseMessage(input, { maxBytes: 1 << 20, maxHeaders: 1 << 20 });
    } catch (e) {
      assert.ok(e instanceof SipParseError, String(e));
    }
    if (m) exercise(m);
    const f = new StreamFramer({ maxBytes: 1 << 20 });
    for (let at = 0; at < input.length; at += 997) {
      const out = f.push(input.subarray(at, at + 997));
      if (out.error) assert.ok(out.error instanceof SipParseError);
    }
  }
  for (const uri of [
    'sip:' + '%'.repeat(n),
    'sip:' + 'a@'.repeat(n),
    'sip:a@b' + ';a=b'.repeat(n / 4) + '?x=y&'.repeat(n / 5),
  ]) {
    only('parseUri', () => parseUri(uri));
  }
});
