/**
 * Incidents as incident management sees them (priority, assignee, time to acknowledge and resolve
 * against targets, escalations, known errors and their workaround, the timeline) and the known errors.
 */
import { useState } from 'preact/hooks';
import { type ApiError, call, qs } from '../api';
import { navigate } from '../router';
import { ago, when } from '../ui/format';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { useSubmit } from '../ui/use-submit';
import type { Me } from '../main';
import { duration } from './itil';

interface Incident {
  id: string;
  title: string;
  host_name: string | null;
  severity: string;
  state: string;
  opened_at: string;
  priority: string | null;
  priority_manual: boolean;
  impact: string | null;
  urgency: string | null;
  assignee_id: string | null;
  acknowledged_at: string | null;
  version: number;
}
interface Measure {
  seconds: number | null;
  target_s: number;
  met: boolean | null;
}
interface IncidentDetail {
  incident: Incident;
  timeline: Array<{ at: string; kind: string; actor: string; comment: string; from_state?: string | null; to_state?: string | null }>;
  management?: {
    time_to_acknowledge: Measure | null;
    time_to_resolve: Measure | null;
    escalations: Array<{ rule_id: string; kind: string; channel_id: string; at: string }>;
    known_errors: Array<{ id: string; title: string; status: string; workaround: string; root_cause: string }>;
  };
}
interface KnownError {
  id: string;
  title: string;
  status: string;
  suspected_cause: string;
  root_cause: string;
  workaround: string;
  match_trigger_ref: string | null;
  updated_at: string;
  version: number;
}

const PRIORITY_CLASS: Record<string, string> = { P1: 'bad', P2: 'warn', P3: 'pending', P4: '' };
const LEVELS = ['high', 'medium', 'low'] as const;

export function PriorityBadge({ p }: { p: string | null }) {
  return (
    <span class={`badge ${PRIORITY_CLASS[p ?? ''] ?? ''}`} data-testid="priority" data-priority={p ?? ''}>
      {p ?? '–'}
    </span>
  );
}

export function IncidentsTab({ open, me }: { open: string | null; me: Me }) {
  const [state, setState] = useState('');
  const list = useResource<Incident[]>(`/api/v1/incidents${qs({ state, limit: 50 })}`, { pollMs: 15_000 });
  return (
    <>
      {open ? <IncidentCard id={open} me={me} onChange={list.reload} /> : null}
      <section class="card">
        <div class="form-row">
          <h2>Incidents</h2>
          <select aria-label="State" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">any state</option>
            {['open', 'acknowledged', 'resolved', 'closed'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <Show r={list} what="Incidents">
          {(rows) => (
            <table class="table" data-testid="itil-incidents">
              <thead>
                <tr>
                  <th>Priority</th>
                  <th>Incident</th>
                  <th>Host</th>
                  <th>State</th>
                  <th>Opened</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((i) => (
                  <tr data-id={i.id}>
                    <td>
                      <PriorityBadge p={i.priority} />
                    </td>
                    <td>
                      <a href={`#/itil?tab=incidents&id=${i.id}`}>{i.title}</a>
                    </td>
                    <td>{i.host_name ?? '–'}</td>
                    <td>{i.state}</td>
                    <td title={when(i.opened_at)}>{ago(i.opened_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Show>
      </section>
    </>
  );
}

function Target({ label, m }: { label: string; m: Measure | null | undefined }) {
  if (!m)
    return (
      <>
        <dt>{label}</dt>
        <dd>–</dd>
      </>
    );
  const verdict = m.met === true ? 'met' : m.met === false ? 'missed' : 'running';
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`target-${label.toLowerCase().replace(/ /g, '-')}`} data-met={String(m.met)}>
        {m.seconds === null ? 'running' : duration(m.seconds)} of {duration(m.target_s)}{' '}
        <span class={`badge ${m.met === true ? 'ok' : m.met === false ? 'bad' : 'pending'}`}>{verdict}</span>
      </dd>
    </>
  );
}

/** Raising a priority by hand is the manual escalation: P3 to P2, P2 to P1. */
const raised = (p: string | null) => (p === 'P4' ? 'P3' : p === 'P3' ? 'P2' : 'P1');

function IncidentCard({ id, me, onChange }: { id: string; me: Me; onChange(): void }) {
  const r = useResource<IncidentDetail>(`/api/v1/incidents/${id}`);
  const submit = useSubmit();
  const error = submit.error;
  const [impact, setImpact] = useState('');
  const [urgency, setUrgency] = useState('');
  const act = (method: string, path: string, body: unknown) =>
    submit.run(async () => {
      await call(method, path, body);
      r.reload();
      onChange();
    });
  return (
    <section class="card highlight" data-testid="incident-card">
      <Show r={r} what="Incident">
        {(d) => {
          const i = d.incident;
          const m = d.management;
          return (
            <>
              <div class="form-row">
                <h2>{i.title}</h2>
                <button class="btn ghost small" onClick={() => navigate('/itil?tab=incidents')}>
                  Close
                </button>
              </div>
              <dl class="kv">
                <dt>Priority</dt>
                <dd>
                  <PriorityBadge p={i.priority} />{' '}
                  <span class="muted small">
                    impact {i.impact ?? '–'}, urgency {i.urgency ?? '–'}
                    {i.priority_manual ? ', set by a person' : ', from severity'}
                  </span>
                </dd>
                <dt>State</dt>
                <dd>
                  {i.state} · {i.severity}
                </dd>
                <dt>Host</dt>
                <dd>{i.host_name ?? '–'}</dd>
                <dt>Assignee</dt>
                <dd data-testid="assignee">{i.assignee_id ? (i.assignee_id === me.id ? 'you' : i.assignee_id) : 'nobody'}</dd>
                <Target label="Time to acknowledge" m={m?.time_to_acknowledge} />
                <Target label="Time to resolve" m={m?.time_to_resolve} />
                <dt>Escalations</dt>
                <dd data-testid="escalations">{m?.escalations.length ? m.escalations.map((e) => `${e.kind} ${ago(e.at)}`).join(', ') : 'none'}</dd>
              </dl>
              {m?.known_errors.map((k) => (
                <div class="itil-note" data-testid="incident-known-error">
                  <strong>Known error: {k.title}</strong> <span class="badge">{k.status.replace('_', ' ')}</span>
                  <div>
                    <span class="muted">Workaround:</span> {k.workaround || '–'}
                  </div>
                  <div>
                    <span class="muted">Cause:</span> {k.root_cause || '–'}
                  </div>
                </div>
              ))}
              <div class="form-row itil-actions">
                {i.priority !== 'P1' ? (
                  <button
                    class="btn primary small"
                    data-testid="escalate"
                    onClick={() => act('PUT', `/api/v1/incidents/${i.id}/priority`, { priority: raised(i.priority), comment: 'escalated from the dashboard' })}
                  >
                    Escalate to {raised(i.priority)}
                  </button>
                ) : null}
                <select aria-label="Impact" value={impact} onChange={(e) => setImpact(e.currentTarget.value)}>
                  <option value="">impact…</option>
                  {LEVELS.map((l) => (
                    <option value={l}>{l}</option>
                  ))}
                </select>
                <select aria-label="Urgency" value={urgency} onChange={(e) => setUrgency(e.currentTarget.value)}>
                  <option value="">urgency…</option>
                  {LEVELS.map((l) => (
                    <option value={l}>{l}</option>
                  ))}
                </select>
                <button
                  class="btn small"
                  disabled={!impact && !urgency}
                  onClick={() => act('PUT', `/api/v1/incidents/${i.id}/priority`, { ...(impact ? { impact } : {}), ...(urgency ? { urgency } : {}) })}
                >
                  Set priority
                </button>
                {me.kind === 'user' && i.assignee_id !== me.id ? (
                  <button class="btn small" onClick={() => act('PUT', `/api/v1/incidents/${i.id}/assignee`, { user_id: me.id })}>
                    Assign to me
                  </button>
                ) : null}
                {i.assignee_id ? (
                  <button class="btn small" onClick={() => act('PUT', `/api/v1/incidents/${i.id}/assignee`, { user_id: null })}>
                    Unassign
                  </button>
                ) : null}
                {i.state === 'open' ? (
                  <button class="btn small" onClick={() => act('POST', `/api/v1/incidents/${i.id}/transitions`, { to: 'acknowledged' })}>
                    Acknowledge
                  </button>
                ) : null}
              </div>
              {error ? <ErrorNote error={error} /> : null}
              <h3>Timeline</h3>
              <ul class="itil-timeline" data-testid="incident-timeline">
                {d.timeline.map((e) => (
                  <li>
                    <span class="muted small" title={when(e.at)}>
                      {when(e.at)}
                    </span>{' '}
                    <strong>{e.kind}</strong>
                    {e.to_state ? ` → ${e.to_state}` : ''} <span class="muted">by {e.actor}</span> {e.comment}
                  </li>
                ))}
              </ul>
            </>
          );
        }}
      </Show>
    </section>
  );
}

export function KnownErrorsTab() {
  const list = useResource<KnownError[]>('/api/v1/known-errors');
  const [title, setTitle] = useState('');
  const [cause, setCause] = useState('');
  const [workaround, setWorkaround] = useState('');
  const [incident, setIncident] = useState('');
  const [error, setError] = useState<ApiError>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await call('POST', '/api/v1/known-errors', { title, suspected_cause: cause, workaround, ...(incident ? { from_incident_id: incident } : {}) });
      setTitle('');
      setCause('');
      setWorkaround('');
      setIncident('');
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const move = async (k: KnownError, status: string) => {
    setError(undefined);
    try {
      await call('PATCH', `/api/v1/known-errors/${k.id}`, { status }, { 'if-match': `"${k.version}"` });
      list.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      <section class="card">
        <h2>Record a known error</h2>
        <form onSubmit={create} data-testid="known-error-form">
          <div class="form-row">
            <input aria-label="Title" placeholder="Title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={500} />
            <input
              aria-label="From incident id"
              placeholder="From incident id (optional)"
              value={incident}
              onInput={(e) => setIncident(e.currentTarget.value)}
              pattern="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            />
          </div>
          <div class="form-row">
            <textarea
              aria-label="Suspected cause"
              placeholder="Suspected cause"
              value={cause}
              onInput={(e) => setCause(e.currentTarget.value)}
              maxLength={20_000}
            />
            <textarea
              aria-label="Workaround"
              placeholder="Workaround"
              value={workaround}
              onInput={(e) => setWorkaround(e.currentTarget.value)}
              maxLength={20_000}
            />
          </div>
          <button class="btn primary">Record</button>
        </form>
        {error ? <ErrorNote error={error} /> : null}
      </section>
      <Show r={list} what="Known errors">
        {(rows) => (
          <table class="table" data-testid="known-errors">
            <thead>
              <tr>
                <th>Known error</th>
                <th>Status</th>
                <th>Cause</th>
                <th>Workaround</th>
                <th>Rule</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr>
                  <td>{k.title}</td>
                  <td>
                    <span class="badge">{k.status.replace('_', ' ')}</span>
                  </td>
                  <td>{k.root_cause || k.suspected_cause || '–'}</td>
                  <td>{k.workaround || '–'}</td>
                  <td>
                    <code>{k.match_trigger_ref ?? '–'}</code>
                  </td>
                  <td>
                    {k.status === 'investigating' ? (
                      <button class="btn small" onClick={() => move(k, 'known_error')}>
                        Confirm
                      </button>
                    ) : null}
                    {k.status !== 'resolved' ? (
                      <button class="btn small" onClick={() => move(k, 'resolved')}>
                        Resolve
                      </button>
                    ) : (
                      <button class="btn small" onClick={() => move(k, 'investigating')}>
                        Reopen
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </>
  );
}
