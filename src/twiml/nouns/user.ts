// <User> (Kazoo extra): ring every device owned by a user of the account, by user id (`host.resolveUser`). An
// unknown user makes that leg fail, as an unknown <Client> does.

import type { LegNoun, StatusCallbackSpec } from './index.js';
import { readStatusCallback } from './index.js';

export interface UserOptions {
  id: string;
  statusCallback?: StatusCallbackSpec;
}

export const user: LegNoun<UserOptions> = {
  name: 'User',
  kind: 'leg',
  parse(el, p) {
    if (!el.text) p.error(12200, '<User> needs a user id');
    if (el.children.length) p.elements([], 13215);
    return { id: el.text, statusCallback: readStatusCallback(p) };
  },

  async target(o, { host }) {
    const endpoints = await host.resolveUser(o.id);
    return {
      endpoints,
      to: `user:${o.id}`,
      statusCallback: o.statusCallback,
      ...(endpoints.length ? {} : { unresolved: `<User> "${o.id}" has no device to ring in this account` }),
    };
  },
};
