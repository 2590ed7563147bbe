// Request bodies checked against JSON schemas (the same schemas the OpenAPI document is built from), every
// failure reported at once in crossbar's shape: {"name": {"required": {"message": "Field is required but missing"}}}.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { invalid, type FieldErrors } from './envelope.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  (addFormatsModule as unknown as FormatsPlugin);

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

export type JsonSchema = Record<string, unknown>;

/** Dotted field path of an ajv error (`caller_id.external.number`, `numbers.0`). */
function fieldOf(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : '';
  return [base, missing].filter(Boolean).join('.') || 'data';
}

function messageOf(e: ErrorObject): { message: string; target?: unknown } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { message: 'Field is required but missing' };
    case 'type':
      return { message: `Value is not of type ${String(p.type)}`, target: p.type };
    case 'minLength':
      return { message: `Value is shorter than ${String(p.limit)} characters`, target: p.limit };
    case 'maxLength':
      return { message: `Value is longer than ${String(p.limit)} characters`, target: p.limit };
    case 'minimum':
      return { message: `Value is smaller than ${String(p.limit)}`, target: p.limit };
    case 'maximum':
      return { message: `Value is larger than ${String(p.limit)}`, target: p.limit };
    case 'enum':
      return { message: 'Value not found in enumerated list of values', target: p.allowedValues };
    case 'pattern':
      return { message: `Failed to match pattern ${String(p.pattern)}`, target: p.pattern };
    case 'format':
      return { message: `Value is not a valid ${String(p.format)}`, target: p.format };
    case 'minItems':
      return { message: `The list is shorter than ${String(p.limit)} items`, target: p.limit };
    case 'additionalProperties':
      return { message: `Unknown field ${String(p.additionalProperty)}` };
    default:
      return { message: e.message ?? e.keyword };
  }
}

/** Crossbar field errors of a failed validation. */
export function fieldErrorsOf(errors: readonly ErrorObject[]): FieldErrors {
  const out: FieldErrors = {};
  for (const e of errors) {
    (out[fieldOf(e)] ??= {})[e.keyword] = messageOf(e);
  }
  return out;
}

/** Validates (filling schema defaults in place) or throws a 400 naming every failing field and rule. */
export function check<T>(schema: JsonSchema, value: unknown): T {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (!validate(value)) throw invalid(fieldErrorsOf(validate.errors ?? []));
  return value as T;
}

/** The `data` object of a crossbar request body (`{"data": {...}}`), or a 400 saying what is wrong. */
export function dataOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') {
    throw invalid({ data: { required: { message: 'the request needs a JSON body {"data": {...}}' } } });
  }
  const data = (body as { data?: unknown }).data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid({ data: { type: { message: 'data must be a JSON object', target: 'object' } } });
  }
  return data as Record<string, unknown>;
}
