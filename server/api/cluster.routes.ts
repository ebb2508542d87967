/** The server nodes of this deployment and how this one sees the cluster. */
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';
import { Timestamp } from './schemas.js';

const Node = Type.Object({
  id: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  port: Type.Integer(),
  started_at: Timestamp,
  agents: Type.Integer({ description: 'agents connected to this node' }),
  self: Type.Boolean({ description: 'the node that answered' }),
});

export function clusterRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/cluster/nodes',
      summary: 'Live server nodes and the agents each holds (one node without Redis)',
      tag: 'system',
      scope: 'agents:read',
      response: Type.Array(Node),
      handler: async () => (await deps.cluster.nodes()).map((n) => ({ ...n, self: n.id === deps.cluster.nodeId })),
    }),
  ];
}
