// WAV output of a TTS engine (file or stdout) to mono samples at the engine's rate.

import { AudioError, downmix, parseWav } from '../prompts/audio.js';
import type { TtsAudio } from './types.js';

export function ttsAudioFromWav(engine: string, bytes: Uint8Array): TtsAudio {
  let pcm;
  try {
    pcm = parseWav(bytes);
  } catch (err) {
    throw new Error(`${engine}: unreadable output (${(err as AudioError).message})`);
  }
  if ('mp3' in pcm) throw new Error(`${engine}: unexpected MP3 output`);
  const samples = pcm.channels === 1 ? pcm.samples : downmix(pcm.samples, pcm.channels);
  if (samples.length === 0) throw new Error(`${engine}: no audio produced`);
  return { samples, rate: pcm.rate };
}
