/** Problems and their acknowledgement, incidents and their timeline, notification channels and their delivery log, maintenance windows. */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { route } from '../http/route.js';
import { INCIDENT_STATES } from '../monitor/incident-state.js';
import { MAINTENANCE_ORDER } from '../monitor/maintenance.js';
import { CHANNEL_ORDER, channelNotFound, DELIVERY_ORDER } from '../monitor/notifier.js';
import { INCIDENT_ORDER, PROBLEM_ORDER } from '../monitor/problem-store.js';
import { SEVERITIES } from '../monitor/trigger-evaluate.js';
import type { ApiDeps } from './deps.js';
import { changedBy } from './object-changes.routes.js';
import { monitorOf } from './monitor.routes.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';
import { Management, ManagedFields, managementOf } from './itil-incidents.routes.js';

const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const IncidentState = Type.Union(INCIDENT_STATES.map((s) => Type.Literal(s)));
const Before = Type.Optional(Type.String({ format: 'date-time', description: 'only those opened before this time' }));

/** Problems and incidents alike: newest opened first. */
const problemsPage = collection(PROBLEM_ORDER);
const incidentsPage = collection(INCIDENT_ORDER);
const channelsPage = collection(CHANNEL_ORDER);
const deliveriesPage = collection(DELIVERY_ORDER);
const maintenancePage = collection(MAINTENANCE_ORDER);
const Comment = Type.String({ maxLength: 4000 });

const HostName = Nullable(Type.String({ description: 'the host’s current name' }));

const Problem = Type.Object({
  id: Uuid,
  host_id: Uuid,
  host_name: HostName,
  trigger_ref: Type.String(),
  template_id: Nullable(Uuid),
  name: Type.String(),
  severity: Severity,
  expression: Type.String(),
  opened_at: Timestamp,
  value: Nullable(Type.Number()),
  resolved_at: Nullable(Timestamp),
  recovery_value: Nullable(Type.Number()),
  suppressed: Type.Boolean(),
  acknowledged_at: Nullable(Timestamp),
  acknowledged_by: Nullable(Type.String()),
  incident_id: Nullable(Uuid),
});

const Entry = Type.Object({
  at: Timestamp,
  kind: Type.String(),
  actor: Type.String(),
  comment: Type.String(),
  from_state: Type.Optional(Nullable(Type.String())),
  to_state: Type.Optional(Nullable(Type.String())),
  problem_id: Type.Optional(Nullable(Uuid)),
  value: Type.Optional(Nullable(Type.Number())),
});

const Incident = Type.Object({
  id: Uuid,
  title: Type.String(),
  host_id: Nullable(Uuid),
  host_name: HostName,
  severity: Severity,
  state: IncidentState,
  opened_at: Timestamp,
  updated_at: Timestamp,
  resolved_at: Nullable(Timestamp),
  closed_at: Nullable(Timestamp),
  version: Type.Integer(),
  ...ManagedFields,
});

const WebhookSettings = Type.Object({ url: Type.String({ pattern: '^https?://', maxLength: 2000 }) }, { additionalProperties: false });
const EmailSettings = Type.Object(
  {
    smtp_host: Type.String({ minLength: 1, maxLength: 255 }),
    smtp_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    secure: Type.Optional(Type.Boolean({ description: 'TLS from the start (port 465); otherwise STARTTLS when offered' })),
    username: Type.Optional(Type.String({ maxLength: 255 })),
    from: Type.String({ minLength: 3, maxLength: 255 }),
    to: Type.Array(Type.String({ minLength: 3, maxLength: 255 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

/** Never its secret (webhook key, SMTP password): the store does not read it back. */
const Channel = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
  settings: Type.Record(Type.String(), Type.Unknown()),
  min_severity: Severity,
  enabled: Type.Boolean(),
  created_at: Timestamp,
  created_by: Type.String(),
  version: Type.Integer(),
});

const Delivery = Type.Object({
  id: Type.Integer(),
  channel_id: Uuid,
  problem_id: Nullable(Uuid),
  event: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  next_attempt_at: Timestamp,
  last_status: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Timestamp,
  delivered_at: Nullable(Timestamp),
});

const Maintenance = Type.Object({
  id: Uuid,
  name: Type.String(),
  host_id: Nullable(Uuid),
  host_group_id: Nullable(Uuid),
  starts_at: Timestamp,
  ends_at: Timestamp,
  created_at: Timestamp,
  created_by: Type.String(),
});

export function alertRoutes(deps: ApiDeps) {
  const m = () => monitorOf(deps);
  const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;
  return [
    // --- problems ------------------------------------------------------------------------
    route({
      method: 'GET',
      path: '/api/v1/problems',
      summary: 'Problems, newest first: open ones (open=true), by host, severity at least, incident',
      tag: 'alerts',
      scope: 'monitor:read',
      query: Type.Object(
        {
          ...problemsPage.query,
          open: Type.Optional(Type.Boolean()),
          host_id: Type.Optional(Uuid),
          severity: Type.Optional(Severity),
          incident_id: Type.Optional(Uuid),
          before: Before,
        },
        { additionalProperties: false },
      ),
      response: Type.Array(Problem),
      handler: async (ctx) => {
        const q = ctx.query;
        const page = problemsPage.read(q);
        const rows = await m().problems.list(page, {
          open: q.open,
          hostId: q.host_id,
          severity: q.severity,
          incidentId: q.incident_id,
          before: q.before ? new Date(q.before) : undefined,
        });
        return finishPage(ctx, rows, page, (p) => [p.openedAt, p.id]);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/problems/summary',
      summary: 'Open problems counted per severity (all of them, not a page)',
      tag: 'alerts',
      scope: 'monitor:read',
      response: Type.Object({ open: Type.Integer(), by_severity: Type.Record(Type.String(), Type.Integer()) }),
      handler: async () => {
        const by = await m().problems.openCounts();
        return { open: Object.values(by).reduce((a, b) => a + (b ?? 0), 0), bySeverity: by };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/problems/:id',
      summary: 'One problem with its timeline (problem, acknowledgements, recovery)',
      tag: 'alerts',
      scope: 'monitor:read',
      params: IdParams,
      response: Type.Object({ problem: Problem, timeline: Type.Array(Entry) }),
      handler: async (ctx) => {
        const p = await m().problems.get(ctx.params.id);
        return { problem: p, timeline: await m().problems.problemTimeline(p.id) };
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/problems/:id/acknowledge',
      summary: 'Acknowledge a problem with a comment; its incident becomes acknowledged',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object({ comment: Comment }, { additionalProperties: false }),
      response: Problem,
      handler: async (ctx) => {
        const p = await m().acknowledge(ctx.params.id, actor(ctx.principal!), ctx.body.comment);
        ctx.audit({ problem_id: p.id });
        return p;
      },
    }),
    // --- incidents -----------------------------------------------------------------------
    route({
      method: 'GET',
      path: '/api/v1/incidents',
      summary: 'Incidents, newest first',
      tag: 'alerts',
      scope: 'monitor:read',
      query: Type.Object(
        { ...incidentsPage.query, state: Type.Optional(IncidentState), host_id: Type.Optional(Uuid), before: Before },
        { additionalProperties: false },
      ),
      response: Type.Array(Incident),
      handler: async (ctx) => {
        const q = ctx.query;
        const page = incidentsPage.read(q);
        const rows = await m().problems.listIncidents(page, { state: q.state, hostId: q.host_id, before: q.before ? new Date(q.before) : undefined });
        return finishPage(ctx, rows, page, (i) => [i.openedAt, i.id]);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/incidents/:id',
      summary: 'One incident with its problems, timeline, and (management) time to acknowledge and resolve against targets, escalations, known errors',
      tag: 'alerts',
      scope: 'monitor:read',
      params: IdParams,
      response: Type.Object({ incident: Incident, problems: Type.Array(Problem), timeline: Type.Array(Entry), management: Type.Optional(Management) }),
      handler: async (ctx) => {
        const i = await m().problems.getIncident(ctx.params.id);
        setEtag(ctx, i.version);
        const problems = await m().problems.ofIncident(i.id);
        const management = deps.itil && (await managementOf(deps.itil, i));
        return { incident: i, problems, timeline: await m().problems.incidentTimeline(i.id), management };
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/incidents/:id/transitions',
      summary: 'Move an incident: open -> acknowledged -> resolved -> closed (resolved may reopen); If-Match optional',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object({ to: IncidentState, comment: Type.Optional(Comment) }, { additionalProperties: false }),
      response: Incident,
      handler: async (ctx) => {
        // Without If-Match no precondition was asked for: a timeline entry written meanwhile (priority, known error) must not refuse the move.
        const version =
          ctx.headers['if-match'] === undefined ? undefined : (ifMatchVersion(ctx, (await m().problems.getIncident(ctx.params.id)).version) as number);
        const i = await m().problems.updateIncident(ctx.params.id, actor(ctx.principal!), { to: ctx.body.to, comment: ctx.body.comment ?? '', version });
        ctx.audit({ incident_id: i.id, to: i.state });
        setEtag(ctx, i.version);
        return i;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/incidents/:id/comments',
      summary: 'Add a comment to an incident’s timeline',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object({ comment: Type.String({ minLength: 1, maxLength: 4000 }) }, { additionalProperties: false }),
      response: Incident,
      handler: async (ctx) => {
        const i = await m().problems.updateIncident(ctx.params.id, actor(ctx.principal!), { comment: ctx.body.comment });
        ctx.audit({ incident_id: i.id });
        setEtag(ctx, i.version);
        return i;
      },
    }),
    // --- notification channels -------------------------------------------------------------
    route({
      method: 'GET',
      path: '/api/v1/notification-channels',
      summary: 'Where problems are sent: webhooks and email',
      tag: 'alerts',
      scope: 'monitor:read',
      query: Type.Object({ ...channelsPage.query }, { additionalProperties: false }),
      response: Type.Array(Channel),
      handler: async (ctx) => {
        const page = channelsPage.read(ctx.query);
        return finishPage(ctx, await m().notifier.listChannels(page), page, (c) => [c.name, c.id]);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/notification-channels',
      summary: 'Add a webhook or email channel; a webhook’s signing secret is in this answer only',
      description:
        'Webhooks get a JSON POST with X-AutoWatch-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. ' +
        'Failed deliveries are retried with exponential backoff; see /api/v1/notification-deliveries. ' +
        'Internal addresses (loopback, private, link-local, metadata) are refused, here (400 CHANNEL_TARGET_FORBIDDEN) and when connecting, ' +
        'unless an admin allow-lists their network (AW_NOTIFY_ALLOW_NETWORKS).',
      tag: 'alerts',
      scope: 'monitor:write',
      status: 201,
      body: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 100 }),
          kind: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
          settings: Type.Union([WebhookSettings, EmailSettings]),
          secret: Type.Optional(
            Type.String({ minLength: 16, maxLength: 200, description: 'webhook: signing key (made for you when absent); email: SMTP password' }),
          ),
          min_severity: Type.Optional(Severity),
          enabled: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ channel: Channel, secret: Nullable(Type.String({ description: 'webhook signing key; shown once' })) }),
      handler: async (ctx) => {
        const b = ctx.body;
        const isWebhook = b.kind === 'webhook';
        if (isWebhook !== 'url' in b.settings)
          throw new AppError('VALIDATION_FAILED', 'invalid', `body.settings do not fit a ${b.kind} channel`, { field: 'body.settings' });
        const secret = b.secret ?? (isWebhook ? randomBytes(24).toString('base64url') : '');
        const p = ctx.principal!;
        const c = await m().notifier.createChannel(
          { name: b.name, kind: b.kind, settings: b.settings, secret, minSeverity: b.min_severity ?? 'info', enabled: b.enabled ?? true },
          `${p.kind}:${p.id}`,
          changedBy(ctx),
        );
        ctx.audit({ channel_id: c.id, kind: c.kind });
        setEtag(ctx, c.version);
        return { channel: c, secret: isWebhook ? secret : null };
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/notification-channels/:id',
      summary: 'Enable or disable a channel, change its severity floor, settings or secret; needs If-Match',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      body: Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          min_severity: Type.Optional(Severity),
          settings: Type.Optional(Type.Union([WebhookSettings, EmailSettings])),
          secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
      response: Channel,
      handler: async (ctx) => {
        const current = await m().notifier.getChannel(ctx.params.id);
        const version = ifMatchVersion(ctx, current.version) as number;
        if (ctx.body.settings && (current.kind === 'webhook') !== 'url' in ctx.body.settings) {
          throw new AppError('VALIDATION_FAILED', 'invalid', `body.settings do not fit a ${current.kind} channel`, { field: 'body.settings' });
        }
        const c = await m().notifier.updateChannel(
          ctx.params.id,
          version,
          { enabled: ctx.body.enabled, minSeverity: ctx.body.min_severity, settings: ctx.body.settings, secret: ctx.body.secret },
          changedBy(ctx),
        );
        ctx.audit({ channel_id: c.id, changed: Object.keys(ctx.body) });
        setEtag(ctx, c.version);
        return c;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/notification-channels/:id/test',
      summary: 'Send a test notification through a channel (enabled or not); its outcome shows in the delivery log',
      tag: 'alerts',
      scope: 'monitor:write',
      status: 202,
      params: IdParams,
      response: Type.Object({ delivery_id: Type.Integer({ description: 'see GET /api/v1/notification-deliveries?channel_id=' }) }),
      handler: async (ctx) => {
        const p = ctx.principal!;
        const id = await m().notifier.enqueueTest(ctx.params.id, `${p.kind}:${p.name}`);
        if (id === null) throw channelNotFound();
        ctx.audit({ channel_id: ctx.params.id, delivery_id: String(id) });
        return { deliveryId: id };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/notification-channels/:id',
      summary: 'Remove a channel and its delivery log',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      response: Type.Object({ id: Uuid }),
      handler: async (ctx) => {
        await m().notifier.deleteChannel(ctx.params.id, changedBy(ctx));
        ctx.audit({ channel_id: ctx.params.id });
        return { id: ctx.params.id };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/notification-deliveries',
      summary: 'The delivery log: each notification, its attempts and outcome, newest first',
      tag: 'alerts',
      scope: 'monitor:read',
      query: Type.Object(
        {
          channel_id: Type.Optional(Uuid),
          problem_id: Type.Optional(Uuid),
          state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])),
          ...deliveriesPage.query,
        },
        { additionalProperties: false },
      ),
      response: Type.Array(Delivery),
      handler: async (ctx) => {
        const page = deliveriesPage.read(ctx.query);
        const rows = await m().notifier.deliveries(page, { channelId: ctx.query.channel_id, problemId: ctx.query.problem_id, state: ctx.query.state });
        return finishPage(ctx, rows, page, (d) => [d.createdAt, d.id]);
      },
    }),
    // --- maintenance windows ---------------------------------------------------------------
    route({
      method: 'GET',
      path: '/api/v1/maintenance-windows',
      summary: 'Maintenance windows (current=true: those not yet over)',
      tag: 'alerts',
      scope: 'monitor:read',
      query: Type.Object({ ...maintenancePage.query, current: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: Type.Array(Maintenance),
      handler: async (ctx) => {
        const page = maintenancePage.read(ctx.query);
        return finishPage(ctx, await m().maintenance.list(page, ctx.query.current), page, (w) => [w.startsAt, w.id]);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/maintenance-windows',
      summary: 'Silence a host or a host group for a time: problems are recorded, nobody is notified',
      tag: 'alerts',
      scope: 'monitor:write',
      status: 201,
      body: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          host_id: Type.Optional(Uuid),
          host_group_id: Type.Optional(Uuid),
          starts_at: Timestamp,
          ends_at: Timestamp,
        },
        { additionalProperties: false },
      ),
      response: Maintenance,
      handler: async (ctx) => {
        const b = ctx.body;
        if ((b.host_id === undefined) === (b.host_group_id === undefined))
          throw new AppError('VALIDATION_FAILED', 'invalid', 'give exactly one of body.host_id and body.host_group_id', { field: 'body.host_id' });
        const startsAt = new Date(b.starts_at);
        const endsAt = new Date(b.ends_at);
        if (endsAt <= startsAt) throw new AppError('VALIDATION_FAILED', 'invalid', 'body.ends_at must be after body.starts_at', { field: 'body.ends_at' });
        const p = ctx.principal!;
        const w = await m().maintenance.create(
          { name: b.name, hostId: b.host_id, hostGroupId: b.host_group_id, startsAt, endsAt },
          `${p.kind}:${p.id}`,
          changedBy(ctx),
        );
        ctx.audit({ maintenance_id: w.id });
        return w;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/maintenance-windows/:id',
      summary: 'End and remove a maintenance window',
      tag: 'alerts',
      scope: 'monitor:write',
      params: IdParams,
      response: Maintenance,
      handler: async (ctx) => {
        const w = await m().maintenance.remove(ctx.params.id, changedBy(ctx));
        ctx.audit({ maintenance_id: w.id });
        return w;
      },
    }),
  ];
}
