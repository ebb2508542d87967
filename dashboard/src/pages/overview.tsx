/** The fleet at a glance: agents online/offline/pending, open problems by severity, ingest rate, recent changes. */
import { useRef } from 'preact/hooks';
import type { Me } from '../main';
import { ago, count, rate } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { SEVERITIES } from './monitoring';

interface Overview {
  at: number;
  agents: { total: number; pending: number; active: number; revoked: number; online: number; offline: number };
  ingest: { committed_points: number; committed_batches: number; refused_batches: number; queued_points: number };
}

interface AuditEntry {
  id: number;
  at: string;
  actor_name: string | null;
  actor_kind: string;
  method: string;
  route: string | null;
  path: string;
  status: number;
}

/** Points per second between the last two answers. */
function useIngestRate(o: Overview | undefined): number | null {
  const prev = useRef<Overview | undefined>(undefined);
  const last = useRef<number | null>(null);
  if (o && prev.current && o.at > prev.current.at) {
    last.current = ((o.ingest.committed_points - prev.current.ingest.committed_points) * 1000) / (o.at - prev.current.at);
  }
  if (o && o !== prev.current) prev.current = o;
  return last.current;
}

export function OverviewPage({ me }: { me: Me }) {
  const ov = useResource<Overview>('/api/v1/overview', { pollMs: 5000 });
  const perS = useIngestRate(ov.data);
  const problems = useResource<ProblemSummary>('/api/v1/problems/summary', { pollMs: 5000 });
  const canAudit = me.scopes.includes('audit:read');
  const changes = useResource<AuditEntry[]>(canAudit ? '/api/v1/audit?limit=8' : null, { pollMs: 15000 });

  return (
    <>
      <PageTitle>Overview</PageTitle>
      <Show r={ov} what="Fleet summary" empty={() => false}>
        {(o) => (
          <div class="tiles" data-testid="agent-tiles">
            <Tile label="Online" value={count(o.agents.online)} tone="ok" href="#/hosts" testid="tile-online" />
            <Tile label="Offline" value={count(o.agents.offline)} tone={o.agents.offline ? 'warn' : undefined} href="#/hosts" testid="tile-offline" />
            <Tile label="Pending approval" value={count(o.agents.pending)} tone={o.agents.pending ? 'info' : undefined} href="#/hosts?state=pending" testid="tile-pending" />
            <Tile label="Ingest" value={perS === null ? 'measuring…' : rate(perS)} sub={`${count(o.ingest.committed_points)} points stored since start`} testid="tile-ingest" />
          </div>
        )}
      </Show>
      <div class="grid2">
        <section class="card">
          <h2>Open problems</h2>
          <Show r={problems} what="Problems" empty={() => false}>
            {(summary) => <ProblemCounts summary={summary} />}
          </Show>
        </section>
        <section class="card">
          <h2>Recent changes</h2>
          {canAudit ? (
            <Show r={changes} what="Changes" emptyText="Nothing has changed yet.">
              {(list) => (
                <ul class="list">
                  {list.map((c) => (
                    <li>
                      <span class={`badge ${c.status < 400 ? 'ok' : 'bad'}`}>{c.method}</span> <code>{c.route ?? c.path}</code>
                      <span class="muted small"> · {c.actor_name ?? c.actor_kind} · {ago(c.at)}</span>
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
    </>
  );
}

interface ProblemSummary {
  open: number;
  by_severity: Record<string, number>;
}

function ProblemCounts({ summary }: { summary: ProblemSummary }) {
  if (!summary.open) return <p class="state empty">No open problems. All quiet.</p>;
  const by = summary.by_severity;
  return (
    <div class="sev-row" data-testid="problem-counts">
      {[...SEVERITIES].reverse().filter((s) => by[s]).map((s) => (
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
      <div class="tile-value" data-testid={testid}>{value}</div>
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
