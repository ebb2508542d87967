/**
 * The change-control policies that hold tasks for a second operator (or an approved change), each
 * with what it covers and its History. Read-only: admins make and remove policies over the API.
 */
import { ago } from '../ui/format';
import { ObjectHistory } from '../ui/object-history';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface TaskPolicy {
  id: string;
  name: string;
  host_ids: string[];
  groups: string[];
  tags: string[];
  template_plugin_items: boolean;
  require_change: string[];
  created_by: string;
  created_at: string;
}

export function TaskPolicies() {
  const policies = useResource<TaskPolicy[]>('/api/v1/task-policies');
  return (
    <section class="card">
      <h2>Change-control policies</h2>
      <Show r={policies} what="Policies" emptyText="No policy holds tasks for approval.">
        {(list) => (
          <ul class="list" data-testid="task-policies">
            {list.map((p) => (
              <li key={p.id} data-policy={p.name}>
                <b>{p.name}</b> <span class="muted small">· covers {coverage(p)}</span>
                {p.require_change.length ? <span class="muted small"> · approved change for {p.require_change.join(', ').replace(/_/g, ' ')}</span> : null}
                <span class="muted small">
                  {' '}
                  · {p.created_by} · {ago(p.created_at)}
                </span>
                <ObjectHistory type="task_policy" id={p.id} />
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}

/** "2 host(s), 1 group(s), tag db, template plugin items": what a policy holds. */
const coverage = (p: TaskPolicy) =>
  [
    p.host_ids.length ? `${p.host_ids.length} host(s)` : '',
    p.groups.length ? `${p.groups.length} group(s)` : '',
    p.tags.length ? `tag ${p.tags.join(', ')}` : '',
    p.template_plugin_items ? 'template plugin items' : '',
  ]
    .filter(Boolean)
    .join(', ') || 'no hosts';
