// The documents callflow modules read (KAZOO's collections of the same names), each with a schema of the fields
// Pivot uses and the rules the running module would otherwise trip over silently (a regular expression that does
// not compile, a time zone that does not exist, a gateway port out of range):
//   menus            — the `menu` module's IVR documents
//   temporal_rules   — the `temporal_route` module's rules and rule sets (`temporal_rules`: member rule ids)
//   conferences      — the `conference` module's rooms
//   vmboxes          — the `voicemail` module's boxes; `mailbox` is unique in the account
//   resources        — carrier trunks (src/call/targets.ts): gateways, rules, weight_cost, number_format
// Documents are open, as KAZOO's are: fields not listed here are kept as sent.

import { compileRegex } from '../callflow/modules/_regex.js';
import type { AccountDoc } from '../store/types.js';
import type { Api } from './crossbar.js';
import { docRoutes, type DocResource } from './doc-routes.js';
import { conflict, fieldError } from './envelope.js';
import type { AuthContext } from './session.js';
import type { JsonSchema } from './validate.js';

const name = { type: 'string', minLength: 1, maxLength: 128 };
const id = { type: 'string', pattern: '^[0-9a-f]{32}$' };
const strings = { type: 'array', items: { type: 'string' } };
const digits = { type: 'array', items: { type: 'string', pattern: '^[0-9]+$', maxLength: 32 } };
/** A media id or URL, or false for no prompt (menus: true/false switch the built-in prompt). */
const mediaChoice = { type: ['string', 'boolean'] };

export const menuSchema: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name,
    retries: { type: 'integer', minimum: 1, maximum: 10 },
    timeout: { type: 'integer', minimum: 1, maximum: 300000, description: 'ms to wait for the first digit' },
    interdigit_timeout: { type: 'integer', minimum: 1, maximum: 60000 },
    max_extension_length: { type: 'integer', minimum: 1, maximum: 16 },
    hunt: { type: 'boolean' },
    hunt_allow: { type: 'string', maxLength: 256 },
    hunt_deny: { type: 'string', maxLength: 256 },
    media: {
      type: 'object',
      properties: {
        greeting: { type: 'string' },
        invalid_media: mediaChoice,
        transfer_media: mediaChoice,
        exit_media: mediaChoice,
      },
    },
    record_pin: { type: 'string', pattern: '^[0-9]*$' },
    allow_record_from_offnet: { type: 'boolean' },
    suppress_media: { type: 'boolean' },
  },
};

const WDAYS = ['monday', 'tuesday', 'wednesday', 'wensday', 'thursday', 'friday', 'saturday', 'sunday'];

export const temporalRuleSchema: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name,
    cycle: { type: 'string', enum: ['date', 'daily', 'weekly', 'monthly', 'yearly'] },
    interval: { type: 'integer', minimum: 1 },
    days: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 31 } },
    wdays: { type: 'array', items: { type: 'string', enum: WDAYS } },
    ordinal: { type: 'string', enum: ['first', 'second', 'third', 'fourth', 'fifth', 'last', 'every'] },
    month: { type: 'integer', minimum: 1, maximum: 12 },
    start_date: { type: 'integer', minimum: 0, description: 'Gregorian seconds (KAZOO) or Unix seconds' },
    time_window_start: { type: 'integer', minimum: 0, maximum: 86400, description: 'seconds since midnight' },
    time_window_stop: { type: 'integer', minimum: 0, maximum: 86400 },
    enabled: { type: 'boolean', description: 'true forces the rule on, false off; absent follows the schedule' },
    timezone: { type: 'string', maxLength: 64 },
    temporal_rules: { type: 'array', items: id, description: 'a rule set: the ids of its rules' },
  },
};

const participant = {
  type: 'object',
  properties: {
    pins: digits,
    numbers: digits,
    join_muted: { type: 'boolean' },
    join_deaf: { type: 'boolean' },
  },
};

export const conferenceSchema: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    name,
    owner_id: id,
    conference_numbers: digits,
    member: participant,
    moderator: participant,
    max_participants: { type: 'integer', minimum: 0 },
    wait_for_moderator: { type: 'boolean' },
    play_welcome: { type: 'boolean' },
    play_entry_tone: { type: ['boolean', 'string'] },
    play_exit_tone: { type: ['boolean', 'string'] },
  },
};

export const vmboxSchema: JsonSchema = {
  type: 'object',
  required: ['name', 'mailbox'],
  properties: {
    name,
    mailbox: { type: 'string', pattern: '^[0-9]{2,30}$', description: 'the box number callers and owners dial' },
    pin: { type: 'string', pattern: '^[0-9]{4,15}$' },
    owner_id: id,
    require_pin: { type: 'boolean' },
    check_if_owner: { type: 'boolean' },
    skip_greeting: { type: 'boolean' },
    skip_instructions: { type: 'boolean' },
    max_message_count: { type: 'integer', minimum: 0, description: '0: no limit' },
    is_setup: { type: 'boolean' },
    timezone: { type: 'string', maxLength: 64 },
    media: { type: 'object', properties: { unavailable: { type: 'string' } } },
  },
};

const gateway = {
  type: 'object',
  required: ['server'],
  properties: {
    server: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._:\\[\\]-]+$' },
    port: { type: ['integer', 'string'], minimum: 1, maximum: 65535, pattern: '^[0-9]{1,5}$' },
    transport: { type: 'string', enum: ['udp', 'tcp', 'UDP', 'TCP'] },
    username: { type: 'string', maxLength: 128 },
    password: { type: 'string', maxLength: 128 },
    realm: { type: 'string', maxLength: 253 },
    prefix: { type: 'string', maxLength: 32 },
    suffix: { type: 'string', maxLength: 32 },
    enabled: { type: 'boolean' },
  },
};

export const resourceSchema: JsonSchema = {
  type: 'object',
  required: ['name', 'gateways'],
  properties: {
    name,
    enabled: { type: 'boolean' },
    gateways: { type: 'array', minItems: 1, items: gateway },
    rules: { ...strings, description: 'regular expressions a dialled number must match (none: any)' },
    cid_rules: strings,
    weight_cost: { type: 'integer', minimum: 1, maximum: 100, description: 'lower is tried first (default 50)' },
    number_format: { type: 'string', enum: ['e164', 'e164_no_plus', 'npan', '1npan'] },
    flags: strings,
  },
};

function knownTimezone(tz: unknown): boolean {
  if (typeof tz !== 'string') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function checkTimezone(doc: Record<string, unknown>, allowInherit = false): void {
  if (allowInherit && doc.timezone === 'inherit') return;
  if (!knownTimezone(doc.timezone)) {
    throw fieldError('timezone', 'enum', `unknown time zone ${String(doc.timezone)} (IANA names, e.g. Europe/Paris)`);
  }
}

function checkRegex(field: string, value: unknown, compile: (s: string) => unknown): void {
  if (typeof value === 'string' && value !== '' && !compile(value)) {
    throw fieldError(field, 'format', `${value} is not a valid regular expression`, { value });
  }
}

/** The JavaScript RegExp the trunk matcher uses (targets.ts `matchesRules`). */
const plainRegex = (s: string): RegExp | undefined => {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
};

const mayReadSecrets = (auth: AuthContext, d: Record<string, unknown>): boolean =>
  auth.privLevel === 'admin' || (auth.userId !== undefined && d.owner_id === auth.userId);

const withoutPasswords = (gateways: unknown): unknown =>
  Array.isArray(gateways)
    ? gateways.map((gw: unknown) => (gw && typeof gw === 'object' ? { ...gw, password: undefined } : gw))
    : gateways;

export function configDocRoutes(api: Api): void {
  const { store } = api;
  const doc = (r: Omit<DocResource, 'tag'>): DocResource => ({ tag: r.path, ...r });

  const ownerIsUser = async (account: AccountDoc, owner: unknown): Promise<void> => {
    if (typeof owner === 'string' && !(await store.users.get(account.id, owner))) {
      throw fieldError('owner_id', 'not_found', `owner_id ${owner} is not a user of this account`);
    }
  };

  docRoutes(
    api,
    doc({
      path: 'menus',
      idParam: 'menu_id',
      one: 'an IVR menu',
      entity: 'menu',
      repo: (s) => s.menus,
      schema: menuSchema,
      async beforeWrite({ doc: d }) {
        checkRegex('hunt_allow', d.hunt_allow, compileRegex);
        checkRegex('hunt_deny', d.hunt_deny, compileRegex);
      },
    }),
  );

  docRoutes(
    api,
    doc({
      path: 'temporal_rules',
      idParam: 'temporal_rule_id',
      one: 'a temporal rule',
      entity: 'temporal rule',
      repo: (s) => s.temporalRules,
      schema: temporalRuleSchema,
      async beforeWrite({ doc: d }) {
        checkTimezone(d, true);
        const start = d.time_window_start as number | undefined;
        const stop = d.time_window_stop as number | undefined;
        if (start !== undefined && stop !== undefined && stop < start) {
          throw fieldError('time_window_stop', 'minimum', 'time_window_stop is before time_window_start', {
            target: start,
          });
        }
      },
    }),
  );

  docRoutes(
    api,
    doc({
      path: 'conferences',
      idParam: 'conference_id',
      one: 'a conference',
      entity: 'conference',
      repo: (s) => s.conferences,
      schema: conferenceSchema,
      async beforeWrite({ account, doc: d }) {
        await ownerIsUser(account, d.owner_id);
      },
    }),
  );

  docRoutes(
    api,
    doc({
      path: 'vmboxes',
      idParam: 'vmbox_id',
      one: 'a voicemail box',
      entity: 'vmbox',
      repo: (s) => s.vmboxes,
      schema: vmboxSchema,
      secretFields: ['pin'],
      // A box's PIN is its owner's secret: admins and the owner see it, other user tokens do not.
      view: (d, auth) => (mayReadSecrets(auth, d) ? d : { ...d, pin: undefined }),
      async beforeWrite({ account, current, doc: d }) {
        checkTimezone(d);
        await ownerIsUser(account, d.owner_id);
        const other = await store.vmboxes.findByMailbox(account.id, String(d.mailbox));
        if (other && other.id !== current?.id) {
          throw conflict('mailbox', `mailbox ${String(d.mailbox)} is already used by another box`, other.id);
        }
      },
    }),
  );

  docRoutes(
    api,
    doc({
      path: 'resources',
      idParam: 'resource_id',
      one: 'a carrier resource (trunk)',
      entity: 'resource',
      repo: (s) => s.resources,
      schema: resourceSchema,
      // Carrier credentials are for admins only.
      view: (d, auth) => (auth.privLevel === 'admin' ? d : { ...d, gateways: withoutPasswords(d.gateways) }),
      async beforeWrite({ doc: d }) {
        const gateways = d.gateways as Record<string, unknown>[];
        gateways.forEach((gw, i) => {
          if (typeof gw.port === 'string') {
            const port = Number(gw.port);
            if (!(port >= 1 && port <= 65535)) {
              throw fieldError(`gateways.${i}.port`, 'maximum', 'port must be from 1 to 65535', { value: gw.port });
            }
            gw.port = port;
          }
        });
        for (const field of ['rules', 'cid_rules']) {
          const list = (d[field] as string[] | undefined) ?? [];
          list.forEach((rule, i) => checkRegex(`${field}.${i}`, rule, plainRegex));
        }
      },
    }),
  );
}
