// Live events (Live Debug, call monitors): one in-process hub that the call runtime publishes into and the
// WebSocket / SSE streams subscribe to, by account. An event of account A reaches the subscribers of A and of
// every ancestor of A (a parent watches its sub-accounts), never a sibling's or a sub-account's. The layers below
// know nothing of it: `watch` listens to the runtime's call registry and its debug-record event. A cluster would put
// its event bus behind `publish` (DESIGN §4).

import type { CallRuntime } from '../cli/runtime.js';
import type { Call } from '../call/types.js';
import { foldRecord } from '../store/pivot-debug.js';
import type { PivotCallSummary, PivotDebugRecord, Store } from '../store/types.js';

export type LiveEventName = 'call.started' | 'call.answered' | 'call.ended' | 'pivot.debug';

export interface LiveEvent {
  name: LiveEventName;
  account_id: string;
  data: Record<string, unknown>;
}

/** Called once per event with the account and its ancestors (nearest first), for the subscriber's own filter. */
export type LiveListener = (event: LiveEvent, lineage: readonly string[]) => void;

/** Accounts whose lineage is cached (the tree of an account never changes, so entries never go stale). */
const LINEAGE_CACHE = 10_000;
/** How long a call's details are kept after it ends: debug records of its cdr_url post come after the hangup. */
const KEEP_ENDED_MS = 120_000;
const MAX_TRACKED_CALLS = 20_000;

export class EventHub {
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly lineages = new Map<string, Promise<string[]>>();

  constructor(private readonly store: Pick<Store, 'accounts'>) {}

  /** Events of `accountId` and of its descendants; returns the unsubscribe function. */
  subscribe(accountId: string, listener: LiveListener): () => void {
    let set = this.listeners.get(accountId);
    if (!set) this.listeners.set(accountId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(accountId) === set) this.listeners.delete(accountId);
    };
  }

  /** Subscriptions open now (for tests and /health-like checks). */
  get size(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /** Delivers `event` to the subscribers of its account and of the account's ancestors; never throws. */
  publish(event: LiveEvent): void {
    if (!this.listeners.size) return;
    // Events of one account keep their order: they all wait on the same cached promise.
    this.lineage(event.account_id).then(
      (lineage) => {
        const reached = new Set<LiveListener>();
        for (const id of lineage) for (const l of this.listeners.get(id) ?? []) reached.add(l);
        for (const listener of reached) {
          try {
            listener(event, lineage);
          } catch {
            // one broken subscriber must not stop the others
          }
        }
      },
      () => undefined,
    );
  }

  /** The account and its ancestors, nearest first. */
  private lineage(accountId: string): Promise<string[]> {
    let p = this.lineages.get(accountId);
    if (!p) {
      if (this.lineages.size >= LINEAGE_CACHE) this.lineages.clear();
      p = this.store.accounts.get(accountId).then((a) => [accountId, ...(a?.tree ?? []).slice().reverse()]);
      p.catch(() => this.lineages.delete(accountId));
      this.lineages.set(accountId, p);
    }
    return p;
  }

  /**
   * Publishes the runtime's calls (`call.started`, `call.answered`, `call.ended`, every leg) and its Pivot debug
   * records (`pivot.debug`, each with the call's Live Debug summary). Returns the function that stops it.
   */
  watch(runtime: Pick<CallRuntime, 'registry' | 'events'>): () => void {
    const tracked = new Map<string, Tracked>();
    const track = (callId: string): Tracked => {
      let t = tracked.get(callId);
      if (!t) {
        // Bounded: the oldest entry goes first (a Map iterates in insertion order).
        if (tracked.size >= MAX_TRACKED_CALLS) tracked.delete(tracked.keys().next().value as string);
        tracked.set(callId, (t = {}));
      }
      return t;
    };

    const onStarted = (call: Call): void => {
      const t = track(call.id);
      t.call = call;
      const onState = (state: string): void => {
        if (state !== 'answered' || t.answered) return;
        t.answered = true;
        this.publish(callEvent('call.answered', call));
      };
      call.on('state', onState);
      t.detach = () => call.off('state', onState);
      this.publish(callEvent('call.started', call));
      if (call.state === 'answered') onState('answered');
    };
    const onEnded = (call: Call): void => {
      const t = track(call.id);
      t.detach?.();
      t.endedAt = Date.now();
      this.publish(callEvent('call.ended', call));
    };
    const onDebug = (record: PivotDebugRecord): void => {
      const t = track(record.call_id);
      t.summary = foldRecord(t.summary, record);
      this.publish({
        name: 'pivot.debug',
        account_id: record.account_id,
        // As GET /pivot/debug/{call_id} shows it, with the call's line of GET /pivot/debug (and who called whom).
        data: { ...record, debug_id: t.summary.debug_id, call: { ...t.summary, ...(t.call && callFields(t.call)) } },
      });
    };
    const sweep = setInterval(() => {
      const cutoff = Date.now() - KEEP_ENDED_MS;
      for (const [id, t] of tracked) if (t.endedAt !== undefined && t.endedAt < cutoff) tracked.delete(id);
    }, KEEP_ENDED_MS / 2);
    sweep.unref();

    runtime.registry.on('started', onStarted);
    runtime.registry.on('ended', onEnded);
    runtime.events.on('debug', onDebug);
    // Legs that were up before the hub watched.
    for (const call of runtime.registry.list()) onStarted(call);
    return () => {
      clearInterval(sweep);
      runtime.registry.off('started', onStarted);
      runtime.registry.off('ended', onEnded);
      runtime.events.off('debug', onDebug);
      for (const t of tracked.values()) t.detach?.();
      tracked.clear();
    };
  }
}

interface Tracked {
  call?: Call;
  answered?: boolean;
  endedAt?: number;
  summary?: PivotCallSummary;
  detach?: () => void;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Who and where, in the CDR's field names (src/call/cdrs.ts). */
function callFields(call: Call): Record<string, unknown> {
  const out: Record<string, unknown> = {
    call_id: call.id,
    account_id: call.accountId,
    direction: call.direction,
    from: `${call.from.user}@${call.from.realm}`,
    to: `${call.to.user}@${call.to.realm}`,
    request: `${call.request.user}@${call.request.realm}`,
    caller_id_name: call.callerId.name,
    caller_id_number: call.callerId.number,
    parent_call_id: call.usage.parentCallId,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

function callEvent(name: LiveEventName, call: Call): LiveEvent {
  const ended = name === 'call.ended';
  const end = call.endedAt ?? Date.now();
  const data: Record<string, unknown> = {
    ...callFields(call),
    state: ended ? 'ended' : name === 'call.answered' ? 'answered' : call.state,
    started_at: iso(call.startedAt),
    answered_at: iso(call.answeredAt),
    ...(ended && {
      ended_at: iso(end),
      duration_seconds: Math.max(0, Math.round((end - call.startedAt) / 1000)),
      hangup_cause: call.hangupCause ?? 'NORMAL_CLEARING',
      hangup_code: call.hangupSipCode ? `sip:${call.hangupSipCode}` : undefined,
    }),
  };
  for (const [k, v] of Object.entries(data)) if (v === undefined) delete data[k];
  return { name, account_id: call.accountId, data };
}
