// Settings: environment variables win over the config file (PIVOT_CONFIG, default ./pivot.config.json), which
// wins over defaults. Every setting has both forms (DESIGN §2).

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface PivotSettings {
  httpPort: number;
  sipPort: number;
  rtpPorts: { min: number; max: number };
  bind: string;
  dataDir: string;
  /** Base URL where apps reach this server (recording links); default http://<bind or 127.0.0.1>:<httpPort>. */
  publicUrl: string;
  adminAccount: string;
  adminUser: string;
  adminPassword?: string;
  /** Extra CIDRs the URL policy denies / allows (comma-separated in the environment). */
  urlDeny: string[];
  urlAllow: string[];
  logLevel: string;
}

type FileSettings = Partial<Omit<PivotSettings, 'rtpPorts'> & { rtpPorts: string }>;

const ENV: Record<keyof FileSettings, string> = {
  httpPort: 'PIVOT_HTTP_PORT',
  sipPort: 'PIVOT_SIP_PORT',
  rtpPorts: 'PIVOT_RTP_PORTS',
  bind: 'PIVOT_BIND',
  dataDir: 'PIVOT_DATA_DIR',
  publicUrl: 'PIVOT_PUBLIC_URL',
  adminAccount: 'PIVOT_ADMIN_ACCOUNT',
  adminUser: 'PIVOT_ADMIN_USER',
  adminPassword: 'PIVOT_ADMIN_PASSWORD',
  urlDeny: 'PIVOT_URL_DENY',
  urlAllow: 'PIVOT_URL_ALLOW',
  logLevel: 'PIVOT_LOG_LEVEL',
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
  return {
    httpPort,
    sipPort: port('PIVOT_SIP_PORT', get('sipPort') ?? 5060),
    rtpPorts: range('PIVOT_RTP_PORTS', String(get('rtpPorts') ?? '20000-29999')),
    bind,
    dataDir: resolve(cwd, String(get('dataDir') ?? 'data')),
    publicUrl: String(get('publicUrl') ?? `http://${host}:${httpPort}`).replace(/\/$/, ''),
    adminAccount: String(get('adminAccount') ?? 'admin'),
    adminUser: String(get('adminUser') ?? 'admin'),
    adminPassword: get('adminPassword') === undefined ? undefined : String(get('adminPassword')),
    urlDeny: list(get('urlDeny')),
    urlAllow: list(get('urlAllow')),
    logLevel: String(get('logLevel') ?? 'info'),
  };
}
