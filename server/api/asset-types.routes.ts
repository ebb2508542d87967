/** Asset types: the built-in ones and those an admin defines, each with the JSON schema of its custom fields. */
import { Type } from '@sinclair/typebox';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { route } from '../http/route.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ApiDeps } from './deps.js';
import { changedBy } from './object-changes.routes.js';
import { Timestamp } from './schemas.js';

const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$', description: 'a-z, 0-9 and _, 2-40 characters' });
const FieldsSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'a JSON schema with "type": "object"' });
const AssetTypeView = Type.Object({
  name: Type.String(),
  label: Type.String(),
  builtin: Type.Boolean(),
  fields_schema: FieldsSchema,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});
const NameParams = Type.Object({ name: Name });

export function assetTypeRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  const types = deps.cmdb.types;
  return [
    route({
      method: 'GET',
      path: '/api/v1/asset-types',
      summary: 'Asset types and the schema of their custom fields',
      tag: 'cmdb',
      scope: 'cmdb:read',
      response: Type.Array(AssetTypeView),
      handler: async () => types.list(),
    }),
    route({
      method: 'POST',
      path: '/api/v1/asset-types',
      summary: 'Define an asset type with its custom fields (a JSON schema)',
      tag: 'cmdb',
      scope: 'admin',
      status: 201,
      body: Type.Object({ name: Name, label: Type.String({ minLength: 1, maxLength: 100 }), fields_schema: Type.Optional(FieldsSchema) }),
      response: AssetTypeView,
      handler: async (ctx) => {
        ctx.audit({ name: ctx.body.name });
        const t = await types.create({ name: ctx.body.name, label: ctx.body.label, fieldsSchema: ctx.body.fields_schema }, changedBy(ctx));
        setEtag(ctx, t.version);
        return t;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/asset-types/:name',
      summary: 'One asset type',
      tag: 'cmdb',
      scope: 'cmdb:read',
      params: NameParams,
      response: AssetTypeView,
      handler: async (ctx) => {
        const t = await types.get(ctx.params.name);
        setEtag(ctx, t.version);
        return t;
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/asset-types/:name',
      summary: "Change a type's label or field schema (later writes are checked against it); needs If-Match",
      tag: 'cmdb',
      scope: 'admin',
      params: NameParams,
      body: Type.Object({ label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), fields_schema: Type.Optional(FieldsSchema) }),
      response: AssetTypeView,
      handler: async (ctx) => {
        const current = await types.get(ctx.params.name);
        ctx.audit({ name: current.name });
        const t = await types.update(
          current.name,
          ifMatchVersion(ctx, current.version) as number,
          { label: ctx.body.label, fieldsSchema: ctx.body.fields_schema },
          changedBy(ctx),
        );
        setEtag(ctx, t.version);
        return t;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/asset-types/:name',
      summary: 'Delete an admin-defined type no asset ever used; needs If-Match',
      tag: 'cmdb',
      scope: 'admin',
      params: NameParams,
      response: AssetTypeView,
      handler: async (ctx) => {
        const current = await types.get(ctx.params.name);
        ctx.audit({ name: current.name });
        return types.delete(current.name, ifMatchVersion(ctx, current.version) as number, changedBy(ctx));
      },
    }),
  ];
}
