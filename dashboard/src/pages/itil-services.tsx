/** Services with their availability per day against the SLA line, and the service management reports. */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { type ApiError, call, download, qs } from '../api';
import { navigate } from '../router';
import { ErrorNote, Show } from '../ui/states';
import { type Resource, useResource } from '../ui/use-resource';
import { HostPickList } from './host-pick-list';
import { useHostPicker } from './host-picker';
import { duration } from './itil';
import { BarChart } from './itil-charts';
import { PriorityBadge } from './itil-incidents';

interface Service {
  id: string;
  name: string;
  description: string;
  host_ids: string[];
  check_keys: string[];
  up_when: string;
  sla_target: number;
}
interface PeriodAvailability {
  start: string;
  up_s: number;
  down_s: number;
  unknown_s: number;
  availability_pct: number | null;
  met: boolean | null;
  resolution_s: number;
  incidents: Array<{ id: string; title: string; priority: string | null; down_overlap_s: number }>;
}
interface Availability {
  service: Service;
  periods: PeriodAvailability[];
  total: { availability_pct: number | null; met: boolean | null; down_s: number; unknown_s: number };
}
const KEY = '[a-zA-Z_][a-zA-Z0-9_]{0,63}';
const pct = (v: number | null) => (v === null ? '–' : `${Number(v.toFixed(3))} %`);

export function ServicesTab({ open }: { open: string | null }) {
  const list = useResource<Service[]>('/api/v1/services');
  return (
    <>
      {open ? <AvailabilityCard id={open} /> : null}
      <ServiceForm onDone={list.reload} />
      <section class="card">
        <h2>Services</h2>
        <Show r={list} what="Services">
          {(rows) => (
            <table class="table" data-testid="services">
              <thead>
                <tr>
                  <th>Service</th>
                  <th>Checks</th>
                  <th>Hosts</th>
                  <th>Up when</th>
                  <th>SLA</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((s) => (
                  <tr>
                    <td>
                      <a href={`#/itil?tab=services&id=${s.id}`}>{s.name}</a>
                    </td>
                    <td>
                      <code>{s.check_keys.join(', ')}</code>
                    </td>
                    <td>{s.host_ids.length}</td>
                    <td>{s.up_when === 'all' ? 'every check is up' : 'any check is up'}</td>
                    <td>{s.sla_target} %</td>
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

/** Checks what the API checks: a name, check keys as item keys, a target in (0, 100], at least one host. */
function ServiceForm({ onDone }: { onDone(): void }) {
  const [name, setName] = useState('');
  const [keys, setKeys] = useState('');
  const [target, setTarget] = useState('99.9');
  const [upWhen, setUpWhen] = useState('all');
  const picker = useHostPicker();
  const { picked } = picker;
  const [error, setError] = useState<ApiError>();
  const [problem, setProblem] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const checkKeys = keys.split(/[\s,]+/).filter(Boolean);
    if (!picked.size) return setProblem('Pick at least one host.');
    if (!checkKeys.length || checkKeys.some((k) => !new RegExp(`^${KEY}$`).test(k)))
      return setProblem('Check keys are item keys: letters, digits and _, not starting with a digit.');
    setProblem('');
    try {
      const a = await call<Service>('POST', '/api/v1/services', {
        name,
        host_ids: [...picked.keys()],
        check_keys: checkKeys,
        up_when: upWhen,
        sla_target: Number(target),
      });
      onDone();
      navigate(`/itil?tab=services&id=${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section class="card">
      <h2>Define a service</h2>
      <form onSubmit={submit} data-testid="service-form">
        <div class="form-row">
          <input
            aria-label="Name"
            placeholder="Name, e.g. checkout API"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
            maxLength={200}
          />
          <input aria-label="Check keys" placeholder="Check keys, e.g. http_checkout" value={keys} onInput={(e) => setKeys(e.currentTarget.value)} required />
          <label class="inline">
            SLA %{' '}
            <input
              type="number"
              aria-label="SLA target"
              min={0.001}
              max={100}
              step={0.001}
              value={target}
              onInput={(e) => setTarget(e.currentTarget.value)}
              required
            />
          </label>
          <select aria-label="Up when" value={upWhen} onChange={(e) => setUpWhen(e.currentTarget.value)}>
            <option value="all">up when every check is up</option>
            <option value="any">up when any check is up (redundant)</option>
          </select>
        </div>
        <HostPickList picker={picker} summary={(names) => `${names.length} host(s): ${names.slice(0, 5).join(', ')}`} />
        <button class="btn primary">Define</button>
        {problem ? (
          <div class="state error" role="alert">
            {problem}
          </div>
        ) : null}
      </form>
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

function AvailabilityCard({ id }: { id: string }) {
  const [period, setPeriod] = useState('day');
  const r = useResource<Availability>(`/api/v1/services/${id}/availability${qs({ period })}`);
  return (
    <section class="card highlight" data-testid="availability-card">
      <Show r={r} what="Availability">
        {(a) => <AvailabilityView a={a} period={period} setPeriod={setPeriod} />}
      </Show>
    </section>
  );
}

function AvailabilityView({ a, period, setPeriod }: { a: Availability; period: string; setPeriod(p: string): void }) {
  const labels = useMemo(() => a.periods.map((p) => p.start.slice(period === 'month' ? 0 : 5, period === 'month' ? 7 : 10)), [a, period]);
  const series = useMemo(() => [{ label: 'availability', color: '--accent', values: a.periods.map((p) => p.availability_pct) }], [a]);
  const target = useMemo(() => ({ label: 'SLA', value: a.service.sla_target }), [a]);
  const low = Math.min(a.service.sla_target, ...a.periods.map((p) => p.availability_pct ?? 100));
  const yRange = useMemo(() => [Math.max(0, Math.floor(low - 1)), 100] as [number, number], [low]);
  const costly = a.periods.flatMap((p) => p.incidents.map((i) => ({ ...i, start: p.start })));
  return (
    <>
      <div class="form-row">
        <h2>{a.service.name}</h2>
        <span class={`badge ${a.total.met === false ? 'bad' : a.total.met ? 'ok' : ''}`} data-testid="availability-total">
          {pct(a.total.availability_pct)}
        </span>
        <span class="muted small">
          SLA {a.service.sla_target} %, down {duration(a.total.down_s)}, unknown {duration(a.total.unknown_s)}
        </span>
        <select aria-label="Period" value={period} onChange={(e) => setPeriod(e.currentTarget.value)}>
          <option value="day">per day (30 days)</option>
          <option value="week">per week (12 weeks)</option>
          <option value="month">per month (12 months)</option>
        </select>
        <button class="btn ghost small" onClick={() => navigate('/itil?tab=services')}>
          Close
        </button>
      </div>
      <BarChart
        title={`Availability per ${period} against the SLA`}
        labels={labels}
        series={series}
        target={target}
        unit="%"
        yRange={yRange}
        testId="availability-chart"
      />
      <h3>Incidents that cost it</h3>
      {costly.length ? (
        <table class="table" data-testid="costly-incidents">
          <thead>
            <tr>
              <th>Priority</th>
              <th>Incident</th>
              <th>In</th>
              <th>Down while open</th>
            </tr>
          </thead>
          <tbody>
            {costly.map((i) => (
              <tr>
                <td>
                  <PriorityBadge p={i.priority} />
                </td>
                <td>
                  <a href={`#/itil?tab=incidents&id=${i.id}`}>{i.title}</a>
                </td>
                <td>{i.start.slice(0, 10)}</td>
                <td>{duration(i.down_overlap_s)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">None.</p>
      )}
    </>
  );
}

interface MttaRow {
  month: string;
  priority: string;
  incidents: number;
  mtta_s: number | null;
  mttr_s: number | null;
}
interface ServiceRow {
  service: string;
  incidents: number;
  p1: number;
  p2: number;
  p3: number;
  p4: number;
}
interface OutcomeRow {
  month: string;
  outcome: string;
  changes: number;
}
interface ReleaseRow {
  month: string;
  rollouts: number;
  succeeded: number;
  success_pct: number | null;
}

const PRIORITY_COLOURS: Record<string, string> = { P1: '--bad', P2: '--warn', P3: '--info', P4: '--muted', none: '--border' };
const OUTCOME_COLOURS: Record<string, string> = {
  succeeded: '--ok',
  failed: '--bad',
  rolled_back: '--warn',
  rejected: '--muted',
  requested: '--info',
  approved: '--accent',
};

/** Rows keyed by (month, group) as one bar series per group over the months. */
function pivot<R extends { month: string }>(rows: R[], group: (r: R) => string, value: (r: R) => number | null, colours: Record<string, string>) {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const groups = [...new Set(rows.map(group))].sort();
  return {
    labels: months,
    series: groups.map((g) => ({
      label: g,
      color: colours[g] ?? '--accent',
      values: months.map((m) => {
        const r = rows.find((x) => x.month === m && group(x) === g);
        return r ? value(r) : null;
      }),
    })),
  };
}

/** One report: its title, its CSV download, its chart once the rows are in. */
function ReportCard<T>({
  title,
  csv,
  r,
  what,
  onError,
  children,
}: {
  title: string;
  csv: string;
  r: Resource<T>;
  what: string;
  onError: (err: ApiError) => void;
  children: (rows: T) => ComponentChildren;
}) {
  return (
    <section class="card">
      <div class="form-row">
        <h2>{title}</h2>
        <button
          class="btn ghost small"
          onClick={() => download(`/api/v1/itil/reports/${csv}?format=csv`, `${csv}.csv`).catch((err) => onError(err as ApiError))}
        >
          CSV
        </button>
      </div>
      <Show r={r} what={what}>
        {children}
      </Show>
    </section>
  );
}

export function ReportsTab() {
  const mtta = useResource<MttaRow[]>('/api/v1/itil/reports/mtta-mttr');
  const perService = useResource<ServiceRow[]>('/api/v1/itil/reports/incidents-per-service');
  const outcomes = useResource<OutcomeRow[]>('/api/v1/itil/reports/changes-by-outcome');
  const releases = useResource<ReleaseRow[]>('/api/v1/itil/reports/release-success');
  const [error, setError] = useState<ApiError>();
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      <div class="grid2">
        <ReportCard title="Mean time to acknowledge (min)" csv="mtta-mttr" r={mtta} what="Incidents" onError={setError}>
          {(rows) => {
            const p = pivot(
              rows,
              (r) => r.priority,
              (r) => (r.mtta_s === null ? null : r.mtta_s / 60),
              PRIORITY_COLOURS,
            );
            return <BarChart title="per month and priority" {...p} testId="report-mtta" />;
          }}
        </ReportCard>
        <ReportCard title="Mean time to resolve (h)" csv="mtta-mttr" r={mtta} what="Incidents" onError={setError}>
          {(rows) => {
            const p = pivot(
              rows,
              (r) => r.priority,
              (r) => (r.mttr_s === null ? null : r.mttr_s / 3600),
              PRIORITY_COLOURS,
            );
            return <BarChart title="per month and priority" {...p} testId="report-mttr" />;
          }}
        </ReportCard>
        <ReportCard title="Incidents per service" csv="incidents-per-service" r={perService} what="Services" onError={setError}>
          {(rows) => (
            <BarChart
              title="last 12 months, by priority"
              labels={rows.map((r) => r.service)}
              testId="report-services"
              series={(['p1', 'p2', 'p3', 'p4'] as const).map((k) => ({
                label: k.toUpperCase(),
                color: PRIORITY_COLOURS[k.toUpperCase()],
                values: rows.map((r) => r[k]),
              }))}
            />
          )}
        </ReportCard>
        <ReportCard title="Changes by outcome" csv="changes-by-outcome" r={outcomes} what="Changes" onError={setError}>
          {(rows) => {
            const p = pivot(
              rows,
              (r) => r.outcome,
              (r) => r.changes,
              OUTCOME_COLOURS,
            );
            return <BarChart title="per month" {...p} testId="report-changes" />;
          }}
        </ReportCard>
        <ReportCard title="Release success rate" csv="release-success" r={releases} what="Rollouts" onError={setError}>
          {(rows) => (
            <BarChart
              title="finished rollouts that succeeded, per month"
              labels={rows.map((r) => r.month)}
              unit="%"
              yRange={[0, 100]}
              testId="report-releases"
              series={[{ label: 'success', color: '--ok', values: rows.map((r) => r.success_pct) }]}
            />
          )}
        </ReportCard>
      </div>
    </>
  );
}
