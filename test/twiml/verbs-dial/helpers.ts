// Helpers for the Dial/Enqueue/Leave tests: compile errors by code, and several TwiML calls run in one world.

import assert from 'node:assert/strict';
import { QueueManager } from '../../../src/call/queues.js';
import { ScriptedCall, ScriptedWorld, type ScriptedCallInit } from '../../../src/call/scripted.js';
import type { TwimlError, VerbOutcome } from '../../../src/twiml/types.js';
import { FakeHost, compileTwiml, context, type FakeHostOptions } from '../../helpers/twiml.js';

/** The options `parse` produced for the first verb of a document that must compile. */
export function optionsOf<T>(xml: string): { options: T; warnings: TwimlError[] } {
  const doc = compileTwiml(xml);
  assert.deepEqual(doc.errors, [], 'the document should compile');
  return { options: doc.program[0].options as T, warnings: doc.warnings };
}

/** The one error a document has, checked for its code (and position when given). */
export function errorOf(xml: string, code: number, at?: { line: number; column: number }): TwimlError {
  const { errors } = compileTwiml(xml);
  const found = errors.find((e) => e.code === code);
  assert.ok(found, `expected error ${code}, got ${JSON.stringify(errors)}`);
  if (at) assert.deepEqual({ line: found.line, column: found.column }, at);
  return found;
}

export function warningsOf(xml: string): TwimlError[] {
  const doc = compileTwiml(xml);
  assert.deepEqual(doc.errors, []);
  return doc.warnings;
}

export interface Party {
  call: ScriptedCall;
  host: FakeHost;
  /** The document's outcome; the call is released from the world when it is known. */
  done: Promise<VerbOutcome>;
}

/** A shared world and queue manager for several calls. */
export class World {
  readonly world = new ScriptedWorld();
  readonly queues = new QueueManager(() => this.world.now);

  /** Start running `xml` on a new call of this world, after `delayMs` of virtual time. */
  start(xml: string, init: ScriptedCallInit = {}, hostOpts: FakeHostOptions = {}, delayMs = 0): Party {
    const doc = compileTwiml(xml);
    if (doc.errors.length) throw new Error(`document has errors: ${JSON.stringify(doc.errors)}`);
    const call = new ScriptedCall({ ...init, world: this.world });
    const host = new FakeHost(call, { queues: this.queues, ...hostOpts });
    const done = (async () => {
      try {
        if (delayMs) await call.wait(delayMs);
        const ctx = context(host);
        return await ctx.runVerbs(doc.program, ctx);
      } finally {
        call.release();
      }
    })();
    return { call, host, done };
  }
}

export function requestOf(outcome: VerbOutcome): Extract<VerbOutcome, { kind: 'request' }> {
  assert.equal(outcome.kind, 'request', `expected a request, got ${JSON.stringify(outcome)}`);
  return outcome as Extract<VerbOutcome, { kind: 'request' }>;
}
