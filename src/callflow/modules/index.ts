// Every built-in callflow module, one file each. The editor's catalog and the validator read this list.

import { answer } from './answer.js';
import { play } from './play.js';
import { tts } from './tts.js';
import { collect_dtmf } from './collect_dtmf.js';
import { flush_dtmf } from './flush_dtmf.js';
import { menu } from './menu.js';
import { pivot } from './pivot.js';
import { hangup } from './hangup.js';
import { response } from './response.js';
import { sleep } from './sleep.js';
import { set_variables } from './set_variables.js';
import { set_variable } from './set_variable.js';
import { set_cid } from './set_cid.js';
import { prepend_cid } from './prepend_cid.js';
import { check_cid } from './check_cid.js';
import { branch_variable } from './branch_variable.js';
import { callflow } from './callflow.js';
import { language } from './language.js';
import { send_dtmf } from './send_dtmf.js';
import { record_call } from './record_call.js';
import { record_caller } from './record_caller.js';
import { temporal_route } from './temporal_route.js';
import { webhook } from './webhook.js';
import { device } from './device.js';
import { user } from './user.js';
import { ring_group } from './ring_group.js';
import { conference } from './conference.js';
import { resources } from './resources.js';
import { voicemail } from './voicemail.js';
import type { CallflowModule } from '../types.js';

/** `offnet` is Kazoo's deprecated alias of `resources`. */
const offnet: CallflowModule = { ...resources, name: 'offnet', description: 'Deprecated alias of resources.' };

export const MODULES: CallflowModule[] = [
  answer,
  play,
  tts,
  collect_dtmf,
  flush_dtmf,
  menu,
  pivot,
  hangup,
  response,
  sleep,
  set_variables,
  set_variable,
  set_cid,
  prepend_cid,
  check_cid,
  branch_variable,
  callflow,
  language,
  send_dtmf,
  record_call,
  record_caller,
  temporal_route,
  webhook,
  device,
  user,
  ring_group,
  conference,
  resources,
  voicemail,
  offnet,
];
