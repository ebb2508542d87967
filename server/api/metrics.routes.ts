/**
 * Metric history, as series of (time, min, max, avg, count) from the finest storage tier that answers
 * within max_points: GET /api/v1/series/query, and the older per-host form the dashboard uses.
 */
import { Type } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { route } from '../http/route.js';
import { checkLabels, PayloadError } from '../../protocol/validate.js';
import type { ApiDeps } from './deps.js';
import { IdParams, Uuid } from './schemas.js';
import type { SeriesQuery } from '../ingest/metric-reader.js';

const SeriesPoint = Type.Object({ t: Type.Number(), min: Type.Number(), max: Type.Number(), avg: Type.Number(), count: Type.Integer() });
const DAY = 86_400_000;

/** `from`/`to` as ms since the epoch, ISO 8601, or relative like `-1h`, `-30m`, `-7d`. */
export function parseTime(value: string | undefined, now: number, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback;
  if (/^-?\d+$/.test(value)) return Number(value);
  const rel = /^-(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: DAY }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new AppError('VALIDATION_FAILED', 'invalid', `query.${field} must be ms since the epoch, ISO 8601 or like -1h`, { field: `query.${field}` });
  return t;
}

function parseLabels(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    return checkLabels(JSON.parse(text), 'labels');
  } catch (err) {
    const msg = err instanceof PayloadError ? err.message : 'labels must be a JSON map of strings';
    throw new AppError('VALIDATION_FAILED', 'invalid', `query.${msg}`, { field: 'query.labels' });
  }
}

/** from/to defaults (the last hour) and order, shared by both routes. */
function timeRange(q: { from?: string; to?: string }): { from: number; to: number } {
  const now = Date.now();
  const to = parseTime(q.to, now, now, 'to');
  const from = parseTime(q.from, now, to - 3_600_000, 'from');
  if (from >= to) throw new AppError('VALIDATION_FAILED', 'invalid', 'query.from must be before query.to', { field: 'query.from' });
  return { from, to };
}

const RangeQuery = {
  from: Type.Optional(Type.String({ maxLength: 40, description: 'ms since the epoch, ISO 8601, or relative like -1h, -30d (default: to - 1h)' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'as from (default: now)' })),
  labels: Type.Optional(Type.String({ maxLength: 2000, description: 'JSON map, e.g. {"cpu":"total"}: series whose labels include these' })),
  max_points: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
};

export function metricRoutes(deps: ApiDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/series/query',
      summary: 'Metric history of one metric on one host: per point time, min, max, avg, count, from the finest tier within max_points; fn=rate for counters',
      tag: 'metrics',
      scope: 'metrics:read',
      query: Type.Object(
        {
          host: Uuid,
          metric: Type.String({ minLength: 1, maxLength: 200 }),
          ...RangeQuery,
          fn: Type.Optional(Type.Literal('rate', { description: 'per-second rate of a counter, resets counted from 0' })),
        },
        { additionalProperties: false },
      ),
      response: Type.Object({
        host: Type.String(),
        metric: Type.String(),
        from: Type.Number(),
        to: Type.Number(),
        fn: Type.Optional(Type.Literal('rate')),
        series: Type.Array(
          Type.Object({
            labels: Type.Record(Type.String(), Type.String()),
            tier: Type.String({ description: 'storage tier that answered: raw, 1m, 1h...' }),
            step_ms: Type.Number({ description: 'bucket width; 0 for raw points' }),
            points: Type.Array(SeriesPoint),
          }),
        ),
      }),
      handler: async (ctx) => {
        const { from, to } = timeRange(ctx.query);
        const q: SeriesQuery = {
          hostId: ctx.query.host,
          name: ctx.query.metric,
          labels: parseLabels(ctx.query.labels),
          from,
          to,
          maxPoints: ctx.query.max_points ?? 1000,
          fn: ctx.query.fn,
        };
        const series = await deps.metrics.query(q);
        return {
          host: q.hostId,
          metric: q.name,
          from,
          to,
          ...(q.fn ? { fn: q.fn } : {}),
          series: series.map((s) => ({ labels: s.labels, tier: s.tier, stepMs: s.stepMs, points: s.points })),
        };
      },
    }),
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
          ...RangeQuery,
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
        const { from, to } = timeRange(ctx.query);
        const labels = parseLabels(ctx.query.labels);
        const series = await deps.metrics.query({ hostId: ctx.params.id, name: ctx.query.name, labels, from, to, maxPoints: ctx.query.max_points ?? 1000 });
        return {
          hostId: ctx.params.id,
          name: ctx.query.name,
          from,
          to,
          series: series.map((s) => ({ labels: s.labels, stepMs: s.stepMs, points: s.points })),
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
