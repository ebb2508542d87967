/** Incident management: the priority matrix and targets, escalation rules, an incident's priority and assignee. */
import { Type, type TSchema } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { route } from '../http/route.js';
import { AsStored } from '../http/wire.js';
import type { Itil } from '../itil/itil.js';
import { LEVELS, PRIORITIES } from '../itil/priority.js';
import type { IncidentRecord } from '../monitor/problem-store.js';
import { SEVERITIES } from '../monitor/trigger-evaluate.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

export const Level = Type.Union(LEVELS.map((l) => Type.Literal(l)));
export const PriorityName = Type.Union(PRIORITIES.map((p) => Type.Literal(p)));
/** An object with one property of `value` per key (Object.fromEntries cannot say which keys it makes). */
const each = <K extends string, T extends TSchema>(keys: readonly K[], value: T) =>
  Type.Object(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, T>, { additionalProperties: false });

const Settings = Type.Object(
  {
    matrix: each(LEVELS, each(LEVELS, PriorityName)),
    severity_defaults: each(SEVERITIES, Type.Object({ impact: Level, urgency: Level }, { additionalProperties: false })),
    targets: each(
      PRIORITIES,
      Type.Object({ acknowledge_s: Type.Integer({ minimum: 1 }), resolve_s: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, description: 'matrix[impact][urgency] = priority; severity_defaults: what a trigger severity gives; targets in seconds' },
);

const RuleBody = Type.Object(
  {
    priority: PriorityName,
    kind: Type.Union([Type.Literal('acknowledge'), Type.Literal('resolve')]),
    after_s: Type.Integer({ minimum: 1, maximum: 30 * 86400 }),
    channel_id: Uuid,
    raise_priority: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const Rule = Type.Object({
  id: Uuid,
  priority: PriorityName,
  kind: Type.Union([Type.Literal('acknowledge'), Type.Literal('resolve')]),
  after_s: Type.Integer(),
  channel_id: Uuid,
  raise_priority: Type.Boolean(),
  created_at: Timestamp,
  created_by: Type.String(),
});

const Measure = Type.Object({ seconds: Nullable(Type.Integer()), target_s: Type.Integer(), met: Nullable(Type.Boolean()) });

/** What incident management adds to an incident's answer. */
export const Management = Type.Object({
  time_to_acknowledge: Nullable(Measure),
  time_to_resolve: Nullable(Measure),
  escalations: Type.Array(Type.Object({ rule_id: Uuid, kind: Type.String(), channel_id: Uuid, at: Timestamp })),
  known_errors: Type.Array(
    Type.Object({
      id: Uuid,
      title: Type.String(),
      status: Type.String(),
      workaround: Type.String(),
      root_cause: Type.String(),
      linked_by: Type.String(),
      linked_at: Timestamp,
    }),
  ),
});

/** The incident fields incident management adds (alerts.routes.ts's Incident carries them). */
export const ManagedFields = {
  impact: Nullable(Level),
  urgency: Nullable(Level),
  priority: Nullable(PriorityName),
  priority_manual: Type.Boolean(),
  assignee_id: Nullable(Uuid),
  acknowledged_at: Nullable(Timestamp),
};

/** An incident's management: its times against the targets, its escalations, its known errors (the root cause, or the one suspected until found). */
export async function managementOf(itil: Itil, i: IncidentRecord) {
  const measures = await itil.incidents.measures(i);
  return {
    timeToAcknowledge: measures?.timeToAcknowledge ?? null,
    timeToResolve: measures?.timeToResolve ?? null,
    escalations: await itil.incidents.escalationsOf(i.id),
    knownErrors: (await itil.knownErrors.ofIncident(i.id)).map((k) => ({
      id: k.id,
      title: k.title,
      status: k.status,
      workaround: k.workaround,
      rootCause: k.rootCause || k.suspectedCause,
      linkedBy: k.linkedBy,
      linkedAt: k.linkedAt,
    })),
  };
}

/** Closed: the incident's other fields are left out of these answers. */
const IncidentPriority = Type.Object({ id: Uuid, version: Type.Integer(), ...ManagedFields }, { additionalProperties: false });
const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;

export function itilIncidentRoutes(deps: { itil: Itil }) {
  const im = deps.itil.incidents;
  return [
    route({
      method: 'GET',
      path: '/api/v1/itil/settings',
      summary: 'The priority matrix (impact x urgency), what each trigger severity defaults to, and the time targets per priority',
      tag: 'itil',
      scope: 'monitor:read',
      response: AsStored(Settings),
      handler: async (ctx) => {
        const s = await im.settings();
        setEtag(ctx, s.version);
        return s.doc;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/itil/settings',
      summary: 'Replace the priority matrix, severity defaults and targets; If-Match optional',
      tag: 'itil',
      scope: 'monitor:write',
      body: Settings,
      response: AsStored(Settings),
      handler: async (ctx) => {
        const version = ifMatchVersion(ctx, (await im.settings()).version, { required: false }) as number | undefined;
        const s = await im.saveSettings(ctx.body, version, actor(ctx.principal!));
        ctx.audit({ settings: 'itil' });
        setEtag(ctx, s.version);
        return s.doc;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/escalation-rules',
      summary: 'Escalation rules: an incident of a priority not acknowledged (or not resolved) within after_s notifies a channel',
      tag: 'itil',
      scope: 'monitor:read',
      response: Type.Array(Rule),
      handler: () => im.listRules(),
    }),
    route({
      method: 'POST',
      path: '/api/v1/escalation-rules',
      summary: 'Add an escalation rule (each fires once per incident; raise_priority moves the incident one step up)',
      tag: 'itil',
      scope: 'monitor:write',
      status: 201,
      body: RuleBody,
      response: Rule,
      handler: async (ctx) => {
        const b = ctx.body;
        const r = await im.createRule(
          { priority: b.priority, kind: b.kind, afterS: b.after_s, channelId: b.channel_id, raisePriority: b.raise_priority ?? false },
          actor(ctx.principal!),
        );
        ctx.audit({ rule_id: r.id });
        return r;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/escalation-rules/:id',
      summary: 'Replace an escalation rule; incidents it fired for already are not notified again',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      body: RuleBody,
      response: Rule,
      handler: async (ctx) => {
        const b = ctx.body;
        const r = await im.updateRule(ctx.params.id, {
          priority: b.priority,
          kind: b.kind,
          afterS: b.after_s,
          channelId: b.channel_id,
          raisePriority: b.raise_priority ?? false,
        });
        ctx.audit({ rule_id: r.id, priority: r.priority, kind: r.kind, after_s: r.afterS });
        return r;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/escalation-rules/:id',
      summary: 'Remove an escalation rule',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      response: Type.Object({ id: Uuid }),
      handler: async (ctx) => {
        await im.deleteRule(ctx.params.id);
        ctx.audit({ rule_id: ctx.params.id });
        return { id: ctx.params.id };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/incidents/:id/priority',
      summary: 'Set an incident’s impact and urgency (the matrix gives the priority) or its priority directly; from then on set by people',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object(
        {
          impact: Type.Optional(Level),
          urgency: Type.Optional(Level),
          priority: Type.Optional(PriorityName),
          comment: Type.Optional(Type.String({ maxLength: 4000 })),
        },
        { additionalProperties: false },
      ),
      response: IncidentPriority,
      handler: async (ctx) => {
        const b = ctx.body;
        if (!b.impact && !b.urgency && !b.priority)
          throw new AppError('VALIDATION_FAILED', 'invalid', 'give body.impact, body.urgency or body.priority', { field: 'body' });
        const i = await im.setPriority(ctx.params.id, { impact: b.impact, urgency: b.urgency, priority: b.priority }, actor(ctx.principal!), b.comment ?? '');
        ctx.audit({ incident_id: i.id, priority: i.priority });
        setEtag(ctx, i.version);
        return i;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/incidents/:id/assignee',
      summary: 'Assign an incident to a user (null: to nobody)',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object({ user_id: Nullable(Uuid) }, { additionalProperties: false }),
      response: IncidentPriority,
      handler: async (ctx) => {
        const i = await im.assign(ctx.params.id, ctx.body.user_id, actor(ctx.principal!));
        ctx.audit({ incident_id: i.id, assignee_id: i.assigneeId });
        setEtag(ctx, i.version);
        return i;
      },
    }),
  ];
}
