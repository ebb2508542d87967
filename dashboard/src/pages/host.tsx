/**
 * One host: state, tags and actions; graphs over a picked range (CPU, memory, disks, network in and
 * out per active interface) with each range's min / max / mean shown; a metric browser for every
 * series the host sends; its asset and approval state; monitoring; recent problems and tasks.
 */
import { useState } from 'preact/hooks';
import { type ApiError, call, qs } from '../api';
import { navigate, useLocation } from '../router';
import { BandChart, Chart, type BandPoint } from '../ui/band-chart';
import { MetricBrowser } from './metric-browser';
import { OutcomeBadge, type Task } from './tasks';
import { ago, bytes, when } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { AssetComponents } from './cmdb';
import { HostTags } from './host-tags';
import { OnlineDot, type Host } from './hosts';
import type { Problem } from './monitoring';
import { ObjectHistory } from '../ui/object-history';

const RANGES: [string, string, number][] = [
  ['15m', 'Last 15 minutes', 15 * 60_000],
  ['1h', 'Last hour', 3_600_000],
  ['6h', 'Last 6 hours', 6 * 3_600_000],
  ['24h', 'Last 24 hours', 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
];

/** The graphs every host gets: metric name, labels to pick one series (or all), unit, title. */
const GRAPHS: { name: string; labels?: Record<string, string>; unit: string; title: string }[] = [
  { name: 'cpu.usage_pct', labels: { cpu: 'total' }, unit: '%', title: 'CPU' },
  { name: 'mem.used_pct', unit: '%', title: 'Memory used' },
  { name: 'fs.used_pct', unit: '%', title: 'Disk used' },
];

interface MetricAnswer {
  from: number;
  to: number;
  series: { labels: Record<string, string>; step_ms: number; points: BandPoint[] }[];
}

/** GET /api/v1/hosts/:id/monitoring */
interface HostMonitoringConfig {
  templates: { id: string; name: string }[];
  collectors: { name: string; intervalS: number }[];
  triggers: { ref: string; name: string; severity: string; expression: string }[];
}

interface AgentInfo {
  id: string;
  state: 'pending' | 'active' | 'revoked';
  version: string;
  enrolled_at: string;
}

export function HostPage({ hostId }: { hostId: string }) {
  const loc = useLocation();
  const range = RANGES.find((r) => r[0] === loc.query.get('range')) ?? RANGES[1];
  const host = useResource<Host>(`/api/v1/hosts/${encodeURIComponent(hostId)}`, { pollMs: 5000 });
  const agentId = host.data?.agent_id;
  const agent = useResource<AgentInfo>(agentId ? `/api/v1/agents/${agentId}` : null, { pollMs: 30_000 });
  const [actionError, setActionError] = useState<ApiError>();

  const act = async (what: 'approve' | 'revoke') => {
    if (what === 'revoke' && !confirm('Revoke this agent? It is disconnected and refused from now on.')) return;
    setActionError(undefined);
    try {
      await call('POST', `/api/v1/agents/${agentId}/${what}`);
      host.reload();
      agent.reload();
    } catch (e) {
      setActionError(e as ApiError);
    }
  };

  return (
    <Show r={host} what="Host" empty={() => false}>
      {(h) => (
        <>
          <PageTitle
            right={
              <>
                {h.agent_state === 'pending' ? (
                  <button class="btn primary small" onClick={() => act('approve')}>
                    Approve
                  </button>
                ) : null}
                {h.agent_id && h.agent_state !== 'revoked' ? (
                  <button class="btn danger small" onClick={() => act('revoke')}>
                    Revoke
                  </button>
                ) : null}
              </>
            }
          >
            <a href="#/hosts" class="muted">
              Hosts
            </a>{' '}
            / <OnlineDot online={h.online} state={h.agent_state} /> {h.hostname}
          </PageTitle>
          {actionError ? <ErrorNote error={actionError} /> : null}
          <div class="facts">
            <span data-testid="host-online">{!h.agent_id ? 'no agent' : h.agent_state === 'revoked' ? 'revoked' : h.online ? 'online' : 'offline'}</span>
            {h.agent_state ? (
              <span>
                agent <b>{h.agent_state}</b>
                {agent.data?.version ? ` ${agent.data.version}` : ''}
              </span>
            ) : null}
            <span>{h.os || 'OS unknown'}</span>
            <span>last seen {h.online ? 'now' : ago(h.last_seen_at)}</span>
            {agent.data ? <span>enrolled {when(agent.data.enrolled_at)}</span> : null}
            <HostTags h={h} onSaved={host.reload} />
          </div>
          <ObjectHistory type="host" id={h.id} version={h.version} />
          <div class="toolbar">
            <select aria-label="Time range" value={range[0]} onChange={(e) => navigate(`/hosts/${hostId}${qs({ range: e.currentTarget.value })}`, true)}>
              {RANGES.map(([k, label]) => (
                <option value={k}>{label}</option>
              ))}
            </select>
          </div>
          <div class="charts">
            {GRAPHS.map((g) => (
              <HostGraph hostId={h.id} graph={g} rangeMs={range[2]} rangeKey={range[0]} />
            ))}
            <NetworkGraphs hostId={h.id} rangeMs={range[2]} rangeKey={range[0]} />
          </div>
          <MetricBrowser hostId={h.id} rangeKey={range[0]} />
          <div class="grid2">
            <section class="card">
              <h2>Inventory</h2>
              <Inventory assetId={h.asset_id} hostId={h.id} />
            </section>
            <section class="card">
              <h2>Monitoring</h2>
              <HostMonitoring host={h} />
            </section>
          </div>
          <div class="grid2">
            <section class="card">
              <h2>Recent problems</h2>
              <HostProblems hostId={h.id} />
            </section>
            <section class="card">
              <h2>Recent tasks</h2>
              <HostTasks hostId={h.id} />
            </section>
          </div>
        </>
      )}
    </Show>
  );
}

function HostGraph({ hostId, graph, rangeMs, rangeKey }: { hostId: string; graph: (typeof GRAPHS)[number]; rangeMs: number; rangeKey: string }) {
  const path = `/api/v1/hosts/${hostId}/metrics${qs({ name: graph.name, labels: graph.labels ? JSON.stringify(graph.labels) : undefined, from: `-${rangeKey}`, max_points: 240 })}`;
  // Short ranges move on their own; long ones are refreshed less often.
  const m = useResource<MetricAnswer>(path, { pollMs: rangeMs <= 3_600_000 ? 10_000 : 60_000 });
  return (
    <section class="card chart-card" data-graph={graph.name}>
      <Show
        r={m}
        what={graph.title}
        empty={(d) => d.series.every((s) => !s.points.length)}
        emptyText={
          <>
            <b>{graph.title}</b>: no data in this range.
          </>
        }
      >
        {(d) =>
          d.series.slice(0, 3).map((s) => {
            const extra = Object.entries(s.labels).filter(([k]) => !graph.labels || !(k in graph.labels));
            const title = extra.length ? `${graph.title} ${extra.map(([, v]) => v).join(' ')}` : graph.title;
            return <BandChart points={s.points} unit={graph.unit} title={title} from={d.from} to={d.to} />;
          })
        }
      </Show>
    </section>
  );
}

/** Inventory is the host's CMDB asset: its fields and components; without one, whether its inventory waits for approval. */
function Inventory({ assetId, hostId }: { assetId: string | null; hostId: string }) {
  const asset = useResource<Record<string, unknown>>(assetId ? `/api/v1/assets/${assetId}` : null);
  // Asked by host, so it is found whatever the queue's length.
  const queued = useResource<{ id: string; match_note: string; created_at: string }[]>(
    assetId ? null : `/api/v1/approvals${qs({ state: 'pending', host_id: hostId, limit: 1 })}`,
  );
  if (!assetId) {
    const mine = queued.data?.[0];
    if (mine) {
      return (
        <p data-testid="asset-approval">
          <span class="badge pending">waiting for approval</span> The agent's inventory matched no asset ({mine.match_note || 'no candidate'}),{' '}
          {ago(mine.created_at)}. <a href="#/cmdb?tab=approvals">Approve it in the CMDB queue</a> to make its asset.
        </p>
      );
    }
    return (
      <p class="state empty" data-testid="asset-approval">
        No asset is linked to this host, and no inventory waits for approval: an agent's first inventory report makes one (or queues it), or link one from the
        CMDB.
      </p>
    );
  }
  return (
    <Show r={asset} what="Inventory" empty={() => false}>
      {(a) => (
        <>
          <p data-testid="asset-approval">
            <a href={`#/cmdb/${assetId}`}>{String(a.tag ?? a.name)}</a> <span class="badge ok">approved</span>{' '}
            <span class="badge">{String(a.state ?? '').replace('_', ' ')}</span>{' '}
            <span class="muted small">
              {String(a.vendor ?? '')} {String(a.model ?? '')}
              {typeof a.memory_bytes === 'number' ? ` · ${bytes(a.memory_bytes)} memory` : ''}
            </span>
          </p>
          <AssetComponents assetId={assetId} />
        </>
      )}
    </Show>
  );
}

/** Network in and out, one chart per interface that moved any bytes in the range (idle ones like ifb0 are left out). */
function NetworkGraphs({ hostId, rangeMs, rangeKey }: { hostId: string; rangeMs: number; rangeKey: string }) {
  const pollMs = rangeMs <= 3_600_000 ? 10_000 : 60_000;
  const q = (name: string) => `/api/v1/hosts/${hostId}/metrics${qs({ name, from: `-${rangeKey}`, max_points: 240 })}`;
  const rx = useResource<MetricAnswer>(q('net.rx_bytes_per_s'), { pollMs });
  const tx = useResource<MetricAnswer>(q('net.tx_bytes_per_s'), { pollMs });
  if (!rx.data && !tx.data) return null;
  const ifaces = new Map<string, { in?: BandPoint[]; out?: BandPoint[] }>();
  for (const [dir, r] of [
    ['in', rx],
    ['out', tx],
  ] as const) {
    for (const s of r.data?.series ?? []) {
      const name = s.labels.iface ?? s.labels.interface ?? 'all';
      const e = ifaces.get(name) ?? {};
      e[dir] = s.points;
      ifaces.set(name, e);
    }
  }
  const active = [...ifaces].filter(([, e]) => [...(e.in ?? []), ...(e.out ?? [])].some((p) => p.max > 0));
  const range = rx.data ?? tx.data!;
  if (!active.length)
    return (
      <section class="card chart-card" data-graph="network">
        <p class="muted">
          <b>Network</b>: no traffic on any interface in this range.
        </p>
      </section>
    );
  return (
    <>
      {active.map(([name, e]) => (
        <section class="card chart-card" data-graph="network" data-iface={name}>
          <Chart
            title={`Network ${name}`}
            unit="B/s"
            from={range.from}
            to={range.to}
            series={[...(e.in ? [{ label: 'in', points: e.in }] : []), ...(e.out ? [{ label: 'out', points: e.out }] : [])]}
          />
        </section>
      ))}
    </>
  );
}

function HostProblems({ hostId }: { hostId: string }) {
  const p = useResource<Problem[]>(`/api/v1/problems${qs({ host_id: hostId, limit: 10 })}`, { pollMs: 10_000 });
  return (
    <Show r={p} what="Problems" emptyText="No problems on this host.">
      {(list) => (
        <ul class="list" data-testid="host-problems">
          {list.map((x) => (
            <li>
              <span class={`sev sev-${x.severity}`}>{x.severity}</span> {x.name}{' '}
              {x.resolved_at ? (
                <span class="badge ok">recovered {ago(x.resolved_at)}</span>
              ) : x.acknowledged_at ? (
                <span class="badge warn">acknowledged</span>
              ) : (
                <span class="badge bad">open</span>
              )}
              <span class="muted small"> · since {ago(x.opened_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </Show>
  );
}

/**
 * What the host is monitored with: built-in collectors its templates run at their own interval, triggers
 * and their state. A trigger reads as its open problem's name, else with this host's macros filled in
 * (the item's value is known only once a problem opens).
 */
function HostMonitoring({ host }: { host: Host }) {
  const hostId = host.id;
  const named = (name: string) => name.replace(/\{HOST\.NAME\}/g, host.hostname).replace(/\{HOST\.ID\}/g, host.id);
  const mon = useResource<HostMonitoringConfig>(`/api/v1/hosts/${hostId}/monitoring`);
  const problems = useResource<Problem[]>(`/api/v1/problems${qs({ host_id: hostId, open: true, limit: 50 })}`, { pollMs: 5000 });
  const open = new Map((problems.data ?? []).map((p) => [p.trigger_ref, p]));
  return (
    <Show
      r={mon}
      what="Monitoring"
      empty={(d) => !d.triggers.length && !d.collectors.length}
      emptyText="No triggers or collectors: link a template to this host in Monitoring."
    >
      {(m) => (
        <>
          <p class="muted small">Templates: {m.templates.map((t) => t.name).join(', ')}</p>
          {m.collectors.length ? (
            <p data-testid="host-collectors">
              Collectors:{' '}
              {m.collectors.map((c, i) => (
                <>
                  {i ? ', ' : ''}
                  <b data-collector={c.name}>{c.name}</b> <span class="muted small">every {c.intervalS} s</span>
                </>
              ))}
              <span class="muted small"> · the others at the agent's default interval</span>
            </p>
          ) : null}
          <ul class="list">
            {m.triggers.map((x) => (
              <li>
                <span class={`sev sev-${x.severity}`}>{x.severity}</span> <span data-testid="trigger-name">{open.get(x.ref)?.name ?? named(x.name)}</span>{' '}
                {open.has(x.ref) ? <span class="badge bad">problem</span> : <span class="badge ok">ok</span>}
                <div class="muted small">
                  <code>{x.expression}</code>
                </div>
              </li>
            ))}
          </ul>
        </>
      )}
    </Show>
  );
}

function HostTasks({ hostId }: { hostId: string }) {
  const t = useResource<Task[]>(`/api/v1/tasks${qs({ host_id: hostId, limit: 10 })}`, { pollMs: 15_000 });
  return (
    <Show r={t} what="Tasks" emptyText="No tasks have run on this host.">
      {(list) => (
        <ul class="list" data-testid="host-tasks">
          {list.map((x) => (
            <li>
              <OutcomeBadge t={x} />{' '}
              <a href={`#/tasks?task=${x.id}`}>
                <code>{x.action.command ?? x.action.argv?.join(' ') ?? (x.action.path ? `push to ${x.action.path}` : x.name || x.id.slice(0, 8))}</code>
              </a>{' '}
              <span class="muted small">· {ago(x.created_at)}</span>
            </li>
          ))}
        </ul>
      )}
    </Show>
  );
}
