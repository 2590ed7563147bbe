// A started Pivot and a crossbar client for the REST API tests: real HTTP against `pivot start`'s server.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsOf } from '../../src/api/passwords.js';
import { startServer } from '../../src/cli/start.js';
import { loadSettings } from '../../src/config.js';
import { startPostgres } from './postgres.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: {
    data?: any;
    status?: string;
    error?: string;
    message?: string;
    auth_token?: string;
    request_id?: string;
    revision?: string;
    [key: string]: unknown;
  };
}

export interface ApiServer {
  server: Awaited<ReturnType<typeof startServer>>;
  base: string;
  /** The master account's id and its admin's password. */
  masterId: string;
  adminPassword: string;
  /** Added to this file's fixed ports (RTP, SIPp media): 10000 on PostgreSQL, so both variants run at once. */
  portShift: number;
  call(
    method: string,
    path: string,
    opts?: { token?: string; data?: unknown; body?: string; type?: string },
  ): Promise<ApiAnswer>;
  /** Logs in with md5 credentials; returns the token. */
  login(account: string, username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * `pivot start` on loopback with a fresh data dir and a known admin password; RTP on `rtpPorts`. With
 * PIVOT_TEST_STORE=postgres (test/api-postgres/) the store is a throwaway PostgreSQL server, and the RTP range
 * moves 10000 up so both variants of a test file can run at once.
 */
export async function apiServer(rtpPorts: { min: number; max: number }): Promise<ApiServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pivot-api-'));
  const adminPassword = 'Admin-Pass-1';
  const postgres = process.env.PIVOT_TEST_STORE === 'postgres' ? await startPostgres() : undefined;
  const databaseUrl = postgres ? await postgres.newDatabase() : undefined;
  const shift = postgres ? 10_000 : 0;
  const server = await startServer({
    ...loadSettings({}, dataDir),
    dataDir,
    databaseUrl,
    httpPort: 0,
    sipPort: 0,
    rtpPorts: { min: rtpPorts.min + shift, max: rtpPorts.max + shift },
    bind: '127.0.0.1',
    logLevel: 'silent',
    adminPassword,
    demo: false,
  });
  const base = server.publicUrl;
  const call: ApiServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers['X-Auth-Token'] = opts.token;
    let body: string | undefined = opts.body;
    if (opts.data !== undefined) body = JSON.stringify({ data: opts.data });
    if (body !== undefined) headers['Content-Type'] = opts.type ?? 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  return {
    server,
    base,
    masterId: server.boot.account.id,
    adminPassword,
    portShift: shift,
    call,
    async login(account, username, password) {
      const res = await call('PUT', '/v2/user_auth', {
        data: { credentials: credentialsOf(username, password), account_name: account },
      });
      if (res.status !== 201 || !res.body.auth_token) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
      return res.body.auth_token;
    },
    async stop() {
      await server.stop(1000);
      await postgres?.stop();
    },
  };
}
