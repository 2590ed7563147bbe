// The demo's Kazoo side: the callflow installed at extension 1000 and the demo number (a `pivot` node asking the
// TwiML IVR), and the Kazoo JSON the IVR answers for key 0 — a stored `menu` whose branches speak and hand the
// call back to the TwiML IVR with a `pivot` node.

import type { CallflowNode, NamedFields } from '../store/types.js';

export const DEMO_CALLFLOW_NAME = 'Demo IVR';
export const DEMO_MENU_NAME = 'Demo menu';
export const DEMO_EXTENSION = '1000';
export const DEMO_DEVICE_USERNAME = 'demo';
export const DEMO_DEVICE_NAME = 'Demo phone';

const APOLOGY = 'Sorry, the demo is not answering right now.';

/** A `pivot` node that asks the demo's TwiML IVR at `voiceUrl`, with a spoken apology when the app fails. */
export function demoPivotNode(voiceUrl: string): CallflowNode {
  return {
    module: 'pivot',
    data: { voice_url: voiceUrl, method: 'post', req_format: 'twiml', debug: true },
    children: { _: { module: 'tts', data: { text: APOLOGY } } },
  };
}

export const MENU_GREETING =
  'Kazoo menu. Press 1 to hear what a callflow is, 2 to hear your caller ID, or star to go back.';

/** The stored menu document the Kazoo part plays (one key, no extension hunting). */
export function demoMenuDoc(): NamedFields {
  return {
    name: DEMO_MENU_NAME,
    retries: 3,
    timeout: 8000,
    max_extension_length: 1,
    hunt: false,
    media: { greeting: `tts://${MENU_GREETING}` },
  };
}

const tts = (text: string, next: CallflowNode): CallflowNode => ({
  module: 'tts',
  data: { text },
  children: { _: next },
});

/** Digits spoken one by one ("4 1 5"); anything else as letters and digits only, kept short. */
function spokenCaller(from: string | undefined): string {
  const clean = (from ?? '')
    .replace(/^sip:/i, '')
    .replace(/@.*$/, '')
    .replace(/[^A-Za-z0-9+]/g, '')
    .slice(0, 20);
  if (!clean) return 'unknown';
  return /^\+?\d+$/.test(clean) ? [...clean.replace('+', '')].join(' ') : clean;
}

/**
 * Key 0: the Kazoo JSON answer. `menuId` undefined (the menu document was deleted) says so and goes back.
 * `publicUrl` makes the way back absolute (a callflow's voice_url must be).
 */
export function kazooMenuFlow(opts: { publicUrl: string; menuId?: string; from?: string }): CallflowNode {
  const back = demoPivotNode(`${opts.publicUrl}/demo/voice?back=1`);
  if (!opts.menuId) return tts('The demo menu document is missing.', back);
  return tts('This menu is a Kazoo callflow, sent as JSON.', {
    module: 'menu',
    data: { id: opts.menuId },
    children: {
      '1': tts('A callflow is a tree of modules. Each key you press picks a branch.', back),
      '2': tts(`Your caller ID is ${spokenCaller(opts.from)}.`, back),
      '*': back,
      max_retries: back,
    },
  });
}
