// Conference (cf_conference + the conference app's discovery, conf_discovery_req): find the conference (stored
// `id`, ad-hoc `config`, or a conference number the caller types), welcome the caller, work out member vs
// moderator (PINs, 3 tries), and join the account-namespaced room until the caller leaves.

import { mediaReference } from '../../call/media-source.js';
import { ALL_DTMF, type Call, type ConferenceOptions } from '../../call/types.js';
import { next, stop, type CallflowModule, type ModuleContext, type ModuleOutcome } from '../types.js';
import { int, obj, str, strings } from './_endpoints.js';

type Tone = boolean | string;

interface ConferenceData {
  id?: string;
  config?: Record<string, unknown>;
  moderator?: boolean;
  play_entry_tone?: Tone;
  play_exit_tone?: Tone;
  welcome_prompt: { play: boolean; media_id?: string };
}

type Role = 'member' | 'moderator';

export const PROMPTS = {
  welcome: 'Welcome to the conference.',
  enterNumber: 'Please enter the conference number, followed by the pound key.',
  badNumber: 'That conference number is not valid.',
  enterPin: 'Please enter the conference pin, followed by the pound key.',
  badPin: 'That pin is not valid.',
  tooManyAttempts: 'Too many failed attempts. Goodbye.',
  full: 'The conference is full. Goodbye.',
} as const;

/** Kazoo's conference app: 3 tries for a number or a PIN, 5 s to start typing. */
const MAX_ATTEMPTS = 3;
const COLLECT_TIMEOUT_MS = 5000;
const INTERDIGIT_MS = 2000;

const toneSchema = { oneOf: [{ type: 'boolean' }, { type: 'string' }] };
const roleSchema = {
  type: 'object',
  properties: {
    pins: { type: 'array', items: { type: 'string' } },
    numbers: { type: 'array', items: { type: 'string' } },
    join_muted: { type: 'boolean' },
    join_deaf: { type: 'boolean' },
  },
};

export const conference: CallflowModule<ConferenceData> = {
  name: 'conference',
  description: 'Put the caller into a stored or ad-hoc conference.',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 32, maxLength: 32, description: 'Stored conference id' },
      config: {
        type: 'object',
        description: 'Ad-hoc conference (conferences.json): callers with the same name meet',
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          member: roleSchema,
          moderator: roleSchema,
          play_entry_tone: toneSchema,
          play_exit_tone: toneSchema,
          play_welcome: { type: 'boolean' },
          max_participants: { type: 'integer', minimum: 0 },
          wait_for_moderator: { type: 'boolean' },
          conference_numbers: { type: 'array', items: { type: 'string' } },
        },
      },
      moderator: { type: 'boolean', description: 'The caller joins as a moderator (no PIN asked)' },
      play_entry_tone: toneSchema,
      play_exit_tone: toneSchema,
      welcome_prompt: {
        type: 'object',
        default: {},
        properties: {
          play: { type: 'boolean', default: true },
          media_id: { type: 'string', description: 'Media id or URL played instead of the default welcome' },
        },
      },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { call, data, services, log } = ctx;
    await call.answer();

    let doc: Record<string, unknown> | undefined;
    let roomKey: string | undefined;
    if (data.id) {
      const stored = await services.store.conferences.get(call.accountId, data.id);
      doc = stored ?? data.config;
      roomKey = data.id;
      if (!stored && !data.config) {
        log.warn({ call_id: call.id, conference_id: data.id }, 'conference not found');
        return next();
      }
    } else if (data.config) {
      doc = data.config;
      roomKey = str(doc.id) ?? str(doc.name);
      if (!roomKey) {
        log.warn({ call_id: call.id }, 'ad-hoc conference without a name');
        return next();
      }
    }

    if (doc?.play_welcome ?? data.welcome_prompt?.play ?? true) await welcome(call, data.welcome_prompt?.media_id);

    // No conference named: the caller types a conference number (conf_discovery_req:collect_conference_id).
    let byNumber: Role | undefined;
    if (!doc) {
      const found = await collectConferenceNumber(ctx);
      if (found === 'hangup') return stop;
      if (!found) return giveUp(call);
      ({ doc, role: byNumber } = found);
      roomKey = str(doc.id);
    }

    const role =
      data.moderator === true
        ? 'moderator'
        : await decideRole(call, doc, data.moderator === false ? 'member' : byNumber);
    if (role === 'hangup') return stop;
    if (!role) return giveUp(call);

    const moderator = role === 'moderator';
    const settings = obj(doc[role]);
    const moderators = obj(doc.moderator);
    const moderatorsConfigured = strings(moderators?.pins).length > 0 || strings(moderators?.numbers).length > 0;
    const waitForModerator =
      typeof doc.wait_for_moderator === 'boolean' ? doc.wait_for_moderator : moderatorsConfigured;
    const maxParticipants = int(doc.max_participants);
    const options: ConferenceOptions = {
      room: `${call.accountId}:${roomKey}`,
      moderator,
      muted: settings?.join_muted === true,
      deaf: settings?.join_deaf === true,
      entryTone: toneOn(data.play_entry_tone ?? (doc.play_entry_tone as Tone | undefined)),
      exitTone: toneOn(data.play_exit_tone ?? (doc.play_exit_tone as Tone | undefined)),
      // Moderators start the conference; members wait for one when the conference has moderators.
      startOnEnter: moderator || !waitForModerator,
      ...(maxParticipants && maxParticipants > 0 ? { maxParticipants } : {}),
    };
    const result = await call.conference(options);
    log.debug({ call_id: call.id, room: options.room, reason: result.reason }, 'left the conference');
    if (result.reason === 'full') {
      await call.say(PROMPTS.full);
      await call.hangup('NORMAL_CLEARING');
    }
    return stop;
  },
};

async function welcome(call: Call, mediaId: string | undefined): Promise<void> {
  if (mediaId) {
    const media = mediaReference(mediaId);
    const played = 'say' in media ? await call.say(media.say) : await call.play(media);
    if (played.reason !== 'error') return;
  }
  await call.say(PROMPTS.welcome);
}

/** Entry/exit tones: on unless false (a custom tone media id counts as on; the primitive plays its own). */
function toneOn(tone: Tone | undefined): boolean {
  return !(tone === false || tone === 'false');
}

async function giveUp(call: Call): Promise<ModuleOutcome> {
  await call.say(PROMPTS.tooManyAttempts);
  await call.hangup('NORMAL_CLEARING');
  return stop;
}

/** Say a prompt (typing ahead interrupts it) and collect up to 16 digits ended by `#`; undefined on hangup. */
async function prompt(call: Call, text: string): Promise<string | undefined> {
  await call.say(text, { terminators: ALL_DTMF });
  const r = await call.collect({
    maxDigits: 16,
    timeoutMs: COLLECT_TIMEOUT_MS,
    interdigitMs: INTERDIGIT_MS,
    terminators: '#',
  });
  return r.reason === 'hangup' || r.reason === 'aborted' || call.state === 'ended' ? undefined : r.digits;
}

/** A conference number → the stored conference listing it, and the role it implies (member/moderator numbers). */
async function collectConferenceNumber(
  ctx: ModuleContext<ConferenceData>,
): Promise<{ doc: Record<string, unknown>; role?: Role } | 'hangup' | undefined> {
  const { call, services } = ctx;
  const docs = (await services.store.conferences.list(call.accountId)).items;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const digits = await prompt(call, PROMPTS.enterNumber);
    if (digits === undefined) return 'hangup';
    for (const doc of digits ? docs : []) {
      const member = strings(obj(doc.member)?.numbers).includes(digits);
      const moderator = strings(obj(doc.moderator)?.numbers).includes(digits);
      if (!member && !moderator && !strings(doc.conference_numbers).includes(digits)) continue;
      // Unambiguous numbers decide the role; a shared or general number leaves it to the PIN.
      return { doc, role: member === moderator ? undefined : member ? 'member' : 'moderator' };
    }
    await call.say(PROMPTS.badNumber);
  }
  return undefined;
}

/**
 * Member or moderator (conf_discovery_req:validate_conference_pin): with an expected role, that role's PINs
 * (none configured: no question); without one, a PIN from either list decides, and an empty entry is a
 * member when members have no PIN. Three wrong PINs: undefined.
 */
async function decideRole(
  call: Call,
  doc: Record<string, unknown>,
  expected: Role | undefined,
): Promise<Role | 'hangup' | undefined> {
  const memberPins = strings(obj(doc.member)?.pins);
  const moderatorPins = strings(obj(doc.moderator)?.pins);
  if (expected === 'member' && !memberPins.length) return 'member';
  if (expected === 'moderator' && !moderatorPins.length) return 'moderator';
  if (!expected && !memberPins.length && !moderatorPins.length) return 'member';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const pin = await prompt(call, PROMPTS.enterPin);
    if (pin === undefined) return 'hangup';
    if (expected === 'member' && memberPins.includes(pin)) return 'member';
    if (expected === 'moderator' && moderatorPins.includes(pin)) return 'moderator';
    if (!expected) {
      if (memberPins.includes(pin) || (!memberPins.length && pin === '')) return 'member';
      if (moderatorPins.includes(pin)) return 'moderator';
    }
    await call.say(PROMPTS.badPin);
  }
  return undefined;
}
