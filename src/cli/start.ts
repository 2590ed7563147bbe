// `pivot start`: opens the store, creates the master account on first run, starts SIP, media and the call
// runtime, and serves HTTP (health for now; the REST API joins in a later issue). `stop()` drains calls first.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { ConfigError, loadSettings, type PivotSettings } from '../config.js';
import { UrlPolicy } from '../pivot/http/index.js';
import { openSqliteStore } from '../store/index.js';
import { ensureMasterAccount } from './bootstrap.js';
import { startCallRuntime } from './runtime.js';

export async function startServer(settings: PivotSettings = loadSettings()) {
  // Built first so a bad CIDR in the configuration stops the start with a clear message.
  const policy = urlPolicy(settings);
  mkdirSync(settings.dataDir, { recursive: true });
  const store = await openSqliteStore({ dataDir: settings.dataDir });
  const boot = await ensureMasterAccount(store, settings);
  const log = pino({ level: settings.logLevel });
  mkdirSync(join(settings.dataDir, 'recordings', 'tmp'), { recursive: true });
  let calls: Awaited<ReturnType<typeof startCallRuntime>> | undefined;
  const app = Fastify({ loggerInstance: log });
  app.get('/health', async (_req, reply) => {
    const sip = calls && !calls.stack.draining ? 'up' : 'down';
    const media = calls && calls.media.load().length > 0 ? 'up' : 'down';
    const ok = sip === 'up' && media === 'up';
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'unavailable', components: { http: 'up', store: 'up', sip, media } });
  });
  try {
    calls = await startCallRuntime(settings, store, policy, log);
    await app.listen({ port: settings.httpPort, host: settings.bind });
  } catch (err) {
    await calls?.stop();
    await app.close();
    await store.close();
    throw err;
  }
  const runtime = calls;
  return {
    app,
    store,
    boot,
    policy,
    calls: runtime,
    /** Stop taking calls, let running ones finish for up to `graceMs`, then close everything. */
    async stop(graceMs = 10_000) {
      await runtime.drain(graceMs);
      await runtime.stop();
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
