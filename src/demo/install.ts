// Installs the demo in the master account on start: the demo number, the "Demo IVR" callflow (extension 1000 and
// the number) asking the demo app, its Kazoo menu document and the SIP device `demo`. Idempotent: the first
// install leaves a note on the account (`pivot_demo`, with the ids); later starts only read what is left, so an
// operator who deleted or changed a piece keeps the change. The one thing kept up to date is the callflow's
// voice_url while it still points at the demo app (`…/demo/voice`), because the public URL or port may change
// between starts.

import { randomBytes } from 'node:crypto';
import { isE164 } from '../call/numbers.js';
import type { Logger } from '../callflow/types.js';
import { ConflictError } from '../store/errors.js';
import type { AccountDoc, CallflowDoc, CallflowNode, DeviceDoc, Store } from '../store/types.js';
import {
  DEMO_CALLFLOW_NAME,
  DEMO_DEVICE_NAME,
  DEMO_DEVICE_USERNAME,
  DEMO_EXTENSION,
  DEMO_MENU_NAME,
  demoMenuDoc,
  demoPivotNode,
} from './kazoo.js';

export interface DemoInfo {
  /** The demo number (E.164), when the callflow still lists one. */
  number?: string;
  /** The extension devices of the account dial (1000), when the callflow still lists one. */
  extension?: string;
  /** The `demo` SIP device's credentials, when it still exists. */
  device?: { username: string; password: string; realm: string };
  callflowId?: string;
  menuId?: string;
}

/** The note left on the account by the first install. */
interface DemoNote {
  installed: number;
  callflow_id?: string;
  menu_id?: string;
  device_id?: string;
}

export interface InstallOptions {
  /** Base URL of this server; the demo app is at `${publicUrl}/demo/voice`. */
  publicUrl: string;
  demoNumber: string;
  log?: Pick<Logger, 'info' | 'warn'>;
}

export function demoVoiceUrl(publicUrl: string): string {
  return `${publicUrl}/demo/voice`;
}

/** Install the demo on first run, refresh its voice_url on later runs; returns what is there now. */
export async function installDemo(store: Store, account: AccountDoc, opts: InstallOptions): Promise<DemoInfo> {
  const note = account.pivot_demo as DemoNote | undefined;
  if (note && typeof note === 'object' && note.installed) return refresh(store, account, note, opts);
  return firstInstall(store, account, opts);
}

/** What is installed, without changing anything (e.g. for `pivot call` reading the local data folder). */
export async function readDemo(store: Store, account: AccountDoc): Promise<DemoInfo | undefined> {
  const note = account.pivot_demo as DemoNote | undefined;
  if (!note || typeof note !== 'object' || !note.installed) return undefined;
  const callflow = note.callflow_id ? await store.callflows.get(account.id, note.callflow_id) : undefined;
  const device = note.device_id ? await store.devices.get(account.id, note.device_id) : undefined;
  return describe(account, callflow, device, await demoMenuId(store, account));
}

/** The demo menu: the one installed (even renamed), else one named "Demo menu". */
export async function demoMenuId(store: Store, account: AccountDoc): Promise<string | undefined> {
  const note = account.pivot_demo as DemoNote | undefined;
  if (note?.menu_id && (await store.menus.get(account.id, note.menu_id))) return note.menu_id;
  return (await store.menus.list(account.id, { filter: { name: DEMO_MENU_NAME }, limit: 1 })).items[0]?.id;
}

async function firstInstall(store: Store, account: AccountDoc, opts: InstallOptions): Promise<DemoInfo> {
  const log = opts.log;
  // Whatever a previous, interrupted install made is found by its fixed name and reused.
  const numbers: string[] = [];
  const owner = await store.phoneNumbers.get(opts.demoNumber);
  if (owner && owner.account_id !== account.id) {
    log?.warn({ number: opts.demoNumber }, 'demo: the demo number belongs to another account; not used');
  } else {
    await store.phoneNumbers.assign(account.id, opts.demoNumber);
    numbers.push(opts.demoNumber);
  }

  const menu =
    (await store.menus.list(account.id, { filter: { name: DEMO_MENU_NAME }, limit: 1 })).items[0] ??
    (await store.menus.create(account.id, demoMenuDoc()));

  let callflow = (await store.callflows.list(account.id, { filter: { name: DEMO_CALLFLOW_NAME }, limit: 1 })).items[0];
  if (!callflow) {
    const free: string[] = [];
    for (const n of [DEMO_EXTENSION, ...numbers]) {
      if (await store.callflows.findByNumber(account.id, n)) {
        log?.warn({ number: n }, 'demo: another callflow already uses this number; the demo does not take it');
      } else free.push(n);
    }
    callflow = await store.callflows.create(account.id, {
      name: DEMO_CALLFLOW_NAME,
      numbers: free,
      flow: demoPivotNode(demoVoiceUrl(opts.publicUrl)),
    });
  } else {
    callflow = await refreshVoiceUrl(store, callflow, opts.publicUrl);
  }

  let device = await store.devices.findBySipUsername(account.id, DEMO_DEVICE_USERNAME);
  if (!device) {
    try {
      device = await store.devices.create(account.id, {
        name: DEMO_DEVICE_NAME,
        device_type: 'softphone',
        enabled: true,
        sip: { username: DEMO_DEVICE_USERNAME, password: randomBytes(12).toString('base64url') },
      });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      device = await store.devices.findBySipUsername(account.id, DEMO_DEVICE_USERNAME);
    }
  }

  const note: DemoNote = { installed: Date.now(), callflow_id: callflow.id, menu_id: menu.id, device_id: device?.id };
  await store.accounts.update(account.id, { pivot_demo: note });
  log?.info({ callflow_id: callflow.id, numbers: callflow.numbers }, 'demo installed');
  return describe(account, callflow, device, menu.id);
}

async function refresh(store: Store, account: AccountDoc, note: DemoNote, opts: InstallOptions): Promise<DemoInfo> {
  let callflow = note.callflow_id ? await store.callflows.get(account.id, note.callflow_id) : undefined;
  if (callflow) callflow = await refreshVoiceUrl(store, callflow, opts.publicUrl);
  const device = note.device_id ? await store.devices.get(account.id, note.device_id) : undefined;
  return describe(account, callflow, device, await demoMenuId(store, account));
}

/** The flow still asks the demo app, at another base URL: point it at this one. */
async function refreshVoiceUrl(store: Store, callflow: CallflowDoc, publicUrl: string): Promise<CallflowDoc> {
  const flow = callflow.flow as CallflowNode | undefined;
  const current = flow?.module === 'pivot' ? flow.data?.voice_url : undefined;
  const wanted = demoVoiceUrl(publicUrl);
  if (typeof current !== 'string' || current === wanted || !/^https?:\/\/.*\/demo\/voice$/.test(current)) {
    return callflow;
  }
  return store.callflows.update(callflow.account_id, callflow.id, {
    flow: { ...flow!, data: { ...flow!.data, voice_url: wanted } },
  });
}

function describe(
  account: AccountDoc,
  callflow: CallflowDoc | undefined,
  device: DeviceDoc | undefined,
  menuId: string | undefined,
): DemoInfo {
  const numbers = callflow?.numbers ?? [];
  const sip = device?.sip;
  return {
    ...(numbers.find(isE164) ? { number: numbers.find(isE164) } : {}),
    ...(numbers.find((n) => !isE164(n)) ? { extension: numbers.find((n) => !isE164(n)) } : {}),
    ...(device && typeof sip?.username === 'string' && typeof sip.password === 'string'
      ? { device: { username: sip.username, password: sip.password, realm: account.realm } }
      : {}),
    ...(callflow ? { callflowId: callflow.id } : {}),
    ...(menuId ? { menuId } : {}),
  };
}
