/** Services (hosts x checks) and their availability against the SLA target. */
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { route } from '../http/route.js';
import type { Itil } from '../itil/itil.js';
import type { Period } from '../itil/availability.js';
import { availabilityPct, periodStart } from '../itil/availability.js';
import type { ServiceFields } from '../itil/services.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const UpWhen = Type.Union([Type.Literal('all'), Type.Literal('any')]);
const ServiceSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  host_ids: Type.Array(Uuid),
  check_keys: Type.Array(Type.String()),
  up_when: UpWhen,
  sla_target: Type.Number(),
  created_at: Timestamp,
  created_by: Type.String(),
  updated_at: Timestamp,
  version: Type.Integer(),
});
const Body = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    host_ids: Type.Array(Uuid, { minItems: 1, maxItems: 200, uniqueItems: true }),
    check_keys: Type.Array(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$', description: 'an item key: its status is the metric <key>.status' }), {
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
    }),
    up_when: Type.Optional(UpWhen),
    sla_target: Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'percent of the known time, e.g. 99.9 (kept to 3 decimals)' }),
  },
  { additionalProperties: false },
);
const fields = (b: Static<typeof Body>): ServiceFields => ({
  name: b.name,
  description: b.description ?? '',
  hostIds: b.host_ids,
  checkKeys: b.check_keys,
  upWhen: b.up_when ?? 'all',
  slaTarget: b.sla_target,
});

const PeriodSchema = Type.Object({
  start: Timestamp,
  end: Timestamp,
  up_s: Type.Number(),
  down_s: Type.Number(),
  unknown_s: Type.Number(),
  availability_pct: Nullable(Type.Number()),
  met: Nullable(Type.Boolean()),
  resolution_s: Type.Number(),
  down: Type.Array(Type.Object({ start: Timestamp, end: Timestamp })),
  incidents: Type.Array(
    Type.Object({
      id: Uuid,
      title: Type.String(),
      host_id: Uuid,
      priority: Nullable(Type.String()),
      state: Type.String(),
      opened_at: Timestamp,
      resolved_at: Nullable(Timestamp),
      down_overlap_s: Type.Number(),
    }),
  ),
});
/** Periods answered when `from` is not given. */
const DEFAULT_SPAN: Record<Period, number> = { day: 30, week: 12, month: 12 };

export function serviceRoutes(deps: { itil: Itil }) {
  const svc = deps.itil.services;
  const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;
  return [
    route({
      method: 'GET',
      path: '/api/v1/services',
      summary: 'Services: hosts and checks whose availability is measured against an SLA target',
      tag: 'itil',
      scope: 'monitor:read',
      response: Type.Array(ServiceSchema),
      handler: () => svc.list(),
    }),
    route({
      method: 'POST',
      path: '/api/v1/services',
      summary: 'Define a service: every check key on every host; up_when all (default) or any (redundant hosts); sla_target in percent',
      tag: 'itil',
      scope: 'monitor:write',
      status: 201,
      body: Body,
      response: ServiceSchema,
      handler: async (ctx) => {
        const s = await svc.create(fields(ctx.body), actor(ctx.principal!));
        ctx.audit({ service_id: s.id });
        setEtag(ctx, s.version);
        return s;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/services/:id',
      summary: 'One service',
      tag: 'itil',
      scope: 'monitor:read',
      params: IdParams,
      response: ServiceSchema,
      handler: async (ctx) => {
        const s = await svc.get(ctx.params.id);
        setEtag(ctx, s.version);
        return s;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/services/:id',
      summary: 'Replace a service (If-Match: its ETag, optional)',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      body: Body,
      response: ServiceSchema,
      handler: async (ctx) => {
        const version = ifMatchVersion(ctx, (await svc.get(ctx.params.id)).version, { required: false }) as number;
        const s = await svc.update(ctx.params.id, fields(ctx.body), version);
        ctx.audit({ service_id: s.id });
        setEtag(ctx, s.version);
        return s;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/services/:id',
      summary: 'Remove a service (its check history stays in the metric store)',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      status: 204,
      response: Type.Null(),
      handler: async (ctx) => {
        await svc.remove(ctx.params.id);
        ctx.audit({ service_id: ctx.params.id });
        return null;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/services/:id/availability',
      summary: "Availability per UTC day, ISO week or month from the checks' status history, against the SLA target, with the incidents that cost it",
      description: 'from defaults to 30 days, 12 weeks or 12 months back; to to now. Whole periods touching [from, to) are answered, up to now.',
      tag: 'itil',
      scope: 'monitor:read',
      params: IdParams,
      query: Type.Object(
        {
          period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({
        service: ServiceSchema,
        period: Type.String(),
        periods: Type.Array(PeriodSchema),
        total: Type.Object({
          up_s: Type.Number(),
          down_s: Type.Number(),
          unknown_s: Type.Number(),
          availability_pct: Nullable(Type.Number()),
          met: Nullable(Type.Boolean()),
        }),
      }),
      handler: async (ctx) => {
        const s = await svc.get(ctx.params.id);
        const { period } = ctx.query;
        const now = Date.now();
        const to = ctx.query.to ? Date.parse(ctx.query.to) : now;
        let from = ctx.query.from ? Date.parse(ctx.query.from) : periodStart(period, now);
        if (!ctx.query.from) for (let i = 1; i < DEFAULT_SPAN[period]; i++) from = periodStart(period, from - 1);
        if (to <= from) throw new AppError('VALIDATION_FAILED', 'invalid', 'query.to must be after query.from', { field: 'query.to' });
        const periods = await svc.availability(s, period, from, to, now);
        const sum = (k: 'upS' | 'downS' | 'unknownS') => periods.reduce((a, p) => a + p[k], 0);
        const up = sum('upS');
        const down = sum('downS');
        const pct = availabilityPct({ upMs: up, downMs: down });
        return {
          service: s,
          period,
          periods,
          total: { upS: up, downS: down, unknownS: sum('unknownS'), availabilityPct: pct, met: pct === null ? null : pct >= s.slaTarget },
        };
      },
    }),
  ];
}
