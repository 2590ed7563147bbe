// <Redirect>: stop this document and fetch the URL in its body (resolved against the document URL, RFC 3986) with
// `method` (POST). Kazoo extra: nested <Variable key value/> set user variables first (Kazoo crashed on that path;
// it works here). Redirect does not answer the call, so a redirected document may still <Reject> it.

import type { HttpMethod, TwimlVerb } from '../types.js';
import { readVariables, type Variable } from './set.js';

export interface RedirectOptions {
  url: string;
  method: HttpMethod;
  variables: Variable[];
}

export const redirect: TwimlVerb<RedirectOptions> = {
  name: 'Redirect',
  parse(el, p) {
    const method = p.method('method', 13710);
    const variables = readVariables(p);
    const url = el.text;
    if (!url) p.error(12200, '<Redirect> needs the URL to fetch as its text');
    return { url, method, variables };
  },

  async run(o, { host }) {
    for (const { key, value } of o.variables) host.setUserVar(key, value);
    const url = host.resolveUrl(o.url);
    host.trace('Redirect', {
      url,
      method: o.method,
      ...(o.variables.length ? { variables: Object.fromEntries(o.variables.map((v) => [v.key, v.value])) } : {}),
    });
    return { kind: 'request', url, method: o.method };
  },
};
