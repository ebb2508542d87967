/** Agents: enrollment, the list with online state, approval and revocation. */
import { Type } from '@sinclair/typebox';
import { collection, finishPage } from '../http/pagination.js';
import { route } from '../http/route.js';
import { AGENT_ORDER, type AgentRecord } from '../auth/agents.js';
import { agentOutdated } from '../http/agent-downloads.js';
import type { ApiDeps } from './deps.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const agentPages = collection(AGENT_ORDER);

const Agent = Type.Object({
  id: Uuid,
  host_id: Uuid,
  state: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('revoked')]),
  online: Type.Boolean(),
  hostname: Type.String(),
  version: Type.String(),
  outdated: Type.Boolean({ description: 'runs another version than the bundle this server serves; an agent-upgrade task brings it' }),
  os: Type.String(),
  enrolled_at: Timestamp,
  approved_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
  last_seen_at: Nullable(Timestamp),
});

export function agentRoutes(deps: ApiDeps) {
  /** An agent as the API shows it: whether it is connected now and whether its version is the one served. */
  const answer = (a: AgentRecord, online: ReadonlySet<string>, served: string | undefined) => {
    const { agentVersion, machineId: _, ...agent } = a;
    return { ...agent, online: online.has(a.id), version: agentVersion, outdated: agentOutdated(agentVersion, served) };
  };
  // Online on any node of the cluster, not only this one: every node answers the same.
  const answerAll = async (list: AgentRecord[]) => {
    const online = await deps.cluster.onlineOf(list.map((a) => a.id));
    const served = deps.agentBundle?.current()?.version;
    return list.map((a) => answer(a, online, served));
  };
  const answerOne = async (a: AgentRecord) => (await answerAll([a]))[0];
  const actor = (ctx: { principal: { kind: string; id: string } | null }) => `${ctx.principal!.kind}:${ctx.principal!.id}`;

  return [
    route({
      method: 'GET',
      path: '/api/v1/agents',
      summary: 'List agents with their online state, last contact and version',
      tag: 'agents',
      scope: 'agents:read',
      query: Type.Object(
        {
          ...agentPages.query,
          state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('revoked')])),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'hostname contains this (any case)' })),
        },
        { additionalProperties: false },
      ),
      response: Type.Array(Agent),
      handler: async (ctx) => {
        const page = agentPages.read(ctx.query);
        const { rows, total } = await deps.agents.list(page, { state: ctx.query.state, search: ctx.query.q });
        const list = finishPage(ctx, rows, page, (a) => [page.sort.endsWith('hostname') ? a.hostname : a.id, a.id], total);
        return answerAll(list);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/agents/:id',
      summary: 'One agent',
      tag: 'agents',
      scope: 'agents:read',
      params: IdParams,
      response: Agent,
      handler: async (ctx) => answerOne(await deps.agents.get(ctx.params.id)),
    }),
    route({
      method: 'POST',
      path: '/api/v1/agents/:id/approve',
      summary: 'Approve a pending agent: its metrics are accepted from now on',
      tag: 'agents',
      scope: 'agents:write',
      params: IdParams,
      response: Agent,
      handler: async (ctx) => answerOne(await deps.agents.approve(ctx.params.id, actor(ctx))),
    }),
    route({
      method: 'POST',
      path: '/api/v1/agents/:id/revoke',
      summary: 'Revoke an agent: it is disconnected and refused from now on',
      tag: 'agents',
      scope: 'agents:write',
      params: IdParams,
      response: Agent,
      handler: async (ctx) => answerOne(await deps.agents.revoke(ctx.params.id, actor(ctx))),
    }),
    route({
      method: 'POST',
      path: '/api/v1/enrollment-tokens',
      summary: 'Make an enrollment token (shown once)',
      tag: 'agents',
      scope: 'agents:write',
      status: 201,
      body: Type.Object(
        {
          ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 30 * 86400 })),
          uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
          note: Type.Optional(Type.String({ maxLength: 200 })),
          auto_approve: Type.Optional(Type.Boolean({ description: 'agents enrolled with it start active' })),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({ id: Type.String(), token: Type.String(), expires_at: Timestamp, uses: Type.Integer(), auto_approve: Type.Boolean() }),
      handler: (ctx) =>
        deps.enrollment.createToken({
          createdBy: actor(ctx),
          ttlSeconds: ctx.body.ttl_seconds,
          uses: ctx.body.uses,
          note: ctx.body.note,
          autoApprove: ctx.body.auto_approve,
        }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/agents/enroll',
      summary: 'Enroll an agent with a token; the answer seals its key for its box public key',
      tag: 'agents',
      scope: 'public',
      status: 201,
      bodyLimit: 8 * 1024,
      body: Type.Object(
        {
          token: Type.String({ minLength: 8, maxLength: 128 }),
          public_key: Type.String({ minLength: 40, maxLength: 64 }),
          hostname: Type.String({ minLength: 1, maxLength: 255 }),
          os: Type.Optional(Type.String({ maxLength: 255 })),
          machine_id: Type.Optional(Type.String({ maxLength: 128 })),
          agent_version: Type.Optional(Type.String({ maxLength: 64 })),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({
        agent_id: Uuid,
        host_id: Uuid,
        state: Type.Union([Type.Literal('pending'), Type.Literal('active')]),
        server_box_public_key: Type.String(),
        nonce: Type.String(),
        sealed_secret: Type.String(),
        server_sign_public_key: Type.String(),
      }),
      handler: async (ctx) => {
        const r = await deps.enrollment.enroll(
          {
            token: ctx.body.token,
            publicKey: ctx.body.public_key,
            hostname: ctx.body.hostname,
            os: ctx.body.os,
            machineId: ctx.body.machine_id,
            agentVersion: ctx.body.agent_version,
          },
          { autoApprove: deps.config.autoApprove, serverSignPublicKey: deps.identity.signPublicKey, requestId: ctx.requestId },
        );
        deps.log.info({ agent: r.agentId, host: r.hostId, state: r.state, remote: ctx.remoteAddress }, 'agent enrolled');
        return r;
      },
    }),
  ];
}
