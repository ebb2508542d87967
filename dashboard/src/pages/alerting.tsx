/**
 * Who hears about problems and when nobody should: notification channels (add, switch on and off,
 * send a test), maintenance windows (add, end), each with its history, and moving incidents along
 * their life with a comment (acknowledge, resolve, close, reopen). Inputs carry the API's limits; a refusal shows the
 * API's message and request id.
 */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { ago, when } from '../ui/format';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { onSubmit, useSubmit } from '../ui/use-submit';
import type { Host } from './hosts';
import { SEVERITIES } from './monitoring';
import { ObjectHistory } from '../ui/object-history';

interface Channel {
  id: string;
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  min_severity: string;
  enabled: boolean;
  created_at: string;
  version: number;
}

export function Channels() {
  const list = usePagedList<Channel>('/api/v1/notification-channels?limit=50');
  return (
    <>
      <NewChannel onCreated={list.reload} />
      <section class="card">
        <Show r={list} what="Notification channels" emptyText="No notification channels yet: add a webhook or an email channel above.">
          {(rows) => (
            <>
              <ul class="list" data-testid="channels-list">
                {rows.map((c) => (
                  <ChannelRow key={c.id} c={c} onChange={list.reload} />
                ))}
              </ul>
              <LoadMore list={list} what="channels" />
            </>
          )}
        </Show>
      </section>
    </>
  );
}

function NewChannel({ onCreated }: { onCreated(): void }) {
  const blank = { name: '', kind: 'webhook', url: '', smtp_host: '', smtp_port: '587', from: '', to: '', username: '', secret: '', min_severity: 'warning' };
  const [d, setD] = useState(blank);
  const set = (k: keyof typeof blank) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const s = useSubmit<{ secret: string | null; name: string }>();
  const webhook = d.kind === 'webhook';
  const create = () =>
    s.run(async () => {
      const settings = webhook
        ? { url: d.url }
        : {
            smtp_host: d.smtp_host,
            smtp_port: Number(d.smtp_port),
            from: d.from,
            to: d.to.split(/[\s,]+/).filter(Boolean),
            ...(d.username ? { username: d.username } : {}),
          };
      const body = { name: d.name, kind: d.kind, settings, min_severity: d.min_severity, ...(d.secret ? { secret: d.secret } : {}) };
      const a = await call<{ secret: string | null }>('POST', '/api/v1/notification-channels', body);
      setD(blank);
      onCreated();
      return { secret: a.data.secret, name: body.name };
    });
  return (
    <section class="card">
      <h2>Add a channel</h2>
      <form class="form-grid" data-testid="channel-create" onSubmit={onSubmit(create)}>
        <label>
          name
          <input name="name" required maxLength={100} value={d.name} onInput={set('name')} />
        </label>
        <label>
          kind
          <select name="kind" value={d.kind} onChange={set('kind')}>
            <option value="webhook">webhook</option>
            <option value="email">email</option>
          </select>
        </label>
        <label>
          from severity
          <select name="min_severity" value={d.min_severity} onChange={set('min_severity')}>
            {SEVERITIES.map((x) => (
              <option value={x}>{x}</option>
            ))}
          </select>
        </label>
        {webhook ? (
          <label class="wide">
            URL
            <input
              name="url"
              type="url"
              required
              pattern="https?://.+"
              maxLength={2000}
              placeholder="https://hooks.example.com/autowatch"
              value={d.url}
              onInput={set('url')}
            />
          </label>
        ) : (
          <>
            <label>
              SMTP host
              <input name="smtp_host" required maxLength={255} value={d.smtp_host} onInput={set('smtp_host')} />
            </label>
            <label>
              port
              <input name="smtp_port" type="number" min={1} max={65535} required value={d.smtp_port} onInput={set('smtp_port')} />
            </label>
            <label>
              from
              <input name="from" required minLength={3} maxLength={255} value={d.from} onInput={set('from')} />
            </label>
            <label>
              to (comma separated)
              <input name="to" required minLength={3} value={d.to} onInput={set('to')} />
            </label>
            <label>
              SMTP user
              <input name="username" maxLength={255} value={d.username} onInput={set('username')} />
            </label>
          </>
        )}
        <label>
          {webhook ? 'signing secret (made for you when empty)' : 'SMTP password'}
          <input name="secret" type="password" minLength={16} maxLength={200} autocomplete="new-password" value={d.secret} onInput={set('secret')} />
        </label>
        <div class="form-row">
          <button class="btn primary" disabled={s.busy}>
            Add channel
          </button>
        </div>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {s.result ? (
        <div class="secret" data-testid="channel-created">
          <p class="small">
            Added channel <b>{s.result.name}</b>.{s.result.secret ? ' Its signing secret, shown once:' : ''}
          </p>
          {s.result.secret ? (
            <pre>
              <code>{s.result.secret}</code>
            </pre>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function ChannelRow({ c, onChange }: { c: Channel; onChange(): void }) {
  const s = useSubmit<string>();
  const toggle = () =>
    s.run(async () => {
      await call('PATCH', `/api/v1/notification-channels/${c.id}`, { enabled: !c.enabled }, { 'if-match': `"${c.version}"` });
      onChange();
      return '';
    });
  const test = () =>
    s.run(async () => {
      const a = await call<{ delivery_id: number }>('POST', `/api/v1/notification-channels/${c.id}/test`);
      return `Test queued (delivery ${a.data.delivery_id}); see Deliveries for the outcome.`;
    });
  const remove = () => {
    if (!confirm(`Remove channel "${c.name}" and its delivery log?`)) return;
    s.run(async () => {
      await call('DELETE', `/api/v1/notification-channels/${c.id}`);
      onChange();
      return '';
    });
  };
  const target =
    c.kind === 'webhook' ? String(c.settings.url ?? '') : `${(c.settings.to as string[] | undefined)?.join(', ') ?? ''} via ${c.settings.smtp_host ?? ''}`;
  return (
    <li data-channel={c.name}>
      <b>{c.name}</b> <span class="badge">{c.kind}</span> {c.enabled ? null : <span class="badge">disabled</span>}
      <span class="muted small">
        {' '}
        · <span class={`sev sev-${c.min_severity}`}>{c.min_severity}</span> and above · {target} · added {ago(c.created_at)}
      </span>
      <div class="form-row" style="margin-top:6px">
        <button class="btn small" disabled={s.busy} onClick={test}>
          Send test
        </button>
        <button class="btn small" disabled={s.busy} onClick={toggle}>
          {c.enabled ? 'Disable' : 'Enable'}
        </button>
        <button class="btn small danger" disabled={s.busy} onClick={remove}>
          Remove
        </button>
      </div>
      {s.result ? (
        <p class="ok-text small" data-testid="channel-tested">
          {s.result}
        </p>
      ) : null}
      {s.error ? <ErrorNote error={s.error} /> : null}
      <ObjectHistory type="notification_channel" id={c.id} version={c.version} />
    </li>
  );
}

interface MaintenanceWindow {
  id: string;
  name: string;
  host_id: string | null;
  host_group_id: string | null;
  starts_at: string;
  ends_at: string;
}

/** A datetime-local value (the browser's local time) as ISO 8601 in UTC. */
const isoOf = (local: string) => new Date(local).toISOString();
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

export function MaintenanceWindows() {
  const list = usePagedList<MaintenanceWindow>('/api/v1/maintenance-windows?limit=50');
  const groups = useResource<{ id: string; name: string }[]>('/api/v1/host-groups?limit=200');
  const groupName = new Map((groups.data ?? []).map((g) => [g.id, g.name]));
  const s = useSubmit();
  const end = (w: MaintenanceWindow) =>
    s.run(async () => {
      await call('DELETE', `/api/v1/maintenance-windows/${w.id}`);
      list.reload();
    });
  return (
    <>
      <NewWindow groups={groups.data ?? []} onCreated={list.reload} />
      <section class="card">
        {s.error ? <ErrorNote error={s.error} /> : null}
        <Show r={list} what="Maintenance windows" emptyText="No maintenance windows.">
          {(rows) => (
            <>
              <ul class="list" data-testid="maintenance-list">
                {rows.map((w) => (
                  <li key={w.id} data-window={w.name}>
                    <b>{w.name}</b>{' '}
                    <span class="muted small">
                      · {when(w.starts_at)} – {when(w.ends_at)} ·{' '}
                    </span>
                    {w.host_id ? (
                      <a href={`#/hosts/${w.host_id}`}>host</a>
                    ) : (
                      <a href={`#/hosts?group=${w.host_group_id}`}>group {groupName.get(w.host_group_id ?? '') ?? ''}</a>
                    )}{' '}
                    <button class="btn ghost small" disabled={s.busy} onClick={() => end(w)}>
                      End and remove
                    </button>
                    <ObjectHistory type="maintenance_window" id={w.id} />
                  </li>
                ))}
              </ul>
              <LoadMore list={list} what="windows" />
            </>
          )}
        </Show>
      </section>
    </>
  );
}

function NewWindow({ groups, onCreated }: { groups: { id: string; name: string }[]; onCreated(): void }) {
  const now = Date.now();
  const blank = { name: '', target: 'host', host: '', host_id: '', host_group_id: '', starts: localInput(now), ends: localInput(now + 3_600_000) };
  const [d, setD] = useState(blank);
  const set = (k: keyof typeof blank) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const hosts = useResource<Host[]>(d.target === 'host' && d.host.trim() ? `/api/v1/hosts?limit=20&q=${encodeURIComponent(d.host.trim())}` : null);
  const s = useSubmit();
  const create = () =>
    s.run(async () => {
      const chosen = d.target === 'host' ? { host_id: hosts.data?.find((h) => h.hostname === d.host.trim())?.id ?? '' } : { host_group_id: d.host_group_id };
      if (d.target === 'host' && !chosen.host_id) throw new Error(`no host is named "${d.host}"`);
      await call('POST', '/api/v1/maintenance-windows', { name: d.name, ...chosen, starts_at: isoOf(d.starts), ends_at: isoOf(d.ends) });
      setD(blank);
      onCreated();
    });
  return (
    <section class="card">
      <h2>Add a maintenance window</h2>
      <p class="muted small">Problems in the window are recorded; nobody is notified.</p>
      <form class="form-grid" data-testid="maintenance-create" onSubmit={onSubmit(create)}>
        <label>
          name
          <input name="name" required maxLength={200} value={d.name} onInput={set('name')} />
        </label>
        <label>
          for
          <select name="target" value={d.target} onChange={set('target')}>
            <option value="host">a host</option>
            <option value="group">a host group</option>
          </select>
        </label>
        {d.target === 'host' ? (
          <label>
            hostname
            <input name="host" required list="mw-hosts" value={d.host} onInput={set('host')} />
            <datalist id="mw-hosts">
              {(hosts.data ?? []).map((h) => (
                <option value={h.hostname} />
              ))}
            </datalist>
          </label>
        ) : (
          <label>
            group
            <select name="host_group_id" required value={d.host_group_id} onChange={set('host_group_id')}>
              <option value="">pick a group</option>
              {groups.map((g) => (
                <option value={g.id}>{g.name}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          starts
          <input name="starts_at" type="datetime-local" required value={d.starts} onInput={set('starts')} />
        </label>
        <label>
          ends
          <input name="ends_at" type="datetime-local" required min={d.starts} value={d.ends} onInput={set('ends')} />
        </label>
        <div class="form-row">
          <button class="btn primary" disabled={s.busy}>
            Add window
          </button>
        </div>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
    </section>
  );
}

export interface Incident {
  id: string;
  title: string;
  host_id: string | null;
  host_name: string | null;
  severity: string;
  state: string;
  opened_at: string;
  updated_at: string;
  version: number;
}

/** The incident life as the server allows it (server/monitor/incident-state.ts); it checks again. */
const MOVES: Record<string, [string, string][]> = {
  open: [
    ['acknowledged', 'Acknowledge'],
    ['resolved', 'Resolve'],
  ],
  acknowledged: [['resolved', 'Resolve']],
  resolved: [
    ['closed', 'Close'],
    ['open', 'Reopen'],
  ],
  closed: [],
};

export function IncidentRow({ i, onChange }: { i: Incident; onChange(): void }) {
  const [comment, setComment] = useState('');
  const s = useSubmit();
  const move = (to: string) =>
    s.run(async () => {
      await call('POST', `/api/v1/incidents/${i.id}/transitions`, { to, ...(comment ? { comment } : {}) }, { 'if-match': `"${i.version}"` });
      setComment('');
      onChange();
    });
  const addComment = () =>
    s.run(async () => {
      await call('POST', `/api/v1/incidents/${i.id}/comments`, { comment });
      setComment('');
      onChange();
    });
  return (
    <li data-incident={i.id} data-state={i.state}>
      <span class={`sev sev-${i.severity}`}>{i.severity}</span> <b>{i.title}</b>{' '}
      <span class="badge" data-testid="incident-state">
        {i.state}
      </span>
      {i.host_id ? (
        <>
          {' '}
          <a href={`#/hosts/${i.host_id}`}>{i.host_name ?? i.host_id.slice(0, 8)}</a>
        </>
      ) : null}
      <span class="muted small">
        {' '}
        · opened {ago(i.opened_at)} · updated {ago(i.updated_at)}
      </span>
      <form class="form-row" style="margin-top:6px" onSubmit={onSubmit(addComment)}>
        <input aria-label="Incident comment" placeholder="Comment" maxLength={4000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        {(MOVES[i.state] ?? []).map(([to, label]) => (
          <button type="button" class="btn small" disabled={s.busy} data-move={to} onClick={() => move(to)}>
            {label}
          </button>
        ))}
        <button class="btn small ghost" disabled={s.busy || !comment.trim()}>
          Comment
        </button>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
    </li>
  );
}
