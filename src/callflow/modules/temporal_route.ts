// Time-of-day routing: the child keyed by the first rule (from `rules`, children keys, `rule_set`) matching now, else
// `_`. Kazoo: `enabled` forces a rule on/off, start_date is Gregorian seconds; `action` sets that override instead.

import { ALL_DTMF, type Call } from '../../call/types.js';
import type { Stored, NamedFields } from '../../store/types.js';
import { next, type CallflowModule, type CallflowServices, type Logger, type ModuleContext } from '../types.js';
import { sayPrompt } from './_media.js';

interface TemporalRouteData {
  rules: string[];
  rule_set?: string;
  timezone?: string;
  action?: 'menu' | 'enable' | 'disable' | 'reset';
  interdigit_timeout?: number;
}

/** A temporal rule document (`temporal_rules.json`); a rule set has `temporal_rules` instead. */
export interface TemporalRule {
  cycle?: string;
  interval?: number;
  days?: (number | string)[];
  wdays?: string[];
  ordinal?: string;
  month?: number;
  start_date?: number;
  time_window_start?: number;
  time_window_stop?: number;
  enabled?: boolean;
  timezone?: string;
}

/** Stand-ins for Kazoo's temporal-* prompts. */
export const TEMPORAL_PROMPTS = {
  menu: 'To force these time of day rules on, press 1. To force them off, press 2. To resume the schedule, press 3.',
  enable: 'Time of day rules forced on.',
  disable: 'Time of day rules forced off.',
  reset: 'Time of day rules back on schedule.',
};

export const temporal_route: CallflowModule<TemporalRouteData> = {
  name: 'temporal_route',
  description: 'Route by time of day, day of week or date (temporal rules).',
  schema: {
    type: 'object',
    properties: {
      rules: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      rule_set: { type: 'string', minLength: 1, description: 'Temporal rule set id' },
      timezone: { type: 'string', minLength: 1, description: 'IANA time zone; default the account time zone' },
      action: { type: 'string', enum: ['menu', 'enable', 'disable', 'reset'] },
      interdigit_timeout: { type: 'integer', minimum: 1 },
      skip_module: { type: 'boolean' },
    },
  },
  async run(ctx) {
    const { call, data, node, services, log } = ctx;
    if (data.action) {
      await featureAction(ctx, data.action);
      return next();
    }
    const docs = new Map<string, Promise<Stored<NamedFields> | undefined>>();
    const load = (id: string) => {
      let doc = docs.get(id);
      if (!doc) docs.set(id, (doc = services.store.temporalRules.get(call.accountId, id)));
      return doc;
    };
    // Kazoo's routes: [rule id, child key] from rules, children keys and rule_set, rule sets expanded.
    const routes: [string, string][] = [];
    const ids = [...data.rules, ...Object.keys(node.children ?? {}).filter((k) => k !== '_')];
    for (const id of ids) {
      const set = ruleSetMembers(await load(id));
      if (set) for (const member of set) routes.push([member, id]);
      else routes.push([id, id]);
    }
    if (data.rule_set) {
      const set = ruleSetMembers(await load(data.rule_set));
      if (!set) log.warn({ call_id: call.id, rule_set: data.rule_set }, 'temporal rule set not found');
      for (const member of set ?? []) routes.push([member, 'rule_set']);
    }
    const now = services.now();
    const accountTz = await accountTimezone(call, services);
    for (const [id, key] of routes) {
      const rule = (await load(id)) as (TemporalRule & { name?: string }) | undefined;
      if (!rule) {
        log.info({ call_id: call.id, rule_id: id }, 'temporal rule not found');
        continue;
      }
      const tz = usableTimezone(pickTimezone(data.timezone, rule.timezone, accountTz), log);
      if (ruleMatches(rule, now, tz)) {
        log.info({ call_id: call.id, rule_id: id, name: rule.name, child: key }, 'temporal rule matched');
        return next(key);
      }
    }
    return next();
  },
};

function ruleSetMembers(doc: Record<string, unknown> | undefined): string[] | undefined {
  const members = doc?.temporal_rules;
  return Array.isArray(members) && members.length ? members.filter((m) => typeof m === 'string') : undefined;
}

async function accountTimezone(call: Call, services: CallflowServices): Promise<string | undefined> {
  return (await services.store.accounts.get(call.accountId))?.timezone;
}

/** The node's time zone, else the rule's, else the account's, else UTC (`inherit` defers to the next one). */
function pickTimezone(...zones: (string | undefined)[]): string {
  return zones.find((z) => z && z !== 'inherit') ?? 'UTC';
}

function usableTimezone(tz: string, log: Logger): string {
  try {
    formatter(tz);
    return tz;
  } catch {
    log.warn({ timezone: tz }, 'unknown time zone; using UTC');
    return 'UTC';
  }
}

// ---- feature actions ------------------------------------------------------------------------------------------

async function featureAction(ctx: ModuleContext<TemporalRouteData>, action: 'menu' | 'enable' | 'disable' | 'reset') {
  const { call, data } = ctx;
  if (action !== 'menu') return setOverride(ctx, action);
  await call.answer();
  const choices: Record<string, 'enable' | 'disable' | 'reset'> = { '1': 'enable', '2': 'disable', '3': 'reset' };
  for (let attempt = 0; attempt < 3 && call.state !== 'ended'; attempt++) {
    await sayPrompt(call, TEMPORAL_PROMPTS.menu, { terminators: ALL_DTMF });
    const got = await call.collect({ maxDigits: 1, timeoutMs: 5000, interdigitMs: data.interdigit_timeout });
    if (got.reason === 'hangup' || got.reason === 'aborted') return;
    if (choices[got.digits]) return setOverride(ctx, choices[got.digits]);
  }
}

async function setOverride(ctx: ModuleContext<TemporalRouteData>, action: 'enable' | 'disable' | 'reset') {
  const { call, data, services, log } = ctx;
  const enabled = action === 'enable' ? true : action === 'disable' ? false : null;
  for (const id of data.rules) {
    try {
      await services.store.temporalRules.update(call.accountId, id, { enabled });
      log.info({ call_id: call.id, rule_id: id, enabled }, 'temporal rule override set');
    } catch (err) {
      log.warn({ call_id: call.id, rule_id: id, err: String(err) }, 'unable to update temporal rule');
    }
  }
  await call.answer();
  await sayPrompt(call, TEMPORAL_PROMPTS[action]);
}

// ---- rule evaluation ----------------------------------------------------------------------------------------

/** Seconds between 0000-01-01 and 1970-01-01 (Erlang's calendar:datetime_to_gregorian_seconds of the epoch). */
export const GREGORIAN_EPOCH_OFFSET = 62167219200;
/** Kazoo's default start date, 2011-01-01, in Gregorian seconds. */
const DEFAULT_START = 62586115200;
const DAY_MS = 86_400_000;

/** A local calendar date and time. `dayNumber` counts days since 1970-01-01; `wday` is ISO (1 = Monday). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  wday: number;
  dayNumber: number;
  /** Seconds since local midnight. */
  seconds: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(epochMs: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const dayNumber = Math.floor(Date.UTC(parts.year, parts.month - 1, parts.day) / DAY_MS);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    wday: isoWeekday(dayNumber),
    dayNumber,
    seconds: (parts.hour % 24) * 3600 + parts.minute * 60 + parts.second,
  };
}

function isoWeekday(dayNumber: number): number {
  return ((((dayNumber + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

/** `start_date` as epoch ms: Kazoo stores Gregorian seconds; smaller values are taken as Unix seconds. */
export function startDateMs(value: number | undefined): number {
  const secs = typeof value === 'number' && Number.isFinite(value) ? value : DEFAULT_START;
  return (secs > GREGORIAN_EPOCH_OFFSET ? secs - GREGORIAN_EPOCH_OFFSET : secs) * 1000;
}

const WDAYS: Record<string, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  wensday: 3, // Kazoo's historical spelling
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, fifth: 5 };

/** Whether `rule` is active at `epochMs` in `timeZone` (its cycle, interval, days and time window). */
export function ruleMatches(rule: TemporalRule, epochMs: number, timeZone: string): boolean {
  if (rule.enabled === true) return true;
  if (rule.enabled === false) return false;
  const now = localTime(epochMs, timeZone);
  const start = localTime(startDateMs(rule.start_date), timeZone);
  if (start.dayNumber > now.dayNumber) return false;
  const from = rule.time_window_start ?? 0;
  const to = rule.time_window_stop ?? 86400;
  if (now.seconds < from || now.seconds > to) return false;
  const interval = Number.isInteger(rule.interval) && rule.interval! > 0 ? rule.interval! : 1;
  const wdays = (rule.wdays ?? []).map((w) => WDAYS[String(w).toLowerCase()]).filter(Boolean);
  switch (rule.cycle) {
    case 'date':
      return now.dayNumber === start.dayNumber;
    case 'daily':
      return (now.dayNumber - start.dayNumber) % interval === 0;
    case 'weekly': {
      const weeks = (mondayOf(now.dayNumber) - mondayOf(start.dayNumber)) / 7;
      return weeks % interval === 0 && (wdays.length === 0 || wdays.includes(now.wday));
    }
    case 'monthly': {
      const months = (now.year - start.year) * 12 + now.month - start.month;
      return months % interval === 0 && dayMatches(rule, wdays, now);
    }
    case 'yearly':
      return (
        (now.year - start.year) % interval === 0 && now.month === (rule.month ?? 1) && dayMatches(rule, wdays, now)
      );
    default:
      return false;
  }
}

function mondayOf(dayNumber: number): number {
  return dayNumber - (isoWeekday(dayNumber) - 1);
}

/** `days` of the month when given, else the `ordinal` occurrence of one of `wdays` in the month. */
function dayMatches(rule: TemporalRule, wdays: number[], now: LocalTime): boolean {
  const days = (rule.days ?? []).map(Number);
  if (days.length) return days.includes(now.day);
  if (!wdays.includes(now.wday)) return false;
  const ordinal = rule.ordinal ?? 'first';
  if (ordinal === 'every') return true;
  if (ordinal === 'last') return now.day + 7 > daysInMonth(now.year, now.month);
  return Math.ceil(now.day / 7) === ORDINALS[ordinal];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
