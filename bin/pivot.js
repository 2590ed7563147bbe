#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the TypeScript CLI through tsx so `pivot` works from a checkout without a build step. A 32 MB young
// generation (V8's default is 16) halves the scavenges of a busy server, whose per-call objects live about as long
// as a call: fewer pauses in the signalling path (bench/pivot-cps, README).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/pivot.ts');
