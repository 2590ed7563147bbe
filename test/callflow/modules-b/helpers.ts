// Helpers for the bridging/conference/voicemail module tests.

import { ScriptedCall, type ScriptedCallInit } from '../../../src/call/scripted.js';
import type { DialOptions, MediaSource } from '../../../src/call/types.js';
import type { FlowNode } from '../../../src/callflow/types.js';
import type { Harness } from '../../helpers/callflow.js';

/** A child node that plays a distinct media id, so the branch taken shows in the timeline. */
export function play(id: string, children?: Record<string, FlowNode>): FlowNode {
  return { module: 'play', data: { id }, ...(children ? { children } : {}) };
}

/** Media ids played, in order. */
export function played(call: ScriptedCall): string[] {
  return call
    .entries('play')
    .map((e) => e.source as MediaSource)
    .filter((s): s is Extract<MediaSource, { kind: 'media' }> => s.kind === 'media')
    .map((s) => s.id);
}

export function said(call: ScriptedCall): string[] {
  return call.entries('say').map((e) => String(e.text));
}

/** Like `harness.run`, with channel variables set first (e.g. `device_id` of the calling device). */
export async function runCall(
  h: Harness,
  flow: FlowNode,
  init: ScriptedCallInit = {},
  vars: Record<string, string> = {},
  setup?: (call: ScriptedCall) => void,
): Promise<ScriptedCall> {
  const call = new ScriptedCall({ accountId: h.accountId, ...init });
  for (const [k, v] of Object.entries(vars)) call.vars.set(k, v);
  setup?.(call);
  try {
    await h.executor.run(call, flow);
  } finally {
    call.release();
  }
  return call;
}

/** Every endpoint answers after 1 s and hangs up 5 s later, unless told otherwise. */
export const answers = { answerAfterMs: 1000, hangupAfterMs: 5000 };

/** Records the full options of every dial (the timeline keeps only endpoints, strategy, timeout, caller id). */
export function captureDials(call: ScriptedCall): (DialOptions & Record<string, unknown>)[] {
  const seen: (DialOptions & Record<string, unknown>)[] = [];
  const dial = call.dial.bind(call);
  call.dial = (opts) => {
    seen.push(opts as DialOptions & Record<string, unknown>);
    return dial(opts);
  };
  return seen;
}
