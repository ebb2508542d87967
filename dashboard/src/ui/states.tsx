/** What a page shows when it has nothing to show: loading, empty, an API error, a missing API. */
import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api';
import type { Resource } from './use-resource';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="state empty">{children}</div>;
}

export function ErrorNote({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="state error" role="alert">
      <strong>{error.message}</strong>
      <div class="muted small">
        {error.code}
        {error.status ? ` · HTTP ${error.status}` : ''}
        {error.requestId ? (
          <>
            {' '}
            · request id <code class="request-id">{error.requestId}</code>
          </>
        ) : null}
      </div>
      {retry ? (
        <button class="btn small" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function NotAvailable({ what, error }: { what: string; error: ApiError }) {
  return (
    <div class="state not-available" data-testid="not-available">
      <strong>{what} is not available on this server yet.</strong>
      <div class="muted small">
        The API answered {error.code} (request id <code class="request-id">{error.requestId}</code>). This page fills in once the server has that part.
      </div>
    </div>
  );
}

/**
 * Renders a resource's data, or the right state for it. `empty` decides when loaded data counts as
 * nothing (default: an empty array).
 */
export function Show<T>({
  r,
  what,
  empty,
  emptyText,
  children,
}: {
  r: Resource<T>;
  what: string;
  empty?: (d: T) => boolean;
  emptyText?: ComponentChildren;
  children: (d: T) => ComponentChildren;
}) {
  if (r.data === undefined) {
    if (r.error?.missingRoute) return <NotAvailable what={what} error={r.error} />;
    if (r.error) return <ErrorNote error={r.error} retry={r.reload} />;
    return <Loading what={`Loading ${what.toLowerCase()}`} />;
  }
  const isEmpty = empty ? empty(r.data) : Array.isArray(r.data) && r.data.length === 0;
  return (
    <>
      {r.error ? <ErrorNote error={r.error} retry={r.reload} /> : null}
      {isEmpty ? <Empty>{emptyText ?? `No ${what.toLowerCase()} yet.`}</Empty> : children(r.data)}
    </>
  );
}
