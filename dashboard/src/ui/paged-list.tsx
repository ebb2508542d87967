/**
 * A list the API pages (limit, cursor, meta.next_cursor): the first page, then one more page per
 * "Load more". A refresh (pollMs, reload after a change) walks again as many pages as are shown,
 * so rows that moved across a page boundary meanwhile are neither lost nor shown twice.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, type PageMeta } from '../api';
import { count } from './format';
import { ErrorNote } from './states';
import { type Resource, useLoadAndPoll } from './use-resource';

export interface PagedList<T> extends Resource<T[]> {
  /** There is a page after the ones shown. */
  more: boolean;
  loadMore(): void;
  loadingMore: boolean;
  /** Why the last "Load more" failed; the rows shown stay. */
  moreError: ApiError | undefined;
}

interface State<T> {
  path: string | null;
  rows?: T[];
  meta: PageMeta;
  next: string | null;
  error?: ApiError;
  loading: boolean;
  loadingMore: boolean;
  moreError?: ApiError;
}

const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, 'CLIENT', (err as Error).message, null));
const pageAt = (path: string, cursor: string | null) => (cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path);

export function usePagedList<T>(path: string | null, opts: { pollMs?: number } = {}): PagedList<T> {
  const [state, setState] = useState<State<T>>({ path, meta: {}, next: null, loading: true, loadingMore: false });
  const seq = useRef(0);
  /** Pages shown, so a refresh reads as many again. */
  const pages = useRef(1);

  const load = useCallback(async () => {
    if (!path) return;
    const mine = ++seq.current;
    try {
      const first = await call<T[]>('GET', path);
      const rows = [...first.data];
      let next = first.meta.next_cursor ?? null;
      for (let n = 1; n < pages.current && next; n++) {
        const page = await call<T[]>('GET', pageAt(path, next));
        rows.push(...page.data);
        next = page.meta.next_cursor ?? null;
      }
      if (mine === seq.current) setState({ path, rows, meta: first.meta, next, loading: false, loadingMore: false });
    } catch (err) {
      if (mine === seq.current) setState((s) => ({ ...s, path, error: asApiError(err), loading: false, loadingMore: false }));
    }
  }, [path]);

  const loadMore = useCallback(async () => {
    if (!path || !state.next || state.path !== path) return;
    const mine = ++seq.current;
    pages.current++;
    setState((s) => ({ ...s, loadingMore: true, moreError: undefined }));
    try {
      const page = await call<T[]>('GET', pageAt(path, state.next));
      if (mine === seq.current) setState((s) => ({ ...s, rows: [...(s.rows ?? []), ...page.data], next: page.meta.next_cursor ?? null, loadingMore: false }));
    } catch (err) {
      pages.current--;
      if (mine === seq.current) setState((s) => ({ ...s, loadingMore: false, moreError: asApiError(err) }));
    }
  }, [path, state.next, state.path]);

  useEffect(() => {
    pages.current = 1;
    setState((s) => (s.path === path ? s : { path, meta: {}, next: null, loading: true, loadingMore: false }));
  }, [path]);
  useLoadAndPoll(load, opts.pollMs);

  // Rows of another path (other filters) must not show under this one while it loads.
  const current = state.path === path;
  return {
    data: current ? state.rows : undefined,
    meta: current ? state.meta : {},
    error: current ? state.error : undefined,
    loading: !current || state.loading,
    reload: load,
    more: current && !!state.next,
    loadMore,
    loadingMore: current && state.loadingMore,
    moreError: current ? state.moreError : undefined,
  };
}

/** Under a paged list: how many rows are shown and the "Load more" button, while there is more. */
export function LoadMore({ list, what }: { list: PagedList<unknown>; what: string }) {
  if (!list.more && !list.moreError) return null;
  const total = typeof list.meta.total === 'number' ? ` of ${count(list.meta.total)}` : '';
  return (
    <div class="pager" data-testid="load-more">
      <span class="muted small">
        {count(list.data?.length ?? 0)}
        {total} {what} shown
      </span>
      {list.moreError ? <ErrorNote error={list.moreError} /> : null}
      {list.more ? (
        <button class="btn small" disabled={list.loadingMore} onClick={list.loadMore}>
          {list.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}
