/**
 * The asset change log: one row per changed field, append-only (the table's triggers refuse UPDATE,
 * DELETE and TRUNCATE). Writers call `recordChanges` inside the transaction that made the change, so
 * a change and its record commit or vanish together.
 */
import type { Queryable } from '../store/db.js';
import type { Actor, FieldChange } from './asset-fields.js';

export type ChangeAction = 'create' | 'update' | 'delete' | 'transition';

export interface ChangeRow extends FieldChange {
  action: ChangeAction;
  componentId?: string | null;
}

export interface ChangeRecord {
  id: number;
  asset_id: string;
  component_id: string | null;
  action: ChangeAction;
  field: string;
  old_value: unknown;
  new_value: unknown;
  actor_kind: Actor['kind'];
  actor_id: string;
  source: Actor['source'];
  reason: string | null;
  request_id: string | null;
  at: Date;
}

export async function recordChanges(q: Queryable, assetId: string, actor: Actor, rows: readonly ChangeRow[], reason: string | null = null): Promise<void> {
  await recordChangesOf(q, actor, rows.map((r) => ({ ...r, assetId })), reason);
}

/** Inserts the rows, of any number of assets, in one statement (an import writes tens of thousands). */
export async function recordChangesOf(q: Queryable, actor: Actor, rows: readonly (ChangeRow & { assetId: string })[], reason: string | null = null): Promise<void> {
  if (!rows.length) return;
  const payload = rows.map((r) => ({ s: r.assetId, c: r.componentId ?? null, a: r.action, f: r.field, o: r.old ?? null, n: r.new ?? null }));
  await q.query(
    `INSERT INTO asset_changes (asset_id, component_id, action, field, old_value, new_value, actor_kind, actor_id, source, reason, request_id)
     SELECT t.s, t.c, t.a, t.f, t.o, t.n, $2, $3, $4, $5, $6 FROM jsonb_to_recordset($1::jsonb) AS t(s uuid, c uuid, a text, f text, o jsonb, n jsonb)`,
    [JSON.stringify(payload), actor.kind, actor.id, actor.source, reason, actor.requestId ?? null],
  );
}

/** One asset's timeline, oldest first, paged by change id. Deleted assets keep theirs. */
export async function listChanges(q: Queryable, assetId: string, opts: { afterId?: number; limit: number; desc?: boolean }): Promise<ChangeRecord[]> {
  const dir = opts.desc ? 'DESC' : 'ASC';
  const { rows } = await q.query<ChangeRecord>(
    `SELECT id, asset_id, component_id, action, field, old_value, new_value, actor_kind, actor_id, source, reason, request_id, at
     FROM asset_changes WHERE asset_id = $1 AND ($2::bigint IS NULL OR id ${opts.desc ? '<' : '>'} $2) ORDER BY id ${dir} LIMIT $3`,
    [assetId, opts.afterId ?? null, opts.limit + 1],
  );
  return rows;
}
