/**
 * Loads an API path and keeps it fresh: `pollMs` re-fetches while the tab is visible (online
 * state, problems), and a failed refresh keeps the last good data on screen with the error beside it.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, type PageMeta } from '../api';

export interface Resource<T> {
  data: T | undefined;
  meta: PageMeta;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

export function useResource<T>(path: string | null, opts: { pollMs?: number } = {}): Resource<T> {
  const [state, setState] = useState<{ data?: T; meta: PageMeta; error?: ApiError; loading: boolean; path: string | null }>({ meta: {}, loading: true, path });
  const seq = useRef(0);

  const load = useCallback(async () => {
    if (!path) return;
    const mine = ++seq.current;
    try {
      const a = await call<T>('GET', path);
      if (mine === seq.current) setState({ data: a.data, meta: a.meta, loading: false, path });
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message, null);
      if (mine === seq.current) setState((s) => ({ ...s, error: e, loading: false, path }));
    }
  }, [path]);

  useEffect(() => {
    setState((s) => (s.path === path ? s : { meta: {}, loading: true, path }));
  }, [path]);
  useLoadAndPoll(load, opts.pollMs);

  // Data of another path must not show under this one while it loads.
  const current = state.path === path;
  return {
    data: current ? state.data : undefined,
    meta: current ? state.meta : {},
    error: current ? state.error : undefined,
    loading: !current || state.loading,
    reload: load,
  };
}

/** Calls `load` now (and whenever it changes), then every `pollMs` while the tab is visible. */
export function useLoadAndPoll(load: () => void, pollMs?: number): void {
  useEffect(() => {
    load();
    if (!pollMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') load();
    }, pollMs);
    return () => clearInterval(timer);
  }, [load, pollMs]);
}
