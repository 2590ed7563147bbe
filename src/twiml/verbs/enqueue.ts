// <Enqueue>: put the caller in a named queue of the account (created on demand; name ≤ 64 characters) until an
// agent's <Dial><Queue> takes them, they <Leave>, or they hang up. Attributes: action (none), method POST, waitUrl,
// waitUrlMethod POST, maxQueueSize (queue limit, default 100); workflowSid and <Task> (TaskRouter) are ignored with a
// warning. Kazoo did not support Enqueue at all.
// While waiting, waitUrl is fetched (with QueueSid, QueuePosition, QueueTime, AvgQueueTime, CurrentQueueSize,
// MaxQueueSize) and run; it may use Play, Say, Pause, Gather, Redirect (fetches the next wait document), Leave and
// Hangup — other verbs are skipped with a warning. A document that runs out is requested again. Without waitUrl a
// built-in hold plays (a ringback tone until real music comes with the media layer). A waitUrl that cannot be
// fetched ends the wait with QueueResult `error`.
// When an agent takes the caller the wait document stops and the caller stays in the bridge until it ends:
// QueueResult `bridged`. Then, with `action`: a request with QueueResult, QueueSid and QueueTime (seconds; also
// sent when the caller hung up); without: the next verb, unless the caller is gone.

import { MAX_QUEUE_NAME_LENGTH, MAX_QUEUE_SIZE_LIMIT, queueSid, type QueueEntry } from '../../call/queues.js';
import { seconds } from '../nouns/index.js';
import type { CompiledVerb, HttpMethod, TwimlVerb, VerbContext } from '../types.js';

export type QueueResult = 'bridged' | 'queue-full' | 'leave' | 'hangup' | 'error' | 'system-error';

export interface EnqueueOptions {
  name: string;
  action?: string;
  method: HttpMethod;
  waitUrl?: string;
  waitUrlMethod: HttpMethod;
  maxQueueSize?: number;
}

/** Verbs a waitUrl document may use (Twilio). */
export const WAIT_VERBS = ['Play', 'Say', 'Pause', 'Gather', 'Redirect', 'Leave', 'Hangup'];

/** How long a wait document that runs out at once is held before it is requested again. */
export const WAIT_REFETCH_MS = 1000;

// Twilio-style codes for Enqueue (14201–14206).
const E_METHOD = 14201;
const E_WAIT_METHOD = 14203;
const E_NAME = 14205;
const E_MAX_SIZE = 14206;

export const enqueue: TwimlVerb<EnqueueOptions> = {
  name: 'Enqueue',
  parse(el, p) {
    const name = el.text;
    if (!name) p.error(E_NAME, '<Enqueue> needs a queue name as its text');
    else if (name.length > MAX_QUEUE_NAME_LENGTH) {
      p.error(E_NAME, `<Enqueue> queue name must be at most ${MAX_QUEUE_NAME_LENGTH} characters`);
    }
    const action = p.string('action')?.trim() || undefined;
    const method = p.method('method', E_METHOD);
    const waitUrl = p.string('waitUrl')?.trim() || undefined;
    const waitUrlMethod = p.method('waitUrlMethod', E_WAIT_METHOD);
    const maxQueueSize = p.int('maxQueueSize', undefined, { min: 1, max: MAX_QUEUE_SIZE_LIMIT, code: E_MAX_SIZE });
    const workflowSid = p.string('workflowSid');
    const tasks = p.elements(['Task'], 12200);
    if (workflowSid !== undefined || tasks.length) {
      p.warn(12200, '<Enqueue> workflowSid and <Task> need TaskRouter, which Pivot does not have; the queue is used');
    }
    return { name, action, method, waitUrl, waitUrlMethod, maxQueueSize };
  },

  async run(o, ctx) {
    const { call, host } = ctx;
    await call.answer();
    const queues = host.queues;
    const joined = queues.enqueue(host.accountId, o.name, call, { maxSize: o.maxQueueSize });
    let result: QueueResult;
    let queueTimeMs = 0;
    if (joined === 'full') {
      result = 'queue-full';
      host.warn({ code: 12200, message: `queue "${o.name}" is full`, element: 'Enqueue', level: 'warning' });
    } else {
      host.trace('Enqueue', { queue: o.name, sid: joined.queueSid, position: joined.position });
      try {
        for (;;) {
          result = await waitInQueue(o, joined, ctx);
          if (result !== 'bridged') break;
          if (!joined.finished.aborted) await call.wait(Infinity, { signal: joined.finished });
          // Requeued: the agent was gone before the bridge began; wait for the next one.
          if (stateOf(joined) !== 'waiting' || ended(call)) break;
        }
      } finally {
        queues.leave(joined);
      }
      queueTimeMs = joined.waitedMs(queues.now());
    }

    const params = { QueueResult: result, QueueSid: queueSid(host.accountId, o.name), QueueTime: seconds(queueTimeMs) };
    host.trace('Enqueue', { queue: o.name, ...params });
    if (o.action) return { kind: 'request', url: host.resolveUrl(o.action), method: o.method, params };
    return call.state === 'ended' ? { kind: 'end' } : { kind: 'next' };
  },
};

/** Functions, so TypeScript doesn't keep a narrowed state across awaits. */
const ended = (call: VerbContext['call']): boolean => call.state === 'ended';
const stateOf = (entry: QueueEntry): QueueEntry['state'] => entry.state;

/** Play the wait documents (or the built-in hold) until the caller is taken, leaves or hangs up. */
async function waitInQueue(o: EnqueueOptions, entry: QueueEntry, ctx: VerbContext): Promise<QueueResult> {
  const { call, host } = ctx;
  const queues = host.queues;
  const signal = entry.taken;
  let next: { url: string; method: HttpMethod; params?: Record<string, unknown> } | undefined = o.waitUrl
    ? { url: host.resolveUrl(o.waitUrl), method: o.waitUrlMethod }
    : undefined;

  for (;;) {
    if (stateOf(entry) === 'taken') return 'bridged';
    if (ended(call) || stateOf(entry) === 'left') return 'hangup';
    if (!next) {
      const played = await call.play({ kind: 'tone', tone: 'ringback' }, { loop: 0, signal });
      // Should the hold tone fail, wait in silence rather than spin.
      if (played.reason === 'error' || played.reason === 'done') await call.wait(Infinity, { signal });
      continue;
    }
    const stats = queues.stats(entry);
    const doc = await host.fetchTwiml(next.url, next.method, {
      ...next.params,
      QueueSid: stats.sid,
      QueuePosition: String(stats.position),
      QueueTime: seconds(stats.waitMs),
      AvgQueueTime: seconds(stats.avgWaitMs),
      CurrentQueueSize: String(stats.size),
      MaxQueueSize: String(stats.maxSize),
    });
    if (stateOf(entry) !== 'waiting' || ended(call)) continue;
    if (!doc.ok) {
      host.warn({ ...doc.error, message: `Enqueue waitUrl ${next.url}: ${doc.error.message}`, level: 'warning' });
      return 'error';
    }
    const startedAt = queues.now();
    const outer = host.documentUrl;
    host.documentUrl = doc.url;
    const outcome = await ctx
      .runVerbs(waitProgram(doc.program, ctx), { ...ctx, signal, inQueueWait: true })
      .finally(() => (host.documentUrl = outer));
    switch (outcome.kind) {
      case 'leave':
        return 'leave';
      case 'end':
        return stateOf(entry) === 'taken' ? 'bridged' : 'hangup';
      case 'request':
        next = { url: outcome.url, method: outcome.method, params: outcome.params };
        break;
      case 'next':
        // The document ran out: request it again, not faster than once a second.
        next = { url: next.url, method: next.method };
        if (stateOf(entry) === 'waiting' && queues.now() - startedAt < WAIT_REFETCH_MS) {
          await call.wait(WAIT_REFETCH_MS, { signal });
        }
        break;
    }
  }
}

/** The verbs of a wait document that may run there; the others are skipped with a warning. */
function waitProgram(program: CompiledVerb[], { host }: VerbContext): CompiledVerb[] {
  return program.filter((step) => {
    if (WAIT_VERBS.includes(step.verb.name)) return true;
    host.warn({
      code: 12200,
      message: `<${step.verb.name}> is not allowed in an Enqueue waitUrl document (allowed: ${WAIT_VERBS.join(', ')}); skipped`,
      line: step.element.line,
      column: step.element.column,
      element: step.verb.name,
      level: 'warning',
    });
    return false;
  });
}
