// A media worker: owns the RTP sockets of its sessions and one drift-free 20 ms scheduler. Each tick, every
// session publishes what it received (decoded to L16) in its rx ring, sends one packet (DTMF, or audio from a
// prompt, another leg or a mixer, or silence), feeds its recorder, and every conference room hosted here mixes.
// Nothing on this path allocates per packet: buffers and frames are preallocated per session.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { DtmfReceiver, DtmfSender, readTelephoneEvent } from './dtmf.js';
import { FRAME_SAMPLES, FrameRing } from './frame-ring.js';
import { ALAW_TO_L16, L16_TO_ALAW, L16_TO_ULAW, ULAW_TO_L16, ulawToAlaw, type Codec } from './g711.js';
import { InbandDtmfDetector } from './goertzel.js';
import { mixInto, mixMinus } from './mixer.js';
import type { Command, RecordSpec, RemoteMedia, WorkerEvent } from './protocol.js';
import { Recorder } from './recorder.js';
import { RtpReceiveStats, emptyReportBlock, writeSenderReport } from './rtcp.js';
import { RtpHeader, isRtcp, readRtp, writeRtp, type RtpFields } from './rtp.js';
import { DriftFreeScheduler } from './scheduler.js';

const port = parentPort!;
const emit = (e: WorkerEvent): void => port.postMessage(e);

/** µ-law silence and a 500 ms 440 Hz beep (played before a recording starts). */
const ULAW_SILENCE = 0xff;
const BEEP = (() => {
  const b = new Uint8Array(4000);
  for (let i = 0; i < b.length; i++)
    b[i] = L16_TO_ULAW[Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)) & 0xffff];
  return b;
})();

/** Prompt files read once per worker (they are small 8 kHz µ-law files from the prompt cache). */
const promptCache = new Map<string, Uint8Array>();
function prompt(path: string): Uint8Array {
  let data = promptCache.get(path);
  if (!data) {
    data = new Uint8Array(readFileSync(path));
    if (promptCache.size > 256) promptCache.delete(promptCache.keys().next().value!);
    promptCache.set(path, data);
  }
  return data;
}

interface Playback {
  op: number;
  files: Uint8Array[];
  index: number;
  offset: number;
  loopsLeft: number;
  terminators: string;
}

/** A few decoded frames waiting for their tick: enough to absorb scheduling jitter between arrival and tick. */
const JITTER_SLOTS = 4;

class Session {
  readonly rx: FrameRing;
  readonly tx: FrameRing;
  remote?: RemoteMedia;
  hold = false;
  latched?: { address: string; port: number };
  connected = false;
  lastRtpAt = 0;
  rtpTimedOut = false;
  playback?: Playback;
  recorder?: Recorder;
  recordOp = 0;
  source?: FrameRing;
  sourceCursor = { pos: 0 };
  dtmfOut?: { op: number; digits: string; index: number; durationMs: number; gapTicks: number };
  readonly dtmfSender = new DtmfSender();
  readonly dtmfReceiver = new DtmfReceiver();
  readonly inband?: InbandDtmfDetector;
  readonly stats = new RtpReceiveStats();
  readonly header = new RtpHeader();
  // Send state (RFC 3550: random initial sequence, timestamp and SSRC).
  seq = (Math.random() * 0xffff) | 0;
  ts = (Math.random() * 0xffffffff) >>> 0;
  readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  sent = 0;
  /** The packet of the next tick went out early (a prompt started between ticks). */
  sentAhead = false;
  readonly packet = Buffer.alloc(12 + FRAME_SAMPLES);
  private readonly fields: RtpFields = { marker: false, payloadType: 0, sequence: 0, timestamp: 0, ssrc: this.ssrc };
  private readonly rtcpPacket = Buffer.alloc(128);
  private readonly reportBlock = emptyReportBlock();
  /** RTCP every 5 s (250 ticks), from a random tick so sessions don't all report at once. */
  private rtcpCountdown = 1 + Math.floor(Math.random() * 250);
  // Frames reused every tick.
  readonly rxFrame = new Int16Array(FRAME_SAMPLES);
  readonly txFrame = new Int16Array(FRAME_SAMPLES);
  private readonly jitter = Array.from({ length: JITTER_SLOTS }, () => new Int16Array(FRAME_SAMPLES));
  private jitterHead = 0;
  private jitterCount = 0;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly rtcpSocket: Socket,
    readonly localPort: number,
    cmd: Extract<Command, { t: 'open' }>,
  ) {
    this.rx = new FrameRing(cmd.rx);
    this.tx = new FrameRing(cmd.tx);
    this.remote = cmd.remote;
    if (cmd.inbandDtmf) this.inband = new InbandDtmfDetector();
    this.rtpTimeoutMs = cmd.rtpTimeoutMs;
  }
  readonly rtpTimeoutMs: number;

  get codec(): Codec {
    return this.remote?.codec ?? 'PCMU';
  }

  /** A packet from the network (socket handler). */
  receive(msg: Buffer, rinfo: RemoteInfo, now: number): void {
    if (isRtcp(msg)) return;
    const h = this.header;
    if (!readRtp(msg, msg.length, h)) return;
    // Symmetric RTP: latch onto the first source; after that, packets from elsewhere are ignored.
    if (!this.latched) {
      this.latched = { address: rinfo.address, port: rinfo.port };
      // A connected socket sends synchronously (no per-packet address lookup, so the reused packet buffer is safe
      // even when late ticks run back to back) and the kernel drops packets from any other source.
      this.socket.connect(rinfo.port, rinfo.address, () => (this.connected = true));
      emit({ t: 'latched', id: this.id, address: rinfo.address, port: rinfo.port });
    } else if (this.latched.port !== rinfo.port || this.latched.address !== rinfo.address) {
      return;
    }
    this.lastRtpAt = now;
    this.stats.update(h.sequence, h.timestamp, now, 8000, h.ssrc);
    if (this.remote?.dtmfPayloadType !== undefined && h.payloadType === this.remote.dtmfPayloadType) {
      const ev = readTelephoneEvent(msg, h.payloadOffset);
      const digit = this.dtmfReceiver.feed(h.timestamp, ev.event, ev.end, ev.duration, now, h.marker);
      if (digit) this.digit(digit, 'rfc4733');
      return;
    }
    const table = h.payloadType === 0 ? ULAW_TO_L16 : h.payloadType === 8 ? ALAW_TO_L16 : undefined;
    if (!table) return;
    if (this.jitterCount === JITTER_SLOTS) {
      // Too many frames waiting: drop the oldest (the peer sends faster than our clock, or a burst arrived).
      this.jitterHead = (this.jitterHead + 1) % JITTER_SLOTS;
      this.jitterCount--;
    }
    const slot = this.jitter[(this.jitterHead + this.jitterCount) % JITTER_SLOTS];
    const n = Math.min(FRAME_SAMPLES, h.payloadLength);
    for (let i = 0; i < n; i++) slot[i] = table[msg[h.payloadOffset + i]];
    for (let i = n; i < FRAME_SAMPLES; i++) slot[i] = 0;
    this.jitterCount++;
  }

  digit(digit: string, via: 'rfc4733' | 'inband'): void {
    emit({ t: 'dtmf', id: this.id, digit, via });
    const p = this.playback;
    if (p && p.terminators.includes(digit)) {
      this.playback = undefined;
      emit({ t: 'played', id: this.id, op: p.op, reason: 'dtmf', digit });
    }
    if (this.recorder?.terminators.includes(digit)) void this.finishRecording('terminator', digit);
  }

  /** The frame received for this tick into rxFrame (silence when none arrived). */
  private takeReceived(): boolean {
    if (this.jitterCount === 0) {
      this.rxFrame.fill(0);
      return false;
    }
    this.rxFrame.set(this.jitter[this.jitterHead]);
    this.jitterHead = (this.jitterHead + 1) % JITTER_SLOTS;
    this.jitterCount--;
    return true;
  }

  tick(now: number): void {
    // A digit whose End packets were all lost is reported once the events stop.
    const lost = this.dtmfReceiver.flush(now);
    if (lost) this.digit(lost, 'rfc4733');
    const got = this.takeReceived();
    this.rx.write(this.rxFrame);
    if (got && this.inband) {
      const d = this.inband.push(this.rxFrame, FRAME_SAMPLES);
      if (d) this.digit(d, 'inband');
    }
    if (this.sentAhead) this.sentAhead = false;
    else this.sendOne();
    if (--this.rtcpCountdown === 0) {
      this.rtcpCountdown = 250;
      this.sendReport(now);
    }
    if (this.recorder) {
      const reason = this.recorder.push(this.rxFrame, this.txFrame);
      if (reason) void this.finishRecording(reason);
    }
    if (this.rtpTimeoutMs && this.lastRtpAt && !this.rtpTimedOut && now - this.lastRtpAt > this.rtpTimeoutMs) {
      this.rtpTimedOut = true;
      emit({ t: 'rtp-timeout', id: this.id });
    }
  }

  /** One packet: DTMF events win over audio; audio comes from a ring (bridge, mixer), a prompt, or silence. */
  private sendOne(): void {
    const dest = this.latched ?? this.remote;
    const payload = this.packet;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    if (this.dtmfOut && this.remote?.dtmfPayloadType !== undefined && dest && !this.hold) {
      const p = this.dtmfSender.nextPacket(payload, 12);
      if (p) {
        this.writeHeader(p.marker, this.remote.dtmfPayloadType, p.timestamp);
        this.transmit(12 + p.length, dest);
        this.sent++;
        if (p.last) this.nextDigit();
        this.txFrame.fill(0);
        return;
      }
    }
    if (this.dtmfOut && !this.dtmfSender.active) this.nextDigit();
    const pcma = this.codec === 'PCMA';
    if (this.source) {
      if (!this.source.read(this.sourceCursor, this.txFrame)) this.txFrame.fill(0);
      const enc = pcma ? L16_TO_ALAW : L16_TO_ULAW;
      for (let i = 0; i < FRAME_SAMPLES; i++) payload[12 + i] = enc[this.txFrame[i] & 0xffff];
    } else if (this.playback) {
      this.copyPrompt(payload);
      if (pcma) ulawToAlaw(payload, payload, FRAME_SAMPLES, 12, 12);
      if (this.recorder?.needsTx) {
        const dec = pcma ? ALAW_TO_L16 : ULAW_TO_L16;
        for (let i = 0; i < FRAME_SAMPLES; i++) this.txFrame[i] = dec[payload[12 + i]];
      }
    } else {
      payload.fill(pcma ? 0xd5 : ULAW_SILENCE, 12);
      this.txFrame.fill(0);
    }
    if (!dest || this.hold) return;
    this.writeHeader(this.sent === 0, this.remote?.payloadType ?? (pcma ? 8 : 0), this.ts);
    this.transmit(12 + FRAME_SAMPLES, dest);
    this.sent++;
  }

  /** A minimal RTCP sender report (RFC 3550 §6.4.1) with one report block once we have received media. */
  private sendReport(now: number): void {
    const dest = this.latched ?? this.remote;
    if (!dest || this.hold || this.sent === 0) return;
    const snap = this.stats.snapshot();
    const length = writeSenderReport(this.rtcpPacket, {
      ssrc: this.ssrc,
      ntpMs: now,
      rtpTimestamp: this.ts,
      packets: this.sent,
      octets: this.sent * FRAME_SAMPLES,
      ...(snap.received > 0 ? { report: this.stats.report(now, this.reportBlock) } : {}),
      cname: 'pivot',
    });
    this.rtcpSocket.send(this.rtcpPacket, 0, length, dest.port + 1, dest.address);
  }

  private transmit(length: number, dest: { address: string; port: number }): void {
    if (this.connected) this.socket.send(this.packet, 0, length);
    else this.socket.send(this.packet, 0, length, dest.port, dest.address);
  }

  /** Forget the latched source (new SDP from the peer). */
  unlatch(): void {
    this.latched = undefined;
    if (this.connected) {
      this.connected = false;
      this.socket.disconnect();
    }
  }

  /** Write the RTP header of the next packet (fields reused: nothing is allocated per packet). */
  private writeHeader(marker: boolean, payloadType: number, timestamp: number): void {
    const f = this.fields;
    f.marker = marker;
    f.payloadType = payloadType;
    f.sequence = this.nextSeq();
    f.timestamp = timestamp;
    writeRtp(this.packet, f);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** Copy the next 20 ms of the playing prompt (µ-law) into the packet payload, looping or finishing. */
  private copyPrompt(payload: Buffer): void {
    const p = this.playback!;
    let filled = 0;
    while (filled < FRAME_SAMPLES) {
      const file = p.files[p.index];
      if (!file || p.offset >= file.length) {
        p.index++;
        p.offset = 0;
        if (p.index >= p.files.length) {
          if (p.loopsLeft > 1 || p.loopsLeft === 0) {
            if (p.loopsLeft > 1) p.loopsLeft--;
            p.index = 0;
            if (p.files.every((f) => f.length === 0)) break;
            continue;
          }
          break;
        }
        continue;
      }
      const n = Math.min(FRAME_SAMPLES - filled, file.length - p.offset);
      for (let i = 0; i < n; i++) payload[12 + filled + i] = file[p.offset + i];
      p.offset += n;
      filled += n;
    }
    if (filled < FRAME_SAMPLES) {
      payload.fill(ULAW_SILENCE, 12 + filled, 12 + FRAME_SAMPLES);
      this.playback = undefined;
      emit({ t: 'played', id: this.id, op: p.op, reason: 'done' });
    }
  }

  /**
   * A prompt that starts while the session sends silence goes out at once instead of at the next tick, and that
   * tick sends nothing: the packet is simply the next one sent early (same sequence and timestamp), so the stream
   * keeps its rate and only this packet arrives ahead of its time. This takes up to 20 ms off every answer.
   */
  startPromptNow(msToNextTick: number): void {
    if (this.sentAhead || this.source || this.dtmfOut || this.hold || !(this.latched ?? this.remote)) return;
    if (msToNextTick < 1) return; // the tick is about to send it anyway
    this.sendOne();
    this.sentAhead = true;
  }

  startDtmf(op: number, digits: string, durationMs: number): void {
    if (this.remote?.dtmfPayloadType === undefined) {
      // No RFC 4733 with this peer: the call layer falls back to SIP INFO.
      emit({ t: 'dtmf-sent', id: this.id, op });
      return;
    }
    this.dtmfOut = { op, digits, index: -1, durationMs, gapTicks: 0 };
    this.nextDigit();
  }

  private nextDigit(): void {
    const d = this.dtmfOut!;
    d.index++;
    while (d.index < d.digits.length && /[wW]/.test(d.digits[d.index])) d.index++; // pauses are handled by timing
    if (d.index >= d.digits.length) {
      this.dtmfOut = undefined;
      emit({ t: 'dtmf-sent', id: this.id, op: d.op });
      return;
    }
    this.dtmfSender.start(d.digits[d.index], this.ts, d.durationMs);
  }

  startRecording(op: number, spec: RecordSpec): void {
    void this.finishRecording('stopped');
    this.recordOp = op;
    try {
      this.recorder = new Recorder(spec);
    } catch (err) {
      emit({ t: 'recorded', id: this.id, op, reason: 'error', durationMs: 0, error: (err as Error).message });
      return;
    }
    if (spec.beep) this.playback = { op: -1, files: [BEEP], index: 0, offset: 0, loopsLeft: 1, terminators: '' };
  }

  finishRecording(
    reason: 'silence' | 'terminator' | 'max_length' | 'stopped' | 'error',
    terminator?: string,
  ): Promise<void> {
    const r = this.recorder;
    if (!r) return Promise.resolve();
    this.recorder = undefined;
    const op = this.recordOp;
    return r.finish(reason).then(
      (durationMs) =>
        emit({ t: 'recorded', id: this.id, op, reason, durationMs, ...(terminator ? { terminator } : {}) }),
      (err: Error) => emit({ t: 'recorded', id: this.id, op, reason: 'error', durationMs: 0, error: err.message }),
    );
  }
}

// ---- rooms (conference mixing) ---------------------------------------------------------------------------

interface Member {
  id: number;
  rx: FrameRing;
  tx: FrameRing;
  cursor: { pos: number };
  frame: Int16Array;
  muted: boolean;
  deaf: boolean;
}

const rooms = new Map<string, { members: Member[]; acc: Int32Array; out: Int16Array; toneAt: number }>();

/** The beep as L16, added to every member's mix for entry and exit tones. */
const BEEP_L16 = Int16Array.from(BEEP, (b) => ULAW_TO_L16[b]);

function mixRooms(): void {
  for (const room of rooms.values()) {
    room.acc.fill(0);
    for (const m of room.members) {
      if (!m.rx.read(m.cursor, m.frame)) m.frame.fill(0);
      if (!m.muted) mixInto(room.acc, m.frame, FRAME_SAMPLES);
    }
    const tone = room.toneAt < BEEP_L16.length ? room.toneAt : -1;
    if (tone >= 0) room.toneAt += FRAME_SAMPLES;
    for (const m of room.members) {
      if (m.deaf) room.out.fill(0);
      else mixMinus(room.acc, m.muted ? null : m.frame, room.out, FRAME_SAMPLES);
      if (tone >= 0) {
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          const v = room.out[i] + BEEP_L16[tone + i];
          room.out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      }
      m.tx.write(room.out);
    }
  }
}

// ---- the worker loop --------------------------------------------------------------------------------------

const sessions = new Map<number, Session>();
const scheduler = new DriftFreeScheduler();
let maxLate = 0;
scheduler.onTick = (_n: number, lateMs: number) => {
  if (lateMs > maxLate) maxLate = lateMs;
  const now = Date.now();
  for (const s of sessions.values()) s.tick(now);
  mixRooms();
};
scheduler.start(20);
setInterval(() => {
  emit({ t: 'load', sessions: sessions.size, lateMs: maxLate });
  maxLate = 0;
}, 1000).unref();

/** An even RTP port and the RTCP port above it, from a random start in the range (bounded attempts). */
function bindIn(
  range: { min: number; max: number },
  host: string,
): Promise<{ socket: Socket; rtcp: Socket; port: number }> {
  const base = range.min + (range.min % 2);
  const span = Math.max(0, Math.floor((range.max - base - 1) / 2) + 1);
  const start = Math.floor(Math.random() * span);
  const bind = (p: number): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(p, host, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // a send error (ICMP) must never crash the worker
        resolve(socket);
      });
    });
  return (async () => {
    for (let tries = 0; tries < Math.min(span, 64); tries++) {
      const p = base + ((start + tries) % span) * 2;
      const socket = await bind(p).catch(() => undefined);
      if (!socket) continue;
      const rtcp = await bind(p + 1).catch(() => undefined);
      if (rtcp) return { socket, rtcp, port: p };
      socket.close();
    }
    throw new Error('no free RTP port in the range');
  })();
}

/** RTP/RTCP socket pairs bound ahead of time, by port: a new call's session then opens without waiting. */
const spares = new Map<number, { socket: Socket; rtcp: Socket }>();

async function spare(cmd: Extract<Command, { t: 'spare' }>): Promise<void> {
  try {
    const { socket, rtcp, port: p } = await bindIn(cmd.ports, cmd.host);
    spares.set(p, { socket, rtcp });
    emit({ t: 'spare', port: p });
  } catch (err) {
    emit({ t: 'spare-failed', message: (err as Error).message });
  }
}

async function open(cmd: Extract<Command, { t: 'open' }>): Promise<void> {
  try {
    let bound: { socket: Socket; rtcp: Socket; port: number };
    if (cmd.spare === undefined) bound = await bindIn(cmd.ports, cmd.host);
    else {
      const pair = spares.get(cmd.spare);
      if (!pair) throw new Error(`no spare RTP socket at port ${cmd.spare}`);
      spares.delete(cmd.spare);
      bound = { ...pair, port: cmd.spare };
    }
    const { socket, rtcp, port: localPort } = bound;
    const s = new Session(cmd.id, socket, rtcp, localPort, cmd);
    socket.on('message', (msg, rinfo) => s.receive(msg, rinfo, Date.now()));
    rtcp.on('message', () => undefined); // reports from the peer are not used yet
    sessions.set(cmd.id, s);
    emit({ t: 'opened', id: cmd.id, port: localPort });
  } catch (err) {
    emit({ t: 'open-failed', id: cmd.id, message: (err as Error).message });
  }
}

port.on('message', (cmd: Command) => {
  if (cmd.t === 'open') return void open(cmd);
  if (cmd.t === 'spare') return void spare(cmd);
  if (cmd.t === 'mix') {
    if (!cmd.members.length) return void rooms.delete(cmd.room);
    const old = rooms.get(cmd.room);
    rooms.set(cmd.room, {
      toneAt: old?.toneAt ?? BEEP_L16.length,
      acc: old?.acc ?? new Int32Array(FRAME_SAMPLES),
      out: old?.out ?? new Int16Array(FRAME_SAMPLES),
      members: cmd.members.map((m) => {
        const prev = old?.members.find((x) => x.id === m.id);
        const rx = prev?.rx ?? new FrameRing(m.rx);
        return {
          id: m.id,
          rx,
          tx: prev?.tx ?? new FrameRing(m.tx),
          cursor: prev?.cursor ?? rx.cursor(),
          frame: prev?.frame ?? new Int16Array(FRAME_SAMPLES),
          muted: m.muted,
          deaf: m.deaf,
        };
      }),
    });
    return;
  }
  if (cmd.t === 'room-tone') {
    const room = rooms.get(cmd.room);
    if (room) room.toneAt = 0;
    return;
  }
  const s = sessions.get(cmd.id);
  if (!s) return;
  switch (cmd.t) {
    case 'remote':
      s.remote = cmd.remote;
      s.hold = !!cmd.hold;
      s.unlatch();
      return;
    case 'play': {
      const old = s.playback;
      if (old && old.op >= 0) emit({ t: 'played', id: s.id, op: old.op, reason: 'stopped' });
      try {
        const files = cmd.files.map(prompt);
        s.playback = { op: cmd.op, files, index: 0, offset: 0, loopsLeft: cmd.loop, terminators: cmd.terminators };
        if (!old) s.startPromptNow(scheduler.nextDeadline() - performance.now());
      } catch (err) {
        emit({ t: 'played', id: s.id, op: cmd.op, reason: 'error', error: (err as Error).message });
      }
      return;
    }
    case 'stop':
      if (s.playback?.op === cmd.op) {
        s.playback = undefined;
        emit({ t: 'played', id: s.id, op: cmd.op, reason: 'stopped' });
      }
      if (s.recordOp === cmd.op) void s.finishRecording('stopped');
      return;
    case 'record':
      return s.startRecording(cmd.op, cmd.spec);
    case 'dtmf':
      return s.startDtmf(cmd.op, cmd.digits, cmd.durationMs);
    case 'source':
      s.source = cmd.ring ? new FrameRing(cmd.ring) : undefined;
      s.sourceCursor = s.source ? s.source.cursor() : { pos: 0 };
      return;
    case 'close': {
      // The recording is finished (and reported) before the session is: its duration must not be lost.
      const recorded = s.finishRecording('stopped');
      if (s.playback && s.playback.op >= 0) emit({ t: 'played', id: s.id, op: s.playback.op, reason: 'stopped' });
      sessions.delete(s.id);
      s.socket.close();
      s.rtcpSocket.close();
      const st = s.stats.snapshot();
      void recorded.then(() =>
        emit({
          t: 'closed',
          id: s.id,
          stats: { packetsSent: s.sent, packetsReceived: st.received, packetsLost: st.lost, jitterMs: st.jitterMs },
        }),
      );
      return;
    }
  }
});
