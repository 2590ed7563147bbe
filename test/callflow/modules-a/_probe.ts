// Test helper: a fake Pivot service that snapshots the call each time a `pivot` node runs, then takes its `_` child,
// so a test can see what earlier modules left on the call (collections, vars, caller ID, language).

import type { ScriptedCall } from '../../../src/call/scripted.js';
import type { Call, CallerId } from '../../../src/call/types.js';
import type { FlowNode, PivotService } from '../../../src/callflow/types.js';

export interface Snapshot {
  t: number;
  dtmf: Record<string, string>;
  vars: Record<string, string>;
  appVars: Record<string, string>;
  callerId: CallerId;
  language: string;
  buffer: string;
}

export function probe(): { pivot: PivotService; seen: Snapshot[] } {
  const seen: Snapshot[] = [];
  const pivot: PivotService = {
    async run(call: Call) {
      seen.push({
        t: (call as ScriptedCall).world.now,
        dtmf: Object.fromEntries(call.dtmfCollections),
        vars: Object.fromEntries(call.vars),
        appVars: Object.fromEntries(call.appVars),
        callerId: { ...call.callerId },
        language: call.language,
        buffer: call.dtmfBuffer,
      });
      return { kind: 'failed' };
    },
  };
  return { pivot, seen };
}

/** A probe node (a `pivot` node answered by the fake service), optionally followed by `next`. */
export function probeNode(next?: FlowNode): FlowNode {
  return { module: 'pivot', data: { voice_url: 'http://probe.test/' }, ...(next ? { children: { _: next } } : {}) };
}

/** A node that says `text`, so the branch taken shows in the call's timeline. */
export function sayNode(text: string, next?: FlowNode): FlowNode {
  return { module: 'tts', data: { text }, ...(next ? { children: { _: next } } : {}) };
}

export function said(call: ScriptedCall): string[] {
  return call.entries('say').map((e) => String(e.text));
}

/** Link nodes one after the other through their `_` children: chain(a, b, c) runs a, then b, then c. */
export function chain(...nodes: FlowNode[]): FlowNode {
  for (let i = nodes.length - 2; i >= 0; i--)
    nodes[i] = { ...nodes[i], children: { ...nodes[i].children, _: nodes[i + 1] } };
  return nodes[0];
}
