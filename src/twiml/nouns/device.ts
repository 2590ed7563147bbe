// <Device> (Kazoo extra): ring one device of the account by device id (`host.resolveDevice`). An unknown or
// disabled device makes that leg fail.

import type { LegNoun, StatusCallbackSpec } from './index.js';
import { readStatusCallback } from './index.js';

export interface DeviceOptions {
  id: string;
  statusCallback?: StatusCallbackSpec;
}

export const device: LegNoun<DeviceOptions> = {
  name: 'Device',
  kind: 'leg',
  parse(el, p) {
    if (!el.text) p.error(12200, '<Device> needs a device id');
    if (el.children.length) p.elements([], 13215);
    return { id: el.text, statusCallback: readStatusCallback(p) };
  },

  async target(o, { host }) {
    const endpoints = await host.resolveDevice(o.id);
    return {
      endpoints,
      to: `device:${o.id}`,
      statusCallback: o.statusCallback,
      ...(endpoints.length ? {} : { unresolved: `<Device> "${o.id}" is not a device of this account` }),
    };
  },
};
