// <Queue> (dequeue): connect the caller (an agent) to the first caller waiting in the account's queue of that name.
// On an empty queue the agent waits, up to the Dial `timeout`, for someone to join (DialCallStatus `no-answer` when
// nobody does, `canceled` when the agent hangs up meanwhile). The bridge honours timeLimit, hangupOnStar/hangupOn
// and record; when it ends the queued caller's <Enqueue> finishes with QueueResult `bridged`. Kazoo only had a stub
// that ended the call. The whisper `url` (played to the queued caller first) is not supported yet (warning);
// TaskRouter's reservationSid/postWorkActivitySid are ignored with a warning.

import { MAX_QUEUE_NAME_LENGTH, queueSid, type QueueEntry } from '../../call/queues.js';
import type { NounResult, SessionNoun } from './index.js';
import { ignoreAttributes, readWhisper, seconds } from './index.js';

export interface QueueNounOptions {
  name: string;
}

export const queue: SessionNoun<QueueNounOptions> = {
  name: 'Queue',
  kind: 'session',
  parse(el, p) {
    const name = el.text;
    if (!name) p.error(14220, '<Queue> needs the name of the queue to dequeue from');
    else if (name.length > MAX_QUEUE_NAME_LENGTH) {
      p.error(14220, `<Queue> name must be at most ${MAX_QUEUE_NAME_LENGTH} characters`);
    }
    if (el.children.length) p.elements([], 13215);
    readWhisper(p, 14221);
    ignoreAttributes(p, ['reservationSid', 'postWorkActivitySid'], 'TaskRouter is not supported');
    return { name };
  },

  async run(o, dial, { call, host }): Promise<NounResult> {
    const queues = host.queues;
    const sid = queueSid(host.accountId, o.name);
    let entry: QueueEntry | undefined = queues.take(host.accountId, o.name, call);
    if (!entry) {
      const watch = queues.watch(host.accountId, o.name, call);
      const signal = dial.signal ? AbortSignal.any([watch.signal, dial.signal]) : watch.signal;
      const why = await call.wait(dial.timeoutMs, { signal });
      watch.cancel();
      entry = watch.entry;
      if (!entry) {
        host.trace('Queue', { name: o.name, result: why === 'done' ? 'timeout' : why });
        return {
          status: why === 'done' ? 'no-answer' : 'canceled',
          bridged: false,
          durationMs: 0,
          params: { QueueSid: sid },
        };
      }
    }
    let requeued = false;
    try {
      if (call.state === 'ended') {
        // The agent left at the moment of the handover: the caller goes back to the head of the queue.
        requeued = queues.requeue(entry);
        return { status: 'canceled', bridged: false, durationMs: 0, params: { QueueSid: sid } };
      }
      if (dial.answerOnBridge) await call.answer();
      const recorder = dial.record ? await call.startRecording(dial.record) : undefined;
      const bridge = await call.bridgeWith(entry.call, {
        timeLimitMs: dial.timeLimitMs,
        hangupOnKey: dial.hangupOnKey,
        signal: dial.signal,
      });
      const recording = await recorder?.stop();
      const bridged = bridge.durationMs > 0 || bridge.endedBy !== 'callee' || entry.call.state !== 'ended';
      host.trace('Queue', {
        name: o.name,
        caller: entry.call.id,
        endedBy: bridge.endedBy,
        durationMs: bridge.durationMs,
      });
      return {
        status: bridged ? 'completed' : 'failed',
        bridged,
        callSid: entry.call.id,
        durationMs: bridge.durationMs,
        recording,
        params: { QueueSid: sid, QueueTime: seconds(entry.waitedMs(queues.now())) },
      };
    } finally {
      if (!requeued) entry.bridgeEnded();
    }
  },
};
