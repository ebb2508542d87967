/**
 * An object's change history (GET /api/v1/object-changes/<type>?object_id=), newest first: what
 * changed from what to what, who changed it and when. Read when opened, again when `version` moves.
 */
import { useState } from 'preact/hooks';
import { ago, when } from './format';
import { LoadMore, usePagedList } from './paged-list';
import { Show } from './states';

export interface ObjectChangeView {
  id: number;
  object_type: string;
  object_id: string;
  action: 'create' | 'update' | 'delete';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  actor_kind: string;
  actor_id: string;
  request_id: string | null;
  at: string;
}

const brief = (v: unknown) => {
  const text = v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/** The fields an update changed, each with its old and new value. */
export function changedFields(c: Pick<ObjectChangeView, 'before' | 'after'>): { field: string; from: unknown; to: unknown }[] {
  const before = c.before ?? {};
  const after = c.after ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f])).map((f) => ({ field: f, from: before[f], to: after[f] }));
}

export function ObjectHistory({ type, id, version }: { type: string; id: string; version?: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="editor" data-testid="object-history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>History</summary>
      {open ? <HistoryList key={version} type={type} id={id} /> : null}
    </details>
  );
}

function HistoryList({ type, id }: { type: string; id: string }) {
  const changes = usePagedList<ObjectChangeView>(`/api/v1/object-changes/${type}?object_id=${encodeURIComponent(id)}&order=desc&limit=50`);
  return (
    <Show r={changes} what="History" emptyText="No changes recorded.">
      {(list) => (
        <>
          <ul class="list timeline">
            {list.map((c) => (
              <li key={c.id} data-action={c.action}>
                <span class="muted small" title={when(c.at)}>
                  {ago(c.at)}
                </span>{' '}
                <span class="badge">{c.action}</span>{' '}
                {c.action === 'update'
                  ? changedFields(c).map((f, i) => (
                      <span class="change-field">
                        {i ? ' · ' : null}
                        <b>{f.field}</b> {brief(f.from)} → {brief(f.to)}
                      </span>
                    ))
                  : null}
                <span class="muted small" title={c.request_id ? `request ${c.request_id}` : undefined}>
                  {' '}
                  · {c.actor_kind.replace('_', ' ')}
                </span>
              </li>
            ))}
          </ul>
          <LoadMore list={changes} what="changes" />
        </>
      )}
    </Show>
  );
}
