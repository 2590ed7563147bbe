// Phone numbers (KAZOO's /v2/accounts/{id}/phone_numbers). Numbers are E.164 and unique across the whole system
// (DESIGN §2): `PUT …/phone_numbers/{number}` adds one to the account (409 when any account has it already), and a
// number in the path may be written as people type it (`(415) 555-0100`, `%2B14155550100`, `+14155550100`). A
// number listed by one of the account's callflows is not released (409 naming the callflow). The listing is
// KAZOO's: `{"numbers": {"+14155550100": {…}}}`, paged by number.

import type { FastifyRequest } from 'fastify';
import { isE164, toE164 } from '../call/numbers.js';
import type { AccountDoc, PhoneNumberDoc, PhoneNumberFields } from '../store/types.js';
import { matchesFilter, mergePatch } from '../store/util.js';
import type { Api } from './crossbar.js';
import { checkIfMatch, clientFields, partialSchema } from './doc-routes.js';
import { conflict, fieldError, notFound, revisionOf, send } from './envelope.js';
import { listOptions } from './listing.js';
import { requireAdmin, type AuthContext } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

export const phoneNumberSchema: JsonSchema = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['in_service', 'reserved'] },
    cnam: { type: 'object' },
    e911: { type: 'object' },
    features: { type: 'array', items: { type: 'string' } },
  },
};

/** Set by the server: never taken from a body. */
const OWNED = ['number', 'assigned_to', 'used_by', 'callflow_id'];

/** The path's number in E.164, or a 400 that names it. */
function numberOf(raw: string): string {
  const number = toE164(raw);
  if (!number || !isE164(number)) {
    throw fieldError('number', 'format', `${raw} is not a phone number (E.164: + and 6 to 15 digits)`, { value: raw });
  }
  return number;
}

/** The request's `data`, or nothing when the request has no body (a bare PUT adds the number as it is). */
const bodyData = (req: FastifyRequest): Record<string, unknown> =>
  req.body === undefined || req.body === null || req.body === '' ? {} : dataOf(req.body);

export function phoneNumberRoutes(api: Api): void {
  const { store, sessions } = api;
  type P = { account_id: string; number: string };
  const url = '/accounts/:account_id/phone_numbers/:number';

  async function view(doc: PhoneNumberDoc): Promise<Record<string, unknown>> {
    const callflow = await store.callflows.findByNumber(doc.account_id, doc.number);
    return {
      ...doc,
      id: doc.number,
      assigned_to: doc.account_id,
      ...(callflow ? { used_by: 'callflow', callflow_id: callflow.id } : {}),
    };
  }

  const revision = (doc: PhoneNumberDoc) => revisionOf({ id: doc.number, modified: doc.modified });

  async function load(auth: AuthContext, params: P): Promise<{ account: AccountDoc; doc: PhoneNumberDoc }> {
    const account = await sessions.account(auth, params.account_id);
    const number = numberOf(params.number);
    const doc = await store.phoneNumbers.getForAccount(account.id, number);
    if (!doc) throw notFound(number, 'phone number not found');
    return { account, doc };
  }

  /** Replaces the number's fields with `want` (fields left out are removed; the state stays unless given). */
  function replacement(current: PhoneNumberDoc, want: Record<string, unknown>): PhoneNumberFields {
    const patch: Record<string, unknown> = { ...want };
    for (const k of Object.keys(clientFields(current, OWNED))) if (!(k in want) && k !== 'state') patch[k] = null;
    return patch as PhoneNumberFields;
  }

  api.route<P>(
    { method: 'GET', url: '/accounts/:account_id/phone_numbers', summary: "The account's numbers", tag: 'numbers' },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      const from = opts.startKey;
      const all: Record<string, unknown>[] = [];
      // Sorted here, by code point: start_key compares the same way whatever the database's collation.
      const docs = (await store.phoneNumbers.list(account.id)).sort((x, y) => (x.number < y.number ? -1 : 1));
      for (const doc of docs) {
        if (from !== undefined && doc.number < from) continue;
        if (opts.createdFrom !== undefined && doc.created < opts.createdFrom) continue;
        if (opts.createdTo !== undefined && doc.created > opts.createdTo) continue;
        const shown = await view(doc);
        if (matchesFilter(shown, opts.filter)) all.push(shown);
        if (opts.limit !== undefined && all.length > opts.limit) break;
      }
      const page = opts.limit === undefined ? all : all.slice(0, opts.limit);
      const next = opts.limit !== undefined ? all[opts.limit] : undefined;
      const numbers = Object.fromEntries(page.map((n) => [n.number as string, n]));
      return send(
        req,
        reply,
        { numbers, cascade_quantity: 0 },
        { page_size: page.length, start_key: from, next_start_key: next?.number as string | undefined },
      );
    },
  );

  api.route<P>(
    {
      method: 'PUT',
      url,
      summary: 'Add a number to the account (unique across the system)',
      tag: 'numbers',
      body: phoneNumberSchema,
    },
    async (req, reply, auth) => {
      requireAdmin(auth);
      const account = await sessions.account(auth, req.params.account_id);
      const number = numberOf(req.params.number);
      const data = check<PhoneNumberFields>(phoneNumberSchema, clientFields(bodyData(req), OWNED));
      const owner = await store.phoneNumbers.get(number);
      if (owner) {
        const whose = owner.account_id === account.id ? 'this account already has it' : 'another account has it';
        throw conflict('number', `number ${number} is already assigned: ${whose}`);
      }
      const doc = await store.phoneNumbers.assign(account.id, number, data);
      return send(req, reply, await view(doc), { revision: revision(doc) }, 201);
    },
  );

  api.route<P>(
    { method: 'GET', url, summary: 'Read a number of the account', tag: 'numbers' },
    async (req, reply, auth) => {
      const { doc } = await load(auth, req.params);
      return send(req, reply, await view(doc), { revision: revision(doc) });
    },
  );

  for (const [method, merge] of [
    ['POST', false],
    ['PATCH', true],
  ] as const) {
    api.route<P>(
      {
        method,
        url,
        summary: merge ? "Change some fields of a number's document" : "Replace a number's document",
        tag: 'numbers',
        body: merge ? partialSchema(phoneNumberSchema) : phoneNumberSchema,
      },
      async (req, reply, auth) => {
        const { account, doc: current } = await load(auth, req.params);
        checkIfMatch(req, revision(current));
        requireAdmin(auth);
        const input = clientFields(dataOf(req.body), OWNED);
        const whole = merge ? (mergePatch(clientFields(current, OWNED), input) as Record<string, unknown>) : input;
        const want = check<Record<string, unknown>>(phoneNumberSchema, whole);
        const doc = await store.phoneNumbers.assign(account.id, current.number, replacement(current, want));
        return send(req, reply, await view(doc), { revision: revision(doc) });
      },
    );
  }

  api.route<P>(
    {
      method: 'DELETE',
      url,
      summary: 'Release a number from the account (refused while a callflow lists it)',
      tag: 'numbers',
    },
    async (req, reply, auth) => {
      const { account, doc } = await load(auth, req.params);
      checkIfMatch(req, revision(doc));
      requireAdmin(auth);
      const callflow = await store.callflows.findByNumber(account.id, doc.number);
      if (callflow) {
        const name = callflow.name ? `"${callflow.name}" (${callflow.id})` : callflow.id;
        throw conflict(
          'number',
          `number ${doc.number} is used by callflow ${name}: remove it from that callflow's numbers first`,
          callflow.id,
        );
      }
      const shown = await view(doc);
      await store.phoneNumbers.release(account.id, doc.number);
      return send(req, reply, shown);
    },
  );
}
