/**
 * Tasks: pick hosts, then run a shell command on them or push a file to them (uploaded first, then
 * the task names its sha256); watch each host's output arrive live (task-live.ts), the history
 * below, and the change-control policies that hold tasks (task-policies.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, RawBody, call, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ago, bytes } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { Empty, ErrorNote, Loading, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { HostPickList } from './host-pick-list';
import { useHostPicker } from './host-picker';
import { HOST_FINISHED, TASK_FINISHED, useTaskLive } from './task-live';
import { TaskPolicies } from './task-policies';

export interface Task {
  id: string;
  name: string;
  kind: string;
  state: string;
  outcome: string;
  host_counts: Record<string, number>;
  action: { kind: string; command?: string; argv?: string[]; path?: string };
  requested_by: string;
  created_at: string;
  finished_at: string | null;
}

interface StoredFile {
  sha256: string;
  size: number;
  name: string;
}

const OUTCOME_CLASS: Record<string, string> = { ok: 'ok', partly_failed: 'warn', failed: 'bad', timed_out: 'bad', pending: 'pending', running: 'pending' };

/** What the task came to, coloured; its hover lists the hosts per state. */
/** "2 failed, 1 ok": how many hosts ended in each state. */
export const hostCounts = (t: Task) =>
  Object.entries(t.host_counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');

export function OutcomeBadge({ t }: { t: Task }) {
  const counts = hostCounts(t);
  return (
    <span class={`badge ${OUTCOME_CLASS[t.outcome] ?? ''}`} data-testid="task-outcome" data-outcome={t.outcome} title={counts}>
      {t.outcome.replace('_', ' ')}
    </span>
  );
}

const summary = (t: Task) => t.action.command ?? t.action.argv?.join(' ') ?? (t.action.path ? `push to ${t.action.path}` : (t.name ?? t.kind));

export function TasksPage() {
  const loc = useLocation();
  const taskId = loc.query.get('task');
  // The history shows the open task's state as soon as the task's own view hears it.
  const [openState, setOpenState] = useState<string>();
  return (
    <>
      <PageTitle>Tasks</PageTitle>
      <StartForm />
      {taskId ? <TaskOutput id={taskId} onState={setOpenState} /> : null}
      <History openState={openState} />
      <TaskPolicies />
    </>
  );
}

type Doing = 'command' | 'file';

/** Pick hosts, then either a command or a file push for them. */
function StartForm() {
  const [doing, setDoing] = useState<Doing>('command');
  const picker = useHostPicker();
  const { picked } = picker;
  const [command, setCommand] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState('');
  const [mode, setMode] = useState('0644');
  const [owner, setOwner] = useState('');
  const [group, setGroup] = useState('');
  const [batch, setBatch] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState('');
  const start = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      let action: Record<string, unknown> = { kind: 'shell', command };
      if (doing === 'file') {
        if (!file) return;
        setBusy('Uploading');
        // Streamed to the server's disk and stored by its sha256, which the task names.
        const up = await call<{ file: StoredFile }>('POST', `/api/v1/files${qs({ name: file.name })}`, new RawBody(file, 'application/octet-stream'));
        action = { kind: 'file', sha256: up.data.file.sha256, path, mode: parseInt(mode, 8), ...(owner ? { owner } : {}), ...(group ? { group } : {}) };
      }
      setBusy('Starting');
      const batchSize = batch.endsWith('%') ? batch : batch ? Number(batch) : undefined;
      const a = await call<Task>('POST', '/api/v1/tasks', {
        action,
        targets: { host_ids: [...picked.keys()] },
        timeout_s: 300,
        ...(batchSize ? { batch_size: batchSize } : {}),
      });
      navigate(`/tasks?task=${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy('');
    }
  };
  const verb = doing === 'command' ? 'Run on' : 'Push to';
  return (
    <section class="card">
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={doing === 'command'}
          class={doing === 'command' ? 'active' : ''}
          onClick={() => setDoing('command')}
          data-testid="tab-command"
        >
          Run a command
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={doing === 'file'}
          class={doing === 'file' ? 'active' : ''}
          onClick={() => setDoing('file')}
          data-testid="tab-push-file"
        >
          Push a file
        </button>
      </div>
      <form onSubmit={start} data-testid="task-form" data-doing={doing}>
        <HostPickList
          picker={picker}
          summary={(names) => `${names.length} host(s) picked: ${names.slice(0, 5).join(', ')}${names.length > 5 ? '…' : ''}`}
          online
        />
        {doing === 'command' ? (
          <div class="form-row">
            <input
              class="command"
              placeholder="Shell command, e.g. uptime"
              aria-label="Command"
              value={command}
              onInput={(e) => setCommand(e.currentTarget.value)}
              required
            />
          </div>
        ) : (
          <div class="push-fields" data-testid="push-fields">
            <label class="wide">
              File
              <input type="file" aria-label="File" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} required />
              {file ? (
                <span class="small">
                  {file.name} · {bytes(file.size)}
                </span>
              ) : null}
            </label>
            <label class="wide">
              Target path on each host
              <input
                name="path"
                placeholder="/etc/app/app.conf"
                value={path}
                onInput={(e) => setPath(e.currentTarget.value)}
                pattern="/.*"
                title="an absolute path"
                required
              />
            </label>
            <label>
              Mode
              <input name="mode" value={mode} onInput={(e) => setMode(e.currentTarget.value)} pattern="[0-7]{3,4}" title="octal, e.g. 0644" required />
            </label>
            <label>
              Owner
              <input name="owner" placeholder="unchanged" value={owner} onInput={(e) => setOwner(e.currentTarget.value)} />
            </label>
            <label>
              Group
              <input name="group" placeholder="unchanged" value={group} onInput={(e) => setGroup(e.currentTarget.value)} />
            </label>
            <p class="muted small wide">
              The file is uploaded to the server first; each agent downloads it, checks its sha256 and only then replaces the target (a wrong hash leaves the
              old file as it was).
            </p>
          </div>
        )}
        <div class="form-row">
          <label class="inline small">
            Hosts at a time
            <input
              name="batch"
              class="narrow"
              placeholder="all"
              value={batch}
              onInput={(e) => setBatch(e.currentTarget.value)}
              pattern="[1-9][0-9]*%?"
              title="a number of hosts or a percentage, e.g. 10%"
            />
          </label>
          <button class="btn primary" disabled={!!busy || !picked.size}>
            {busy ? `${busy}…` : `${verb} ${picked.size} host(s)`}
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

function TaskOutput({ id, onState }: { id: string; onState: (state: string | undefined) => void }) {
  const task = useResource<Task>(`/api/v1/tasks/${id}`);
  const live = useTaskLive(id);
  useEffect(() => onState(live.state), [live.state]);
  // The counts in the header are re-read when the task's state changes or a host finishes.
  const finished = live.hosts?.filter((h) => HOST_FINISHED.has(h.state)).length ?? 0;
  useEffect(() => {
    if (live.state) task.reload();
  }, [live.state, finished]);
  return (
    <section class="card" data-testid="task-output" data-live={live.via}>
      <Show r={task} what="Task" empty={() => false}>
        {(t) => (
          <>
            <h2>
              <code>{summary(t)}</code>{' '}
              <span class={`badge ${(live.state ?? t.state) === 'done' ? 'ok' : ''}`} data-testid="task-state">
                {live.state ?? t.state}
              </span>{' '}
              <OutcomeBadge t={t} />
            </h2>
            <p class="muted small">
              by {t.requested_by} · {ago(t.created_at)}
              {` · ${hostCounts(t)}`}
              {live.via === 'stream' && !TASK_FINISHED.has(live.state ?? t.state) ? ' · live' : ''}
            </p>
          </>
        )}
      </Show>
      {live.streamFailure ? (
        <p class="muted small" data-testid="live-fallback">
          Live output is not available ({live.streamFailure}); refreshing every second instead.
        </p>
      ) : null}
      {live.error ? <ErrorNote error={live.error} /> : null}
      {!live.hosts ? (
        <Loading what="Loading host results" />
      ) : !live.hosts.length ? (
        <Empty>No hosts in this task.</Empty>
      ) : (
        live.hosts.map((h) => (
          <div class="host-result" data-host={h.hostname} data-state={h.state}>
            <div>
              <b>{h.hostname}</b>{' '}
              <span class={`badge ${h.state === 'ok' ? 'ok' : h.state === 'failed' || h.state === 'timed_out' || h.state === 'refused' ? 'bad' : ''}`}>
                {h.state}
              </span>
              {h.exit_code !== null ? <span class="muted small"> exit {h.exit_code}</span> : null}
              {h.duration_ms !== null ? <span class="muted small"> · {h.duration_ms} ms</span> : null}
              {h.message ? (
                <span class="muted small" data-testid="host-message">
                  {' '}
                  · {h.message}
                </span>
              ) : null}
            </div>
            {h.stdout ? (
              <pre class="output" data-stream="stdout">
                {h.stdout}
                {h.stdout_cut ? '\n[… cut]' : ''}
              </pre>
            ) : null}
            {h.stderr ? (
              <pre class="output stderr" data-stream="stderr">
                {h.stderr}
                {h.stderr_cut ? '\n[… cut]' : ''}
              </pre>
            ) : null}
          </div>
        ))
      )}
    </section>
  );
}

function History({ openState }: { openState: string | undefined }) {
  const tasks = usePagedList<Task>('/api/v1/tasks?limit=30', { pollMs: 5000 });
  useEffect(() => {
    if (openState) tasks.reload();
  }, [openState]);
  return (
    <section class="card">
      <h2>History</h2>
      <Show r={tasks} what="Tasks" emptyText="No tasks yet.">
        {(list) => (
          <>
            <ul class="list">
              {list.map((t) => (
                <li>
                  <a href={`#/tasks?task=${t.id}`}>
                    <code>{summary(t)}</code>
                  </a>{' '}
                  <OutcomeBadge t={t} />{' '}
                  <span class="muted small" data-testid="task-counts">
                    · {hostCounts(t) || t.state} · {t.requested_by} · {ago(t.created_at)}
                  </span>
                </li>
              ))}
            </ul>
            <LoadMore list={tasks} what="tasks" />
          </>
        )}
      </Show>
    </section>
  );
}
