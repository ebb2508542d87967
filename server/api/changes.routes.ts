/** Change management: change requests, their approval by other people, review, calendar, and what was done under them. */
import { Type } from '@sinclair/typebox';
import { actingAs } from '../auth/person.js';
import { AppError } from '../errors.js';
import { setEtag } from '../http/etag.js';
import { route } from '../http/route.js';
import { CHANGE_KINDS, OUTCOMES, type ChangeRequest } from '../itil/changes.js';
import type { Itil } from '../itil/itil.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Risk = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);
const State = Type.Union([Type.Literal('requested'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('reviewed')]);
const Outcome = Type.Union(OUTCOMES.map((o) => Type.Literal(o)));
const Change = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    kinds: Type.Array(Type.String()),
    reason: Type.String(),
    risk: Risk,
    window_start: Timestamp,
    window_end: Timestamp,
    host_ids: Type.Array(Uuid),
    asset_ids: Type.Array(Uuid),
    approvals_required: Type.Integer(),
    state: State,
    requested_by: Type.String(),
    outcome: Nullable(Outcome),
    review_notes: Nullable(Type.String()),
    reviewed_by: Nullable(Type.String()),
    reviewed_at: Nullable(Timestamp),
    created_at: Timestamp,
    version: Type.Integer(),
  },
  // Closed: the requester (the person behind requested_by) is the server's to check, not shown.
  { additionalProperties: false },
);
const Detail = Type.Object({
  change: Change,
  decisions: Type.Array(Type.Object({ name: Type.String(), decision: Type.String(), note: Type.String(), at: Timestamp })),
  links: Type.Array(
    Type.Object({
      kind: Type.String({ description: 'task, agent_upgrade (a task), template, asset, release (object_id is the rollout)' }),
      object_id: Uuid,
      actor: Type.String(),
      note: Type.String({ description: 'what was done, in words' }),
      at: Timestamp,
    }),
  ),
});
const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;

export function changeRoutes(deps: { itil: Itil }) {
  const cr = deps.itil.changes;
  const detail = async (c: ChangeRequest) => ({ change: c, decisions: await cr.decisions(c.id), links: await cr.links(c.id) });
  return [
    route({
      method: 'GET',
      path: '/api/v1/changes',
      summary: 'Change requests, newest first (asset_id: those naming the asset or with edits of it)',
      tag: 'itil',
      scope: 'tasks:read',
      query: Type.Object({ state: Type.Optional(State), asset_id: Type.Optional(Uuid) }, { additionalProperties: false }),
      response: Type.Array(Change),
      handler: (ctx) => cr.list({ state: ctx.query.state, assetId: ctx.query.asset_id }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/changes',
      summary: 'Request a change: what, why, risk, window, hosts and assets; approvals_required people other than you must approve it',
      tag: 'itil',
      scope: 'tasks:run',
      status: 201,
      body: Type.Object(
        {
          title: Type.String({ minLength: 1, maxLength: 500 }),
          kinds: Type.Array(Type.Union(CHANGE_KINDS.map((k) => Type.Literal(k))), { minItems: 1, uniqueItems: true }),
          reason: Type.String({ minLength: 3, maxLength: 20_000 }),
          risk: Risk,
          window_start: Timestamp,
          window_end: Timestamp,
          host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100_000, uniqueItems: true })),
          asset_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100_000, uniqueItems: true })),
          approvals_required: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
        },
        { additionalProperties: false },
      ),
      response: Change,
      handler: async (ctx) => {
        const b = ctx.body;
        const c = await cr.create(
          {
            title: b.title,
            kinds: b.kinds,
            reason: b.reason,
            risk: b.risk,
            windowStart: new Date(b.window_start),
            windowEnd: new Date(b.window_end),
            hostIds: b.host_ids ?? [],
            assetIds: b.asset_ids ?? [],
            approvalsRequired: b.approvals_required ?? 1,
          },
          actingAs(ctx.principal!),
        );
        ctx.audit({ change_id: c.id });
        setEtag(ctx, c.version);
        return c;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/changes/:id',
      summary:
        'One change request with its decisions and its implementation: the tasks, agent upgrades, release rollouts, template and asset edits made under it',
      tag: 'itil',
      scope: 'tasks:read',
      params: IdParams,
      response: Detail,
      handler: async (ctx) => {
        const c = await cr.get(ctx.params.id);
        setEtag(ctx, c.version);
        return detail(c);
      },
    }),
    ...(['approve', 'reject'] as const).map((verb) =>
      route({
        method: 'POST',
        path: `/api/v1/changes/:id/${verb}`,
        summary:
          verb === 'approve'
            ? 'Approve a change request: not by its requester, whatever credential (session or their API key); approved once enough people approved'
            : 'Reject a change request (one rejection rejects it); not by its requester',
        tag: 'itil',
        scope: 'tasks:approve',
        params: IdParams,
        body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
        response: Detail,
        handler: async (ctx) => {
          const c = await cr.decide(ctx.params.id, verb === 'approve', actingAs(ctx.principal!), ctx.body.note ?? '');
          ctx.audit({ change_id: c.id, decision: verb, state: c.state });
          setEtag(ctx, c.version);
          return detail(c);
        },
      }),
    ),
    route({
      method: 'POST',
      path: '/api/v1/changes/:id/review',
      summary: 'Post-implementation review of an approved change: succeeded, failed or rolled_back, with notes',
      tag: 'itil',
      scope: 'tasks:run',
      params: IdParams,
      body: Type.Object({ outcome: Outcome, notes: Type.String({ maxLength: 20_000 }) }, { additionalProperties: false }),
      response: Change,
      handler: async (ctx) => {
        const c = await cr.review(ctx.params.id, ctx.body.outcome, ctx.body.notes, actor(ctx.principal!));
        ctx.audit({ change_id: c.id, outcome: c.outcome });
        setEtag(ctx, c.version);
        return c;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/change-calendar',
      summary: 'The change calendar: change requests (not rejected) whose window overlaps [from, to), by window start',
      tag: 'itil',
      scope: 'tasks:read',
      query: Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false }),
      response: Type.Array(Change),
      handler: async (ctx) => {
        const from = new Date(ctx.query.from);
        const to = new Date(ctx.query.to);
        if (to <= from) throw new AppError('VALIDATION_FAILED', 'invalid', 'query.to must be after query.from', { field: 'query.to' });
        if (to.getTime() - from.getTime() > 366 * 86_400_000)
          throw new AppError('VALIDATION_FAILED', 'invalid', 'the calendar spans at most a year', { field: 'query.to' });
        return cr.calendar(from, to);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/assets/:id/change-requests',
      summary: 'The change requests that name this asset or under which it was edited',
      tag: 'itil',
      scope: 'cmdb:read',
      params: IdParams,
      response: Type.Array(Change),
      handler: (ctx) => cr.list({ assetId: ctx.params.id }),
    }),
  ];
}
