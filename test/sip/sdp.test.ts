import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'sdp-transform';
import {
  answerOffer,
  createOffer,
  holdOffer,
  isHoldOffer,
  readAnswer,
  type LocalMedia,
  type NegotiatedMedia,
} from '../../src/sip/sdp.js';

const LOCAL: LocalMedia = {
  address: '10.0.0.5',
  port: 20000,
  codecs: ['PCMU', 'PCMA'],
  telephoneEvent: true,
  sessionId: '4242',
  sessionVersion: 7,
};

const sdp = (...lines: string[]): string => lines.join('\r\n') + '\r\n';

/** As SIPp's uac_pcap scenario sends it. */
const SIPP_PCMU = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
);
const SIPP_PCMA_DTMF = sdp(
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-11,16',
);

/** baresip 1.x/3.x with its default codec modules. */
const BARESIP = sdp(
  'v=0',
  'o=- 1185428271 1744183049 IN IP4 192.168.1.20',
  's=-',
  'c=IN IP4 192.168.1.20',
  't=0 0',
  'm=audio 10060 RTP/AVP 96 9 0 8 101 102',
  'b=AS:128',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/48000',
  'a=fmtp:101 0-15',
  'a=rtpmap:102 telephone-event/8000',
  'a=fmtp:102 0-15',
  'a=ptime:20',
  'a=sendrecv',
  'a=label:1',
  'a=rtcp-rsize',
  'a=ssrc:1470919463 cname:1a1b8c2d-93ab-4c9b-8e6e-e8b0e0e9ad7c',
);

/** Chromium's WebRTC offer (trimmed): DTLS-SRTP with ICE, no plain RTP alternative. */
const CHROMIUM = sdp(
  'v=0',
  'o=- 6054093392514813931 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:Hn4R',
  'a=ice-pwd:LkQ2CMsgFvw0pKS5dBL1y7vn',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 5B:1D:59:2E:5E:8F:6B:7A:7C:2C:27:0C:BB:4F:33:1A:4C:68:8A:2E:D1:4D:84:E6:0A:2B:9F:1E:5E:4C:AA:01',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
);

/** Linphone desktop: several telephone-event clock rates, G729 annexb, rtcp-xr at session level. */
const LINPHONE = sdp(
  'v=0',
  'o=alice 2917 1180 IN IP4 192.168.1.33',
  's=Talk',
  'c=IN IP4 192.168.1.33',
  't=0 0',
  'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics',
  'm=audio 7078 RTP/AVP 96 97 98 18 8 0 101 99 100',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 useinbandfec=1',
  'a=rtpmap:97 speex/16000',
  'a=fmtp:97 vbr=on',
  'a=rtpmap:98 speex/8000',
  'a=fmtp:98 vbr=on',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/48000',
  'a=rtpmap:99 telephone-event/16000',
  'a=rtpmap:100 telephone-event/8000',
  'a=rtcp-fb:* trr-int 1000',
  'a=rtcp-fb:* ccm tmmbr',
);

function answered(offer: string, local: LocalMedia = LOCAL): { answer: string; media: NegotiatedMedia } {
  const r = answerOffer(offer, local);
  assert.ok(r.ok, `answered: ${r.ok ? '' : r.warning}`);
  return r;
}

function rejected(offer: string, local: LocalMedia = LOCAL): { status: number; warning: string } {
  const r = answerOffer(offer, local);
  assert.ok(!r.ok, 'offer is refused');
  return r;
}

test('SIPp PCMU offer: answered with PCMU 0 from our address, no telephone-event', () => {
  const { answer, media } = answered(SIPP_PCMU);
  assert.deepEqual(media, {
    codec: 'PCMU',
    payloadType: 0,
    remoteAddress: '127.0.0.1',
    remotePort: 6000,
    ptime: 20,
    direction: 'sendrecv',
    hold: false,
  });
  assert.equal(
    answer,
    sdp(
      'v=0',
      'o=pivot 4242 7 IN IP4 10.0.0.5',
      's=Pivot',
      'c=IN IP4 10.0.0.5',
      't=0 0',
      'm=audio 20000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=ptime:20',
      'a=sendrecv',
    ),
  );
});

test('SIPp PCMA + 101 offer: PCMA with telephone-event echoed under its payload type', () => {
  const { answer, media } = answered(SIPP_PCMA_DTMF);
  assert.equal(media.codec, 'PCMA');
  assert.equal(media.payloadType, 8);
  assert.equal(media.telephoneEventPt, 101);
  const m = parse(answer).media[0];
  assert.equal(m.payloads, '8 101');
  assert.deepEqual(m.rtp, [
    { payload: 8, codec: 'PCMA', rate: 8000 },
    { payload: 101, codec: 'telephone-event', rate: 8000 },
  ]);
  assert.deepEqual(m.fmtp, [{ payload: 101, config: '0-16' }]);
});

test('telephone-event is left out when we do not want it', () => {
  const { answer, media } = answered(SIPP_PCMA_DTMF, { ...LOCAL, telephoneEvent: false });
  assert.equal(media.telephoneEventPt, undefined);
  assert.equal(String(parse(answer).media[0].payloads), '8');
});

test('baresip offer: first G.711 in its order (PCMU), telephone-event/8000 on 102, not the 48 kHz one', () => {
  const { answer, media } = answered(BARESIP);
  assert.equal(media.codec, 'PCMU');
  assert.equal(media.payloadType, 0);
  assert.equal(media.telephoneEventPt, 102);
  assert.equal(media.remoteAddress, '192.168.1.20');
  assert.equal(media.remotePort, 10060);
  const m = parse(answer).media[0];
  assert.equal(m.payloads, '0 102');
  assert.equal(m.rtp.length, 2);
});

test("codec choice follows the offerer's order, not ours", () => {
  // We prefer PCMU, the offer lists PCMA first → PCMA (RFC 3264 §6.1).
  const offer = SIPP_PCMU.replace('RTP/AVP 0', 'RTP/AVP 8 0').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000');
  assert.equal(answered(offer).media.codec, 'PCMA');
  // Linphone: opus, speex, G729 come first and are skipped; PCMA before PCMU; telephone-event/8000 is 100.
  const l = answered(LINPHONE, { ...LOCAL, codecs: ['PCMU', 'PCMA'] });
  assert.equal(l.media.codec, 'PCMA');
  assert.equal(l.media.telephoneEventPt, 100);
  assert.equal(parse(l.answer).media[0].payloads, '8 100');
  // A codec we do not list is never chosen, even when offered first.
  assert.equal(answered(offer, { ...LOCAL, codecs: ['PCMU'] }).media.codec, 'PCMU');
});

test('a dynamic payload type carrying PCMU is accepted under that payload type', () => {
  const offer = sdp(
    'v=0',
    'o=- 1 1 IN IP4 10.1.1.1',
    's=-',
    'c=IN IP4 10.1.1.1',
    't=0 0',
    'm=audio 4000 RTP/AVP 97',
    'a=rtpmap:97 pcmu/8000',
  );
  const { answer, media } = answered(offer);
  assert.equal(media.codec, 'PCMU');
  assert.equal(media.payloadType, 97);
  assert.match(answer, /a=rtpmap:97 PCMU\/8000/);
});

test('no common codec: 488 with a 304 Warning naming the offered codecs', () => {
  const offer = SIPP_PCMU.replace('RTP/AVP 0', 'RTP/AVP 18 9 101').replace(
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000',
  );
  const r = rejected(offer);
  assert.equal(r.status, 488);
  assert.equal(r.warning, '304 pivot "Incompatible media format: offered G729, G722; Pivot supports PCMU, PCMA"');
  // Static types without rtpmap are named from RFC 3551; a dynamic type without one is named by number.
  const r2 = rejected(SIPP_PCMU.replace('RTP/AVP 0', 'RTP/AVP 3 98').replace('a=rtpmap:0 PCMU/8000\r\n', ''));
  assert.match(r2.warning, /^304 pivot "Incompatible media format: offered GSM, 98;/);
  // PCMU at the wrong clock rate is not PCMU/8000.
  assert.equal(rejected(SIPP_PCMU.replace('PCMU/8000', 'PCMU/16000')).status, 488);
});

test('Chromium WebRTC offer (UDP/TLS/RTP/SAVPF): 488 with 302 Incompatible transport protocol', () => {
  const r = rejected(CHROMIUM);
  assert.equal(r.status, 488);
  assert.match(r.warning, /^302 pivot "Incompatible transport protocol: offered UDP\/TLS\/RTP\/SAVPF/);
  const savp = rejected(SIPP_PCMU.replace('RTP/AVP', 'RTP/SAVP'));
  assert.match(savp.warning, /^302 pivot "Incompatible transport protocol: offered RTP\/SAVP,/);
});

test('SRTP stream with an RTP/AVP alternative: the plain one is used, the SRTP one rejected', () => {
  const offer = sdp(
    'v=0',
    'o=- 1 1 IN IP4 10.1.1.1',
    's=-',
    'c=IN IP4 10.1.1.1',
    't=0 0',
    'm=audio 4000 RTP/SAVP 0',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
    'm=audio 4002 RTP/AVP 0',
  );
  const { answer, media } = answered(offer);
  assert.equal(media.remotePort, 4002);
  const ms = parse(answer).media;
  assert.deepEqual(
    ms.map((m) => [m.port, m.protocol]),
    [
      [0, 'RTP/SAVP'],
      [20000, 'RTP/AVP'],
    ],
  );
});

test('video and a second audio stream are rejected with port 0, same count and order', () => {
  const offer = sdp(
    'v=0',
    'o=- 1 1 IN IP4 10.1.1.1',
    's=-',
    'c=IN IP4 10.1.1.1',
    't=0 0',
    'm=video 5002 RTP/AVP 96 97',
    'a=rtpmap:96 H264/90000',
    'a=rtpmap:97 VP8/90000',
    'm=audio 5000 RTP/AVP 0 101',
    'a=rtpmap:101 telephone-event/8000',
    'm=audio 5004 RTP/AVP 8',
  );
  const { answer, media } = answered(offer);
  assert.equal(media.remotePort, 5000);
  assert.equal(media.telephoneEventPt, 101);
  const ms = parse(answer).media;
  assert.deepEqual(
    ms.map((m) => [m.type, m.port, String(m.payloads)]),
    [
      ['video', 0, '96 97'],
      ['audio', 20000, '0 101'],
      ['audio', 0, '8'],
    ],
  );
  assert.match(answer, /\r\nm=video 0 RTP\/AVP 96 97\r\nm=audio 20000 /);
});

test('an offer without audio: 488 with 305', () => {
  const r = rejected(SIPP_PCMU.replace('m=audio 6000 RTP/AVP 0', 'm=video 6000 RTP/AVP 96'));
  assert.equal(r.status, 488);
  assert.equal(r.warning, '305 pivot "Incompatible media type: offered video, no audio"');
});

test('port 0 audio is answered with port 0 and reported as disabled', () => {
  const { answer, media } = answered(SIPP_PCMA_DTMF.replace('m=audio 6000', 'm=audio 0'));
  assert.equal(media.remotePort, 0);
  assert.equal(media.direction, 'inactive');
  assert.equal(media.codec, 'PCMA');
  const ms = parse(answer).media;
  assert.equal(ms.length, 1);
  assert.equal(ms[0].port, 0);
  assert.equal(String(ms[0].payloads), '8 101');
  // A re-offer that disabled the old stream and appended a new one (RFC 3264 §8.1): the new one is used.
  const reoffer = SIPP_PCMU.replace('m=audio 6000', 'm=audio 0') + 'm=audio 6002 RTP/AVP 0\r\n';
  const r = answered(reoffer);
  assert.equal(r.media.remotePort, 6002);
  assert.deepEqual(
    parse(r.answer).media.map((m) => m.port),
    [0, 20000],
  );
});

test('hold: sendonly → we recvonly, inactive → inactive, recvonly → we sendonly; resume', () => {
  const hold = answered(SIPP_PCMU + 'a=sendonly\r\n');
  assert.equal(hold.media.direction, 'recvonly');
  assert.equal(hold.media.hold, true);
  assert.match(hold.answer, /a=recvonly\r\n$/);

  const inactive = answered(SIPP_PCMU + 'a=inactive\r\n');
  assert.equal(inactive.media.direction, 'inactive');
  assert.equal(inactive.media.hold, true);
  assert.match(inactive.answer, /a=inactive\r\n$/);

  const recvonly = answered(SIPP_PCMU + 'a=recvonly\r\n');
  assert.equal(recvonly.media.direction, 'sendonly');
  assert.equal(recvonly.media.hold, false);

  const resume = answered(SIPP_PCMU + 'a=sendrecv\r\n');
  assert.equal(resume.media.direction, 'sendrecv');
  assert.equal(resume.media.hold, false);
  assert.match(resume.answer, /a=sendrecv\r\n$/);

  assert.equal(isHoldOffer(SIPP_PCMU + 'a=sendonly\r\n'), true);
  assert.equal(isHoldOffer(SIPP_PCMU + 'a=inactive\r\n'), true);
  assert.equal(isHoldOffer(SIPP_PCMU + 'a=sendrecv\r\n'), false);
  assert.equal(isHoldOffer(SIPP_PCMU), false);
  assert.equal(isHoldOffer('garbage'), false);
});

test('hold the RFC 2543 way: c=0.0.0.0 means hold and we do not send', () => {
  const offer = SIPP_PCMU.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0');
  const { media } = answered(offer);
  assert.equal(media.hold, true);
  assert.equal(media.remoteAddress, '0.0.0.0');
  assert.equal(media.direction, 'recvonly');
  assert.equal(isHoldOffer(offer), true);
});

test('our own direction limits the answer: while we hold them (sendonly), a sendrecv offer gets sendonly', () => {
  const { answer, media } = answered(SIPP_PCMU, { ...LOCAL, direction: 'sendonly' });
  assert.equal(media.direction, 'sendonly');
  assert.equal(media.hold, false);
  assert.match(answer, /a=sendonly\r\n$/);
  // Both holding: nothing flows.
  assert.equal(answered(SIPP_PCMU + 'a=sendonly\r\n', { ...LOCAL, direction: 'sendonly' }).media.direction, 'inactive');
});

test('session-level vs media-level c= and direction: media level wins', () => {
  const offer = sdp(
    'v=0',
    'o=- 1 1 IN IP4 10.1.1.1',
    's=-',
    'c=IN IP4 10.1.1.1',
    't=0 0',
    'a=sendonly',
    'm=audio 4000 RTP/AVP 0',
    'c=IN IP4 10.2.2.2',
    'a=sendrecv',
  );
  const { media } = answered(offer);
  assert.equal(media.remoteAddress, '10.2.2.2');
  assert.equal(media.direction, 'sendrecv');
  assert.equal(media.hold, false);

  // Session-level values apply when the media level has none.
  const sessionOnly = offer.replace('c=IN IP4 10.2.2.2\r\n', '').replace('a=sendrecv\r\n', '');
  const s = answered(sessionOnly);
  assert.equal(s.media.remoteAddress, '10.1.1.1');
  assert.equal(s.media.direction, 'recvonly');
  assert.equal(s.media.hold, true);
  assert.equal(isHoldOffer(sessionOnly), true);

  // Only a media-level c=.
  const mediaOnly = offer.replace('c=IN IP4 10.1.1.1\r\n', '');
  assert.equal(answered(mediaOnly).media.remoteAddress, '10.2.2.2');
});

test('IPv6: c=IN IP6 in the offer, and an IPv6 local address in the answer', () => {
  const offer = sdp(
    'v=0',
    'o=- 1 1 IN IP6 2001:db8::1',
    's=-',
    'c=IN IP6 2001:db8::1',
    't=0 0',
    'm=audio 4000 RTP/AVP 8 0',
  );
  const { answer, media } = answered(offer, { ...LOCAL, address: '2001:db8::5' });
  assert.equal(media.remoteAddress, '2001:db8::1');
  assert.equal(media.codec, 'PCMA');
  assert.match(answer, /\r\no=pivot 4242 7 IN IP6 2001:db8::5\r\n/);
  assert.match(answer, /\r\nc=IN IP6 2001:db8::5\r\n/);
});

test('ptime: the offer’s a=ptime is what we send with; ours is advertised', () => {
  const { answer, media } = answered(SIPP_PCMU + 'a=ptime:30\r\n', { ...LOCAL, ptime: 40 });
  assert.equal(media.ptime, 30);
  assert.match(answer, /a=ptime:40\r\n/);
  assert.equal(answered(SIPP_PCMU + 'a=ptime:7\r\n').media.ptime, 20);
});

test('the answer copies t= from the offer and works with LF-only line endings', () => {
  const offer = SIPP_PCMU.replace('t=0 0', 't=3034423619 0').replace(/\r\n/g, '\n');
  assert.match(answered(offer).answer, /\r\nt=3034423619 0\r\n/);
});

test('malformed SDP: 400 with the reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty SDP body/],
    ['hello world', /must start with v=0/],
    [SIPP_PCMU.replace('v=0', 'v=1'), /must start with v=0/],
    [SIPP_PCMU.replace('s=-', 'this is not sdp'), /line 3 is not type=value/],
    [SIPP_PCMU.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000'), /line 6 bad m= line/],
    [SIPP_PCMU.replace('m=audio 6000', 'm=audio 70000'), /bad m= line/],
    [SIPP_PCMU.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000 RTP/AVP'), /bad m= line/],
    [SIPP_PCMU.replace('c=IN IP4 127.0.0.1', 'c=IN IP4'), /line 4 bad c= line/],
    [SIPP_PCMU.replace('o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n', ''), /missing o= line/],
    [SIPP_PCMU.replace('c=IN IP4 127.0.0.1\r\n', ''), /no c= line for audio/],
  ];
  for (const [offer, reason] of cases) {
    const r = rejected(offer);
    assert.equal(r.status, 400, `400 for ${JSON.stringify(offer)}`);
    assert.match(r.warning, /^399 pivot "Malformed SDP: /);
    assert.match(r.warning, reason);
  }
});

test('Warning text escapes quotes (RFC 3261 quoted-string)', () => {
  const r = rejected(SIPP_PCMU.replace('a=rtpmap:0 PCMU/8000', 'a=rtcp:1').replace('c=IN IP4 127.0.0.1\r\n', ''));
  assert.match(r.warning, /^399 pivot "[^"]*"$/);
  const q = rejected(SIPP_PCMU.replace('s=-', 's"x'));
  assert.match(q.warning, /\\"x/);
});

test('createOffer: our codecs in order, telephone-event 101, ptime, direction, o= and s=', () => {
  assert.equal(
    createOffer(LOCAL),
    sdp(
      'v=0',
      'o=pivot 4242 7 IN IP4 10.0.0.5',
      's=Pivot',
      'c=IN IP4 10.0.0.5',
      't=0 0',
      'm=audio 20000 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
    ),
  );
  const pcmaOnly = createOffer({ ...LOCAL, codecs: ['PCMA'], telephoneEvent: false, direction: 'recvonly' });
  assert.match(pcmaOnly, /\r\nm=audio 20000 RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\r\na=ptime:20\r\na=recvonly\r\n$/);
  // Without a session id one is generated (numeric).
  const o = parse(createOffer({ ...LOCAL, sessionId: undefined, sessionVersion: undefined })).origin;
  assert.match(String(o.sessionId), /^\d+$/);
  assert.equal(o.sessionVersion, 1);
});

test('createOffer / answerOffer / readAnswer round trip', () => {
  const uac: LocalMedia = { ...LOCAL, codecs: ['PCMA', 'PCMU'] };
  const offer = createOffer(uac);
  const far: LocalMedia = { address: '10.9.9.9', port: 30000, codecs: ['PCMU', 'PCMA'], telephoneEvent: true };
  const a = answered(offer, far);
  assert.equal(a.media.codec, 'PCMA'); // the offerer's order wins
  assert.equal(a.media.telephoneEventPt, 101);
  assert.equal(a.media.remoteAddress, '10.0.0.5');
  assert.equal(a.media.remotePort, 20000);

  const r = readAnswer(a.answer, uac);
  assert.ok(r.ok);
  assert.deepEqual(r.media, {
    codec: 'PCMA',
    payloadType: 8,
    telephoneEventPt: 101,
    remoteAddress: '10.9.9.9',
    remotePort: 30000,
    ptime: 20,
    direction: 'sendrecv',
    hold: false,
  });
});

test('readAnswer refuses answers that do not fit our offer', () => {
  const uac: LocalMedia = { ...LOCAL, codecs: ['PCMU'] };
  const answer = (mline: string, ...rest: string[]): string =>
    sdp('v=0', 'o=- 1 1 IN IP4 10.9.9.9', 's=-', 'c=IN IP4 10.9.9.9', 't=0 0', mline, ...rest);

  const pcma = readAnswer(answer('m=audio 30000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'), uac);
  assert.ok(!pcma.ok);
  assert.match(pcma.warning, /^304 pivot "Answer picked a codec we did not offer: PCMA; offered PCMU"$/);

  const g729 = readAnswer(answer('m=audio 30000 RTP/AVP 18'), uac);
  assert.ok(!g729.ok);
  assert.match(g729.warning, /did not offer: G729/);

  // PCMU moved to a payload type we did not offer it under.
  const moved = readAnswer(answer('m=audio 30000 RTP/AVP 96', 'a=rtpmap:96 PCMU/8000'), uac);
  assert.ok(!moved.ok);

  const rejectedAudio = readAnswer(answer('m=audio 0 RTP/AVP 0'), uac);
  assert.ok(!rejectedAudio.ok);
  assert.match(rejectedAudio.warning, /port 0/);

  const srtp = readAnswer(answer('m=audio 30000 RTP/SAVP 0'), uac);
  assert.ok(!srtp.ok);
  assert.match(srtp.warning, /^302 /);

  const video = readAnswer(answer('m=video 30000 RTP/AVP 96'), uac);
  assert.ok(!video.ok);
  assert.match(video.warning, /^305 /);

  const junk = readAnswer('not sdp', uac);
  assert.ok(!junk.ok);
  assert.match(junk.warning, /^399 pivot "Malformed SDP answer: /);

  // A lenient case: an extra format we did not offer is skipped when one we did follows.
  const extra = readAnswer(answer('m=audio 30000 RTP/AVP 18 0 101', 'a=rtpmap:101 telephone-event/8000'), uac);
  assert.ok(extra.ok);
  assert.equal(extra.media.codec, 'PCMU');
  assert.equal(extra.media.telephoneEventPt, 101);
});

test('holdOffer bumps the version and toggles sendonly/sendrecv; the answers read back as hold/resume', () => {
  const held = holdOffer(LOCAL, true);
  assert.equal(held.local.sessionVersion, 8);
  assert.equal(held.local.sessionId, '4242');
  assert.equal(held.local.direction, 'sendonly');
  assert.match(held.offer, /\r\no=pivot 4242 8 IN IP4 10.0.0.5\r\n/);
  assert.match(held.offer, /a=sendonly\r\n$/);
  assert.equal(isHoldOffer(held.offer), true);

  // The far end answers recvonly: we send only (music on hold), and nobody holds us.
  const far: LocalMedia = { address: '10.9.9.9', port: 30000, codecs: ['PCMU'], telephoneEvent: true };
  const farAnswer = answered(held.offer, far);
  assert.equal(farAnswer.media.direction, 'recvonly');
  assert.equal(farAnswer.media.hold, true);
  const r = readAnswer(farAnswer.answer, held.local);
  assert.ok(r.ok);
  assert.equal(r.media.direction, 'sendonly');
  assert.equal(r.media.hold, false);

  const resumed = holdOffer(held.local, false);
  assert.equal(resumed.local.sessionVersion, 9);
  assert.match(resumed.offer, /\r\no=pivot 4242 9 IN IP4 10.0.0.5\r\n/);
  assert.match(resumed.offer, /a=sendrecv\r\n$/);
  assert.equal(isHoldOffer(resumed.offer), false);
  const back = readAnswer(answered(resumed.offer, far).answer, resumed.local);
  assert.ok(back.ok);
  assert.equal(back.media.direction, 'sendrecv');

  // A session id is created when the original LocalMedia had none, and kept afterwards.
  const fresh = holdOffer({ ...LOCAL, sessionId: undefined, sessionVersion: undefined }, true);
  assert.match(fresh.local.sessionId ?? '', /^\d+$/);
  assert.equal(fresh.local.sessionVersion, 2);
  assert.equal(holdOffer(fresh.local, false).local.sessionId, fresh.local.sessionId);
});
