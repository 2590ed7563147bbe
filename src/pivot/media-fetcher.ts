// The prompt cache's fetcher: media URLs (Play, wait music, stored media URLs) go through the URL policy like every
// other URL Pivot fetches. HTTP errors come back as responses so the cache can tell 304/404 from a network error.

import type { PromptFetcher } from '../media/prompts/cache.js';
import { fetchUrl, type UrlPolicy } from './http/index.js';

export function policyFetcher(policy: UrlPolicy, timeoutMs = 15_000): PromptFetcher {
  return async (url, init) => {
    const x = await fetchUrl(url, { timeoutMs, headers: init?.headers, accept: 'audio/*, */*' }, { policy });
    if (x.response) return { status: x.response.status, headers: x.response.headers, body: x.response.body };
    return { error: x.error?.message ?? `no response from ${url}` };
  };
}
