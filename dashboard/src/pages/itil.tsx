/**
 * Service management (docs/itil.md): incidents, the priority matrix and escalation rules, known
 * errors, change requests, releases, services with their availability, and the reports; one tab
 * each (?tab=).
 */
import { navigate, useLocation } from '../router';
import { PageTitle } from '../ui/layout';
import { ChangesTab } from './itil-changes';
import { EscalationTab } from './itil-escalation';
import { IncidentsTab, KnownErrorsTab } from './itil-incidents';
import { ReleasesTab } from './itil-releases';
import { ReportsTab, ServicesTab } from './itil-services';
import type { Me } from '../main';
import './itil.css';

const TABS = [
  ['incidents', 'Incidents'],
  ['escalation', 'Priority & escalation'],
  ['known-errors', 'Known errors'],
  ['changes', 'Changes'],
  ['releases', 'Releases'],
  ['services', 'Services'],
  ['reports', 'Reports'],
] as const;

export function ItilPage({ me }: { me: Me }) {
  const loc = useLocation();
  const tab = loc.query.get('tab') ?? 'incidents';
  const open = loc.query.get('id');
  return (
    <>
      <PageTitle>Service management</PageTitle>
      <div class="tabs" role="tablist" data-testid="itil-tabs">
        {TABS.map(([key, label]) => (
          <button
            type="button"
            role="tab"
            aria-selected={tab === key}
            class={tab === key ? 'active' : ''}
            data-tab={key}
            onClick={() => navigate(`/itil?tab=${key}`)}
          >
            {label}
          </button>
        ))}
      </div>
      {tab === 'incidents' ? <IncidentsTab open={open} me={me} /> : null}
      {tab === 'escalation' ? <EscalationTab /> : null}
      {tab === 'known-errors' ? <KnownErrorsTab /> : null}
      {tab === 'changes' ? <ChangesTab open={open} me={me} /> : null}
      {tab === 'releases' ? <ReleasesTab open={open} /> : null}
      {tab === 'services' ? <ServicesTab open={open} /> : null}
      {tab === 'reports' ? <ReportsTab /> : null}
    </>
  );
}

/** A date-time for an <input type="datetime-local"> (local time, minutes), and back to ISO. */
export const toLocalInput = (t: number) => {
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
export const fromLocalInput = (v: string) => new Date(v).toISOString();

/** Seconds as "1 h 5 min", "45 s". */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined) return '–';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}
