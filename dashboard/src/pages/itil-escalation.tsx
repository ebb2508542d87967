/**
 * Priority and escalation (docs/itil.md): the impact x urgency matrix, what each trigger severity
 * defaults to and the time targets (one setting, saved with If-Match so two people cannot
 * overwrite each other), and the escalation rules: add, change, remove.
 */
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import { ErrorNote, Loading, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { onSubmit, useSubmit } from '../ui/use-submit';
import { duration } from './itil';

const LEVELS = ['high', 'medium', 'low'] as const;
const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
const SEVERITIES = ['disaster', 'high', 'average', 'warning', 'info'] as const;
type Level = (typeof LEVELS)[number];
type Priority = (typeof PRIORITIES)[number];

interface Settings {
  matrix: Record<Level, Record<Level, Priority>>;
  severity_defaults: Record<string, { impact: Level; urgency: Level }>;
  targets: Record<Priority, { acknowledge_s: number; resolve_s: number }>;
}
interface Rule {
  id: string;
  priority: Priority;
  kind: 'acknowledge' | 'resolve';
  after_s: number;
  channel_id: string;
  raise_priority: boolean;
  created_by: string;
}
interface Channel {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
}

export function EscalationTab() {
  return (
    <>
      <SettingsEditor />
      <EscalationRules />
    </>
  );
}

function SettingsEditor() {
  const [doc, setDoc] = useState<Settings>();
  const [etag, setEtag] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const load = useSubmit();
  const save = useSubmit();
  const fetchSettings = () =>
    load.run(async () => {
      const a = await call<Settings>('GET', '/api/v1/itil/settings');
      setDoc(a.data);
      setEtag(a.etag);
    });
  useEffect(() => void fetchSettings(), []);
  const edit = (f: (d: Settings) => void) => {
    const next = structuredClone(doc!);
    f(next);
    setDoc(next);
    setSaved(false);
  };
  const submit = onSubmit(() =>
    save.run(async () => {
      const a = await call<Settings>('PUT', '/api/v1/itil/settings', doc, etag ? { 'if-match': etag } : {});
      setDoc(a.data);
      setEtag(a.etag);
      setSaved(true);
    }),
  );
  if (!doc)
    return (
      <section class="card">{load.error ? <ErrorNote error={load.error} retry={fetchSettings} /> : <Loading what="Loading the priority settings" />}</section>
    );
  const minutes = (s: number) => String(Math.round(s / 60));
  return (
    <section class="card">
      <h2>Priority matrix</h2>
      <form onSubmit={submit} data-testid="settings-form">
        <p class="muted small">A new incident's priority is the matrix's cell for its impact and urgency; a change applies to incidents classified after it.</p>
        <table class="table" data-testid="priority-matrix">
          <thead>
            <tr>
              <th>impact \ urgency</th>
              {LEVELS.map((u) => (
                <th>{u}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {LEVELS.map((impact) => (
              <tr>
                <th>{impact}</th>
                {LEVELS.map((urgency) => (
                  <td>
                    <select
                      aria-label={`Priority for impact ${impact}, urgency ${urgency}`}
                      data-cell={`${impact}-${urgency}`}
                      value={doc.matrix[impact][urgency]}
                      onChange={(e) => edit((d) => (d.matrix[impact][urgency] = e.currentTarget.value as Priority))}
                    >
                      {PRIORITIES.map((p) => (
                        <option value={p}>{p}</option>
                      ))}
                    </select>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Trigger severity defaults</h3>
        <table class="table">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Impact</th>
              <th>Urgency</th>
              <th>Priority</th>
            </tr>
          </thead>
          <tbody>
            {SEVERITIES.map((sev) => {
              const d = doc.severity_defaults[sev];
              return (
                <tr>
                  <td>{sev}</td>
                  {(['impact', 'urgency'] as const).map((f) => (
                    <td>
                      <select
                        aria-label={`${f} for severity ${sev}`}
                        value={d[f]}
                        onChange={(e) => edit((x) => (x.severity_defaults[sev][f] = e.currentTarget.value as Level))}
                      >
                        {LEVELS.map((l) => (
                          <option value={l}>{l}</option>
                        ))}
                      </select>
                    </td>
                  ))}
                  <td data-testid={`severity-priority-${sev}`}>{doc.matrix[d.impact][d.urgency]}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <h3>Targets</h3>
        <table class="table">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Acknowledge within (min)</th>
              <th>Resolve within (min)</th>
            </tr>
          </thead>
          <tbody>
            {PRIORITIES.map((p) => (
              <tr>
                <td>{p}</td>
                {(['acknowledge_s', 'resolve_s'] as const).map((f) => (
                  <td>
                    <input
                      type="number"
                      min={1}
                      step={1}
                      required
                      aria-label={`${p} ${f === 'acknowledge_s' ? 'acknowledge' : 'resolve'} target, minutes`}
                      value={minutes(doc.targets[p][f])}
                      onInput={(e) => edit((x) => (x.targets[p][f] = Math.max(1, Math.round(Number(e.currentTarget.value) || 0)) * 60))}
                    />
                    <span class="muted small"> {duration(doc.targets[p][f])}</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <div class="form-row">
          <button class="btn primary" disabled={save.busy}>
            Save
          </button>
          <button
            type="button"
            class="btn ghost"
            onClick={() => {
              setSaved(false);
              void fetchSettings();
            }}
          >
            Undo changes
          </button>
          {saved ? (
            <span class="badge ok" data-testid="settings-saved">
              saved
            </span>
          ) : null}
        </div>
      </form>
      {save.error ? <ErrorNote error={save.error} /> : null}
    </section>
  );
}

function EscalationRules() {
  const rules = useResource<Rule[]>('/api/v1/escalation-rules');
  const channels = useResource<Channel[]>('/api/v1/notification-channels?limit=500');
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useSubmit();
  const channelName = (id: string) => channels.data?.find((c) => c.id === id)?.name ?? id.slice(0, 8);
  const done = () => {
    setEditing(null);
    rules.reload();
  };
  return (
    <section class="card">
      <h2>Escalation rules</h2>
      <p class="muted small">
        An incident of the priority still not acknowledged (or not resolved) this long after it opened notifies the channel, once, and may be raised one
        priority. Incidents whose hosts are all in a maintenance window are held until it ends.
      </p>
      <Show r={rules} what="Escalation rules" emptyText="No escalation rules yet.">
        {(rows) => (
          <table class="table" data-testid="escalation-rules">
            <thead>
              <tr>
                <th>Priority</th>
                <th>When not</th>
                <th>After</th>
                <th>Notify</th>
                <th>Raise</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((r) =>
                editing === r.id ? (
                  <tr data-id={r.id}>
                    <td colSpan={6}>
                      <RuleForm rule={r} channels={channels.data ?? []} onDone={done} onCancel={() => setEditing(null)} />
                    </td>
                  </tr>
                ) : (
                  <tr data-id={r.id}>
                    <td>{r.priority}</td>
                    <td>{r.kind === 'acknowledge' ? 'acknowledged' : 'resolved'}</td>
                    <td data-testid="rule-after">{duration(r.after_s)}</td>
                    <td data-testid="rule-channel">{channelName(r.channel_id)}</td>
                    <td>{r.raise_priority ? 'one step' : '–'}</td>
                    <td>
                      <button class="btn small" onClick={() => setEditing(r.id)}>
                        Edit
                      </button>{' '}
                      <button
                        class="btn small danger"
                        onClick={() =>
                          remove.run(async () => {
                            await call('DELETE', `/api/v1/escalation-rules/${r.id}`);
                            rules.reload();
                          })
                        }
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        )}
      </Show>
      {remove.error ? <ErrorNote error={remove.error} /> : null}
      <h3>Add a rule</h3>
      <Show r={channels} what="Notification channels" emptyText="No notification channels: add one under Alerting first.">
        {(list) => <RuleForm channels={list} onDone={done} />}
      </Show>
    </section>
  );
}

/** A new rule, or one being changed: checked as the API checks it (a channel, a whole number of minutes of at least 1). */
function RuleForm({ rule, channels, onDone, onCancel }: { rule?: Rule; channels: Channel[]; onDone(): void; onCancel?(): void }) {
  const [priority, setPriority] = useState<string>(rule?.priority ?? 'P1');
  const [kind, setKind] = useState<string>(rule?.kind ?? 'acknowledge');
  const [after, setAfter] = useState(rule ? String(Math.round(rule.after_s / 60)) : '15');
  const [channel, setChannel] = useState(rule?.channel_id ?? '');
  const [raise, setRaise] = useState(rule?.raise_priority ?? false);
  const [problem, setProblem] = useState('');
  const submit = useSubmit();
  const send = onSubmit(() => {
    const minutes = Number(after);
    if (!Number.isInteger(minutes) || minutes < 1) return setProblem('After: a whole number of minutes, at least 1.');
    if (!channel) return setProblem('Pick the channel to notify.');
    setProblem('');
    void submit.run(async () => {
      const body = { priority, kind, after_s: minutes * 60, channel_id: channel, raise_priority: raise };
      await (rule ? call('PUT', `/api/v1/escalation-rules/${rule.id}`, body) : call('POST', '/api/v1/escalation-rules', body));
      onDone();
    });
  });
  return (
    <form onSubmit={send} data-testid={rule ? 'rule-edit-form' : 'rule-form'}>
      <div class="form-row">
        <select aria-label="Priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
          {PRIORITIES.map((p) => (
            <option value={p}>{p}</option>
          ))}
        </select>
        <select aria-label="When" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="acknowledge">not acknowledged</option>
          <option value="resolve">not resolved</option>
        </select>
        <label class="inline">
          after <input type="number" aria-label="After, minutes" value={after} onInput={(e) => setAfter(e.currentTarget.value)} /> min
        </label>
        <select aria-label="Channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
          <option value="">notify…</option>
          {channels.map((c) => (
            <option value={c.id}>
              {c.name}
              {c.enabled ? '' : ' (disabled)'}
            </option>
          ))}
        </select>
        <label class="inline">
          <input type="checkbox" aria-label="Raise priority" checked={raise} onChange={(e) => setRaise(e.currentTarget.checked)} /> raise priority
        </label>
        <button class="btn primary small" disabled={submit.busy}>
          {rule ? 'Save' : 'Add'}
        </button>
        {onCancel ? (
          <button type="button" class="btn ghost small" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {problem ? (
        <div class="state error" role="alert" data-testid="form-problem">
          {problem}
        </div>
      ) : null}
      {submit.error ? <ErrorNote error={submit.error} /> : null}
    </form>
  );
}
