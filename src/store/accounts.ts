import { DbConstraintError, type Db } from './db.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { newId, newSigningKey } from './ids.js';
import type { AccountDoc, AccountFields, AccountRepo, NewDoc, Patch } from './types.js';
import { bump, mergePatch, num, parseBody, rowLock, withoutKeys, type JsonObject } from './util.js';

// Accounts form a tree (Kazoo's `pvt_tree`). The tree is fixed at creation: `parent_id` and `tree` are kept
// in the document and mirrored in the account_tree closure table for descendant queries.

const OWNED = ['id', 'created', 'modified', 'tree', 'parent_id'] as const;

interface AccountRow {
  id: string;
  created: number | string;
  modified: number | string;
  doc: string;
}

const SELECT = 'SELECT a.id, a.created, a.modified, a.doc FROM accounts a';

function fromRow(row: AccountRow): AccountDoc {
  return { ...parseBody(row.doc), id: row.id, created: num(row.created), modified: num(row.modified) } as AccountDoc;
}

/** Checks the fields every account needs and fills the defaults. */
function complete(body: JsonObject): JsonObject {
  for (const field of ['name', 'realm'] as const) {
    if (typeof body[field] !== 'string' || body[field].trim() === '') {
      throw new ValidationError(field, `${field} is required`);
    }
  }
  if (typeof body.signing_key !== 'string' || body.signing_key === '') body.signing_key = newSigningKey();
  if (typeof body.enabled !== 'boolean') body.enabled = true;
  return body;
}

function conflict(err: unknown): unknown {
  if (!(err instanceof DbConstraintError) || err.kind !== 'unique') return err;
  if (err.detail.includes('realm_key')) return new ConflictError('realm');
  if (err.detail.includes('name_key')) return new ConflictError('name');
  return new ConflictError('id');
}

export class AccountTable implements AccountRepo {
  constructor(private readonly db: Db) {}

  async create(input: NewDoc<AccountFields>): Promise<AccountDoc> {
    const now = Date.now();
    const id = typeof input.id === 'string' && input.id !== '' ? input.id : newId();
    const created = typeof input.created === 'number' ? input.created : now;
    const parentId = typeof input.parent_id === 'string' && input.parent_id !== '' ? input.parent_id : undefined;
    try {
      return await this.db.transaction(async (tx) => {
        // Locked so a concurrent delete of the parent either waits for this child or is seen as gone.
        const parent = parentId ? await this.read(tx, parentId, rowLock(tx, 'SHARE')) : undefined;
        if (parentId && !parent) throw new NotFoundError('account', parentId);
        const tree = parent ? [...parent.tree, parent.id] : [];
        const body = complete({ ...withoutKeys(input, OWNED), ...(parentId && { parent_id: parentId }), tree });
        const doc = { ...body, id, created, modified: Math.max(now, created) } as AccountDoc;
        await tx.run(
          'INSERT INTO accounts (id, name_key, realm_key, parent_id, created, modified, doc) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [
            id,
            doc.name.toLowerCase(),
            doc.realm.toLowerCase(),
            parentId ?? null,
            created,
            doc.modified,
            JSON.stringify(body),
          ],
        );
        // depth 1 is the parent, tree.length the root.
        for (const [i, ancestor] of tree.entries()) {
          await tx.run('INSERT INTO account_tree (account_id, ancestor_id, depth) VALUES (?, ?, ?)', [
            id,
            ancestor,
            tree.length - i,
          ]);
        }
        return doc;
      });
    } catch (err) {
      throw conflict(err);
    }
  }

  get(id: string): Promise<AccountDoc | undefined> {
    return this.read(this.db, id);
  }

  async update(id: string, patch: Patch<AccountFields>): Promise<AccountDoc> {
    try {
      return await this.db.transaction(async (tx) => {
        const row = await tx.get<AccountRow>(`${SELECT} WHERE a.id = ?${rowLock(tx)}`, [id]);
        if (!row) throw new NotFoundError('account', id);
        const current = fromRow(row);
        const stored = parseBody(row.doc);
        // The tree cannot move here: keep the stored parent_id and tree whatever the patch says.
        const merged = mergePatch(stored, withoutKeys(patch as JsonObject, OWNED)) as JsonObject;
        const body = complete(withoutKeys({ ...merged, parent_id: stored.parent_id, tree: stored.tree }, []));
        const doc = { ...body, id, created: current.created, modified: bump(current.modified) } as AccountDoc;
        await tx.run('UPDATE accounts SET name_key = ?, realm_key = ?, modified = ?, doc = ? WHERE id = ?', [
          doc.name.toLowerCase(),
          doc.realm.toLowerCase(),
          doc.modified,
          JSON.stringify(body),
          id,
        ]);
        return doc;
      });
    } catch (err) {
      throw conflict(err);
    }
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Locked first, so a sub-account being created under it is either finished and found below, or waits.
      if (!(await tx.get(`SELECT id FROM accounts WHERE id = ?${rowLock(tx)}`, [id]))) {
        throw new NotFoundError('account', id);
      }
      if (await tx.get('SELECT id FROM accounts WHERE parent_id = ?', [id])) {
        throw new ConflictError('children', 'account has sub-accounts; delete them first');
      }
      // Every per-account table references accounts ON DELETE CASCADE.
      await tx.run('DELETE FROM accounts WHERE id = ?', [id]);
    });
  }

  async findByName(name: string): Promise<AccountDoc | undefined> {
    const row = await this.db.get<AccountRow>(`${SELECT} WHERE a.name_key = ?`, [name.toLowerCase()]);
    return row && fromRow(row);
  }

  async findByRealm(realm: string): Promise<AccountDoc | undefined> {
    const row = await this.db.get<AccountRow>(`${SELECT} WHERE a.realm_key = ?`, [realm.toLowerCase()]);
    return row && fromRow(row);
  }

  async children(id: string): Promise<AccountDoc[]> {
    const rows = await this.db.all<AccountRow>(`${SELECT} WHERE a.parent_id = ? ORDER BY a.created, a.id`, [id]);
    return rows.map(fromRow);
  }

  async descendants(id: string): Promise<AccountDoc[]> {
    const rows = await this.db.all<AccountRow>(
      `${SELECT} JOIN account_tree t ON t.account_id = a.id WHERE t.ancestor_id = ? ORDER BY t.depth, a.created, a.id`,
      [id],
    );
    return rows.map(fromRow);
  }

  async isDescendant(ancestorId: string, id: string): Promise<boolean> {
    const row = await this.db.get('SELECT depth FROM account_tree WHERE ancestor_id = ? AND account_id = ?', [
      ancestorId,
      id,
    ]);
    return row !== undefined;
  }

  private async read(db: Db, id: string, lock = ''): Promise<AccountDoc | undefined> {
    const row = await db.get<AccountRow>(`${SELECT} WHERE a.id = ?${lock}`, [id]);
    return row && fromRow(row);
  }
}
