/**
 * The object change log over HTTP: one route an object type, so each carries the read scope of the
 * objects it shows (a key that may not see templates may not see their history either).
 */
import { Type } from '@sinclair/typebox';
import { decodeCursor, encodeCursor } from '../keyset.js';
import { route, type RequestContext } from '../http/route.js';
import { OBJECT_TYPES, type ChangeActor, type ObjectChangeLog, type ObjectType } from '../history/object-changes.js';
import { Nullable, Timestamp } from './schemas.js';

const READ_SCOPE: Record<ObjectType, string> = {
  host: 'hosts:read',
  host_group: 'hosts:read',
  asset: 'cmdb:read',
  asset_type: 'cmdb:read',
  template: 'monitor:read',
  template_item: 'monitor:read',
  trigger: 'monitor:read',
  notification_channel: 'monitor:read',
  maintenance_window: 'monitor:read',
  task_policy: 'tasks:read',
};

const ObjectChange = Type.Object({
  id: Type.Integer({ description: 'increasing: later changes have larger ids' }),
  object_type: Type.Union(OBJECT_TYPES.map((t) => Type.Literal(t))),
  object_id: Type.String({ description: 'a template item or trigger is "<template id>:<key>", an asset type its name' }),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
  before: Type.Unknown({ description: 'the object before the change; null for a create. Assets: the fields the change touched' }),
  after: Type.Unknown({ description: 'the object after the change; null for a delete. Secrets are never included' }),
  actor_kind: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('agent'), Type.Literal('system')]),
  actor_id: Type.String(),
  request_id: Nullable(Type.String({ description: 'the request that made the change (its X-Request-Id)' })),
  at: Timestamp,
});

/** Whom a change row names: the caller and the request it made the change in. */
export const changedBy = (ctx: Pick<RequestContext, 'principal' | 'requestId'>): ChangeActor => ({
  kind: ctx.principal!.kind,
  id: ctx.principal!.id,
  requestId: ctx.requestId,
});

export function objectChangeRoutes(deps: { changes: ObjectChangeLog }) {
  return OBJECT_TYPES.map((type) =>
    route({
      method: 'GET',
      path: `/api/v1/object-changes/${type}`,
      summary: `Changes of ${type.replace(/_/g, ' ')}s (of one with ?object_id=): before, after, who and in which request; oldest first, ?order=desc for newest`,
      tag: 'history',
      scope: READ_SCOPE[type],
      query: Type.Object(
        {
          object_id: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          cursor: Type.Optional(Type.String({ maxLength: 512 })),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
        },
        { additionalProperties: false },
      ),
      response: Type.Array(ObjectChange),
      handler: async (ctx) => {
        const limit = ctx.query.limit ?? 100;
        const order = ctx.query.order ?? 'asc';
        const afterId = ctx.query.cursor ? (decodeCursor(ctx.query.cursor, ['int'], order)[0] as number) : undefined;
        const rows = await deps.changes.list({ type, objectId: ctx.query.object_id }, { afterId, limit, desc: order === 'desc' });
        const page = rows.slice(0, limit);
        ctx.setMeta({ limit, next_cursor: rows.length > limit ? encodeCursor([page[page.length - 1].id], order) : null });
        return page;
      },
    }),
  );
}
