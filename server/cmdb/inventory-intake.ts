/**
 * Takes an agent's inventory report: finds the asset it is about (inventory-match.ts), writes what
 * changed with source "agent", or queues the report for an operator's approval (inventory-match.ts's
 * `intakeDecision`): when no asset matches, when the match is an asset linked to another agent, and
 * whenever the agent is not approved yet. One transaction per report; the matched asset's row is locked
 * so a report and a hand edit of the same asset take turns.
 */
import { randomUUID } from 'node:crypto';
import type { InventoryReport } from '../../protocol/inventory-report.js';
import type { Db, Queryable } from '../store/db.js';
import type { Actor } from './asset-fields.js';
import { componentField, refreshSearchText, type AssetStore } from './assets.js';
import { recordChanges, type ChangeRow } from './change-log.js';
import { diffComponents, reportComponents, reportFields, type HeldComponent } from './inventory-diff.js';
import { intakeDecision, matchInventory, type MatchCandidate } from './inventory-match.js';
import { machineIdentifiers } from './machine-identifiers.js';

export type IntakeOutcome =
  | { kind: 'updated'; assetId: string; changes: number }
  | { kind: 'queued'; approvalId: string; note: string }
  | { kind: 'rejected-before'; approvalId: string };

export const reportIdentifiers = (r: InventoryReport) =>
  machineIdentifiers(
    r.system,
    r.nics.map((n) => n.mac),
  );

export class InventoryIntake {
  constructor(
    private readonly db: Db,
    private readonly assets: AssetStore,
  ) {}

  async intake(agent: { agentId: string; hostId: string }, report: InventoryReport): Promise<IntakeOutcome> {
    return this.db.tx(async (q) => {
      const ids = reportIdentifiers(report);
      const match = matchInventory(agent.agentId, ids, await this.candidates(q, agent.agentId, ids));
      const decision = intakeDecision(match, await agentIsActive(q, agent.agentId));
      if (decision.kind === 'apply') {
        const actor: Actor = { kind: 'agent', id: agent.agentId, source: 'agent' };
        const changes = await this.apply(q, decision.assetId, agent, report, actor);
        // A machine queued before someone registered it by hand needs no approval any more.
        await q.query(
          `UPDATE asset_approvals SET state = 'approved', asset_id = $2, decided_at = now(), decided_by = 'system:matched', updated_at = now(), version = version + 1
           WHERE agent_id = $1 AND state = 'pending'`,
          [agent.agentId, decision.assetId],
        );
        return { kind: 'updated', assetId: decision.assetId, changes };
      }
      const { rows } = await q.query<{ id: string; state: string }>(
        `INSERT INTO asset_approvals (id, agent_id, host_id, state, hostname, serial, system_uuid, machine_id, report, match_note, queue_reasons, proposed_asset_id)
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8::jsonb, $9, $10::text[], $11)
         ON CONFLICT (agent_id) WHERE state IN ('pending', 'rejected') DO UPDATE SET
           report = EXCLUDED.report, hostname = EXCLUDED.hostname, serial = EXCLUDED.serial, system_uuid = EXCLUDED.system_uuid,
           machine_id = EXCLUDED.machine_id, match_note = EXCLUDED.match_note, host_id = EXCLUDED.host_id,
           queue_reasons = EXCLUDED.queue_reasons, proposed_asset_id = EXCLUDED.proposed_asset_id,
           reports = asset_approvals.reports + 1, updated_at = now(), version = asset_approvals.version + 1
         RETURNING id, state`,
        [
          randomUUID(),
          agent.agentId,
          agent.hostId,
          report.system.hostname,
          report.system.serial,
          report.system.uuid,
          report.system.machineId,
          JSON.stringify(report),
          decision.note,
          decision.reasons,
          decision.proposedAssetId,
        ],
      );
      return rows[0].state === 'rejected'
        ? { kind: 'rejected-before', approvalId: rows[0].id }
        : { kind: 'queued', approvalId: rows[0].id, note: decision.note };
    });
  }

  /**
   * Writes a report into an asset: fields the report knows, the agent and host link, and the
   * component diff. Returns the number of change records written. `linkReason` goes on the record of a
   * changed agent link (the approval that allowed it).
   */
  async apply(
    q: Queryable,
    assetId: string,
    agent: { agentId: string; hostId: string | null },
    report: InventoryReport,
    actor: Actor,
    linkReason: string | null = null,
  ): Promise<number> {
    const before = await this.assets.lockLive(q, assetId, null);
    const patch = reportFields(report);
    if (!before.hostId && agent.hostId && !(await hostTaken(q, agent.hostId, assetId))) patch.hostId = agent.hostId;
    const { changes: fieldsChanged } = await this.assets.applyPatch(q, assetId, null, patch, actor, false);
    let written = fieldsChanged.length;
    if (before.agentId !== agent.agentId) {
      await q.query('UPDATE assets SET agent_id = $2, updated_at = now(), version = version + 1 WHERE id = $1', [assetId, agent.agentId]);
      await recordChanges(q, assetId, actor, [{ action: 'update', field: 'agent_id', old: before.agentId, new: agent.agentId }], linkReason);
      written++;
    }
    const held = (await q.query<HeldComponent>('SELECT id, kind, slot, attrs, source FROM asset_components WHERE asset_id = $1', [assetId])).rows;
    const diff = diffComponents(held, reportComponents(report));
    const rows: ChangeRow[] = [];
    for (const c of diff.added) {
      const id = randomUUID();
      // A hand-entered component in the same slot is taken over by the agent's view of it.
      await q.query(`INSERT INTO asset_components (id, asset_id, kind, slot, attrs, source) VALUES ($1, $2, $3, $4, $5::jsonb, 'agent')`, [
        id,
        assetId,
        c.kind,
        c.slot,
        JSON.stringify(c.attrs),
      ]);
      rows.push({ action: 'create', componentId: id, field: componentField(c.kind, c.slot), old: null, new: c.attrs });
    }
    for (const c of diff.removed) {
      await q.query('DELETE FROM asset_components WHERE id = $1', [c.id]);
      rows.push({ action: 'delete', componentId: c.id, field: componentField(c.kind, c.slot), old: c.attrs, new: null });
    }
    for (const c of diff.changed) {
      await q.query(`UPDATE asset_components SET attrs = $2::jsonb, source = 'agent', updated_at = now() WHERE id = $1`, [c.held.id, JSON.stringify(c.attrs)]);
      for (const f of c.changes)
        rows.push({ action: 'update', componentId: c.held.id, field: componentField(c.held.kind, c.held.slot, f.field), old: f.old, new: f.new });
    }
    if (rows.length) {
      if (!written) await this.assets.touch(q, assetId);
      await recordChanges(q, assetId, actor, rows);
      if ([...diff.added, ...diff.removed, ...diff.changed.map((c) => c.held)].some((c) => c.kind === 'nic')) await refreshSearchText(q, [assetId]);
    }
    return written + rows.length;
  }

  private async candidates(q: Queryable, agentId: string, ids: ReturnType<typeof reportIdentifiers>): Promise<MatchCandidate[]> {
    const { rows } = await q.query<{
      id: string;
      agent_id: string | null;
      serial: string | null;
      system_uuid: string | null;
      machine_id: string | null;
      macs: string[];
    }>(
      `SELECT a.id, a.agent_id, a.serial, a.system_uuid, a.machine_id,
         ARRAY(SELECT lower(c.attrs->>'mac') FROM asset_components c WHERE c.asset_id = a.id AND c.kind = 'nic' AND c.attrs->>'mac' IS NOT NULL) AS macs
       FROM assets a
       WHERE a.deleted_at IS NULL AND (a.agent_id = $1 OR lower(a.serial) = $2 OR a.system_uuid = $3 OR a.machine_id = $4
         OR a.id IN (SELECT c.asset_id FROM asset_components c WHERE c.kind = 'nic' AND lower(c.attrs->>'mac') = ANY($5::text[])))
       LIMIT 50`,
      [agentId, ids.serial, ids.uuid, ids.machineId, ids.macs],
    );
    return rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      ids: machineIdentifiers({ serial: r.serial, uuid: r.system_uuid, machineId: r.machine_id }, r.macs),
    }));
  }
}

/** Read in the report's transaction: a pending (or revoked) agent's word changes no asset. */
async function agentIsActive(q: Queryable, agentId: string): Promise<boolean> {
  const { rows } = await q.query<{ state: string }>('SELECT state FROM agents WHERE id = $1', [agentId]);
  return rows[0]?.state === 'active';
}

async function hostTaken(q: Queryable, hostId: string, assetId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM assets WHERE host_id = $1 AND id <> $2 AND deleted_at IS NULL', [hostId, assetId]);
  return rows.length > 0;
}
