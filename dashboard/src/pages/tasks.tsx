/** Tasks: pick hosts, run a command, watch each host's output live; the history below. */
import { qs } from '../api';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

export function TasksPage() {
  const tasks = useResource<{ id: string; command?: string; state?: string; created_at: string }[]>(`/api/v1/tasks${qs({ limit: 50 })}`, { pollMs: 5000 });
  return (
    <>
      <PageTitle>Tasks</PageTitle>
      <Show r={tasks} what="Tasks" emptyText="No tasks yet.">
        {(list) => (
          <ul class="list">
            {list.map((t) => (
              <li>
                <code>{t.command ?? t.id}</code> <span class="muted small">· {t.state} · {ago(t.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </>
  );
}
