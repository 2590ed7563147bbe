// Every live leg on this node, inbound and outbound: what `channels`, draining, CDRs and live events look at.
// A leg is added when it is created and leaves when it hangs up (`ended` is emitted after its hangup event).

import { EventEmitter } from 'node:events';
import type { Call } from './types.js';

export class CallRegistry extends EventEmitter<{ started: [Call]; ended: [Call] }> {
  private readonly calls = new Map<string, Call>();

  add(call: Call): void {
    if (call.state === 'ended' || this.calls.has(call.id)) return;
    this.calls.set(call.id, call);
    call.on('hangup', () => {
      this.calls.delete(call.id);
      this.emit('ended', call);
    });
    this.emit('started', call);
  }

  get(id: string): Call | undefined {
    return this.calls.get(id);
  }

  /** Live legs, optionally of one account. */
  list(accountId?: string): Call[] {
    const all = [...this.calls.values()];
    return accountId ? all.filter((c) => c.accountId === accountId) : all;
  }

  get size(): number {
    return this.calls.size;
  }
}
