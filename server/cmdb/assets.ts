/**
 * The asset store: create, read, list, change, transition and delete assets and their components,
 * each change with its change records in the same transaction. Optimistic concurrency: writers name
 * the version they read; the row is locked, the version compared, and a stale one is a 412.
 */
import { randomUUID } from 'node:crypto';
import { AppError, staleVersion } from '../errors.js';
import { keyOrder, keyset, text, timestamp, uuid, type Page } from '../keyset.js';
import type { Db, Queryable, TxStep } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import {
  assetFieldChanges,
  EDITABLE_FIELDS,
  emptyFields,
  fieldKey,
  type FieldChange,
  normalTags,
  normalText,
  TEXT_FIELDS,
  type Actor,
  type AssetColumns,
  type AssetFields,
  type EditableField,
} from './asset-fields.js';
import { checkTransition, INITIAL_STATES, type AssetState } from './asset-states.js';
import type { AssetTypeRegistry } from './asset-types.js';
import { listChanges, recordChanges, recordChangesOf, type ChangeRecord, type ChangeRow } from './change-log.js';

/** The orders assets can be listed in (keyset pages). */
export const ASSET_ORDER = keyOrder({
  sorts: { tag: text('a.tag'), name: text('a.name'), created_at: timestamp('a.created_at'), updated_at: timestamp('a.updated_at') },
  defaultSort: 'tag',
  id: uuid('a.id'),
});

export const COMPONENT_KINDS = ['cpu', 'memory', 'disk', 'nic', 'raid', 'psu', 'gpu'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

/** An asset row as ASSET_COLUMNS reads it. */
interface AssetRow extends AssetColumns {
  id: string;
  tag: string;
  state: AssetState;
  agent_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  version: number;
}
export type AssetRecord = RecordOf<AssetRow>;

interface ComponentRow {
  id: string;
  asset_id: string;
  kind: ComponentKind;
  slot: string;
  attrs: Record<string, unknown>;
  source: Actor['source'];
  created_at: Date;
  updated_at: Date;
}
export type ComponentRecord = RecordOf<ComponentRow>;

const COMPONENT_COLUMNS = 'id, asset_id, kind, slot, attrs, source, created_at, updated_at';

export const ASSET_COLUMNS = `a.id, a.tag, a.type, a.name, a.state, a.vendor, a.model, a.serial, a.system_uuid, a.machine_id, a.hostname, a.os_name,
  a.os_version, a.kernel, a.arch, a.memory_bytes, a.idc, a.rack, a.rack_unit, a.owner, a.business_unit, a.supplier, a.contract,
  a.purchase_date::text AS purchase_date, a.warranty_until::text AS warranty_until, a.tags, a.custom, a.notes, a.host_id, a.agent_id,
  a.created_at, a.updated_at, a.deleted_at, a.version`;

const CAST: Partial<Record<EditableField, string>> = {
  memory_bytes: 'bigint',
  rack_unit: 'integer',
  purchase_date: 'date',
  warranty_until: 'date',
  tags: 'text[]',
  custom: 'jsonb',
  host_id: 'uuid',
};
const castOf = (f: EditableField) => CAST[f] ?? 'text';
const paramOf = (fields: AssetFields, f: EditableField): unknown => (f === 'custom' ? JSON.stringify(fields.custom) : fields[fieldKey(f)]);
/** The fields under their column names, as jsonb_to_recordset reads them. */
const columnsOf = (fields: AssetFields) => Object.fromEntries(EDITABLE_FIELDS.map((f) => [f, fields[fieldKey(f)]]));

const SET_FIELDS = EDITABLE_FIELDS.map((f, i) => `${f} = $${i + 2}::${castOf(f)}`).join(', ');
const INSERT_COLUMNS = EDITABLE_FIELDS.join(', ');
// $1 id, $2 state, $3 agent id, then the fields
const INSERT_VALUES = EDITABLE_FIELDS.map((f, i) => `$${i + 4}::${castOf(f)}`).join(', ');

/** Keeps ?q= working: name, tag, serial, hostname, UUID, and every NIC's MAC and addresses, lower-cased. */
export async function refreshSearchText(q: Queryable, assetIds: string[]): Promise<void> {
  await q.query(
    `UPDATE assets a SET search_text = lower(concat_ws(' ', a.tag, a.name, a.serial, a.hostname, a.system_uuid,
       (SELECT string_agg(concat_ws(' ', c.attrs->>'mac', (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(
          CASE WHEN jsonb_typeof(c.attrs->'ips') = 'array' THEN c.attrs->'ips' ELSE '[]'::jsonb END) x)), ' ')
        FROM asset_components c WHERE c.asset_id = a.id AND c.kind = 'nic')))
     WHERE a.id = ANY($1::uuid[])`,
    [assetIds],
  );
}

/** How many distinct assets of these ids exist, deleted ones included (a change request names them). */
export async function countAssets(q: Queryable, ids: readonly string[]): Promise<number> {
  return (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM assets WHERE id = ANY($1::uuid[])', [ids])).rows[0].n;
}

export const assetNotFound = () => new AppError('ASSET_NOT_FOUND', 'not_found', 'asset not found');
const assetDeleted = (id: string) => new AppError('ASSET_DELETED', 'gone', 'the asset was deleted; its history stays at /changes', { asset_id: id });

export interface AssetFilters {
  type?: string;
  state?: string;
  idc?: string;
  rack?: string;
  owner?: string;
  businessUnit?: string;
  vendor?: string;
  model?: string;
  hostId?: string;
  /** every one of these tags */
  tag?: string[];
  /** words each found in name, tag, serial, hostname, IP or MAC */
  q?: string;
}

/** Values as they are stored: blank text null, tags a sorted set. */
export function normalFields(f: AssetFields): AssetFields {
  const out = { ...f, name: f.name.trim(), tags: normalTags(f.tags), notes: f.notes ?? '' };
  for (const t of TEXT_FIELDS) out[t] = normalText(out[t]);
  if (out.systemUuid) out.systemUuid = out.systemUuid.toLowerCase();
  if (out.machineId) out.machineId = out.machineId.toLowerCase();
  if (!out.name) throw new AppError('VALIDATION_FAILED', 'invalid', 'body.name must not be blank', { field: 'body.name' });
  return out;
}

export class AssetStore {
  constructor(
    private readonly db: Db,
    private readonly types: AssetTypeRegistry,
  ) {}

  async create(
    input: Partial<AssetFields> & { type: string; name: string },
    actor: Actor,
    opts: { state?: AssetState; agentId?: string | null; q?: Queryable; step?: TxStep<AssetRecord> } = {},
  ): Promise<AssetRecord> {
    const run = async (q: Queryable) => this.stepped(q, await this.createIn(q, input, actor, opts), opts.step);
    return opts.q ? run(opts.q) : this.db.tx(run);
  }

  private async createIn(
    q: Queryable,
    input: Partial<AssetFields> & { type: string; name: string },
    actor: Actor,
    opts: { state?: AssetState; agentId?: string | null },
  ): Promise<AssetRecord> {
    const state = opts.state ?? 'procured';
    if (!INITIAL_STATES.includes(state)) {
      throw new AppError('VALIDATION_FAILED', 'invalid', `a new asset starts as ${INITIAL_STATES.join(', ')}`, { field: 'body.state' });
    }
    const fields = normalFields({ ...emptyFields(input.type, input.name), ...stripUndefined(input) });
    await this.types.checkCustom(fields.type, fields.custom, q);
    const id = randomUUID();
    const { rows } = await q
      .query<{ id: string }>(
        `INSERT INTO assets (id, tag, state, agent_id, ${INSERT_COLUMNS})
       VALUES ($1, 'AW-' || lpad(nextval('asset_tag_seq')::text, 6, '0'), $2, $3, ${INSERT_VALUES})
       RETURNING id`,
        [id, state, opts.agentId ?? null, ...EDITABLE_FIELDS.map((f) => paramOf(fields, f))],
      )
      .catch(rethrowConstraint);
    const created = await this.read(q, rows[0].id);
    const changes: ChangeRow[] = [
      { action: 'create', field: 'tag', old: null, new: created.tag },
      { action: 'create', field: 'state', old: null, new: state },
      ...assetFieldChanges(null, fields).map((c) => ({ ...c, action: 'create' as const })),
    ];
    await recordChanges(q, id, actor, changes);
    await refreshSearchText(q, [id]);
    return created;
  }

  /**
   * Many new assets in a few statements (the CSV import): custom fields must have been checked by the
   * caller. Tags are handed out in input order. Returns the new ids in input order.
   */
  async createMany(
    q: Queryable,
    inputs: readonly { fields: Partial<AssetFields> & { type: string; name: string }; state?: AssetState }[],
    actor: Actor,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < inputs.length; start += 2000) {
      const chunk = inputs.slice(start, start + 2000).map((input) => {
        const fields = normalFields({ ...emptyFields(input.fields.type, input.fields.name), ...stripUndefined(input.fields) });
        return { id: randomUUID(), state: input.state ?? 'procured', fields };
      });
      const columns = EDITABLE_FIELDS.map((f) => `${f} ${castOf(f)}`).join(', ');
      const { rows } = await q
        .query<{ id: string; tag: string }>(
          `INSERT INTO assets (id, tag, state, ${INSERT_COLUMNS})
         SELECT t.id, 'AW-' || lpad(nextval('asset_tag_seq')::text, 6, '0'), t.state, ${EDITABLE_FIELDS.map((f) => `t.${f}`).join(', ')}
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, state text, ${columns})) WITH ORDINALITY AS t
         ORDER BY t.ordinality
         RETURNING id, tag`,
          [JSON.stringify(chunk.map((c) => ({ id: c.id, state: c.state, ...columnsOf(c.fields) })))],
        )
        .catch(rethrowConstraint);
      const tagOf = new Map(rows.map((r) => [r.id, r.tag]));
      const changes = chunk.flatMap((c) => [
        { assetId: c.id, action: 'create' as const, field: 'tag', old: null, new: tagOf.get(c.id) },
        { assetId: c.id, action: 'create' as const, field: 'state', old: null, new: c.state },
        ...assetFieldChanges(null, c.fields).map((f) => ({ ...f, assetId: c.id, action: 'create' as const })),
      ]);
      await recordChangesOf(q, actor, changes);
      await refreshSearchText(
        q,
        chunk.map((c) => c.id),
      );
      ids.push(...chunk.map((c) => c.id));
    }
    return ids;
  }

  /** One live asset: 404 if there never was one, 410 if it was deleted. */
  async get(id: string, q: Queryable = this.db): Promise<AssetRecord> {
    const a = await this.read(q, id);
    if (a.deletedAt) throw assetDeleted(id);
    return a;
  }

  /** Any asset, deleted ones included (their history routes). */
  async read(q: Queryable, id: string, lock = false): Promise<AssetRecord> {
    const { rows } = await q.query<AssetRow>(`SELECT ${ASSET_COLUMNS} FROM assets a WHERE a.id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!rows[0]) throw assetNotFound();
    return recordOf(rows[0]);
  }

  /** One asset's change timeline (deleted assets keep theirs), `limit + 1` rows; 404 for an asset that never was. */
  async changes(id: string, page: { afterId?: number; limit: number; desc?: boolean }): Promise<ChangeRecord[]> {
    await this.read(this.db, id);
    return listChanges(this.db, id, page);
  }

  async list(page: Page, f: AssetFilters): Promise<{ rows: AssetRecord[]; total: number }> {
    const params: unknown[] = [];
    const where = ['a.deleted_at IS NULL'];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`a.${column} = $${params.length}`);
    };
    eq('type', f.type);
    eq('state', f.state);
    eq('idc', f.idc);
    eq('rack', f.rack);
    eq('owner', f.owner);
    eq('business_unit', f.businessUnit);
    eq('vendor', f.vendor);
    eq('model', f.model);
    if (f.hostId) {
      params.push(f.hostId);
      where.push(`a.host_id = $${params.length}::uuid`);
    }
    if (f.tag?.length) {
      params.push(normalTags(f.tag));
      where.push(`a.tags @> $${params.length}::text[]`);
    }
    for (const term of (f.q ?? '').toLowerCase().split(/\s+/).filter(Boolean)) {
      params.push(`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`a.search_text LIKE $${params.length}`);
    }
    const filterParams = [...params];
    const ks = keyset(page, params);
    const [list, count] = await Promise.all([
      this.db.query<AssetRow>(
        `SELECT ${ASSET_COLUMNS} FROM assets a WHERE ${where.join(' AND ')} AND ${ks.where} ORDER BY ${ks.orderBy} LIMIT ${ks.limit}`,
        params,
      ),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM assets a WHERE ${where.join(' AND ')}`, filterParams),
    ]);
    return { rows: recordsOf(list.rows), total: count.rows[0].n };
  }

  /**
   * Changes editable fields. `replace` (PUT) empties what `patch` leaves out; otherwise (PATCH) it
   * stays. `expected` null skips the version check (the agent's intake and transitions without If-Match).
   */
  async update(
    id: string,
    expected: number | null,
    patch: Partial<AssetFields>,
    actor: Actor,
    opts: { replace?: boolean; step?: TxStep<AssetRecord> } = {},
  ): Promise<AssetRecord> {
    return this.db.tx(async (q) => this.stepped(q, (await this.applyPatch(q, id, expected, patch, actor, opts.replace ?? false)).record, opts.step));
  }

  /** update() inside the caller's transaction, also answering the field changes it recorded. */
  async applyPatch(
    q: Queryable,
    id: string,
    expected: number | null,
    patch: Partial<AssetFields>,
    actor: Actor,
    replace: boolean,
  ): Promise<{ record: AssetRecord; changes: FieldChange[] }> {
    const current = await this.lockLive(q, id, expected);
    const base = replace ? emptyFields(patch.type ?? current.type, patch.name ?? current.name) : pickFields(current);
    const next = normalFields({ ...base, ...stripUndefined(patch) });
    const changes = assetFieldChanges(pickFields(current), next);
    if (!changes.length) return { record: current, changes };
    if (changes.some((c) => c.field === 'type' || c.field === 'custom')) await this.types.checkCustom(next.type, next.custom, q);
    await q
      .query(`UPDATE assets SET ${SET_FIELDS}, updated_at = now(), version = version + 1 WHERE id = $1`, [id, ...EDITABLE_FIELDS.map((f) => paramOf(next, f))])
      .catch(rethrowConstraint);
    await recordChanges(
      q,
      id,
      actor,
      changes.map((c) => ({ ...c, action: 'update' })),
    );
    if (changes.some((c) => ['name', 'serial', 'hostname', 'system_uuid'].includes(c.field))) await refreshSearchText(q, [id]);
    return { record: await this.read(q, id), changes };
  }

  async transition(id: string, expected: number | null, to: AssetState, reason: string, actor: Actor, step?: TxStep<AssetRecord>): Promise<AssetRecord> {
    return this.db.tx(async (q) => {
      const current = await this.lockLive(q, id, expected);
      checkTransition(current.state, to);
      await q.query('UPDATE assets SET state = $2, updated_at = now(), version = version + 1 WHERE id = $1', [id, to]);
      await recordChanges(q, id, actor, [{ action: 'transition', field: 'state', old: current.state, new: to }], reason);
      return this.stepped(q, await this.read(q, id), step);
    });
  }

  /** Marks the asset deleted: its id and tag are never handed out again and its history stays. */
  async delete(id: string, expected: number, actor: Actor, reason: string | null = null, step?: TxStep<AssetRecord>): Promise<AssetRecord> {
    return this.db.tx(async (q) => {
      const current = await this.lockLive(q, id, expected);
      await q.query('UPDATE assets SET deleted_at = now(), updated_at = now(), version = version + 1 WHERE id = $1', [id]);
      const rows: ChangeRow[] = [
        { action: 'delete', field: 'state', old: current.state, new: null },
        ...assetFieldChanges(pickFields(current), null).map((c) => ({ ...c, action: 'delete' as const })),
      ];
      await recordChanges(q, id, actor, rows, reason);
      return this.stepped(q, await this.read(q, id), step);
    });
  }

  async components(id: string, q: Queryable = this.db): Promise<ComponentRecord[]> {
    await this.read(q, id);
    const { rows } = await q.query<ComponentRow>(`SELECT ${COMPONENT_COLUMNS} FROM asset_components WHERE asset_id = $1 ORDER BY kind, slot`, [id]);
    return recordsOf(rows);
  }

  async addComponent(
    id: string,
    expected: number | null,
    c: { kind: ComponentKind; slot: string; attrs: Record<string, unknown> },
    actor: Actor,
    step?: TxStep<ComponentRecord>,
  ): Promise<ComponentRecord> {
    return this.db.tx(async (q) => {
      await this.lockLive(q, id, expected);
      const { rows } = await q.query<ComponentRow>(
        `INSERT INTO asset_components (id, asset_id, kind, slot, attrs, source) VALUES ($1, $2, $3, $4, $5::jsonb, $6)
         ON CONFLICT (asset_id, kind, slot) DO NOTHING RETURNING ${COMPONENT_COLUMNS}`,
        [randomUUID(), id, c.kind, c.slot, JSON.stringify(c.attrs), actor.source],
      );
      if (!rows[0]) throw new AppError('COMPONENT_EXISTS', 'conflict', `the asset has a ${c.kind} in slot "${c.slot}" already`, { field: 'body.slot' });
      const added = recordOf(rows[0]);
      await this.touch(q, id);
      await recordChanges(q, id, actor, [{ action: 'create', componentId: added.id, field: componentField(c.kind, c.slot), old: null, new: c.attrs }]);
      if (c.kind === 'nic') await refreshSearchText(q, [id]);
      return this.stepped(q, added, step);
    });
  }

  async removeComponent(id: string, expected: number | null, componentId: string, actor: Actor, step?: TxStep<ComponentRecord>): Promise<ComponentRecord> {
    return this.db.tx(async (q) => {
      await this.lockLive(q, id, expected);
      const { rows } = await q.query<ComponentRow>(`DELETE FROM asset_components WHERE id = $1 AND asset_id = $2 RETURNING ${COMPONENT_COLUMNS}`, [
        componentId,
        id,
      ]);
      if (!rows[0]) throw new AppError('COMPONENT_NOT_FOUND', 'not_found', 'the asset has no such component');
      const removed = recordOf(rows[0]);
      await this.touch(q, id);
      await recordChanges(q, id, actor, [{ action: 'delete', componentId, field: componentField(removed.kind, removed.slot), old: removed.attrs, new: null }]);
      if (removed.kind === 'nic') await refreshSearchText(q, [id]);
      return this.stepped(q, removed, step);
    });
  }

  /** Runs the caller's step (server/store/db.ts) in the write's transaction and answers what was written. */
  private async stepped<T>(q: Queryable, done: T, step: TxStep<T> | undefined): Promise<T> {
    await step?.(q, done);
    return done;
  }

  /** A component change is a change of its asset: a new version, so If-Match sees it. */
  async touch(q: Queryable, id: string): Promise<void> {
    await q.query('UPDATE assets SET updated_at = now(), version = version + 1 WHERE id = $1', [id]);
  }

  /** Locks a live asset's row for the rest of the transaction and checks the version the caller read. */
  async lockLive(q: Queryable, id: string, expected: number | null): Promise<AssetRecord> {
    const current = await this.read(q, id, true);
    if (current.deletedAt) throw assetDeleted(id);
    if (expected !== null && current.version !== expected) throw staleVersion(current.version);
    return current;
  }
}

/** How a component is named in the change log: "disk[sda]", "nic[eth0].ips". */
export const componentField = (kind: string, slot: string, attr?: string) => `${kind}[${slot}]${attr ? `.${attr}` : ''}`;

export function pickFields(a: AssetRecord): AssetFields {
  const out: Record<string, unknown> = {};
  for (const f of EDITABLE_FIELDS) out[fieldKey(f)] = a[fieldKey(f)];
  return out as unknown as AssetFields;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Foreign keys and value ranges the schema checks, as the caller's mistake rather than a 500. */
function rethrowConstraint(err: any): never {
  if (err?.code === '23503') throw new AppError('VALIDATION_FAILED', 'invalid', 'body.host_id names no host', { field: 'body.host_id' });
  if (err?.code === '23505' && String(err?.constraint ?? err?.message).includes('assets_host')) {
    throw new AppError('HOST_HAS_ASSET', 'conflict', 'another asset is linked to that host already', { field: 'body.host_id' });
  }
  if (err?.code === '22008' || err?.code === '22007') throw new AppError('VALIDATION_FAILED', 'invalid', 'a date is not a real date (YYYY-MM-DD)');
  if (err?.code === '22003') throw new AppError('VALIDATION_FAILED', 'invalid', 'a number is out of range');
  throw err;
}
