// `pivot start`: opens the store, creates the master account on first run and serves HTTP (health for now; the
// REST API, SIP and media join in the next issues). Stops cleanly on SIGINT/SIGTERM.

import { mkdirSync } from 'node:fs';
import Fastify from 'fastify';
import { loadSettings, type PivotSettings } from '../config.js';
import { openSqliteStore } from '../store/index.js';
import { ensureMasterAccount } from './bootstrap.js';

export async function startServer(settings: PivotSettings = loadSettings()) {
  mkdirSync(settings.dataDir, { recursive: true });
  const store = await openSqliteStore({ dataDir: settings.dataDir });
  const boot = await ensureMasterAccount(store, settings);
  const app = Fastify({ logger: { level: settings.logLevel } });
  const components = { http: 'up', store: 'up', sip: 'not yet available', media: 'not yet available' };
  app.get('/health', async () => ({ status: 'ok', components }));
  await app.listen({ port: settings.httpPort, host: settings.bind });
  return {
    app,
    store,
    boot,
    async stop() {
      await app.close();
      await store.close();
    },
  };
}
