/**
 * Problem management: known errors (a root cause shared by incidents) with their status
 * (investigating -> known_error -> resolved, resolved may be reopened), suspected and confirmed
 * cause, workaround and linked incidents. A known error with a rule (a trigger ref, optionally a
 * host group) links each new incident whose problem comes from that trigger on a host of that group.
 */
import { randomUUID } from 'node:crypto';
import { groupsOfHost } from '../cmdb/targets.js';
import { AppError, notFound } from '../errors.js';
import { incidentNotFound, type ProblemRecord } from '../monitor/problem-store.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { hostGroupExists } from '../cmdb/hosts.js';
import { addTimeline } from '../monitor/problem-store.js';

export const KNOWN_ERROR_STATES = ['investigating', 'known_error', 'resolved'] as const;
export type KnownErrorStatus = (typeof KNOWN_ERROR_STATES)[number];

const NEXT: Record<KnownErrorStatus, readonly KnownErrorStatus[]> = {
  investigating: ['known_error', 'resolved'],
  known_error: ['resolved', 'investigating'],
  resolved: ['investigating'],
};
export const canMoveKnownError = (from: KnownErrorStatus, to: KnownErrorStatus): boolean => from === to || NEXT[from].includes(to);

interface KnownErrorRow {
  id: string;
  title: string;
  status: KnownErrorStatus;
  suspected_cause: string;
  root_cause: string;
  workaround: string;
  match_trigger_ref: string | null;
  match_host_group_id: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  resolved_at: Date | null;
  version: number;
}
export type KnownError = RecordOf<KnownErrorRow>;

/** Who linked an incident to a known error ('rule' when linked as it opened), and when. */
interface LinkRow {
  linked_by: string;
  linked_at: Date;
}

interface LinkedIncidentRow extends LinkRow {
  incident_id: string;
  title: string;
  state: string;
  opened_at: Date;
}
export type LinkedIncident = RecordOf<LinkedIncidentRow>;
export type LinkedKnownError = RecordOf<KnownErrorRow & LinkRow>;

export interface KnownErrorFields {
  title?: string;
  status?: KnownErrorStatus;
  suspectedCause?: string;
  rootCause?: string;
  workaround?: string;
  matchTriggerRef?: string | null;
  matchHostGroupId?: string | null;
}

export const knownErrorNotFound = () => notFound('known error', 'KNOWN_ERROR_NOT_FOUND');

export class KnownErrors {
  constructor(private readonly db: Db) {}

  async get(id: string, q: Queryable = this.db): Promise<KnownError> {
    const r = await q.query<KnownErrorRow>('SELECT * FROM itil_known_errors WHERE id = $1', [id]);
    if (!r.rows[0]) throw knownErrorNotFound();
    return recordOf(r.rows[0]);
  }

  async list(f: { status?: KnownErrorStatus }): Promise<KnownError[]> {
    const { rows } = await this.db.query<KnownErrorRow>(
      'SELECT * FROM itil_known_errors WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC, id DESC LIMIT 1000',
      [f.status ?? null],
    );
    return recordsOf(rows);
  }

  /** A new known error; `fromIncident` links that incident and, without a rule given, takes its first problem's trigger as the rule. */
  async create(f: KnownErrorFields & { title: string }, fromIncident: string | undefined, by: string): Promise<KnownError> {
    return this.db.tx(async (q) => {
      let triggerRef = f.matchTriggerRef ?? null;
      if (fromIncident) {
        const first = await q.query<{ trigger_ref: string }>('SELECT trigger_ref FROM monitor_problems WHERE incident_id = $1 ORDER BY opened_at, id LIMIT 1', [
          fromIncident,
        ]);
        if (!(await q.query('SELECT 1 FROM monitor_incidents WHERE id = $1', [fromIncident])).rows.length) {
          throw new AppError('INCIDENT_NOT_FOUND', 'invalid', 'no incident has this id', { field: 'body.from_incident_id' });
        }
        if (f.matchTriggerRef === undefined) triggerRef = first.rows[0]?.trigger_ref ?? null;
      }
      await this.checkGroup(q, f.matchHostGroupId);
      const id = randomUUID();
      await q.query(
        `INSERT INTO itil_known_errors (id, title, status, suspected_cause, root_cause, workaround, match_trigger_ref, match_host_group_id, created_by, resolved_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $3 = 'resolved' THEN now() END)`,
        [id, f.title, f.status ?? 'investigating', f.suspectedCause ?? '', f.rootCause ?? '', f.workaround ?? '', triggerRef, f.matchHostGroupId ?? null, by],
      );
      if (fromIncident) await this.linkIn(q, id, fromIncident, by);
      return this.get(id, q);
    });
  }

  async update(id: string, version: number | undefined, f: KnownErrorFields): Promise<KnownError> {
    return this.db.tx(async (q) => {
      const row = (await q.query<KnownErrorRow>('SELECT * FROM itil_known_errors WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row) throw knownErrorNotFound();
      const cur = recordOf(row);
      if (version !== undefined && version !== cur.version)
        throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the known error changed since you read it');
      if (f.status && !canMoveKnownError(cur.status, f.status)) {
        throw new AppError('KNOWN_ERROR_BAD_TRANSITION', 'conflict', `a known error that is ${cur.status} cannot become ${f.status}`, {
          allowed: NEXT[cur.status],
        });
      }
      if (f.matchHostGroupId !== undefined) await this.checkGroup(q, f.matchHostGroupId);
      const next = { ...cur, ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) } as KnownError;
      const { rows } = await q.query<KnownErrorRow>(
        `UPDATE itil_known_errors SET title = $2, status = $3, suspected_cause = $4, root_cause = $5, workaround = $6, match_trigger_ref = $7,
           match_host_group_id = $8, updated_at = now(), version = version + 1,
           resolved_at = CASE WHEN $3 = 'resolved' THEN COALESCE(resolved_at, now()) ELSE NULL END
         WHERE id = $1 RETURNING *`,
        [id, next.title, next.status, next.suspectedCause, next.rootCause, next.workaround, next.matchTriggerRef, next.matchHostGroupId],
      );
      return recordOf(rows[0]);
    });
  }

  async link(id: string, incidentId: string, by: string): Promise<void> {
    await this.db.tx(async (q) => {
      await this.get(id, q);
      if (!(await q.query('SELECT 1 FROM monitor_incidents WHERE id = $1', [incidentId])).rows.length) throw incidentNotFound();
      await this.linkIn(q, id, incidentId, by);
    });
  }

  async unlink(id: string, incidentId: string, by: string): Promise<void> {
    await this.db.tx(async (q) => {
      const r = await q.query('DELETE FROM itil_known_error_incidents WHERE known_error_id = $1 AND incident_id = $2', [id, incidentId]);
      if (!r.rowCount) throw new AppError('KNOWN_ERROR_LINK_NOT_FOUND', 'not_found', 'this incident is not linked to this known error');
      await addTimeline(q, incidentId, 'known_error_unlinked', by, id);
    });
  }

  async incidentsOf(id: string): Promise<LinkedIncident[]> {
    const { rows } = await this.db.query<LinkedIncidentRow>(
      `SELECT l.incident_id, i.title, i.state, i.opened_at, l.linked_by, l.linked_at FROM itil_known_error_incidents l
       JOIN monitor_incidents i ON i.id = l.incident_id WHERE l.known_error_id = $1 ORDER BY i.opened_at DESC LIMIT 1000`,
      [id],
    );
    return recordsOf(rows);
  }

  async ofIncident(incidentId: string): Promise<LinkedKnownError[]> {
    const { rows } = await this.db.query<KnownErrorRow & LinkRow>(
      `SELECT k.*, l.linked_by, l.linked_at FROM itil_known_error_incidents l JOIN itil_known_errors k ON k.id = l.known_error_id
       WHERE l.incident_id = $1 ORDER BY l.linked_at`,
      [incidentId],
    );
    return recordsOf(rows);
  }

  /** The rule: a problem from a known error's trigger (on a host of its group, if it names one) links its incident. */
  async onProblemOpened(p: ProblemRecord): Promise<void> {
    if (!p.incidentId) return;
    const candidates = recordsOf(
      (await this.db.query<KnownErrorRow>(`SELECT * FROM itil_known_errors WHERE status <> 'resolved' AND match_trigger_ref = $1`, [p.triggerRef])).rows,
    );
    if (!candidates.length) return;
    const groups = candidates.some((k) => k.matchHostGroupId) ? new Set(await groupsOfHost(this.db, p.hostId)) : new Set<string>();
    for (const k of candidates) {
      if (k.matchHostGroupId && !groups.has(k.matchHostGroupId)) continue;
      await this.db.tx((q) => this.linkIn(q, k.id, p.incidentId!, 'rule'));
    }
  }

  private async linkIn(q: Queryable, id: string, incidentId: string, by: string): Promise<void> {
    const r = await q.query('INSERT INTO itil_known_error_incidents (known_error_id, incident_id, linked_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      id,
      incidentId,
      by,
    ]);
    if (r.rowCount) {
      const k = await this.get(id, q);
      await addTimeline(
        q,
        incidentId,
        'known_error_linked',
        by === 'rule' ? 'system' : by,
        `${k.title}${k.workaround ? ` — workaround: ${k.workaround}` : ''}`,
      );
    }
  }

  private async checkGroup(q: Queryable, groupId: string | null | undefined): Promise<void> {
    if (!groupId) return;
    if (!(await hostGroupExists(q, groupId))) {
      throw new AppError('HOST_GROUP_NOT_FOUND', 'invalid', 'no host group has this id', { field: 'body.match_host_group_id' });
    }
  }
}
