// A `Call`'s media source → a prepared prompt file: stored media documents of the call's account are looked up
// (uploaded files, or text spoken by TTS), everything else goes to the prompt cache as it is.

import type { PromptCache, PromptSource } from '../media/prompts/cache.js';
import type { Store } from '../store/types.js';
import type { PreparePrompt } from './sip-call.js';

export function promptPreparer(cache: PromptCache, store?: Store): PreparePrompt {
  return async (source, accountId) => {
    let prompt: PromptSource;
    if (source.kind === 'media') {
      const doc = store ? await store.media.get(accountId, source.id) : undefined;
      if (!doc) return { error: `media ${source.id} is not a media document of this account` };
      if (doc.path) prompt = { kind: 'file', path: doc.path };
      else if (doc.tts?.text) prompt = { kind: 'tts', ...doc.tts };
      else return { error: `media ${source.id} has no audio yet` };
    } else if (source.kind === 'tone') {
      if (typeof source.tone !== 'string') return { error: 'custom tone specifications are not supported yet' };
      prompt = { kind: 'tone', tone: source.tone };
    } else {
      prompt = source;
    }
    const prepared = await cache.prepare(prompt);
    return 'error' in prepared ? { error: prepared.error } : { path: prepared.path };
  };
}
