/**
 * The approval queue: inventory reports no asset may take by itself (`queue_reasons`): machines no asset
 * matched, reports matching an asset linked to another agent, and reports of agents not approved yet. An
 * operator approves one (the report joins the asset it matched, or one they name, or else a new asset is
 * made from it) or rejects it (later reports of that agent are kept on the rejected entry and queue nothing).
 */
import { AppError, staleVersion } from '../errors.js';
import { keyOrder, keyset, timestamp, uuid, type Page } from '../keyset.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import type { InventoryReport } from '../../protocol/inventory-report.js';
import type { Actor } from './asset-fields.js';
import type { AssetStore } from './assets.js';
import { guessAssetType, reportFields } from './inventory-diff.js';
import type { InventoryIntake } from './inventory-intake.js';
import type { QueueReason } from './inventory-match.js';

/** The orders approvals can be listed in (keyset pages). */
export const APPROVAL_ORDER = keyOrder({ sorts: { created_at: timestamp('p.created_at') }, defaultSort: 'created_at', id: uuid('p.id') });

export type ApprovalState = 'pending' | 'approved' | 'rejected';

interface ApprovalRow {
  id: string;
  agent_id: string;
  host_id: string | null;
  state: ApprovalState;
  hostname: string;
  serial: string | null;
  system_uuid: string | null;
  machine_id: string | null;
  report: InventoryReport;
  match_note: string;
  queue_reasons: QueueReason[];
  /** The asset the report matched: approving links the agent to it (taking it from another agent if need be). */
  proposed_asset_id: string | null;
  reports: number;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  reason: string | null;
  asset_id: string | null;
  version: number;
}
export type ApprovalRecord = RecordOf<ApprovalRow>;

const COLUMNS = `p.id, p.agent_id, p.host_id, p.state, p.hostname, p.serial, p.system_uuid, p.machine_id, p.report, p.match_note, p.queue_reasons, p.proposed_asset_id, p.reports,
  p.created_at, p.updated_at, p.decided_at, p.decided_by, p.reason, p.asset_id, p.version`;

export const approvalNotFound = () => new AppError('APPROVAL_NOT_FOUND', 'not_found', 'approval not found');

export class ApprovalQueue {
  constructor(
    private readonly db: Db,
    private readonly assets: AssetStore,
    private readonly intake: InventoryIntake,
  ) {}

  /** A page of the queue, by state and/or host (a host page finds its own entry however long the queue). */
  async list(page: Page, filter: { state?: ApprovalState; hostId?: string } = {}): Promise<ApprovalRecord[]> {
    const params: unknown[] = [filter.state ?? null, filter.hostId ?? null];
    const ks = keyset(page, params);
    const { rows } = await this.db.query<ApprovalRow>(
      `SELECT ${COLUMNS} FROM asset_approvals p WHERE ($1::text IS NULL OR p.state = $1) AND ($2::uuid IS NULL OR p.host_id = $2) AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
      params,
    );
    return recordsOf(rows);
  }

  /** Machines whose inventory waits for a decision (the overview's figure). */
  async pendingCount(): Promise<number> {
    return (await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM asset_approvals WHERE state = 'pending'`)).rows[0].n;
  }

  async get(id: string, q: Queryable = this.db, lock = false): Promise<ApprovalRecord> {
    const { rows } = await q.query<ApprovalRow>(`SELECT ${COLUMNS} FROM asset_approvals p WHERE p.id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!rows[0]) throw approvalNotFound();
    return recordOf(rows[0]);
  }

  /**
   * Joins the report to `assetId`, else to the asset it matched, else makes an asset from it; the asset
   * ends up linked to the reporting agent (and its host, when the asset has none).
   */
  async approve(id: string, expected: number, opts: { name?: string; type?: string; assetId?: string }, actor: Actor): Promise<ApprovalRecord> {
    return this.db.tx(async (q) => {
      const p = await this.pending(q, id, expected);
      const agent = { agentId: p.agentId, hostId: p.hostId };
      const fromReport: Actor = { ...actor, source: 'agent' };
      let assetId = opts.assetId ?? p.proposedAssetId ?? undefined;
      if (!assetId) {
        const hostFree = p.hostId && !(await q.query('SELECT 1 FROM assets WHERE host_id = $1 AND deleted_at IS NULL', [p.hostId])).rows.length;
        const created = await this.assets.create(
          {
            ...reportFields(p.report),
            type: opts.type ?? guessAssetType(p.report),
            name: opts.name ?? (p.hostname || p.report.system.serial || 'discovered'),
            hostId: hostFree ? p.hostId : null,
          },
          fromReport,
          { state: 'online', agentId: p.agentId, q },
        );
        assetId = created.id;
      }
      await this.intake.apply(q, assetId, agent, p.report, fromReport, `approval ${id}: ${p.queueReasons.join(', ')}`);
      await q.query(
        `UPDATE asset_approvals SET state = 'approved', asset_id = $2, decided_at = now(), decided_by = $3, updated_at = now(), version = version + 1 WHERE id = $1`,
        [id, assetId, `${actor.kind}:${actor.id}`],
      );
      return this.get(id, q);
    });
  }

  async reject(id: string, expected: number, reason: string, actor: Actor): Promise<ApprovalRecord> {
    return this.db.tx(async (q) => {
      await this.pending(q, id, expected);
      await q.query(
        `UPDATE asset_approvals SET state = 'rejected', reason = $2, decided_at = now(), decided_by = $3, updated_at = now(), version = version + 1 WHERE id = $1`,
        [id, reason, `${actor.kind}:${actor.id}`],
      );
      return this.get(id, q);
    });
  }

  private async pending(q: Queryable, id: string, expected: number): Promise<ApprovalRecord> {
    const p = await this.get(id, q, true);
    if (p.version !== expected) throw staleVersion(p.version);
    if (p.state !== 'pending') throw new AppError('APPROVAL_DECIDED', 'conflict', `the approval was ${p.state} already`);
    return p;
  }
}
