import { DbConstraintError, type Db, type SqlValue } from './db.js';
import { ConflictError, NotFoundError } from './errors.js';
import { newId } from './ids.js';
import type { DocRepo, ListOptions, NewDoc, Page, Patch, Stored } from './types.js';
import type { WriteBatch } from './write-batch.js';
import {
  bump,
  checkLimit,
  decodeKey,
  encodeKey,
  matchesFilter,
  mergePatch,
  num,
  parseBody,
  rowLock,
  withoutKeys,
  type JsonObject,
} from './util.js';

// One implementation for every per-account document table: columns id, account_id, created, modified and
// the JSON body, plus a few columns copied out of the body so lookups and uniqueness are indexed.

const META = ['id', 'account_id', 'created', 'modified'] as const;

/** A column derived from the document body. */
export interface IndexColumn {
  column: string;
  /** The document field named in a ConflictError when a unique column clashes. */
  field: string;
  value(body: JsonObject): SqlValue;
  unique?: boolean;
}

export interface DocTableSpec {
  table: string;
  /** Singular name used in NotFoundError, e.g. `user`. */
  entity: string;
  columns?: IndexColumn[];
  /** Normalises or completes a body before every write. */
  prepare?(body: JsonObject): JsonObject;
  /** Runs inside the write's transaction after the row is written (secondary index tables). */
  afterWrite?(tx: Db, doc: StoredDoc): Promise<void>;
}

export type StoredDoc = JsonObject & { id: string; account_id: string; created: number; modified: number };

interface DocRow {
  id: string;
  account_id: string;
  created: number | string;
  modified: number | string;
  doc: string;
}

/** A page cursor: rows at or after (created, id), or strictly after when `exclusive`. */
interface Cursor {
  created: number;
  id: string;
  exclusive: boolean;
}

/** Rows fetched per round trip while a filter is skipping documents. */
const BATCH = 200;

export class DocTable<F> implements DocRepo<F> {
  protected readonly columns: IndexColumn[];
  private readonly select: string;
  private readonly insertSql: string;

  constructor(
    protected readonly db: Db,
    protected readonly spec: DocTableSpec,
  ) {
    this.columns = spec.columns ?? [];
    this.select = `SELECT id, account_id, created, modified, doc FROM ${spec.table}`;
    const cols = this.columns.map((c) => `, ${c.column}`).join('');
    this.insertSql =
      `INSERT INTO ${spec.table} (id, account_id, created, modified, doc${cols})` +
      ` VALUES (?, ?, ?, ?, ?${', ?'.repeat(this.columns.length)})`;
  }

  async create(accountId: string, input: NewDoc<F>): Promise<Stored<F>> {
    return this.out(await this.write(accountId, (tx) => this.insert(tx, accountId, input)));
  }

  /** Like `create`, committed with the other writes of `batch` (write-batch.ts). */
  protected async createBatched(batch: WriteBatch, accountId: string, input: NewDoc<F>): Promise<Stored<F>> {
    return this.out(await this.write(accountId, (tx) => this.insert(tx, accountId, input), batch));
  }

  private async insert(tx: Db, accountId: string, input: NewDoc<F>): Promise<StoredDoc> {
    const raw = input as JsonObject;
    const now = Date.now();
    const created = typeof raw.created === 'number' ? raw.created : now;
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : newId();
    const body = this.prepare(withoutKeys(raw, META));
    const doc: StoredDoc = { ...body, id, account_id: accountId, created, modified: Math.max(now, created) };
    await tx.run(this.insertSql, [id, accountId, created, doc.modified, JSON.stringify(body), ...this.values(body)]);
    await this.spec.afterWrite?.(tx, doc);
    return doc;
  }

  async get(accountId: string, id: string): Promise<Stored<F> | undefined> {
    const row = await this.db.get<DocRow>(`${this.select} WHERE id = ? AND account_id = ?`, [id, accountId]);
    return row && this.out(this.fromRow(row));
  }

  update(accountId: string, id: string, patch: Patch<F>): Promise<Stored<F>> {
    return this.rewrite(
      accountId,
      id,
      (body) => mergePatch(body, withoutKeys(patch as JsonObject, META)) as JsonObject,
    );
  }

  replace(accountId: string, id: string, doc: F): Promise<Stored<F>> {
    return this.rewrite(accountId, id, () => withoutKeys(doc as JsonObject, META));
  }

  async delete(accountId: string, id: string): Promise<void> {
    // Rows in index tables (callflow numbers, voicemail messages) go with ON DELETE CASCADE.
    const { changes } = await this.db.run(`DELETE FROM ${this.spec.table} WHERE id = ? AND account_id = ?`, [
      id,
      accountId,
    ]);
    if (changes === 0) throw new NotFoundError(this.spec.entity, id);
  }

  list(accountId: string, opts: ListOptions = {}): Promise<Page<Stored<F>>> {
    return this.page('account_id = ?', [accountId], opts);
  }

  /** Every document matching a WHERE clause, ordered by created then id. */
  protected async findAll(where: string, params: SqlValue[]): Promise<Stored<F>[]> {
    const rows = await this.db.all<DocRow>(`${this.select} WHERE ${where} ORDER BY created, id`, params);
    return rows.map((r) => this.out(this.fromRow(r)));
  }

  protected async findOne(where: string, params: SqlValue[]): Promise<Stored<F> | undefined> {
    return (await this.findAll(where, params))[0];
  }

  /**
   * Keyset pagination over (created, id). Filters are applied to the JSON bodies, so rows are read in
   * batches until the page is full; `nextStartKey` is the key of the first item of the next page.
   */
  protected async page(where: string, params: SqlValue[], opts: ListOptions): Promise<Page<Stored<F>>> {
    checkLimit(opts.limit);
    const conds = [where];
    const base = [...params];
    if (opts.createdFrom !== undefined) {
      conds.push('created >= ?');
      base.push(opts.createdFrom);
    }
    if (opts.createdTo !== undefined) {
      conds.push('created <= ?');
      base.push(opts.createdTo);
    }
    const want = opts.limit === undefined ? Infinity : opts.limit + 1;
    const batch = opts.filter || opts.limit === undefined ? Math.max(BATCH, opts.limit ?? 0) : want;

    const items: StoredDoc[] = [];
    let cursor: Cursor | undefined = opts.startKey ? { ...decodeKey(opts.startKey), exclusive: false } : undefined;
    while (items.length < want) {
      const sql = [...conds];
      const args = [...base];
      if (cursor) {
        sql.push(`(created > ? OR (created = ? AND id ${cursor.exclusive ? '>' : '>='} ?))`);
        args.push(cursor.created, cursor.created, cursor.id);
      }
      const rows = await this.db.all<DocRow>(`${this.select} WHERE ${sql.join(' AND ')} ORDER BY created, id LIMIT ?`, [
        ...args,
        batch,
      ]);
      for (const row of rows) {
        const doc = this.fromRow(row);
        if (matchesFilter(doc, opts.filter)) items.push(doc);
        if (items.length === want) break;
      }
      if (rows.length < batch) break;
      const last = rows[rows.length - 1];
      cursor = { created: num(last.created), id: last.id, exclusive: true };
    }

    const next = opts.limit !== undefined && items.length > opts.limit ? items[opts.limit] : undefined;
    return {
      items: items.slice(0, opts.limit).map((d) => this.out(d)),
      ...(next && { nextStartKey: encodeKey(next.created, next.id) }),
    };
  }

  private async rewrite(accountId: string, id: string, change: (body: JsonObject) => JsonObject): Promise<Stored<F>> {
    let doc: StoredDoc | undefined;
    const sets = ['modified = ?', 'doc = ?', ...this.columns.map((c) => `${c.column} = ?`)].join(', ');
    await this.write(accountId, async (tx) => {
      const row = await tx.get<DocRow>(`${this.select} WHERE id = ? AND account_id = ?${rowLock(tx)}`, [id, accountId]);
      if (!row) throw new NotFoundError(this.spec.entity, id);
      const current = this.fromRow(row);
      const body = this.prepare(withoutKeys(change(parseBody(row.doc)), META));
      doc = { ...body, id, account_id: accountId, created: current.created, modified: bump(current.modified) };
      await tx.run(`UPDATE ${this.spec.table} SET ${sets} WHERE id = ? AND account_id = ?`, [
        doc.modified,
        JSON.stringify(body),
        ...this.values(body),
        id,
        accountId,
      ]);
      await this.spec.afterWrite?.(tx, doc);
    });
    return this.out(doc as StoredDoc);
  }

  /** Runs a write in a transaction and turns constraint violations into store errors. */
  /** Runs `fn` in a transaction of its own, or in `batch`'s; store errors become the repository's. */
  private async write<T>(accountId: string, fn: (tx: Db) => Promise<T>, batch?: WriteBatch): Promise<T> {
    try {
      return await (batch ? batch.add(fn) : this.db.transaction(fn));
    } catch (err) {
      throw this.translate(err, accountId);
    }
  }

  private translate(err: unknown, accountId: string): unknown {
    if (!(err instanceof DbConstraintError)) return err;
    if (err.kind === 'foreign_key') return new NotFoundError('account', accountId);
    if (err.kind !== 'unique') return err;
    const col = this.columns.find((c) => c.unique && err.detail.includes(c.column));
    return new ConflictError(col?.field ?? 'id');
  }

  private prepare(body: JsonObject): JsonObject {
    return this.spec.prepare ? this.spec.prepare(body) : body;
  }

  private values(body: JsonObject): SqlValue[] {
    return this.columns.map((c) => c.value(body));
  }

  private fromRow(row: DocRow): StoredDoc {
    return {
      ...parseBody(row.doc),
      id: row.id,
      account_id: row.account_id,
      created: num(row.created),
      modified: num(row.modified),
    };
  }

  protected out(doc: StoredDoc): Stored<F> {
    return doc as unknown as Stored<F>;
  }
}
