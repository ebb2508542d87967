/** Assets: the collection (filters, search, sort, cursor pages), members with If-Match, components, history, transitions. */
import { Type } from '@sinclair/typebox';
import { ifMatchVersion, parseIfMatch, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { decodeCursor, encodeCursor } from '../keyset.js';
import { route, type RequestContext } from '../http/route.js';
import { camelName } from '../names.js';
import { fieldsFromColumns } from '../cmdb/asset-fields.js';
import { ASSET_ORDER } from '../cmdb/assets.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ApiDeps } from './deps.js';
import { editUnderChange } from './edit-under-change.js';
import { Asset, AssetState, Change, Component, ComponentKind, actorOf, assetFieldSchemas, assetFiltersOf } from './cmdb-schemas.js';
import { IdParams, Uuid } from './schemas.js';

const assets = collection(ASSET_ORDER);

const { type, name, ...optionalFields } = assetFieldSchemas;
const AssetBody = Type.Object({ type, name, ...Type.Partial(Type.Object(optionalFields)).properties });
const AssetPatch = Type.Partial(Type.Object(assetFieldSchemas));

/** The version an If-Match names, checked again under the row lock by the store. */
function expectedVersion(ctx: Pick<RequestContext, 'headers'>, current: number, required = true): number | null {
  if (!required && parseIfMatch(ctx.headers['if-match']) === undefined) return null;
  return ifMatchVersion(ctx, current) as number;
}

export function assetRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  const store = deps.cmdb.assets;
  /** Every asset edit, registering one too, may be made under an approved change request (./edit-under-change.ts). */
  const underChange = (ctx: RequestContext, assetId?: string) => editUnderChange(deps.itil?.changes, ctx, 'asset', { assetId });
  const CHANGE_HEADER = ' X-Change-Id: the approved change request it is made under (docs/itil.md)';
  return [
    route({
      method: 'GET',
      path: '/api/v1/assets',
      summary: 'List assets: exact filters, ?tag= (all of them), ?q= words found in name, tag, serial, hostname, IP or MAC',
      tag: 'cmdb',
      scope: 'cmdb:read',
      query: Type.Object({
        ...assets.query,
        type: Type.Optional(Type.String({ maxLength: 40 })),
        state: Type.Optional(AssetState),
        idc: Type.Optional(Type.String({ maxLength: 200 })),
        rack: Type.Optional(Type.String({ maxLength: 200 })),
        owner: Type.Optional(Type.String({ maxLength: 200 })),
        business_unit: Type.Optional(Type.String({ maxLength: 200 })),
        vendor: Type.Optional(Type.String({ maxLength: 200 })),
        model: Type.Optional(Type.String({ maxLength: 200 })),
        host_id: Type.Optional(Uuid),
        tag: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
      }),
      response: Type.Array(Asset),
      handler: async (ctx) => {
        const page = assets.read(ctx.query);
        const { rows, total } = await store.list(page, assetFiltersOf(ctx.query));
        const key = camelName(page.sort.replace(/^-/, '')) as 'tag' | 'name' | 'createdAt' | 'updatedAt';
        return finishPage(ctx, rows, page, (a) => [a[key], a.id], total);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/assets',
      summary: 'Register an asset by hand; it gets an id and an asset tag that never change.' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      status: 201,
      body: Type.Object({
        ...AssetBody.properties,
        state: Type.Optional(Type.Union([Type.Literal('procured'), Type.Literal('in_stock'), Type.Literal('online')])),
      }),
      response: Asset,
      handler: async (ctx) => {
        const { state, ...fields } = ctx.body;
        const change = await underChange(ctx);
        const a = await store.create(fieldsFromColumns(fields), actorOf(ctx), { state, step: change.link((made) => `registered ${made.tag}`) });
        ctx.audit({ asset_id: a.id, tag: a.tag, change_id: change.changeId });
        ctx.setHeader('Location', `/api/v1/assets/${a.id}`);
        setEtag(ctx, a.version);
        return a;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/assets/:id',
      summary: 'One asset (ETag in the header and in version); 410 ASSET_DELETED once deleted',
      tag: 'cmdb',
      scope: 'cmdb:read',
      params: IdParams,
      response: Asset,
      handler: async (ctx) => {
        const a = await store.get(ctx.params.id);
        setEtag(ctx, a.version);
        return a;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/assets/:id',
      summary: 'Replace every editable field (what the body leaves out is emptied); needs If-Match.' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      params: IdParams,
      body: AssetBody,
      response: Asset,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const version = expectedVersion(ctx, current.version);
        const change = await underChange(ctx, current.id);
        const a = await store.update(ctx.params.id, version, fieldsFromColumns(ctx.body), actorOf(ctx), { replace: true, step: change.link(() => 'replaced') });
        ctx.audit({ tag: a.tag, change_id: change.changeId });
        setEtag(ctx, a.version);
        return a;
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/assets/:id',
      summary: 'Change some fields; needs If-Match. State changes go through /transitions.' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      params: IdParams,
      body: AssetPatch,
      response: Asset,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const version = expectedVersion(ctx, current.version);
        const change = await underChange(ctx, current.id);
        const a = await store.update(ctx.params.id, version, fieldsFromColumns(ctx.body), actorOf(ctx), {
          step: change.link(() => `edited ${Object.keys(ctx.body).join(', ')}`),
        });
        ctx.audit({ tag: a.tag, fields: Object.keys(ctx.body), change_id: change.changeId });
        setEtag(ctx, a.version);
        return a;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/assets/:id',
      summary: 'Delete an asset; needs If-Match. Its tag is never reused and its history stays readable.' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      params: IdParams,
      response: Asset,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const version = expectedVersion(ctx, current.version) as number;
        const change = await underChange(ctx, current.id);
        const a = await store.delete(
          ctx.params.id,
          version,
          actorOf(ctx),
          null,
          change.link(() => 'deleted'),
        );
        ctx.audit({ tag: a.tag, change_id: change.changeId });
        return a;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/assets/:id/transitions',
      summary: 'Move an asset along its lifecycle (docs/cmdb.md); a forbidden move is 409 ASSET_TRANSITION_FORBIDDEN.' + CHANGE_HEADER,
      description: 'If-Match is optional here: without it the transition applies to whatever version is current.',
      tag: 'cmdb',
      scope: 'cmdb:write',
      status: 201,
      params: IdParams,
      body: Type.Object({ to: AssetState, reason: Type.String({ minLength: 1, maxLength: 2000 }) }),
      response: Asset,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const change = await underChange(ctx, current.id);
        ctx.audit({ tag: current.tag, from: current.state, to: ctx.body.to, change_id: change.changeId });
        const a = await store.transition(
          ctx.params.id,
          expectedVersion(ctx, current.version, false),
          ctx.body.to,
          ctx.body.reason,
          actorOf(ctx),
          change.link((moved) => `transition ${current.state} -> ${moved.state}`),
        );
        setEtag(ctx, a.version);
        return a;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/assets/:id/components',
      summary: "An asset's components: CPUs, memory modules, disks, NICs, RAID, PSUs, GPUs",
      tag: 'cmdb',
      scope: 'cmdb:read',
      params: IdParams,
      query: Type.Object({ kind: Type.Optional(ComponentKind) }),
      response: Type.Array(Component),
      handler: async (ctx) => {
        await store.get(ctx.params.id);
        return (await store.components(ctx.params.id)).filter((c) => !ctx.query.kind || c.kind === ctx.query.kind);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/assets/:id/components',
      summary: 'Add a component by hand (If-Match optional).' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      status: 201,
      params: IdParams,
      body: Type.Object({ kind: ComponentKind, slot: Type.String({ minLength: 1, maxLength: 200 }), attrs: Type.Record(Type.String(), Type.Unknown()) }),
      response: Component,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const change = await underChange(ctx, current.id);
        const c = await store.addComponent(
          ctx.params.id,
          expectedVersion(ctx, current.version, false),
          ctx.body,
          actorOf(ctx),
          change.link((added) => `added ${added.kind} ${added.slot}`, current.id),
        );
        ctx.audit({ tag: current.tag, component_id: c.id, change_id: change.changeId });
        return c;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/assets/:id/components/:componentId',
      summary: 'Remove a component (If-Match optional).' + CHANGE_HEADER,
      tag: 'cmdb',
      scope: 'cmdb:write',
      params: Type.Object({ id: Uuid, componentId: Uuid }),
      response: Component,
      handler: async (ctx) => {
        const current = await store.get(ctx.params.id);
        const change = await underChange(ctx, current.id);
        const c = await store.removeComponent(
          ctx.params.id,
          expectedVersion(ctx, current.version, false),
          ctx.params.componentId,
          actorOf(ctx),
          change.link((removed) => `removed ${removed.kind} ${removed.slot}`, current.id),
        );
        ctx.audit({ tag: current.tag, component_id: c.id, change_id: change.changeId });
        return c;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/assets/:id/changes',
      summary: "An asset's change records, field by field (deleted assets' too); oldest first, ?order=desc for newest",
      tag: 'cmdb',
      scope: 'cmdb:read',
      params: IdParams,
      query: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        cursor: Type.Optional(Type.String({ maxLength: 512 })),
        order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
      }),
      response: Type.Array(Change),
      handler: async (ctx) => {
        const limit = ctx.query.limit ?? 100;
        const afterId = ctx.query.cursor ? (decodeCursor(ctx.query.cursor, ['int'], ctx.query.order ?? 'asc')[0] as number) : undefined;
        const rows = await store.changes(ctx.params.id, { afterId, limit, desc: ctx.query.order === 'desc' });
        const page = rows.slice(0, limit);
        const next = rows.length > limit ? page[page.length - 1].id : null;
        ctx.setMeta({ limit, next_cursor: next === null ? null : encodeCursor([next], ctx.query.order ?? 'asc') });
        return page;
      },
    }),
  ];
}
