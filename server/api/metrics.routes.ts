/** Metric history of a host, as series of (time, min, max, avg, count). */
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { route } from '../http/route.js';
import { checkLabels, PayloadError } from '../protocol/validate.js';
import type { ApiDeps } from './deps.js';
import { IdParams } from './schemas.js';

const SeriesPoint = Type.Object({ t: Type.Number(), min: Type.Number(), max: Type.Number(), avg: Type.Number(), count: Type.Integer() });
const DAY = 86_400_000;

/** `from`/`to` as ms since the epoch, ISO 8601, or relative like `-1h`, `-30m`, `-7d`. */
export function parseTime(value: string | undefined, now: number, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback;
  if (/^-?\d+$/.test(value)) return Number(value);
  const rel = /^-(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: DAY }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new AppError('VALIDATION_FAILED', 400, `query.${field} must be ms since the epoch, ISO 8601 or like -1h`, { field: `query.${field}` });
  return t;
}

export function metricRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/hosts/:id/metrics',
      summary: "A host's metric history: every series of one metric name, bucketed to at most max_points",
      tag: 'metrics',
      scope: 'metrics:read',
      params: IdParams,
      query: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          from: Type.Optional(Type.String({ maxLength: 40 })),
          to: Type.Optional(Type.String({ maxLength: 40 })),
          labels: Type.Optional(Type.String({ maxLength: 2000, description: 'JSON map, e.g. {"cpu":"total"}' })),
          max_points: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({
        host_id: Type.String(),
        name: Type.String(),
        from: Type.Number(),
        to: Type.Number(),
        series: Type.Array(Type.Object({ labels: Type.Record(Type.String(), Type.String()), step_ms: Type.Number(), points: Type.Array(SeriesPoint) })),
      }),
      handler: async (ctx) => {
        const now = Date.now();
        const to = parseTime(ctx.query.to, now, now, 'to');
        const from = parseTime(ctx.query.from, now, to - 3_600_000, 'from');
        if (from >= to) throw new AppError('VALIDATION_FAILED', 400, 'query.from must be before query.to', { field: 'query.from' });
        let labels: Record<string, string> | undefined;
        if (ctx.query.labels) {
          try {
            labels = checkLabels(JSON.parse(ctx.query.labels), 'labels');
          } catch (err) {
            const msg = err instanceof PayloadError ? err.message : 'labels must be a JSON map of strings';
            throw new AppError('VALIDATION_FAILED', 400, `query.${msg}`, { field: 'query.labels' });
          }
        }
        const series = await deps.metrics.query({ hostId: ctx.params.id, name: ctx.query.name, labels, from, to, maxPoints: ctx.query.max_points ?? 1000 });
        return {
          host_id: ctx.params.id,
          name: ctx.query.name,
          from,
          to,
          series: series.map((s) => ({ labels: s.labels, step_ms: s.stepMs, points: s.points })),
        };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/hosts/:id/metric-names',
      summary: 'Metric names a host has reported',
      tag: 'metrics',
      scope: 'metrics:read',
      params: IdParams,
      response: Type.Array(Type.String()),
      handler: (ctx) => deps.metrics.names(ctx.params.id),
    }),
  ];
}
