// Builds the web app (web/ → web/dist) when it is missing or older than its sources. `npm install` builds it
// (prepare), `npm start` and the browser tests call this so an edited app is never served stale.
//   node --import tsx scripts/web-build.ts [--force]

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'web');
const built = join(web, 'dist', 'index.html');

/** The newest modification time under the app's sources. */
function newestSource(dir = web): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function webBuildIsStale(): boolean {
  return !existsSync(built) || statSync(built).mtimeMs < newestSource();
}

let building: Promise<void> | undefined;

/** Runs `vite build web` when the build is stale (once per process). */
export function ensureWebBuilt(force = false): Promise<void> {
  if (!force && !webBuildIsStale()) return Promise.resolve();
  building ??= new Promise<void>((resolve, reject) => {
    const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    const child = spawn(process.execPath, [vite, 'build', web, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))));
  });
  return building;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureWebBuilt(process.argv.includes('--force')).catch((err: unknown) => {
    console.error(`web build failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
