/** Release management: versioned bundles, their rollouts in waves behind a health gate, rollbacks, and what each host runs. */
import { Type } from '@sinclair/typebox';
import { actingAs } from '../auth/person.js';
import { route } from '../http/route.js';
import type { Itil } from '../itil/itil.js';
import { SEVERITIES } from '../monitor/trigger-evaluate.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Sha = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Health = Type.Object(
  {
    checks: Type.Array(Type.String({ minLength: 1, maxLength: 8000 }), {
      maxItems: 20,
      description: 'shell commands run on each host of a wave after it; any non-zero exit stops the rollout',
    }),
    max_severity_open: Nullable(
      Type.Union(
        SEVERITIES.map((s) => Type.Literal(s)),
        { description: 'an open problem above this severity on a wave host stops the rollout; null: problems are not looked at' },
      ),
    ),
    settle_s: Type.Integer({ minimum: 0, maximum: 3600, description: 'wait this long after a wave before the gate looks' }),
  },
  { additionalProperties: false },
);
const ReleaseSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  version: Type.String(),
  files: Type.Array(Type.Object({ sha256: Sha, path: Type.String(), mode: Type.Integer() })),
  commands: Type.Array(Type.String()),
  health: Health,
  created_at: Timestamp,
  created_by: Type.String(),
});
const RolloutSchema = Type.Object({
  id: Uuid,
  release_id: Uuid,
  kind: Type.Union([Type.Literal('deploy'), Type.Literal('rollback')]),
  undoes: Nullable(Uuid),
  change_id: Nullable(Uuid),
  host_ids: Type.Array(Uuid),
  batch_size: Type.Integer(),
  state: Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('stopped'), Type.Literal('failed')]),
  current_wave: Type.Integer(),
  stop_reason: Nullable(Type.String()),
  waves: Type.Array(
    Type.Object({
      wave: Type.Integer(),
      host_ids: Type.Array(Uuid),
      tasks: Type.Array(Uuid),
      failed_hosts: Type.Array(Uuid),
      gate: Nullable(Type.Object({ passed: Type.Boolean(), problems: Type.Integer(), failed_checks: Type.Array(Type.String()) })),
    }),
  ),
  created_at: Timestamp,
  created_by: Type.String(),
  finished_at: Nullable(Timestamp),
});
const actor = (p: { kind: string; name: string }) => `${p.kind}:${p.name}`;
const ChangeId = Type.String({
  format: 'uuid',
  description:
    'an approved change request covering releases (docs/itil.md), in its window and on its hosts; each step task carries it. Required when a change-control policy covering the hosts requires one for releases or tasks',
});

export function releaseRoutes(deps: { itil: Itil }) {
  const rel = deps.itil.releases;
  return [
    route({
      method: 'GET',
      path: '/api/v1/releases',
      summary: 'Releases by name, newest version first',
      tag: 'itil',
      scope: 'tasks:read',
      response: Type.Array(ReleaseSchema),
      handler: () => rel.list(),
    }),
    route({
      method: 'POST',
      path: '/api/v1/releases',
      summary: 'Define a release: files (uploaded first, by sha256), commands, health checks; "{host_id}" in a path or command is each host’s id',
      tag: 'itil',
      scope: 'tasks:run',
      status: 201,
      body: Type.Object(
        {
          name: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$' }),
          version: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9.+_-]{0,63}$' }),
          files: Type.Array(
            Type.Object(
              { sha256: Sha, path: Type.String({ pattern: '^/', maxLength: 4096 }), mode: Type.Integer({ minimum: 0, maximum: 0o7777 }) },
              { additionalProperties: false },
            ),
            { maxItems: 100 },
          ),
          commands: Type.Array(Type.String({ minLength: 1, maxLength: 8000 }), { maxItems: 20 }),
          health: Health,
        },
        { additionalProperties: false },
      ),
      response: ReleaseSchema,
      handler: async (ctx) => {
        const { health, ...b } = ctx.body;
        const r = await rel.create(
          { ...b, health: { checks: health.checks, maxSeverityOpen: health.max_severity_open, settleS: health.settle_s } },
          actor(ctx.principal!),
        );
        ctx.audit({ release_id: r.id, name: r.name, version: r.version });
        return r;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/releases/:id',
      summary: 'One release with its rollouts',
      tag: 'itil',
      scope: 'tasks:read',
      params: IdParams,
      response: Type.Object({ release: ReleaseSchema, rollouts: Type.Array(RolloutSchema) }),
      handler: async (ctx) => ({ release: await rel.get(ctx.params.id), rollouts: await rel.rolloutsOf(ctx.params.id) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/releases/:id/rollouts',
      summary: 'Deploy a release to hosts (in the order given) in waves of batch_size; after each wave the health gate decides to go on or stop',
      tag: 'itil',
      scope: 'tasks:run',
      status: 201,
      params: IdParams,
      body: Type.Object(
        {
          host_ids: Type.Array(Uuid, { minItems: 1, maxItems: 10_000 }),
          batch_size: Type.Integer({ minimum: 1, maximum: 10_000 }),
          change_id: Type.Optional(ChangeId),
        },
        { additionalProperties: false },
      ),
      response: RolloutSchema,
      handler: async (ctx) => {
        const r = await rel.deploy(ctx.params.id, ctx.body.host_ids, ctx.body.batch_size, actingAs(ctx.principal!), ctx.body.change_id);
        ctx.audit({ rollout_id: r.id, release_id: r.releaseId, change_id: r.changeId ?? undefined });
        return r;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/release-rollouts/:id',
      summary: 'One rollout: its waves, their tasks and health gates',
      tag: 'itil',
      scope: 'tasks:read',
      params: IdParams,
      response: RolloutSchema,
      handler: (ctx) => rel.rollout(ctx.params.id),
    }),
    route({
      method: 'POST',
      path: '/api/v1/release-rollouts/:id/rollback',
      summary: 'Deploy the previous release to the hosts this rollout gave its release to',
      tag: 'itil',
      scope: 'tasks:run',
      status: 201,
      params: IdParams,
      body: Type.Object({ change_id: Type.Optional(ChangeId) }, { additionalProperties: false }),
      response: Type.Array(RolloutSchema),
      handler: async (ctx) => {
        const rs = await rel.rollback(ctx.params.id, actingAs(ctx.principal!), ctx.body.change_id);
        ctx.audit({ rollout_id: ctx.params.id, rollbacks: rs.map((r) => r.id), change_id: ctx.body.change_id });
        return rs;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/release-versions',
      summary: 'Which release version each host runs (host_id: one host)',
      tag: 'itil',
      scope: 'tasks:read',
      query: Type.Object({ host_id: Type.Optional(Uuid) }, { additionalProperties: false }),
      response: Type.Array(
        Type.Object({
          host_id: Uuid,
          name: Type.String(),
          version: Type.String(),
          release_id: Uuid,
          previous_release_id: Nullable(Uuid),
          rollout_id: Uuid,
          at: Timestamp,
        }),
      ),
      handler: (ctx) => rel.hostVersions(ctx.query.host_id),
    }),
  ];
}
