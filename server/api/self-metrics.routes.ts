/** GET /metrics: the server's own health for Prometheus to scrape (Bearer API key with `server:read`). */
import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import type { SelfMetrics } from '../telemetry/self-metrics.js';

export function selfMetricRoutes(self: SelfMetrics) {
  return [
    route({
      method: 'GET',
      path: '/metrics',
      summary: "This server's own health in the Prometheus text format, for Prometheus to scrape",
      description:
        'Agents, frames, points, ingest queue, store write and checkpoint times, refusals by code, HTTP requests, event-loop lag. See docs/self-monitoring.md.',
      tag: 'system',
      scope: 'server:read',
      produces: self.contentType,
      response: Type.String(),
      handler: () => self.text(),
    }),
  ];
}
