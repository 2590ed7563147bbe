// IVR menu (auto-attendant) from a stored menu document: greeting, digits, then the child keyed by the digits, a
// hunt for an extension of the account, or a retry. Kazoo: no input takes a `timeout` child at once when there is
// one; after `retries` failed attempts the `max_retries` child, else `_` (with a goodbye when there is no `_`).

import { ALL_DTMF, type Call } from '../../call/types.js';
import { next, stop, type CallflowModule, type CallflowServices, type FlowNode, type Logger } from '../types.js';
import { playMedia, sayPrompt } from './_media.js';
import { compileRegex } from './_regex.js';

/** Stand-ins for Kazoo's system prompts (menu-invalid_entry, menu-exit, menu-transferring_call, vm-goodbye). */
export const MENU_PROMPTS = {
  invalid: 'Sorry, that is not a valid option.',
  exit: 'Sorry, we did not receive a valid option.',
  transfer: 'Please hold while we transfer your call.',
  goodbye: 'Goodbye.',
};

interface MenuData {
  id?: string;
  interdigit_timeout?: number;
}

/** The fields of a menu document that drive the menu, with Kazoo's defaults. */
interface Menu {
  retries: number;
  timeoutMs: number;
  maxLength: number;
  interdigitMs: number;
  hunt: boolean;
  huntAllow?: string;
  huntDeny?: string;
  greeting?: string;
  /** false: silent; true: the built-in prompt; a string: that media. */
  invalid: boolean | string;
  exit: boolean | string;
  transfer: boolean | string;
  suppressMedia: boolean;
}

export const menu: CallflowModule<MenuData> = {
  name: 'menu',
  description: 'Play a menu greeting and route the caller by the digits pressed.',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, description: 'Menu document id' },
      interdigit_timeout: { type: 'integer', minimum: 1, maximum: 10000, description: 'Milliseconds between digits' },
      skip_module: { type: 'boolean' },
    },
  },
  async run({ call, data, node, services, log }) {
    const menu = await loadMenu(data, call, services, log);
    const children = node.children ?? {};
    await call.answer();
    for (let attempt = 1; attempt <= menu.retries; attempt++) {
      // Digits typed ahead (during the previous prompt) skip the greeting.
      if (menu.greeting && !call.dtmfBuffer) {
        const played = await playMedia(call, menu.greeting, { terminators: ALL_DTMF });
        if (played.reason === 'error') log.warn({ call_id: call.id, error: played.error }, 'menu greeting failed');
      }
      const got = await call.collect({
        maxDigits: menu.maxLength,
        timeoutMs: menu.timeoutMs,
        interdigitMs: menu.interdigitMs,
        terminators: '#',
      });
      if (call.state === 'ended' || got.reason === 'hangup' || got.reason === 'aborted') return stop;
      if (!got.digits) {
        log.info({ call_id: call.id, attempt }, 'menu: no selection');
        if (children.timeout) return next('timeout');
        continue;
      }
      if (children[got.digits]) return next(got.digits);
      const flow = await hunt(got.digits, menu, call, services, log);
      if (flow) {
        call.flushDtmf();
        await prompt(call, menu, menu.transfer, MENU_PROMPTS.transfer);
        return { branch: flow };
      }
      log.info({ call_id: call.id, digits: got.digits, attempt }, 'menu: invalid selection');
      await prompt(call, menu, menu.invalid, MENU_PROMPTS.invalid, ALL_DTMF);
    }
    log.info({ call_id: call.id }, 'menu: maximum number of retries reached');
    call.flushDtmf();
    await prompt(call, menu, menu.exit, MENU_PROMPTS.exit);
    if (children.max_retries) return next('max_retries');
    if (children._) await prompt(call, menu, menu.transfer, MENU_PROMPTS.transfer);
    else await prompt(call, menu, true, MENU_PROMPTS.goodbye);
    return next();
  },
};

async function loadMenu(data: MenuData, call: Call, services: CallflowServices, log: Logger): Promise<Menu> {
  const doc = data.id ? await services.store.menus.get(call.accountId, data.id) : undefined;
  if (!doc) log.warn({ call_id: call.id, menu_id: data.id }, 'menu document not found; using defaults');
  const d = (doc ?? {}) as Record<string, any>;
  const media = (typeof d.media === 'object' && d.media) || {};
  const choice = (v: unknown): boolean | string => (v === false ? false : typeof v === 'string' && v ? v : true);
  const int = (v: unknown, fallback: number): number =>
    Number.isInteger(v) && (v as number) > 0 ? (v as number) : fallback;
  return {
    retries: int(d.retries, 3),
    timeoutMs: int(d.timeout, 10000),
    maxLength: int(d.max_extension_length, 4),
    interdigitMs: int(d.interdigit_timeout, int(data.interdigit_timeout, 2000)),
    hunt: d.hunt !== false,
    huntAllow: typeof d.hunt_allow === 'string' && d.hunt_allow ? d.hunt_allow : undefined,
    huntDeny: typeof d.hunt_deny === 'string' && d.hunt_deny ? d.hunt_deny : undefined,
    greeting: typeof media.greeting === 'string' && media.greeting ? media.greeting : undefined,
    invalid: choice(media.invalid_media),
    exit: choice(media.exit_media),
    transfer: choice(media.transfer_media),
    suppressMedia: d.suppress_media === true,
  };
}

/** A configured media, or the built-in prompt unless prompts are off (`false`, or `suppress_media`). */
async function prompt(call: Call, menu: Menu, media: boolean | string, text: string, terminators?: string) {
  if (typeof media === 'string') await playMedia(call, media, { terminators });
  else if (media && !menu.suppressMedia) await sayPrompt(call, text, { terminators });
}

/** The flow of the account's callflow for `digits` (numbers, then patterns), when hunting allows it. */
async function hunt(
  digits: string,
  menu: Menu,
  call: Call,
  services: CallflowServices,
  log: Logger,
): Promise<FlowNode | undefined> {
  if (!menu.hunt) return undefined;
  // Kazoo: an allow list that fails to compile allows nothing, a deny list that fails denies nothing.
  if (menu.huntAllow && !compileRegex(menu.huntAllow)?.test(digits)) return undefined;
  if (menu.huntDeny && compileRegex(menu.huntDeny)?.test(digits)) return undefined;
  const callflows = services.store.callflows;
  let doc = await callflows.findByNumber(call.accountId, digits);
  if (!doc) {
    doc = (await callflows.listWithPatterns(call.accountId)).find((cf) =>
      (cf.patterns ?? []).some((p) => compileRegex(p)?.test(digits)),
    );
  }
  if (doc?.flow) log.info({ call_id: call.id, digits, callflow_id: doc.id }, 'menu: hunt found a callflow');
  return doc?.flow as FlowNode | undefined;
}
