// SDP offer/answer (RFC 3264) for G.711 audio (PCMU 0, PCMA 8) with RFC 4733 telephone-event, parsed and written
// with sdp-transform. Pivot answers inbound offers (UAS), writes offers for outbound legs and re-INVITEs (UAC), and
// checks the answers it gets back. Only the first usable audio stream carries media; every other stream is
// answered with port 0. Failures carry a ready-made Warning header value (RFC 3261 §20.43: `code agent "text"`).

import { randomInt } from 'node:crypto';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type Codec = 'PCMU' | 'PCMA';

/** What Pivot offers or accepts on its side of a leg. */
export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6) and port. */
  address: string;
  port: number;
  /** Codecs we accept, in our preference order (used for our offers; answers follow the offerer's order). */
  codecs: Codec[];
  /** Offer/accept RFC 4733 telephone-event. */
  telephoneEvent: boolean;
  /** The packet time we want to receive (a=ptime), default 20. */
  ptime?: number;
  /** o= session id and version: keep the id for the whole dialog and bump the version on every change (§8). */
  sessionId?: string;
  sessionVersion?: number;
  /** What we want to do (sendonly while we hold the far end), default sendrecv. */
  direction?: Direction;
}

/** The media a negotiation settled on, from our point of view. */
export interface NegotiatedMedia {
  codec: Codec;
  payloadType: number;
  /** Payload type of telephone-event/8000 when both sides use it. */
  telephoneEventPt?: number;
  /** Where we send RTP. A remotePort of 0 means the audio stream is disabled (RFC 3264 §8.2). */
  remoteAddress: string;
  remotePort: number;
  /** Packet time to send with: the far end's a=ptime, else 20 ms. */
  ptime: number;
  /** What WE do: the far end's direction reversed, limited by LocalMedia.direction. */
  direction: Direction;
  /** The far end put us on hold: sendonly/inactive, or c=0.0.0.0 (RFC 2543 style, RFC 3264 §8.4). */
  hold: boolean;
}

export type AnswerResult =
  { ok: true; answer: string; media: NegotiatedMedia } | { ok: false; status: 488 | 400; warning: string };

export type ReadAnswerResult = { ok: true; media: NegotiatedMedia } | { ok: false; warning: string };

/** Payload type Pivot uses for telephone-event in its own offers. */
export const TELEPHONE_EVENT_PT = 101;
/** The events Pivot sends and receives (RFC 4733 §3.2: DTMF 0-9 * # A-D and flash). */
export const TELEPHONE_EVENTS = '0-16';
const DEFAULT_PTIME = 20;
const WARN_AGENT = 'pivot';

/** Static payload types of RFC 3551 §6, used when an offer has no a=rtpmap for them. */
const STATIC_PT: Record<number, string> = {
  0: 'PCMU',
  3: 'GSM',
  4: 'G723',
  8: 'PCMA',
  9: 'G722',
  10: 'L16',
  11: 'L16',
  13: 'CN',
  15: 'G728',
  18: 'G729',
};
const CODEC_PT: Record<Codec, number> = { PCMU: 0, PCMA: 8 };
/** Plain RTP profiles we can speak; RTP/AVPF (RFC 4585) is AVP plus optional feedback. */
const PLAIN_RTP = new Set(['RTP/AVP', 'RTP/AVPF']);

/** A Warning header value (RFC 3261 §20.43); the text is a quoted-string. */
export function warning(code: number, text: string): string {
  return `${code} ${WARN_AGENT} "${text.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/** A fresh o= session id (RFC 4566 §5.2: numeric, unique). */
export function newSessionId(): string {
  return String(randomInt(1, 2 ** 47));
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing helpers

type Parsed = { ok: true; sdp: SessionDescription } | { ok: false; reason: string };

/**
 * sdp-transform accepts anything, so first check the lines whose shape we rely on (RFC 4566 §5): v=0 first, every
 * line `x=value`, m= with port and at least one format, c=IN IP4|IP6 with an address.
 */
function parseSdp(text: string): Parsed {
  const lines = text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  if (lines.length === 0) return { ok: false, reason: 'empty SDP body' };
  if (lines[0] !== 'v=0') return { ok: false, reason: `SDP must start with v=0, got "${lines[0].slice(0, 40)}"` };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const where = `line ${i + 1}`;
    if (!/^[a-z]=/.test(l)) return { ok: false, reason: `${where} is not type=value: "${l.slice(0, 40)}"` };
    if (l.startsWith('m=')) {
      const m = /^m=[\w-]+ (\d+)(?:\/\d+)? \S+( \S+)+$/.exec(l);
      if (!m || Number(m[1]) > 65535) return { ok: false, reason: `${where} bad m= line: "${l.slice(0, 60)}"` };
    } else if (l.startsWith('c=') && !/^c=IN IP[46] \S+$/.test(l)) {
      return { ok: false, reason: `${where} bad c= line: "${l.slice(0, 60)}"` };
    }
  }
  if (!lines.some((l) => l.startsWith('o='))) return { ok: false, reason: 'missing o= line' };
  try {
    return { ok: true, sdp: parse(lines.join('\r\n') + '\r\n') };
  } catch (e) {
    return { ok: false, reason: `unparsable SDP: ${(e as Error).message}` };
  }
}

function formats(m: MediaDescription): string[] {
  return String(m.payloads ?? '')
    .split(' ')
    .filter((f) => f !== '');
}

/** Encoding name, clock rate and channels of one payload type: a=rtpmap wins, else the static table. */
function formatOf(m: MediaDescription, pt: number): { name: string; rate: number; channels: number } | undefined {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) return { name: String(map.codec), rate: Number(map.rate ?? 0), channels: Number(map.encoding ?? 1) };
  const name = STATIC_PT[pt];
  return name ? { name, rate: 8000, channels: 1 } : undefined;
}

/** Media-level c= and direction win over session-level ones (RFC 4566 §5.7, RFC 3264 §5.1). */
function effective(sdp: SessionDescription, m: MediaDescription): { address?: string; direction: Direction } {
  return {
    address: (m.connection ?? sdp.connection)?.ip.split('/')[0],
    direction: m.direction ?? sdp.direction ?? 'sendrecv',
  };
}

const sends = (d: Direction): boolean => d === 'sendrecv' || d === 'sendonly';
const receives = (d: Direction): boolean => d === 'sendrecv' || d === 'recvonly';
const toDirection = (send: boolean, recv: boolean): Direction =>
  send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';

/** A far end holds us when it stops receiving, or with the RFC 2543 c=0.0.0.0 (RFC 3264 §8.4). */
const isHold = (d: Direction, address: string | undefined): boolean =>
  d === 'sendonly' || d === 'inactive' || address === '0.0.0.0';

/** Our direction: send only where the far end receives, receive only where it sends (RFC 3264 §6.1). */
function ourDirection(remote: Direction, remoteAddress: string | undefined, local: LocalMedia): Direction {
  const want = local.direction ?? 'sendrecv';
  return toDirection(receives(remote) && remoteAddress !== '0.0.0.0' && sends(want), sends(remote) && receives(want));
}

const validPtime = (p: unknown): p is number =>
  typeof p === 'number' && Number.isInteger(p) && p >= 10 && p <= 120 && p % 10 === 0;

function sessionHeader(local: LocalMedia, timing = { start: 0, stop: 0 }): Omit<SessionDescription, 'media'> {
  const ipVer = local.address.includes(':') ? 6 : 4;
  return {
    version: 0,
    origin: {
      username: 'pivot',
      sessionId: local.sessionId ?? newSessionId(),
      sessionVersion: local.sessionVersion ?? 1,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: 'Pivot',
    connection: { version: ipVer, ip: local.address },
    timing,
  };
}

/** Our audio m= block: the chosen formats with rtpmaps, telephone-event fmtp, ptime and direction. */
function audioBlock(
  local: LocalMedia,
  protocol: string,
  codecs: { pt: number; codec: Codec }[],
  tePt: number | undefined,
  direction: Direction,
): MediaDescription {
  const pts = codecs.map((c) => c.pt);
  const rtp: MediaDescription['rtp'] = codecs.map((c) => ({ payload: c.pt, codec: c.codec, rate: 8000 }));
  const fmtp: MediaDescription['fmtp'] = [];
  if (tePt !== undefined) {
    pts.push(tePt);
    rtp.push({ payload: tePt, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: tePt, config: TELEPHONE_EVENTS });
  }
  return {
    type: 'audio',
    port: local.port,
    protocol,
    payloads: pts.join(' '),
    rtp,
    fmtp,
    ptime: local.ptime ?? DEFAULT_PTIME,
    direction,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Answerer (UAS)

/** Answer an offer (RFC 3264 §6): first codec in the offerer's order that we support, telephone-event echoed. */
export function answerOffer(offerText: string, local: LocalMedia): AnswerResult {
  const parsed = parseSdp(offerText);
  if (!parsed.ok) return { ok: false, status: 400, warning: warning(399, `Malformed SDP: ${parsed.reason}`) };
  const offer = parsed.sdp;

  // Only audio is used; an offer without any audio stream is a media type we cannot take (code 305).
  const audio = offer.media.filter((m) => m.type === 'audio');
  if (audio.length === 0) {
    const types = offer.media.map((m) => m.type).join(', ') || 'no media';
    return { ok: false, status: 488, warning: warning(305, `Incompatible media type: offered ${types}, no audio`) };
  }

  // The first audio stream that is not disabled (port 0, §8.2) and uses plain RTP. SRTP/DTLS-SRTP/ICE offers
  // without an RTP/AVP alternative are refused with 302.
  const active = audio.filter((m) => m.port !== 0);
  const chosen = active.find((m) => PLAIN_RTP.has(m.protocol.toUpperCase()));
  if (active.length > 0 && !chosen) {
    const protos = [...new Set(active.map((m) => m.protocol))].join(', ');
    return {
      ok: false,
      status: 488,
      warning: warning(302, `Incompatible transport protocol: offered ${protos}, Pivot needs RTP/AVP`),
    };
  }

  let media: NegotiatedMedia;
  let answerBlock: MediaDescription | undefined;
  if (chosen) {
    const { address, direction: theirs } = effective(offer, chosen);
    if (!address) return { ok: false, status: 400, warning: warning(399, 'Malformed SDP: no c= line for audio') };

    // §6.1: walk the offerer's formats in its order and take the first one we support.
    const fmts = formats(chosen);
    const pts = fmts.map(Number);
    let pick: { pt: number; codec: Codec } | undefined;
    for (const pt of pts) {
      const f = formatOf(chosen, pt);
      const name = f?.name.toUpperCase();
      if (f && f.rate === 8000 && f.channels === 1 && local.codecs.includes(name as Codec)) {
        pick = { pt, codec: name as Codec };
        break;
      }
    }
    if (!pick) {
      const offered = [...new Set(fmts.map((f) => formatOf(chosen, Number(f))?.name ?? f))].filter(
        (n) => !/^(telephone-event|CN)$/i.test(n),
      );
      const text = `Incompatible media format: offered ${offered.join(', ') || 'none'}; Pivot supports ${local.codecs.join(', ') || 'none'}`;
      return { ok: false, status: 488, warning: warning(304, text) };
    }

    // RFC 4733 §2.4.1: telephone-event at the audio clock (8000), echoed with the offerer's payload type.
    const te = local.telephoneEvent
      ? chosen.rtp.find((r) => /^telephone-event$/i.test(r.codec) && r.rate === 8000 && pts.includes(r.payload))
      : undefined;
    const direction = ourDirection(theirs, address, local);
    media = {
      codec: pick.codec,
      payloadType: pick.pt,
      ...(te ? { telephoneEventPt: te.payload } : {}),
      remoteAddress: address,
      remotePort: chosen.port,
      ptime: validPtime(chosen.ptime) ? chosen.ptime : DEFAULT_PTIME,
      direction,
      hold: isHold(theirs, address),
    };
    answerBlock = audioBlock(local, chosen.protocol, [pick], te?.payload, direction);
  } else {
    // Every audio stream is disabled (port 0): answer them all with port 0 and report the audio as off.
    const first = audio[0];
    const pick = formats(first)
      .map(Number)
      .map((pt) => ({ pt, name: formatOf(first, pt)?.name.toUpperCase() }))
      .find((f) => local.codecs.includes(f.name as Codec));
    const codec = (pick?.name as Codec | undefined) ?? local.codecs[0] ?? 'PCMU';
    media = {
      codec,
      payloadType: pick?.pt ?? CODEC_PT[codec],
      remoteAddress: effective(offer, first).address ?? '',
      remotePort: 0,
      ptime: DEFAULT_PTIME,
      direction: 'inactive',
      hold: false,
    };
  }

  // §6: one answer m= line per offer m= line, same order; all but the chosen one rejected with port 0, keeping
  // the offer's protocol and formats. §6: t= in the answer equals the offer's.
  const answer: SessionDescription = {
    ...sessionHeader(local, offer.timing ?? { start: 0, stop: 0 }),
    media: offer.media.map((m) =>
      m === chosen && answerBlock
        ? answerBlock
        : { type: m.type, port: 0, protocol: m.protocol, payloads: String(m.payloads ?? ''), rtp: [], fmtp: [] },
    ),
  };
  return { ok: true, answer: write(answer), media };
}

// ---------------------------------------------------------------------------------------------------------------
// Offerer (UAC)

/** Our offer for an outbound leg or a re-INVITE: our codecs in our order, telephone-event 101, ptime, direction. */
export function createOffer(local: LocalMedia): string {
  const codecs = local.codecs.map((codec) => ({ pt: CODEC_PT[codec], codec }));
  const te = local.telephoneEvent ? TELEPHONE_EVENT_PT : undefined;
  const block = audioBlock(local, 'RTP/AVP', codecs, te, local.direction ?? 'sendrecv');
  return write({ ...sessionHeader(local), media: [block] });
}

/**
 * A re-INVITE offer that holds (a=sendonly) or resumes (a=sendrecv) the far end (RFC 3264 §8.4), with the o=
 * version bumped (§8). Returns the offer and the LocalMedia to keep for the next change.
 */
export function holdOffer(local: LocalMedia, hold: boolean): { offer: string; local: LocalMedia } {
  const next: LocalMedia = {
    ...local,
    sessionId: local.sessionId ?? newSessionId(),
    sessionVersion: (local.sessionVersion ?? 1) + 1,
    direction: hold ? 'sendonly' : 'sendrecv',
  };
  return { offer: createOffer(next), local: next };
}

/** Whether an offer (typically a re-INVITE) puts us on hold: its first active audio stream is sendonly/inactive or
 * has c=0.0.0.0. Unparsable SDP is not a hold. */
export function isHoldOffer(offerText: string): boolean {
  const parsed = parseSdp(offerText);
  if (!parsed.ok) return false;
  const m = parsed.sdp.media.find((x) => x.type === 'audio' && x.port !== 0);
  if (!m) return false;
  const { address, direction } = effective(parsed.sdp, m);
  return isHold(direction, address);
}

/** Check the answer to one of our offers (RFC 3264 §6.1): audio accepted with a codec we offered, under the payload
 * type we offered it with. */
export function readAnswer(answerText: string, offer: LocalMedia): ReadAnswerResult {
  const parsed = parseSdp(answerText);
  if (!parsed.ok) return { ok: false, warning: warning(399, `Malformed SDP answer: ${parsed.reason}`) };
  const answer = parsed.sdp;
  const m = answer.media[0];
  if (!m || m.type !== 'audio') return { ok: false, warning: warning(305, 'Answer has no audio stream') };
  if (m.port === 0) return { ok: false, warning: warning(304, 'Answer rejected the audio stream (port 0)') };
  if (!PLAIN_RTP.has(m.protocol.toUpperCase())) {
    return { ok: false, warning: warning(302, `Incompatible transport protocol in answer: ${m.protocol}`) };
  }
  const { address, direction: theirs } = effective(answer, m);
  if (!address) return { ok: false, warning: warning(399, 'Malformed SDP answer: no c= line for audio') };

  // The answer's formats must be ones we offered, with our payload types; take the first such voice codec.
  const fmts = formats(m);
  const pts = fmts.map(Number);
  let pick: { pt: number; codec: Codec } | undefined;
  for (const pt of pts) {
    const name = formatOf(m, pt)?.name.toUpperCase();
    const codec = offer.codecs.find((c) => c === name && CODEC_PT[c] === pt);
    if (codec) {
      pick = { pt, codec };
      break;
    }
  }
  if (!pick) {
    const answered = fmts.map((f) => formatOf(m, Number(f))?.name ?? f).join(', ');
    return {
      ok: false,
      warning: warning(304, `Answer picked a codec we did not offer: ${answered}; offered ${offer.codecs.join(', ')}`),
    };
  }
  const te = offer.telephoneEvent
    ? m.rtp.find((r) => /^telephone-event$/i.test(r.codec) && r.rate === 8000 && pts.includes(r.payload))
    : undefined;
  return {
    ok: true,
    media: {
      codec: pick.codec,
      payloadType: pick.pt,
      ...(te ? { telephoneEventPt: te.payload } : {}),
      remoteAddress: address,
      remotePort: m.port,
      ptime: validPtime(m.ptime) ? m.ptime : DEFAULT_PTIME,
      direction: ourDirection(theirs, address, offer),
      hold: isHold(theirs, address),
    },
  };
}
