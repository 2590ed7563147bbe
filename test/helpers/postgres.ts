// A throwaway PostgreSQL server from Debian's `postgresql` package: a fresh cluster in a temp dir (in memory when
// /dev/shm exists), on loopback and a free port, fsync off; one per test file, with a fresh database per store.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface Postgres {
  /** The server's maintenance database (`postgres`), as superuser. */
  url: string;
  /** Creates an empty database and returns its URL. */
  newDatabase(): Promise<string>;
  /** Drops a database newDatabase created, closing its connections. */
  dropDatabase(url: string): Promise<void>;
  /** Stops the server and removes its files. */
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb. */
function install(): { bin: string; version: number } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const version = versions
    .map(Number)
    .sort((a, b) => b - a)
    .find((v) => existsSync(join(root, String(v), 'bin', 'initdb')));
  if (version === undefined)
    throw new Error('PostgreSQL is not installed: bash scripts/install-test-peers.sh postgresql');
  return { bin: join(root, String(version), 'bin'), version };
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** initdb and postgres refuse to run as root: as root, run them as the package's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** In memory when possible: on a disk, CREATE DATABASE alone can take a quarter of a second. */
function tempDir(): string {
  try {
    return mkdtempSync(join('/dev/shm', 'pivot-pg-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'pivot-pg-'));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startPostgres(): Promise<Postgres> {
  const { bin, version } = install();
  const user = runAs();
  const dir = tempDir();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  let server: ChildProcess | undefined;
  // A crashed test process must not leave the server running.
  const killOnExit = () => server?.kill('SIGKILL');
  process.on('exit', killOnExit);
  try {
    // A linguistic default collation (ICU en-US, PostgreSQL 15+), as production servers have: the store must not
    // depend on it (its TEXT columns are COLLATE "C").
    const icu = version >= 15 ? ['--locale-provider=icu', '--icu-locale=en-US'] : [];
    execFileSync(
      join(bin, 'initdb'),
      [...['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], ...icu],
      { ...user, stdio: 'pipe', timeout: 30_000 },
    );
    let url = '';
    // The free port may be taken before the server binds it: try another.
    for (let attempt = 1; !url; attempt++) {
      const port = await freeTcpPort();
      server = spawn(
        join(bin, 'postgres'),
        [
          ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
          ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        ],
        { ...user, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const ready = await waitReady(server, `postgres://postgres@127.0.0.1:${port}/postgres`);
      if (ready.ok) url = ready.url;
      else if (attempt === 3) throw new Error(`PostgreSQL did not start: ${ready.log}`);
    }
    const admin = new pg.Client({ connectionString: url });
    // A server that dies fails the next query; the event alone must not crash the test process.
    admin.on('error', () => {});
    await admin.connect();
    let databases = 0;
    return {
      url,
      async newDatabase() {
        const name = `pivot_${++databases}`;
        await admin.query(`CREATE DATABASE ${name}`);
        return url.replace(/\/postgres$/, `/${name}`);
      },
      async dropDatabase(dbUrl) {
        await admin.query(`DROP DATABASE ${new URL(dbUrl).pathname.slice(1)} WITH (FORCE)`);
      },
      async stop() {
        await admin.end().catch(() => {});
        await stop(server);
        process.off('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stop(server);
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls with a connection until the server answers (at most 20 s) or exits. */
async function waitReady(
  server: ChildProcess,
  url: string,
): Promise<{ ok: true; url: string } | { ok: false; log: string }> {
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 20_000;
  while (!gone && Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return { ok: true, url };
    } catch {
      await Promise.race([sleep(100), exited]);
    } finally {
      await client.end().catch(() => {});
    }
  }
  await stop(server);
  return { ok: false, log: gone ? log : `not ready after 20 s\n${log}` };
}

/** Fast shutdown (SIGINT), then SIGKILL if it takes more than 10 s. */
async function stop(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
