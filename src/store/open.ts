import { openPostgresStore } from './postgres.js';
import { withRoutingCache } from './routing-cache.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

/**
 * The store the settings name: PostgreSQL when a database URL is set, else SQLite under the data folder; routing
 * reads (numbers, accounts, callflows by number) answered from memory between writes.
 */
export async function openStore(settings: { dataDir: string; databaseUrl?: string }): Promise<Store> {
  const store = settings.databaseUrl
    ? await openPostgresStore({ url: settings.databaseUrl })
    : await openSqliteStore({ dataDir: settings.dataDir });
  return withRoutingCache(store);
}
