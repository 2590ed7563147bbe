// Voicemail (cf_voicemail, simplified): `compose` leaves a message in a box, `check` logs in to a box and walks
// through its messages. Prompts are spoken text for now (a media pack is a later issue).

import { join } from 'node:path';
import { mediaReference } from '../../call/media-source.js';
import { moveIntoDir } from '../../call/recordings.js';
import type { Call } from '../../call/types.js';
import type { VmboxDoc, VoicemailMessageDoc } from '../../store/types.js';
import { next, stop, type CallflowModule, type ModuleContext, type ModuleOutcome } from '../types.js';
import { callerIdentity, int, obj, str } from './_endpoints.js';

interface VoicemailData {
  id?: string;
  action: 'compose' | 'check';
  max_message_length: number;
  interdigit_timeout: number;
  callerid_match_login: boolean;
  single_mailbox_login: boolean;
}

type Ctx = ModuleContext<VoicemailData>;

export const PROMPTS = {
  greeting: (mailbox: string) =>
    `The person at extension ${mailbox} is not available. Please leave a message after the tone.`,
  instructions: 'Please leave a message after the tone.',
  noBox: 'The person you are trying to reach does not have a voicemail box.',
  full: 'The voicemail box is full.',
  thankYou: 'Thank you, goodbye.',
  tooShort: 'Nothing was recorded.',
  enterMailbox: 'Please enter your mailbox number, followed by the pound key.',
  badMailbox: 'That mailbox was not found.',
  enterPin: 'Please enter your password, followed by the pound key.',
  badPin: 'Login incorrect.',
  noAccess: 'This mailbox has no password and cannot be checked.',
  counts: (fresh: number, saved: number) =>
    `You have ${fresh} new ${fresh === 1 ? 'message' : 'messages'} and ${saved} saved ${saved === 1 ? 'message' : 'messages'}.`,
  message: (n: number, total: number) => `Message ${n} of ${total}.`,
  unplayable: 'This message cannot be played.',
  messageMenu:
    'To replay this message press 1. To save it press 2. To delete it press 7. For the next message press pound. To exit press 0.',
  saved: 'Message saved.',
  deleted: 'Message deleted.',
  noMore: 'You have no more messages.',
  goodbye: 'Goodbye.',
} as const;

/** Kazoo's defaults: 3 login attempts, 5 s to start typing, 5 s of silence end a message, 1 s minimum. */
const MAX_ATTEMPTS = 3;
const COLLECT_TIMEOUT_MS = 5000;
const SILENCE_MS = 5000;
const MIN_MESSAGE_MS = 1000;
const DEFAULT_MAX_MESSAGES = 100;
const MENU_KEYS = '1270*#';

export const voicemail: CallflowModule<VoicemailData> = {
  name: 'voicemail',
  description: 'Leave a voicemail message (compose) or listen to a mailbox (check).',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 32, maxLength: 32, description: 'Voicemail box id' },
      action: { type: 'string', enum: ['compose', 'check'], default: 'compose' },
      max_message_length: { type: 'integer', minimum: 1, default: 500, description: 'Longest message, in seconds' },
      interdigit_timeout: { type: 'integer', minimum: 1, default: 2000, description: 'Milliseconds between digits' },
      callerid_match_login: { type: 'boolean', default: false, description: "Log in to the caller's box by caller ID" },
      single_mailbox_login: { type: 'boolean', default: false, description: "Log in to the caller's only box" },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    await ctx.call.answer();
    return ctx.data.action === 'check' ? check(ctx) : compose(ctx);
  },
};

// ---- compose -----------------------------------------------------------------------------------------------

async function compose(ctx: Ctx): Promise<ModuleOutcome> {
  const { call, data, services, log } = ctx;
  const box = data.id ? await services.store.vmboxes.get(call.accountId, data.id) : undefined;
  if (!box) {
    log.warn({ call_id: call.id, vmbox_id: data.id }, 'voicemail box not found');
    await call.say(PROMPTS.noBox);
    return next();
  }
  const stored = await services.store.voicemailMessages.listForBox(call.accountId, box.id);
  const kept = stored.filter((m) => m.folder !== 'deleted').length;
  const max = int(box.max_message_count) ?? DEFAULT_MAX_MESSAGES; // 0: unlimited
  if (max > 0 && kept >= max) {
    await call.say(PROMPTS.full);
    return next();
  }

  await playGreeting(call, box);
  call.flushDtmf();
  const result = await call.record({
    beep: true,
    silenceTimeoutMs: SILENCE_MS,
    maxLengthMs: data.max_message_length * 1000,
    terminators: '#',
    trimSilence: true,
    format: 'wav',
  });
  // A caller who hangs up after speaking has left a message too.
  if (!result.recording || result.durationMs < MIN_MESSAGE_MS) {
    if (call.state === 'ended') return stop;
    await call.say(PROMPTS.tooShort);
    await call.say(PROMPTS.goodbye);
    return next();
  }
  const path = await moveIntoDir(result.recording, join(services.dataDir, 'voicemail', call.accountId, box.id));
  const message = await services.store.voicemailMessages.add(call.accountId, {
    vmbox_id: box.id,
    folder: 'new',
    caller_id_number: call.callerId.number,
    caller_id_name: call.callerId.name,
    duration_ms: result.durationMs,
    path,
    content_type: result.recording.contentType,
    call_id: call.id,
  });
  log.info({ call_id: call.id, vmbox_id: box.id, message_id: message.id }, 'voicemail message saved');
  if (call.state === 'ended') return stop;
  await call.say(PROMPTS.thankYou);
  return next();
}

/**
 * The box's unavailable greeting (`media.unavailable`) followed by the instructions (unless
 * `skip_instructions`), else the spoken default that has both; `skip_greeting` skips it all.
 */
async function playGreeting(call: Call, box: VmboxDoc): Promise<void> {
  if (box.skip_greeting === true) return;
  const greeting = str(obj(box.media)?.unavailable);
  if (greeting) {
    const media = mediaReference(greeting);
    const played =
      'say' in media ? await call.say(media.say, { terminators: '#' }) : await call.play(media, { terminators: '#' });
    if (played.reason !== 'error') {
      if (box.skip_instructions !== true) await call.say(PROMPTS.instructions, { terminators: '#' });
      return;
    }
  }
  await call.say(PROMPTS.greeting(box.mailbox), { terminators: '#' });
}

/** Move the recording under the data dir: `<dataDir>/voicemail/<account>/<box>/<recording id>.<ext>`. */

// ---- check -------------------------------------------------------------------------------------------------

async function check(ctx: Ctx): Promise<ModuleOutcome> {
  const box = await login(ctx);
  if (box === 'hangup') return stop;
  if (!box) return goodbyeAndHangup(ctx.call);
  return mainMenu(ctx, box);
}

async function goodbyeAndHangup(call: Call): Promise<ModuleOutcome> {
  await call.say(PROMPTS.goodbye);
  await call.hangup('NORMAL_CLEARING');
  return stop;
}

/** Say a prompt (typing ahead interrupts it), then collect digits; undefined when the caller hung up. */
async function ask(ctx: Ctx, text: string, maxDigits: number): Promise<string | undefined> {
  const { call, data } = ctx;
  await call.say(text, { terminators: '0123456789*#' });
  const r = await call.collect({
    maxDigits,
    timeoutMs: COLLECT_TIMEOUT_MS,
    interdigitMs: data.interdigit_timeout,
    terminators: '#',
  });
  return r.reason === 'hangup' || r.reason === 'aborted' || call.state === 'ended' ? undefined : r.digits;
}

/**
 * Find the box (the callflow's `id`, the caller's own box, or a mailbox number typed in, 3 tries) and check
 * its PIN (3 tries; the owner calling from their own device skips it when the box has `require_pin: false`).
 */
async function login(ctx: Ctx): Promise<VmboxDoc | 'hangup' | undefined> {
  const { call, data, services } = ctx;
  const caller = await callerIdentity(ctx);
  let box = data.id ? await services.store.vmboxes.get(call.accountId, data.id) : undefined;
  box ??= await callersBox(ctx, caller.ownerId);
  for (let attempt = 1; !box; attempt++) {
    if (attempt > MAX_ATTEMPTS) return undefined;
    const mailbox = await ask(ctx, PROMPTS.enterMailbox, 16);
    if (mailbox === undefined) return 'hangup';
    box = mailbox ? await services.store.vmboxes.findByMailbox(call.accountId, mailbox) : undefined;
    if (!box) await call.say(PROMPTS.badMailbox);
  }

  const isOwner = !!caller.ownerId && box.owner_id === caller.ownerId;
  if (isOwner && box.require_pin === false) return box;
  if (!box.pin) {
    await call.say(PROMPTS.noAccess);
    return undefined;
  }
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const pin = await ask(ctx, PROMPTS.enterPin, 16);
    if (pin === undefined) return 'hangup';
    if (pin === box.pin) return box;
    await call.say(PROMPTS.badPin);
  }
  return undefined;
}

/**
 * cf_voicemail:get_user_mailbox_doc: the caller's owner's only box (`single_mailbox_login`), or the owner's box
 * whose mailbox number is the caller ID number (`callerid_match_login`).
 */
async function callersBox({ call, data, services }: Ctx, ownerId: string | undefined): Promise<VmboxDoc | undefined> {
  if (!ownerId || !(data.single_mailbox_login || data.callerid_match_login)) return undefined;
  const boxes = (await services.store.vmboxes.list(call.accountId, { filter: { owner_id: ownerId } })).items;
  if (data.single_mailbox_login && boxes.length === 1) return boxes[0];
  if (data.callerid_match_login) return boxes.find((b) => b.mailbox === call.callerId.number);
  return undefined;
}

/** Announce the counts, then review the new messages and the saved ones, oldest first. */
async function mainMenu(ctx: Ctx, box: VmboxDoc): Promise<ModuleOutcome> {
  const { call, services } = ctx;
  const fresh = await services.store.voicemailMessages.listForBox(call.accountId, box.id, 'new');
  const saved = await services.store.voicemailMessages.listForBox(call.accountId, box.id, 'saved');
  await call.say(PROMPTS.counts(fresh.length, saved.length));
  const messages = [...fresh, ...saved];
  let finished = true;
  for (const [i, message] of messages.entries()) {
    const what = await reviewMessage(ctx, message, i + 1, messages.length);
    if (what === 'hangup') return stop;
    if (what === 'exit') {
      finished = false;
      break;
    }
  }
  if (finished && messages.length) await call.say(PROMPTS.noMore);
  await call.say(PROMPTS.goodbye);
  return next();
}

/** Play one message, then its menu: 1 replay, 2 save, 7 delete, # next, 0 or * exit (3 silent menus: exit). */
async function reviewMessage(
  ctx: Ctx,
  message: VoicemailMessageDoc,
  n: number,
  total: number,
): Promise<'next' | 'exit' | 'hangup'> {
  const { call, services } = ctx;
  let play = true;
  let silent = 0;
  while (call.state !== 'ended') {
    if (play) {
      play = false;
      await call.say(PROMPTS.message(n, total), { terminators: MENU_KEYS });
      if (!call.dtmfBuffer) await playMessage(call, message);
    }
    if (!call.dtmfBuffer) await call.say(PROMPTS.messageMenu, { terminators: MENU_KEYS });
    const r = await call.collect({ maxDigits: 1, timeoutMs: COLLECT_TIMEOUT_MS });
    if (r.reason === 'hangup' || r.reason === 'aborted') break;
    switch (r.digits) {
      case '1':
        play = true;
        break;
      case '2':
        await services.store.voicemailMessages.setFolder(call.accountId, message.id, 'saved');
        await call.say(PROMPTS.saved);
        return 'next';
      case '7':
        await services.store.voicemailMessages.setFolder(call.accountId, message.id, 'deleted');
        await call.say(PROMPTS.deleted);
        return 'next';
      case '#':
        return 'next';
      case '0':
      case '*':
        return 'exit';
      default:
        if (++silent >= MAX_ATTEMPTS) return 'exit';
    }
  }
  return 'hangup';
}

async function playMessage(call: Call, message: VoicemailMessageDoc): Promise<void> {
  const played = message.path
    ? await call.play({ kind: 'file', path: message.path }, { terminators: MENU_KEYS })
    : undefined;
  if (!played || played.reason === 'error') await call.say(PROMPTS.unplayable, { terminators: MENU_KEYS });
}
