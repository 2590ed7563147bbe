// The web app (web/, built by Vite to web/dist on `npm install`) served at `/`. Hashed assets are cached for good;
// index.html never is, and it answers every other browser path (/debug, /callflows/…) so deep links and reloads
// work. API paths keep their own JSON 404s. Without a build, `/` says how to make one instead of a bare 404.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

/** Paths that belong to the APIs, never to the app's fallback page. */
const API_PREFIXES = ['/v2', '/2010-04-01', '/health', '/demo'];

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Pivot</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>Pivot is running, but its web app is not built</h1>
<p>Build it with <code>npm run build:web</code> (it is built by <code>npm install</code>), then reload this page.
The REST API is at <a href="/v2/docs">/v2/docs</a>.</p>`;

export async function webApp(app: FastifyInstance, opts: { dist?: string } = {}): Promise<void> {
  const dist = opts.dist ?? WEB_DIST;
  const index = join(dist, 'index.html');
  const built = existsSync(index);
  if (built) {
    await app.register(fastifyStatic, {
      root: dist,
      prefix: '/',
      index: false,
      wildcard: false, // files are listed at start: unknown paths fall through to the handler below
      setHeaders(res, path) {
        res.setHeader('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  const page = built ? readFileSync(index) : Buffer.from(NOT_BUILT);
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const api = API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
    if (req.method === 'GET' && !api && !path.startsWith('/assets/')) {
      return reply.code(200).type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(page);
    }
    return reply.code(404).send({ status: 'error', error: '404', message: `not found: ${req.method} ${path}` });
  });
}
