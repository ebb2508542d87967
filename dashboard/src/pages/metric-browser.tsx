/**
 * Every series a host sends (built-in collectors, plugin and check results, Telegraf fields):
 * search the names (GET /api/v1/hosts/:id/metric-names), pick any, and they are drawn together on
 * one chart, each series of each name a line, with its min / max / mean. The unit follows the
 * name (_pct, _bytes, _per_s), so a chart mixes names of one unit best.
 */
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { Chart, type BandPoint } from '../ui/band-chart';
import { unitOf } from '../ui/format';
import { ErrorNote } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface MetricAnswer {
  from: number;
  to: number;
  series: { labels: Record<string, string>; points: BandPoint[] }[];
}

const MAX_PICKED = 6;

export function MetricBrowser({ hostId, rangeKey }: { hostId: string; rangeKey: string }) {
  const names = useResource<string[]>(`/api/v1/hosts/${hostId}/metric-names`);
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const found = (names.data ?? []).filter((n) => !picked.includes(n) && words.every((w) => n.toLowerCase().includes(w))).slice(0, 30);
  const toggle = (n: string) => setPicked(picked.includes(n) ? picked.filter((x) => x !== n) : [...picked, n].slice(-MAX_PICKED));
  return (
    <section class="card" data-testid="metric-browser">
      <h2>Metric browser</h2>
      {names.error ? <ErrorNote error={names.error} retry={names.reload} /> : null}
      <div class="toolbar">
        <input
          class="search"
          type="search"
          aria-label="Search this host's metrics"
          placeholder={`Search ${names.data?.length ?? ''} metrics`}
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        {picked.map((n) => (
          <button class="btn small" data-picked={n} onClick={() => toggle(n)} title="Remove from the chart">
            {n} ✕
          </button>
        ))}
      </div>
      <ul class="list metric-names" data-testid="metric-names">
        {found.map((n) => (
          <li>
            <button class="btn ghost small" data-metric={n} onClick={() => toggle(n)}>
              + {n}
            </button>
          </li>
        ))}
        {names.data && !found.length ? <li class="muted small">No metric matches.</li> : null}
      </ul>
      {picked.length ? (
        <PickedChart key={picked.join('|')} hostId={hostId} names={picked} rangeKey={rangeKey} />
      ) : (
        <p class="muted small">Pick metrics to draw them on one chart (up to {MAX_PICKED}).</p>
      )}
    </section>
  );
}

function PickedChart({ hostId, names, rangeKey }: { hostId: string; names: string[]; rangeKey: string }) {
  // One read per name; each answers every series of that name. Keyed by the names, so the hooks stay in order.
  const answers = names.map(
    (n) =>
      [n, useResource<MetricAnswer>(`/api/v1/hosts/${hostId}/metrics${qs({ name: n, from: `-${rangeKey}`, max_points: 240 })}`, { pollMs: 30_000 })] as const,
  );
  const ready = answers.filter(([, r]) => r.data);
  if (!ready.length) return <p class="muted small">Loading…</p>;
  const first = ready[0][1].data!;
  const series = ready.flatMap(([n, r]) =>
    r.data!.series.map((s) => {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return { label: labels ? `${n}{${labels}}` : n, points: s.points };
    }),
  );
  const units = [...new Set(names.map(unitOf))];
  return (
    <Chart
      title={names.join(', ')}
      unit={units.length === 1 ? units[0] : undefined}
      from={first.from}
      to={first.to}
      series={series.slice(0, 12)}
      height={220}
    />
  );
}
