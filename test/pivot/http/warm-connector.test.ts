import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { warmConnector } from '../../../src/pivot/http/warm-connector.js';

interface Counting {
  base: string;
  server: Server;
  /** Every connection accepted, open or closed. */
  sockets: Socket[];
  /** The connections that carried at least one request. */
  used: Set<Socket>;
}

/** A server that answers after `delayMs` and keeps every connection it accepted. */
async function countingServer(delayMs: number): Promise<Counting> {
  const sockets: Socket[] = [];
  const used = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    used.add(req.socket);
    req.resume();
    setTimeout(() => res.end('ok'), delayMs);
  });
  server.on('connection', (s: Socket) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, used, server };
}

async function get(agent: Agent, url: string): Promise<string> {
  const res = await request(url, { dispatcher: agent });
  return res.body.text();
}

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  assert.ok(cond(), what);
}

test('an origin used one request at a time gets no spare connection', async () => {
  const { base, sockets, server } = await countingServer(0);
  const agent = new Agent({ connect: warmConnector({}, 5_000) });
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal(await get(agent, `${base}/${i}`), 'ok');
      await sleep(10); // a quiet origin: the connection is free again before the next request
    }
    await sleep(50);
    assert.equal(sockets.length, 1);
  } finally {
    await agent.close();
    server.closeAllConnections();
    server.close();
  }
});

test('a burst opens one connection ahead; the next burst takes it without waiting for a connect', async () => {
  const { base, sockets, used, server } = await countingServer(100);
  const agent = new Agent({ connect: warmConnector({}, 5_000) });
  const idle = (): Socket[] => sockets.filter((s) => !used.has(s) && !s.destroyed);
  try {
    await get(agent, `${base}/first`);
    // Three at once: the pool grows and one spare is opened beside it.
    await Promise.all([1, 2, 3].map((i) => get(agent, `${base}/a${i}`)));
    await until(() => idle().length === 1, 'one spare beside the busy connections');
    const spare = idle()[0];
    const pool = used.size;
    // One more than the pool at once: the spare carries a request, and a new spare is prepared behind it.
    const burst = Array.from({ length: pool + 1 }, (_, i) => get(agent, `${base}/b${i}`));
    assert.deepEqual(await Promise.all(burst), Array(pool + 1).fill('ok'));
    assert.ok(used.has(spare), 'the spare carried a request of the second burst');
    await until(() => idle().length === 1 && idle()[0] !== spare, 'another spare is ready');
  } finally {
    await agent.close();
    server.closeAllConnections();
    server.close();
  }
});

test('an unused spare is closed after its idle time', async () => {
  const { base, sockets, used, server } = await countingServer(50);
  const agent = new Agent({ connect: warmConnector({}, 200) });
  try {
    await get(agent, `${base}/first`);
    await Promise.all([1, 2].map((i) => get(agent, `${base}/a${i}`)));
    const spares = (): Socket[] => sockets.filter((s) => !used.has(s));
    await until(() => spares().length === 1, 'a spare beside the pool');
    await until(() => spares()[0].destroyed, 'the spare closed once idle');
    assert.ok(
      [...used].every((s) => !s.destroyed),
      'the pool keeps its connections',
    );
  } finally {
    await agent.close();
    server.closeAllConnections();
    server.close();
  }
});

test('a refused connection is reported to the request, and a spare that cannot connect is not', async () => {
  const { base, server } = await countingServer(0);
  server.close(); // nothing listens any more
  await once(server, 'close');
  const agent = new Agent({ connect: warmConnector({}, 1_000) });
  try {
    await assert.rejects(get(agent, `${base}/x`), /ECONNREFUSED/);
  } finally {
    await agent.close();
  }
});
