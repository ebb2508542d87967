/** Monitoring templates, their links to hosts and host groups, and the configuration a host's agent gets. */
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { route, type RequestContext } from '../http/route.js';
import { AsStored } from '../http/wire.js';
import { COLLECTORS } from '../../protocol/messages.js';
import { agentMonitoring, ITEM_TYPES, type TemplateItem, type TemplateTrigger } from '../monitor/template-model.js';
import { TEMPLATE_ORDER } from '../monitor/template-store.js';
import { SEVERITIES } from '../monitor/trigger-evaluate.js';
import type { ApiDeps, MonitorService } from './deps.js';
import { editUnderChange } from './edit-under-change.js';
import { changedBy } from './object-changes.routes.js';
import { IdParams, Timestamp, Uuid } from './schemas.js';

const Key = Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$' });
const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const ParamValue = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);

const Item = Type.Object(
  {
    key: Key,
    type: Type.Union(ITEM_TYPES.map((t) => Type.Literal(t))),
    interval_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
    timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    collector: Type.Optional(
      Type.String({ maxLength: 64, description: `collector item: the agent’s built-in collector to run every interval_s, one of ${COLLECTORS.join(', ')}` }),
    ),
    command: Type.Optional(Type.String({ maxLength: 128, description: 'plugin file name in the agent’s plugin folders' })),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 64 })),
    output: Type.Optional(Type.Union([Type.Literal('nagios'), Type.Literal('json'), Type.Literal('auto')])),
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z_]{1,32}$' }), ParamValue)),
  },
  { additionalProperties: false },
);

const Trigger = Type.Object(
  {
    key: Key,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    severity: Severity,
    expression: Type.String({ minLength: 1, maxLength: 2000, description: 'e.g. last(tcp_22.status) >= 2; see docs/monitoring.md' }),
    recovery: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const TemplateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    items: Type.Array(Item, { maxItems: 500 }),
    triggers: Type.Array(Trigger, { maxItems: 500 }),
    includes: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const Template = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  items: AsStored(Type.Array(Item)),
  triggers: AsStored(Type.Array(Trigger)),
  includes: Type.Array(Uuid),
  host_ids: Type.Array(Uuid),
  host_group_ids: Type.Array(Uuid),
  created_at: Timestamp,
  created_by: Type.String(),
  updated_at: Timestamp,
  version: Type.Integer(),
});

const AgentItem = Type.Object({
  key: Type.String(),
  type: Type.String(),
  intervalS: Type.Integer(),
  timeoutS: Type.Integer(),
  command: Type.Optional(Type.String()),
  args: Type.Optional(Type.Array(Type.String())),
  output: Type.Optional(Type.String()),
  params: Type.Optional(Type.Record(Type.String(), ParamValue)),
});

export const monitorOf = (deps: ApiDeps): MonitorService => {
  if (!deps.monitor) throw new AppError('NOT_AVAILABLE', 'unavailable', 'monitoring is not running on this server');
  return deps.monitor;
};

const templatesPage = collection(TEMPLATE_ORDER);

const LinkParams = Type.Object({ id: Uuid, host_id: Uuid }, { additionalProperties: false });
const GroupLinkParams = Type.Object({ id: Uuid, group_id: Uuid }, { additionalProperties: false });

const CHANGE_HEADER = ' X-Change-Id: the approved change request it is made under (docs/itil.md)';

export function monitorRoutes(deps: ApiDeps) {
  const m = () => monitorOf(deps);
  /** Making, editing and deleting a template may be done under an approved change request (./edit-under-change.ts). */
  const underChange = (ctx: RequestContext) => editUnderChange(deps.itil?.changes, ctx, 'template');
  const input = (b: { name: string; description?: string; items: unknown[]; triggers: unknown[]; includes?: string[] }) => ({
    name: b.name,
    description: b.description,
    items: b.items as TemplateItem[],
    triggers: b.triggers as TemplateTrigger[],
    includes: b.includes,
  });
  return [
    route({
      method: 'GET',
      path: '/api/v1/templates',
      summary: 'Monitoring templates, by name (paged: limit, cursor)',
      tag: 'monitoring',
      scope: 'monitor:read',
      query: Type.Object({ ...templatesPage.query }, { additionalProperties: false }),
      response: Type.Array(Template),
      handler: async (ctx) => {
        const page = templatesPage.read(ctx.query);
        return finishPage(ctx, await m().templates.list(page), page, (t) => [t.name, t.id]);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/templates',
      summary: 'Make a template: items the agent checks and triggers on their results.' + CHANGE_HEADER,
      description: 'Item results arrive as metrics <key>.status (0-3), <key>.duration_ms and <key>.<perfdata label>; triggers read them (docs/monitoring.md).',
      tag: 'monitoring',
      scope: 'monitor:write',
      status: 201,
      body: TemplateBody,
      response: Template,
      handler: async (ctx) => {
        const p = ctx.principal!;
        await m().templateChanges.guard([], input(ctx.body).items);
        const change = await underChange(ctx);
        const t = await m().templates.create(
          input(ctx.body),
          `${p.kind}:${p.id}`,
          changedBy(ctx),
          change.link((made) => `${made.name}: created`),
        );
        ctx.audit({ template_id: t.id, name: t.name, change_id: change.changeId });
        ctx.setHeader('Location', `/api/v1/templates/${t.id}`);
        setEtag(ctx, t.version);
        if (t.includes.length) await m().templatesChanged([t.id]);
        return t;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/templates/:id',
      summary: 'One template',
      tag: 'monitoring',
      scope: 'monitor:read',
      params: IdParams,
      response: Template,
      handler: async (ctx) => {
        const t = await m().templates.get(ctx.params.id);
        setEtag(ctx, t.version);
        return t;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/templates/:id',
      summary: 'Replace a template’s content; needs If-Match. Agents of linked hosts get the new configuration at once.' + CHANGE_HEADER,
      description:
        'When a task policy sets template_plugin_items, a change adding or changing plugin items is CHANGE_REQUEST_REQUIRED: send it through POST /api/v1/template-changes.',
      tag: 'monitoring',
      scope: 'monitor:write',
      params: IdParams,
      body: TemplateBody,
      response: Template,
      handler: async (ctx) => {
        const current = await m().templates.get(ctx.params.id);
        const version = ifMatchVersion(ctx, current.version) as number;
        await m().templateChanges.guard(current.items, input(ctx.body).items);
        const change = await underChange(ctx);
        const t = await m().templates.update(
          ctx.params.id,
          version,
          input(ctx.body),
          changedBy(ctx),
          change.link((edited) => `${edited.name}: edited`),
        );
        ctx.audit({ template_id: t.id, name: t.name, change_id: change.changeId });
        await m().templatesChanged([t.id]);
        setEtag(ctx, t.version);
        return t;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/templates/:id',
      summary: 'Delete a template (refused while another includes it); its open problems recover.' + CHANGE_HEADER,
      tag: 'monitoring',
      scope: 'monitor:write',
      params: IdParams,
      response: Type.Object({ id: Uuid }),
      handler: async (ctx) => {
        const { hostIds, groups } = await m().templates.affectedHosts([ctx.params.id]);
        const change = await underChange(ctx);
        await m().templates.remove(
          ctx.params.id,
          changedBy(ctx),
          change.link((gone) => `${gone.name}: deleted`),
        );
        ctx.audit({ template_id: ctx.params.id, change_id: change.changeId });
        await m().hostsChanged(hostIds, groups);
        return { id: ctx.params.id };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/templates/:id/hosts/:host_id',
      summary: 'Link a template to a host',
      tag: 'monitoring',
      scope: 'monitor:write',
      params: LinkParams,
      response: Type.Object({ template_id: Uuid, host_id: Uuid }),
      handler: async (ctx) => {
        await m().templates.linkHost(ctx.params.id, ctx.params.host_id, changedBy(ctx));
        ctx.audit({ template_id: ctx.params.id, host_id: ctx.params.host_id });
        await m().hostsChanged([ctx.params.host_id], false);
        return { templateId: ctx.params.id, hostId: ctx.params.host_id };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/templates/:id/hosts/:host_id',
      summary: 'Unlink a template from a host',
      tag: 'monitoring',
      scope: 'monitor:write',
      params: LinkParams,
      response: Type.Object({ template_id: Uuid, host_id: Uuid }),
      handler: async (ctx) => {
        await m().templates.unlinkHost(ctx.params.id, ctx.params.host_id, changedBy(ctx));
        ctx.audit({ template_id: ctx.params.id, host_id: ctx.params.host_id });
        await m().hostsChanged([ctx.params.host_id], false);
        return { templateId: ctx.params.id, hostId: ctx.params.host_id };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/templates/:id/host-groups/:group_id',
      summary: 'Link a template to a host group: every host in the group gets it',
      tag: 'monitoring',
      scope: 'monitor:write',
      params: GroupLinkParams,
      response: Type.Object({ template_id: Uuid, host_group_id: Uuid }),
      handler: async (ctx) => {
        await m().templates.linkGroup(ctx.params.id, ctx.params.group_id, changedBy(ctx));
        ctx.audit({ template_id: ctx.params.id, host_group_id: ctx.params.group_id });
        await m().hostsChanged([], true);
        return { templateId: ctx.params.id, hostGroupId: ctx.params.group_id };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/templates/:id/host-groups/:group_id',
      summary: 'Unlink a template from a host group',
      tag: 'monitoring',
      scope: 'monitor:write',
      params: GroupLinkParams,
      response: Type.Object({ template_id: Uuid, host_group_id: Uuid }),
      handler: async (ctx) => {
        await m().templates.unlinkGroup(ctx.params.id, ctx.params.group_id, changedBy(ctx));
        ctx.audit({ template_id: ctx.params.id, host_group_id: ctx.params.group_id });
        await m().hostsChanged([], true);
        return { templateId: ctx.params.id, hostGroupId: ctx.params.group_id };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/hosts/:id/monitoring',
      summary: 'What a host is monitored with: its templates, the agent configuration (and its version) and the triggers',
      tag: 'monitoring',
      scope: 'monitor:read',
      params: IdParams,
      response: Type.Object({
        host_id: Uuid,
        version: Type.String(),
        templates: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
        items: Type.Array(AgentItem),
        collectors: Type.Array(Type.Object({ name: Type.String(), intervalS: Type.Integer() }), {
          description: 'built-in collectors run at their own interval (shortest any template asks for); the others run at the agent’s default interval',
        }),
        triggers: Type.Array(
          Type.Object({
            ref: Type.String(),
            name: Type.String(),
            severity: Severity,
            expression: Type.String(),
            recovery: Type.Union([Type.String(), Type.Null()]),
          }),
        ),
      }),
      handler: async (ctx) => {
        const templates = await m().templates.forHost(ctx.params.id);
        const { monitoring, version } = agentMonitoring(templates);
        return {
          hostId: ctx.params.id,
          version,
          templates: templates.map((t) => ({ id: t.id, name: t.name })),
          items: monitoring.items,
          collectors: monitoring.collectors ?? [],
          triggers: templates.flatMap((t) =>
            t.triggers.map((tr) => ({
              ref: `${t.id}:${tr.key}`,
              name: tr.name,
              severity: tr.severity,
              expression: tr.expression,
              recovery: tr.recovery ?? null,
            })),
          ),
        };
      },
    }),
  ];
}
