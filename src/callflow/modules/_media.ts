// Media helpers shared by menu, response and temporal_route: play a Kazoo media reference (media id, URL or
// `tts://text`) and speak the short built-in prompts that stand in for Kazoo's system prompts.

import { mediaReference } from '../../call/media-source.js';
import type { Call, PlayOptions, PlayResult } from '../../call/types.js';

export function playMedia(call: Call, ref: string, opts: PlayOptions = {}): Promise<PlayResult> {
  const media = mediaReference(ref);
  return 'say' in media ? call.say(media.say, { language: call.language, ...opts }) : call.play(media, opts);
}

export function sayPrompt(call: Call, text: string, opts: PlayOptions = {}): Promise<PlayResult> {
  return call.say(text, { language: call.language, ...opts });
}
