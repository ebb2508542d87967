/**
 * Tasks: pick hosts, run a shell command on them, watch each host's output arrive (polled every
 * second while the task runs), and the history below.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import type { Host } from './hosts';

interface Task {
  id: string;
  name: string;
  kind: string;
  state: string;
  action: { kind: string; command?: string; argv?: string[]; path?: string };
  requested_by: string;
  created_at: string;
  finished_at: string | null;
  hosts?: Record<string, number>;
}

interface HostResult {
  host_id: string;
  hostname: string;
  state: string;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  stdout_cut: boolean;
  stderr_cut: boolean;
  duration_ms: number | null;
  message: string | null;
}

const FINISHED = new Set(['done', 'stopped', 'cancelled', 'rejected']);
const summary = (t: Task) => t.action.command ?? t.action.argv?.join(' ') ?? t.action.path ?? t.name ?? t.kind;

export function TasksPage() {
  const loc = useLocation();
  const taskId = loc.query.get('task');
  return (
    <>
      <PageTitle>Tasks</PageTitle>
      <RunForm />
      {taskId ? <TaskOutput id={taskId} /> : null}
      <History />
    </>
  );
}

function RunForm() {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<Map<string, string>>(new Map());
  const [command, setCommand] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const hosts = useResource<Host[]>(`/api/v1/hosts${qs({ q, limit: 20 })}`);
  const toggle = (h: Host) => {
    const next = new Map(picked);
    if (next.has(h.id)) next.delete(h.id);
    else next.set(h.id, h.hostname);
    setPicked(next);
  };
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const a = await call<Task>('POST', '/api/v1/tasks', { action: { kind: 'shell', command }, targets: { host_ids: [...picked.keys()] }, timeout_s: 300 });
      navigate(`/tasks?task=${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card">
      <h2>Run a command</h2>
      <form onSubmit={run} data-testid="task-form">
        <div class="form-row">
          <input class="search" type="search" placeholder="Find hosts" aria-label="Find hosts" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          <span class="muted small">{picked.size} host(s) picked: {[...picked.values()].slice(0, 5).join(', ')}{picked.size > 5 ? '…' : ''}</span>
        </div>
        <Show r={hosts} what="Hosts" emptyText="No host matches.">
          {(list) => (
            <div class="pick-list">
              {list.map((h) => (
                <label class="inline pick">
                  <input type="checkbox" checked={picked.has(h.id)} onChange={() => toggle(h)} data-host={h.hostname} /> {h.hostname}
                  {h.online ? <span class="dot online" /> : null}
                </label>
              ))}
            </div>
          )}
        </Show>
        <div class="form-row">
          <input class="command" placeholder="Shell command, e.g. uptime" aria-label="Command" value={command} onInput={(e) => setCommand(e.currentTarget.value)} required />
          <button class="btn primary" disabled={busy || !picked.size}>
            Run on {picked.size} host(s)
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

function TaskOutput({ id }: { id: string }) {
  const task = useResource<Task>(`/api/v1/tasks/${id}`, { pollMs: 1000 });
  const done = task.data ? FINISHED.has(task.data.state) : false;
  const [pollMs, setPollMs] = useState(1000);
  useEffect(() => setPollMs(done ? 0 : 1000), [done]);
  const results = useResource<HostResult[]>(`/api/v1/tasks/${id}/hosts`, { pollMs: pollMs || undefined });
  // One last read once the task is over, so the final output is on screen.
  useEffect(() => {
    if (done) results.reload();
  }, [done]);
  return (
    <section class="card" data-testid="task-output">
      <Show r={task} what="Task" empty={() => false}>
        {(t) => (
          <>
            <h2>
              <code>{summary(t)}</code> <span class={`badge ${t.state === 'done' ? 'ok' : ''}`} data-testid="task-state">{t.state}</span>
            </h2>
            <p class="muted small">
              by {t.requested_by} · {ago(t.created_at)}
              {t.hosts ? ` · ${Object.entries(t.hosts).map(([k, v]) => `${v} ${k}`).join(', ')}` : ''}
            </p>
          </>
        )}
      </Show>
      <Show r={results} what="Host results" emptyText="No hosts in this task.">
        {(list) =>
          list.map((h) => (
            <div class="host-result" data-host={h.hostname}>
              <div>
                <b>{h.hostname}</b> <span class={`badge ${h.state === 'ok' ? 'ok' : h.state === 'failed' || h.state === 'timed_out' ? 'bad' : ''}`}>{h.state}</span>
                {h.exit_code !== null ? <span class="muted small"> exit {h.exit_code}</span> : null}
                {h.duration_ms !== null ? <span class="muted small"> · {h.duration_ms} ms</span> : null}
                {h.message ? <span class="muted small"> · {h.message}</span> : null}
              </div>
              {h.stdout ? <pre class="output" data-stream="stdout">{h.stdout}{h.stdout_cut ? '\n[… cut]' : ''}</pre> : null}
              {h.stderr ? <pre class="output stderr" data-stream="stderr">{h.stderr}{h.stderr_cut ? '\n[… cut]' : ''}</pre> : null}
            </div>
          ))
        }
      </Show>
    </section>
  );
}

function History() {
  const tasks = useResource<Task[]>('/api/v1/tasks?limit=30', { pollMs: 5000 });
  return (
    <section class="card">
      <h2>History</h2>
      <Show r={tasks} what="Tasks" emptyText="No tasks yet.">
        {(list) => (
          <ul class="list">
            {list.map((t) => (
              <li>
                <a href={`#/tasks?task=${t.id}`}>
                  <code>{summary(t)}</code>
                </a>{' '}
                <span class="badge">{t.state}</span> <span class="muted small">· {t.requested_by} · {ago(t.created_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}
