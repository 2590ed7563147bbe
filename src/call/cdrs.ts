// Call detail records: one per leg, written when the leg hangs up (after its recordings are saved), in Kazoo's
// CDR field names plus Pivot's own (`pivot_iterations`, `recording_ids`, ISO times). `flush()` waits for the
// ones still being written — a stopping server calls it last.

import type { CdrFields, NewDoc, Store } from '../store/types.js';
import { recordingsSettled } from './recordings.js';
import type { CallRegistry } from './registry.js';
import type { Call } from './types.js';

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The CDR of a leg that has ended. */
export function cdrOf(call: Call): NewDoc<CdrFields> {
  const end = call.endedAt ?? Date.now();
  const answered = call.answeredAt;
  const doc: NewDoc<CdrFields> = {
    call_id: call.id,
    direction: call.direction,
    // Kazoo's call_direction is the switch's view: a call that came in to it is `inbound`.
    call_direction: call.direction === 'inbound' ? 'inbound' : 'outbound',
    from: `${call.from.user}@${call.from.realm}`,
    to: `${call.to.user}@${call.to.realm}`,
    request: `${call.request.user}@${call.request.realm}`,
    caller_id_name: call.callerId.name,
    caller_id_number: call.callerId.number,
    callee_id_name: call.calleeId.name,
    callee_id_number: call.calleeId.number,
    started_at: iso(call.startedAt),
    answered_at: iso(answered),
    ended_at: iso(end),
    timestamp: Math.round(end / 1000),
    duration_seconds: seconds(end - call.startedAt),
    ringing_seconds: seconds((answered ?? end) - call.startedAt),
    billing_seconds: answered === undefined ? 0 : seconds(end - answered),
    hangup_cause: call.hangupCause ?? 'NORMAL_CLEARING',
    hangup_code: call.hangupSipCode ? `sip:${call.hangupSipCode}` : undefined,
    pivot_iterations: call.usage.pivotIterations,
    recording_ids: call.usage.recordingIds,
    bridged_with: call.usage.bridgedWith,
    parent_call_id: call.usage.parentCallId,
    custom_channel_vars: call.vars.size ? Object.fromEntries(call.vars) : undefined,
    custom_sip_headers: Object.keys(call.sipHeaders).length ? call.sipHeaders : undefined,
  };
  for (const [k, v] of Object.entries(doc)) if (v === undefined) delete doc[k];
  return doc;
}

export interface CdrWriter {
  /** Resolves when every CDR of a leg that has ended is written. */
  flush(): Promise<void>;
  stop(): void;
}

/** Writes the CDR of every leg of `registry` when it ends; a failed write is logged, never thrown. */
export function writeCdrs(
  registry: CallRegistry,
  store: Store,
  log: { warn(obj: object, msg: string): void },
): CdrWriter {
  const pending = new Set<Promise<void>>();
  const onEnded = (call: Call): void => {
    // One turn later: the leg's other hangup listeners (record_call saving what it recorded) have started their
    // recording jobs by then, so the CDR waits for them and names their recordings.
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => recordingsSettled(call))
      // The store commits it with the other CDRs and debug records of the moment (one transaction per batch).
      .then(() => store.cdrs.add(call.accountId, cdrOf(call)))
      .then(
        () => undefined,
        (err: unknown) => log.warn({ call_id: call.id, err: String(err) }, 'CDR not written'),
      );
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };
  registry.on('ended', onEnded);
  return {
    async flush() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    stop() {
      registry.off('ended', onEnded);
    },
  };
}
