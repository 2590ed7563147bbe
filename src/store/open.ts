import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/** The store the settings name: PostgreSQL when a database URL is set, else SQLite under the data folder. */
export function openStore(settings: { dataDir: string; databaseUrl?: string }): Promise<Store> {
  return settings.databaseUrl
    ? openPostgresStore({ url: settings.databaseUrl })
    : openSqliteStore({ dataDir: settings.dataDir });
}
