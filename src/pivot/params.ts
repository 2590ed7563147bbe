// The parameters of every Pivot request (spec §3.3): a format-specific base set (Kazoo or TwiML, the latter
// with Twilio's standard parameters), plus the parameters of the action that triggered the request (Digits of a
// Gather, Recording* of a Record, DialCall* of a Dial…), plus the session's <Set> user variables.
// Precedence: action parameters > base > user variables, so an app can't overwrite CallSid with a <Set>.

import type { Call } from '../call/types.js';
import { statusFromCause } from '../call/types.js';

export type RequestFormat = 'kazoo' | 'twiml';

/** Twilio's CallStatus for the call as it stands. */
export function callStatus(call: Call): string {
  switch (call.state) {
    case 'ringing':
    case 'early':
      return 'ringing';
    case 'answered':
    case 'bridged':
      return 'in-progress';
    case 'ended':
      // A caller who hangs up before the answer (a SIP CANCEL) canceled the call.
      return call.answeredAt === undefined &&
        (call.hangupCause === 'NORMAL_CLEARING' || call.hangupCause === 'ORIGINATOR_CANCEL')
        ? 'canceled'
        : statusFromCause(call.hangupCause);
  }
}

function objectOf(map: ReadonlyMap<string, string>): Record<string, string> | undefined {
  return map.size ? Object.fromEntries(map) : undefined;
}

function kazooParams(call: Call): Record<string, unknown> {
  const owners = (call.vars.get('owner_id') ?? '').split(',').filter(Boolean);
  return {
    'Account-ID': call.accountId,
    'Api-Version': '4.x',
    'Call-ID': call.id,
    'Call-Status': callStatus(call),
    CallStatus: callStatus(call),
    'Caller-ID-Name': call.callerId.name,
    'Caller-ID-Number': call.callerId.number,
    'Custom-Application-Vars': objectOf(call.appVars),
    'Custom-SIP-Headers': Object.keys(call.sipHeaders).length ? call.sipHeaders : undefined,
    Digits: objectOf(call.dtmfCollections),
    Direction: call.direction,
    From: call.from.user,
    'From-Realm': call.from.realm,
    Language: call.language,
    Request: call.request.user,
    'Request-Realm': call.request.realm,
    To: call.to.user,
    'To-Realm': call.to.realm,
    'User-ID': owners.length > 1 ? owners : owners[0],
  };
}

function twimlParams(call: Call): Record<string, unknown> {
  return {
    CallSid: call.id,
    AccountSid: call.accountId,
    From: call.from.user,
    FromRealm: call.from.realm,
    To: call.to.user,
    ToRealm: call.to.realm,
    Caller: call.from.user,
    Called: call.to.user,
    CallStatus: callStatus(call),
    ApiVersion: '2010-04-01',
    Direction: call.direction,
    CallerName: call.callerId.name,
    CallerNumber: call.callerId.number,
    ForwardedFrom: call.vars.get('forwarded_from'),
    ParentCallSid: call.vars.get('parent_call_id'),
    // A Kazoo collect_dtmf before the pivot node: TwiML apps expect a plain Digits string.
    Digits: call.dtmfCollections.get('default'),
  };
}

export function requestParams(
  format: RequestFormat,
  call: Call,
  action: Record<string, unknown> = {},
  userVars: ReadonlyMap<string, string> = new Map(),
): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(userVars);
  const base = format === 'kazoo' ? kazooParams(call) : twimlParams(call);
  for (const layer of [base, action]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined && v !== null) params[k] = v;
  }
  return params;
}
