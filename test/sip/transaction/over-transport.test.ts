// The transaction layer over the real transport layer on loopback (real clock, small T1).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/serialize.js';
import { TransactionLayer, type TransactionTransport } from '../../../src/sip/transaction.js';
import { TransportLayer, type TransportAddress } from '../../../src/sip/transport.js';
import { until } from '../transport/helpers.js';
import { outgoing } from './fake.js';

const HOST = '127.0.0.1';
const cleanup: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function node() {
  const transport = new TransportLayer();
  const bound = await transport.start({ host: HOST, udpPort: 0, tcpPort: 0 });
  const tl: TransactionTransport = transport;
  const layer = new TransactionLayer(tl, { timers: { T1: 50, T2: 200, T4: 250, D: 300 } });
  cleanup.push(
    () => transport.stop(),
    () => layer.close(),
  );
  return { transport, bound, layer };
}

for (const protocol of ['udp', 'tcp'] as const) {
  test(`${protocol}: OPTIONS and a rejected INVITE end to end, with ACK and empty maps`, async () => {
    const uac = await node();
    const uas = await node();
    const port = protocol === 'udp' ? uas.bound.udp! : uas.bound.tcp!;
    const dest: TransportAddress = { protocol, address: HOST, port };
    let requests = 0;
    const acks: string[] = [];
    uas.layer.onRequest((req, tx) => {
      requests++;
      if (!tx) return void acks.push(req.method);
      if (req.method === 'OPTIONS') tx.respond(createResponse(req, 200, undefined, { toTag: 'o' }));
      else setTimeout(() => tx.respond(createResponse(req, 486, undefined, { toTag: 'b' })), 250);
    });
    const finals: SipResponse[] = [];
    const provisionals: SipResponse[] = [];
    const handlers = {
      onProvisional: (r: SipResponse) => provisionals.push(r),
      onFinal: (r: SipResponse) => finals.push(r),
      onTimeout: () => assert.fail('timeout'),
      onTransportError: (e: Error) => assert.fail(e),
    };
    uac.layer.sendRequest(outgoing('OPTIONS'), dest, handlers);
    await until(() => finals.length === 1, 2000, 'the OPTIONS answer');
    assert.equal(finals[0].status, 200);
    uac.layer.sendRequest(outgoing('INVITE', 2), dest, handlers);
    await until(() => finals.length === 2, 3000, 'the INVITE answer');
    assert.equal(finals[1].status, 486);
    assert.equal(provisionals[0]?.status, 100, 'the server transaction sent 100 Trying after 200 ms');
    assert.equal(requests, 2, 'the UAS core saw each request once despite retransmissions');
    await until(
      () =>
        uac.layer.size.client === 0 &&
        uac.layer.size.server === 0 &&
        uas.layer.size.server === 0 &&
        uas.layer.size.client === 0,
      5000,
      'every transaction to end',
    );
    assert.deepEqual(acks, [], 'the ACK for the 486 was absorbed by the server transaction');
  });
}
