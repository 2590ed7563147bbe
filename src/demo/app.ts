// The demo web app, served by Pivot itself under /demo: a TwiML IVR (greeting; 1 the time, 2 record and play
// back, 3 echo the digits, 0 a Kazoo-JSON menu). It is an ordinary Pivot app — every request must carry a valid
// X-Twilio-Signature from the account it names (403 otherwise), and Pivot reaches it over HTTP like any other.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountDoc, Store } from '../store/types.js';
import { demoMenuId } from './install.js';
import { kazooMenuFlow } from './kazoo.js';
import { verifyPivotRequest } from './signature.js';
import {
  digitsDocument,
  echoDocument,
  notAnOptionDocument,
  recordDocument,
  recordedDocument,
  timeDocument,
  voiceDocument,
} from './twiml.js';

export interface DemoAppOptions {
  store: Store;
  /** The base URL Pivot was given (and signs against); read per request, it is known once HTTP listens. */
  publicUrl: () => string;
  /** Clock of key 1 (tests). */
  now?: () => Date;
}

type Handler = (params: Record<string, string>, req: FastifyRequest, account: AccountDoc) => Promise<Answer> | Answer;
type Answer = { xml: string } | { json: unknown };

const xml = (text: string): Answer => ({ xml: text });

function queryOf(req: FastifyRequest): URLSearchParams {
  const q = req.url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : req.url.slice(q + 1));
}

export const demoApp: FastifyPluginAsync<DemoAppOptions> = async (app, opts) => {
  // Bodies arrive raw (this plugin's scope only): the signature covers the form pairs in order, or a JSON body's
  // exact bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const route = (path: string, handler: Handler): void => {
    const serve = async (req: FastifyRequest, reply: FastifyReply) => {
      const checked = await verifyPivotRequest(opts.store, opts.publicUrl(), {
        method: req.method,
        path: req.url,
        headers: req.headers,
        contentType: req.headers['content-type'],
        body: typeof req.body === 'string' ? req.body : '',
      });
      if (!checked.ok) {
        req.log.warn({ url: req.url, reason: checked.message }, 'demo: request refused');
        return reply.code(checked.status).type('text/plain').send(checked.message);
      }
      const answer = await handler(checked.params, req, checked.account);
      if ('xml' in answer) return reply.type('text/xml; charset=utf-8').send(answer.xml);
      return reply.type('application/json').send(JSON.stringify(answer.json));
    };
    app.post(path, serve);
    app.get(path, serve);
  };

  route('/demo/voice', (_params, req) => {
    const q = queryOf(req);
    const tries = Number.parseInt(q.get('tries') ?? '1', 10);
    return xml(voiceDocument({ tries: Number.isFinite(tries) ? tries : 1, back: q.get('back') === '1' }));
  });

  route('/demo/choice', async (params, _req, account) => {
    switch (params.Digits) {
      case '1':
        return xml(timeDocument(opts.now?.() ?? new Date()));
      case '2':
        return xml(recordDocument());
      case '3':
        return xml(digitsDocument());
      case '0': {
        const menuId = await demoMenuId(opts.store, account);
        return { json: kazooMenuFlow({ publicUrl: opts.publicUrl(), menuId, from: params.From }) };
      }
      default:
        return xml(notAnOptionDocument());
    }
  });

  route('/demo/recorded', (params) => xml(recordedDocument(params.RecordingUrl)));

  route('/demo/echo', (params) => xml(echoDocument(params.Digits ?? '')));
};
