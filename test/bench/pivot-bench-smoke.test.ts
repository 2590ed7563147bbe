// The Pivot call benchmarks run end to end on a tiny load and print their JSON figures with no failure. Nothing
// here looks at a time: the figures are for bench/, never for tests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function bench(script: string, args: string[]): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench', script), ...args],
      { cwd: ROOT, timeout: 120_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, json: JSON.parse(line) as Record<string, unknown>, err: stderr });
        } catch {
          reject(new Error(`${script} printed no JSON line (${String(error)}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

function hasNumbers(json: Record<string, unknown>, fields: string[]): void {
  for (const f of fields) assert.equal(typeof json[f], 'number', `${f} is a number in ${JSON.stringify(json)}`);
}

test('bench/pivot-cps: 20 calls at 10/s, each with its webhook round trip and prompt, none failed', async () => {
  const { code, json, err } = await bench('pivot-cps.ts', [
    '--rate',
    '10',
    '--calls',
    '20',
    '--warmup',
    '2',
    '--rtp-ports',
    '38000-38249',
  ]);
  assert.equal(json.bench, 'pivot-cps');
  hasNumbers(json, [
    'calls_per_s',
    'invite_to_webhook_ms_p50',
    'invite_to_webhook_ms_p99',
    'webhook_to_prompt_ms_p50',
    'webhook_to_prompt_ms_p99',
    'pivot_cpu_cores',
    'max_concurrent_calls',
  ]);
  assert.equal(json.successful, 20, err);
  assert.equal(json.failed, 0);
  assert.equal(json.webhook_requests, 20);
  assert.equal(json.webhook_missing, 0);
  assert.equal(json.prompt_missing, 0);
  assert.equal(json.failed_sessions, 0);
  assert.equal(code, 0, err);
});

test('bench/pivot-concurrent: 5 calls in a Gather loop for 3 s, media both ways, none failed', async () => {
  const { code, json, err } = await bench('pivot-concurrent.ts', [
    '--calls',
    '5',
    '--seconds',
    '3',
    '--rate',
    '10',
    '--rtp-ports',
    '38250-38499',
  ]);
  assert.equal(json.bench, 'pivot-concurrent');
  hasNumbers(json, [
    'gap_ms_p50',
    'gap_ms_p99',
    'gap_ms_p999',
    'packets_received',
    'packets_lost',
    'packets_late',
    'cpu_cores_total',
    'worker_max_late_ms',
    'webhook_requests',
    'webhook_requests_per_s',
  ]);
  for (const f of ['digit_to_webhook_ms_p50', 'webhook_to_prompt_ms_p99']) assert.ok(f in json, `${f} is reported`);
  assert.equal(json.calls, 5);
  assert.equal(json.calls_set_up, 5, err);
  assert.equal(json.calls_failed, 0, err);
  assert.equal(json.webhook_failures, 0);
  assert.equal(json.sipp_successful, 5);
  assert.equal(json.sipp_failed, 0);
  assert.ok((json.packets_received as number) > 0, 'the callers heard Pivot');
  assert.equal(code, 0, err);
});
