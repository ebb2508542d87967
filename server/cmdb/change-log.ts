/**
 * The asset change log, one case of the object change log (server/history/object-changes.ts): each
 * statement that changes an asset is one object change whose before/after hold the fields it changed,
 * and its field rows here (append-only: the table's triggers refuse UPDATE, DELETE and TRUNCATE) name
 * that change. Writers call `recordChanges` inside the transaction that made the change, so a change
 * and its records commit or vanish together.
 */
import { changeOf, recordObjectChanges } from '../history/object-changes.js';
import type { Queryable } from '../store/db.js';
import { recordsOf, type RecordOf } from '../store/rows.js';
import type { Actor, FieldChange } from './asset-fields.js';

export type ChangeAction = 'create' | 'update' | 'delete' | 'transition';

export interface ChangeRow extends FieldChange {
  action: ChangeAction;
  componentId?: string | null;
}

/** A row of asset_changes as SQL returns it. */
interface AssetChangeRow {
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
export type ChangeRecord = RecordOf<AssetChangeRow>;

export async function recordChanges(q: Queryable, assetId: string, actor: Actor, rows: readonly ChangeRow[], reason: string | null = null): Promise<void> {
  await recordChangesOf(
    q,
    actor,
    rows.map((r) => ({ ...r, assetId })),
    reason,
  );
}

/** Inserts the rows, of any number of assets, in two statements (an import writes tens of thousands). */
export async function recordChangesOf(
  q: Queryable,
  actor: Actor,
  rows: readonly (ChangeRow & { assetId: string })[],
  reason: string | null = null,
): Promise<void> {
  if (!rows.length) return;
  const byAsset = new Map<string, (ChangeRow & { assetId: string })[]>();
  for (const r of rows) byAsset.set(r.assetId, [...(byAsset.get(r.assetId) ?? []), r]);
  const assetIds = [...byAsset.keys()];
  const changeIds = await recordObjectChanges(
    q,
    actor,
    assetIds.map((id) => assetChange(id, byAsset.get(id)!)),
  );
  const changeOfAsset = new Map(assetIds.map((id, i) => [id, changeIds[i]]));
  const payload = rows.map((r) => ({
    k: changeOfAsset.get(r.assetId),
    s: r.assetId,
    c: r.componentId ?? null,
    a: r.action,
    f: r.field,
    o: r.old ?? null,
    n: r.new ?? null,
  }));
  await q.query(
    `INSERT INTO asset_changes (change_id, asset_id, component_id, action, field, old_value, new_value, actor_kind, actor_id, source, reason, request_id)
     SELECT t.k, t.s, t.c, t.a, t.f, t.o, t.n, $2, $3, $4, $5, $6 FROM jsonb_to_recordset($1::jsonb) AS t(k bigint, s uuid, c uuid, a text, f text, o jsonb, n jsonb)`,
    [JSON.stringify(payload), actor.kind, actor.id, actor.source, reason, actor.requestId ?? null],
  );
}

/**
 * One statement's field rows as an object change: the asset's own create or delete is one, anything
 * else (fields, a transition, a component added or removed) an update; before/after hold the fields.
 */
function assetChange(assetId: string, rows: readonly ChangeRow[]) {
  const own = (action: ChangeAction) => rows.some((r) => r.action === action && !r.componentId);
  const fields = (side: 'old' | 'new') => Object.fromEntries(rows.map((r) => [r.field, r[side] ?? null]));
  return changeOf('asset', assetId, own('create') ? null : fields('old'), own('delete') ? null : fields('new'));
}

/** One asset's timeline, oldest first, paged by change id. Deleted assets keep theirs. */
export async function listChanges(q: Queryable, assetId: string, opts: { afterId?: number; limit: number; desc?: boolean }): Promise<ChangeRecord[]> {
  const dir = opts.desc ? 'DESC' : 'ASC';
  const { rows } = await q.query<AssetChangeRow>(
    `SELECT id, asset_id, component_id, action, field, old_value, new_value, actor_kind, actor_id, source, reason, request_id, at
     FROM asset_changes WHERE asset_id = $1 AND ($2::bigint IS NULL OR id ${opts.desc ? '<' : '>'} $2) ORDER BY id ${dir} LIMIT $3`,
    [assetId, opts.afterId ?? null, opts.limit + 1],
  );
  return recordsOf(rows);
}
