/**
 * Points acknowledged since the last checkpoint, per series, in memory: the raw points as they came, and
 * their finest rollup tier folded bucket by bucket as each point arrives (coarser tiers are rolled from it
 * with rollBuckets). Queries merge these with the stored chunks; a checkpoint folds them into the chunks.
 * Pure: the store decides when to add and when to drop.
 */
import { addPoint, bucketStart, emptyBucket, mergeBuckets, rollBuckets, type RollupBucket } from './rollup.js';
import type { SeriesPoints } from './points.js';

class PendingSeries {
  t: number[] = [];
  v: number[] = [];
  /** Finest rollup tier, by bucket start. */
  readonly buckets = new Map<number, RollupBucket>();
}

export class PendingPoints {
  private readonly series = new Map<number, PendingSeries>();
  private points = 0;

  /** @param finestWidthMs width of the finest rollup tier; 0 when only raw points are kept. */
  constructor(private readonly finestWidthMs: number) {}

  get size(): number {
    return this.points;
  }

  seriesIds(): IterableIterator<number> {
    return this.series.keys();
  }

  has(seriesId: number): boolean {
    return this.series.has(seriesId);
  }

  add(seriesId: number, t: number, v: number): void {
    let s = this.series.get(seriesId);
    if (s === undefined) {
      s = new PendingSeries();
      this.series.set(seriesId, s);
    }
    s.t.push(t);
    s.v.push(v);
    this.points++;
    const w = this.finestWidthMs;
    if (w > 0) {
      const start = bucketStart(t, w);
      let b = s.buckets.get(start);
      if (b === undefined) {
        b = emptyBucket(start);
        s.buckets.set(start, b);
      }
      addPoint(b, t, v);
    }
  }

  /** The series' pending raw points sorted by time, duplicates of one timestamp kept once (the first). */
  rawPoints(seriesId: number): SeriesPoints {
    const s = this.series.get(seriesId);
    if (s === undefined) return { t: [], v: [] };
    return sortUnique(s.t, s.v);
  }

  /**
   * The series' pending buckets of a rollup tier, sorted by start: the finest tier as folded, coarser
   * tiers rolled from it (widths: every rollup tier's width, finest first, up to the one wanted).
   */
  buckets(seriesId: number, widths: readonly number[]): RollupBucket[] {
    const s = this.series.get(seriesId);
    if (s === undefined) return [];
    let out = [...s.buckets.values()].sort((a, b) => a.start - b.start).map((b) => ({ ...b }));
    for (let i = 1; i < widths.length; i++) out = rollBuckets(out, widths[i]);
    return out;
  }
}

/** Points sorted by time, keeping the first of several at one timestamp (arrival order decides). */
export function sortUnique(t: ArrayLike<number>, v: ArrayLike<number>): SeriesPoints {
  const n = t.length;
  let sorted = true;
  for (let i = 1; i < n; i++) if (!(t[i] > t[i - 1])) { sorted = false; break; }
  if (sorted) return { t: Float64Array.from(t), v: Float64Array.from(v) };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => t[a] - t[b] || a - b);
  const ot: number[] = [];
  const ov: number[] = [];
  for (const i of order) {
    if (ot.length && ot[ot.length - 1] === t[i]) continue;
    ot.push(t[i]);
    ov.push(v[i]);
  }
  return { t: Float64Array.from(ot), v: Float64Array.from(ov) };
}

/** Stored points plus newer arrivals, sorted; at a timestamp both hold, the stored point stays. */
export function mergePoints(stored: SeriesPoints, added: SeriesPoints): SeriesPoints {
  if (stored.t.length === 0) return added;
  if (added.t.length === 0) return stored;
  const t = new Float64Array(stored.t.length + added.t.length);
  const v = new Float64Array(t.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < stored.t.length || j < added.t.length) {
    if (j >= added.t.length || (i < stored.t.length && stored.t[i] <= added.t[j])) {
      if (j < added.t.length && stored.t[i] === added.t[j]) j++;
      t[k] = stored.t[i];
      v[k++] = stored.v[i++];
    } else {
      t[k] = added.t[j];
      v[k++] = added.v[j++];
    }
  }
  return { t: t.subarray(0, k), v: v.subarray(0, k) };
}

/** Two runs of buckets of one tier, sorted by start, merged; buckets with the same start are combined. */
export function mergeBucketRuns(a: readonly RollupBucket[], b: readonly RollupBucket[]): RollupBucket[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out: RollupBucket[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].start < b[j].start)) out.push(a[i++]);
    else if (i >= a.length || b[j].start < a[i].start) out.push(b[j++]);
    else out.push(mergeBuckets(a[i++], b[j++]));
  }
  return out;
}
