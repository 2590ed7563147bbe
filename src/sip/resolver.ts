// RFC 3263 (simplified for a UAC): where to send a request for a SIP URI. A numeric host is used as is; a name
// with an explicit port is looked up (A/AAAA); a name without one tries SRV (_sip._udp / _sip._tcp, by priority
// and weight), then A/AAAA on 5060. `transport=` and `maddr` are honoured.

import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { TransportAddress, TransportProtocol } from './transport.js';
import type { SipUri } from './uri.js';

export interface Resolver {
  resolve(uri: SipUri): Promise<TransportAddress[]>;
}

function protocolOf(uri: SipUri): TransportProtocol {
  const t = (uri.params.transport ?? '').toLowerCase();
  if (t === 'tcp' || t === 'tls') return 'tcp';
  if (t === 'ws' || t === 'wss') return 'ws';
  return 'udp';
}

const bare = (host: string): string => host.replace(/^\[|\]$/g, '');

export const dnsResolver: Resolver = {
  async resolve(uri) {
    const protocol = protocolOf(uri);
    const host = bare(uri.params.maddr ?? uri.host);
    if (isIP(host)) return [{ protocol, address: host, port: uri.port ?? 5060 }];
    if (uri.port === undefined) {
      try {
        const records = await dns.resolveSrv(`_sip._${protocol === 'udp' ? 'udp' : 'tcp'}.${host}`);
        records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
        const out: TransportAddress[] = [];
        for (const r of records) {
          for (const a of await dns.lookup(r.name, { all: true }).catch(() => [])) {
            out.push({ protocol, address: a.address, port: r.port });
          }
        }
        if (out.length) return out;
      } catch {
        // No SRV records: fall back to A/AAAA on the default port.
      }
    }
    const addresses = await dns.lookup(host, { all: true });
    return addresses.map((a) => ({ protocol, address: a.address, port: uri.port ?? 5060 }));
  },
};
