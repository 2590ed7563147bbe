// API tokens and account API keys. Both are kept as SHA-256 digests only: a copy of the database lets nobody in.

import type { Db } from './db.js';
import type { ApiKeyRepo, AuthTokenRecord, AuthTokenRepo } from './types.js';
import { num, parseBody } from './util.js';

interface TokenRow {
  id: string;
  account_id: string;
  created: number | string;
  expires: number | string;
  doc: string;
}

export class AuthTokenTable implements AuthTokenRepo {
  constructor(private readonly db: Db) {}

  async add(record: AuthTokenRecord): Promise<void> {
    const { id, account_id, created, expires, ...rest } = record;
    await this.db.run('INSERT INTO auth_tokens (id, account_id, created, expires, doc) VALUES (?, ?, ?, ?, ?)', [
      id,
      account_id,
      created,
      expires,
      JSON.stringify(rest),
    ]);
  }

  async get(id: string): Promise<AuthTokenRecord | undefined> {
    const row = await this.db.get<TokenRow>(
      'SELECT id, account_id, created, expires, doc FROM auth_tokens WHERE id = ?',
      [id],
    );
    if (!row) return undefined;
    const doc = parseBody(row.doc) as Pick<AuthTokenRecord, 'user_id' | 'priv_level' | 'method'>;
    return { ...doc, id: row.id, account_id: row.account_id, created: num(row.created), expires: num(row.expires) };
  }

  async delete(id: string): Promise<void> {
    await this.db.run('DELETE FROM auth_tokens WHERE id = ?', [id]);
  }

  async deleteForUser(accountId: string, userId: string): Promise<number> {
    // The user id lives in the JSON body: few tokens per account, so they are read and matched here.
    const rows = await this.db.all<{ id: string; doc: string }>(
      'SELECT id, doc FROM auth_tokens WHERE account_id = ?',
      [accountId],
    );
    let n = 0;
    for (const row of rows) {
      if (parseBody(row.doc).user_id !== userId) continue;
      n += (await this.db.run('DELETE FROM auth_tokens WHERE id = ?', [row.id])).changes;
    }
    return n;
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.db.run('DELETE FROM auth_tokens WHERE expires <= ?', [now])).changes;
  }
}

export class ApiKeyTable implements ApiKeyRepo {
  constructor(private readonly db: Db) {}

  async set(accountId: string, keyHash: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM api_keys WHERE account_id = ?', [accountId]);
      await tx.run('INSERT INTO api_keys (id, account_id, created) VALUES (?, ?, ?)', [keyHash, accountId, Date.now()]);
    });
  }

  async accountFor(keyHash: string): Promise<string | undefined> {
    return (await this.db.get<{ account_id: string }>('SELECT account_id FROM api_keys WHERE id = ?', [keyHash]))
      ?.account_id;
  }

  async createdFor(accountId: string): Promise<number | undefined> {
    const row = await this.db.get<{ created: number | string }>('SELECT created FROM api_keys WHERE account_id = ?', [
      accountId,
    ]);
    return row ? num(row.created) : undefined;
  }
}
