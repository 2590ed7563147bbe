// Data loading for pages: every request has a loading state, an error state and a way to try again.

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './client';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again (keeps the current data on screen meanwhile). */
  reload(): void;
  /** Replaces the data locally (after a save) without a request. */
  setData(update: T | ((old: T | undefined) => T)): void;
}

/** Runs `load` when `deps` change; aborts the previous run. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loader = useRef(load);
  loader.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(undefined);
    loader
      .current(ctl.signal)
      .then((d) => {
        if (!ctl.signal.aborted) setData(d);
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted || (err as Error).name === 'AbortError') return;
        setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message || String(err)));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);

  const reload = useCallback(() => setRound((r) => r + 1), []);
  const set = useCallback((u: T | ((old: T | undefined) => T)) => {
    setData((old) => (typeof u === 'function' ? (u as (o: T | undefined) => T)(old) : u));
  }, []);
  return { data, error, loading, reload, setData: set };
}

/** An action (save, delete) with its busy flag and last error. */
export function useAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
): { run: (...args: A) => Promise<R | undefined>; busy: boolean; error: ApiError | undefined; reset(): void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const fn = useRef(action);
  fn.current = action;
  const run = useCallback(async (...args: A) => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn.current(...args);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, (err as Error).message || String(err)));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, reset: () => setError(undefined) };
}
