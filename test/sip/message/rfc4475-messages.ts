// Pivot's own SIP torture messages: one for each test of RFC 4475 (§3.1.1 valid, §3.1.2 invalid, §3.2 transaction
// layer, §3.3 application layer, §3.4 backward compatibility). Each message reproduces the property its RFC
// section exercises, but every host, tag, Call-ID, branch, display name and body is ours (example.test and
// pivot.test, documentation addresses), so none is a copy of the RFC's archive.
//
// Messages are exact bytes: each line below gets CRLF appended, a line starting with SP or HTAB is a folded
// continuation of the line before, and control characters (NUL, BEL, DEL) and UTF-8 text are written where the
// property needs them. Non-ASCII text is encoded as UTF-8.

export type TortureKind = 'valid' | 'invalid' | 'transaction' | 'application' | 'compatibility';

export interface TortureMessage {
  /** RFC 4475 section and short name, e.g. `3.1.1.1 wsinv`. */
  readonly id: string;
  /** What the message exercises. */
  readonly title: string;
  /** valid (§3.1.1), invalid (§3.1.2), transaction (§3.2), application (§3.3), compatibility (§3.4). */
  readonly kind: TortureKind;
  readonly bytes: Buffer;
}

const CRLF = '\r\n';

/** Header lines (start line first), each ended by CRLF, then the empty line, then the body. */
function sip(lines: readonly string[], body: Buffer | string = ''): Buffer {
  const head = Buffer.from(lines.map((l) => l + CRLF).join('') + CRLF, 'utf8');
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/** Octet length of a body (for Content-Length). */
function len(body: Buffer | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}

/** The SDP offer several messages carry. */
export const SDP =
  'v=0\r\n' +
  'o=pivot 7302 7303 IN IP4 198.51.100.30\r\n' +
  's=Pivot torture call\r\n' +
  'c=IN IP4 198.51.100.31\r\n' +
  't=0 0\r\n' +
  'm=audio 41000 RTP/AVP 0 8 101\r\n' +
  'a=rtpmap:101 telephone-event/8000\r\n' +
  'a=fmtp:101 0-15\r\n';

// Control characters and UTF-8 used by 3.1.1.2 (written out here so the bytes are explicit).
const NUL = '\x00';
const BEL = '\x07';
const DEL = '\x7f';
/** U+FEFF (EF BB BF in UTF-8) followed by 音声テスト ("voice test"). */
const BOM_TEXT = '\ufeff\u97f3\u58f0\u30c6\u30b9\u30c8';

// ---- §3.1.1 valid messages ----

const wsinv = sip(
  [
    'INVITE sip:ada.l@lab.example.test;unknownparam SIP/2.0',
    'tO  :',
    '  sip:ada.l@lab.example.test ;   tag    = 77ab12fe90z',
    'from   : "Ada Counter \\\\\\""',
    '\t<sip:counter@pivot.test>',
    '  ;',
    '  tag = 4c0ffee9',
    'MaX-fOrWaRdS:\t0069',
    'Call-ID: wsinv.q7t3vz0@198.51.100.20',
    `Content-Length   : ${len(SDP)}`,
    'cseq: 0011',
    '  INVITE',
    'Via  : SIP  /   2.0',
    ' /UDP',
    '    198.51.100.21;branch=k8s7d6f5g',
    's\t:',
    'NewFangledHeader:   a header nobody',
    ' has heard',
    '\tof before',
    'v:  SIP  / 2.0  / TCP     relay.pivot.test   ;',
    '  branch  =   z9hG4bK2vb8 ,',
    ' SIP  /    2.0   / UDP  [2001:db8::9] :5062; branch = z9hG4bK7yu6',
    'm:"Pivot \\"\\" Contact"<sip:ada@pivot.test:5070>; NewParam =',
    '      newvalue ;',
    '  SECONDparam ; q = 0.5',
    'X-Only-Separators:;,;;,,;',
    'Content-Type:',
    '   application/sdp',
    'Route:',
    ' <sip:edge.pivot.test;lr;oddparam=odd;flagparam>',
  ],
  SDP,
);

const INTMETH = "`~Pivot.Odd-Method_0987654321!%*+'";
const INTMETH_USER = "9_odd.USER~(for-real!)&that's+$/fine?,/;;*";
const INTMETH_PASS = "&pass+w0rd=1,wow!*~_(it's)$.-";
const intmeth = sip([
  `${INTMETH} sip:${INTMETH_USER}:${INTMETH_PASS}@example.test SIP/2.0`,
  "Via: SIP/2.0/TCP host7.pivot.test;branch=z9hG4bK-pv.!%7e*_+`'~",
  `To: "bell:\\${BEL} nul:\\${NUL} del:\\${DEL}" <sip:${INTMETH_USER}@example.test>`,
  "From: ~tilde1 'apos2' `grave3` *.pct%!-_+ <sip:caller@pivot.test>" +
    ';pivotparam\'~`+*_!.-%="über ✓ ünïcødé";tag=~tag\'1`*%!-._+',
  'Call-ID: intmeth.pv-~\'`*%!+_.()<>:\\"/[]?{}@}{][?/"\\:><)(.-_+!%*`\'~9',
  `CSeq: 2147483647 ${INTMETH}`,
  'Max-Forwards: 255',
  `X-Pivot_Ext.!%*+\`'~: ${BOM_TEXT}`,
  'Content-Length: 0',
]);

const esc01 = sip(
  [
    'INVITE sip:sips%3Ausr%40pivot.test@edge.example.test SIP/2.0',
    'To: <sip:%61d%61@pivot.test>',
    'From: <sip:I%20have%20blanks@example.test>;tag=e5c01',
    'Max-Forwards: 70',
    'Call-ID: esc01.4d7f2a9b1c-pivot',
    'CSeq: 21 INVITE',
    'Via: SIP/2.0/UDP edge.example.test;branch=z9hG4bKesc01a',
    'C: application/sdp',
    'Contact:',
    '  <sip:caller@host5.example.test;ob;label=x%25%36%31>',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

const escnull = sip([
  'REGISTER sip:registrar.pivot.test SIP/2.0',
  'To: <sip:zero-%00-zero@pivot.test>',
  'From: <sip:zero-%00-zero@pivot.test>;tag=en1q',
  'Via: SIP/2.0/UDP 198.51.100.11;branch=z9hG4bKnul0',
  'Call-ID: escnull.a0b1c2d3@198.51.100.11',
  'CSeq: 40 REGISTER',
  'Max-Forwards: 70',
  'Contact: <sip:%00@host6.pivot.test>',
  'Contact: <sip:%00%00@host6.pivot.test>',
  'l: 0',
]);

const esc02 = sip([
  'REG%49STER sip:registrar.pivot.test SIP/2.0',
  'To: "%Q%4A" <sip:resource@pivot.test>',
  'From: %Q%4A <sip:resource@pivot.test>;tag=e2f9k',
  'Max-Forwards: 70',
  'Call-ID: esc02.b71c0e@198.51.100.12',
  'CSeq: 31 REG%49STER',
  'Via: SIP/2.0/UDP 198.51.100.12;branch=z9hG4bK%pv%zz02',
  'Contact: <sip:first@host1.example.test>, <sip:third@host3.example.test>',
  'Cont%61ct: <sip:second@host2.example.test>',
  'l: 0',
]);

const lwsdisp = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'To: sip:ada@pivot.test',
  'From: pivotcaller<sip:pivotcaller@example.test>;tag=1d5p',
  'Max-Forwards: 70',
  'Call-ID: lwsdisp.3e8r1t@198.51.100.14',
  'CSeq: 5 OPTIONS',
  'Via: SIP/2.0/UDP 198.51.100.14;branch=z9hG4bKlwsd1',
  'l: 0',
]);

/** Long values for 3.1.1.7 (the test checks them against the same expressions). */
export const LONG = {
  displayName: 'A callee whose name runs on ' + 'and on '.repeat(12) + 'and then stops',
  uriParamValue: 'lengthy'.repeat(20),
  uriParamName: 'paramnamethatgoes' + 'on'.repeat(40),
  uriFlagName: 'valueless' + 'x'.repeat(100),
  user: 'averylongcallerusername'.repeat(6),
  tag: '7' + '315'.repeat(60),
  headerParamName: 'headerparam' + 'name'.repeat(22),
  headerParamValue: 'headerparamvalue'.repeat(12),
  headerFlagName: 'flagparam' + 'flag'.repeat(15),
  callId: 'longreq.' + 'verylong'.repeat(25) + '@pivot.test',
  branch: 'z9hG4bK' + 'lengthy'.repeat(40),
  header: 'abcdefghij'.repeat(100),
};
const longreq = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    `To: "${LONG.displayName}" <sip:ada@pivot.test:5090;oddparam1=${LONG.uriParamValue};` +
      `${LONG.uriParamName}=short;${LONG.uriFlagName}>`,
    `From: <sip:${LONG.user}@example.test>;tag=${LONG.tag};${LONG.headerParamName}=${LONG.headerParamValue};` +
      LONG.headerFlagName,
    `Call-ID: ${LONG.callId}`,
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...Array.from(
      { length: 33 },
      (_, i) => `Via: SIP/2.0/UDP relay-${i + 1}.example.test:${5060 + i + 1};branch=z9hG4bKhop${i + 1}`,
    ),
    `Via: SIP/2.0/TCP 198.51.100.99;received=203.0.113.99;branch=${LONG.branch}`,
    `X-Pivot-Lengthy: ${LONG.header}`,
    `Contact: <sip:${LONG.user}@198.51.100.99>`,
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

/** The INVITE that follows the REGISTER in the 3.1.1.8 datagram (it is not part of the message). */
const DBLREQ_TRAILER = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'To: <sip:ada@pivot.test>',
    'From: <sip:ada@pivot.test>;tag=db2x',
    'Max-Forwards: 70',
    'Call-ID: dblreq.second.0k9j8h@198.51.100.90',
    'CSeq: 5 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.90;branch=z9hG4bKdbl2',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);
const dblreq = Buffer.concat([
  sip([
    'REGISTER sip:pivot.test SIP/2.0',
    'To: <sip:ada@pivot.test>',
    'From: <sip:ada@pivot.test>;tag=db1x',
    'Max-Forwards: 70',
    'Call-ID: dblreq.7h6g5f4d@198.51.100.90',
    'CSeq: 4 REGISTER',
    'Via: SIP/2.0/UDP 198.51.100.90;branch=z9hG4bKdbl1',
    'Contact: *',
    'Expires: 0',
    'l: 0',
  ]),
  DBLREQ_TRAILER,
]);

const semiuri = sip([
  'OPTIONS sip:ada;tagged=u%40pivot.test@example.test SIP/2.0',
  'To: sip:ada@example.test',
  'From: <sip:probe@pivot.test>;tag=sm1r',
  'Max-Forwards: 70',
  'Call-ID: semiuri.5g6h7j@198.51.100.16',
  'CSeq: 12 OPTIONS',
  'Via: SIP/2.0/UDP 198.51.100.16;branch=z9hG4bKsemi1',
  'Accept: application/sdp, application/pidf+xml,',
  '  multipart/mixed',
  'Accept: message/sipfrag;version=2.0, text/plain',
  'l: 0',
]);

const transports = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=tp7y',
  'Max-Forwards: 70',
  'Call-ID: transports.w2e3r4t5y6@198.51.100.17',
  'CSeq: 2 OPTIONS',
  'Via: SIP/2.0/TCP t1.example.test;branch=z9hG4bKtr1',
  'Via: SIP/2.0/SCTP t2.example.test;branch=z9hG4bKtr2',
  'Via: SIP/2.0/TLS t3.example.test;branch=z9hG4bKtr3, SIP/2.0/TLS-SCTP t4.example.test;branch=z9hG4bKtr4',
  'Via: SIP/2.0/WSS t5.example.test;branch=z9hG4bKtr5',
  'Via: SIP/2.0/WS t6.example.test;branch=z9hG4bKtr6',
  'Via: SIP/2.0/FROBNICATE t7.example.test;branch=z9hG4bKtr7',
  'Via: SIP/2.0/UDP 198.51.100.17;branch=z9hG4bKtr8',
  'l: 0',
]);

/** Every octet value once, from 0xFF down to 0x00: the binary part of 3.1.1.11. */
export const BINARY_PART = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
const MPART_BODY = Buffer.concat([
  Buffer.from(
    '--pivot-boundary-5e1f\r\n' +
      'Content-Type: text/plain;charset=utf-8\r\n' +
      '\r\n' +
      'A note from Pivot, with an attachment.\r\n' +
      '--pivot-boundary-5e1f\r\n' +
      'Content-Type: application/octet-stream\r\n' +
      'Content-Transfer-Encoding: binary\r\n' +
      '\r\n',
    'utf8',
  ),
  BINARY_PART,
  Buffer.from('\r\n--pivot-boundary-5e1f--\r\n', 'utf8'),
]);
const mpart01 = sip(
  [
    'MESSAGE sip:ada@pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.70:5072;rport;branch=z9hG4bK.mpart.1k2',
    'Max-Forwards: 70',
    'To: <sip:ada@pivot.test>',
    'From: <sip:bob@example.test>;tag=mp9q',
    'Call-ID: mpart01-7c1e@host.pivot.test',
    'CSeq: 14 MESSAGE',
    'Content-Type: multipart/mixed;boundary=pivot-boundary-5e1f',
    `Content-Length: ${MPART_BODY.length}`,
  ],
  MPART_BODY,
);

/** The reason phrase of 3.1.1.12: French, Japanese and Russian text. */
export const UNREASON = 'Ça marche ✓ — 成功しました — всё хорошо';
const unreason = sip(
  [
    `SIP/2.0 200 ${UNREASON}`,
    'Via: SIP/2.0/UDP 198.51.100.21;branch=z9hG4bKunr1',
    'Call-ID: unreason.z1x2c3v4@198.51.100.21',
    'From: <sip:bob@example.test>;tag=un1',
    'To: <sip:ada@pivot.test>;tag=un2',
    'CSeq: 6 INVITE',
    'Contact: <sip:ada@198.51.100.22>',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

const noreason = sip([
  'SIP/2.0 100 ',
  'Via: SIP/2.0/UDP 198.51.100.22;branch=z9hG4bKnr1',
  'To: <sip:ada@pivot.test>;tag=nr2k4m',
  'From: <sip:bob@example.test>;tag=nr1',
  'Call-ID: noreason.9o8i7u@198.51.100.22',
  'CSeq: 3 INVITE',
  'Content-Length: 0',
]);

// ---- §3.1.2 invalid messages ----

const badinv01 = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'To: sip:ada@pivot.test',
    'From: sip:pat@example.test;tag=bi7',
    'Max-Forwards: 70',
    'Call-ID: badinv01.m4n5b6@198.51.100.40',
    'CSeq: 8 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.40;branch=z9hG4bKbad1;;,;,,',
    'Contact: "Pat" <sip:pat@198.51.100.40>;,;;;',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

const clerr = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Max-Forwards: 70',
    'To: sip:ada@pivot.test',
    'From: <sip:caller@example.test>;tag=cl1',
    'Call-ID: clerr.2w3e4r@198.51.100.41',
    'CSeq: 9 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.41;branch=z9hG4bKclerr',
    'Content-Type: application/sdp',
    'Content-Length: 4096',
  ],
  SDP,
);

const ncl = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Max-Forwards: 70',
    'To: sip:ada@pivot.test',
    'From: <sip:caller@example.test>;tag=nc1',
    'Call-ID: ncl.5t6y7u@198.51.100.42',
    'CSeq: 10 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.42;branch=z9hG4bKncl1',
    'Content-Type: application/sdp',
    'Content-Length: -1234',
  ],
  SDP,
);

const scalar02 = sip([
  'REGISTER sip:registrar.pivot.test SIP/2.0',
  'Via: SIP/2.0/TCP 198.51.100.43;branch=z9hG4bKsc02x',
  'Max-Forwards: 4096',
  'From: <sip:ada@pivot.test>;tag=s02f',
  'To: <sip:ada@pivot.test>',
  'Call-ID: scalar02.9q8w7e@198.51.100.43',
  'CSeq: 98765432109876543210 REGISTER',
  'Contact: <sip:ada@198.51.100.43>;expires=123456789012345678',
  'Expires: 99999999999999999999',
  'Content-Length: 0',
]);

const scalarlg = sip([
  'SIP/2.0 503 Service Unavailable',
  'Via: SIP/2.0/TCP 198.51.100.44;branch=z9hG4bKsclg1',
  'To: <sip:ada@pivot.test>;tag=lg2',
  'From: <sip:bob@example.test>;tag=lg1',
  'Call-ID: scalarlg.1a2b3c@198.51.100.44',
  'CSeq: 123456789012345678901234567890 OPTIONS',
  'Retry-After: 18446744073709551616',
  'Warning: 39999 edge.pivot.test "warn-code far too long"',
  'Content-Length: 0',
]);

const quotbal = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'To: "Ada Lovelace <sip:ada@pivot.test>',
    'From: "Charles Babbage" <sip:charles@example.test>;tag=qb1',
    'Max-Forwards: 70',
    'Call-ID: quotbal.8i9o0p@198.51.100.45',
    'CSeq: 11 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.45;branch=z9hG4bKqb1',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

/** A plain INVITE whose start line varies for §3.1.2.7–10 and §3.1.2.11. */
function inviteWithStartLine(startLine: string, callId: string, branch: string): Buffer {
  return sip(
    [
      startLine,
      'To: <sip:ada@pivot.test>',
      `From: <sip:caller@example.test>;tag=${branch.slice(-3)}f`,
      'Max-Forwards: 70',
      `Call-ID: ${callId}`,
      'CSeq: 2 INVITE',
      `Via: SIP/2.0/UDP 198.51.100.46;branch=${branch}`,
      'Content-Type: application/sdp',
      `Content-Length: ${len(SDP)}`,
    ],
    SDP,
  );
}

const ltgtruri = inviteWithStartLine(
  'INVITE <sip:ada@pivot.test> SIP/2.0',
  'ltgtruri.3d4f5g@198.51.100.46',
  'z9hG4bKltgt',
);
const lwsruri = inviteWithStartLine(
  'INVITE sip:ada@pivot.test ;maddr=relay.pivot.test SIP/2.0',
  'lwsruri.6h7j8k@198.51.100.46',
  'z9hG4bKlwsr',
);
const lwsstart = inviteWithStartLine(
  'INVITE  sip:ada@pivot.test   SIP/2.0',
  'lwsstart.9l0z1x@198.51.100.46',
  'z9hG4bKlwss',
);

const trws = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0  ',
  'Via: SIP/2.0/UDP 198.51.100.47;branch=z9hG4bKtrws',
  'Max-Forwards: 70',
  'From: <sip:probe@example.test>;tag=tw1',
  'To: <sip:ada@pivot.test>',
  'Call-ID: trws.2c3v4b@198.51.100.47',
  'CSeq: 17 OPTIONS',
  'l: 0',
]);

const escruri = inviteWithStartLine(
  'INVITE sip:ada@pivot.test?Route=%3Csip:edge.pivot.test%3E&Priority=urgent SIP/2.0',
  'escruri.5n6m7q@198.51.100.46',
  'z9hG4bKescr',
);

const baddate = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'To: sip:ada@pivot.test',
    'From: <sip:caller@example.test>;tag=bd1',
    'Max-Forwards: 70',
    'Call-ID: baddate.8w9e0r@198.51.100.48',
    'CSeq: 13 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.48;branch=z9hG4bKbdate',
    'Date: Mon, 14 Jul 2025 09:30:00 CEST',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

const regbadct = sip([
  'REGISTER sip:registrar.pivot.test SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:ada@pivot.test>;tag=rb1',
  'Max-Forwards: 70',
  'Call-ID: regbadct.1t2y3u@198.51.100.49',
  'CSeq: 15 REGISTER',
  'Via: SIP/2.0/UDP 198.51.100.49;branch=z9hG4bKrbct',
  'Contact: sip:ada@198.51.100.49?Subject=lunch%20plans',
  'l: 0',
]);

const badaspec = sip([
  'OPTIONS sip:charles@example.test SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.50;branch=z9hG4bKbasp',
  'Max-Forwards: 70',
  'From: "Lovelace, Ada" <sip:ada@pivot.test>;tag=ba1',
  'To: "Babbage, Charles" < sip:charles@example.test >',
  'Call-ID: badaspec.4i5o6p@198.51.100.50',
  'CSeq: 16 OPTIONS',
  'l: 0',
]);

const baddn = sip([
  'OPTIONS sip:charles@example.test SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.51;branch=z9hG4bKbdn1',
  'Max-Forwards: 70',
  'From: Lovelace, Ada <sip:ada@pivot.test>;tag=dn1',
  'To: Charles [Babbage] <sip:charles@example.test>',
  'Call-ID: baddn.7a8s9d@198.51.100.51',
  'CSeq: 18 OPTIONS',
  'l: 0',
]);

const badvers = sip([
  'OPTIONS sip:ada@pivot.test SIP/7.0',
  'Via: SIP/7.0/UDP 198.51.100.52;branch=z9hG4bKbver',
  'Max-Forwards: 70',
  'From: <sip:probe@example.test>;tag=bv1',
  'To: <sip:ada@pivot.test>',
  'Call-ID: badvers.0f1g2h@198.51.100.52',
  'CSeq: 19 OPTIONS',
  'l: 0',
]);

const mismatch01 = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=mm1',
  'Max-Forwards: 70',
  'Call-ID: mismatch01.3j4k5l@198.51.100.53',
  'CSeq: 7 SUBSCRIBE',
  'Via: SIP/2.0/UDP 198.51.100.53;branch=z9hG4bKmm01',
  'l: 0',
]);

const MISMATCH02_BODY = 'frobnicate the widget\r\n';
const mismatch02 = sip(
  [
    'FROBNICATE sip:ada@pivot.test SIP/2.0',
    'To: <sip:ada@pivot.test>',
    'From: <sip:probe@example.test>;tag=mm2',
    'Max-Forwards: 70',
    'Call-ID: mismatch02.6z7x8c@198.51.100.54',
    'CSeq: 11 OPTIONS',
    'Via: SIP/2.0/UDP 198.51.100.54;branch=z9hG4bKmm02',
    'Content-Type: text/plain',
    `Content-Length: ${len(MISMATCH02_BODY)}`,
  ],
  MISMATCH02_BODY,
);

/** 2**32 + 200: a code that wraps to 200 in 32-bit arithmetic. */
const bigcode = sip([
  'SIP/2.0 4294967496 A code that wraps to OK',
  'Via: SIP/2.0/UDP 198.51.100.55;branch=z9hG4bKbig1',
  'To: <sip:ada@pivot.test>;tag=bc2',
  'From: <sip:bob@example.test>;tag=bc1',
  'Call-ID: bigcode.9v0b1n@198.51.100.55',
  'CSeq: 20 INVITE',
  'Content-Length: 0',
]);

// ---- §3.2 transaction layer ----

const badbranch = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.56;branch=z9hG4bK',
  'Max-Forwards: 70',
  'From: <sip:probe@example.test>;tag=bb1',
  'To: <sip:ada@pivot.test>',
  'Call-ID: badbranch.2m3q4w@198.51.100.56',
  'CSeq: 22 OPTIONS',
  'l: 0',
]);

// ---- §3.3 application layer ----

const insuf = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.57;branch=z9hG4bKinsf',
    'To: <sip:ada@pivot.test>',
    'Contact: <sip:caller@198.51.100.57>',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

const unkscm = sip([
  'OPTIONS zorblat:whoKnows;what=this/means SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=us1',
  'Max-Forwards: 70',
  'Call-ID: unkscm.5e6r7t@198.51.100.58',
  'CSeq: 23 OPTIONS',
  'Via: SIP/2.0/UDP 198.51.100.58;branch=z9hG4bKunks',
  'l: 0',
]);

const novelsc = sip([
  'OPTIONS coap+tcp://198.51.100.59:5683/voice SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=nv1',
  'Max-Forwards: 70',
  'Call-ID: novelsc.8y9u0i@198.51.100.59',
  'CSeq: 24 OPTIONS',
  'Via: SIP/2.0/UDP 198.51.100.59;branch=z9hG4bKnovl',
  'l: 0',
]);

const unksm2 = sip([
  'REGISTER sip:registrar.pivot.test SIP/2.0',
  'To: urn:ietf:params:pivot:ada',
  'From: <https://www.pivot.test/ada>;tag=uk2m',
  'Max-Forwards: 70',
  'Call-ID: unksm2.1o2p3a@198.51.100.60',
  'CSeq: 25 REGISTER',
  'Via: SIP/2.0/UDP 198.51.100.60;branch=z9hG4bKuks2',
  'Contact: <gopher://burrow.example.test/1ada>',
  'l: 0',
]);

const bext01 = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=bx1',
  'Max-Forwards: 70',
  'Call-ID: bext01.4s5d6f@198.51.100.61',
  'Require: timer, x-pivot-unheard-of',
  'CSeq: 26 OPTIONS',
  'Via: SIP/2.0/TLS 198.51.100.61;branch=z9hG4bKbx01',
  'Proxy-Require: x-pivot-proxy-magic',
  'Require: nobody-implements-this',
  'l: 0',
]);

const INVUT_BODY = '{"codec":"opus","ptime":20}\r\n';
const invut = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Contact: <sip:caller@198.51.100.62>',
    'To: <sip:ada@pivot.test>',
    'From: <sip:caller@example.test>;tag=iu1',
    'Max-Forwards: 70',
    'Call-ID: invut.7g8h9j@198.51.100.62',
    'CSeq: 27 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.62;branch=z9hG4bKinvu',
    'Content-Type: application/x-pivot-mystery',
    `Content-Length: ${len(INVUT_BODY)}`,
  ],
  INVUT_BODY,
);

const regaut01 = sip([
  'REGISTER sip:registrar.pivot.test SIP/2.0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:ada@pivot.test>;tag=ra1',
  'Max-Forwards: 70',
  'Call-ID: regaut01.0k1l2z@198.51.100.63',
  'CSeq: 28 REGISTER',
  'Via: SIP/2.0/UDP 198.51.100.63;branch=z9hG4bKrga1',
  'Authorization: PivotImaginaryScheme blob=c2VjcmV0, hint=nothing-here',
  'l: 0',
]);

const multi01 = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.64;branch=z9hG4bKmul1',
    'Max-Forwards: 70',
    'Call-ID: multi01.3x4c5v@198.51.100.64',
    'To: <sip:ada@pivot.test>',
    'CSeq: 29 INVITE',
    'From: <sip:caller@example.test>;tag=mu1',
    'Call-ID: multi01.6b7n8m@198.51.100.65',
    'To: <sip:charles@example.test>',
    'f: <sip:caller@pivot.test>;tag=mu2',
    'Contact: <sip:caller@198.51.100.64>',
    'Max-Forwards: 69',
    'CSeq: 30 INVITE',
    'Content-Type: application/sdp',
    `l: ${len(SDP)}`,
  ],
  SDP,
);

const mcl01 = sip(
  [
    'OPTIONS sip:ada@pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.66;branch=z9hG4bKmcl1',
    'To: <sip:ada@pivot.test>',
    'From: <sip:probe@example.test>;tag=mc1',
    'Call-ID: mcl01.9q0w1e@198.51.100.66',
    'Max-Forwards: 70',
    'CSeq: 31 OPTIONS',
    'Content-Length: 12',
    'Content-Type: text/plain',
    'l: 41',
  ],
  'twelve bytes and then some more to confuse\r\n',
);

const bcast = sip([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 198.51.100.67;branch=z9hG4bKbc01',
  'Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKbc02',
  'From: <sip:ada@pivot.test>;tag=bc3',
  'To: <sip:bob@example.test>;tag=bc4',
  'Call-ID: bcast.u7y6t5@198.51.100.67',
  'CSeq: 3 OPTIONS',
  'Content-Length: 0',
]);

const zeromf = sip([
  'OPTIONS sip:ada@pivot.test SIP/2.0',
  'Call-ID: zeromf.2r3t4y@198.51.100.68',
  'CSeq: 32 OPTIONS',
  'Via: SIP/2.0/UDP 198.51.100.68;branch=z9hG4bKzmf1',
  'Max-Forwards: 0',
  'To: <sip:ada@pivot.test>',
  'From: <sip:probe@example.test>;tag=zm1',
  'l: 0',
]);

function register(callId: string, branch: string, contact: string): Buffer {
  return sip([
    'REGISTER sip:registrar.pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP gw3.example.test;branch=' + branch,
    'Max-Forwards: 70',
    'From: <sip:+12025550143@pivot.test>;tag=' + branch.slice(-4),
    'To: <sip:+12025550143@pivot.test>',
    `Call-ID: ${callId}`,
    'CSeq: 33 REGISTER',
    `Contact: ${contact}`,
    'l: 0',
  ]);
}

const cparam01 = register(
  'cparam01.5u6i7o@gw3.example.test',
  'z9hG4bKcp01',
  'sip:+12025550143@gw3.example.test;mysteryflag',
);
const cparam02 = register(
  'cparam02.8p9a0s@gw3.example.test',
  'z9hG4bKcp02',
  '<sip:+12025550143@gw3.example.test;mysteryflag>',
);
const regescrt = register(
  'regescrt.1d2f3g@gw3.example.test',
  'z9hG4bKresc',
  '<sip:ada@198.51.100.69?Route=%3Csip:edge.pivot.test%3E>',
);

const sdp01 = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'To: <sip:ada@pivot.test>',
    'From: <sip:caller@example.test>;tag=sd1',
    'Max-Forwards: 70',
    'Call-ID: sdp01.4h5j6k@198.51.100.71',
    'CSeq: 34 INVITE',
    'Via: SIP/2.0/UDP 198.51.100.71;branch=z9hG4bKsdp1',
    'Accept: application/x-pivot-nothing',
    'Contact: <sip:caller@198.51.100.71>',
    'Content-Type: application/sdp',
    `Content-Length: ${len(SDP)}`,
  ],
  SDP,
);

// ---- §3.4 backward compatibility ----

/** The body of 3.4.1, which has no Content-Length: the rest of the datagram. */
export const SDP_2543 =
  'v=0\r\n' +
  'o=legacy 1 1 IN IP4 203.0.113.5\r\n' +
  's=-\r\n' +
  'c=IN IP4 203.0.113.5\r\n' +
  't=0 0\r\n' +
  'm=audio 30000 RTP/AVP 0\r\n';
const inv2543 = sip(
  [
    'INVITE sip:ada@pivot.test SIP/2.0',
    'Via: SIP/2.0/UDP gw2543.example.test:5060',
    'From: <sip:+13125550199@gw2543.example.test;user=phone>',
    'To: sip:ada@pivot.test;user=phone',
    'Call-ID: inv2543.5f4e3d2c@gw2543.example.test',
    'CSeq: 1 INVITE',
    'Record-Route: <sip:gw2543.example.test;maddr=ss2.pivot.test>',
    'Content-Type: application/sdp',
  ],
  SDP_2543,
);

// ---- the set ----

function entry(id: string, title: string, kind: TortureKind, bytes: Buffer): TortureMessage {
  return { id, title, kind, bytes };
}

/** The 49 messages in RFC 4475 order. */
export const MESSAGES: readonly TortureMessage[] = [
  entry('3.1.1.1 wsinv', 'INVITE with odd casing, compact names, tabs and folding everywhere', 'valid', wsinv),
  entry('3.1.1.2 intmeth', 'every token character, quoted control characters and UTF-8', 'valid', intmeth),
  entry('3.1.1.3 esc01', 'percent-escaped user parts and parameters', 'valid', esc01),
  entry('3.1.1.4 escnull', '%00 in URI user parts', 'valid', escnull),
  entry('3.1.1.5 esc02', 'percent signs that are not escapes', 'valid', esc02),
  entry('3.1.1.6 lwsdisp', 'display name directly followed by <', 'valid', lwsdisp),
  entry('3.1.1.7 longreq', 'very long values and many header lines', 'valid', longreq),
  entry('3.1.1.8 dblreq', 'a second request after the end of the first in one datagram', 'valid', dblreq),
  entry('3.1.1.9 semiuri', 'parameters inside the Request-URI user part', 'valid', semiuri),
  entry('3.1.1.10 transports', 'Via values with known and unknown transports', 'valid', transports),
  entry('3.1.1.11 mpart01', 'multipart body with a binary part', 'valid', mpart01),
  entry('3.1.1.12 unreason', 'non-ASCII reason phrase', 'valid', unreason),
  entry('3.1.1.13 noreason', 'empty reason phrase', 'valid', noreason),
  entry('3.1.2.1 badinv01', 'empty parameters and stray commas in Via and Contact', 'invalid', badinv01),
  entry('3.1.2.2 clerr', 'Content-Length beyond the end of the datagram', 'invalid', clerr),
  entry('3.1.2.3 ncl', 'negative Content-Length', 'invalid', ncl),
  entry('3.1.2.4 scalar02', 'request numbers too large for their fields', 'invalid', scalar02),
  entry('3.1.2.5 scalarlg', 'response numbers too large for their fields', 'invalid', scalarlg),
  entry('3.1.2.6 quotbal', 'display name quote never closed', 'invalid', quotbal),
  entry('3.1.2.7 ltgtruri', 'Request-URI in angle brackets', 'invalid', ltgtruri),
  entry('3.1.2.8 lwsruri', 'whitespace inside the Request-URI', 'invalid', lwsruri),
  entry('3.1.2.9 lwsstart', 'several spaces between Request-Line elements', 'invalid', lwsstart),
  entry('3.1.2.10 trws', 'spaces after the SIP version', 'invalid', trws),
  entry('3.1.2.11 escruri', 'URI headers in the Request-URI', 'invalid', escruri),
  entry('3.1.2.12 baddate', 'Date in a zone other than GMT', 'invalid', baddate),
  entry('3.1.2.13 regbadct', 'Contact URI with headers outside angle brackets', 'invalid', regbadct),
  entry('3.1.2.14 badaspec', 'spaces around the URI inside angle brackets', 'invalid', badaspec),
  entry('3.1.2.15 baddn', 'unquoted display names with non-token characters', 'invalid', baddn),
  entry('3.1.2.16 badvers', 'SIP/7.0', 'invalid', badvers),
  entry('3.1.2.17 mismatch01', 'CSeq method differs from the request method', 'invalid', mismatch01),
  entry('3.1.2.18 mismatch02', 'unknown method with a different CSeq method', 'invalid', mismatch02),
  entry('3.1.2.19 bigcode', 'status code of ten digits', 'invalid', bigcode),
  entry('3.2.1 badbranch', 'branch that is only the magic cookie', 'transaction', badbranch),
  entry('3.3.1 insuf', 'mandatory header fields missing', 'application', insuf),
  entry('3.3.2 unkscm', 'Request-URI of an unknown scheme', 'application', unkscm),
  entry('3.3.3 novelsc', 'Request-URI of a registered non-SIP scheme', 'application', novelsc),
  entry('3.3.4 unksm2', 'non-SIP URIs in To, From and Contact', 'application', unksm2),
  entry('3.3.5 bext01', 'unsupported Require and Proxy-Require tags', 'application', bext01),
  entry('3.3.6 invut', 'body of an unknown Content-Type', 'application', invut),
  entry('3.3.7 regaut01', 'Authorization with an unknown scheme', 'application', regaut01),
  entry('3.3.8 multi01', 'single-valued header fields repeated', 'application', multi01),
  entry('3.3.9 mcl01', 'two different Content-Length values', 'application', mcl01),
  entry('3.3.10 bcast', '200 OK whose second Via is the broadcast address', 'application', bcast),
  entry('3.3.11 zeromf', 'OPTIONS with Max-Forwards 0', 'application', zeromf),
  entry('3.3.12 cparam01', 'REGISTER Contact addr-spec with a header parameter', 'application', cparam01),
  entry('3.3.13 cparam02', 'REGISTER Contact with a URI parameter inside <>', 'application', cparam02),
  entry('3.3.14 regescrt', 'REGISTER Contact URI carrying an escaped Route', 'application', regescrt),
  entry('3.3.15 sdp01', 'SDP offer to a sender that accepts only something else', 'application', sdp01),
  entry(
    '3.4.1 inv2543',
    'RFC 2543 INVITE: no branch cookie, tag, Max-Forwards or Content-Length',
    'compatibility',
    inv2543,
  ),
];

/** The bytes of a message by short name (`wsinv`), as a fresh copy. */
export function torture(name: string): Buffer {
  const m = MESSAGES.find((x) => x.id.endsWith(' ' + name));
  if (!m) throw new Error(`no torture message ${name}`);
  return Buffer.from(m.bytes);
}
