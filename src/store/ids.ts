import { randomBytes } from 'node:crypto';

/** A fresh per-account signing key (Twilio's "auth token"): 64 hex characters. */
export function newSigningKey(): string {
  return randomBytes(32).toString('hex');
}

let lastMs = 0;
let seq = 0;

/**
 * A Kazoo-style document id: 32 lowercase hex characters. Unlike Kazoo's (all random) it sorts in creation
 * order within a process: 12 hex of ms, 4 of sequence, 16 random. Lists ordered by (created, id) then show
 * documents made in the same millisecond (a debug request and its response) in the order they were written.
 */
export function newId(): string {
  const now = Date.now();
  if (now <= lastMs) {
    seq = (seq + 1) & 0xffff;
    if (seq === 0) lastMs++; // 65536 ids in one ms: borrow the next ms rather than repeat
  } else {
    lastMs = now;
    seq = 0;
  }
  return lastMs.toString(16).padStart(12, '0') + seq.toString(16).padStart(4, '0') + randomBytes(8).toString('hex');
}
