/** Schemas the CMDB routes share: assets, components, change records; and who the change records name. */
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../http/route.js';
import type { Actor } from '../cmdb/asset-fields.js';
import { ASSET_STATES } from '../cmdb/asset-states.js';
import { COMPONENT_KINDS, type AssetFilters } from '../cmdb/assets.js';
import { changedBy } from './object-changes.routes.js';
import { Nullable, Timestamp, Uuid } from './schemas.js';

export const AssetState = Type.Union(ASSET_STATES.map((s) => Type.Literal(s)));
export const ComponentKind = Type.Union(COMPONENT_KINDS.map((k) => Type.Literal(k)));
const Text = (max = 200) => Nullable(Type.String({ maxLength: max }));
const Day = Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' }));
const TypeName = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });

/** The fields a client may write (POST, PUT, PATCH, CSV import). */
export const assetFieldSchemas = {
  type: TypeName,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  vendor: Text(),
  model: Text(),
  serial: Text(),
  system_uuid: Text(64),
  machine_id: Text(64),
  hostname: Text(253),
  os_name: Text(),
  os_version: Text(),
  kernel: Text(),
  arch: Text(32),
  memory_bytes: Nullable(Type.Integer({ minimum: 0 })),
  idc: Text(),
  rack: Text(),
  rack_unit: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
  owner: Text(),
  business_unit: Text(),
  supplier: Text(),
  contract: Text(),
  purchase_date: Day,
  warranty_until: Day,
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 }),
  custom: Type.Record(Type.String(), Type.Unknown(), { description: 'fields the asset type defines (its fields_schema)' }),
  notes: Type.String({ maxLength: 10_000 }),
  host_id: Nullable(Uuid),
};

export const Asset = Type.Object({
  id: Uuid,
  tag: Type.String({ description: 'AW-000123: handed out once, never reused' }),
  state: AssetState,
  ...assetFieldSchemas,
  agent_id: Nullable(Uuid),
  created_at: Timestamp,
  updated_at: Timestamp,
  deleted_at: Nullable(Timestamp),
  version: Type.Integer({ description: 'the ETag: send it back in If-Match to change the asset' }),
});

export const Component = Type.Object({
  id: Uuid,
  asset_id: Uuid,
  kind: ComponentKind,
  slot: Type.String(),
  attrs: Type.Record(Type.String(), Type.Unknown()),
  source: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const Change = Type.Object({
  id: Type.Integer(),
  asset_id: Uuid,
  component_id: Nullable(Uuid),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete'), Type.Literal('transition')]),
  field: Type.String(),
  old_value: Type.Unknown(),
  new_value: Type.Unknown(),
  actor_kind: Type.String(),
  actor_id: Type.String(),
  source: Type.String(),
  reason: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  at: Timestamp,
});

/** The asset list's filters as a query string names them (the list and the CSV export read the same ones). */
export const assetFiltersOf = (
  q: Partial<Record<'type' | 'state' | 'idc' | 'rack' | 'owner' | 'business_unit' | 'vendor' | 'model' | 'host_id' | 'q', string>> & { tag?: string[] },
): AssetFilters => ({
  type: q.type,
  state: q.state,
  idc: q.idc,
  rack: q.rack,
  owner: q.owner,
  businessUnit: q.business_unit,
  vendor: q.vendor,
  model: q.model,
  hostId: q.host_id,
  tag: q.tag,
  q: q.q,
});

/**
 * Who the change records name: users write by hand (dashboard or API with a session), API keys are
 * "api", agents "agent".
 */
export function actorOf(ctx: Pick<RequestContext, 'principal' | 'requestId'>, source?: Actor['source']): Actor {
  const kind = ctx.principal!.kind;
  return { ...changedBy(ctx), source: source ?? (kind === 'api_key' ? 'api' : kind === 'agent' ? 'agent' : 'manual') };
}
