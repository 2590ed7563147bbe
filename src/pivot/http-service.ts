// The HTTP service callflow modules and Pivot sessions use for webhooks and uploads, through the URL policy.

import { readFile } from 'node:fs/promises';
import type { HttpService } from '../callflow/types.js';
import { httpExchange, sendCallback, type UrlPolicy } from './http/index.js';

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
          ...ANY_2XX,
        },
        { policy },
      );
      return { status: x.response?.status, error: x.error?.message };
    },
  };
}

const ANY_2XX = { isSuccess: (s: number) => s >= 200 && s < 300, requireBody: false } as const;
