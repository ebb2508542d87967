/**
 * Template changes held by change control (a task policy with `template_plugin_items`): requested
 * by one operator, applied when another approves. The domain is server/monitor/template-changes.ts.
 */
import { actingAs } from '../auth/person.js';
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { AsStored } from '../http/wire.js';
import type { TemplateItem, TemplateTrigger } from '../monitor/template-model.js';
import type { TemplateChange } from '../monitor/template-changes.js';
import type { TemplateRecord } from '../monitor/template-store.js';
import type { ApiDeps } from './deps.js';
import { editUnderChange } from './edit-under-change.js';
import { changedBy } from './object-changes.routes.js';
import { monitorOf, Template, TemplateBody } from './monitor.routes.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Risk = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);

const Change = Type.Object({
  id: Uuid,
  template_id: Nullable(Uuid),
  base_version: Nullable(Type.Integer()),
  content: AsStored(TemplateBody),
  requested_by: Type.String(),
  reason: Type.String(),
  risk: Risk,
  policy_ids: Type.Array(Uuid),
  state: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
  decided_by: Nullable(Type.String()),
  decided_at: Nullable(Timestamp),
  decision_note: Nullable(Type.String()),
  change_id: Nullable(Uuid),
  created_at: Timestamp,
  template: Type.Optional(Template),
  requester: Nullable(Type.String({ description: 'the person who asked (a session and the same user’s API key are one person)' })),
});

/** A change answers as its record, with the template it made or changed once applied. */
const changeAnswer = (change: TemplateChange, template?: TemplateRecord) => ({ ...change, template });

export function templateChangeRoutes(deps: ApiDeps) {
  const changes = () => monitorOf(deps).templateChanges;
  return [
    route({
      method: 'POST',
      path: '/api/v1/template-changes',
      summary:
        'Ask for a template change that change control holds (it adds or changes plugin items); a second operator approves it. X-Change-Id: an approved change request it is made under, which applies it at once',
      description:
        "Without template_id the change creates a template; with it, it replaces that template's content at `version`. Refused (CHANGE_NOT_HELD) when no policy holds it: apply it with POST/PUT /api/v1/templates. " +
        'Under an approved change request covering templates (X-Change-Id, docs/itil.md) it is applied at once (state approved, decided_by change:<id>) and linked to the change; ' +
        'when a policy requires an approved change for template edits, a request without one is 400 APPROVED_CHANGE_REQUIRED.',
      tag: 'monitoring',
      scope: 'monitor:write',
      status: 201,
      body: Type.Object(
        {
          template_id: Type.Optional(Uuid),
          version: Type.Optional(Type.Integer({ minimum: 1 })),
          template: TemplateBody,
          change: Type.Object({ reason: Type.String({ minLength: 3, maxLength: 4000 }), risk: Risk }, { additionalProperties: false }),
        },
        { additionalProperties: false },
      ),
      response: Change,
      handler: async (ctx) => {
        const b = ctx.body;
        const content = { ...b.template, items: b.template.items as TemplateItem[], triggers: b.template.triggers as TemplateTrigger[] };
        const edit = await editUnderChange(deps.itil?.changes, ctx, 'template');
        const underChange = edit.changeId
          ? {
              id: edit.changeId,
              link: (templateChangeId: string) => edit.link((t: TemplateRecord) => `${t.name}: plugin items (template change ${templateChangeId})`),
            }
          : undefined;
        const by = actingAs(ctx.principal!);
        const { change: c, template } = await changes().request(
          { templateId: b.template_id, version: b.version, content, reason: b.change.reason, risk: b.change.risk },
          by,
          changedBy(ctx),
          underChange,
        );
        if (template) await monitorOf(deps).templatesChanged([template.id]);
        ctx.audit({ change_id: c.id, template_id: c.templateId, change_request_id: edit.changeId });
        ctx.setHeader('Location', `/api/v1/template-changes/${c.id}`);
        return changeAnswer(c, template);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/template-changes',
      summary: 'Template changes waiting for approval, oldest first',
      tag: 'monitoring',
      scope: 'monitor:read',
      response: Type.Array(Change),
      handler: async () => (await changes().pending()).map((c) => changeAnswer(c)),
    }),
    route({
      method: 'GET',
      path: '/api/v1/template-changes/:id',
      summary: 'One template change and its decision',
      tag: 'monitoring',
      scope: 'monitor:read',
      params: IdParams,
      response: Change,
      handler: async (ctx) => changeAnswer(await changes().get(ctx.params.id)),
    }),
    ...(['approve', 'reject'] as const).map((verb) =>
      route({
        method: 'POST',
        path: `/api/v1/template-changes/:id/${verb}`,
        summary: verb === 'approve' ? 'Approve a held template change (not by its requester): it is applied at once' : 'Reject a held template change',
        tag: 'monitoring',
        scope: 'tasks:approve',
        params: IdParams,
        body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 4000 })) }, { additionalProperties: false }),
        response: Change,
        handler: async (ctx) => {
          const { change, template } = await changes().decide(
            ctx.params.id,
            verb === 'approve',
            actingAs(ctx.principal!),
            ctx.body.note ?? null,
            changedBy(ctx),
          );
          ctx.audit({ change_id: change.id, template_id: template?.id ?? change.templateId, decision: verb });
          if (template) await monitorOf(deps).templatesChanged([template.id]);
          return changeAnswer(change, template);
        },
      }),
    ),
  ];
}
