/**
 * Change-control policies: tasks on these hosts, groups or tags wait for a second operator's approval;
 * with template_plugin_items, so do template changes that add or change plugin items.
 */
import { Type } from '@sinclair/typebox';
import { notFound } from '../errors.js';
import { route } from '../http/route.js';
import type { ApprovalPolicies } from '../tasks/approval-policies.js';
import { changedBy } from './object-changes.routes.js';
import { IdParams, Timestamp, Uuid } from './schemas.js';

const ChangeAction = Type.Union([
  Type.Literal('task'),
  Type.Literal('template'),
  Type.Literal('asset'),
  Type.Literal('release'),
  Type.Literal('agent_upgrade'),
]);

const Policy = Type.Object({
  id: Uuid,
  name: Type.String(),
  host_ids: Type.Array(Uuid),
  groups: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  template_plugin_items: Type.Boolean(),
  require_change: Type.Array(ChangeAction),
  created_by: Type.String(),
  created_at: Timestamp,
});

export function taskPolicyRoutes(deps: { policies: ApprovalPolicies }) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/task-policies',
      summary: 'Change-control policies for tasks',
      tag: 'tasks',
      scope: 'tasks:read',
      response: Type.Array(Policy),
      handler: () => deps.policies.list(),
    }),
    route({
      method: 'POST',
      path: '/api/v1/task-policies',
      summary:
        "Require a second operator's approval for tasks on these hosts, groups or tags (and, with template_plugin_items, for template changes adding plugin items)",
      tag: 'tasks',
      scope: 'admin',
      status: 201,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100_000 })),
        groups: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
        tags: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })),
        template_plugin_items: Type.Optional(
          Type.Boolean({ description: 'template changes adding or changing plugin items (on any host) wait for approval too' }),
        ),
        require_change: Type.Optional(
          Type.Array(ChangeAction, {
            uniqueItems: true,
            description:
              'these actions need an approved change request (docs/itil.md): on the covered hosts tasks (all of them), agent upgrades, release rollouts; anywhere, any template edit, any asset edit',
          }),
        ),
      }),
      response: Policy,
      handler: async (ctx) => {
        // A policy only for templates (or asset edits) may name no hosts.
        const b = ctx.body;
        const templatesOnly =
          (b.template_plugin_items || b.require_change?.some((a) => a === 'template' || a === 'asset')) &&
          !b.host_ids?.length &&
          !b.groups?.length &&
          !b.tags?.length;
        if (!templatesOnly) await deps.policies.checkTargets({ host_ids: b.host_ids, groups: b.groups, tags: b.tags });
        const p = await deps.policies.create(
          { name: b.name, hostIds: b.host_ids, groups: b.groups, tags: b.tags, templatePluginItems: b.template_plugin_items, requireChange: b.require_change },
          `${ctx.principal!.kind}:${ctx.principal!.name}`,
          changedBy(ctx),
        );
        ctx.audit({ policy_id: p.id });
        return p;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/task-policies/:id',
      summary: 'Remove a change-control policy',
      tag: 'tasks',
      scope: 'admin',
      params: IdParams,
      status: 204,
      response: Type.Null(),
      handler: async (ctx) => {
        if (!(await deps.policies.delete(ctx.params.id, changedBy(ctx)))) throw notFound('task policy', 'TASK_POLICY_NOT_FOUND');
        return null;
      },
    }),
  ];
}
