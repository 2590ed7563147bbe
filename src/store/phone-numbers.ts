import { DbConstraintError, type Db } from './db.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { NumberState, PhoneNumberDoc, PhoneNumberFields, PhoneNumberRepo } from './types.js';
import { bump, mergePatch, num, parseBody, rowLock, withoutKeys, type JsonObject } from './util.js';

// Numbers are keyed by the number itself, so system-wide uniqueness is the primary key.

const OWNED = ['number', 'account_id', 'state', 'created', 'modified'] as const;
const STATES: readonly NumberState[] = ['in_service', 'reserved'];

interface NumberRow {
  number: string;
  account_id: string;
  state: string;
  created: number | string;
  modified: number | string;
  doc: string;
}

const SELECT = 'SELECT number, account_id, state, created, modified, doc FROM phone_numbers';

function fromRow(row: NumberRow): PhoneNumberDoc {
  return {
    ...parseBody(row.doc),
    number: row.number,
    account_id: row.account_id,
    state: row.state as NumberState,
    created: num(row.created),
    modified: num(row.modified),
  };
}

function checkState(state: unknown): NumberState {
  if (!STATES.includes(state as NumberState)) throw new ValidationError('state', `unknown state ${String(state)}`);
  return state as NumberState;
}

export class PhoneNumberTable implements PhoneNumberRepo {
  constructor(private readonly db: Db) {}

  async assign(accountId: string, number: string, doc: PhoneNumberFields = {}): Promise<PhoneNumberDoc> {
    const patch = withoutKeys(doc, OWNED);
    try {
      return await this.db.transaction(async (tx) => {
        const row = await tx.get<NumberRow>(`${SELECT} WHERE number = ?${rowLock(tx)}`, [number]);
        if (row && row.account_id !== accountId) {
          throw new ConflictError('number', `number ${number} is assigned to another account`);
        }
        if (row) {
          // Already ours: merge the new fields in.
          const current = fromRow(row);
          const body = mergePatch(parseBody(row.doc), patch) as JsonObject;
          const state = checkState(doc.state ?? current.state);
          const modified = bump(current.modified);
          await tx.run('UPDATE phone_numbers SET state = ?, modified = ?, doc = ? WHERE number = ?', [
            state,
            modified,
            JSON.stringify(body),
            number,
          ]);
          return { ...body, number, account_id: accountId, state, created: current.created, modified };
        }
        const state = checkState(doc.state ?? 'in_service');
        const now = Date.now();
        await tx.run(
          'INSERT INTO phone_numbers (number, account_id, state, created, modified, doc) VALUES (?, ?, ?, ?, ?, ?)',
          [number, accountId, state, now, now, JSON.stringify(patch)],
        );
        return { ...patch, number, account_id: accountId, state, created: now, modified: now };
      });
    } catch (err) {
      if (err instanceof DbConstraintError && err.kind === 'foreign_key') throw new NotFoundError('account', accountId);
      // Another process assigned it between our read and insert.
      if (err instanceof DbConstraintError && err.kind === 'unique') throw new ConflictError('number');
      throw err;
    }
  }

  async get(number: string): Promise<PhoneNumberDoc | undefined> {
    const row = await this.db.get<NumberRow>(`${SELECT} WHERE number = ?`, [number]);
    return row && fromRow(row);
  }

  async getForAccount(accountId: string, number: string): Promise<PhoneNumberDoc | undefined> {
    const row = await this.db.get<NumberRow>(`${SELECT} WHERE number = ? AND account_id = ?`, [number, accountId]);
    return row && fromRow(row);
  }

  async list(accountId: string): Promise<PhoneNumberDoc[]> {
    const rows = await this.db.all<NumberRow>(`${SELECT} WHERE account_id = ? ORDER BY number`, [accountId]);
    return rows.map(fromRow);
  }

  async release(accountId: string, number: string): Promise<void> {
    const { changes } = await this.db.run('DELETE FROM phone_numbers WHERE number = ? AND account_id = ?', [
      number,
      accountId,
    ]);
    if (changes === 0) throw new NotFoundError('phone number', number);
  }
}
