import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openLibsqlDb } from './db.js';
import { createStore } from './store.js';
import type { Store } from './types.js';

export interface SqliteStoreOptions {
  /** Folder for the database file; `./data` when absent. */
  dataDir?: string;
  /** File name (relative to dataDir, or absolute), or `:memory:`; `pivot.db` when absent. */
  file?: string;
}

/** Opens (creating if needed) the SQLite store and applies pending migrations. */
export async function openSqliteStore(opts: SqliteStoreOptions = {}): Promise<Store> {
  const file = opts.file ?? 'pivot.db';
  if (file === ':memory:') return createStore(openLibsqlDb(file));
  const path = resolve(opts.dataDir ?? 'data', file);
  mkdirSync(dirname(path), { recursive: true });
  const db = openLibsqlDb(path);
  try {
    return await createStore(db);
  } catch (err) {
    await db.close();
    throw err;
  }
}
