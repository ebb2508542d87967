/**
 * The fleet in five seconds: hosts by state, what waits for approval, the ingest rate over the last
 * hour, open problems by severity with the newest ones named (host, age), the busiest hosts by CPU,
 * memory and disk, and recent changes in words.
 */
import type { Me } from '../main';
import { ago, count, pct, rate } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { ChangeSentence, isChange, type AuditEntry } from './change-words';
import { SEVERITIES, type Problem } from './monitoring';

interface Busy {
  host_id: string;
  hostname: string;
  value: number;
}

interface Overview {
  at: number;
  agents: { total: number; pending: number; active: number; revoked: number; online: number; offline: number };
  inventory_pending: number;
  busiest: { cpu: Busy[]; memory: Busy[]; disk: Busy[] };
  ingest: {
    committed_points: number;
    committed_batches: number;
    refused_batches: number;
    queued_points: number;
    history: { t: number; points_per_s: number }[];
  };
}

interface ProblemSummary {
  open: number;
  by_severity: Record<string, number>;
}

export function OverviewPage({ me }: { me: Me }) {
  const ov = useResource<Overview>('/api/v1/overview', { pollMs: 5000 });
  const summary = useResource<ProblemSummary>('/api/v1/problems/summary', { pollMs: 5000 });
  const problems = useResource<Problem[]>('/api/v1/problems?open=true&limit=6', { pollMs: 5000 });
  const canAudit = me.scopes.includes('audit:read');
  // Writes are a minority of audit records (logins, refusals): read a page and keep the changes.
  const changes = useResource<AuditEntry[]>(canAudit ? '/api/v1/audit?limit=100' : null, { pollMs: 15000 });

  return (
    <>
      <PageTitle>Overview</PageTitle>
      <Show r={ov} what="Fleet summary" empty={() => false}>
        {(o) => {
          const history = o.ingest.history;
          const now = history.length ? history[history.length - 1].points_per_s : null;
          const waiting = o.agents.pending + o.inventory_pending;
          return (
            <>
              <div class="tiles" data-testid="agent-tiles">
                <Tile label="Online" value={count(o.agents.online)} tone="ok" href="#/hosts" testid="tile-online" />
                <Tile label="Offline" value={count(o.agents.offline)} tone={o.agents.offline ? 'warn' : undefined} href="#/hosts" testid="tile-offline" />
                <Tile
                  label="Pending approval"
                  value={count(waiting)}
                  sub={`${count(o.agents.pending)} agent(s) · ${count(o.inventory_pending)} inventory`}
                  tone={waiting ? 'info' : undefined}
                  href="#/cmdb?tab=approvals"
                  testid="tile-pending"
                />
                <Tile
                  label="Ingest"
                  value={now === null ? 'measuring…' : rate(now)}
                  sub={`${count(o.ingest.committed_points)} points stored since start`}
                  testid="tile-ingest"
                />
              </div>
              <section class="card">
                <h2>Ingest rate, last hour</h2>
                <RateGraph history={history} />
              </section>
            </>
          );
        }}
      </Show>
      <div class="grid2">
        <section class="card">
          <h2>Open problems</h2>
          <Show r={summary} what="Problems" empty={() => false}>
            {(s) => <ProblemCounts summary={s} />}
          </Show>
          {problems.data?.length ? (
            <ul class="list" data-testid="overview-problems">
              {problems.data.map((p) => (
                <li>
                  <span class={`sev sev-${p.severity}`}>{p.severity}</span> {p.name} <span class="muted small">on</span>{' '}
                  <a href={`#/hosts/${p.host_id}`}>{p.host_name ?? p.host_id.slice(0, 8)}</a> <span class="muted small">· {ago(p.opened_at)}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
        <section class="card">
          <h2>Recent changes</h2>
          {canAudit ? (
            <Show r={changes} what="Changes" empty={(d) => !d.some(isChange)} emptyText="Nothing has changed lately.">
              {(list) => (
                <ul class="list" data-testid="recent-changes">
                  {list
                    .filter(isChange)
                    .slice(0, 8)
                    .map((c) => (
                      <li>
                        <ChangeSentence e={c} /> <span class="muted small">· {ago(c.at)}</span>
                      </li>
                    ))}
                </ul>
              )}
            </Show>
          ) : (
            <p class="muted">Your role cannot read the audit trail.</p>
          )}
        </section>
      </div>
      {ov.data ? <Busiest busiest={ov.data.busiest} /> : null}
    </>
  );
}

function Busiest({ busiest }: { busiest: Overview['busiest'] }) {
  const lists: [string, Busy[]][] = [
    ['CPU', busiest.cpu],
    ['Memory', busiest.memory],
    ['Disk', busiest.disk],
  ];
  return (
    <section class="card">
      <h2>Busiest hosts</h2>
      <div class="top-list" data-testid="busiest">
        {lists.map(([title, list]) => (
          <div data-kind={title.toLowerCase()}>
            <h3 class="small muted">{title}</h3>
            {list.length ? (
              <ul class="list">
                {list.map((b) => (
                  <li>
                    <a href={`#/hosts/${b.host_id}`}>{b.hostname}</a> <b style="float:right">{pct(b.value)}</b>
                    <div class="bar">
                      <span style={`width:${Math.min(100, Math.max(0, b.value))}%`} />
                    </div>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted small">No recent figures.</p>
            )}
          </div>
        ))}
      </div>
    </section>
  );
}

/** The rate as a small line: enough to see a drop or a surge at a glance. */
function RateGraph({ history }: { history: { t: number; points_per_s: number }[] }) {
  if (history.length < 2) return <p class="muted small">Measuring: the graph starts after the first samples (every 10 s).</p>;
  const w = 600;
  const h = 80;
  const t0 = history[0].t;
  const span = history[history.length - 1].t - t0 || 1;
  const max = Math.max(...history.map((p) => p.points_per_s), 1);
  const line = history.map((p) => `${(((p.t - t0) / span) * w).toFixed(1)},${(h - (p.points_per_s / max) * (h - 4)).toFixed(1)}`).join(' ');
  const values = history.map((p) => p.points_per_s);
  return (
    <figure class="chart" data-testid="ingest-graph" data-points={history.length}>
      <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" width="100%" height={h} role="img" aria-label="Ingest rate over the last hour">
        <polyline points={line} fill="none" stroke="var(--accent)" stroke-width="1.5" vector-effect="non-scaling-stroke" />
      </svg>
      <div class="legend-stats">
        <span>
          now <b>{rate(values[values.length - 1])}</b>
        </span>
        <span>
          min <b>{rate(Math.min(...values))}</b>
        </span>
        <span>
          max <b>{rate(max)}</b>
        </span>
        <span>
          mean <b>{rate(values.reduce((a, b) => a + b, 0) / values.length)}</b>
        </span>
      </div>
    </figure>
  );
}

function ProblemCounts({ summary }: { summary: ProblemSummary }) {
  if (!summary.open) return <p class="state empty">No open problems. All quiet.</p>;
  const by = summary.by_severity;
  return (
    <div class="sev-row" data-testid="problem-counts">
      {[...SEVERITIES]
        .reverse()
        .filter((s) => by[s])
        .map((s) => (
          <a class={`sev sev-${s}`} href={`#/monitoring?severity=${s}`}>
            <b>{count(by[s])}</b> {s}
          </a>
        ))}
    </div>
  );
}

function Tile({ label, value, sub, tone, href, testid }: { label: string; value: string; sub?: string; tone?: string; href?: string; testid?: string }) {
  const body = (
    <>
      <div class="tile-label">{label}</div>
      <div class="tile-value" data-testid={testid}>
        {value}
      </div>
      {sub ? <div class="muted small">{sub}</div> : null}
    </>
  );
  return href ? (
    <a class={`tile ${tone ?? ''}`} href={href}>
      {body}
    </a>
  ) : (
    <div class={`tile ${tone ?? ''}`}>{body}</div>
  );
}
