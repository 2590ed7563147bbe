import Database from 'libsql';

// The one seam between repositories and a database driver. Repositories write portable SQL with `?`
// placeholders; a PostgreSQL adapter rewrites them to `$n` and maps its errors to DbConstraintError.

export type SqlValue = string | number | bigint | null;
export type Row = Record<string, unknown>;
export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  /** For the few places portable SQL cannot cover: migration DDL, migration locking, row locks. */
  readonly dialect: Dialect;
  all<R extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  get<R extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Runs `fn` atomically; use the `tx` handle inside, not the outer Db. Nests with savepoints. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A driver's constraint violation, normalised; `detail` is the driver's message (names the columns). */
export class DbConstraintError extends Error {
  constructor(
    readonly kind: 'unique' | 'foreign_key' | 'other',
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'DbConstraintError';
  }
}

type Conn = InstanceType<typeof Database>;
interface Stmt {
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): { changes: number };
}

function mapError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new DbConstraintError('unique', message);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new DbConstraintError('foreign_key', message);
  return new DbConstraintError('other', message);
}

/**
 * libsql is synchronous on one connection, so an open transaction would see statements from unrelated
 * callers that run while its async body awaits. Callers outside the transaction therefore wait for it.
 */
class LibsqlDb implements Db {
  readonly dialect = 'sqlite';
  private readonly stmts = new Map<string, Stmt>();
  private active = false;
  private idle: Promise<void> = Promise.resolve();
  private savepoints = 0;

  constructor(private readonly conn: Conn) {}

  async all<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return this.whenIdle(() => this.stmt(sql).all(...params) as R[]);
  }

  async get<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return this.whenIdle(() => this.stmt(sql).get(...params) as R | undefined);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.whenIdle(() => ({ changes: this.stmt(sql).run(...params).changes }));
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    // No await between this check and `active = true`, or another caller could slip in.
    while (this.active) await this.idle;
    this.active = true;
    let release = () => {};
    this.idle = new Promise((resolve) => (release = resolve));
    try {
      // IMMEDIATE takes the write lock up front: no deadlock when two processes share a file.
      this.conn.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(new TxDb(this));
        this.conn.exec('COMMIT');
        return out;
      } catch (err) {
        if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.active = false;
      release();
    }
  }

  close(): Promise<void> {
    return this.whenIdle(() => {
      this.stmts.clear();
      this.conn.close();
    });
  }

  /** Statement access for the transaction handle, which must not wait for its own transaction. */
  exec<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapError(err);
    }
  }

  stmt(sql: string): Stmt {
    let stmt = this.stmts.get(sql);
    if (!stmt) {
      stmt = this.conn.prepare<unknown[]>(sql);
      this.stmts.set(sql, stmt);
    }
    return stmt;
  }

  async savepoint<T>(tx: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
    const name = `sp${++this.savepoints}`;
    this.conn.exec(`SAVEPOINT ${name}`);
    try {
      const out = await fn(tx);
      this.conn.exec(`RELEASE ${name}`);
      return out;
    } catch (err) {
      this.conn.exec(`ROLLBACK TO ${name}`);
      this.conn.exec(`RELEASE ${name}`);
      throw err;
    }
  }

  /** Runs `fn` once no transaction is open; `fn` runs synchronously after the check, so none can start between. */
  private async whenIdle<T>(fn: () => T): Promise<T> {
    // Loop: another transaction may start between the wake-up and our turn.
    while (this.active) await this.idle;
    return this.exec(fn);
  }
}

class TxDb implements Db {
  readonly dialect = 'sqlite';

  constructor(private readonly root: LibsqlDb) {}

  async all<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return this.root.exec(() => this.root.stmt(sql).all(...params) as R[]);
  }

  async get<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return this.root.exec(() => this.root.stmt(sql).get(...params) as R | undefined);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.root.exec(() => ({ changes: this.root.stmt(sql).run(...params).changes }));
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.root.savepoint(this, fn);
  }

  async close(): Promise<void> {
    throw new Error('close the outer Db, not a transaction');
  }
}

export interface LibsqlOptions {
  /** Milliseconds to wait for another process's write lock. */
  busyTimeoutMs?: number;
}

/** Opens a libsql (SQLite) database file, or `:memory:`. */
export function openLibsqlDb(file: string, opts: LibsqlOptions = {}): Db {
  const conn = new Database(file);
  conn.exec(`PRAGMA busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
  conn.exec('PRAGMA foreign_keys = ON');
  if (file !== ':memory:') {
    // WAL lets readers (the API) run while a writer (debug records) commits.
    conn.exec('PRAGMA journal_mode = WAL');
    conn.exec('PRAGMA synchronous = NORMAL');
  }
  return new LibsqlDb(conn);
}
