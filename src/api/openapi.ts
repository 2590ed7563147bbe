// The API's own reference: GET /v2/openapi.json (OpenAPI 3.1) and GET /v2/docs (one self-contained HTML page, no
// scripts, no CDN). Both are built at request time from `routeTable`, so every endpoint registered through
// `api.route` is listed — test/api/openapi.test.ts checks that no route under /v2 is missing.

import { PIVOT_VERSION } from '../pivot/http/client.js';
import { routeTable, type Api, type RouteDoc } from './crossbar.js';
import { listingQuery } from './listing.js';
import type { JsonSchema } from './validate.js';

const PREFIX = '/v2';

/** Endpoints under /v2 that live outside the crossbar plugin (their own auth and answers), documented here. */
const EXTERNAL: RouteDoc[] = [
  {
    method: 'PUT',
    url: '/accounts/:account_id/pivot/calls',
    summary: 'Place an outbound call that runs a Pivot voice_url when answered',
    tag: 'calls',
    body: {
      type: 'object',
      required: ['to', 'from', 'voice_url'],
      properties: {
        to: { type: 'string', description: 'number, extension or SIP URI to call' },
        from: { type: 'string', description: 'caller ID number' },
        voice_url: { type: 'string', format: 'uri' },
        method: { type: 'string', enum: ['get', 'post'] },
        req_format: { type: 'string', enum: ['kazoo', 'twiml'], default: 'kazoo' },
        status_callback: { type: 'string', format: 'uri' },
        status_callback_events: { type: 'array', items: { type: 'string' } },
        timeout: { type: 'integer', minimum: 1, maximum: 600 },
        caller_id_name: { type: 'string' },
        debug: { type: 'boolean' },
      },
    },
  },
];

const TAG_TEXT: Record<string, string> = {
  auth: 'Logging in: a token for the X-Auth-Token header of every other request.',
  accounts: 'Accounts and sub-accounts. A token reaches its own account and the accounts below it.',
  events: 'Live events: calls and Pivot debug records as they happen.',
  reference: 'This reference.',
};

const envelopeSchema: JsonSchema = {
  type: 'object',
  required: ['data', 'status', 'request_id'],
  properties: {
    data: { description: 'the answer: a document, or a list for listings' },
    status: { type: 'string', const: 'success' },
    request_id: { type: 'string', description: 'also in the X-Request-ID header' },
    auth_token: { type: 'string', description: 'the token the request was made with' },
    revision: { type: 'string', description: "the document's revision (also the ETag header)" },
    page_size: { type: 'integer', description: 'listings: items in this page' },
    start_key: { type: 'string', description: 'listings: the start_key asked for' },
    next_start_key: { type: 'string', description: 'listings: the start_key of the next page, when there is one' },
  },
};

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['status', 'error', 'message'],
  properties: {
    status: { type: 'string', const: 'error' },
    error: { type: 'string', description: 'the HTTP status, as a string', examples: ['400'] },
    message: { type: 'string', examples: ['invalid data'] },
    data: {
      type: 'object',
      description: 'for invalid data, the failures by field: {"name": {"required": {"message": "…"}}}',
      additionalProperties: true,
    },
    request_id: { type: 'string' },
    auth_token: { type: 'string' },
  },
};

const ERRORS: Record<string, string> = {
  '400': 'Invalid data (the failures by field) or invalid JSON',
  '401': 'No token, or an unknown, revoked or expired one (or wrong credentials)',
  '403': 'The token may not act on this account, or needs admin rights',
  '404': 'No such document',
  '409': 'A unique value used elsewhere',
  '429': 'Too many attempts (Retry-After says when to try again)',
};

type Operation = Record<string, unknown>;

/** `/accounts/:account_id` → `/v2/accounts/{account_id}`, and the path parameters. */
export function openapiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url
    .split('/')
    .map((seg) => {
      if (seg === '*') {
        params.push('wildcard');
        return '{wildcard}';
      }
      const m = /^:([A-Za-z0-9_]+)(\(.*\))?$/.exec(seg);
      if (!m) return seg;
      params.push(m[1]);
      return `{${m[1]}}`;
    })
    .join('/');
  return { path: `${PREFIX}${path}`, params };
}

function isListing(doc: RouteDoc, all: readonly RouteDoc[]): boolean {
  if (doc.list !== undefined) return doc.list;
  if (doc.method !== 'GET' || /\/(:[^/]+|\*)$/.test(doc.url)) return false;
  return all.some((d) => d.url.startsWith(`${doc.url}/:`));
}

/** A query parameter from a schema (its description moves to the parameter). */
function queryParam(name: string, schema: JsonSchema): Record<string, unknown> {
  const { description, ...rest } = schema;
  return { name, in: 'query', required: false, schema: rest, ...(description ? { description } : {}) };
}

function operation(doc: RouteDoc, all: readonly RouteDoc[]): Operation {
  const { path, params } = openapiPath(doc.url);
  const authenticated = doc.auth !== false;
  const listing = isListing(doc, all);
  const parameters = [
    ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(listing ? Object.entries(listingQuery).map(([n, s]) => queryParam(n, s)) : []),
    ...Object.entries(doc.query ?? {}).map(([n, s]) => queryParam(n, s)),
  ];
  const description = [
    doc.description,
    listing ? 'A listing: `filter_<field>=<value>` (dotted fields allowed) narrows it too.' : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');
  const requestBody =
    doc.requestBody ??
    (doc.body && {
      required: true,
      content: {
        'application/json': {
          schema: { type: 'object', required: ['data'], properties: { data: doc.body } },
        },
      },
    });
  const ok = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' } } } };
  const success: Record<string, unknown> = doc.responses ?? {
    '200': { description: 'Success', ...ok },
    ...(doc.method === 'PUT' ? { '201': { description: 'Created', ...ok } } : {}),
  };
  const errors = ['400', ...(authenticated ? ['401', '403', '404'] : ['401', '429'])];
  if (doc.method === 'PUT' || doc.method === 'POST' || doc.method === 'PATCH') errors.push('409');
  return {
    operationId: `${doc.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`,
    summary: doc.summary,
    ...(description ? { description } : {}),
    tags: [doc.tag],
    security: authenticated ? [{ AuthToken: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...success,
      ...Object.fromEntries([...new Set(errors)].sort().map((s) => [s, { $ref: `#/components/responses/Error${s}` }])),
    },
  };
}

/** The OpenAPI 3.1 document of every endpoint in `routes` (first registration wins on duplicates). */
export function openapiDocument(routes: readonly RouteDoc[] = routeTable): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const tags: string[] = [];
  for (const doc of routes) {
    const { path } = openapiPath(doc.url);
    const item = (paths[path] ??= {});
    const method = doc.method.toLowerCase();
    if (item[method]) continue;
    item[method] = operation(doc, routes);
    if (!tags.includes(doc.tag)) tags.push(doc.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pivot REST API',
      version: PIVOT_VERSION,
      description:
        "KAZOO crossbar-compatible REST API of Pivot. Log in with PUT /v2/user_auth or PUT /v2/api_auth and send the auth_token in the X-Auth-Token header. Answers are envelopes {data, status, request_id, auth_token}; errors are {status: 'error', error, message, data}.",
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: tags.map((name) => ({ name, ...(TAG_TEXT[name] ? { description: TAG_TEXT[name] } : {}) })),
    paths,
    components: {
      securitySchemes: {
        AuthToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Auth-Token',
          description: 'the auth_token from PUT /v2/user_auth or PUT /v2/api_auth (Authorization: Bearer works too)',
        },
      },
      schemas: { Envelope: envelopeSchema, Error: errorSchema },
      responses: Object.fromEntries(
        Object.entries(ERRORS).map(([status, description]) => [
          `Error${status}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}

export function openapiRoutes(api: Api): void {
  const routes = (): RouteDoc[] => [
    ...routeTable,
    // Only when registered on this server (the test servers of the API alone have no calls API).
    ...EXTERNAL.filter((d) => api.app.hasRoute({ method: d.method, url: `${PREFIX}${d.url}` })),
  ];

  api.route(
    {
      method: 'GET',
      url: '/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'reference',
      auth: false,
    },
    async (_req, reply) => reply.send(openapiDocument(routes())),
  );

  api.route(
    {
      method: 'GET',
      url: '/docs',
      summary: 'This API as a readable reference page (HTML)',
      tag: 'reference',
      auth: false,
      responses: {
        '200': { description: 'the reference page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
    async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        // Self-contained: nothing to load, nothing to run.
        .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(renderDocs(openapiDocument(routes()))),
  );
}

// ---- the HTML page ------------------------------------------------------------------------------------------

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

function typeOf(s: JsonSchema): string {
  const t = s.type ?? (s.enum ? 'enum' : s.properties ? 'object' : s.const !== undefined ? 'const' : 'any');
  const base = Array.isArray(t) ? t.join(' | ') : String(t);
  if (base === 'array' && s.items && typeof s.items === 'object') return `${typeOf(s.items as JsonSchema)}[]`;
  return base;
}

function rulesOf(s: JsonSchema): string {
  const out: string[] = [];
  if (s.enum) out.push(`one of ${(s.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.const !== undefined) out.push(`= ${JSON.stringify(s.const)}`);
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format', 'pattern']) {
    if (s[k] !== undefined) out.push(`${k} ${String(s[k])}`);
  }
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  if (s.description) out.push(String(s.description));
  return out.join('; ');
}

/** Rows of a schema's fields, nested fields as dotted names (`caller_id.external.number`, `numbers[]`). */
function fieldRows(schema: JsonSchema, prefix = '', depth = 0): string[] {
  if (depth > 6) return [];
  const rows: string[] = [];
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const field = `${prefix}${name}`;
    rows.push(
      `<tr><td><code>${esc(field)}</code></td><td>${esc(typeOf(sub))}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${esc(rulesOf(sub))}</td></tr>`,
    );
    if (sub.properties) rows.push(...fieldRows(sub, `${field}.`, depth + 1));
    const items = sub.items as JsonSchema | undefined;
    if (items?.properties) rows.push(...fieldRows(items, `${field}[].`, depth + 1));
  }
  return rows;
}

function table(head: string[], rows: string[]): string {
  if (!rows.length) return '';
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** ` (envelope)` for answers in the success envelope. */
const envelopeOf = (r: Record<string, any>): string =>
  r.content?.['application/json']?.schema?.$ref === '#/components/schemas/Envelope'
    ? ' (envelope: data, status, request_id)'
    : '';

function renderOperation(method: string, path: string, op: Operation): string {
  const params = ((op.parameters ?? []) as Record<string, any>[]).map(
    (p) =>
      `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(typeOf(p.schema))}</td><td>${esc(
        [p.required ? 'required' : '', rulesOf(p.schema), p.description].filter(Boolean).join('; '),
      )}</td></tr>`,
  );
  const body = (op.requestBody as Record<string, any> | undefined)?.content as Record<string, any> | undefined;
  const json = body?.['application/json']?.schema as JsonSchema | undefined;
  const data = (json?.properties as Record<string, JsonSchema> | undefined)?.data;
  let bodyHtml = '';
  if (data) {
    const rows = fieldRows(data, 'data.');
    bodyHtml =
      `<h4>Request body <code>{"data": {…}}</code></h4>${table(['field', 'type', 'required', 'rules'], rows) || '<p>any object</p>'}` +
      `<details><summary>JSON schema of <code>data</code></summary><pre>${esc(JSON.stringify(data, null, 2))}</pre></details>`;
  } else if (body) {
    bodyHtml = `<h4>Request body</h4><p>${Object.keys(body)
      .map((t) => `<code>${esc(t)}</code>`)
      .join(', ')}</p>`;
  }
  const responses = Object.entries(op.responses as Record<string, Record<string, unknown>>).map(
    ([status, r]) =>
      `<li><code>${esc(status)}</code> ${esc(
        r.$ref ? `${ERRORS[status] ?? 'Error'} (error envelope)` : `${String(r.description ?? '')}${envelopeOf(r)}`,
      )}</li>`,
  );
  const auth = (op.security as unknown[]).length ? 'X-Auth-Token' : 'no token';
  return `<section class="op" id="${esc(op.operationId)}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> <span class="auth">${auth}</span></h3>
<p>${esc(op.summary)}</p>${op.description ? `<p class="desc">${esc(op.description)}</p>` : ''}
${params.length ? `<h4>Parameters</h4>${table(['name', 'in', 'type', 'rules'], params)}` : ''}${bodyHtml}
<h4>Responses</h4><ul class="responses">${responses.join('')}</ul>
</section>`;
}

/** The reference page of an OpenAPI document made by `openapiDocument`. */
export function renderDocs(doc: Record<string, any>): string {
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags as string[])[0];
      if (!byTag.has(tag)) {
        byTag.set(tag, []);
        nav.set(tag, []);
      }
      byTag.get(tag)!.push(renderOperation(method, path, op));
      nav
        .get(tag)!
        .push(
          `<li><a href="#${esc(op.operationId)}"><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</a></li>`,
        );
    }
  }
  const tagText = new Map((doc.tags as { name: string; description?: string }[]).map((t) => [t.name, t.description]));
  const sections = [...byTag].map(
    ([tag, ops]) =>
      `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${tagText.get(tag) ? `<p>${esc(tagText.get(tag))}</p>` : ''}${ops.join('\n')}`,
  );
  const toc = [...nav].map(
    ([tag, items]) => `<li><a href="#tag-${esc(tag)}">${esc(tag)}</a><ul>${items.join('')}</ul></li>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;display:flex}
nav{width:330px;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f6f9;border-right:1px solid #dde3ea;padding:12px;box-sizing:border-box;font-size:13px}
nav ul{list-style:none;padding-left:8px;margin:4px 0}nav a{color:#1d2430;text-decoration:none}nav>ul>li>a{font-weight:600}
main{padding:16px 32px;max-width:1000px;min-width:0}
h2{border-bottom:2px solid #dde3ea;margin-top:40px;text-transform:capitalize}
.op{border:1px solid #dde3ea;border-radius:6px;padding:4px 16px 8px;margin:16px 0}
.op h3{font-size:16px;word-break:break-all}.op h4{margin:12px 0 4px;font-size:14px}
.m{display:inline-block;min-width:52px;text-align:center;border-radius:4px;color:#fff;font-size:12px;font-weight:700;padding:1px 4px}
.get{background:#2f7dd1}.put{background:#b7791f}.post{background:#2f9e5b}.patch{background:#7b5cc4}.delete{background:#c53030}
.auth{font-size:12px;font-weight:400;color:#5a6675;margin-left:8px}.desc{white-space:pre-wrap;color:#3c4654}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border:1px solid #dde3ea;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f9}pre{background:#f4f6f9;padding:8px;overflow:auto;font-size:12px}code{font-size:13px}
</style></head>
<body><nav><strong>${esc(doc.info.title)}</strong> <small>${esc(doc.info.version)}</small>
<p><a href="${PREFIX}/openapi.json">openapi.json</a></p><ul>${toc.join('')}</ul></nav>
<main><h1>${esc(doc.info.title)}</h1><p>${esc(doc.info.description)}</p>
<p>Every error answer is the error envelope: <code>{"status": "error", "error": "400", "message": "invalid data", "data": {"field": {"rule": {"message": "…"}}}, "request_id": "…"}</code>.</p>
${sections.join('\n')}
</main></body></html>
`;
}
