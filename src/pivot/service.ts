// The Pivot service the callflow executor is given (`services.pivot`), and the HTTP service callflow modules use
// (webhook, record_call uploads). Both go through the one URL policy.

import { readFile } from 'node:fs/promises';
import type { HttpService, PivotService } from '../callflow/types.js';
import { httpExchange, sendCallback, type UrlPolicy } from './http/index.js';
import { PivotSession, type PivotDeps } from './session.js';

export function createPivotService(deps: PivotDeps): PivotService {
  return { run: (call, config) => new PivotSession(deps, call, config).run() };
}

export function createHttpService(policy: UrlPolicy, timeoutMs = 10_000): HttpService {
  return {
    async send(req) {
      const method = req.method === 'get' ? 'GET' : 'POST';
      const x = await sendCallback(
        {
          url: req.url,
          method,
          params: req.params ?? {},
          bodyFormat: req.format ?? 'form',
          timeoutMs: req.timeoutMs ?? timeoutMs,
        },
        { policy },
      );
      return { status: x.response?.status, error: x.error?.message };
    },
    async upload(url, method, file) {
      const x = await httpExchange(
        {
          url,
          method: method === 'put' ? 'PUT' : 'POST',
          headers: { 'Content-Type': file.contentType },
          body: await readFile(file.path),
          timeoutMs,
          isSuccess: (s) => s >= 200 && s < 300,
          requireBody: false,
        },
        { policy },
      );
      return { status: x.response?.status, error: x.error?.message };
    },
  };
}
