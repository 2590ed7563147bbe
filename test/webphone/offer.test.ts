// The browser's offer as the gateway narrows it before werift: a Chrome-style offer without codec preferences
// (Opus first, two telephone-events) keeps PCMU and telephone-event/8000 only; what cannot work is refused with
// the rule that failed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import { prepareOffer } from '../../src/webphone/offer.js';

const CHROME_LIKE = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=audio 50000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 127.0.0.1',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122194687 127.0.0.1 50000 typ host generation 0',
  'a=candidate:2 1 tcp 1518214911 127.0.0.1 9 typ host tcptype active generation 0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1234 cname:x',
  '',
].join('\r\n');

test('a full Chrome-style offer keeps PCMU first and telephone-event/8000 only', () => {
  const r = prepareOffer(CHROME_LIKE);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.pcmuPt, 0);
  assert.equal(r.telephoneEventPt, 126);
  const m = parse(r.sdp).media[0];
  assert.equal(m.payloads, '0 126');
  assert.deepEqual(
    m.rtp.map((x) => `${x.payload} ${x.codec}/${x.rate}`),
    ['0 PCMU/8000', '126 telephone-event/8000'],
  );
  assert.deepEqual(m.fmtp, []);
  assert.deepEqual(m.rtcpFb ?? [], []);
  assert.equal(m.candidates?.length, 2, 'candidates as given');
});

test('a static PCMU without rtpmap gets one; no telephone-event means none', () => {
  const r = prepareOffer(CHROME_LIKE.replace(' 110 126', '').replace(/a=rtpmap:(0|110|126) .*\r\n/g, ''));
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.telephoneEventPt, undefined);
  assert.deepEqual(
    parse(r.sdp).media[0].rtp.map((x) => x.codec),
    ['PCMU'],
  );
});

test('refusals name the rule', () => {
  const rule = (sdp: string): string | undefined => {
    const r = prepareOffer(sdp);
    return r.ok ? undefined : r.rule;
  };
  assert.equal(rule(''), 'sdp');
  assert.equal(rule('v=0\r\nthis is not sdp'), 'sdp');
  assert.equal(rule(CHROME_LIKE.replace(' 0 8 ', ' 8 ').replace('a=rtpmap:0 PCMU/8000\r\n', '')), 'codec');
  assert.equal(rule(CHROME_LIKE.replace(/a=candidate:1 .*\r\n/, '')), 'ice', 'TCP candidates only');
  assert.equal(rule(CHROME_LIKE.replace(/a=fingerprint:.*\r\n/, '')), 'dtls');
  assert.equal(rule(CHROME_LIKE.replace('UDP/TLS/RTP/SAVPF', 'RTP/AVP')), 'media');
  assert.equal(rule(CHROME_LIKE + 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n'), 'media');
  assert.equal(rule(CHROME_LIKE.replace('m=audio 50000', 'm=audio 0')), 'media');
});
