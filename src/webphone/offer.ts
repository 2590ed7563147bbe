// The browser's SDP offer, checked and narrowed before werift sees it: one audio stream over DTLS-SRTP with ICE
// credentials and gathered candidates (non-trickle), PCMU in it, and only PCMU plus telephone-event/8000 left in
// the m= line. werift matches codecs by MIME type alone, so telephone-event/48000 (Chrome offers both) would be
// accepted too, and the first codec left becomes the sending codec: narrowing the offer settles both. Every refusal
// says what was wrong, for the API's 400.

import { parse, write, type MediaDescription } from 'sdp-transform';

export type PreparedOffer =
  | {
      ok: true;
      /** The offer with only PCMU and telephone-event/8000 left, for werift. */
      sdp: string;
      /** The browser's payload types for PCMU (normally 0) and telephone-event/8000 (none: no RFC 4733). */
      pcmuPt: number;
      telephoneEventPt?: number;
    }
  | { ok: false; rule: string; message: string };

const fail = (rule: string, message: string): PreparedOffer => ({ ok: false, rule, message });

/** Payload types listed on the m= line. */
function payloadTypes(m: MediaDescription): number[] {
  return String(m.payloads ?? '')
    .split(' ')
    .filter((p) => p !== '')
    .map(Number);
}

export function prepareOffer(text: string): PreparedOffer {
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== 'v=0') return fail('sdp', 'not an SDP offer: it must start with v=0');
  const bad = lines.findIndex((l) => !/^[a-z]=/.test(l));
  if (bad !== -1) return fail('sdp', `not an SDP offer: line ${bad + 1} is not type=value`);
  let session;
  try {
    session = parse(lines.join('\r\n') + '\r\n');
  } catch (e) {
    return fail('sdp', `unparsable SDP: ${(e as Error).message}`);
  }
  const media = session.media ?? [];
  if (media.length !== 1 || media[0].type !== 'audio') {
    const kinds = media.map((m) => m.type).join(', ') || 'none';
    return fail('media', `the offer must have exactly one audio stream (it has: ${kinds}); no video or data channel`);
  }
  const m = media[0];
  if (m.port === 0) return fail('media', 'the audio stream of the offer is disabled (port 0)');
  if (!/^UDP\/TLS\/RTP\/SAVPF?$/i.test(m.protocol)) {
    return fail('media', `the offer must be WebRTC's DTLS-SRTP (UDP/TLS/RTP/SAVPF), not ${m.protocol}`);
  }
  if (!(m.fingerprint ?? session.fingerprint)) return fail('dtls', 'the offer has no a=fingerprint (DTLS)');
  if (!(m.iceUfrag ?? session.iceUfrag) || !(m.icePwd ?? session.icePwd)) {
    return fail('ice', 'the offer has no a=ice-ufrag / a=ice-pwd');
  }
  const udp = (m.candidates ?? []).filter((c) => String(c.transport).toLowerCase() === 'udp');
  if (udp.length === 0) {
    return fail(
      'ice',
      'the offer has no UDP ICE candidates: wait for ICE gathering to complete (iceGatheringState "complete") ' +
        'before sending it, signalling here is not trickle',
    );
  }

  const pts = payloadTypes(m);
  const named = (pt: number): { name: string; rate: number } | undefined => {
    const r = m.rtp.find((x) => x.payload === pt);
    if (r) return { name: String(r.codec).toUpperCase(), rate: Number(r.rate ?? 0) };
    return pt === 0 ? { name: 'PCMU', rate: 8000 } : undefined;
  };
  const pcmuPt = pts.find((pt) => named(pt)?.name === 'PCMU' && named(pt)?.rate === 8000);
  if (pcmuPt === undefined) {
    const offered = [...new Set(pts.map((pt) => named(pt)?.name ?? String(pt)))].join(', ');
    return fail(
      'codec',
      `the offer has no PCMU/8000 (G.711 µ-law), the only codec Pivot's web phone speaks (offered: ${offered}); ` +
        "put PCMU in the audio transceiver's codec preferences",
    );
  }
  const tePt = pts.find((pt) => named(pt)?.name === 'TELEPHONE-EVENT' && named(pt)?.rate === 8000);

  const keep = new Set([pcmuPt, ...(tePt !== undefined ? [tePt] : [])]);
  m.payloads = [...keep].join(' ');
  m.rtp = m.rtp.filter((r) => keep.has(r.payload));
  // werift reads codecs from a=rtpmap only: a static PCMU needs its line.
  if (!m.rtp.some((r) => r.payload === pcmuPt)) m.rtp.unshift({ payload: pcmuPt, codec: 'PCMU', rate: 8000 });
  m.fmtp = (m.fmtp ?? []).filter((f) => keep.has(f.payload));
  if (m.rtcpFb) m.rtcpFb = m.rtcpFb.filter((f) => keep.has(Number(f.payload)));
  return { ok: true, sdp: write(session), pcmuPt, ...(tePt !== undefined ? { telephoneEventPt: tePt } : {}) };
}
