/** Maps (host, metric name, labels) to a series id, with an in-memory cache in front of the table. */
import type { Db } from '../db.js';
import type { Labels } from '../../protocol/messages.js';
import type { IngestBatch } from '../metric-store.js';

/** Canonical key: labels sorted so {a,b} and {b,a} are one series. */
export function seriesKey(hostId: string, name: string, labels: Labels | undefined): string {
  if (!labels) return `${hostId}\u0000${name}\u0000{}`;
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let out = `${hostId}\u0000${name}\u0000{`;
  for (const k of keys) out += `${k}=${labels[k]},`;
  return out + '}';
}

export class SeriesIndex {
  private readonly ids = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** Ids for every point of every batch (same shape as the input), creating series as needed. */
  async resolve(batches: IngestBatch[]): Promise<number[][]> {
    const missing = new Map<string, { hostId: string; name: string; labels: Labels }>();
    const keys = batches.map((b) =>
      b.points.map((p) => {
        const key = seriesKey(b.hostId, p.name, p.labels);
        if (!this.ids.has(key) && !missing.has(key)) missing.set(key, { hostId: b.hostId, name: p.name, labels: p.labels ?? {} });
        return key;
      }),
    );
    if (missing.size) await this.create([...missing.values()]);
    return keys.map((ks) => ks.map((k) => this.ids.get(k)!));
  }

  private async create(series: Array<{ hostId: string; name: string; labels: Labels }>): Promise<void> {
    // DO UPDATE (a no-op write) so that existing rows come back from RETURNING too.
    const { rows } = await this.db.query<{ id: number; host_id: string; name: string; labels: Labels }>(
      `INSERT INTO metric_series (host_id, name, labels)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])
       ON CONFLICT (host_id, name, labels) DO UPDATE SET name = EXCLUDED.name
       RETURNING id, host_id, name, labels`,
      [series.map((s) => s.hostId), series.map((s) => s.name), series.map((s) => JSON.stringify(s.labels))],
    );
    for (const r of rows) this.ids.set(seriesKey(r.host_id, r.name, r.labels), r.id);
  }
}
