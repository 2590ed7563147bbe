// Callflows (KAZOO's /v2/accounts/{id}/callflows). `numbers` holds phone numbers and extensions: an entry that
// reads as a phone number is stored in E.164 and must be assigned to the account (DESIGN §2); anything else is an
// extension. Every entry is unique within the account (409 naming the callflow that has it). `patterns` must be
// regular expressions the router can run, and `flow` must pass every module's schema: the first failing node is
// named by its path (`flow.children._.data.voice_url`), and the flow is stored with the modules' defaults filled.
// A Pivot Callflow Action is a callflow whose root module is `pivot`; its voice_url and cdr_url must pass the URL
// policy as far as it can be judged without DNS (the full check runs when Pivot fetches).

import { isE164, toE164 } from '../call/numbers.js';
import { compileRegex } from '../callflow/modules/_regex.js';
import type { FlowNode } from '../callflow/types.js';
import { flowValidator } from '../callflow/validate.js';
import type { UrlPolicy } from '../pivot/http/url-policy.js';
import type { FieldErrors } from './envelope.js';
import type { Api } from './crossbar.js';
import { docRoutes } from './doc-routes.js';
import { conflict, fieldError, invalid } from './envelope.js';
import type { JsonSchema } from './validate.js';

export const callflowSchema: JsonSchema = {
  type: 'object',
  required: ['flow'],
  properties: {
    name: { type: 'string', maxLength: 128 },
    numbers: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'E.164 numbers assigned to the account, and extensions',
    },
    patterns: {
      type: 'array',
      items: { type: 'string', minLength: 1, maxLength: 512 },
      description: 'regular expressions matched against what a device dials',
    },
    flow: {
      type: 'object',
      required: ['module'],
      properties: { module: { type: 'string' }, data: { type: 'object' }, children: { type: 'object' } },
    },
    featurecode: { type: 'object' },
    enabled: { type: 'boolean' },
  },
};

/** A `numbers` entry in the form it is stored and routed by: E.164 for phone numbers, as written for extensions. */
function entryOf(raw: string): { value: string; phone: boolean } {
  const trimmed = raw.trim();
  const e164 = toE164(trimmed);
  if (e164 && isE164(e164)) return { value: e164, phone: true };
  if (trimmed.startsWith('+')) {
    throw fieldError('numbers', 'format', `${raw} is not an E.164 number (+ and 6 to 15 digits)`, { value: raw });
  }
  return { value: trimmed, phone: false };
}

/** The URLs of a flow's pivot nodes that can be judged without DNS (scheme, host, a denied IP literal). */
function checkUrls(policy: UrlPolicy, node: FlowNode, path: string): void {
  if (node.module === 'pivot') {
    for (const field of ['voice_url', 'cdr_url']) {
      const url = node.data?.[field];
      if (typeof url !== 'string' || url === '') continue;
      const verdict = policy.checkSync(url);
      if (!verdict.ok) {
        throw fieldError(`${path}.data.${field}`, 'url_policy', `${verdict.error.message} (${verdict.error.code})`, {
          value: url,
        });
      }
    }
  }
  for (const [key, child] of Object.entries(node.children ?? {})) {
    if (child) checkUrls(policy, child, `${path}.children.${key}`);
  }
}

export function callflowRoutes(api: Api): void {
  const { store } = api;
  docRoutes(api, {
    path: 'callflows',
    idParam: 'callflow_id',
    one: 'a callflow',
    entity: 'callflow',
    tag: 'callflows',
    repo: (s) => s.callflows,
    schema: callflowSchema,
    async beforeWrite({ account, current, doc }) {
      const result = flowValidator().validate(doc.flow, 'flow');
      if (!result.ok) {
        const fields: FieldErrors = {};
        for (const e of result.errors) (fields[e.path] ??= {})[e.rule] = { message: e.message };
        throw invalid(fields);
      }
      doc.flow = result.flow;
      if (api.urlPolicy) checkUrls(api.urlPolicy, doc.flow as FlowNode, 'flow');

      for (const pattern of (doc.patterns as string[] | undefined) ?? []) {
        if (!compileRegex(pattern)) {
          throw fieldError('patterns', 'format', `${pattern} is not a valid regular expression`, { value: pattern });
        }
      }

      if (doc.numbers === undefined) return;
      const numbers: string[] = [];
      for (const raw of doc.numbers as string[]) {
        const { value, phone } = entryOf(raw);
        if (numbers.includes(value)) continue;
        if (phone && !(await store.phoneNumbers.getForAccount(account.id, value))) {
          throw fieldError(
            'numbers',
            'assigned',
            `${value} is not a number of this account: add it first with PUT /v2/accounts/${account.id}/phone_numbers/${encodeURIComponent(value)}`,
            { value },
          );
        }
        const other = await store.callflows.findByNumber(account.id, value);
        if (other && other.id !== current?.id) {
          const name = other.name ? `"${other.name}" (${other.id})` : other.id;
          throw conflict('numbers', `${value} is already used by callflow ${name}`, other.id);
        }
        numbers.push(value);
      }
      doc.numbers = numbers;
    },
  });
}
