// Child processes for TTS/ASR engines: bounded run time (SIGKILL on timeout), bounded output, no shell.

import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Default 64 MiB; the child is killed past it. */
  maxStdoutBytes?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Name used in error messages, default the command's base name. */
  label?: string;
}

/** Run `command args` without a shell. Rejects with a clear message on spawn failure, timeout or too much output. */
export function runProcess(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const name = opts.label ?? command.split('/').pop();
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: string | undefined;
    const max = opts.maxStdoutBytes ?? 64 * 1024 * 1024;
    const kill = (why: string) => {
      failure ??= why;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`${name} timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > max) kill(`${name} produced more than ${max} bytes`);
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 8192) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {}); // EPIPE when the child exits without reading
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? `${name} is not installed (not on PATH)` : `${name}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(new Error(failure));
      else resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

const whichCache = new Map<string, string | null>();

/** The full path of an executable on PATH (memoised), or null. */
export function which(command: string, pathEnv = process.env.PATH ?? ''): string | null {
  const key = `${command}\0${pathEnv}`;
  const hit = whichCache.get(key);
  if (hit !== undefined) return hit;
  let found: string | null = null;
  if (command.includes('/')) {
    found = isExecutable(command) ? command : null;
  } else {
    for (const dir of pathEnv.split(delimiter)) {
      if (!dir) continue;
      const p = join(dir, command);
      if (isExecutable(p)) {
        found = p;
        break;
      }
    }
  }
  whichCache.set(key, found);
  return found;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first line of a child's stderr, for error messages. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  ).slice(0, 300);
}
