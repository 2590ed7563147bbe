// The REST API under /v2, in KAZOO crossbar's shapes (DESIGN §2). This plugin owns what every endpoint shares:
// request ids, the error envelope (validation, 401/403/404/409/413/415/429), authentication, and the route table
// that the OpenAPI document is generated from. Each resource registers its routes in its own file.

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError } from '../store/errors.js';
import type { CallRuntime } from '../cli/runtime.js';
import type { Store } from '../store/types.js';
import { accountRoutes } from './accounts.js';
import { callflowRoutes } from './callflows.js';
import { configDocRoutes } from './config-docs.js';
import { deviceRoutes } from './devices.js';
import { phoneNumberRoutes } from './phone-numbers.js';
import { userRoutes } from './users.js';
import { cdrRoutes } from './cdrs.js';
import { channelRoutes } from './channels.js';
import { ApiError, errorBody, fromStoreError } from './envelope.js';
import { eventRoutes } from './events.js';
import { MEDIA_MAX_BYTES, mediaRoutes, mediaUploadParser } from './media.js';
import { pivotDebugRoutes } from './pivot-debug.js';
import { openapiRoutes } from './openapi.js';
import { recordingRoutes } from './recordings.js';
import { LoginThrottle, Sessions, type AuthContext } from './session.js';
import { authRoutes } from './user-auth.js';
import { webphoneRoutes } from './webphone.js';
import type { UrlPolicy } from '../pivot/http/url-policy.js';
import type { JsonSchema } from './validate.js';

export interface CrossbarOptions {
  store: Store;
  /** The call runtime (live calls, registrations, events), once it runs. */
  runtime?: () => CallRuntime | undefined;
  /** Token lifetime in seconds (default 3600, as KAZOO). */
  tokenTtlSeconds?: number;
  throttle?: LoginThrottle;
  /** Pivot's data folder: uploaded media live under it (and recordings, which the API serves and deletes). */
  dataDir?: string;
  /** The URL policy Pivot fetches with: URLs saved in callflows are checked against it at once. */
  urlPolicy?: UrlPolicy;
}

/** One endpoint as the OpenAPI document describes it. */
export interface RouteDoc {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify path under /v2, e.g. `/accounts/:account_id/children`. */
  url: string;
  summary: string;
  tag: string;
  /** Schema of `data` in the request body. */
  body?: JsonSchema;
  /** False for the login endpoints. */
  auth?: boolean;
  /** More than the summary, for the reference page. */
  description?: string;
  /** A listing that takes `listingQuery` (default: a GET of a collection that also has `/:id` routes). */
  list?: boolean;
  /** Other query-string parameters, by name. */
  query?: Record<string, JsonSchema>;
  /** A body that is not `{"data": …}` JSON (an OpenAPI Request Body Object, e.g. audio uploads). */
  requestBody?: Record<string, unknown>;
  /** Success answers when not the JSON envelope (OpenAPI Response Objects by status). */
  responses?: Record<string, unknown>;
}

export interface Api {
  app: FastifyInstance;
  store: Store;
  /** The call runtime, once it runs (HTTP starts first). */
  runtime: () => CallRuntime | undefined;
  sessions: Sessions;
  throttle: LoginThrottle;
  /** Pivot's data folder (media files), when the server has one. */
  dataDir?: string;
  urlPolicy?: UrlPolicy;
  /** Registers an endpoint: authenticated unless `doc.auth === false`, listed in the OpenAPI document. */
  route<P = Record<string, string>>(
    doc: RouteDoc,
    handler: (req: FastifyRequest<{ Params: P }>, reply: FastifyReply, auth: AuthContext) => Promise<unknown>,
  ): void;
}

/** Every endpoint registered, for the OpenAPI document. */
export const routeTable: RouteDoc[] = [];

export const crossbar: FastifyPluginAsync<CrossbarOptions> = async (app, opts) => {
  const sessions = new Sessions(opts.store, (opts.tokenTtlSeconds ?? 3600) * 1000);
  const throttle = opts.throttle ?? new LoginThrottle();

  // Bodies are JSON here (raw media uploads register their own types): anything else is a 415.
  app.removeContentTypeParser('text/plain');
  // Audio bodies, for PUT/POST /media/{id}/raw only (the parser refuses them elsewhere).
  app.addContentTypeParser(/^audio\//, { parseAs: 'buffer', bodyLimit: MEDIA_MAX_BYTES }, mediaUploadParser);

  app.addHook('onRequest', async (req, reply) => {
    void reply.header('X-Request-ID', req.id);
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const apiError = toApiError(err);
    if (apiError.status >= 500) req.log.error({ err }, 'API request failed');
    for (const [k, v] of Object.entries(apiError.headers)) void reply.header(k, v);
    return reply.code(apiError.status).send(errorBody(req, apiError));
  });

  app.setNotFoundHandler((req, reply) => {
    const err = new ApiError(404, 'not found', { message: `no endpoint ${req.method} ${req.url.split('?')[0]}` });
    return reply.code(404).send(errorBody(req, err));
  });

  const api: Api = {
    app,
    store: opts.store,
    runtime: opts.runtime ?? (() => undefined),
    sessions,
    throttle,
    dataDir: opts.dataDir,
    urlPolicy: opts.urlPolicy,
    route(doc, handler) {
      routeTable.push(doc);
      app.route({
        method: doc.method,
        url: doc.url,
        handler: async (req, reply) => {
          const auth = doc.auth === false ? (undefined as unknown as AuthContext) : await sessions.authenticate(req);
          req.auth = auth;
          return handler(req as never, reply, auth);
        },
      });
    },
  };
  authRoutes(api);
  accountRoutes(api);
  userRoutes(api);
  deviceRoutes(api);
  phoneNumberRoutes(api);
  callflowRoutes(api);
  configDocRoutes(api);
  await eventRoutes(api);
  openapiRoutes(api);
  mediaRoutes(api);
  recordingRoutes(api);
  cdrRoutes(api);
  channelRoutes(api);
  pivotDebugRoutes(api);
  webphoneRoutes(api);
};

/** Any failure in API terms; fastify's own (bad JSON, body too large, wrong content type) keep their status. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) return fromStoreError(err);
  const e = err as { statusCode?: number; code?: string; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported content type: send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid json', { data: { required: { message: 'the JSON body is empty' } } });
  }
  if (e.statusCode === 400 && /JSON/i.test(e.message ?? '')) {
    return new ApiError(400, 'invalid json', { message: e.message });
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.message ?? '');
  return new ApiError(500, 'internal error');
}
