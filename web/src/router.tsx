// A small History-API router: the app has a handful of flat pages, so a path, a `navigate` and `<Link>` are all it
// needs. The server answers every non-API path with index.html (src/api/web-app.ts), so deep links and reloads work.

import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

let guard: (() => Promise<boolean>) | undefined;

/**
 * A page with unsaved work asks before the user leaves it through the app (links, the phone opening Live Debug):
 * `guard` resolves true to leave. Returns the function that removes it.
 */
export function setNavigationGuard(g: () => Promise<boolean>): () => void {
  guard = g;
  return () => {
    if (guard === g) guard = undefined;
  };
}

/** A navigation the user asked for: a guard, when a page set one, may keep them where they are. */
export async function leaveTo(to: string): Promise<void> {
  if (guard && to !== window.location.pathname + window.location.search && !(await guard())) return;
  navigate(to);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** Matches `/callflows/:id` against a path: the params, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(e: MouseEvent<HTMLAnchorElement>) => {
        onClick?.(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        void leaveTo(to);
      }}
    />
  );
}
