/**
 * Monitoring: open problems (acknowledge with a comment), incidents (moved along with comments),
 * templates (items of every kind, triggers, includes, links to hosts and groups), notification
 * channels (with a test send) and deliveries, maintenance windows. Every list pages with "Load more".
 */
import { useState } from 'preact/hooks';
import { type ApiError, call, qs } from '../api';
import { useLocation } from '../router';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { ErrorNote, Show } from '../ui/states';
import { EditChange, changeHeader } from './change-picker';
import { Channels, IncidentRow, MaintenanceWindows, type Incident } from './alerting';
import { TemplateCard, type Template, type TemplateItem } from './template-editor';

/** Lowest first, as the server ranks them. */
export const SEVERITIES = ['info', 'warning', 'average', 'high', 'disaster'];

export interface Problem {
  id: string;
  host_id: string;
  host_name: string | null;
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

/** The agent's built-in collectors a template item can run (protocol/messages.ts COLLECTORS; the server checks). */
export const COLLECTORS = ['cpu', 'memory', 'load', 'uptime', 'disk', 'filesystem', 'network'];

const TABS = ['problems', 'incidents', 'templates', 'channels', 'deliveries', 'maintenance'] as const;

export function MonitoringPage() {
  const loc = useLocation();
  const [tab, setTab] = useState<(typeof TABS)[number]>('problems');
  const severity = loc.query.get('severity') ?? undefined;
  return (
    <>
      <PageTitle>Monitoring</PageTitle>
      <div class="tabs" role="tablist">
        {TABS.map((t) => (
          <button role="tab" data-tab={t} aria-selected={tab === t} class={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {tab === 'problems' ? <Problems severity={severity} /> : null}
      {tab === 'incidents' ? <Incidents /> : null}
      {tab === 'templates' ? <Templates /> : null}
      {tab === 'channels' ? <Channels /> : null}
      {tab === 'deliveries' ? <Deliveries /> : null}
      {tab === 'maintenance' ? <MaintenanceWindows /> : null}
    </>
  );
}

function Problems({ severity }: { severity?: string }) {
  const problems = usePagedList<Problem>(`/api/v1/problems${qs({ open: true, severity, limit: 100 })}`, { pollMs: 5000 });
  return (
    <section class="card">
      {severity ? (
        <p class="muted small">
          Severity {severity} and above. <a href="#/monitoring">Show all</a>
        </p>
      ) : null}
      <Show r={problems} what="Problems" emptyText="No open problems. All quiet.">
        {(list) => (
          <>
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
                  <ProblemRow key={p.id} p={p} onChange={problems.reload} />
                ))}
              </tbody>
            </table>
            <LoadMore list={problems} what="problems" />
          </>
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
        <span class="phone-only muted small">
          {' '}
          on{' '}
          <a href={`#/hosts/${p.host_id}`} data-testid="problem-host-phone">
            {p.host_name ?? p.host_id.slice(0, 8)}
          </a>
        </span>
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
        <a href={`#/hosts/${p.host_id}`} data-testid="problem-host">
          {p.host_name ?? p.host_id.slice(0, 8)}
        </a>
      </td>
      <td>{ago(p.opened_at)}</td>
      <td>
        {p.acknowledged_at ? (
          <span class="badge ok" data-testid="acked" title={`acknowledged by ${p.acknowledged_by}`}>
            <span class="hide-phone">acknowledged</span>
            <span class="phone-only">ack'd</span>
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
  const list = usePagedList<Incident>('/api/v1/incidents?limit=50', { pollMs: 10_000 });
  return (
    <section class="card">
      <Show r={list} what="Incidents" emptyText="No incidents.">
        {(rows) => (
          <>
            <ul class="list" data-testid="incidents-list">
              {rows.map((i) => (
                <IncidentRow key={i.id} i={i} onChange={list.reload} />
              ))}
            </ul>
            <LoadMore list={list} what="incidents" />
          </>
        )}
      </Show>
    </section>
  );
}

/** Templates are cards: a page of them is already a long scroll. */
const TEMPLATES_PAGE = 25;

/** One change request for every template edit on the tab: templates are edited a click at a time. */
function Templates() {
  const list = usePagedList<Template>(`/api/v1/templates${qs({ limit: TEMPLATES_PAGE })}`);
  const [change, setChange] = useState('');
  return (
    <>
      <NewTemplate change={change} onChange={setChange} onCreated={list.reload} />
      <Show r={list} what="Templates" emptyText="No templates yet. Make one above, then add its items and triggers and link it to hosts.">
        {(rows) => (
          <>
            {rows.map((t) => (
              <TemplateCard key={t.id} t={t} all={rows} change={change} onChange={list.reload} />
            ))}
            <LoadMore list={list} what="templates" />
          </>
        )}
      </Show>
    </>
  );
}

interface CollectorChoice {
  collector: string;
  interval: string;
}

/** A collector from the agent's list and how often it runs. */
function CollectorPicker({ value, onChange, allowNone }: { value: CollectorChoice; onChange(v: CollectorChoice): void; allowNone?: boolean }) {
  return (
    <>
      <select aria-label="Collector" name="collector" value={value.collector} onChange={(e) => onChange({ ...value, collector: e.currentTarget.value })}>
        {allowNone ? <option value="">no collector</option> : null}
        {COLLECTORS.map((c) => (
          <option value={c}>{c}</option>
        ))}
      </select>
      {value.collector ? (
        <label class="inline">
          every
          <input
            class="narrow"
            type="number"
            name="interval_s"
            aria-label="Interval in seconds"
            min={1}
            max={86400}
            required
            value={value.interval}
            onInput={(e) => onChange({ ...value, interval: e.currentTarget.value })}
          />
          s
        </label>
      ) : null}
    </>
  );
}

/** A collector item: its key is the collector's name, so a template names each collector once. */
const collectorItem = (c: CollectorChoice): TemplateItem => ({ key: c.collector, type: 'collector', collector: c.collector, interval_s: Number(c.interval) });

function NewTemplate({ change, onChange, onCreated }: { change: string; onChange(id: string): void; onCreated(): void }) {
  const [name, setName] = useState('');
  const [choice, setChoice] = useState<CollectorChoice>({ collector: 'cpu', interval: '30' });
  const [error, setError] = useState<ApiError>();
  const [created, setCreated] = useState<string>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setCreated(undefined);
    try {
      const t = await call<Template>(
        'POST',
        '/api/v1/templates',
        { name, items: choice.collector ? [collectorItem(choice)] : [], triggers: [] },
        changeHeader(change),
      );
      setCreated(t.data.name);
      setName('');
      onCreated();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <section class="card">
      <EditChange kind="template" value={change} onChange={onChange} />
      <form class="form-row" onSubmit={create} data-testid="template-create">
        <input placeholder="New template name" aria-label="New template name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <CollectorPicker value={choice} onChange={setChoice} allowNone />
        <button class="btn primary">Create template</button>
      </form>
      {created ? (
        <p class="muted small" data-testid="template-created">
          Created template <b>{created}</b>. Add its items and triggers and link it to hosts or groups on its card below.
        </p>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
    </section>
  );
}

interface Delivery {
  id: number;
  event: string;
  state: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

function Deliveries() {
  const list = usePagedList<Delivery>('/api/v1/notification-deliveries?limit=50', { pollMs: 10_000 });
  return (
    <section class="card">
      <Show r={list} what="Notification deliveries" emptyText="Nothing has been sent yet.">
        {(rows) => (
          <>
            <table class="table" data-testid="deliveries-table">
              <thead>
                <tr>
                  <th>Event</th>
                  <th>State</th>
                  <th class="hide-phone">Attempts</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr>
                    <td>{d.event}</td>
                    <td>
                      <span class={`badge ${d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'bad' : ''}`}>{d.state}</span>
                      {d.last_error ? <div class="muted small">{d.last_error}</div> : null}
                    </td>
                    <td class="hide-phone">
                      {d.attempts}
                      {d.last_status !== null ? <span class="muted small"> · HTTP {d.last_status}</span> : null}
                    </td>
                    <td>{ago(d.delivered_at ?? d.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore list={list} what="deliveries" />
          </>
        )}
      </Show>
    </section>
  );
}
