/** Problem management: known errors, their status, cause and workaround, and the incidents they explain. */
import { Type, type Static } from '@sinclair/typebox';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { route } from '../http/route.js';
import type { Itil } from '../itil/itil.js';
import { KNOWN_ERROR_STATES, type KnownErrorFields } from '../itil/known-errors.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Status = Type.Union(KNOWN_ERROR_STATES.map((s) => Type.Literal(s)));
const Text = Type.String({ maxLength: 20_000 });
const KnownErrorSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  status: Status,
  suspected_cause: Type.String(),
  root_cause: Type.String(),
  workaround: Type.String(),
  match_trigger_ref: Nullable(Type.String()),
  match_host_group_id: Nullable(Uuid),
  created_at: Timestamp,
  created_by: Type.String(),
  updated_at: Timestamp,
  resolved_at: Nullable(Timestamp),
  version: Type.Integer(),
});
const Fields = {
  status: Type.Optional(Status),
  suspected_cause: Type.Optional(Text),
  root_cause: Type.Optional(Text),
  workaround: Type.Optional(Text),
  match_trigger_ref: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 500, description: 'new incidents from this trigger are linked ("<template id>:<trigger key>")' })),
  ),
  match_host_group_id: Type.Optional(Nullable(Uuid)),
};
const PatchBody = Type.Object({ title: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })), ...Fields }, { additionalProperties: false });
/** The fields a body gives (left out: undefined, so the rest is kept). */
const fieldsOf = (b: Static<typeof PatchBody>): KnownErrorFields => ({
  title: b.title,
  status: b.status,
  suspectedCause: b.suspected_cause,
  rootCause: b.root_cause,
  workaround: b.workaround,
  matchTriggerRef: b.match_trigger_ref,
  matchHostGroupId: b.match_host_group_id,
});
const LinkedIncident = Type.Object({
  incident_id: Uuid,
  title: Type.String(),
  state: Type.String(),
  opened_at: Timestamp,
  linked_by: Type.String(),
  linked_at: Timestamp,
});
const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;

export function knownErrorRoutes(deps: { itil: Itil }) {
  const ke = deps.itil.knownErrors;
  return [
    route({
      method: 'GET',
      path: '/api/v1/known-errors',
      summary: 'Known errors (problem management), newest first',
      tag: 'itil',
      scope: 'monitor:read',
      query: Type.Object({ status: Type.Optional(Status) }, { additionalProperties: false }),
      response: Type.Array(KnownErrorSchema),
      handler: (ctx) => ke.list({ status: ctx.query.status }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/known-errors',
      summary: 'Record a known error; from_incident_id links that incident and, without match_trigger_ref, takes its trigger as the linking rule',
      tag: 'itil',
      scope: 'monitor:write',
      status: 201,
      body: Type.Object(
        { title: Type.String({ minLength: 1, maxLength: 500 }), from_incident_id: Type.Optional(Uuid), ...Fields },
        { additionalProperties: false },
      ),
      response: KnownErrorSchema,
      handler: async (ctx) => {
        const { from_incident_id, ...fields } = ctx.body;
        const k = await ke.create({ ...fieldsOf(fields), title: fields.title }, from_incident_id, actor(ctx.principal!));
        ctx.audit({ known_error_id: k.id });
        setEtag(ctx, k.version);
        return k;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/known-errors/:id',
      summary: 'One known error with its linked incidents',
      tag: 'itil',
      scope: 'monitor:read',
      params: IdParams,
      response: Type.Object({ known_error: KnownErrorSchema, incidents: Type.Array(LinkedIncident) }),
      handler: async (ctx) => {
        const k = await ke.get(ctx.params.id);
        setEtag(ctx, k.version);
        return { knownError: k, incidents: await ke.incidentsOf(k.id) };
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/known-errors/:id',
      summary: 'Change a known error: status (investigating -> known_error -> resolved; resolved may reopen), causes, workaround, rule; If-Match optional',
      tag: 'itil',
      scope: 'monitor:write',
      params: IdParams,
      body: PatchBody,
      response: KnownErrorSchema,
      handler: async (ctx) => {
        const version = ifMatchVersion(ctx, (await ke.get(ctx.params.id)).version, { required: false }) as number | undefined;
        const k = await ke.update(ctx.params.id, version, fieldsOf(ctx.body));
        ctx.audit({ known_error_id: k.id, changed: Object.keys(ctx.body) });
        setEtag(ctx, k.version);
        return k;
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/known-errors/:id/incidents/:incident_id',
      summary: 'Link an incident to a known error (noted on the incident’s timeline)',
      tag: 'itil',
      scope: 'monitor:write',
      params: Type.Object({ id: Uuid, incident_id: Uuid }, { additionalProperties: false }),
      response: Type.Object({ id: Uuid, incident_id: Uuid }),
      handler: async (ctx) => {
        await ke.link(ctx.params.id, ctx.params.incident_id, actor(ctx.principal!));
        ctx.audit({ known_error_id: ctx.params.id, incident_id: ctx.params.incident_id });
        return { id: ctx.params.id, incidentId: ctx.params.incident_id };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/known-errors/:id/incidents/:incident_id',
      summary: 'Unlink an incident from a known error',
      tag: 'itil',
      scope: 'monitor:write',
      params: Type.Object({ id: Uuid, incident_id: Uuid }, { additionalProperties: false }),
      response: Type.Object({ id: Uuid, incident_id: Uuid }),
      handler: async (ctx) => {
        await ke.unlink(ctx.params.id, ctx.params.incident_id, actor(ctx.principal!));
        ctx.audit({ known_error_id: ctx.params.id, incident_id: ctx.params.incident_id });
        return { id: ctx.params.id, incidentId: ctx.params.incident_id };
      },
    }),
  ];
}
