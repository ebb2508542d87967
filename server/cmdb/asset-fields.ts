/**
 * What an asset holds and how two versions of it differ, field by field. Pure: the store turns the
 * differences into change records, the CSV import and the inventory intake build on the same lists.
 */
import { camelName } from '../names.js';
import type { RecordOf } from '../store/rows.js';

export type ActorKind = 'user' | 'api_key' | 'agent' | 'system';
export type ChangeSource = 'manual' | 'agent' | 'api' | 'import';

/** Who changed something and through what: every change record carries it. */
export interface Actor {
  kind: ActorKind;
  id: string;
  source: ChangeSource;
  requestId?: string;
}

/**
 * Fields a person (or the API, the import, the agent) may set; id, tag, state and version are not among
 * them. Named as columns: SQL, the CSV header and the change log (stored data) use these names.
 */
export const EDITABLE_FIELDS = [
  'type',
  'name',
  'vendor',
  'model',
  'serial',
  'system_uuid',
  'machine_id',
  'hostname',
  'os_name',
  'os_version',
  'kernel',
  'arch',
  'memory_bytes',
  'idc',
  'rack',
  'rack_unit',
  'owner',
  'business_unit',
  'supplier',
  'contract',
  'purchase_date',
  'warranty_until',
  'tags',
  'custom',
  'notes',
  'host_id',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/** Where a column's value is in a record: `system_uuid` in `systemUuid`. */
export const fieldKey = (column: EditableField) => camelName(column) as keyof AssetFields;

/** Asset columns a host group rule may name as asset.<column>. */
export const ASSET_COLUMNS_FOR_RULES: ReadonlySet<string> = new Set([...EDITABLE_FIELDS, 'id', 'tag', 'state', 'agent_id']);

export const TEXT_FIELDS = [
  'vendor',
  'model',
  'serial',
  'systemUuid',
  'machineId',
  'hostname',
  'osName',
  'osVersion',
  'kernel',
  'arch',
  'idc',
  'rack',
  'owner',
  'businessUnit',
  'supplier',
  'contract',
] as const;

/** The editable columns as SQL returns them (the asset store's row extends it). */
export interface AssetColumns {
  type: string;
  name: string;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  system_uuid: string | null;
  machine_id: string | null;
  hostname: string | null;
  os_name: string | null;
  os_version: string | null;
  kernel: string | null;
  arch: string | null;
  memory_bytes: number | null;
  idc: string | null;
  rack: string | null;
  rack_unit: number | null;
  owner: string | null;
  business_unit: string | null;
  supplier: string | null;
  contract: string | null;
  /** YYYY-MM-DD */
  purchase_date: string | null;
  warranty_until: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  notes: string;
  host_id: string | null;
}

/** What code sets on an asset. */
export type AssetFields = RecordOf<AssetColumns>;

/** Editable fields given under their column names (an API body) as code holds them; other keys are left out. */
export function fieldsFromColumns<T extends Partial<AssetColumns>>(byColumn: T): RecordOf<Pick<T, keyof T & EditableField>> {
  const out: Record<string, unknown> = {};
  for (const f of EDITABLE_FIELDS) if (byColumn[f] !== undefined) out[fieldKey(f)] = byColumn[f];
  return out as RecordOf<Pick<T, keyof T & EditableField>>;
}

/** A PUT replaces every editable field: what it leaves out goes back to empty. */
export function emptyFields(type: string, name: string): AssetFields {
  const out: Record<string, unknown> = { type, name, tags: [], custom: {}, notes: '' };
  for (const f of EDITABLE_FIELDS) if (!(fieldKey(f) in out)) out[fieldKey(f)] = null;
  return out as unknown as AssetFields;
}

/** Tags are a set: trimmed, deduplicated and sorted, so reordering them is no change. */
export function normalTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))].sort();
}

/** Blank text is no value: "" and "  " are stored as null so "unknown" has one spelling. */
export function normalText(v: string | null | undefined): string | null {
  const t = v?.trim();
  return t ? t : null;
}

export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

/** JSON with object keys sorted: equal values compare equal whatever order their keys came in. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .map((k) => [k, val[k]]),
        )
      : val,
  );
}

/**
 * The fields whose value differs between two versions, in `fields` order. `before` null is a create
 * (empty values left out), `after` null a delete (every held value goes to null).
 */
export function fieldChanges<T extends object>(before: T | null, after: T | null, fields: readonly (keyof T & string)[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields) {
    const o = before ? (before[f] ?? null) : null;
    const n = after ? (after[f] ?? null) : null;
    if (isEmpty(o) && isEmpty(n)) continue;
    if (stableJson(o) !== stableJson(n)) out.push({ field: f, old: o, new: n });
  }
  return out;
}

const FIELD_KEYS = EDITABLE_FIELDS.map(fieldKey);
const COLUMN_OF = new Map<string, EditableField>(EDITABLE_FIELDS.map((c) => [fieldKey(c), c]));

/** How an asset's editable fields differ, each change named by its column (as the change log stores it). */
export function assetFieldChanges(before: AssetFields | null, after: AssetFields | null): FieldChange[] {
  return fieldChanges(before, after, FIELD_KEYS).map((c) => ({ ...c, field: COLUMN_OF.get(c.field)! }));
}

function isEmpty(v: unknown): boolean {
  return v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
}
