/** Liveness and what the node is doing: stores, gateway, ingest. */
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import type { ApiDeps } from './deps.js';

export function healthRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/health',
      summary: 'Is the server up, and are its stores reachable',
      tag: 'system',
      scope: 'public',
      response: Type.Object({
        status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
        version: Type.String(),
        uptime_s: Type.Number(),
        checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) })),
      }),
      handler: async () => {
        const checks: Record<string, { ok: boolean; detail?: string }> = {};
        try {
          await deps.pingDatabase();
          checks.database = { ok: true };
        } catch (err) {
          checks.database = { ok: false, detail: (err as Error).message };
        }
        const outage = deps.outage?.();
        if (outage) {
          checks.metric_store = outage.down
            ? {
                ok: false,
                detail: `unreachable since ${outage.since} (${outage.lastError}); ${outage.queuedRecords} accepted batches queued locally (${outage.queuedBytes} bytes), replayed when it returns`,
              }
            : { ok: true, ...(outage.queuedRecords ? { detail: `replaying ${outage.queuedRecords} queued batches` } : {}) };
        }
        const failing = deps.ingest.writeFailure;
        if (failing) checks.metric_store = { ok: false, detail: `writes failing since ${failing.since}: ${failing.reason}` };
        const cluster = deps.cluster.status();
        if (cluster.mode === 'redis')
          checks.cluster = cluster.redis === 'up' ? { ok: true, detail: `node ${cluster.nodeId}` } : { ok: false, detail: cluster.detail };
        const ok = Object.values(checks).every((c) => c.ok);
        return { status: ok ? ('ok' as const) : ('degraded' as const), version: deps.version, uptimeS: Math.round(process.uptime()), checks };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/gateway/stats',
      summary: 'Agent gateway and ingest counters of this node',
      tag: 'system',
      scope: 'agents:read',
      response: Type.Object({
        gateway: Type.Object({
          connections: Type.Integer(),
          authenticated: Type.Integer(),
          opened: Type.Integer(),
          closed: Type.Integer(),
          framesIn: Type.Integer(),
          framesOut: Type.Integer(),
          acks: Type.Integer(),
          configRetries: Type.Integer(),
          rejections: Type.Record(Type.String(), Type.Integer()),
        }),
        ingest: Type.Object({
          queuedPoints: Type.Integer(),
          queuedBatches: Type.Integer(),
          committedPoints: Type.Integer(),
          committedBatches: Type.Integer(),
          refusedBatches: Type.Integer(),
          invalidBatches: Type.Integer(),
          writeFailures: Type.Integer(),
          flushes: Type.Integer(),
        }),
      }),
      handler: () => ({ gateway: deps.gateway.stats, ingest: deps.ingest.snapshot() }),
    }),
  ];
}
