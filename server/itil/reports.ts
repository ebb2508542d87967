/**
 * Service management reports (docs/itil.md, "Reports"): flat rows over [from, to), months in UTC, each
 * report with its column order so the API can answer JSON or CSV alike.
 */
import { cellText } from '../cmdb/asset-csv.js';
import { camelName } from '../names.js';
import type { Db } from '../store/db.js';
import { recordsOf, type RecordOf } from '../store/rows.js';

/** A report's rows (records), and its columns in order as the API names them (JSON keys, CSV header). */
export interface Report<R extends object = object> {
  columns: readonly string[];
  rows: R[];
}

interface MttaRow {
  month: string;
  priority: string;
  incidents: number;
  acknowledged: number;
  /** Mean time to acknowledge, over the incidents acknowledged; null when none was. */
  mtta_s: number | null;
  resolved: number;
  /** Mean time to resolve, over the incidents resolved. */
  mttr_s: number | null;
}

interface ServiceIncidentsRow {
  service_id: string;
  service: string;
  incidents: number;
  p1: number;
  p2: number;
  p3: number;
  p4: number;
}

interface ChangeOutcomeRow {
  month: string;
  /** The review's outcome, or the state of a change not reviewed yet. */
  outcome: string;
  changes: number;
}

interface ReleaseRow {
  month: string;
  rollouts: number;
  succeeded: number;
  stopped: number;
  failed: number;
  /** Deploys later undone by a rollback. */
  rolled_back: number;
  /** succeeded / rollouts, in percent; null without rollouts. */
  success_pct: number | null;
}

const MONTH = `to_char(date_trunc('month', %s AT TIME ZONE 'UTC'), 'YYYY-MM')`;
const month = (col: string) => MONTH.replace('%s', col);

export class Reports {
  constructor(private readonly db: Db) {}

  /** MTTA and MTTR per month (of opening) and priority. */
  async mttaMttr(from: Date, to: Date): Promise<Report<RecordOf<MttaRow>>> {
    const { rows } = await this.db.query<MttaRow>(
      `SELECT ${month('opened_at')} AS month, coalesce(priority, 'none') AS priority, count(*)::int AS incidents,
              count(acknowledged_at)::int AS acknowledged, avg(extract(epoch FROM acknowledged_at - opened_at))::float8 AS mtta_s,
              count(resolved_at)::int AS resolved, avg(extract(epoch FROM resolved_at - opened_at))::float8 AS mttr_s
         FROM monitor_incidents WHERE opened_at >= $1 AND opened_at < $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to],
    );
    return { columns: ['month', 'priority', 'incidents', 'acknowledged', 'mtta_s', 'resolved', 'mttr_s'], rows: recordsOf(rows) };
  }

  /** Incidents opened on each service's hosts (an incident on a host of two services counts for both). */
  async incidentsPerService(from: Date, to: Date): Promise<Report<RecordOf<ServiceIncidentsRow>>> {
    const p = (n: number) => `count(i.id) FILTER (WHERE i.priority = 'P${n}')::int AS p${n}`;
    const { rows } = await this.db.query<ServiceIncidentsRow>(
      `SELECT s.id AS service_id, s.name AS service, count(i.id)::int AS incidents, ${[1, 2, 3, 4].map(p).join(', ')}
         FROM itil_services s
         LEFT JOIN monitor_incidents i ON i.host_id = ANY(s.host_ids) AND i.opened_at >= $1 AND i.opened_at < $2
        GROUP BY s.id, s.name ORDER BY s.name`,
      [from, to],
    );
    return { columns: ['service_id', 'service', 'incidents', 'p1', 'p2', 'p3', 'p4'], rows: recordsOf(rows) };
  }

  /** Change requests per month (of request) by review outcome, or state while not reviewed. */
  async changesByOutcome(from: Date, to: Date): Promise<Report<RecordOf<ChangeOutcomeRow>>> {
    const { rows } = await this.db.query<ChangeOutcomeRow>(
      `SELECT ${month('created_at')} AS month, coalesce(outcome, state) AS outcome, count(*)::int AS changes
         FROM itil_changes WHERE created_at >= $1 AND created_at < $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to],
    );
    return { columns: ['month', 'outcome', 'changes'], rows: recordsOf(rows) };
  }

  /** Release rollouts (deploys, finished) per month of their start, and how many succeeded. */
  async releaseSuccess(from: Date, to: Date): Promise<Report<RecordOf<ReleaseRow>>> {
    const { rows } = await this.db.query<ReleaseRow>(
      `SELECT ${month('r.created_at')} AS month, count(*)::int AS rollouts,
              count(*) FILTER (WHERE r.state = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE r.state = 'stopped')::int AS stopped,
              count(*) FILTER (WHERE r.state = 'failed')::int AS failed,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM itil_release_rollouts b WHERE b.undoes = r.id))::int AS rolled_back,
              (100.0 * count(*) FILTER (WHERE r.state = 'succeeded') / count(*))::float8 AS success_pct
         FROM itil_release_rollouts r
        WHERE r.kind = 'deploy' AND r.state <> 'running' AND r.created_at >= $1 AND r.created_at < $2
        GROUP BY 1 ORDER BY 1`,
      [from, to],
    );
    return { columns: ['month', 'rollouts', 'succeeded', 'stopped', 'failed', 'rolled_back', 'success_pct'], rows: recordsOf(rows) };
  }
}

/** The report as CSV: a header of its columns, a line per row (each column read from the record), empty cells for null. */
export function reportToCsv(r: Report): string {
  const fields = r.columns.map(camelName);
  const lines = [r.columns.join(',')];
  for (const row of r.rows as Record<string, unknown>[])
    lines.push(fields.map((f) => (row[f] === null || row[f] === undefined ? '' : cellText(String(row[f])))).join(','));
  return lines.join('\r\n') + '\r\n';
}
