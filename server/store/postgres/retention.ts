/**
 * Retention for the Postgres metric store: per tier, chunk rows whose whole span is older than the tier
 * keeps are deleted (a few rows per series and day, found by time), and the tier's horizon is recorded
 * so queries reaching further back are answered by a coarser tier. Committed batch ids older than the
 * raw tier's retention are forgotten too. Idempotent; run once per cluster (the caller holds the lease).
 */
import type { Db } from '../db.js';
import type { RetentionReport } from '../metric-store.js';
import type { Tier } from '../series/tiers.js';

export async function runRetention(db: Db, tiers: readonly Tier[], now: number): Promise<RetentionReport> {
  const report: RetentionReport = { tiers: [], batchIds: 0 };
  for (const t of tiers) {
    const before = now - t.retentionMs;
    const dropped = await db.tx(async (q) => {
      const del = await q.query('DELETE FROM metric_chunks WHERE tier = $1 AND chunk_start <= $2::bigint - $3::bigint', [t.id, before, t.chunkMs]);
      await q.query(
        `INSERT INTO metric_tier_horizons (tier, dropped_before) VALUES ($1, $2)
         ON CONFLICT (tier) DO UPDATE SET dropped_before = GREATEST(metric_tier_horizons.dropped_before, EXCLUDED.dropped_before)`,
        [t.id, before],
      );
      return del.rowCount;
    });
    report.tiers.push({ tier: t.label, dropped, before });
  }
  const ids = await db.query('DELETE FROM ingest_batches WHERE committed_at < to_timestamp($1 / 1000.0)', [now - tiers[0].retentionMs]);
  report.batchIds = ids.rowCount;
  return report;
}
