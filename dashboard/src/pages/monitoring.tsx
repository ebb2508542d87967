/** Monitoring: open problems (acknowledge with a comment), incidents, templates and their triggers. */
import { useState } from 'preact/hooks';
import { ApiError, call, qs } from '../api';
import { useLocation } from '../router';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

/** Lowest first, as the server ranks them. */
export const SEVERITIES = ['info', 'warning', 'average', 'high', 'disaster'];

export interface Problem {
  id: string;
  host_id: string;
  trigger_ref: string;
  name: string;
  severity: string;
  expression: string;
  opened_at: string;
  value: number | null;
  resolved_at: string | null;
  suppressed: boolean;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  incident_id: string | null;
}

interface Incident {
  id: string;
  title: string;
  severity: string;
  state: string;
  opened_at: string;
  updated_at: string;
}

interface Template {
  id: string;
  name: string;
  description: string;
  items: { key: string; type: string }[];
  triggers: { key: string; name: string; severity: string; expression: string }[];
  host_ids: string[];
  host_group_ids: string[];
}

const TABS = ['problems', 'incidents', 'templates'] as const;

export function MonitoringPage() {
  const loc = useLocation();
  const [tab, setTab] = useState<(typeof TABS)[number]>('problems');
  const severity = loc.query.get('severity') ?? undefined;
  return (
    <>
      <PageTitle>Monitoring</PageTitle>
      <div class="tabs" role="tablist">
        {TABS.map((t) => (
          <button role="tab" aria-selected={tab === t} class={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {tab === 'problems' ? <Problems severity={severity} /> : null}
      {tab === 'incidents' ? <Incidents /> : null}
      {tab === 'templates' ? <Templates /> : null}
    </>
  );
}

function Problems({ severity }: { severity?: string }) {
  const problems = useResource<Problem[]>(`/api/v1/problems${qs({ open: true, severity, limit: 200 })}`, { pollMs: 5000 });
  return (
    <section class="card">
      {severity ? <p class="muted small">Severity {severity} and above. <a href="#/monitoring">Show all</a></p> : null}
      <Show r={problems} what="Problems" emptyText="No open problems. All quiet.">
        {(list) => (
          <table class="table" data-testid="problems-table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Problem</th>
                <th class="hide-phone">Host</th>
                <th>Since</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <ProblemRow p={p} onChange={problems.reload} />
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </section>
  );
}

function ProblemRow({ p, onChange }: { p: Problem; onChange(): void }) {
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<ApiError>();
  const ack = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await call('POST', `/api/v1/problems/${p.id}/acknowledge`, { comment });
      setOpen(false);
      onChange();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <tr data-problem={p.id}>
      <td>
        <span class={`sev sev-${p.severity}`}>{p.severity}</span>
      </td>
      <td>
        {p.name}
        {p.value !== null ? <span class="muted small"> · value {Number(p.value.toFixed(3))}</span> : null}
        {p.suppressed ? <span class="badge"> maintenance</span> : null}
        {open ? (
          <form class="form-row ack-form" onSubmit={ack}>
            <input placeholder="What are you doing about it?" value={comment} onInput={(e) => setComment(e.currentTarget.value)} aria-label="Comment" />
            <button class="btn primary small">Acknowledge</button>
          </form>
        ) : null}
        {error ? <ErrorNote error={error} /> : null}
      </td>
      <td class="hide-phone">
        <a href={`#/hosts/${p.host_id}`}>host</a>
      </td>
      <td>{ago(p.opened_at)}</td>
      <td>
        {p.acknowledged_at ? (
          <span class="badge ok" data-testid="acked" title={`by ${p.acknowledged_by}`}>
            acknowledged
          </span>
        ) : (
          <button class="btn small" onClick={() => setOpen(!open)}>
            Ack…
          </button>
        )}
      </td>
    </tr>
  );
}

function Incidents() {
  const r = useResource<Incident[]>('/api/v1/incidents?limit=100', { pollMs: 10_000 });
  return (
    <section class="card">
      <Show r={r} what="Incidents" emptyText="No incidents.">
        {(list) => (
          <ul class="list">
            {list.map((i) => (
              <li>
                <span class={`sev sev-${i.severity}`}>{i.severity}</span> <b>{i.title}</b> <span class="badge">{i.state}</span>
                <span class="muted small"> · opened {ago(i.opened_at)} · updated {ago(i.updated_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}

function Templates() {
  const r = useResource<Template[]>('/api/v1/templates?limit=200');
  return (
    <Show r={r} what="Templates" emptyText="No templates. Make one with POST /api/v1/templates (docs/monitoring.md).">
      {(list) =>
        list.map((t) => (
          <section class="card">
            <h2>{t.name}</h2>
            {t.description ? <p class="muted">{t.description}</p> : null}
            <p class="muted small">
              {t.items.length} item(s) · linked to {t.host_ids.length} host(s) and {t.host_group_ids.length} group(s)
            </p>
            <ul class="list">
              {t.triggers.map((x) => (
                <li>
                  <span class={`sev sev-${x.severity}`}>{x.severity}</span> {x.name} <code class="small muted">{x.expression}</code>
                </li>
              ))}
            </ul>
          </section>
        ))
      }
    </Show>
  );
}
