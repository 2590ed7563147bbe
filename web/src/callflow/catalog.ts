// The catalog of actions the editor offers: one entry per block a user can drag into a flow, grouped Basic and
// Advanced, each with a short help, the fields of its dialog (from the module's JSON schema in
// src/callflow/modules/*.ts), how many children its module takes and what its branch keys mean. An entry may pin
// some data (`voicemail` with `action: check` is "Check voicemail"); a stored node is matched back to its entry by
// module and pinned data, and a module the catalog does not know still loads, with a JSON dialog.

import type { ChildPolicy } from './tree';

export type EntityKind =
  'users' | 'devices' | 'media' | 'menus' | 'conferences' | 'vmboxes' | 'callflows' | 'temporal_rules';

interface Base {
  /** Dotted path in the node's data (`config.name`). */
  name: string;
  label: string;
  hint?: string;
  required?: boolean;
  /** Shown under "More options". */
  advanced?: boolean;
}

export type FieldSpec =
  | (Base & {
      kind: 'text' | 'url' | 'textarea';
      placeholder?: string;
      pattern?: RegExp;
      patternMessage?: string;
      maxLength?: number;
      /** Value a new block starts with. */
      initial?: string;
    })
  | (Base & { kind: 'number'; min?: number; max?: number; placeholder?: string; initial?: number })
  | (Base & {
      kind: 'select';
      options: { value: string; label: string }[];
      /** Value a new block starts with; a select without `optional` always writes its value. */
      initial?: string;
      /** The first option is "" and leaves the field out. */
      optional?: string;
      /** Stored values match the options whatever their case (`POST` ↔ `post`). */
      anyCase?: boolean;
    })
  | (Base & { kind: 'checkbox'; default?: boolean })
  | (Base & { kind: 'entity'; entity: EntityKind; custom?: string; exclude?: 'self' })
  | (Base & { kind: 'list'; placeholder?: string; item?: RegExp; itemMessage?: string })
  | (Base & { kind: 'pairs'; keyLabel?: string; valueLabel?: string })
  | (Base & { kind: 'endpoints' })
  | (Base & { kind: 'json' });

/** What a keyed parent's branch keys are: menu digits, time-of-day rules, variable values, caller-ID matches… */
export type KeyKind = 'digits' | 'temporal' | 'value' | 'cid' | 'failure';

export interface ActionDef {
  id: string;
  module: string;
  label: string;
  category: 'Basic' | 'Advanced';
  help: string;
  icon: string;
  /** Data every block of this entry has (and that tells it apart from other entries of the module). */
  fixed?: Record<string, unknown>;
  fields: FieldSpec[];
  /** A one-line summary on the block (never a URL or method). */
  caption?(data: Record<string, unknown>, name: (kind: EntityKind, id: string) => string | undefined): string;
  /** Not offered in the catalog (only matched when loading). */
  hidden?: boolean;
}

const TERMINATORS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'];
const dtmfList = { item: /^[0-9*#]$/, itemMessage: 'keys are 0-9, * and #', placeholder: '#, *' };
const httpUrl = /^https?:\/\/\S+$/i;
const urlMessage = 'Use an http:// or https:// address';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const clip = (s: string, n = 42): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const entityCaption =
  (kind: EntityKind, field = 'id') =>
  (data: Record<string, unknown>, name: (kind: EntityKind, id: string) => string | undefined): string => {
    const id = str(data[field]);
    if (!id) return '';
    return name(kind, id) ?? clip(id, 24);
  };

const dialFields = (kind: 'users' | 'devices'): FieldSpec[] => [
  {
    kind: 'entity',
    name: 'id',
    label: kind === 'users' ? 'User' : 'Device',
    entity: kind,
    required: true,
  },
  {
    kind: 'number',
    name: 'timeout',
    label: 'Ring for (seconds)',
    min: 0,
    placeholder: kind === 'users' ? '20' : '20 (0 also means 20)',
  },
  { kind: 'number', name: 'delay', label: 'Wait before ringing (seconds)', min: 0, placeholder: '0', advanced: true },
  {
    kind: 'select',
    name: kind === 'users' ? 'strategy' : 'dial_strategy',
    label: 'Ring the devices',
    options: [
      { value: 'simultaneous', label: 'All at once' },
      { value: 'single', label: 'One after the other' },
    ],
    initial: 'simultaneous',
    advanced: true,
  },
  ...(kind === 'users'
    ? [
        {
          kind: 'checkbox',
          name: 'fail_on_single_reject',
          label: 'Stop ringing the others when one device rejects the call',
          advanced: true,
        } as FieldSpec,
      ]
    : []),
  { kind: 'checkbox', name: 'can_call_self', label: 'Allow calling itself', advanced: true },
  { kind: 'checkbox', name: 'suppress_clid', label: 'Present the caller as anonymous', advanced: true },
  {
    kind: 'pairs',
    name: 'custom_sip_headers',
    label: 'Custom SIP headers',
    keyLabel: 'Header',
    valueLabel: 'Value',
    advanced: true,
  },
];

const recordingFields = (withAction: boolean): FieldSpec[] => [
  ...(withAction
    ? [
        {
          kind: 'select',
          name: 'action',
          label: 'Action',
          options: [
            { value: 'start', label: 'Start recording' },
            { value: 'stop', label: 'Stop recording' },
          ],
          initial: 'start',
          required: true,
        } as FieldSpec,
      ]
    : []),
  {
    kind: 'url',
    name: 'url',
    label: 'Upload to URL',
    hint: 'Where the recording is sent when it ends (optional: it is kept by Pivot either way).',
    pattern: httpUrl,
    patternMessage: urlMessage,
  },
  {
    kind: 'select',
    name: 'method',
    label: 'Upload method',
    options: [
      { value: 'put', label: 'PUT' },
      { value: 'post', label: 'POST' },
    ],
    initial: 'put',
    anyCase: true,
  },
  {
    kind: 'select',
    name: 'format',
    label: 'Format',
    optional: 'Default (mp3)',
    options: [
      { value: 'mp3', label: 'MP3' },
      { value: 'wav', label: 'WAV' },
    ],
  },
  { kind: 'number', name: 'time_limit', label: 'Longest recording (seconds)', min: 5, max: 10800, placeholder: '3600' },
];

export const ACTIONS: ActionDef[] = [
  // ---- Basic ----
  {
    id: 'user',
    module: 'user',
    label: 'User',
    category: 'Basic',
    icon: '☺',
    help: "Ring all of a user's devices; the next block runs when nobody answers.",
    fields: dialFields('users'),
    caption: entityCaption('users'),
  },
  {
    id: 'device',
    module: 'device',
    label: 'Device',
    category: 'Basic',
    icon: '☎',
    help: 'Ring one phone or softphone; the next block runs when it is not answered.',
    fields: dialFields('devices'),
    caption: entityCaption('devices'),
  },
  {
    id: 'ring_group',
    module: 'ring_group',
    label: 'Ring group',
    category: 'Basic',
    icon: '☏',
    help: 'Ring several users and devices together, one by one, or in random order.',
    fields: [
      { kind: 'text', name: 'name', label: 'Name', placeholder: 'Sales' },
      { kind: 'endpoints', name: 'endpoints', label: 'Members', required: true },
      {
        kind: 'select',
        name: 'strategy',
        label: 'Ring the members',
        options: [
          { value: 'simultaneous', label: 'All at once' },
          { value: 'single', label: 'One after the other' },
          { value: 'weighted_random', label: 'In weighted random order' },
        ],
        initial: 'simultaneous',
      },
      { kind: 'number', name: 'timeout', label: 'Ring the group for (seconds)', min: 1, placeholder: '20' },
      { kind: 'number', name: 'repeats', label: 'Rounds', min: 1, placeholder: '1', advanced: true },
      {
        kind: 'entity',
        name: 'ringback',
        label: 'Ringback the caller hears',
        entity: 'media',
        custom: 'or a URL / tone',
        advanced: true,
      },
      {
        kind: 'checkbox',
        name: 'ignore_forward',
        label: 'Ignore SIP redirects from members',
        default: true,
        advanced: true,
      },
      {
        kind: 'checkbox',
        name: 'fail_on_single_reject',
        label: 'Stop ringing the others when one member rejects the call',
        advanced: true,
      },
    ],
    caption: (d) => {
      const n = Array.isArray(d.endpoints) ? d.endpoints.length : 0;
      const name = str(d.name);
      return [name, `${n} member${n === 1 ? '' : 's'}`].filter(Boolean).join(' · ');
    },
  },
  {
    id: 'play',
    module: 'play',
    label: 'Play media',
    category: 'Basic',
    icon: '▶',
    help: 'Play an uploaded prompt or an audio URL to the caller.',
    fields: [
      { kind: 'entity', name: 'id', label: 'Media', entity: 'media', custom: 'or an audio URL', required: true },
      { kind: 'checkbox', name: 'answer', label: 'Answer the call first', default: true, advanced: true },
      {
        kind: 'number',
        name: 'loop_count',
        label: 'Play it this many times',
        min: 1,
        placeholder: '1',
        advanced: true,
      },
      { kind: 'checkbox', name: 'endless_playback', label: 'Play it until the caller hangs up', advanced: true },
      { kind: 'list', name: 'terminators', label: 'Keys that stop it', ...dtmfList, advanced: true },
    ],
    caption: (d, name) => {
      const id = str(d.id);
      return name('media', id) ?? clip(id.replace(/^https?:\/\//, ''), 28);
    },
  },
  {
    id: 'menu',
    module: 'menu',
    label: 'Menu',
    category: 'Basic',
    icon: '☰',
    help: 'An IVR: play a greeting, then branch on the digits the caller presses.',
    fields: [
      {
        kind: 'entity',
        name: 'id',
        label: 'Menu',
        entity: 'menus',
        hint: 'Its greeting, retries and timeouts. Add one branch per digit by dropping blocks under this one.',
      },
      {
        kind: 'number',
        name: 'interdigit_timeout',
        label: 'Time between digits (ms)',
        min: 1,
        max: 10000,
        placeholder: '2000',
        advanced: true,
      },
    ],
    caption: entityCaption('menus'),
  },
  {
    id: 'voicemail',
    module: 'voicemail',
    label: 'Voicemail',
    category: 'Basic',
    icon: '✉',
    help: 'Let the caller leave a message in a voicemail box.',
    fields: [
      { kind: 'entity', name: 'id', label: 'Voicemail box', entity: 'vmboxes', required: true },
      {
        kind: 'number',
        name: 'max_message_length',
        label: 'Longest message (seconds)',
        min: 1,
        placeholder: '500',
        advanced: true,
      },
    ],
    caption: entityCaption('vmboxes'),
  },
  {
    id: 'conference',
    module: 'conference',
    label: 'Conference',
    category: 'Basic',
    icon: '◎',
    help: 'Put the caller into a conference room.',
    fields: [
      {
        kind: 'entity',
        name: 'id',
        label: 'Conference',
        entity: 'conferences',
        hint: 'Leave empty to ask the caller for a conference number, or name an ad-hoc room below.',
      },
      {
        kind: 'text',
        name: 'config.name',
        label: 'Ad-hoc room name',
        hint: 'Callers sent to the same name meet (used when no conference is chosen).',
      },
      { kind: 'checkbox', name: 'moderator', label: 'The caller joins as a moderator' },
      {
        kind: 'checkbox',
        name: 'welcome_prompt.play',
        label: 'Play the welcome prompt',
        default: true,
        advanced: true,
      },
      {
        kind: 'entity',
        name: 'welcome_prompt.media_id',
        label: 'Welcome prompt',
        entity: 'media',
        custom: 'or an audio URL',
        advanced: true,
      },
    ],
    caption: (d, name) =>
      str(d.id) ? (name('conferences', str(d.id)) ?? clip(str(d.id), 24)) : str((d.config as any)?.name),
  },
  {
    id: 'tts',
    module: 'tts',
    label: 'Text to speech',
    category: 'Basic',
    icon: '❝',
    help: 'Say a text to the caller with the speech engine.',
    fields: [
      { kind: 'textarea', name: 'text', label: 'Text', required: true, maxLength: 1000 },
      {
        kind: 'select',
        name: 'voice',
        label: 'Voice',
        options: [
          { value: 'female', label: 'Female' },
          { value: 'male', label: 'Male' },
        ],
        initial: 'female',
        anyCase: true,
      },
      { kind: 'text', name: 'language', label: 'Language', placeholder: 'the call language, e.g. en-US' },
      { kind: 'checkbox', name: 'endless_playback', label: 'Repeat until the caller hangs up', advanced: true },
      { kind: 'list', name: 'terminators', label: 'Keys that stop it', ...dtmfList, advanced: true },
      { kind: 'text', name: 'engine', label: 'Engine', advanced: true },
    ],
    caption: (d) => (str(d.text) ? `“${clip(str(d.text), 40)}”` : ''),
  },

  // ---- Advanced ----
  {
    id: 'pivot',
    module: 'pivot',
    label: 'Pivot',
    category: 'Advanced',
    icon: '⇄',
    help: 'Ask your web server what to do next: it answers with TwiML or a Kazoo callflow.',
    fields: [
      {
        kind: 'url',
        name: 'voice_url',
        label: 'Voice URL',
        required: true,
        placeholder: 'https://example.com/voice',
        pattern: httpUrl,
        patternMessage: urlMessage,
        maxLength: 2048,
      },
      {
        kind: 'select',
        name: 'method',
        label: 'Method',
        options: [
          { value: 'get', label: 'GET' },
          { value: 'post', label: 'POST' },
        ],
        initial: 'get',
        anyCase: true,
      },
      {
        kind: 'select',
        name: 'req_format',
        label: 'Request format',
        hint: 'What your server answers with.',
        options: [
          { value: 'kazoo', label: 'Kazoo (callflow JSON)' },
          { value: 'twiml', label: 'TwiML' },
        ],
        initial: 'kazoo',
      },
      {
        kind: 'select',
        name: 'req_body_format',
        label: 'Body format (POST)',
        options: [
          { value: 'form', label: 'Form (application/x-www-form-urlencoded)' },
          { value: 'json', label: 'JSON' },
        ],
        initial: 'form',
        advanced: true,
      },
      {
        kind: 'number',
        name: 'req_timeout_ms',
        label: 'Timeout (ms)',
        min: 100,
        max: 30000,
        placeholder: '5000',
        advanced: true,
      },
      {
        kind: 'checkbox',
        name: 'debug',
        label: 'Debug: keep every request and response in Live Debug',
        advanced: true,
      },
      {
        kind: 'url',
        name: 'cdr_url',
        label: 'CDR URL',
        hint: 'Receives the call detail record when the call ends.',
        pattern: httpUrl,
        patternMessage: urlMessage,
        advanced: true,
      },
    ],
    // The block shows its name only: the URL and method live in the dialog.
  },
  {
    id: 'collect_dtmf',
    module: 'collect_dtmf',
    label: 'Collect DTMF',
    category: 'Advanced',
    icon: '#',
    help: 'Collect digits the caller types; Pivot receives them as Digits.',
    fields: [
      { kind: 'number', name: 'max_digits', label: 'Most digits', min: 1, placeholder: '1' },
      {
        kind: 'select',
        name: 'terminator',
        label: 'Key that ends the input',
        options: TERMINATORS.map((k) => ({ value: k, label: k })),
        initial: '#',
      },
      { kind: 'number', name: 'timeout', label: 'Wait for the first digit (ms)', min: 1, placeholder: '5000' },
      {
        kind: 'number',
        name: 'interdigit_timeout',
        label: 'Time between digits (ms)',
        min: 1,
        placeholder: '2000',
        advanced: true,
      },
      { kind: 'text', name: 'collection_name', label: 'Collection name', placeholder: 'default', advanced: true },
    ],
    caption: (d) => (d.max_digits ? `up to ${String(d.max_digits)} digit${d.max_digits === 1 ? '' : 's'}` : ''),
  },
  {
    id: 'branch_variable',
    module: 'branch_variable',
    label: 'Branch variable',
    category: 'Advanced',
    icon: '⋔',
    help: "Branch on a variable's value: one branch per value, plus a default.",
    fields: [
      { kind: 'text', name: 'variable', label: 'Variable', required: true, placeholder: 'e.g. language' },
      {
        kind: 'select',
        name: 'scope',
        label: 'Read it from',
        options: [
          { value: 'custom_channel_vars', label: 'Call variables' },
          { value: 'account', label: 'The account' },
          { value: 'device', label: 'The calling device' },
          { value: 'user', label: "The calling device's user" },
          { value: 'merged', label: 'Device, then user, then account' },
        ],
        initial: 'custom_channel_vars',
      },
    ],
    caption: (d) => str(d.variable),
  },
  {
    id: 'set_variables',
    module: 'set_variables',
    label: 'Set variables',
    category: 'Advanced',
    icon: '≔',
    help: 'Set custom application variables; Pivot receives them with each request.',
    fields: [
      {
        kind: 'pairs',
        name: 'custom_application_vars',
        label: 'Variables',
        keyLabel: 'Name',
        valueLabel: 'Value',
        required: true,
      },
      { kind: 'checkbox', name: 'export', label: 'Also set them on calls bridged later' },
    ],
    caption: (d) => {
      const vars = d.custom_application_vars;
      return vars && typeof vars === 'object' ? clip(Object.keys(vars).join(', '), 36) : '';
    },
  },
  {
    id: 'temporal_route',
    module: 'temporal_route',
    label: 'Time of day',
    category: 'Advanced',
    icon: '◷',
    help: 'Route by time of day, weekday or date: one branch per time rule, plus a default.',
    fields: [
      {
        kind: 'text',
        name: 'timezone',
        label: 'Time zone',
        placeholder: "the account's time zone, e.g. Europe/Paris",
      },
      {
        kind: 'entity',
        name: 'rule_set',
        label: 'Rule set',
        entity: 'temporal_rules',
        hint: 'Optional: a set of rules that takes the "rule_set" branch.',
        advanced: true,
      },
      {
        kind: 'select',
        name: 'action',
        label: 'Mode',
        optional: 'Route calls by the rules',
        options: [
          { value: 'menu', label: 'Feature code: ask the caller to force the rules on or off' },
          { value: 'enable', label: 'Feature code: force the rules on' },
          { value: 'disable', label: 'Feature code: force the rules off' },
          { value: 'reset', label: 'Feature code: back to the schedule' },
        ],
        advanced: true,
      },
    ],
    caption: (d) => str(d.timezone),
  },
  {
    id: 'webhook',
    module: 'webhook',
    label: 'Webhook',
    category: 'Advanced',
    icon: '↗',
    help: 'Send the call details to a URL, without waiting for the answer.',
    fields: [
      {
        kind: 'url',
        name: 'uri',
        label: 'URL',
        required: true,
        placeholder: 'https://example.com/hook',
        pattern: httpUrl,
        patternMessage: urlMessage,
      },
      {
        kind: 'select',
        name: 'http_verb',
        label: 'Method',
        options: [
          { value: 'post', label: 'POST' },
          { value: 'get', label: 'GET' },
        ],
        initial: 'post',
        anyCase: true,
      },
      { kind: 'number', name: 'retries', label: 'Attempts', min: 1, max: 5, placeholder: '2', advanced: true },
      {
        kind: 'pairs',
        name: 'custom_data',
        label: 'Extra fields',
        keyLabel: 'Name',
        valueLabel: 'Value',
        advanced: true,
      },
    ],
  },
  {
    id: 'response',
    module: 'response',
    label: 'Response',
    category: 'Advanced',
    icon: '⊗',
    help: 'Refuse the call with a SIP code (486 busy, 503…), optionally after a prompt.',
    fields: [
      { kind: 'number', name: 'code', label: 'SIP code', min: 400, max: 699, required: true, initial: 486 },
      { kind: 'text', name: 'message', label: 'Reason phrase', placeholder: 'Busy Here', maxLength: 128 },
      { kind: 'entity', name: 'media', label: 'Prompt played first', entity: 'media', custom: 'or an audio URL' },
    ],
    caption: (d) => [d.code, str(d.message)].filter(Boolean).join(' '),
  },
  {
    id: 'callflow',
    module: 'callflow',
    label: 'Callflow',
    category: 'Advanced',
    icon: '↪',
    help: 'Continue in another callflow, then come back to the next block.',
    fields: [{ kind: 'entity', name: 'id', label: 'Callflow', entity: 'callflows', required: true, exclude: 'self' }],
    caption: entityCaption('callflows'),
  },
  {
    id: 'sleep',
    module: 'sleep',
    label: 'Sleep',
    category: 'Advanced',
    icon: '☾',
    help: 'Wait for a while before going on.',
    fields: [
      { kind: 'number', name: 'duration', label: 'Duration', min: 0, required: true, initial: 1 },
      {
        kind: 'select',
        name: 'unit',
        label: 'Unit',
        options: [
          { value: 's', label: 'seconds' },
          { value: 'ms', label: 'milliseconds' },
          { value: 'm', label: 'minutes' },
          { value: 'h', label: 'hours' },
        ],
        initial: 's',
      },
    ],
    caption: (d) => (d.duration !== undefined ? `${String(d.duration)} ${str(d.unit) || 's'}` : ''),
  },
  {
    id: 'resources',
    module: 'resources',
    label: 'Carrier (resources)',
    category: 'Advanced',
    icon: '⇢',
    help: "Call out through the account's carriers, cheapest first.",
    fields: [
      {
        kind: 'text',
        name: 'to_did',
        label: 'Number to dial',
        placeholder: 'the number the caller dialled',
        hint: 'Leave empty to dial what the caller dialled.',
      },
      { kind: 'number', name: 'timeout', label: 'Wait for an answer (seconds)', min: 1 },
      {
        kind: 'list',
        name: 'outbound_flags',
        label: 'Carrier flags required',
        placeholder: 'fax, emergency',
        advanced: true,
      },
      {
        kind: 'entity',
        name: 'ringback',
        label: 'Ringback the caller hears',
        entity: 'media',
        custom: 'or a URL / tone',
        advanced: true,
      },
      { kind: 'text', name: 'caller_id_type', label: 'Caller ID to present', placeholder: 'external', advanced: true },
      {
        kind: 'checkbox',
        name: 'use_local_resources',
        label: "Use the account's own carriers",
        default: true,
        advanced: true,
      },
      { kind: 'checkbox', name: 'bypass_e164', label: 'Dial the number as is (no E.164)', advanced: true },
      { kind: 'checkbox', name: 'emit_account_id', label: 'Send the account id in X-Account-ID', advanced: true },
      {
        kind: 'pairs',
        name: 'custom_sip_headers',
        label: 'Custom SIP headers',
        keyLabel: 'Header',
        valueLabel: 'Value',
        advanced: true,
      },
    ],
    caption: (d) => str(d.to_did),
  },
  {
    id: 'record_call',
    module: 'record_call',
    label: 'Record call',
    category: 'Advanced',
    icon: '●',
    help: 'Start or stop recording the call, and upload the recording.',
    fields: [
      ...recordingFields(true),
      { kind: 'checkbox', name: 'record_on_answer', label: 'Start when the call is answered', advanced: true },
      { kind: 'checkbox', name: 'record_on_bridge', label: 'Start when the call is bridged', advanced: true },
      {
        kind: 'number',
        name: 'record_min_sec',
        label: 'Drop recordings shorter than (seconds)',
        min: 0,
        advanced: true,
      },
      { kind: 'text', name: 'label', label: 'Label', advanced: true },
      { kind: 'text', name: 'media_name', label: 'File name of the upload', advanced: true },
    ],
    caption: (d) => (d.action === 'stop' ? 'stop' : 'start'),
  },
  {
    id: 'record_caller',
    module: 'record_caller',
    label: 'Record caller',
    category: 'Advanced',
    icon: '◉',
    help: "Record the caller's audio (a message) and upload it.",
    fields: recordingFields(false),
  },
  {
    id: 'voicemail_check',
    module: 'voicemail',
    label: 'Check voicemail',
    category: 'Advanced',
    icon: '✉',
    fixed: { action: 'check' },
    help: 'Let the caller log in to a voicemail box and listen to the messages.',
    fields: [
      {
        kind: 'entity',
        name: 'id',
        label: 'Voicemail box',
        entity: 'vmboxes',
        hint: 'Leave empty to ask the caller for the mailbox number.',
      },
      { kind: 'checkbox', name: 'callerid_match_login', label: "Log in to the caller's box by caller ID" },
      { kind: 'checkbox', name: 'single_mailbox_login', label: "Log in to the caller's only box" },
    ],
    caption: entityCaption('vmboxes'),
  },
  {
    id: 'answer',
    module: 'answer',
    label: 'Answer',
    category: 'Advanced',
    icon: '✆',
    help: 'Answer the call before the next block (most blocks answer by themselves).',
    fields: [],
  },
  {
    id: 'hangup',
    module: 'hangup',
    label: 'Hang up',
    category: 'Advanced',
    icon: '✕',
    help: 'End the call.',
    fields: [],
  },
  {
    id: 'set_variable',
    module: 'set_variable',
    label: 'Set channel variable',
    category: 'Advanced',
    icon: '≔',
    help: 'Set one custom channel variable on the call.',
    fields: [
      { kind: 'text', name: 'variable', label: 'Variable', required: true },
      { kind: 'text', name: 'value', label: 'Value' },
      {
        kind: 'select',
        name: 'channel',
        label: 'On',
        options: [
          { value: 'a', label: 'The caller' },
          { value: 'both', label: 'Both legs' },
        ],
        initial: 'a',
      },
    ],
    caption: (d) => (str(d.variable) ? `${str(d.variable)} = ${clip(str(d.value), 20)}` : ''),
  },
  {
    id: 'set_cid',
    module: 'set_cid',
    label: 'Set caller ID',
    category: 'Advanced',
    icon: '✎',
    help: 'Change the caller ID name and number presented from here on.',
    fields: [
      { kind: 'text', name: 'caller_id_name', label: 'Caller ID name', maxLength: 128 },
      { kind: 'text', name: 'caller_id_number', label: 'Caller ID number', maxLength: 64 },
    ],
    caption: (d) => [str(d.caller_id_name), str(d.caller_id_number)].filter(Boolean).join(' '),
  },
  {
    id: 'prepend_cid',
    module: 'prepend_cid',
    label: 'Prepend caller ID',
    category: 'Advanced',
    icon: '✎',
    help: 'Add a prefix to the caller ID (e.g. "Sales:"), or remove it again.',
    fields: [
      {
        kind: 'select',
        name: 'action',
        label: 'Action',
        options: [
          { value: 'prepend', label: 'Add the prefixes' },
          { value: 'reset', label: 'Remove the prefixes' },
        ],
        initial: 'prepend',
      },
      { kind: 'text', name: 'caller_id_name_prefix', label: 'Name prefix', maxLength: 64 },
      { kind: 'text', name: 'caller_id_number_prefix', label: 'Number prefix', maxLength: 32 },
      {
        kind: 'select',
        name: 'apply_to',
        label: 'Apply to',
        options: [
          { value: 'current', label: 'The current caller ID' },
          { value: 'original', label: 'The original caller ID' },
        ],
        initial: 'current',
        advanced: true,
      },
    ],
    caption: (d) => (d.action === 'reset' ? 'reset' : str(d.caller_id_name_prefix)),
  },
  {
    id: 'check_cid',
    module: 'check_cid',
    label: 'Check caller ID',
    category: 'Advanced',
    icon: '?',
    help: 'Branch on the caller ID number: match / no match, or one branch per number.',
    fields: [
      {
        kind: 'text',
        name: 'regex',
        label: 'Regular expression',
        placeholder: '.*',
        hint: 'e.g. ^\\+44 for UK callers',
      },
      { kind: 'checkbox', name: 'use_absolute_mode', label: 'Branch by the number itself (one branch per number)' },
      { kind: 'text', name: 'caller_id.external.name', label: 'On a match, present this name', advanced: true },
      { kind: 'text', name: 'caller_id.external.number', label: 'On a match, present this number', advanced: true },
      { kind: 'entity', name: 'user_id', label: 'On a match, the call belongs to', entity: 'users', advanced: true },
    ],
    caption: (d) => str(d.regex),
  },
  {
    id: 'language',
    module: 'language',
    label: 'Language',
    category: 'Advanced',
    icon: '⚐',
    help: 'Set the language of prompts and text to speech for the rest of the call.',
    fields: [
      {
        kind: 'text',
        name: 'language',
        label: 'Language',
        required: true,
        placeholder: 'en-US',
        pattern: /^[A-Za-z]{2}(-[A-Za-z]{2})?$/,
        patternMessage: 'A language code: en, fr-FR…',
      },
    ],
    caption: (d) => str(d.language),
  },
  {
    id: 'send_dtmf',
    module: 'send_dtmf',
    label: 'Send DTMF',
    category: 'Advanced',
    icon: '♯',
    help: 'Send touch tones to the other party (w waits half a second).',
    fields: [
      {
        kind: 'text',
        name: 'digits',
        label: 'Digits',
        required: true,
        pattern: /^[0-9A-Da-d*#wW]+$/,
        patternMessage: 'Digits 0-9, A-D, * and #; w for a pause',
      },
      { kind: 'number', name: 'duration_ms', label: 'Tone length (ms)', min: 1, placeholder: '2000', advanced: true },
    ],
    caption: (d) => str(d.digits),
  },
  {
    id: 'flush_dtmf',
    module: 'flush_dtmf',
    label: 'Flush DTMF',
    category: 'Advanced',
    icon: '⌫',
    help: 'Forget the digits typed so far (and a collection of Collect DTMF).',
    fields: [{ kind: 'text', name: 'collection_name', label: 'Collection', placeholder: 'all' }],
  },
  {
    id: 'offnet',
    module: 'offnet',
    label: 'Global carrier (offnet)',
    category: 'Advanced',
    icon: '⇢',
    help: 'Deprecated alias of Carrier (resources).',
    hidden: true,
    fields: [{ kind: 'json', name: '', label: 'Data (JSON)' }],
  },
];

/** The children each module takes (src/callflow/modules: which keys its `next(...)` can take). */
const CHILDREN: Record<string, ChildPolicy> = {
  hangup: 'none',
  response: 'none',
  menu: 'keyed',
  temporal_route: 'keyed',
  branch_variable: 'keyed',
  check_cid: 'keyed',
  user: 'keyed',
  device: 'keyed',
  ring_group: 'keyed',
  resources: 'keyed',
  offnet: 'keyed',
};

const KEYS: Record<string, KeyKind> = {
  menu: 'digits',
  temporal_route: 'temporal',
  branch_variable: 'value',
  check_cid: 'cid',
  user: 'failure',
  device: 'failure',
  ring_group: 'failure',
  resources: 'failure',
  offnet: 'failure',
};

export const policyOf = (module: string): ChildPolicy => CHILDREN[module] ?? 'one';
export const keyKindOf = (module: string): KeyKind | undefined => KEYS[module];

const BY_ID = new Map(ACTIONS.map((a) => [a.id, a]));
export const actionById = (id: string): ActionDef | undefined => BY_ID.get(id);

/** The catalog entry of a stored node: its module, the entry whose pinned data it has first. */
export function actionFor(module: string, data: Record<string, unknown>): ActionDef {
  const candidates = ACTIONS.filter((a) => a.module === module);
  const pinned = candidates.find((a) => a.fixed && Object.entries(a.fixed).every(([k, v]) => data[k] === v));
  const plain = candidates.find((a) => !a.fixed);
  return (
    pinned ??
    plain ?? {
      id: `unknown:${module}`,
      module,
      label: module,
      category: 'Advanced',
      icon: '?',
      help: 'A module this editor has no form for: its data is edited as JSON.',
      fields: [{ kind: 'json', name: '', label: 'Data (JSON)' }],
    }
  );
}

/** The catalog as shown: visible entries matching `query` (label, module or help), by category. */
export function searchCatalog(query: string): { category: 'Basic' | 'Advanced'; actions: ActionDef[] }[] {
  const q = query.trim().toLowerCase();
  const hit = (a: ActionDef) =>
    !q || a.label.toLowerCase().includes(q) || a.module.includes(q) || a.help.toLowerCase().includes(q);
  return (['Basic', 'Advanced'] as const)
    .map((category) => ({ category, actions: ACTIONS.filter((a) => !a.hidden && a.category === category && hit(a)) }))
    .filter((g) => g.actions.length > 0);
}

export interface KeyOption {
  value: string;
  label: string;
}

/** The branch keys a keyed parent offers, and what a typed key looks like. */
export function keyChoices(kind: KeyKind): {
  presets: KeyOption[];
  free?: { label: string; hint: string; pattern: RegExp };
} {
  switch (kind) {
    case 'digits':
      return {
        presets: [
          { value: '_', label: 'Default (after the last try)' },
          { value: 'timeout', label: 'No input' },
          { value: 'max_retries', label: 'Too many invalid tries' },
        ],
        free: { label: 'Digits pressed', hint: 'e.g. 1, 0, 42, * or #', pattern: /^[0-9*#]{1,16}$/ },
      };
    case 'temporal':
      return { presets: [{ value: '_', label: 'No rule matches (default)' }] };
    case 'value':
      return {
        presets: [{ value: '_', label: 'No branch for the value (default)' }],
        free: {
          label: 'Value',
          hint: 'The variable value that takes this branch (true/false for booleans).',
          pattern: /^\S.{0,127}$/,
        },
      };
    case 'cid':
      return {
        presets: [
          { value: 'match', label: 'Caller ID matches' },
          { value: 'nomatch', label: 'Caller ID does not match' },
          { value: '_', label: 'Default' },
        ],
        free: { label: 'Caller ID number', hint: 'With "branch by the number itself".', pattern: /^\+?[0-9]{2,20}$/ },
      };
    case 'failure':
      return {
        presets: [
          { value: '_', label: 'Not answered (any failure)' },
          { value: 'NO_ANSWER', label: 'No answer' },
          { value: 'USER_BUSY', label: 'Busy' },
          { value: 'CALL_REJECTED', label: 'Rejected' },
          { value: 'UNALLOCATED_NUMBER', label: 'Unallocated number' },
          { value: 'NO_ROUTE_DESTINATION', label: 'No route (no carrier)' },
        ],
        free: {
          label: 'Other SIP code or cause',
          hint: 'e.g. sip:486 or NORMAL_TEMPORARY_FAILURE',
          pattern: /^(sip:[3-6][0-9]{2}|[A-Z_]{3,40})$/,
        },
      };
  }
}

/** The text on the edge into a child: `next` under a one-child block, else what the key means. */
export function keyLabel(
  parentModule: string | undefined,
  key: string,
  name: (kind: EntityKind, id: string) => string | undefined,
): string {
  const kind = parentModule ? keyKindOf(parentModule) : undefined;
  if (!kind) return key === '_' ? 'next' : key;
  if (key === '_') return kind === 'failure' ? 'not answered' : 'default';
  if (kind === 'temporal') return name('temporal_rules', key) ?? key;
  if (kind === 'digits') {
    if (key === 'timeout') return 'no input';
    if (key === 'max_retries') return 'too many tries';
    return `press ${key}`;
  }
  const preset = keyChoices(kind).presets.find((p) => p.value === key);
  return preset ? preset.label.toLowerCase() : key;
}

// ---- data paths ----

export function getPath(data: Record<string, unknown>, path: string): unknown {
  let v: unknown = data;
  for (const part of path.split('.')) {
    v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
  }
  return v;
}

/** Sets (or with `undefined`, removes) a dotted path, creating objects on the way and dropping ones left empty. */
export function setPath(data: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop()!;
  const chain: Record<string, unknown>[] = [data];
  let obj = data;
  for (const part of parts) {
    const next = obj[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) {
      if (value === undefined) return;
      obj[part] = {};
    }
    obj = obj[part] as Record<string, unknown>;
    chain.push(obj);
  }
  if (value === undefined) delete obj[last];
  else obj[last] = value;
  // Remove objects the removal left empty, innermost first.
  for (let i = parts.length - 1; i >= 0 && value === undefined; i--) {
    if (Object.keys(chain[i + 1]).length === 0) delete chain[i][parts[i]];
  }
}
