/**
 * Change management: a change request says what (kinds), why, the risk, a schedule window and the
 * hosts and assets it touches. It is approved by `approvals_required` people, none of them the
 * requester (auth/person.ts: a person, whatever credential they use); one rejection rejects it. While
 * approved and inside its window it admits the tasks, agent upgrades, release rollouts and template
 * and asset edits made under it, each linked to it with what it did;
 * a post-implementation review (succeeded, failed, rolled back, notes) closes it. Change control
 * policies (task_approval_policies.require_change) decide which actions need an approved change.
 */
import { randomUUID } from 'node:crypto';
import { isRequester, type Actor } from '../auth/person.js';
import { AppError, notFound } from '../errors.js';
import { countAssets } from '../cmdb/assets.js';
import { countHosts } from '../cmdb/hosts.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { changeRequiredBy } from '../tasks/approval-policies.js';

export const CHANGE_KINDS = ['task', 'template', 'asset', 'release', 'agent_upgrade', 'other'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** What is done under a change: the kinds it may cover, 'other' aside (a release's object is its rollout). */
export type LinkKind = Exclude<ChangeKind, 'other'>;
export const OUTCOMES = ['succeeded', 'failed', 'rolled_back'] as const;
export type Outcome = (typeof OUTCOMES)[number];

interface ChangeRequestRow {
  id: string;
  title: string;
  kinds: ChangeKind[];
  reason: string;
  risk: 'low' | 'medium' | 'high';
  window_start: Date;
  window_end: Date;
  host_ids: string[];
  asset_ids: string[];
  approvals_required: number;
  state: 'requested' | 'approved' | 'rejected' | 'reviewed';
  requested_by: string;
  requester: string;
  outcome: Outcome | null;
  review_notes: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  created_at: Date;
  version: number;
}
export type ChangeRequest = RecordOf<ChangeRequestRow>;

export interface ChangeDecision {
  name: string;
  decision: 'approved' | 'rejected';
  note: string;
  at: Date;
}

interface ChangeLinkRow {
  kind: LinkKind;
  object_id: string;
  actor: string;
  /** What was done, in words ("transition online -> maintenance", "shop 2.0 to 3 hosts"). */
  note: string;
  at: Date;
}
export type ChangeLink = RecordOf<ChangeLinkRow>;

/** What a new change request says; who asks is given apart. */
export type NewChangeRequest = Pick<
  ChangeRequest,
  'title' | 'kinds' | 'reason' | 'risk' | 'windowStart' | 'windowEnd' | 'hostIds' | 'assetIds' | 'approvalsRequired'
>;

export const changeNotFound = () => notFound('change request', 'CHANGE_NOT_FOUND');

export class ChangeRequests {
  constructor(private readonly db: Db) {}

  async get(id: string, q: Queryable = this.db): Promise<ChangeRequest> {
    const r = await q.query<ChangeRequestRow>('SELECT * FROM itil_changes WHERE id = $1', [id]);
    if (!r.rows[0]) throw changeNotFound();
    return recordOf(r.rows[0]);
  }

  async create(c: NewChangeRequest, by: Actor): Promise<ChangeRequest> {
    if (c.windowEnd <= c.windowStart)
      throw new AppError('VALIDATION_FAILED', 'invalid', 'body.window_end must be after body.window_start', { field: 'body.window_end' });
    return this.db.tx(async (q) => {
      if (c.hostIds.length) {
        if ((await countHosts(q, c.hostIds)) !== new Set(c.hostIds).size)
          throw new AppError('HOST_NOT_FOUND', 'invalid', 'body.host_ids names a host that does not exist', { field: 'body.host_ids' });
      }
      if (c.assetIds.length) {
        if ((await countAssets(q, c.assetIds)) !== new Set(c.assetIds).size)
          throw new AppError('ASSET_NOT_FOUND', 'invalid', 'body.asset_ids names an asset that does not exist', { field: 'body.asset_ids' });
      }
      const { rows } = await q.query<ChangeRequestRow>(
        `INSERT INTO itil_changes (id, title, kinds, reason, risk, window_start, window_end, host_ids, asset_ids, approvals_required, requested_by, requester)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [randomUUID(), c.title, c.kinds, c.reason, c.risk, c.windowStart, c.windowEnd, c.hostIds, c.assetIds, c.approvalsRequired, by.name, by.person],
      );
      return recordOf(rows[0]);
    });
  }

  async list(f: { state?: ChangeRequest['state']; assetId?: string }): Promise<ChangeRequest[]> {
    const { rows } = await this.db.query<ChangeRequestRow>(
      `SELECT * FROM itil_changes c WHERE ($1::text IS NULL OR state = $1)
         AND ($2::uuid IS NULL OR $2 = ANY(c.asset_ids) OR EXISTS (SELECT 1 FROM itil_change_links l WHERE l.change_id = c.id AND l.kind = 'asset' AND l.object_id = $2))
       ORDER BY created_at DESC, id DESC LIMIT 1000`,
      [f.state ?? null, f.assetId ?? null],
    );
    return recordsOf(rows);
  }

  /** Changes whose window overlaps [from, to), by window start: the change calendar. */
  async calendar(from: Date, to: Date): Promise<ChangeRequest[]> {
    const { rows } = await this.db.query<ChangeRequestRow>(
      `SELECT * FROM itil_changes WHERE window_start < $2 AND window_end > $1 AND state <> 'rejected' ORDER BY window_start, id LIMIT 5000`,
      [from, to],
    );
    return recordsOf(rows);
  }

  async decisions(id: string): Promise<ChangeDecision[]> {
    return (await this.db.query<ChangeDecision>('SELECT name, decision, note, at FROM itil_change_decisions WHERE change_id = $1 ORDER BY at', [id])).rows;
  }

  async links(id: string): Promise<ChangeLink[]> {
    const { rows } = await this.db.query<ChangeLinkRow>('SELECT kind, object_id, actor, note, at FROM itil_change_links WHERE change_id = $1 ORDER BY id', [
      id,
    ]);
    return recordsOf(rows);
  }

  /** One person's decision; the change is approved once enough people approved, rejected by any one rejection. */
  async decide(id: string, approve: boolean, actor: Actor, note: string): Promise<ChangeRequest> {
    return this.db.tx(async (q) => {
      const row = (await q.query<ChangeRequestRow>('SELECT * FROM itil_changes WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row) throw changeNotFound();
      const c = recordOf(row);
      if (c.state !== 'requested') throw new AppError('CHANGE_NOT_AWAITING_APPROVAL', 'conflict', `the change is ${c.state}, not awaiting approval`);
      if (isRequester({ name: c.requestedBy, person: c.requester }, actor)) {
        throw new AppError(
          'APPROVER_IS_REQUESTER',
          'forbidden',
          'a change must be decided by another person than the one who asked for it (an API key counts as its owner)',
          { requested_by: c.requestedBy },
        );
      }
      const r = await q.query(
        'INSERT INTO itil_change_decisions (change_id, person, name, decision, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [id, actor.person, actor.name, approve ? 'approved' : 'rejected', note],
      );
      if (!r.rowCount) throw new AppError('CHANGE_ALREADY_DECIDED', 'conflict', 'you decided on this change already; another person must approve it');
      const approvals = Number(
        (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM itil_change_decisions WHERE change_id = $1 AND decision = 'approved'`, [id])).rows[0].n,
      );
      const state = !approve ? 'rejected' : approvals >= c.approvalsRequired ? 'approved' : 'requested';
      return recordOf(
        (await q.query<ChangeRequestRow>('UPDATE itil_changes SET state = $2, version = version + 1 WHERE id = $1 RETURNING *', [id, state])).rows[0],
      );
    });
  }

  async review(id: string, outcome: Outcome, notes: string, by: string): Promise<ChangeRequest> {
    const r = await this.db.query<ChangeRequestRow>(
      `UPDATE itil_changes SET state = 'reviewed', outcome = $2, review_notes = $3, reviewed_by = $4, reviewed_at = now(), version = version + 1
       WHERE id = $1 AND state = 'approved' RETURNING *`,
      [id, outcome, notes, by],
    );
    if (!r.rows[0]) {
      const c = await this.get(id);
      throw new AppError('CHANGE_NOT_APPROVED', 'conflict', `only an approved change can be reviewed; this one is ${c.state}`);
    }
    return recordOf(r.rows[0]);
  }

  /**
   * May this action go ahead under this change? Approved, inside its window, of its kind, and
   * within the hosts and assets it names (when it names any). Throws CHANGE_NOT_USABLE otherwise.
   */
  async admit(id: string, kind: LinkKind, scope: { hostIds?: string[]; assetId?: string }, now = new Date()): Promise<ChangeRequest> {
    const r = await this.db.query<ChangeRequestRow>('SELECT * FROM itil_changes WHERE id = $1', [id]);
    const c = r.rows[0] && recordOf(r.rows[0]);
    const refuse = (why: string) => new AppError('CHANGE_NOT_USABLE', 'conflict', `change ${id} does not cover this: ${why}`, { change_id: id });
    if (!c) throw new AppError('CHANGE_NOT_FOUND', 'invalid', 'no change request has this id', { field: 'change_id' });
    if (c.state !== 'approved') throw refuse(`it is ${c.state}, not approved`);
    if (now < c.windowStart || now >= c.windowEnd) throw refuse(`its window is ${c.windowStart.toISOString()} to ${c.windowEnd.toISOString()}`);
    if (!c.kinds.includes(kind)) throw refuse(`it is for ${c.kinds.join(', ')}, not ${kind}`);
    const outside = (scope.hostIds ?? []).filter((h) => !c.hostIds.includes(h));
    if (c.hostIds.length && outside.length) throw refuse(`${outside.length} of the hosts are not among its hosts`);
    if (scope.assetId && c.assetIds.length && !c.assetIds.includes(scope.assetId)) throw refuse('the asset is not among its assets');
    return c;
  }

  async link(id: string, kind: LinkKind, objectId: string, actor: string, note = '', q: Queryable = this.db): Promise<void> {
    await q.query('INSERT INTO itil_change_links (change_id, kind, object_id, actor, note) VALUES ($1, $2, $3, $4, $5)', [id, kind, objectId, actor, note]);
  }

  /**
   * An edit (template, asset) that may need a change: admitted under `changeId` when given, refused
   * when a policy requires one and none is given. Returns the change to link the edit to, or null.
   */
  async gateEdit(kind: 'template' | 'asset', changeId: string | undefined, scope: { assetId?: string } = {}): Promise<string | null> {
    if (changeId) return (await this.admit(changeId, kind, scope)).id;
    const policies = await changeRequiredBy(this.db, kind);
    if (policies.length) {
      throw new AppError(
        'APPROVED_CHANGE_REQUIRED',
        'invalid',
        `change control (${policies.join(', ')}) requires an approved change request for ${kind} edits: send its id in the X-Change-Id header`,
        { policies },
      );
    }
    return null;
  }
}
