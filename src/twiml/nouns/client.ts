// <Client>: ring a registered client of the account by identity (its text, or an <Identity> child; a `client:`
// prefix is accepted). `host.resolveClient` turns it into the account's device or user endpoints; an unknown
// identity makes that leg fail (DialCallStatus `failed` when no leg is left). <Parameter> children (custom
// parameters for Twilio's SDKs) have nowhere to go on a SIP device: accepted and ignored with a warning.

import type { LegNoun, StatusCallbackSpec } from './index.js';
import { readStatusCallback, readWhisper } from './index.js';

export interface ClientOptions {
  identity: string;
  statusCallback?: StatusCallbackSpec;
}

export const MAX_CLIENT_IDENTITY = 256;

export const client: LegNoun<ClientOptions> = {
  name: 'Client',
  kind: 'leg',
  parse(el, p) {
    let identity = el.text;
    let parameters = 0;
    for (const child of p.elements(['Identity', 'Parameter'], 13215)) {
      if (child.name === 'Identity') {
        if (identity) p.warn(12200, '<Client> has both text and <Identity>; the <Identity> is used', child);
        identity = child.text;
      } else {
        const cp = p.child(child);
        cp.string('name');
        cp.string('value');
        cp.finish();
        parameters++;
      }
    }
    if (parameters) p.warn(12200, '<Client> <Parameter> children are not passed to SIP devices; ignored');
    identity = identity.replace(/^client:/, '');
    if (!identity) p.error(12200, '<Client> needs an identity');
    else if (identity.length > MAX_CLIENT_IDENTITY || /[\s\p{Cc}]/u.test(identity)) {
      p.error(12200, `<Client> identity "${identity}" must be up to ${MAX_CLIENT_IDENTITY} characters without spaces`);
    }
    readWhisper(p, 12200);
    const statusCallback = readStatusCallback(p);
    return { identity, statusCallback };
  },

  async target(o, { host }) {
    const endpoints = await host.resolveClient(o.identity);
    return {
      endpoints,
      to: `client:${o.identity}`,
      statusCallback: o.statusCallback,
      ...(endpoints.length ? {} : { unresolved: `<Client> "${o.identity}" is not a known client of this account` }),
    };
  },
};
