// Every TwiML verb Pivot runs, one file each.

import type { TwimlVerb } from '../types.js';
import { say } from './say.js';
import { play } from './play.js';
import { pause } from './pause.js';
import { gather } from './gather.js';
import { record } from './record.js';
import { dial } from './dial.js';
import { redirect } from './redirect.js';
import { hangup } from './hangup.js';
import { reject } from './reject.js';
import { enqueue } from './enqueue.js';
import { leave } from './leave.js';
import { set } from './set.js';

export const VERBS: TwimlVerb<any>[] = [
  say,
  play,
  pause,
  gather,
  record,
  dial,
  redirect,
  hangup,
  reject,
  enqueue,
  leave,
  set,
];
