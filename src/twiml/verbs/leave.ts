// <Leave>: inside an <Enqueue> waitUrl document, take the caller out of the queue; the <Enqueue> then finishes
// with QueueResult `leave` (its action, or the verb after it). No attributes. Anywhere else there is no queue to
// leave: a warning, and the document goes on. Kazoo did not support it (unknown element, hangup).

import type { TwimlVerb } from '../types.js';

export type LeaveOptions = Record<string, never>;

export const leave: TwimlVerb<LeaveOptions> = {
  name: 'Leave',
  parse(el, p) {
    if (el.text) p.warn(12200, '<Leave> takes no text; it is ignored');
    if (el.children.length) p.elements([], 12200);
    return {};
  },

  async run(_o, { host, inQueueWait }) {
    if (inQueueWait) {
      host.trace('Leave', {});
      return { kind: 'leave' };
    }
    host.warn({
      code: 12200,
      message: '<Leave> only works in an <Enqueue> waitUrl document; ignored',
      element: 'Leave',
      level: 'warning',
    });
    return { kind: 'next' };
  },
};
