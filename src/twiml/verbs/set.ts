// <Set> (Kazoo's custom verb): any number of <Variable key="k" value="v"/> children become user variables, sent
// with every later request of the session. Kazoo crashed with two or more Variables and with none; here any number
// works, and the call is not answered. `name` is accepted as a synonym of `key` (as in Kazoo's Redirect noun).

import type { AttributeReader } from '../attributes.js';
import type { TwimlVerb } from '../types.js';

export interface Variable {
  key: string;
  value: string;
}

/** The <Variable key value/> children of the element `p` reads (Set, Redirect). */
export function readVariables(p: AttributeReader): Variable[] {
  const out: Variable[] = [];
  for (const child of p.elements(['Variable'], 12200)) {
    const v = p.child(child);
    const byKey = v.string('key');
    const byName = v.string('name');
    const key = (byKey ?? byName)?.trim();
    const value = v.string('value', '');
    if (!key) v.error(12200, '<Variable> needs a key attribute');
    else out.push({ key, value });
    if (child.text) v.warn(12200, '<Variable> takes its value from the value attribute; its text is ignored');
    v.finish();
  }
  return out;
}

export interface SetOptions {
  variables: Variable[];
}

export const set: TwimlVerb<SetOptions> = {
  name: 'Set',
  parse(el, p) {
    const variables = readVariables(p);
    if (el.text) p.warn(12200, '<Set> takes <Variable> children only; its text is ignored');
    return { variables };
  },

  async run(o, { host }) {
    for (const { key, value } of o.variables) host.setUserVar(key, value);
    host.trace('Set', { variables: Object.fromEntries(o.variables.map((v) => [v.key, v.value])) });
    return { kind: 'next' };
  },
};
