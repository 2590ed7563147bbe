// Shared harness for callflow tests: real SQLite store in memory, a scripted call, recorded HTTP and Pivot.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScriptedCall, type ScriptedCallInit } from '../../src/call/scripted.js';
import { CallflowExecutor, type StepRecord } from '../../src/callflow/executor.js';
import type { CallflowServices, FlowNode, HttpService, Logger, PivotService } from '../../src/callflow/types.js';
import { openSqliteStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

export interface LoggedLine {
  level: string;
  obj: object | string;
  msg?: string;
}

export function memoryLogger(lines: LoggedLine[] = []): Logger & { lines: LoggedLine[] } {
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** An HttpService that records what modules asked for and answers 200 (tests of module logic only). */
export function recordingHttp(): HttpService & { sent: Parameters<HttpService['send']>[0][]; uploads: unknown[] } {
  const sent: Parameters<HttpService['send']>[0][] = [];
  const uploads: unknown[] = [];
  return {
    sent,
    uploads,
    async send(req) {
      sent.push(req);
      return { status: 200 };
    },
    async upload(url, method, file) {
      uploads.push({ url, method, file });
      return { status: 200 };
    },
  };
}

const noPivot: PivotService = {
  async run() {
    throw new Error('no Pivot service in this test');
  },
};

export interface Harness {
  store: Store;
  services: CallflowServices;
  log: ReturnType<typeof memoryLogger>;
  http: ReturnType<typeof recordingHttp>;
  accountId: string;
  steps: StepRecord[];
  executor: CallflowExecutor;
  /** Run `flow` on a new scripted call of the harness account; resolves when the callflow ended. */
  run(flow: FlowNode, init?: ScriptedCallInit): Promise<ScriptedCall>;
}

export async function harness(
  opts: { pivot?: PivotService; now?: () => number; http?: HttpService } = {},
): Promise<Harness> {
  const store = await openSqliteStore({ file: ':memory:' });
  const account = await store.accounts.create({ name: 'Acme', realm: 'acme.pivot.test' });
  const log = memoryLogger();
  const http = recordingHttp();
  const steps: StepRecord[] = [];
  const services: CallflowServices = {
    store,
    pivot: opts.pivot ?? noPivot,
    http: opts.http ?? http,
    log,
    now: opts.now ?? (() => Date.now()),
    dataDir: mkdtempSync(join(tmpdir(), 'pivot-test-')),
  };
  const executor = new CallflowExecutor(services, { onStep: (_c, s) => steps.push(s) });
  return {
    store,
    services,
    log,
    http,
    accountId: account.id,
    steps,
    executor,
    async run(flow, init = {}) {
      const call = new ScriptedCall({ accountId: account.id, ...init });
      try {
        await executor.run(call, flow);
      } finally {
        call.release();
      }
      return call;
    },
  };
}
