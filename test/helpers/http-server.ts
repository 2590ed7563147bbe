/** A real HTTP server on 127.0.0.1, on its own ephemeral port, that records what it receives. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  /** Full URL as the server reconstructs it: http://<host>:<port><path?query> */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  port: number;
  /** http://<host>:<port> */
  base: string;
  received: Received[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, received: Received) => void | Promise<void>;

export async function startServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  const received: Received[] = [];
  let port = 0;
  let base = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: `${base}${req.url ?? ''}`,
        path: (req.url ?? '').split('?')[0],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf-8'),
      };
      received.push(r);
      Promise.resolve(handler(req, res, r)).catch((e: unknown) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    port,
    base,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was just free: bound, then closed, so connecting to it is refused. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
