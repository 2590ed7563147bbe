// Identifiers of SIP messages and dialogs (tags, Via branches, Call-IDs) drawn from a pool of random bytes:
// randomBytes() enters the CSPRNG once per id (~10 µs each under load, several per call); the pool is refilled
// from it 4 KB at a time. The bytes are the CSPRNG's either way, each used once.

import { randomBytes, randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let used = pool.length;

function draw(bytes: number): number {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += bytes;
  return at;
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  if (bytes > pool.length) return randomBytes(bytes).toString('hex');
  const at = draw(bytes);
  return pool.toString('hex', at, at + bytes);
}

/** A From/To tag (RFC 3261 §19.3: at least 32 random bits; 48 here). */
export function newTag(): string {
  return randomHex(6);
}

/** A random Via branch with the RFC 3261 magic cookie. */
export function newBranch(): string {
  const at = draw(10);
  return `z9hG4bK${pool.toString('base64url', at, at + 10)}`;
}
