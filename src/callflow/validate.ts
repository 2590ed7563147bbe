// Flow validation: every node's `module` must exist and its `data` must match the module's JSON schema.
// Used when a callflow is saved (API) and when a Pivot response of Kazoo JSON arrives, before anything runs.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { CallflowModule, FlowNode } from './types.js';
import { MODULES } from './modules/index.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

export interface FlowError {
  /** Dotted path of the failing value, e.g. `flow.children._.data.voice_url`. */
  path: string;
  /** The schema rule that failed (Kazoo error keys: required, type, enum, pattern, maximum…). */
  rule: string;
  message: string;
}

export type FlowValidation = { ok: true; flow: FlowNode } | { ok: false; errors: FlowError[] };

const MAX_DEPTH = 200;

export class FlowValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly modules: ReadonlyMap<string, CallflowModule> = MODULE_MAP) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    addFormats(ajv);
    for (const [name, mod] of modules) this.validators.set(name, ajv.compile(mod.schema));
  }

  /** Validate a whole tree; returns a copy with schema defaults filled in. */
  validate(input: unknown, path = 'flow'): FlowValidation {
    const errors: FlowError[] = [];
    let copy: unknown;
    try {
      copy = structuredClone(input);
    } catch {
      return {
        ok: false,
        errors: [{ path, rule: 'maxDepth', message: `flow is nested deeper than ${MAX_DEPTH} levels` }],
      };
    }
    const flow = this.node(copy, path, errors, 0);
    return errors.length || !flow ? { ok: false, errors } : { ok: true, flow };
  }

  /** Validate one module's data, filling defaults in place. */
  data(module: string, data: Record<string, unknown>, path = 'data'): FlowError[] {
    const check = this.validators.get(module);
    if (!check) return [{ path: `${path}`, rule: 'module', message: `unknown callflow module '${module}'` }];
    if (check(data)) return [];
    return (check.errors ?? []).map((e) => toFlowError(e, path));
  }

  private node(value: unknown, path: string, errors: FlowError[], depth: number): FlowNode | undefined {
    if (depth > MAX_DEPTH) {
      errors.push({ path, rule: 'maxDepth', message: `flow is nested deeper than ${MAX_DEPTH} levels` });
      return undefined;
    }
    if (!isObject(value)) {
      errors.push({ path, rule: 'type', message: 'a flow node must be an object with "module" and "data"' });
      return undefined;
    }
    const { module, children } = value;
    const data = value.data ?? {};
    if (typeof module !== 'string' || module.length < 1 || module.length > 64) {
      errors.push({
        path: `${path}.module`,
        rule: 'required',
        message: 'module must be a string of 1 to 64 characters',
      });
      return undefined;
    }
    if (!this.modules.has(module)) {
      errors.push({
        path: `${path}.module`,
        rule: 'enum',
        message: `unable to find callflow schema for module '${module}'`,
      });
    }
    if (!isObject(data)) {
      errors.push({ path: `${path}.data`, rule: 'type', message: 'data must be an object' });
    } else if (this.modules.has(module)) {
      errors.push(...this.data(module, data, `${path}.data`));
    }
    const node: FlowNode = { module, data: isObject(data) ? data : {} };
    if (children !== undefined) {
      if (!isObject(children)) {
        errors.push({ path: `${path}.children`, rule: 'type', message: 'children must be an object of nodes' });
      } else {
        node.children = {};
        for (const [key, child] of Object.entries(children)) {
          const c = this.node(child, `${path}.children.${key}`, errors, depth + 1);
          if (c) node.children[key] = c;
        }
      }
    }
    return node;
  }
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toFlowError(e: ErrorObject, base: string): FlowError {
  const segments = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') segments.push(String(e.params.additionalProperty));
  const path = [base, ...segments].join('.');
  const detail = e.keyword === 'enum' ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
  return { path, rule: e.keyword, message: `${e.message ?? 'is invalid'}${detail}` };
}

export const MODULE_MAP: ReadonlyMap<string, CallflowModule> = new Map(MODULES.map((m) => [m.name, m]));

let shared: FlowValidator | undefined;
/** The validator over every built-in module (schemas compiled once). */
export function flowValidator(): FlowValidator {
  return (shared ??= new FlowValidator());
}
