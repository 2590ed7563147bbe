// The crossbar shape every per-account document collection shares (KAZOO's /v2/accounts/{id}/<collection>):
//   GET    /accounts/{account_id}/<path>         list: page_size, start_key, filter_<field>, created_from/to
//   PUT    /accounts/{account_id}/<path>         create (201)
//   GET    /accounts/{account_id}/<path>/{id}    read
//   POST   /accounts/{account_id}/<path>/{id}    replace
//   PATCH  /accounts/{account_id}/<path>/{id}    merge (RFC 7396: null removes a field)
//   DELETE /accounts/{account_id}/<path>/{id}    delete
// The account comes first (the tenant rule: 403 outside the token's tree), then the document within that account
// only (404 otherwise, whoever owns the id). What a write would store is validated whole — a PATCH merged with the
// stored document — so a patch cannot remove a required field. POST, PATCH and DELETE honour If-Match.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountDoc, DocRepo, Extensible, ListOptions, Meta, Store } from '../store/types.js';
import { mergePatch } from '../store/util.js';
import type { Api } from './crossbar.js';
import { ApiError, fieldError, notFound, revisionOf, send } from './envelope.js';
import { listOptions, sendPage } from './listing.js';
import { requireAdmin, type AuthContext } from './session.js';
import { check, dataOf, type JsonSchema } from './validate.js';

/** A stored per-account document as the API handles it. */
export type Doc = Extensible & Meta & { account_id: string };

export type WriteAction = 'create' | 'replace' | 'patch';

export interface WriteContext {
  auth: AuthContext;
  account: AccountDoc;
  action: WriteAction;
  /** The stored document (replace and patch). */
  current?: Doc;
  /** The client's `data`, without the fields the server owns. */
  input: Record<string, unknown>;
  /** The validated document about to be stored (schema defaults filled); hooks may change it. */
  doc: Record<string, unknown>;
}

export interface DocResource {
  /** URL segment under the account, e.g. `users`. */
  path: string;
  /** Name of the id parameter, e.g. `user_id`. */
  idParam: string;
  /** What one document is called in messages and summaries, with its article: `a user`. */
  one: string;
  /** Singular name for 404s, e.g. `user`. */
  entity: string;
  tag: string;
  repo(store: Store): DocRepo<Extensible>;
  /** Schema of a whole document (what PUT and POST take; a PATCH merged with the stored document). */
  schema: JsonSchema;
  /** Fields the server keeps that a client neither sets nor sees (`password_hash`); replace and patch keep them. */
  privateFields?: readonly string[];
  /** Fields the view adds (`registration`): dropped from input, so a document read and sent back stores clean. */
  computedFields?: readonly string[];
  /** Dotted fields a listing may not filter on: an equality filter on a secret is a guessing oracle. */
  secretFields?: readonly string[];
  /** Throws when `auth` may not make this change; default: admin tokens only. */
  authorize?(auth: AuthContext, action: WriteAction | 'delete', current?: Doc): void;
  /** Checks and completes a write (uniqueness, references, derived fields); throws ApiErrors. */
  beforeWrite?(ctx: WriteContext): Promise<void>;
  afterWrite?(ctx: WriteContext, stored: Doc): Promise<void>;
  beforeDelete?(auth: AuthContext, account: AccountDoc, current: Doc): Promise<void>;
  afterDelete?(auth: AuthContext, account: AccountDoc, current: Doc): Promise<void>;
  /** The document as answered (after private fields are removed). */
  view?(doc: Record<string, unknown>, auth: AuthContext, account: AccountDoc): Record<string, unknown>;
}

const META = ['id', 'account_id', 'created', 'modified'];

/** The fields of `data` a client may set: no meta fields, no `pvt_*`, none of `hidden`. */
export function clientFields(data: Record<string, unknown>, hidden: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (!META.includes(k) && !hidden.includes(k) && !k.startsWith('pvt_')) out[k] = v;
  }
  return out;
}

/** 412 unless the request's If-Match (when given) names the document's current revision or `*`. */
export function checkIfMatch(req: FastifyRequest, revision: string): void {
  const header = req.headers['if-match'];
  if (!header) return;
  const tags = String(header)
    .split(',')
    .map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
  if (tags.includes('*') || tags.includes(revision)) return;
  throw new ApiError(412, 'precondition failed', {
    revision: {
      match: { message: 'the document changed since that revision: read it again', target: revision },
    },
  });
}

/** 400 naming the parameter when a listing filters on a secret field. */
export function refuseSecretFilters(opts: ListOptions, secrets: readonly string[]): void {
  for (const field of Object.keys(opts.filter ?? {})) {
    if (secrets.some((s) => field === s || s.startsWith(`${field}.`) || field.startsWith(`${s}.`))) {
      throw fieldError(`filter_${field}`, 'forbidden', `${field} cannot be filtered on`);
    }
  }
}

/** A schema for documentation of a partial body (a PATCH): the same fields, none required. */
export function partialSchema(schema: JsonSchema): JsonSchema {
  const { required: _required, ...rest } = schema;
  return rest;
}

/** Registers the six routes of a document collection. */
export function docRoutes(api: Api, res: DocResource): void {
  const { store, sessions } = api;
  const repo = res.repo(store);
  const hidden = res.privateFields ?? [];
  const collection = `/accounts/:account_id/${res.path}`;
  const item = `${collection}/:${res.idParam}`;
  type P = Record<string, string>;

  const authorize = (auth: AuthContext, action: WriteAction | 'delete', current?: Doc): void =>
    res.authorize ? res.authorize(auth, action, current) : requireAdmin(auth);

  const view = (doc: Doc, auth: AuthContext, account: AccountDoc): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) if (!hidden.includes(k) && !k.startsWith('pvt_')) out[k] = v;
    return res.view ? res.view(out, auth, account) : out;
  };

  const load = async (account: AccountDoc, id: string): Promise<Doc> => {
    const doc = (await repo.get(account.id, id)) as Doc | undefined;
    if (!doc) throw notFound(id, `${res.entity} not found`);
    return doc;
  };

  const answer = (req: FastifyRequest, reply: FastifyReply, auth: AuthContext, account: AccountDoc, doc: Doc) =>
    send(req, reply, view(doc, auth, account), { revision: revisionOf(doc) }, req.method === 'PUT' ? 201 : 200);

  /** Validates, runs the hooks and stores one write. */
  async function write(
    req: FastifyRequest<{ Params: P }>,
    auth: AuthContext,
    action: WriteAction,
  ): Promise<{ account: AccountDoc; stored: Doc }> {
    const account = await sessions.account(auth, req.params.account_id);
    let current: Doc | undefined;
    if (action !== 'create') {
      current = await load(account, req.params[res.idParam]);
      checkIfMatch(req, revisionOf(current));
    }
    authorize(auth, action, current);
    const input = clientFields(dataOf(req.body), [...hidden, ...(res.computedFields ?? [])]);
    const whole =
      action === 'patch'
        ? (mergePatch(clientFields(current!, hidden), structuredClone(input)) as Record<string, unknown>)
        : structuredClone(input);
    const doc = check<Record<string, unknown>>(res.schema, whole);
    const ctx: WriteContext = { auth, account, action, current, input, doc };
    await res.beforeWrite?.(ctx);
    // Private fields stay unless a hook set them (a new password hash).
    if (current) for (const k of hidden) if (!(k in ctx.doc) && current[k] !== undefined) ctx.doc[k] = current[k];
    const stored = (
      current ? await repo.replace(account.id, current.id, ctx.doc) : await repo.create(account.id, ctx.doc)
    ) as Doc;
    await res.afterWrite?.(ctx, stored);
    return { account, stored };
  }

  api.route<P>(
    { method: 'GET', url: collection, summary: `List the account's ${res.path.replace(/_/g, ' ')}`, tag: res.tag },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const opts = listOptions(req.query);
      refuseSecretFilters(opts, res.secretFields ?? []);
      const page = await repo.list(account.id, opts);
      return sendPage(req, reply, page, opts, (doc) => view(doc as Doc, auth, account));
    },
  );

  api.route<P>(
    { method: 'PUT', url: collection, summary: `Create ${res.one}`, tag: res.tag, body: res.schema },
    async (req, reply, auth) => {
      const { account, stored } = await write(req, auth, 'create');
      return answer(req, reply, auth, account, stored);
    },
  );

  api.route<P>({ method: 'GET', url: item, summary: `Read ${res.one}`, tag: res.tag }, async (req, reply, auth) => {
    const account = await sessions.account(auth, req.params.account_id);
    return answer(req, reply, auth, account, await load(account, req.params[res.idParam]));
  });

  api.route<P>(
    { method: 'POST', url: item, summary: `Replace ${res.one}`, tag: res.tag, body: res.schema },
    async (req, reply, auth) => {
      const { account, stored } = await write(req, auth, 'replace');
      return answer(req, reply, auth, account, stored);
    },
  );

  api.route<P>(
    {
      method: 'PATCH',
      url: item,
      summary: `Change some fields of ${res.one} (null removes a field)`,
      tag: res.tag,
      body: partialSchema(res.schema),
    },
    async (req, reply, auth) => {
      const { account, stored } = await write(req, auth, 'patch');
      return answer(req, reply, auth, account, stored);
    },
  );

  api.route<P>(
    { method: 'DELETE', url: item, summary: `Delete ${res.one}`, tag: res.tag },
    async (req, reply, auth) => {
      const account = await sessions.account(auth, req.params.account_id);
      const current = await load(account, req.params[res.idParam]);
      checkIfMatch(req, revisionOf(current));
      authorize(auth, 'delete', current);
      await res.beforeDelete?.(auth, account, current);
      await repo.delete(account.id, current.id);
      await res.afterDelete?.(auth, account, current);
      return send(req, reply, view(current, auth, account));
    },
  );
}
