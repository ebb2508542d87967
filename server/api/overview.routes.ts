/**
 * The fleet at a glance for the dashboard's overview: agent counts by state and online, inventory
 * waiting for approval, the busiest hosts by CPU, memory and disk, and the ingest counters and the
 * last hour's rate. One cheap call whatever the fleet's size: a GROUP BY over agents, an index count
 * of pending approvals, the nodes' session counts, and the nodes' in-memory figures (FleetFigures:
 * this node's, and the others' from Redis) with one lookup of the few top hosts' names.
 */
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import type { FleetFigures } from '../ingest/fleet-figures.js';
import type { Cmdb } from '../cmdb/cmdb.js';
import type { ApiDeps } from './deps.js';

const Busy = Type.Array(
  Type.Object({ host_id: Type.String(), hostname: Type.String(), value: Type.Number({ description: 'percent used' }), at: Type.Number() }),
);

export function overviewRoutes(deps: ApiDeps & { cmdb: Cmdb; figures: FleetFigures }) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/overview',
      summary: 'Agents by state and online now, the busiest hosts, and the ingest rate',
      description:
        'online counts agents connected to any node of the cluster; offline is active agents not connected (pending ones count as pending). ' +
        "ingest.committed_points and the other counters are this node's and only grow; ingest.history is the whole cluster's rate every 10 s " +
        "over the last hour (each node's summed). busiest: the hosts with the highest latest CPU, memory and (fullest filesystem) disk use " +
        'any node ingested in the last 10 minutes. inventory_pending: machines whose inventory waits in the CMDB approval queue.',
      tag: 'agents',
      scope: 'agents:read',
      response: Type.Object({
        at: Type.Number({ description: 'ms since the epoch when counted' }),
        agents: Type.Object({
          total: Type.Integer(),
          pending: Type.Integer(),
          active: Type.Integer(),
          revoked: Type.Integer(),
          online: Type.Integer(),
          offline: Type.Integer(),
        }),
        inventory_pending: Type.Integer(),
        busiest: Type.Object({ cpu: Busy, memory: Busy, disk: Busy }),
        ingest: Type.Object({
          committed_points: Type.Integer(),
          committed_batches: Type.Integer(),
          refused_batches: Type.Integer(),
          queued_points: Type.Integer(),
          history: Type.Array(Type.Object({ t: Type.Number(), points_per_s: Type.Number() })),
        }),
      }),
      handler: async () => {
        const byState = await deps.agents.countByState();
        // Every node's count of its sessions: the cluster's online agents (this node alone without Redis).
        const online = (await deps.cluster.nodes()).reduce((n, node) => n + node.agents, 0);
        const ingest = deps.ingest.snapshot();
        const pending = await deps.cmdb.approvals.pendingCount();
        const fleet = await deps.figures.fleet();
        const tops = [fleet.busiest.cpu, fleet.busiest.memory, fleet.busiest.disk];
        const ids = [...new Set(tops.flat().map((e) => e.hostId))];
        const names = await deps.cmdb.hosts.hostnames(ids);
        // A host deleted since its last point drops out.
        const named = (list: (typeof tops)[number]) => list.flatMap((e) => (names.has(e.hostId) ? [{ ...e, hostname: names.get(e.hostId)! }] : []));
        return {
          at: Date.now(),
          agents: {
            total: byState.pending + byState.active + byState.revoked,
            ...byState,
            online,
            offline: Math.max(0, byState.active - online),
          },
          inventoryPending: pending,
          busiest: { cpu: named(tops[0]), memory: named(tops[1]), disk: named(tops[2]) },
          ingest: {
            committedPoints: ingest.committedPoints,
            committedBatches: ingest.committedBatches,
            refusedBatches: ingest.refusedBatches,
            queuedPoints: ingest.queuedPoints,
            history: fleet.history,
          },
        };
      },
    }),
  ];
}
