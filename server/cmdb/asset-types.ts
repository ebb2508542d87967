/**
 * Asset types: the six built in (server, vm, network, storage, security, licence) and those an admin
 * defines. Each carries a JSON schema its assets' `custom` object must satisfy, checked with ajv.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors.js';
import { changeOf, recordObjectChanges, type ChangeActor } from '../history/object-changes.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface AssetTypeRow {
  name: string;
  label: string;
  builtin: boolean;
  fields_schema: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  version: number;
}
export type AssetType = RecordOf<AssetTypeRow>;

const COLUMNS = 'name, label, builtin, fields_schema, created_at, updated_at, version';
const MAX_SCHEMA_BYTES = 64 * 1024;

/** What a type's change rows hold (stored, snake_case like the API). */
const snapshot = (t: AssetType) => ({ name: t.name, label: t.label, builtin: t.builtin, fields_schema: t.fieldsSchema });

export const assetTypeNotFound = (name: string) => new AppError('ASSET_TYPE_NOT_FOUND', 'not_found', `asset type "${name}" not found`);

export class AssetTypeRegistry {
  // allErrors: an import row names every bad custom field at once
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly validators = new Map<string, { version: number; validate: ValidateFunction }>();

  constructor(private readonly db: Db) {}

  async list(): Promise<AssetType[]> {
    return recordsOf((await this.db.query<AssetTypeRow>(`SELECT ${COLUMNS} FROM asset_types ORDER BY name`)).rows);
  }

  /** `lock`: held until the caller's transaction ends (a change reads what it replaces). */
  async get(name: string, q: Queryable = this.db, lock = false): Promise<AssetType> {
    const { rows } = await q.query<AssetTypeRow>(`SELECT ${COLUMNS} FROM asset_types WHERE name = $1${lock ? ' FOR UPDATE' : ''}`, [name]);
    if (!rows[0]) throw assetTypeNotFound(name);
    return recordOf(rows[0]);
  }

  async create(input: { name: string; label: string; fieldsSchema?: Record<string, unknown> }, actor: ChangeActor): Promise<AssetType> {
    const schema = input.fieldsSchema ?? { type: 'object' };
    this.compile(schema);
    return this.db.tx(async (q) => {
      const { rows } = await q.query<AssetTypeRow>(
        `INSERT INTO asset_types (name, label, fields_schema) VALUES ($1, $2, $3::jsonb) ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
        [input.name, input.label, JSON.stringify(schema)],
      );
      if (!rows[0]) throw new AppError('ASSET_TYPE_EXISTS', 'conflict', `asset type "${input.name}" exists already`, { field: 'body.name' });
      const created = recordOf(rows[0]);
      await recordObjectChanges(q, actor, [changeOf('asset_type', created.name, null, snapshot(created))]);
      return created;
    });
  }

  /** A new schema applies to later writes; assets stored under the old one are not re-checked. */
  async update(name: string, version: number, patch: { label?: string; fieldsSchema?: Record<string, unknown> }, actor: ChangeActor): Promise<AssetType> {
    if (patch.fieldsSchema) this.compile(patch.fieldsSchema);
    return this.db.tx(async (q) => {
      const before = await this.get(name, q, true);
      const { rows } = await q.query<AssetTypeRow>(
        `UPDATE asset_types SET label = coalesce($3, label), fields_schema = coalesce($4::jsonb, fields_schema), updated_at = now(), version = version + 1
         WHERE name = $1 AND version = $2 RETURNING ${COLUMNS}`,
        [name, version, patch.label ?? null, patch.fieldsSchema ? JSON.stringify(patch.fieldsSchema) : null],
      );
      if (!rows[0]) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the asset type changed since you read it');
      const after = recordOf(rows[0]);
      await recordObjectChanges(q, actor, [changeOf('asset_type', name, snapshot(before), snapshot(after))]);
      return after;
    });
  }

  async delete(name: string, version: number, actor: ChangeActor): Promise<AssetType> {
    return this.db.tx(async (q) => {
      const type = await this.get(name, q, true);
      if (type.builtin) throw new AppError('ASSET_TYPE_BUILTIN', 'conflict', `"${name}" is built in and stays`);
      // Deleted assets count too: their history names the type.
      const used = await q.query('SELECT 1 FROM assets WHERE type = $1 LIMIT 1', [name]);
      if (used.rows.length) throw new AppError('ASSET_TYPE_IN_USE', 'conflict', `assets of type "${name}" exist; it stays while they do`);
      const { rows } = await q.query<AssetTypeRow>(`DELETE FROM asset_types WHERE name = $1 AND version = $2 RETURNING ${COLUMNS}`, [name, version]);
      if (!rows[0]) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the asset type changed since you read it');
      const deleted = recordOf(rows[0]);
      await recordObjectChanges(q, actor, [changeOf('asset_type', name, snapshot(deleted), null)]);
      return deleted;
    });
  }

  /**
   * Checks an asset's custom fields against its type's schema: 400 ASSET_TYPE_UNKNOWN when there is no
   * such type, 400 CUSTOM_FIELDS_INVALID listing every violation otherwise.
   */
  async checkCustom(typeName: string, custom: Record<string, unknown>, q: Queryable = this.db): Promise<void> {
    const { rows } = await q.query<Pick<AssetTypeRow, 'name' | 'version' | 'fields_schema'>>(
      'SELECT name, version, fields_schema FROM asset_types WHERE name = $1',
      [typeName],
    );
    if (!rows[0]) throw new AppError('ASSET_TYPE_UNKNOWN', 'invalid', `there is no asset type "${typeName}"`, { field: 'body.type' });
    this.validate(recordOf(rows[0]), custom);
  }

  /** checkCustom for many assets at once (an import): the types are read once. */
  async customChecker(q: Queryable = this.db): Promise<(typeName: string, custom: Record<string, unknown>) => void> {
    const { rows } = await q.query<Pick<AssetTypeRow, 'name' | 'version' | 'fields_schema'>>('SELECT name, version, fields_schema FROM asset_types');
    const all = new Map(recordsOf(rows).map((t) => [t.name, t]));
    return (typeName, custom) => {
      const t = all.get(typeName);
      if (!t) throw new AppError('ASSET_TYPE_UNKNOWN', 'invalid', `there is no asset type "${typeName}"`, { field: 'body.type' });
      this.validate(t, custom);
    };
  }

  private validate(t: Pick<AssetType, 'name' | 'version' | 'fieldsSchema'>, custom: Record<string, unknown>): void {
    let cached = this.validators.get(t.name);
    if (!cached || cached.version !== t.version) {
      cached = { version: t.version, validate: this.compile(t.fieldsSchema) };
      this.validators.set(t.name, cached);
    }
    if (!cached.validate(custom)) {
      const errors = (cached.validate.errors ?? []).map((e) => `custom${e.instancePath.replace(/\//g, '.')} ${e.message}`);
      throw new AppError('CUSTOM_FIELDS_INVALID', 'invalid', `custom fields do not fit type "${t.name}": ${errors.join('; ')}`, {
        field: 'body.custom',
        errors,
      });
    }
  }

  private compile(schema: Record<string, unknown>): ValidateFunction {
    if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) throw new AppError('FIELDS_SCHEMA_INVALID', 'invalid', 'fields_schema is larger than 64 KiB');
    if (schema.type !== 'object') throw new AppError('FIELDS_SCHEMA_INVALID', 'invalid', 'fields_schema must describe an object ("type": "object")');
    // An $id would make ajv keep the schema under that name and refuse the next version of it.
    const { $id: _id, ...anonymous } = schema;
    try {
      return this.ajv.compile(anonymous);
    } catch (err) {
      throw new AppError('FIELDS_SCHEMA_INVALID', 'invalid', `fields_schema is not a usable JSON schema: ${(err as Error).message}`, {
        field: 'body.fields_schema',
      });
    }
  }
}
