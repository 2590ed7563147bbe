// SIP identifiers from the pooled random source: their shapes, and no repeats across many pool refills.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newBranch, newTag, randomHex } from '../../src/sip/ids.js';

test('tags, branches and hex ids have their shapes and do not repeat across pool refills', () => {
  const seen = new Set<string>();
  // 20 000 draws of 6 to 16 bytes go through the 4 KB pool dozens of times.
  for (let i = 0; i < 5000; i++) {
    const tag = newTag();
    const branch = newBranch();
    const hex = randomHex(16);
    assert.match(tag, /^[0-9a-f]{12}$/);
    assert.match(branch, /^z9hG4bK[A-Za-z0-9_-]{14}$/);
    assert.match(hex, /^[0-9a-f]{32}$/);
    for (const id of [tag, branch, hex]) {
      assert.ok(!seen.has(id), `${id} repeated`);
      seen.add(id);
    }
  }
  assert.match(randomHex(4096), /^[0-9a-f]{8192}$/, 'a draw as large as the pool');
  assert.match(randomHex(5000), /^[0-9a-f]{10000}$/, 'a draw larger than the pool');
});
