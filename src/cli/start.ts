// `pivot start`: opens the store, creates the master account on first run, starts SIP, media and the call
// runtime, and serves HTTP: /health, the REST API (/v2), the Calls API, the demo and the web app (/).
// `stop()` drains calls first.

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { callsApi } from '../api/calls.js';
import { crossbar } from '../api/crossbar.js';
import { twilioRecordings } from '../api/twilio-recordings.js';
import { webApp } from '../api/web-app.js';
import { ConfigError, loadSettings, type PivotSettings } from '../config.js';
import { demoApp } from '../demo/app.js';
import { installDemo } from '../demo/install.js';
import { UrlPolicy } from '../pivot/http/index.js';
import { openStore } from '../store/index.js';
import { ensureMasterAccount } from './bootstrap.js';
import { startCallRuntime } from './runtime.js';

export async function startServer(settings: PivotSettings = loadSettings()) {
  // Built first so a bad CIDR in the configuration stops the start with a clear message.
  const policy = urlPolicy(settings);
  mkdirSync(settings.dataDir, { recursive: true });
  const store = await openStore(settings);
  const boot = await ensureMasterAccount(store, settings);
  const log = pino({ level: settings.logLevel });
  mkdirSync(join(settings.dataDir, 'recordings', 'tmp'), { recursive: true });
  let calls: Awaited<ReturnType<typeof startCallRuntime>> | undefined;
  // Request ids as KAZOO gives them (32 hex), or the caller's own X-Request-ID.
  const app = Fastify({
    loggerInstance: log,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID().replace(/-/g, ''),
  });
  app.get('/health', async (_req, reply) => {
    const sip = calls && !calls.stack.draining ? 'up' : 'down';
    const media = calls && calls.media.load().length > 0 ? 'up' : 'down';
    const ok = sip === 'up' && media === 'up';
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ok' : 'unavailable', components: { http: 'up', store: 'up', sip, media } });
  });
  // Known once HTTP listens: a derived public URL follows the port actually bound (PIVOT_HTTP_PORT=0).
  let publicUrl = settings.publicUrl;
  await app.register(twilioRecordings, { store, publicUrl: () => publicUrl });
  await app.register(crossbar, {
    prefix: '/v2',
    store,
    runtime: () => calls,
    dataDir: settings.dataDir,
    urlPolicy: policy,
  });
  await app.register(callsApi, {
    store,
    outbound: () => calls?.outbound,
    registry: () => calls?.registry,
    executor: () => calls?.executor,
  });
  if (settings.demo) await app.register(demoApp, { store, publicUrl: () => publicUrl });
  await app.register(webApp);
  try {
    // HTTP first (health says 503 until SIP and media are up), so the runtime gets the final public URL.
    await app.listen({ port: settings.httpPort, host: settings.bind });
    publicUrl = boundPublicUrl(settings, app.server.address());
    if (settings.demo) {
      try {
        boot.demo = await installDemo(store, boot.account, { publicUrl, demoNumber: settings.demoNumber, log });
      } catch (err) {
        log.warn({ err: String(err) }, 'the demo could not be installed');
      }
    }
    calls = await startCallRuntime({ ...settings, publicUrl }, store, policy, log);
  } catch (err) {
    await calls?.stop();
    await app.close();
    await store.close();
    throw err;
  }
  const runtime = calls;
  let stopping: Promise<void> | undefined;
  return {
    app,
    store,
    boot,
    /** The base URL in use (settings.publicUrl, with the bound port when that was 0). */
    publicUrl,
    policy,
    calls: runtime,
    /** The settings in use (with the public URL actually served). */
    settings: { ...settings, publicUrl },
    /** Stop taking calls, let running ones finish for up to `graceMs`, then close everything (once). */
    stop(graceMs = settings.drainSeconds * 1000): Promise<void> {
      stopping ??= (async () => {
        await runtime.drain(graceMs);
        await runtime.stop();
        await app.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/**
 * The public URL in use: as configured, or — when it was derived from bind and port and not changed since — derived
 * again from the address HTTP bound (so `httpPort: 0` gives a URL that works).
 */
export function boundPublicUrl(settings: PivotSettings, address: ReturnType<Server['address']>): string {
  if (settings.derivedPublicUrl === undefined || settings.publicUrl !== settings.derivedPublicUrl) {
    return settings.publicUrl;
  }
  if (!address || typeof address === 'string') return settings.publicUrl;
  const bind = settings.bind;
  const host = bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export function urlPolicy(settings: PivotSettings): UrlPolicy {
  try {
    return new UrlPolicy({ deny: settings.urlDeny, allow: settings.urlAllow });
  } catch (err) {
    throw new ConfigError(`PIVOT_URL_DENY / PIVOT_URL_ALLOW: ${(err as Error).message}`);
  }
}
