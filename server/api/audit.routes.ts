/** The audit trail, for admins (scope audit:read): who changed what, when, from where, with what result. */
import { Type } from '@sinclair/typebox';
import { AUDIT_ORDER, type AuditTrail } from '../auth/audit-trail.js';
import { AppError } from '../errors.js';
import { collection, finishPage, parseInstant, TimeRangeQuery } from '../http/pagination.js';
import { route } from '../http/route.js';
import { Nullable, Timestamp } from './schemas.js';

const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  request_id: Type.String(),
  actor_kind: Type.String(),
  actor_id: Nullable(Type.String()),
  actor_name: Nullable(Type.String()),
  method: Type.String(),
  path: Type.String(),
  route: Nullable(Type.String()),
  resource: Type.Record(Type.String(), Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown()),
  status: Type.Integer(),
  error_code: Nullable(Type.String()),
  remote_address: Type.String(),
  duration_ms: Type.Number(),
});

const entries = collection(AUDIT_ORDER);

export function auditRoutes(trail: AuditTrail) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/audit',
      summary: 'The audit trail, newest first: every change and every login, with its result',
      tag: 'audit',
      scope: 'audit:read',
      query: Type.Object({
        ...entries.query,
        ...TimeRangeQuery,
        actor_kind: Type.Optional(Type.Union(['user', 'api_key', 'agent', 'anonymous', 'system'].map((k) => Type.Literal(k)))),
        actor_id: Type.Optional(Type.String({ maxLength: 128 })),
        method: Type.Optional(Type.Union(['POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)))),
        route: Type.Optional(Type.String({ maxLength: 256, description: 'route template, e.g. /api/v1/users/:id' })),
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
        error_code: Type.Optional(Type.String({ maxLength: 64 })),
        request_id: Type.Optional(Type.String({ maxLength: 128 })),
      }),
      response: Type.Array(AuditEntry),
      handler: async (ctx) => {
        const q = ctx.query;
        const page = entries.read(q);
        // Records of this node still in the write queue belong in the answer.
        await trail.flush();
        const rows = await trail.list(page, {
          actorKind: q.actor_kind,
          actorId: q.actor_id,
          method: q.method,
          route: q.route,
          status: q.status,
          errorCode: q.error_code,
          requestId: q.request_id,
          since: parseInstant(q.since, 'since'),
          until: parseInstant(q.until, 'until'),
        });
        return finishPage(ctx, rows, page, (r) => [r.at, r.id]);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/audit/:id',
      summary: 'One audit record',
      tag: 'audit',
      scope: 'audit:read',
      params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
      response: AuditEntry,
      handler: async (ctx) => {
        const record = await trail.get(ctx.params.id);
        if (!record) throw new AppError('AUDIT_RECORD_NOT_FOUND', 'not_found', 'audit record not found');
        return record;
      },
    }),
  ];
}
