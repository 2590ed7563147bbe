// `pivot start`: opens the store, creates the master account on first run and serves HTTP (health for now; the
// REST API, SIP and media join in the next issues). Stops cleanly on SIGINT/SIGTERM.

import { mkdirSync } from 'node:fs';
import Fastify from 'fastify';
import { ConfigError, loadSettings, type PivotSettings } from '../config.js';
import { UrlPolicy } from '../pivot/http/index.js';
import { openSqliteStore } from '../store/index.js';
import { ensureMasterAccount } from './bootstrap.js';

export async function startServer(settings: PivotSettings = loadSettings()) {
  // Built first so a bad CIDR in the configuration stops the start with a clear message.
  const policy = urlPolicy(settings);
  mkdirSync(settings.dataDir, { recursive: true });
  const store = await openSqliteStore({ dataDir: settings.dataDir });
  const boot = await ensureMasterAccount(store, settings);
  const app = Fastify({ logger: { level: settings.logLevel } });
  const components = { http: 'up', store: 'up', sip: 'not yet available', media: 'not yet available' };
  app.get('/health', async () => ({ status: 'ok', components }));
  try {
    await app.listen({ port: settings.httpPort, host: settings.bind });
  } catch (err) {
    await app.close();
    await store.close();
    throw err;
  }
  return {
    app,
    store,
    boot,
    policy,
    async stop() {
      await app.close();
      await store.close();
    },
  };
}

export function urlPolicy(settings: PivotSettings): UrlPolicy {
  try {
    return new UrlPolicy({ deny: settings.urlDeny, allow: settings.urlAllow });
  } catch (err) {
    throw new ConfigError(`PIVOT_URL_DENY / PIVOT_URL_ALLOW: ${(err as Error).message}`);
  }
}
