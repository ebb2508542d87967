/**
 * Turns what a tier holds into a query's answer: per point time, min, max, avg and count, inside
 * [from, to], widened to `stepMs` buckets when the tier is finer than the answer may be, or as counter
 * rates (fn = 'rate'). Pure; the Postgres and QuestDB stores answer through it alike.
 */
import type { SeriesPoint } from '../metric-store.js';
import { pointRates, rollupRates } from './counter-rate.js';
import type { SeriesPoints } from './points.js';
import { bucketStart, rollBuckets, rollPoints, type RollupBucket } from './rollup.js';

export interface Answer {
  stepMs: number;
  points: SeriesPoint[];
}

const fromBucket = (b: RollupBucket): SeriesPoint => ({ t: b.start, min: b.min, max: b.max, avg: b.sum / b.count, count: b.count });

/** Raw points (sorted by time; may reach outside the range, which rate uses as a baseline). */
export function answerFromPoints(points: SeriesPoints, from: number, to: number, stepMs: number, fn?: 'rate'): Answer {
  if (stepMs > 0) return answerFromBuckets(rollPoints(points, stepMs), from, to, stepMs, stepMs, fn);
  const { t, v } = points;
  const rates = fn === 'rate' ? pointRates(points) : undefined;
  const out: SeriesPoint[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] < from || t[i] > to) continue;
    const x = rates ? rates[i] : v[i];
    if (x !== x) continue;
    out.push({ t: t[i], min: x, max: x, avg: x, count: 1 });
  }
  return { stepMs: 0, points: out };
}

/**
 * Buckets of width widthMs (sorted by start), widened to stepMs (a multiple of widthMs). With rate, each
 * bucket's value is the counter's rate from the previous bucket's last sample to its own last sample.
 */
export function answerFromBuckets(buckets: readonly RollupBucket[], from: number, to: number, widthMs: number, stepMs: number, fn?: 'rate'): Answer {
  const wide = stepMs > widthMs ? rollBuckets(buckets, stepMs) : buckets;
  const first = bucketStart(from, stepMs);
  const rates = fn === 'rate' ? rollupRates(wide) : undefined;
  const out: SeriesPoint[] = [];
  for (let i = 0; i < wide.length; i++) {
    const b = wide[i];
    if (b.start < first || b.start > to || b.count === 0) continue;
    if (rates) {
      const r = rates[i];
      if (r === r) out.push({ t: b.start, min: r, max: r, avg: r, count: b.count });
    } else out.push(fromBucket(b));
  }
  return { stepMs, points: out };
}
