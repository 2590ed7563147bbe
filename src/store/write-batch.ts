// Writes that may wait a few milliseconds (Pivot debug records, CDRs) are committed together: one transaction per
// batch instead of one per row. Under load the commit is most of a small write's cost (SQLite writes the touched
// pages to its WAL at every commit), and it runs on the thread that handles the calls. A batch that fails is retried
// write by write, so a refused row (its account deleted meanwhile) costs only itself.

import type { Db } from './db.js';

interface Pending {
  write: (tx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class WriteBatch {
  private queue: Pending[] = [];
  /** Cancels the pending flush of the open batch. */
  private cancel?: () => void;
  private committed: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    /**
     * How long the first write of a batch waits for others; 0 (the default): until the end of the event-loop turn,
     * so the writes of every call handled in that turn share a commit and none waits longer. A caller that writes
     * records one after another (a call's request, response and steps) then waits one turn per record, not more.
     */
    private readonly windowMs = 0,
  ) {}

  /** Runs `write` inside the next batch's transaction; settles once that is committed (or the write failed). */
  add<T>(write: (tx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.cancel) return;
      if (this.windowMs) {
        const t = setTimeout(() => void this.flush(), this.windowMs);
        this.cancel = () => clearTimeout(t);
      } else {
        const t = setImmediate(() => void this.flush());
        this.cancel = () => clearImmediate(t);
      }
    });
  }

  /** Commits what is queued now; resolves when it and every earlier batch are done. */
  flush(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    const batch = this.queue.splice(0);
    this.committed = this.committed.then(() => this.commit(batch));
    return this.committed;
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (!batch.length) return;
    try {
      const results = await this.db.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const p of batch) out.push(await p.write(tx));
        return out;
      });
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      for (const p of batch) {
        await this.db.transaction((tx) => p.write(tx)).then(p.resolve, p.reject);
      }
    }
  }
}
