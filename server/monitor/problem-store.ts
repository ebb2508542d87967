/**
 * Problems, incidents and their timelines in Postgres. A trigger instance has at most one open
 * problem (a partial unique index, so two nodes or two evaluations cannot both open it). A new
 * problem joins the active incident of its host, or opens one; when the last problem of an
 * incident recovers, the incident is resolved.
 */
import { randomUUID } from 'node:crypto';
import { AppError, notFound } from '../errors.js';
import type { Level, Priority } from '../itil/priority.js';
import { keyOrder, keyset, timestamp, uuid, type Page } from '../keyset.js';
import type { Db, Queryable } from '../store/db.js';
import { LookupBatcher } from '../store/lookup-batcher.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { canMove, nextStates, type IncidentState } from './incident-state.js';
import { SEVERITIES, severityRank, type Severity } from './trigger-evaluate.js';

/** The orders problems can be listed in (keyset pages). */
export const PROBLEM_ORDER = keyOrder({ sorts: { opened_at: timestamp('opened_at') }, defaultSort: '-opened_at', id: uuid('id') });

/** The orders incidents can be listed in (keyset pages). */
export const INCIDENT_ORDER = keyOrder({ sorts: { opened_at: timestamp('opened_at') }, defaultSort: '-opened_at', id: uuid('id') });

/** A problem as SELECT ${PROBLEM} returns it. */
interface ProblemRow {
  id: string;
  host_id: string;
  /** The host's current name, joined when read (not stored: a renamed host shows its new name). */
  host_name: string | null;
  trigger_ref: string;
  template_id: string | null;
  name: string;
  severity: Severity;
  expression: string;
  opened_at: Date;
  value: number | null;
  resolved_at: Date | null;
  recovery_value: number | null;
  suppressed: boolean;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  incident_id: string | null;
}

export type ProblemRecord = RecordOf<ProblemRow>;

/** An incident as SELECT ${INCIDENT} returns it. */
interface IncidentRow {
  id: string;
  title: string;
  host_id: string | null;
  host_name: string | null;
  severity: Severity;
  state: IncidentState;
  opened_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  closed_at: Date | null;
  version: number;
  // Kept by incident management (server/itil, schema/060_itil_incidents.sql); every incident row has them.
  impact: Level | null;
  urgency: Level | null;
  priority: Priority | null;
  /** Set by a person (or raised by an escalation): a more severe problem no longer recomputes it. */
  priority_manual: boolean;
  assignee_id: string | null;
  /** The first move to acknowledged, however it was made (a database trigger records it). */
  acknowledged_at: Date | null;
}

export type IncidentRecord = RecordOf<IncidentRow>;

/** A timeline entry: the problem's (with its value) or the incident's (with its states and problem). */
interface TimelineRow {
  at: Date;
  kind: string;
  actor: string;
  comment: string;
  from_state?: string | null;
  to_state?: string | null;
  problem_id?: string | null;
  value?: number | null;
}

export type TimelineEntry = RecordOf<TimelineRow>;

export interface NewProblem {
  hostId: string;
  triggerRef: string;
  templateId: string | null;
  name: string;
  severity: Severity;
  expression: string;
  value: number | null;
  suppressed: boolean;
}

/** The host's name beside a row's host_id: one primary-key lookup per returned row, so a page of 50 costs 50 index probes whatever the fleet's size. */
const hostName = (table: string) => `(SELECT h.hostname FROM hosts h WHERE h.id = ${table}.host_id) AS host_name`;
const PROBLEM = `monitor_problems.*, ${hostName('monitor_problems')}`;
const INCIDENT = `monitor_incidents.*, ${hostName('monitor_incidents')}`;

export const problemNotFound = () => notFound('problem', 'PROBLEM_NOT_FOUND');
export const incidentNotFound = () => notFound('incident', 'INCIDENT_NOT_FOUND');

/**
 * Incident management (server/itil) keeps its priority, impact, urgency and assignee on the incident
 * and notes each step on its timeline; it writes them through these, the incident tables' owner.
 */
export async function addTimeline(q: Queryable, incidentId: string, kind: string, actor: string, comment: string): Promise<void> {
  await q.query('INSERT INTO monitor_incident_events (incident_id, kind, actor, comment) VALUES ($1, $2, $3, $4)', [incidentId, kind, actor, comment]);
  // A timeline entry counts as a change of the incident (its ETag).
  await q.query('UPDATE monitor_incidents SET updated_at = now(), version = version + 1 WHERE id = $1', [incidentId]);
}

/** `manual`: a person (or an escalation) set it, so the severity no longer decides it. Impact and urgency stay when not given. */
export async function setIncidentPriority(
  q: Queryable,
  id: string,
  p: { impact?: string; urgency?: string; priority: string; manual: boolean },
): Promise<void> {
  await q.query(
    'UPDATE monitor_incidents SET impact = coalesce($2, impact), urgency = coalesce($3, urgency), priority = $4, priority_manual = priority_manual OR $5 WHERE id = $1',
    [id, p.impact ?? null, p.urgency ?? null, p.priority, p.manual],
  );
}

/** False when there is no such incident. */
export async function setIncidentAssignee(q: Queryable, id: string, userId: string | null): Promise<boolean> {
  return (await q.query('UPDATE monitor_incidents SET assignee_id = $2 WHERE id = $1', [id, userId])).rowCount > 0;
}

/** One incident, undefined when there is none; `lock`: held until the caller's transaction ends. */
export async function findIncident(q: Queryable, id: string, lock = false): Promise<IncidentRecord | undefined> {
  const r = await q.query<IncidentRow>(`SELECT ${INCIDENT} FROM monitor_incidents WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] && recordOf(r.rows[0]);
}

export class ProblemStore {
  constructor(private readonly db: Db) {}

  /** Opens a problem; null when this trigger instance already has an open one. */
  async open(p: NewProblem): Promise<ProblemRecord | null> {
    return this.db.tx(async (q) => {
      const r = await q.query<ProblemRow>(
        `INSERT INTO monitor_problems (id, host_id, trigger_ref, template_id, name, severity, expression, value, suppressed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (host_id, trigger_ref) WHERE resolved_at IS NULL DO NOTHING RETURNING ${PROBLEM}`,
        [randomUUID(), p.hostId, p.triggerRef, p.templateId, p.name, p.severity, p.expression, p.value, p.suppressed],
      );
      if (!r.rows[0]) return null;
      const problem = recordOf(r.rows[0]);
      await q.query(`INSERT INTO monitor_problem_events (problem_id, kind, value) VALUES ($1, 'problem', $2)`, [problem.id, p.value]);
      const active = await q.query<{ id: string; severity: Severity }>(
        `SELECT id, severity FROM monitor_incidents WHERE host_id = $1 AND state IN ('open', 'acknowledged') ORDER BY opened_at DESC LIMIT 1 FOR UPDATE`,
        [p.hostId],
      );
      let incidentId = active.rows[0]?.id;
      if (!incidentId) {
        incidentId = randomUUID();
        await q.query(`INSERT INTO monitor_incidents (id, title, host_id, severity, state) VALUES ($1, $2, $3, $4, 'open')`, [
          incidentId,
          p.name,
          p.hostId,
          p.severity,
        ]);
        await q.query(`INSERT INTO monitor_incident_events (incident_id, kind, to_state, problem_id) VALUES ($1, 'opened', 'open', $2)`, [
          incidentId,
          problem.id,
        ]);
      } else {
        const raise = severityRank(p.severity) > severityRank(active.rows[0].severity);
        await q.query(
          `UPDATE monitor_incidents SET updated_at = now(), version = version + 1${raise ? ', severity = $2' : ''} WHERE id = $1`,
          raise ? [incidentId, p.severity] : [incidentId],
        );
        await q.query(`INSERT INTO monitor_incident_events (incident_id, kind, problem_id, comment) VALUES ($1, 'problem_added', $2, $3)`, [
          incidentId,
          problem.id,
          p.name,
        ]);
      }
      await q.query('UPDATE monitor_problems SET incident_id = $2 WHERE id = $1', [problem.id, incidentId]);
      return { ...problem, incidentId };
    });
  }

  /** Resolves the open problem of a trigger instance; null when none is open. */
  async recover(hostId: string, triggerRef: string, value: number | null): Promise<ProblemRecord | null> {
    return this.db.tx(async (q) => {
      const r = await q.query<ProblemRow>(
        `UPDATE monitor_problems SET resolved_at = now(), recovery_value = $3 WHERE host_id = $1 AND trigger_ref = $2 AND resolved_at IS NULL RETURNING ${PROBLEM}`,
        [hostId, triggerRef, value],
      );
      if (!r.rows[0]) return null;
      const problem = recordOf(r.rows[0]);
      await q.query(`INSERT INTO monitor_problem_events (problem_id, kind, value) VALUES ($1, 'recovery', $2)`, [problem.id, value]);
      if (problem.incidentId) {
        await q.query(`INSERT INTO monitor_incident_events (incident_id, kind, problem_id, comment) VALUES ($1, 'problem_recovered', $2, $3)`, [
          problem.incidentId,
          problem.id,
          problem.name,
        ]);
        const stillOpen = await q.query('SELECT 1 FROM monitor_problems WHERE incident_id = $1 AND resolved_at IS NULL LIMIT 1', [problem.incidentId]);
        if (!stillOpen.rows.length) {
          const moved = await q.query<{ from_state: string }>(
            `UPDATE monitor_incidents i SET state = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
             FROM (SELECT state AS from_state FROM monitor_incidents WHERE id = $1) old
             WHERE i.id = $1 AND i.state IN ('open', 'acknowledged') RETURNING old.from_state`,
            [problem.incidentId],
          );
          if (moved.rows.length) {
            await q.query(
              `INSERT INTO monitor_incident_events (incident_id, kind, from_state, to_state, comment) VALUES ($1, 'state', $2, 'resolved', 'every problem recovered')`,
              [problem.incidentId, moved.rows[0].from_state],
            );
          }
        }
      }
      return problem;
    });
  }

  /** Open problems of a host as trigger refs (what the evaluator starts from after a restart). */
  /** The refs of a host's open problems; asked per host as agents connect, so answered in batches. */
  async openRefs(hostId: string): Promise<Set<string>> {
    return new Set((await this.openRefLookups.get(hostId)) ?? []);
  }

  private readonly openRefLookups = new LookupBatcher(
    async (hostIds: string[]) => {
      const r = await this.db.query<{ host_id: string; trigger_ref: string }>(
        'SELECT host_id::text AS host_id, trigger_ref FROM monitor_problems WHERE host_id = ANY($1::uuid[]) AND resolved_at IS NULL',
        [hostIds],
      );
      const out = new Map<string, string[]>();
      for (const x of r.rows) (out.get(x.host_id) ?? out.set(x.host_id, []).get(x.host_id)!).push(x.trigger_ref);
      return out;
    },
    { maxKeys: 500, maxWaitMs: 5 },
  );

  async get(id: string, q: Queryable = this.db): Promise<ProblemRecord> {
    const r = await q.query<ProblemRow>(`SELECT ${PROBLEM} FROM monitor_problems WHERE id = $1`, [id]);
    if (!r.rows[0]) throw problemNotFound();
    return recordOf(r.rows[0]);
  }

  /** One page of problems (keyset on `page`, one row more than its limit). */
  async list(page: Page, f: { open?: boolean; hostId?: string; severity?: Severity; incidentId?: string; before?: Date }): Promise<ProblemRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.open !== undefined) where.push(f.open ? 'resolved_at IS NULL' : 'resolved_at IS NOT NULL');
    if (f.hostId) where.push(`host_id = $${params.push(f.hostId)}`);
    if (f.severity) where.push(`severity = ANY($${params.push(SEVERITIES.slice(severityRank(f.severity)))})`);
    if (f.incidentId) where.push(`incident_id = $${params.push(f.incidentId)}`);
    if (f.before) where.push(`opened_at < $${params.push(f.before)}`);
    const ks = keyset(page, params);
    const r = await this.db.query<ProblemRow>(
      `SELECT ${PROBLEM} FROM monitor_problems WHERE ${[...where, ks.where].join(' AND ')} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(r.rows);
  }

  /** Open problems per severity, counted in the database (the overview must stay right during a storm of thousands). */
  async openCounts(): Promise<Partial<Record<Severity, number>>> {
    const { rows } = await this.db.query<{ severity: Severity; n: number }>(
      'SELECT severity, count(*)::int AS n FROM monitor_problems WHERE resolved_at IS NULL GROUP BY severity',
    );
    return Object.fromEntries(rows.map((r) => [r.severity, Number(r.n)]));
  }

  async ofIncident(incidentId: string): Promise<ProblemRecord[]> {
    const r = await this.db.query<ProblemRow>(`SELECT ${PROBLEM} FROM monitor_problems WHERE incident_id = $1 ORDER BY opened_at DESC, id DESC`, [incidentId]);
    return recordsOf(r.rows);
  }

  async problemTimeline(id: string): Promise<TimelineEntry[]> {
    const r = await this.db.query<TimelineRow>('SELECT at, kind, actor, comment, value FROM monitor_problem_events WHERE problem_id = $1 ORDER BY id', [id]);
    return recordsOf(r.rows);
  }

  /** Records an acknowledgement (with its comment); the first one also acknowledges the problem's incident. */
  async acknowledge(id: string, actor: string, comment: string): Promise<ProblemRecord> {
    return this.db.tx(async (q) => {
      const problem = await this.get(id, q);
      await q.query(`INSERT INTO monitor_problem_events (problem_id, kind, actor, comment) VALUES ($1, 'acknowledge', $2, $3)`, [id, actor, comment]);
      const r = await q.query<ProblemRow>(
        `UPDATE monitor_problems SET acknowledged_at = COALESCE(acknowledged_at, now()), acknowledged_by = COALESCE(acknowledged_by, $2) WHERE id = $1 RETURNING ${PROBLEM}`,
        [id, actor],
      );
      if (problem.incidentId) {
        const moved = await q.query(
          `UPDATE monitor_incidents SET state = 'acknowledged', updated_at = now(), version = version + 1 WHERE id = $1 AND state = 'open'`,
          [problem.incidentId],
        );
        await q.query(
          `INSERT INTO monitor_incident_events (incident_id, kind, actor, comment, problem_id, from_state, to_state) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          moved.rowCount
            ? [problem.incidentId, 'state', actor, comment, id, 'open', 'acknowledged']
            : [problem.incidentId, 'problem_acknowledged', actor, comment, id, null, null],
        );
      }
      return recordOf(r.rows[0]);
    });
  }

  async getIncident(id: string, q: Queryable = this.db): Promise<IncidentRecord> {
    const incident = await findIncident(q, id);
    if (!incident) throw incidentNotFound();
    return incident;
  }

  /** One page of incidents (keyset on `page`, one row more than its limit). */
  async listIncidents(page: Page, f: { state?: IncidentState; hostId?: string; before?: Date }): Promise<IncidentRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.state) where.push(`state = $${params.push(f.state)}`);
    if (f.hostId) where.push(`host_id = $${params.push(f.hostId)}`);
    if (f.before) where.push(`opened_at < $${params.push(f.before)}`);
    const ks = keyset(page, params);
    const r = await this.db.query<IncidentRow>(
      `SELECT ${INCIDENT} FROM monitor_incidents WHERE ${[...where, ks.where].join(' AND ')} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(r.rows);
  }

  async incidentTimeline(id: string): Promise<TimelineEntry[]> {
    const r = await this.db.query<TimelineRow>(
      'SELECT at, kind, actor, comment, from_state, to_state, problem_id FROM monitor_incident_events WHERE incident_id = $1 ORDER BY id',
      [id],
    );
    return recordsOf(r.rows);
  }

  /** A person moves an incident (or comments, when `to` is undefined); `version` guards against stale edits. */
  async updateIncident(id: string, actor: string, change: { to?: IncidentState; comment: string; version?: number }): Promise<IncidentRecord> {
    return this.db.tx(async (q) => {
      const r = await q.query<{ state: IncidentState; version: number }>('SELECT state, version FROM monitor_incidents WHERE id = $1 FOR UPDATE', [id]);
      const current = r.rows[0];
      if (!current) throw incidentNotFound();
      if (change.version !== undefined && change.version !== current.version)
        throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the incident changed since you read it');
      if (change.to === undefined) {
        await q.query(`INSERT INTO monitor_incident_events (incident_id, kind, actor, comment) VALUES ($1, 'comment', $2, $3)`, [id, actor, change.comment]);
        const commented = await q.query<IncidentRow>(
          `UPDATE monitor_incidents SET updated_at = now(), version = version + 1 WHERE id = $1 RETURNING ${INCIDENT}`,
          [id],
        );
        return recordOf(commented.rows[0]);
      }
      if (!canMove(current.state, change.to)) {
        throw new AppError('INCIDENT_BAD_TRANSITION', 'conflict', `an incident that is ${current.state} cannot become ${change.to}`, {
          allowed: nextStates(current.state),
        });
      }
      const updated = await q.query<IncidentRow>(
        `UPDATE monitor_incidents SET state = $2, updated_at = now(), version = version + 1,
           resolved_at = CASE WHEN $2 = 'resolved' THEN now() WHEN $2 = 'open' THEN NULL ELSE resolved_at END,
           closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE closed_at END
         WHERE id = $1 RETURNING ${INCIDENT}`,
        [id, change.to],
      );
      await q.query(`INSERT INTO monitor_incident_events (incident_id, kind, actor, comment, from_state, to_state) VALUES ($1, 'state', $2, $3, $4, $5)`, [
        id,
        actor,
        change.comment,
        current.state,
        change.to,
      ]);
      return recordOf(updated.rows[0]);
    });
  }
}
