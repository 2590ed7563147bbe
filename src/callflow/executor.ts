// The Kazoo callflow executor (spec §4.4): runs a node's module, then follows its outcome — a child key (named
// keys fall back to `_`), a stop (resume a stacked flow or hang up), a branch (stack the `_` child, max 50) or a
// replacement flow from Pivot. Unknown modules and `skip_module` nodes go straight to `_`.

import type { Call } from '../call/types.js';
import type { CallflowModule, CallflowServices, FlowNode, ModuleOutcome, StepObserver, StepRecord } from './types.js';
import { MODULE_MAP, flowValidator, type FlowValidator } from './validate.js';

export type { StepRecord } from './types.js';

export const MAX_BRANCHES = 50;

export interface ExecutorOptions {
  modules?: ReadonlyMap<string, CallflowModule>;
  validator?: FlowValidator;
  /** Called after each module ran (debug records, tests). */
  onStep?: (call: Call, step: StepRecord) => void;
}

export class CallflowExecutor {
  private readonly modules: ReadonlyMap<string, CallflowModule>;
  private readonly validator: FlowValidator;
  /** Calls whose flow runs here, with the flow that is to replace it (a transfer) once the current module stops. */
  private readonly running = new Map<string, { call: Call; next?: FlowNode }>();

  constructor(
    private readonly services: CallflowServices,
    private readonly options: ExecutorOptions = {},
  ) {
    this.modules = options.modules ?? MODULE_MAP;
    this.validator = options.validator ?? flowValidator();
  }

  /**
   * Replace the flow running on call `callId` with `flow` (a transfer): what the call is doing stops at once and
   * `flow` runs from its root. False when no flow of this executor runs on that call (or it cannot be interrupted).
   */
  replace(callId: string, flow: FlowNode): boolean {
    const entry = this.running.get(callId);
    if (!entry?.call.interrupt || entry.call.state === 'ended') return false;
    entry.next = flow;
    entry.call.interrupt();
    return true;
  }

  /** Run `flow` on `call` until it ends; hangs the call up when nothing is left to run. */
  async run(call: Call, flow: FlowNode): Promise<void> {
    const entry: { call: Call; next?: FlowNode } = { call };
    this.running.set(call.id, entry);
    try {
      await this.runFlow(call, flow, entry);
    } finally {
      if (this.running.get(call.id) === entry) this.running.delete(call.id);
    }
  }

  private async runFlow(call: Call, flow: FlowNode, entry: { next?: FlowNode }): Promise<void> {
    const log = this.services.log;
    const stack: FlowNode[] = [];
    let branches = 0;
    let node: FlowNode | undefined = flow;
    const resume = (): FlowNode | undefined => stack.pop();
    /** Who else hears each step: the Pivot session whose Kazoo JSON replaced the flow. */
    let observer: StepObserver | undefined;
    const report = (step: StepRecord): void => {
      this.options.onStep?.(call, step);
      observer?.(step);
    };
    /** A replacement flow waiting: the interrupted module has stopped, so the call is given back to the new flow. */
    const takeover = (): boolean => {
      if (!entry.next) return false;
      node = entry.next;
      entry.next = undefined;
      stack.length = 0;
      branches = 0;
      observer = undefined;
      call.resume?.();
      log.info({ call_id: call.id, module: node.module }, 'callflow replaced (transfer)');
      return true;
    };

    while ((node || entry.next) && (call.state !== 'ended' || entry.next)) {
      if (takeover()) continue;
      if (!node) break;
      const current: FlowNode = node;
      const mod = this.modules.get(current.module);
      if (current.data?.skip_module === true || !mod) {
        if (!mod) log.warn({ call_id: call.id, module: current.module }, 'unknown callflow module skipped');
        node = current.children?._ ?? resume();
        continue;
      }
      const data = structuredClone(current.data ?? {});
      const invalid = this.validator.data(current.module, data);
      let outcome: ModuleOutcome;
      if (invalid.length) {
        log.error({ call_id: call.id, module: current.module, errors: invalid }, 'invalid module data; skipped');
        report({ module: current.module, data, error: invalid[0].message });
        outcome = { next: '_' };
      } else {
        try {
          outcome = await mod.run({ call, data, node: current, services: this.services, log });
          report({ module: current.module, data, outcome });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          log.error({ call_id: call.id, module: current.module, err: error }, 'callflow module failed');
          report({ module: current.module, data, error });
          outcome = { next: '_' };
        }
      }

      if ('next' in outcome) {
        const keys = Array.isArray(outcome.next) ? outcome.next : [outcome.next];
        const key = keys.find((k) => current.children?.[k]);
        node = key ? current.children![key] : (current.children?._ ?? resume());
      } else if ('stop' in outcome) {
        if (outcome.stop === 'hard') stack.length = 0;
        node = resume();
      } else if ('branch' in outcome) {
        if (++branches > MAX_BRANCHES) {
          log.error({ call_id: call.id }, `more than ${MAX_BRANCHES} branches; stopping the callflow`);
          break;
        }
        if (current.children?._) stack.push(current.children._);
        node = outcome.branch;
      } else {
        node = outcome.replace;
        observer = outcome.onStep;
      }
    }
    if (call.state !== 'ended') await call.hangup('NORMAL_CLEARING');
  }
}
