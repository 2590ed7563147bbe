import type { MediaSource } from './types.js';

/**
 * Turn a Kazoo media reference into a `MediaSource`: an http(s) URL, `tts://text` (spoken), a `tone_stream://`
 * beep, or a stored media document id. Returns `{ say }` for TTS references.
 */
export function mediaReference(ref: string): MediaSource | { say: string } {
  const value = ref.trim();
  if (/^https?:\/\//i.test(value)) return { kind: 'url', url: value };
  if (value.startsWith('tts://')) return { say: value.slice('tts://'.length) };
  if (value.startsWith('tone_stream://')) return { kind: 'tone', tone: 'beep' };
  // Kazoo media paths look like /<account id>/<media id>; the last segment is the media document id.
  const id = value.split('/').filter(Boolean).pop() ?? value;
  return { kind: 'media', id };
}
