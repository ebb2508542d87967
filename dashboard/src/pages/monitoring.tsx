/** Monitoring: open problems (acknowledge), incidents, triggers and templates. */
import { useState } from 'preact/hooks';
import { ApiError, call, qs } from '../api';
import { useLocation } from '../router';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

export const SEVERITIES = ['disaster', 'high', 'average', 'warning', 'information', 'info', 'critical', 'major', 'minor'];

export interface Problem {
  id: string;
  severity: string;
  name?: string;
  message?: string;
  host_id?: string;
  hostname?: string;
  started_at?: string;
  acknowledged?: boolean;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
}

const TABS = ['problems', 'incidents', 'triggers', 'templates'] as const;

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
      {tab === 'incidents' ? <Simple path="/api/v1/incidents?limit=100" what="Incidents" /> : null}
      {tab === 'triggers' ? <Simple path="/api/v1/triggers?limit=100" what="Triggers" /> : null}
      {tab === 'templates' ? <Simple path="/api/v1/templates?limit=100" what="Templates" /> : null}
    </>
  );
}

function Problems({ severity }: { severity?: string }) {
  const problems = useResource<Problem[]>(`/api/v1/problems${qs({ status: 'open', severity, limit: 200 })}`, { pollMs: 5000 });
  const [error, setError] = useState<ApiError>();
  const ack = async (p: Problem) => {
    const message = prompt('Acknowledge with a note (optional):') ?? undefined;
    setError(undefined);
    try {
      await call('POST', `/api/v1/problems/${p.id}/acknowledge`, { message: message || 'acknowledged from the dashboard' });
      problems.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <section class="card">
      {error ? <ErrorNote error={error} /> : null}
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
                <tr data-problem={p.id}>
                  <td>
                    <span class={`sev sev-${p.severity}`}>{p.severity}</span>
                  </td>
                  <td>{p.name ?? p.message ?? p.id}</td>
                  <td class="hide-phone">{p.hostname ?? p.host_id ?? '–'}</td>
                  <td>{ago(p.started_at)}</td>
                  <td>
                    {p.acknowledged || p.acknowledged_at ? (
                      <span class="badge ok" data-testid="acked">acknowledged</span>
                    ) : (
                      <button class="btn small" onClick={() => ack(p)}>
                        Acknowledge
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </section>
  );
}

/** A list whose rows are shown by their name and a few plain fields. */
export function Simple({ path, what }: { path: string; what: string }) {
  const r = useResource<Record<string, unknown>[]>(path, { pollMs: 15_000 });
  return (
    <section class="card">
      <Show r={r} what={what}>
        {(list) => (
          <ul class="list">
            {list.map((x) => (
              <li>
                {x.severity ? <span class={`sev sev-${x.severity}`}>{String(x.severity)}</span> : null} <b>{String(x.name ?? x.title ?? x.id)}</b>{' '}
                <span class="muted small">
                  {Object.entries(x)
                    .filter(([k, v]) => !['id', 'name', 'title', 'severity'].includes(k) && (typeof v === 'string' || typeof v === 'number') && String(v).length < 60)
                    .slice(0, 4)
                    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`)
                    .join(' · ')}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}
