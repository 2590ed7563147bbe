// Settings: environment variables win over the config file (PIVOT_CONFIG, default ./pivot.config.json), which
// wins over defaults. Every setting has both forms (DESIGN §2).

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isE164, toE164 } from './call/numbers.js';

export interface PivotSettings {
  httpPort: number;
  sipPort: number;
  rtpPorts: { min: number; max: number };
  bind: string;
  dataDir: string;
  /** `postgres://…`: keep accounts, numbers, debug records and CDRs in PostgreSQL instead of SQLite under dataDir. */
  databaseUrl?: string;
  /** Base URL where apps reach this server (recording links); default http://<bind or 127.0.0.1>:<httpPort>. */
  publicUrl: string;
  /**
   * Set when `publicUrl` was not configured: the value derived from bind and port. While `publicUrl` still equals
   * it, `startServer` derives it again from the address HTTP actually bound (port 0 → the port the OS chose).
   */
  derivedPublicUrl?: string;
  adminAccount: string;
  adminUser: string;
  adminPassword?: string;
  /** Extra CIDRs the URL policy denies / allows (comma-separated in the environment). */
  urlDeny: string[];
  urlAllow: string[];
  logLevel: string;
  /** Install the demo IVR on start (PIVOT_DEMO; `0`/`false`/`no`/`off` turn it off). */
  demo: boolean;
  /** E.164 number the demo answers on; 555-01xx numbers are reserved for fiction. */
  demoNumber: string;
  /** On SIGINT/SIGTERM, how long running calls may go on before they are hung up (PIVOT_DRAIN_SECONDS). */
  drainSeconds: number;
  /**
   * Requests per second one source address may send (burst: twice that) before Pivot drops them (PIVOT_SIP_RATE_LIMIT,
   * default 50; 0 turns the limit off — for a trusted proxy such as Kamailio in front, or a load test).
   */
  sipRateLimit: number;
  /**
   * Run the web phone gateway (PIVOT_WEBPHONE, default on; `0`/`false`/`no`/`off` turn it off): browsers call into
   * Pivot over WebRTC through `PUT /v2/accounts/{id}/webphone/calls` (src/webphone/).
   */
  webphone: boolean;
}

type FileSettings = Partial<Omit<PivotSettings, 'rtpPorts' | 'derivedPublicUrl'> & { rtpPorts: string }>;

const ENV: Record<keyof FileSettings, string> = {
  httpPort: 'PIVOT_HTTP_PORT',
  sipPort: 'PIVOT_SIP_PORT',
  rtpPorts: 'PIVOT_RTP_PORTS',
  bind: 'PIVOT_BIND',
  dataDir: 'PIVOT_DATA_DIR',
  databaseUrl: 'PIVOT_DATABASE_URL',
  publicUrl: 'PIVOT_PUBLIC_URL',
  adminAccount: 'PIVOT_ADMIN_ACCOUNT',
  adminUser: 'PIVOT_ADMIN_USER',
  adminPassword: 'PIVOT_ADMIN_PASSWORD',
  urlDeny: 'PIVOT_URL_DENY',
  urlAllow: 'PIVOT_URL_ALLOW',
  logLevel: 'PIVOT_LOG_LEVEL',
  demo: 'PIVOT_DEMO',
  demoNumber: 'PIVOT_DEMO_NUMBER',
  drainSeconds: 'PIVOT_DRAIN_SECONDS',
  sipRateLimit: 'PIVOT_SIP_RATE_LIMIT',
  webphone: 'PIVOT_WEBPHONE',
};

export class ConfigError extends Error {}

function port(name: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`${name} must be a port number, got "${value}"`);
  return n;
}

function range(name: string, value: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(value.trim());
  const r = m && { min: port(name, m[1]), max: port(name, m[2]) };
  if (!r || r.min > r.max) throw new ConfigError(`${name} must look like 20000-29999, got "${value}"`);
  return r;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function flag(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const v = String(value).trim().toLowerCase();
  if (['', '1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false (1 or 0), got "${String(value)}"`);
}

/** A number from 0 to 86400 (seconds, or requests per second). */
function amount(name: string, value: unknown, what = 'seconds'): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400)
    throw new ConfigError(`${name} must be ${what} (0-86400), got "${value}"`);
  return n;
}

/** A PostgreSQL URL, or undefined when unset or empty (SQLite). */
function databaseUrl(name: string, value: unknown): string | undefined {
  const url = String(value ?? '').trim();
  if (url === '') return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new ConfigError(`${name} must be a postgres:// URL, got "${url.replace(/:[^:@/]*@/, ':***@')}"`);
  }
  return url;
}

function e164(name: string, value: unknown): string {
  const n = toE164(String(value));
  if (!n || !isE164(n)) throw new ConfigError(`${name} must be a phone number such as +15550100000, got "${value}"`);
  return n;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): PivotSettings {
  const file = resolve(cwd, env.PIVOT_CONFIG ?? 'pivot.config.json');
  let fromFile: FileSettings = {};
  if (existsSync(file)) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as FileSettings;
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
  } else if (env.PIVOT_CONFIG) {
    throw new ConfigError(`PIVOT_CONFIG names ${file}, which does not exist`);
  }
  const get = (key: keyof FileSettings): unknown => env[ENV[key]] ?? fromFile[key];
  const httpPort = port('PIVOT_HTTP_PORT', get('httpPort') ?? 8000);
  const bind = String(get('bind') ?? '0.0.0.0');
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const derived = `http://${host}:${httpPort}`;
  return {
    httpPort,
    sipPort: port('PIVOT_SIP_PORT', get('sipPort') ?? 5060),
    rtpPorts: range('PIVOT_RTP_PORTS', String(get('rtpPorts') ?? '20000-29999')),
    bind,
    dataDir: resolve(cwd, String(get('dataDir') ?? 'data')),
    databaseUrl: databaseUrl('PIVOT_DATABASE_URL', get('databaseUrl')),
    publicUrl: String(get('publicUrl') ?? derived).replace(/\/$/, ''),
    ...(get('publicUrl') === undefined ? { derivedPublicUrl: derived } : {}),
    adminAccount: String(get('adminAccount') ?? 'admin'),
    adminUser: String(get('adminUser') ?? 'admin'),
    adminPassword: get('adminPassword') === undefined ? undefined : String(get('adminPassword')),
    urlDeny: list(get('urlDeny')),
    urlAllow: list(get('urlAllow')),
    logLevel: String(get('logLevel') ?? 'info'),
    demo: flag('PIVOT_DEMO', get('demo') ?? true),
    demoNumber: e164('PIVOT_DEMO_NUMBER', get('demoNumber') ?? '+15550100000'),
    drainSeconds: amount('PIVOT_DRAIN_SECONDS', get('drainSeconds') ?? 30),
    sipRateLimit: amount('PIVOT_SIP_RATE_LIMIT', get('sipRateLimit') ?? 50, 'requests per second'),
    webphone: flag('PIVOT_WEBPHONE', get('webphone') ?? true),
  };
}
