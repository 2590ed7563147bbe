// The API's reference over real HTTP against a started Pivot: GET /v2/openapi.json is a valid OpenAPI 3.1 document
// (checked by swagger-parser) that lists EVERY route fastify has under /v2 — walked from `printRoutes`, so an
// endpoint registered by any means cannot be missing — with its parameters, body schema, envelopes and security;
// GET /v2/docs renders it as one self-contained HTML page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteDoc } from '../../src/api/crossbar.js';
import { openapiDocument } from '../../src/api/openapi.js';
import { apiServer, type ApiServer } from '../helpers/api.js';

let api: ApiServer;
let doc: any;

before(async () => {
  api = await apiServer({ min: 39900, max: 39999 });
  const res = await fetch(`${api.base}/v2/openapi.json`);
  assert.equal(res.status, 200, 'no token needed');
  assert.match(String(res.headers.get('content-type')), /^application\/json/);
  doc = await res.json();
});

after(async () => {
  await api.stop();
});

/** Every route of the server as [METHOD, url] from fastify's own route tree (HEAD routes are fastify's). */
function fastifyRoutes(): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of api.server.app.printRoutes().split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    if (!m[3]) continue;
    const url = stack.join('');
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push([method, url]);
  }
  return out;
}

/**
 * `/v2/accounts/:account_id` → `/v2/accounts/{}`: parameter names do not make a path another one (printRoutes shows
 * `:account_id|:accountId` where routes name the same parameter differently).
 */
const shape = (path: string): string => path.replace(/(:[A-Za-z0-9_]+(\([^)]*\))?\|?)+|\{[^}]+\}/g, '{}');

test('the document is valid OpenAPI 3.1 (swagger-parser)', async () => {
  assert.equal(doc.openapi, '3.1.0');
  await SwaggerParser.validate(structuredClone(doc));
});

test('EVERY route fastify has under /v2 is in the document, and nothing else', () => {
  const routes = fastifyRoutes().filter(([, url]) => url.startsWith('/v2/'));
  assert.ok(routes.length >= 20, `routes found in printRoutes: ${routes.length}`);
  const documented = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${shape(path)}`);
  }
  const missing = routes.filter(([m, url]) => !documented.has(`${m} ${shape(url)}`)).map((r) => r.join(' '));
  assert.deepEqual(missing, [], 'routes missing from /v2/openapi.json');
  const registered = new Set(routes.map(([m, url]) => `${m} ${shape(url)}`));
  assert.deepEqual(
    [...documented].filter((k) => !registered.has(k)),
    [],
    'documented endpoints that do not exist',
  );
  for (const path of ['/v2/openapi.json', '/v2/docs', '/v2/websocket', '/v2/user_auth']) {
    assert.ok(doc.paths[path], path);
  }
});

test('each operation: summary, tag, path parameters, security, envelopes and the error envelope', () => {
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    const placeholders = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      assert.ok(op.summary, `${where}: summary`);
      assert.equal(op.tags?.length, 1, `${where}: tag`);
      assert.ok(!ids.has(op.operationId), `${where}: unique operationId`);
      ids.add(op.operationId);
      const pathParams = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
      assert.deepEqual(pathParams, placeholders, `${where}: path parameters`);
      assert.ok(
        Object.keys(op.responses).some((s) => /^[12]\d\d$/.test(s)),
        `${where}: a success answer`,
      );
      assert.equal(op.responses['400']?.$ref, '#/components/responses/Error400', `${where}: the error envelope`);
      if (op.requestBody?.content?.['application/json']) {
        const schema = op.requestBody.content['application/json'].schema;
        assert.deepEqual(schema.required, ['data'], `${where}: the body is {"data": …}`);
        assert.equal(typeof schema.properties.data, 'object');
      }
    }
  }
  const login = doc.paths['/v2/user_auth'].put;
  assert.deepEqual(login.security, [], 'user_auth needs no token');
  assert.deepEqual(doc.paths['/v2/api_auth'].put.security, []);
  assert.deepEqual(doc.paths['/v2/openapi.json'].get.security, []);
  assert.ok(login.requestBody.content['application/json'].schema.properties.data.properties.credentials);

  const account = doc.paths['/v2/accounts/{account_id}'];
  assert.deepEqual(account.get.security, [{ AuthToken: [] }]);
  assert.equal(account.get.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/Envelope');
  assert.equal(account.get.responses['401'].$ref, '#/components/responses/Error401');
  assert.deepEqual(account.put.requestBody.content['application/json'].schema.properties.data.required, ['name']);
  assert.deepEqual(doc.components.securitySchemes.AuthToken, {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: doc.components.securitySchemes.AuthToken.description,
  });
  const error = doc.components.schemas.Error;
  assert.deepEqual(error.required, ['status', 'error', 'message']);
  assert.equal(doc.components.responses.Error400.content['application/json'].schema.$ref, '#/components/schemas/Error');
  assert.deepEqual(doc.components.schemas.Envelope.required, ['data', 'status', 'request_id']);
  const sse = doc.paths['/v2/accounts/{account_id}/events'].get;
  assert.ok(sse.responses['200'].content['text/event-stream']);
  assert.deepEqual(
    sse.parameters.map((p: any) => p.name),
    ['account_id', 'binding'],
  );
});

test('listings take page_size, start_key, created_from and created_to; single documents do not', () => {
  const routes: RouteDoc[] = [
    { method: 'GET', url: '/accounts/:account_id/things', summary: 'list', tag: 't' },
    { method: 'GET', url: '/accounts/:account_id/things/:thing_id', summary: 'read', tag: 't' },
    {
      method: 'PUT',
      url: '/accounts/:account_id/things/:thing_id',
      summary: 'make',
      tag: 't',
      body: { type: 'object', properties: { name: { type: 'string' } } },
    },
    { method: 'GET', url: '/accounts/:account_id/stats', summary: 'explicit', tag: 't', list: true },
    { method: 'GET', url: '/accounts/:account_id/key', summary: 'not a list', tag: 't' },
  ];
  const d: any = openapiDocument(routes);
  const query = (path: string) =>
    (d.paths[path].get.parameters as any[]).filter((p) => p.in === 'query').map((p) => p.name);
  assert.deepEqual(query('/v2/accounts/{account_id}/things'), ['page_size', 'start_key', 'created_from', 'created_to']);
  assert.deepEqual(query('/v2/accounts/{account_id}/stats'), ['page_size', 'start_key', 'created_from', 'created_to']);
  assert.deepEqual(query('/v2/accounts/{account_id}/things/{thing_id}'), []);
  assert.deepEqual(query('/v2/accounts/{account_id}/key'), []);
  const pageSize = d.paths['/v2/accounts/{account_id}/things'].get.parameters.find((p: any) => p.name === 'page_size');
  assert.deepEqual(pageSize.schema, { type: 'integer', minimum: 1, maximum: 1000 });
  assert.match(d.paths['/v2/accounts/{account_id}/things'].get.description, /filter_<field>/);
  const body = d.paths['/v2/accounts/{account_id}/things/{thing_id}'].put.requestBody.content['application/json'];
  assert.deepEqual(body.schema, {
    type: 'object',
    required: ['data'],
    properties: { data: { type: 'object', properties: { name: { type: 'string' } } } },
  });
});

test('/v2/docs renders every endpoint, grouped by tag, as one self-contained page', async () => {
  const res = await fetch(`${api.base}/v2/docs`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/html/);
  assert.match(String(res.headers.get('content-security-policy')), /default-src 'none'/);
  const html = await res.text();
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|<link|src=|href="https?:/i, 'nothing loaded from elsewhere');
  for (const tag of doc.tags) assert.ok(html.includes(`id="tag-${tag.name}"`), `section ${tag.name}`);
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      const i = html.indexOf(`id="${op.operationId}"`);
      assert.ok(i > 0, `${method} ${path} has its section`);
      const section = html.slice(i, html.indexOf('</section>', i));
      assert.ok(section.includes(`>${method.toUpperCase()}</span> <code>${path}</code>`), `${method} ${path}`);
    }
  }
  // A body schema is shown field by field.
  const put = doc.paths['/v2/accounts/{account_id}'].put.operationId;
  const section = html.slice(html.indexOf(`id="${put}"`));
  assert.match(
    section.slice(0, section.indexOf('</section>')),
    /<code>data\.name<\/code><\/td><td>string<\/td><td>yes/,
  );
});
