// <Sip>: a SIP URI to ring (≤ 255 characters, `sip:` or `sips:`, else 13243), with optional `username`/`password`
// for digest auth (both or neither, 13249). Custom headers ride in the URI's query (`sip:bob@example.com?X-Foo=1`):
// they are taken out of the URI and sent as INVITE headers; names must start with `X-` (or be `User-to-User`,
// 13252), and the header part stays under 1024 characters (13253). The newer `<Headers><Header name value/>`
// children work too. A <Dial> with a <Sip> may not contain other nouns (checked by Dial).

import { customHeaderProblem, unsafeValue } from '../../call/sip-headers.js';
import type { AttributeReader } from '../attributes.js';
import type { XmlElement } from '../xml.js';
import type { LegNoun, StatusCallbackSpec } from './index.js';
import { readSendDigits, readStatusCallback, readWhisper } from './index.js';

export interface SipOptions {
  uri: string;
  username?: string;
  password?: string;
  headers: Record<string, string>;
  sendDigits?: string;
  statusCallback?: StatusCallbackSpec;
}

export const MAX_SIP_URI = 255;
export const MAX_SIP_HEADERS = 1024;

function headerNameOk(name: string): boolean {
  return /^X-[A-Za-z0-9-]+$/i.test(name) || name.toLowerCase() === 'user-to-user';
}

function addHeader(
  p: AttributeReader,
  headers: Record<string, string>,
  name: string,
  value: string,
  el?: XmlElement,
): void {
  if (!headerNameOk(name)) {
    p.error(13252, `<Sip> header "${name}" is not allowed: custom headers must start with X- (or be User-to-User)`, el);
    return;
  }
  const problem = customHeaderProblem(name, value);
  if (problem) {
    p.error(13253, `<Sip> header: ${problem}`, el);
    return;
  }
  headers[name] = value;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export const sip: LegNoun<SipOptions> = {
  name: 'Sip',
  kind: 'leg',
  parse(el, p) {
    const headers: Record<string, string> = {};
    for (const child of p.elements(['Headers'], 13215)) {
      for (const h of p.child(child).elements(['Header'], 13215)) {
        const hp = p.child(h);
        const name = hp.string('name')?.trim() ?? '';
        const value = hp.string('value') ?? '';
        if (!name) hp.error(13252, '<Header> needs a name');
        else addHeader(hp, headers, name, value, h);
        hp.finish();
      }
    }

    const text = el.text;
    const q = text.indexOf('?');
    const uri = q === -1 ? text : text.slice(0, q);
    if (!text) p.error(13243, '<Sip> needs a SIP URI');
    else if (uri.length > MAX_SIP_URI) p.error(13243, `<Sip> URI is longer than ${MAX_SIP_URI} characters`);
    else if (!/^sips?:[^\s]+$/i.test(uri)) p.error(13243, `<Sip>${text}</Sip> is not a sip: or sips: URI`);
    else if (q !== -1) {
      const query = text.slice(q + 1);
      if (query.length >= MAX_SIP_HEADERS) p.error(13253, `<Sip> headers must be under ${MAX_SIP_HEADERS} characters`);
      for (const pair of query.split('&').filter(Boolean)) {
        const eq = pair.indexOf('=');
        const name = decode(eq === -1 ? pair : pair.slice(0, eq));
        addHeader(p, headers, name, eq === -1 ? '' : decode(pair.slice(eq + 1)));
      }
    }

    const username = p.string('username') || undefined;
    const password = p.string('password') || undefined;
    if (!!username !== !!password) p.error(13249, '<Sip> needs both username and password, or neither');
    const unsafe = [uri, username ?? '', password ?? ''].map(unsafeValue).find(Boolean);
    if (unsafe) p.error(13249, `<Sip> URI, username or password ${unsafe}`);
    const sendDigits = readSendDigits(p, 13242);
    readWhisper(p, 13241);
    const statusCallback = readStatusCallback(p, 13241);
    return { uri, username, password, headers, sendDigits, statusCallback };
  },

  async target(o) {
    return {
      endpoints: [
        {
          type: 'sip',
          uri: o.uri,
          ...(o.username ? { username: o.username, password: o.password } : {}),
          ...(Object.keys(o.headers).length ? { headers: o.headers } : {}),
          ...(o.sendDigits ? { sendDigits: o.sendDigits } : {}),
        },
      ],
      to: o.uri,
      statusCallback: o.statusCallback,
    };
  },
};
