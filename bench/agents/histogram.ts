/**
 * Ack latencies as a log-bucketed histogram: fixed memory whatever the number of samples, merged
 * across workers by adding counts, quantiles within 2 % (each bucket is 2 % wider than the last).
 */
const MIN_MS = 0.01;
const RATIO = 1.02;
const LOG_RATIO = Math.log(RATIO);
/** Buckets up to ~10 minutes; anything slower lands in the last one. */
export const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / LOG_RATIO) + 1;

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_RATIO));
}

/** The upper bound of a bucket, in ms: what a quantile landing there reports. */
export const bucketUpperMs = (bucket: number): number => MIN_MS * RATIO ** bucket;

export class LatencyHistogram {
  readonly counts: Uint32Array;
  total = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKETS);
    if (counts) this.add(counts);
  }

  record(ms: number): void {
    this.counts[bucketOf(ms)]++;
    this.total++;
  }

  add(counts: ArrayLike<number>): void {
    if (counts.length !== BUCKETS) throw new Error(`histogram of ${counts.length} buckets, want ${BUCKETS}`);
    for (let i = 0; i < BUCKETS; i++) {
      this.counts[i] += counts[i];
      this.total += counts[i];
    }
  }

  /** q in [0, 1]; null when there are no samples. */
  quantile(q: number): number | null {
    if (!this.total) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return bucketUpperMs(i);
    }
    return bucketUpperMs(BUCKETS - 1);
  }
}
