/** The approval queue: inventory reports that may not change an asset without an operator (see cmdb/approvals.ts). */
import { Type } from '@sinclair/typebox';
import { ifMatchVersion, setEtag } from '../http/etag.js';
import { collection, finishPage } from '../http/pagination.js';
import { route } from '../http/route.js';
import { APPROVAL_ORDER } from '../cmdb/approvals.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { InventoryReport } from '../../protocol/inventory-report.js';
import type { ApiDeps } from './deps.js';
import { actorOf } from './cmdb-schemas.js';
import { IdParams, Nullable, Timestamp, Uuid } from './schemas.js';

const ApprovalState = Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]);
const QueueReason = Type.Union([Type.Literal('no_match'), Type.Literal('agent_pending'), Type.Literal('claims_asset_of_other_agent')]);
const Approval = Type.Object({
  id: Uuid,
  agent_id: Uuid,
  host_id: Nullable(Uuid),
  state: ApprovalState,
  hostname: Type.String(),
  serial: Nullable(Type.String()),
  system_uuid: Nullable(Type.String()),
  machine_id: Nullable(Type.String()),
  // An open map to the API (the agent's keys, as stored), the protocol's InventoryReport to code.
  report: Type.Unsafe<InventoryReport>(Type.Record(Type.String(), Type.Unknown(), { description: "the machine's latest inventory report" })),
  match_note: Type.String({ description: 'which asset the report matched and why, or why none did' }),
  queue_reasons: Type.Array(QueueReason, {
    description:
      'why the report waits: no_match (no asset, or several equally), agent_pending (the agent is not approved), ' +
      'claims_asset_of_other_agent (the matched asset is linked to another agent: approving moves the link)',
  }),
  proposed_asset_id: Type.Union([Uuid, Type.Null()], { description: 'the asset the report matched, which approving joins it to unless asset_id is given' }),
  reports: Type.Integer({ description: 'reports received while queued' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  decided_at: Nullable(Timestamp),
  decided_by: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  asset_id: Nullable(Uuid),
  version: Type.Integer(),
});

const approvals = collection(APPROVAL_ORDER);

export function approvalRoutes(deps: ApiDeps & { cmdb: Cmdb }) {
  const queue = deps.cmdb.approvals;
  return [
    route({
      method: 'GET',
      path: '/api/v1/approvals',
      summary: "Inventory reports waiting for approval (?state=pending), and the decided ones; ?host_id= a host's own",
      tag: 'cmdb',
      scope: 'cmdb:read',
      query: Type.Object({ ...approvals.query, state: Type.Optional(ApprovalState), host_id: Type.Optional(Uuid) }),
      response: Type.Array(Approval),
      handler: async (ctx) => {
        const page = approvals.read(ctx.query);
        return finishPage(ctx, await queue.list(page, { state: ctx.query.state, hostId: ctx.query.host_id }), page, (p) => [p.createdAt, p.id]);
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/approvals/:id',
      summary: 'One queued machine with its latest report',
      tag: 'cmdb',
      scope: 'cmdb:read',
      params: IdParams,
      response: Approval,
      handler: async (ctx) => {
        const p = await queue.get(ctx.params.id);
        setEtag(ctx, p.version);
        return p;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/approvals/:id/approve',
      summary:
        'Approve: join the report to asset_id, else to proposed_asset_id (linking the agent to it), else make an asset from it (online, linked to its agent and host)',
      description: 'If-Match optional (the approval’s ETag: a newer report since you read it is a 412).',
      tag: 'cmdb',
      scope: 'cmdb:approve',
      params: IdParams,
      body: Type.Object({
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'default: the hostname' })),
        type: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$', description: 'default: vm or server, guessed from the report' })),
        asset_id: Type.Optional(Uuid),
      }),
      response: Approval,
      handler: async (ctx) => {
        const current = await queue.get(ctx.params.id);
        const expected = ifMatchVersion(ctx, current.version, { required: false }) as number;
        ctx.audit({ agent_id: current.agentId, hostname: current.hostname });
        const p = await queue.approve(ctx.params.id, expected, { name: ctx.body.name, type: ctx.body.type, assetId: ctx.body.asset_id }, actorOf(ctx));
        ctx.audit({ asset_id: p.assetId });
        return p;
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/approvals/:id/reject',
      summary: "Reject: no asset; the agent's later reports stay on this entry and queue nothing",
      tag: 'cmdb',
      scope: 'cmdb:approve',
      params: IdParams,
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }),
      response: Approval,
      handler: async (ctx) => {
        const current = await queue.get(ctx.params.id);
        const expected = ifMatchVersion(ctx, current.version, { required: false }) as number;
        ctx.audit({ agent_id: current.agentId, hostname: current.hostname });
        return queue.reject(ctx.params.id, expected, ctx.body.reason, actorOf(ctx));
      },
    }),
  ];
}
