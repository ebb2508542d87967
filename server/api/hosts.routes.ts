/** Hosts and host groups (static members + dynamic rules); what monitoring and tasks target. */
import { Type } from '@sinclair/typebox';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { route } from '../http/route.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import { RULE_OPS, type HostRule } from '../cmdb/host-rules.js';
import { HOST_GROUP_ORDER, HOST_ORDER, type HostRecord } from '../cmdb/hosts.js';
import type { ApiDeps } from './deps.js';
import { agentOutdated } from '../http/agent-downloads.js';
import { changedBy } from './object-changes.routes.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 });
const Hostname = Type.String({ minLength: 1, maxLength: 253 });

const Host = Type.Object({
  id: Uuid,
  hostname: Type.String(),
  tags: Type.Array(Type.String()),
  description: Type.String(),
  os: Nullable(Type.String()),
  agent_id: Nullable(Uuid),
  agent_state: Nullable(Type.String()),
  online: Type.Boolean({ description: 'its agent is connected to a node of the cluster now' }),
  agent_version: Nullable(Type.String({ description: 'the version its agent named in its last hello' })),
  agent_outdated: Type.Boolean({
    description: 'its agent runs another version than the bundle this server serves (GET /downloads/autowatch-agent.mjs); an agent-upgrade task brings it',
  }),
  last_seen_at: Nullable(Timestamp),
  asset_id: Nullable(Uuid),
  asset_tag: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});

const Rule = Type.Object({
  field: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'hostname, tags, os, agent_state, type, state, idc, rack, owner, business_unit, asset.<column>, asset.custom.<name>',
  }),
  op: Type.Union(RULE_OPS.map((o) => Type.Literal(o))),
  value: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Array(Type.String({ maxLength: 500 }), { maxItems: 500 })])),
});

const HostGroup = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  rules: Type.Array(Rule, { description: 'all must hold; none means static members only' }),
  host_ids: Type.Array(Uuid, { description: 'static members' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Type.Integer(),
});

/** A host with what the API adds: whether its agent is connected now, and whether it runs the bundle served. */
const withAgentStatus = (h: HostRecord, online: ReadonlySet<string>, served: string | undefined) => ({
  ...h,
  online: !!h.agentId && online.has(h.agentId),
  agentOutdated: agentOutdated(h.agentVersion, served),
});

const hostsPage = collection(HOST_ORDER);
const groupsPage = collection(HOST_GROUP_ORDER);

export function hostRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  const { hosts, groups } = deps.cmdb;
  // Online on any node of the cluster, asked once for the whole page.
  const answerHosts = async (list: HostRecord[]) => {
    const online = await deps.cluster.onlineOf(list.flatMap((h) => (h.agentId ? [h.agentId] : [])));
    const served = deps.agentBundle?.current()?.version;
    return list.map((h) => withAgentStatus(h, online, served));
  };
  const answerHost = async (h: HostRecord) => (await answerHosts([h]))[0];
  return [
    route({
      method: 'GET',
      path: '/api/v1/hosts',
      summary: 'List hosts: ?tag= (all of them), ?os=, ?q= (part of the hostname), ?group_id= (members, rules resolved)',
      tag: 'hosts',
      scope: 'hosts:read',
      query: Type.Object({
        ...hostsPage.query,
        tag: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
        os: Type.Optional(Type.String({ maxLength: 200 })),
        q: Type.Optional(Type.String({ maxLength: 200 })),
        group_id: Type.Optional(Uuid),
      }),
      response: Type.Array(Host),
      handler: async (ctx) => {
        const page = hostsPage.read(ctx.query);
        const filters = { tag: ctx.query.tag, os: ctx.query.os, q: ctx.query.q, groupId: ctx.query.group_id };
        return answerHosts(finishPage(ctx, await hosts.list(page, filters), page, (h) => [h.hostname, h.id]));
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/hosts',
      summary: 'Add a host by hand (one without an agent)',
      tag: 'hosts',
      scope: 'hosts:write',
      status: 201,
      body: Type.Object({ hostname: Hostname, tags: Type.Optional(Tags), description: Type.Optional(Type.String({ maxLength: 2000 })) }),
      response: Host,
      handler: async (ctx) => {
        const h = await hosts.create(ctx.body, changedBy(ctx));
        ctx.audit({ host_id: h.id, hostname: h.hostname });
        setEtag(ctx, h.version);
        return answerHost(h);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/hosts/:id',
      summary: 'One host with its agent and asset',
      tag: 'hosts',
      scope: 'hosts:read',
      params: IdParams,
      response: Host,
      handler: async (ctx) => {
        const h = await hosts.get(ctx.params.id);
        setEtag(ctx, h.version);
        return answerHost(h);
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/hosts/:id',
      summary: "Change a host's tags, description or hostname; needs If-Match",
      tag: 'hosts',
      scope: 'hosts:write',
      params: IdParams,
      body: Type.Object({ hostname: Type.Optional(Hostname), tags: Type.Optional(Tags), description: Type.Optional(Type.String({ maxLength: 2000 })) }),
      response: Host,
      handler: async (ctx) => {
        const current = await hosts.get(ctx.params.id);
        ctx.audit({ hostname: current.hostname, changes: ctx.body });
        const h = await hosts.update(ctx.params.id, ifMatchVersion(ctx, current.version) as number, ctx.body, changedBy(ctx));
        setEtag(ctx, h.version);
        return answerHost(h);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/host-groups',
      summary: 'List host groups',
      tag: 'hosts',
      scope: 'hosts:read',
      query: Type.Object({ ...groupsPage.query }),
      response: Type.Array(HostGroup),
      handler: async (ctx) => {
        const page = groupsPage.read(ctx.query);
        return finishPage(ctx, await groups.list(page), page, (g) => [g.name, g.id]);
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/host-groups',
      summary: 'Make a host group: static members (host_ids) and/or dynamic rules',
      tag: 'hosts',
      scope: 'hosts:write',
      status: 201,
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        rules: Type.Optional(Type.Array(Rule, { maxItems: 32 })),
        host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 10_000 })),
      }),
      response: HostGroup,
      handler: async (ctx) => {
        const g = await groups.create(
          { name: ctx.body.name, description: ctx.body.description, rules: ctx.body.rules, hostIds: ctx.body.host_ids },
          changedBy(ctx),
        );
        ctx.audit({ group_id: g.id, name: g.name });
        setEtag(ctx, g.version);
        return g;
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/host-groups/:id',
      summary: 'One host group',
      tag: 'hosts',
      scope: 'hosts:read',
      params: IdParams,
      response: HostGroup,
      handler: async (ctx) => {
        const g = await groups.get(ctx.params.id);
        setEtag(ctx, g.version);
        return g;
      },
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/host-groups/:id',
      summary: 'Change a host group (host_ids replaces the static members); needs If-Match',
      tag: 'hosts',
      scope: 'hosts:write',
      params: IdParams,
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        description: Type.Optional(Type.String({ maxLength: 2000 })),
        rules: Type.Optional(Type.Array(Rule, { maxItems: 32 })),
        host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 10_000 })),
      }),
      response: HostGroup,
      handler: async (ctx) => {
        const current = await groups.get(ctx.params.id);
        ctx.audit({ name: current.name });
        const g = await groups.update(
          ctx.params.id,
          ifMatchVersion(ctx, current.version) as number,
          { name: ctx.body.name, description: ctx.body.description, rules: ctx.body.rules, hostIds: ctx.body.host_ids },
          changedBy(ctx),
        );
        setEtag(ctx, g.version);
        return g;
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/host-groups/:id',
      summary: 'Delete a host group; needs If-Match',
      tag: 'hosts',
      scope: 'hosts:write',
      params: IdParams,
      response: HostGroup,
      handler: async (ctx) => {
        const current = await groups.get(ctx.params.id);
        ctx.audit({ name: current.name });
        return groups.delete(ctx.params.id, ifMatchVersion(ctx, current.version) as number, changedBy(ctx));
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/host-groups/preview',
      summary: 'The members a group with these rules and static hosts would have, before saving it: the count and the first 20 by hostname',
      tag: 'hosts',
      scope: 'hosts:read',
      body: Type.Object({
        rules: Type.Optional(Type.Array(Rule, { maxItems: 32 })),
        host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 10_000 })),
      }),
      response: Type.Object({ total: Type.Integer(), hosts: Type.Array(Type.Object({ id: Uuid, hostname: Type.String() })) }),
      handler: async (ctx) => deps.cmdb.previewGroup((ctx.body.rules ?? []) as HostRule[], ctx.body.host_ids ?? []),
    }),
    route({
      method: 'POST',
      path: '/api/v1/hosts/resolve',
      summary: 'The hosts a target selector names (host ids, groups, tags), as monitoring and tasks resolve it',
      tag: 'hosts',
      scope: 'hosts:read',
      body: Type.Object({
        host_ids: Type.Optional(Type.Array(Uuid, { maxItems: 10_000 })),
        group_ids: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
        tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
      }),
      response: Type.Object({ host_ids: Type.Array(Uuid) }),
      handler: async (ctx) => ({ hostIds: await deps.cmdb.resolveTargets({ hostIds: ctx.body.host_ids, groupIds: ctx.body.group_ids, tags: ctx.body.tags }) }),
    }),
  ];
}
