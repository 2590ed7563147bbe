// Typed messages between the media engine (main thread) and its workers. Audio never travels in messages: it is
// in prepared prompt files, in RTP sockets owned by the workers, and in shared frame rings between sessions.

import type { Codec } from './g711.js';

export interface RemoteMedia {
  address: string;
  port: number;
  codec: Codec;
  payloadType: number;
  /** RFC 4733 payload type negotiated, if any. */
  dtmfPayloadType?: number;
}

export interface RecordSpec {
  file: string;
  /** `caller`: what the remote party says; `both`: that and what we send, mixed (mono) or left/right (stereo). */
  legs: 'caller' | 'both';
  channels: 1 | 2;
  maxMs: number;
  /** Milliseconds of silence that end the recording; 0 = off. */
  silenceMs: number;
  /** Silence before anything was said that ends the recording (speech input: the Gather timeout); default silenceMs. */
  leadingSilenceMs?: number;
  beep: boolean;
  /** Keys that end the recording. */
  terminators: string;
  trimSilence: boolean;
}

export type Command =
  | {
      t: 'open';
      id: number;
      /** Ports this session may bind (the worker's range). */
      ports: { min: number; max: number };
      host: string;
      remote?: RemoteMedia;
      rx: SharedArrayBuffer;
      tx: SharedArrayBuffer;
      /** Listen for DTMF tones in the audio too (peers without RFC 4733). */
      inbandDtmf: boolean;
      /** End the session when no RTP arrives for this long once media flowed (0 = never). */
      rtpTimeoutMs: number;
      /** Use the spare sockets bound at this port instead of binding now. */
      spare?: number;
    }
  /** Bind an RTP/RTCP pair ahead of time, for a session opened later (answered with `spare` or `spare-failed`). */
  | { t: 'spare'; ports: { min: number; max: number }; host: string }
  | { t: 'remote'; id: number; remote: RemoteMedia; hold?: boolean }
  | { t: 'play'; id: number; op: number; files: string[]; loop: number; terminators: string }
  | { t: 'stop'; id: number; op: number }
  | { t: 'record'; id: number; op: number; spec: RecordSpec }
  | { t: 'dtmf'; id: number; op: number; digits: string; durationMs: number }
  /** Send what `ring` carries (another leg's rx, or a mixer's output for this session) instead of prompts. */
  | { t: 'source'; id: number; ring: SharedArrayBuffer | null }
  | {
      t: 'mix';
      room: string;
      members: { id: number; rx: SharedArrayBuffer; tx: SharedArrayBuffer; muted: boolean; deaf: boolean }[];
    }
  /** Everyone in the room hears a short beep (entry and exit tones). */
  | { t: 'room-tone'; room: string }
  | { t: 'close'; id: number };

export type PlayEnd = 'done' | 'dtmf' | 'stopped' | 'error';

export type WorkerEvent =
  | { t: 'opened'; id: number; port: number }
  | { t: 'open-failed'; id: number; message: string }
  | { t: 'spare'; port: number }
  | { t: 'spare-failed'; message: string }
  | { t: 'dtmf'; id: number; digit: string; via: 'rfc4733' | 'inband' }
  | { t: 'played'; id: number; op: number; reason: PlayEnd; digit?: string; error?: string }
  | {
      t: 'recorded';
      id: number;
      op: number;
      reason: 'silence' | 'terminator' | 'max_length' | 'stopped' | 'error';
      durationMs: number;
      terminator?: string;
      error?: string;
    }
  | { t: 'dtmf-sent'; id: number; op: number }
  | { t: 'latched'; id: number; address: string; port: number }
  | { t: 'rtp-timeout'; id: number }
  | { t: 'closed'; id: number; stats: SessionStats }
  | { t: 'load'; sessions: number; lateMs: number };

export interface SessionStats {
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number;
}
