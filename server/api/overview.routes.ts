/**
 * The fleet at a glance for the dashboard's overview: agent counts by state and online, and the
 * ingest counters the dashboard turns into a rate. One cheap call: a GROUP BY over agents and
 * the nodes' session counts, whatever the fleet's size.
 */
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';

export function overviewRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/overview',
      summary: 'Agents by state and online now, and this node\'s ingest counters',
      description:
        'online counts agents connected to any node of the cluster; offline is active agents not connected (pending ones count as pending). ' +
        'ingest.committed_points only grows: the rate is its difference between two calls over the difference of `at`.',
      tag: 'agents',
      scope: 'agents:read',
      response: Type.Object({
        at: Type.Number({ description: 'ms since the epoch when counted' }),
        agents: Type.Object({
          total: Type.Integer(), pending: Type.Integer(), active: Type.Integer(), revoked: Type.Integer(),
          online: Type.Integer(), offline: Type.Integer(),
        }),
        ingest: Type.Object({ committed_points: Type.Integer(), committed_batches: Type.Integer(), refused_batches: Type.Integer(), queued_points: Type.Integer() }),
      }),
      handler: async () => {
        const byState = await deps.agents.countByState();
        // Every node's count of its sessions: the cluster's online agents (this node alone without Redis).
        const online = (await deps.cluster.nodes()).reduce((n, node) => n + node.agents, 0);
        const ingest = deps.pipeline.snapshot();
        return {
          at: Date.now(),
          agents: {
            total: byState.pending + byState.active + byState.revoked,
            ...byState,
            online,
            offline: Math.max(0, byState.active - online),
          },
          ingest: {
            committed_points: ingest.committedPoints, committed_batches: ingest.committedBatches,
            refused_batches: ingest.refusedBatches, queued_points: ingest.queuedPoints,
          },
        };
      },
    }),
  ];
}
