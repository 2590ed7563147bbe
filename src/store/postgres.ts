import pg from 'pg';
import { DbConstraintError, type Db, type Row, type SqlValue } from './db.js';
import { createStore } from './store.js';
import type { Store } from './types.js';

// The PostgreSQL Db adapter: the repositories' `?` SQL rewritten to `$n`, numbers back as numbers, and
// constraint violations normalised to the same DbConstraintError kinds the SQLite adapter reports.

/** Rewrites `?` placeholders to `$1, $2, …`, leaving quoted strings, quoted identifiers and comments alone. */
export function toPgPlaceholders(sql: string): string {
  /** Index just past the next `token` from `from`, or the end of the text. */
  const past = (token: string, from: number): number => {
    const at = sql.indexOf(token, from);
    return at < 0 ? sql.length : at + token.length;
  };
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    let end = i + 1;
    if (c === "'" || c === '"') {
      // A doubled quote inside is an escaped quote: scanning on to the next one handles it.
      end = past(c, i + 1);
    } else if (c === '-' && sql[i + 1] === '-') {
      end = past('\n', i);
    } else if (c === '/' && sql[i + 1] === '*') {
      end = past('*/', i + 2);
    } else if (c === '?') {
      out += `$${++n}`;
      i = end;
      continue;
    }
    out += sql.slice(i, end);
    i = end;
  }
  return out;
}

interface PgError {
  code?: unknown;
  message?: string;
  table?: string;
  detail?: string;
}

function mapError(err: unknown): unknown {
  const e = err as PgError;
  // Class 23: integrity constraint violations.
  if (typeof e.code !== 'string' || !e.code.startsWith('23')) return err;
  // Repositories find the field in `detail` by column name, so it names the constraint, table and columns but
  // not the row's values (which could contain another column's name).
  const columns = e.detail ? /^Key \((.*?)\)=\(/.exec(e.detail)?.[1] : undefined;
  const detail = [e.message, e.table && `on ${e.table}`, columns && `(${columns})`].filter(Boolean).join(' ');
  if (e.code === '23505') return new DbConstraintError('unique', detail);
  if (e.code === '23503') return new DbConstraintError('foreign_key', detail);
  return new DbConstraintError('other', detail);
}

async function query(on: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
  try {
    return await on.query(toPgPlaceholders(sql), params as unknown[]);
  } catch (err) {
    throw mapError(err);
  }
}

class PgDb implements Db {
  readonly dialect = 'postgres';

  constructor(private readonly pool: pg.Pool) {}

  async all<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return (await query(this.pool, sql, params)).rows as R[];
  }

  async get<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return (await query(this.pool, sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await query(this.pool, sql, params)).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new PgTxDb(client);
    // A client whose transaction could not be ended is closed rather than handed to the next caller.
    let broken: Error | undefined;
    try {
      await query(client, 'BEGIN', []);
      const out = await fn(tx);
      // COMMIT of a transaction that already failed (an error caught inside `fn`) rolls back without an error.
      if ((await query(client, 'COMMIT', [])).command === 'ROLLBACK') {
        throw new Error('transaction rolled back: a statement inside it failed');
      }
      return out;
    } catch (err) {
      // Outside a transaction (BEGIN or COMMIT failed) ROLLBACK only warns.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      tx.done = true;
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

class PgTxDb implements Db {
  readonly dialect = 'postgres';
  /** Set once the transaction ended: its client may already serve someone else. */
  done = false;
  private savepoints = 0;

  constructor(private readonly client: pg.PoolClient) {}

  async all<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
    return (await this.query(sql, params)).rows as R[];
  }

  async get<R extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<R | undefined> {
    return (await this.query(sql, params)).rows[0] as R | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const name = `sp${++this.savepoints}`;
    await this.query(`SAVEPOINT ${name}`);
    try {
      const out = await fn(this);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      return out;
    } catch (err) {
      await this.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.query(`RELEASE SAVEPOINT ${name}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    throw new Error('close the outer Db, not a transaction');
  }

  private query(sql: string, params: readonly SqlValue[] = []): Promise<pg.QueryResult> {
    if (this.done) return Promise.reject(new Error('transaction already ended; use the outer Db'));
    return query(this.client, sql, params);
  }
}

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style connection URL `pg` accepts). */
  url: string;
}

/** A Db over a pg connection pool. */
export function openPostgresDb(opts: PostgresOptions): Db {
  // BIGINT (ms timestamps, COUNT) and NUMERIC come back as numbers, like SQLite's; on this pool only.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  types.setTypeParser(pg.types.builtins.NUMERIC, Number);
  const pool = new pg.Pool({ connectionString: opts.url, types, application_name: 'pivot' });
  // An idle connection that breaks (server restart) is dropped by the pool; the next query opens a new one.
  pool.on('error', () => {});
  return new PgDb(pool);
}

/** Opens the PostgreSQL store and applies pending migrations; `close()` ends the pool. */
export async function openPostgresStore(opts: PostgresOptions): Promise<Store> {
  const db = openPostgresDb(opts);
  try {
    return await createStore(db);
  } catch (err) {
    await db.close();
    throw err;
  }
}
