import { DbConstraintError, type Db } from './db.js';
import { DocTable, type IndexColumn } from './doc-table.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type {
  CallflowDoc,
  CallflowFields,
  CallflowRepo,
  CdrDoc,
  CdrFields,
  CdrRepo,
  DeviceDoc,
  DeviceFields,
  DeviceRepo,
  NewDoc,
  RecordingDoc,
  RecordingFields,
  RecordingRepo,
  UserDoc,
  UserFields,
  UserRepo,
  VmboxDoc,
  VmboxFields,
  VmboxRepo,
  VoicemailFolder,
  VoicemailMessageDoc,
  VoicemailMessageFields,
  VoicemailMessageRepo,
} from './types.js';
import { getPath, type JsonObject } from './util.js';
import type { WriteBatch } from './write-batch.js';

// The document repositories that add indexed lookups to the generic DocTable.

function text(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

function column(column: string, field: string, opts: { unique?: boolean; lower?: boolean } = {}): IndexColumn {
  return {
    column,
    field,
    unique: opts.unique,
    value: (body) => {
      const v = text(getPath(body, field));
      return v !== null && opts.lower ? v.toLowerCase() : v;
    },
  };
}

export class UserTable extends DocTable<UserFields> implements UserRepo {
  constructor(db: Db) {
    // Usernames compare case-insensitively, as Kazoo lower-cases them.
    super(db, {
      table: 'users',
      entity: 'user',
      columns: [column('username', 'username', { unique: true, lower: true })],
    });
  }

  findByUsername(accountId: string, username: string): Promise<UserDoc | undefined> {
    return this.findOne('account_id = ? AND username = ?', [accountId, username.toLowerCase()]);
  }
}

export class DeviceTable extends DocTable<DeviceFields> implements DeviceRepo {
  constructor(db: Db) {
    super(db, {
      table: 'devices',
      entity: 'device',
      columns: [column('sip_username', 'sip.username', { unique: true }), column('owner_id', 'owner_id')],
    });
  }

  findBySipUsername(accountId: string, username: string): Promise<DeviceDoc | undefined> {
    return this.findOne('account_id = ? AND sip_username = ?', [accountId, username]);
  }

  listByOwner(accountId: string, ownerId: string): Promise<DeviceDoc[]> {
    return this.findAll('account_id = ? AND owner_id = ?', [accountId, ownerId]);
  }
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? [...new Set(v.map(text).filter((s): s is string => s !== null && s !== ''))] : [];
}

export class CallflowTable extends DocTable<CallflowFields> implements CallflowRepo {
  constructor(db: Db) {
    super(db, {
      table: 'callflows',
      entity: 'callflow',
      columns: [
        { column: 'has_patterns', field: 'patterns', value: (body) => (stringList(body.patterns).length ? 1 : 0) },
      ],
      // callflow_numbers is rebuilt on every write; its primary key makes numbers unique per account.
      afterWrite: async (tx, doc) => {
        await tx.run('DELETE FROM callflow_numbers WHERE callflow_id = ?', [doc.id]);
        for (const number of stringList(doc.numbers)) {
          try {
            await tx.run('INSERT INTO callflow_numbers (account_id, number, callflow_id) VALUES (?, ?, ?)', [
              doc.account_id,
              number,
              doc.id,
            ]);
          } catch (err) {
            if (err instanceof DbConstraintError && err.kind === 'unique') {
              throw new ConflictError('numbers', `number ${number} is already used by another callflow`);
            }
            throw err;
          }
        }
      },
    });
  }

  findByNumber(accountId: string, number: string): Promise<CallflowDoc | undefined> {
    return this.findOne(
      'account_id = ? AND id IN (SELECT callflow_id FROM callflow_numbers WHERE account_id = ? AND number = ?)',
      [accountId, accountId, number],
    );
  }

  listWithPatterns(accountId: string): Promise<CallflowDoc[]> {
    return this.findAll('account_id = ? AND has_patterns = 1', [accountId]);
  }
}

export class VmboxTable extends DocTable<VmboxFields> implements VmboxRepo {
  constructor(db: Db) {
    super(db, { table: 'vmboxes', entity: 'vmbox', columns: [column('mailbox', 'mailbox', { unique: true })] });
  }

  findByMailbox(accountId: string, mailbox: string): Promise<VmboxDoc | undefined> {
    return this.findOne('account_id = ? AND mailbox = ?', [accountId, mailbox]);
  }
}

function requireString(field: string) {
  return (body: JsonObject): JsonObject => {
    if (typeof body[field] !== 'string' || body[field] === '') throw new ValidationError(field, `${field} is required`);
    return body;
  };
}

export class CdrTable extends DocTable<CdrFields> implements CdrRepo {
  constructor(
    db: Db,
    private readonly batch: WriteBatch,
  ) {
    super(db, {
      table: 'cdrs',
      entity: 'cdr',
      columns: [column('call_id', 'call_id')],
      prepare: requireString('call_id'),
    });
  }

  /** Committed with the other CDRs and debug records of the moment (one transaction per batch). */
  add(accountId: string, doc: NewDoc<CdrFields>): Promise<CdrDoc> {
    return this.createBatched(this.batch, accountId, doc);
  }

  forCall(accountId: string, callId: string): Promise<CdrDoc[]> {
    return this.findAll('account_id = ? AND call_id = ?', [accountId, callId]);
  }
}

export class RecordingTable extends DocTable<RecordingFields> implements RecordingRepo {
  constructor(db: Db) {
    super(db, {
      table: 'recordings',
      entity: 'recording',
      columns: [column('call_id', 'call_id')],
      prepare: requireString('call_id'),
    });
  }

  add(accountId: string, doc: NewDoc<RecordingFields>): Promise<RecordingDoc> {
    return this.create(accountId, doc);
  }
}

const FOLDERS: readonly VoicemailFolder[] = ['new', 'saved', 'deleted'];

function checkFolder(folder: unknown): VoicemailFolder {
  if (!FOLDERS.includes(folder as VoicemailFolder))
    throw new ValidationError('folder', `unknown folder ${String(folder)}`);
  return folder as VoicemailFolder;
}

export class VoicemailMessageTable extends DocTable<VoicemailMessageFields> implements VoicemailMessageRepo {
  constructor(db: Db) {
    super(db, {
      table: 'voicemail_messages',
      entity: 'voicemail message',
      columns: [column('vmbox_id', 'vmbox_id'), column('folder', 'folder')],
      prepare: (body) => ({ ...requireString('vmbox_id')(body), folder: checkFolder(body.folder ?? 'new') }),
    });
  }

  async add(accountId: string, doc: NewDoc<VoicemailMessageFields>): Promise<VoicemailMessageDoc> {
    // The vmbox must be this account's: the foreign key alone would accept another account's box.
    const box = await this.db.get('SELECT id FROM vmboxes WHERE id = ? AND account_id = ?', [doc.vmbox_id, accountId]);
    if (!box) throw new NotFoundError('vmbox', String(doc.vmbox_id));
    return (await this.create(accountId, doc)) as VoicemailMessageDoc;
  }

  override async get(accountId: string, id: string): Promise<VoicemailMessageDoc | undefined> {
    return (await super.get(accountId, id)) as VoicemailMessageDoc | undefined;
  }

  async listForBox(accountId: string, vmboxId: string, folder?: VoicemailFolder): Promise<VoicemailMessageDoc[]> {
    const docs = folder
      ? await this.findAll('account_id = ? AND vmbox_id = ? AND folder = ?', [accountId, vmboxId, checkFolder(folder)])
      : await this.findAll('account_id = ? AND vmbox_id = ?', [accountId, vmboxId]);
    return docs as VoicemailMessageDoc[];
  }

  async setFolder(accountId: string, id: string, folder: VoicemailFolder): Promise<VoicemailMessageDoc> {
    return (await this.update(accountId, id, { folder: checkFolder(folder) })) as VoicemailMessageDoc;
  }
}
