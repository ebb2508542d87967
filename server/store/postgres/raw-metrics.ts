/**
 * First-cut Postgres metric store: one row per point. Idempotent by design: a batch's id is
 * recorded in the same transaction as its points, so a resent batch finds its id and is skipped,
 * and the points' primary key (series, time) catches anything else.
 */
import type { Db } from '../db.js';
import type { Labels } from '../../protocol/messages.js';
import type { IngestBatch, MetricStore, SeriesQuery, SeriesResult } from '../metric-store.js';
import { SeriesIndex } from './series-index.js';

export class PostgresRawMetricStore implements MetricStore {
  private readonly series: SeriesIndex;

  constructor(private readonly db: Db) {
    this.series = new SeriesIndex(db);
  }

  async write(batches: IngestBatch[]): Promise<void> {
    if (!batches.length) return;
    // Series rows are made outside the transaction: a series without points is harmless, and the
    // id cache must never hold an id a rolled-back transaction took away.
    const seriesIds = await this.series.resolve(batches);
    await this.db.tx(async (q) => {
      const fresh = await q.query<{ agent_id: string; batch_id: number }>(
        `INSERT INTO ingest_batches (agent_id, batch_id)
         SELECT * FROM unnest($1::uuid[], $2::bigint[]) ON CONFLICT DO NOTHING RETURNING agent_id, batch_id`,
        [batches.map((b) => b.agentId), batches.map((b) => b.batch)],
      );
      const isFresh = new Set(fresh.rows.map((r) => `${r.agent_id}/${r.batch_id}`));
      const s: number[] = [];
      const t: number[] = [];
      const v: number[] = [];
      batches.forEach((b, i) => {
        if (!isFresh.has(`${b.agentId}/${b.batch}`)) return;
        const ids = seriesIds[i];
        b.points.forEach((p, j) => {
          s.push(ids[j]);
          t.push(p.t);
          v.push(p.v);
        });
      });
      if (!s.length) return;
      await q.query(
        `INSERT INTO metric_points_raw (series_id, ts, value)
         SELECT s, to_timestamp(t / 1000.0), v FROM unnest($1::bigint[], $2::float8[], $3::float8[]) AS u(s, t, v)
         ON CONFLICT DO NOTHING`,
        [s, t, v],
      );
    });
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    const { rows: series } = await this.db.query<{ id: number; name: string; labels: Labels }>(
      'SELECT id, name, labels FROM metric_series WHERE host_id = $1 AND name = $2 AND labels @> $3::jsonb ORDER BY id',
      [q.hostId, q.name, JSON.stringify(q.labels ?? {})],
    );
    if (!series.length) return [];
    const spanMs = Math.max(1, q.to - q.from);
    // Raw points when they fit (10 s data assumed as the finest); otherwise buckets with min/max/avg.
    const stepMs = spanMs / 10_000 > q.maxPoints ? 0 : Math.ceil(spanMs / q.maxPoints);
    const bucket = Math.max(stepMs, 1);
    const { rows } = await this.db.query<{ series_id: number; b: number; min: number; max: number; avg: number; count: number }>(
      `SELECT series_id, floor(extract(epoch FROM ts) * 1000 / $4)::bigint * $4 AS b,
              min(value) AS min, max(value) AS max, avg(value) AS avg, count(*)::int AS count
         FROM metric_points_raw
        WHERE series_id = ANY($1::bigint[]) AND ts >= to_timestamp($2 / 1000.0) AND ts <= to_timestamp($3 / 1000.0)
        GROUP BY series_id, b ORDER BY series_id, b`,
      [series.map((s) => s.id), q.from, q.to, bucket],
    );
    const byId = new Map(series.map((s) => [s.id, { name: s.name, labels: s.labels, stepMs: bucket > 1 ? bucket : 0, points: [] as SeriesResult['points'] }]));
    for (const r of rows) byId.get(r.series_id)!.points.push({ t: Number(r.b), min: r.min, max: r.max, avg: r.avg, count: r.count });
    return [...byId.values()];
  }

  async names(hostId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      'SELECT DISTINCT name FROM metric_series WHERE host_id = $1 ORDER BY name',
      [hostId],
    );
    return rows.map((r) => r.name);
  }

  async close(): Promise<void> {}
}
