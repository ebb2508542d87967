/**
 * Rates of monotonic counters (bytes sent, requests served) with reset handling: when a value drops, the
 * process restarted and the counter began again from 0, so the new value itself is the increase since.
 *
 * Unlike Prometheus' rate() there is no extrapolation to the window edges: the rate is the increase between
 * two real samples divided by the time between them. The window (from, to] takes its baseline from the
 * last sample at or before `from`, so adjacent windows tile: their increases add up to the whole.
 */
import type { RollupBucket } from './rollup.js';
import type { SeriesPoints } from './points.js';

export interface TimeRange {
  /** Exclusive start, ms since the epoch. */
  from: number;
  /** Inclusive end, ms since the epoch. */
  to: number;
}

export interface CounterIncrease {
  /** Sum of the increases, resets counted from 0. */
  increase: number;
  /** Timestamps of the two samples the increase spans. */
  fromT: number;
  toT: number;
}

/** First index whose timestamp is > x, in points sorted by time. */
export function firstAfter(t: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counter increase over (from, to] from points sorted by time; undefined when fewer than two samples
 * (baseline included) are usable. NaN samples (no value) are skipped.
 */
export function counterIncrease(points: SeriesPoints, range: TimeRange): CounterIncrease | undefined {
  const { t, v } = points;
  const firstIn = firstAfter(t, range.from);
  const end = firstAfter(t, range.to);
  // Baseline: the last usable sample at or before `from`, else the first usable one inside the window.
  let i = firstIn - 1;
  while (i >= 0 && v[i] !== v[i]) i--;
  if (i < 0) {
    i = firstIn;
    while (i < end && v[i] !== v[i]) i++;
    if (i >= end) return undefined;
  }
  const fromT = t[i];
  let prev = v[i];
  let toT = fromT;
  let total = 0;
  for (let j = i + 1; j < end; j++) {
    const x = v[j];
    if (x !== x) continue;
    total += x >= prev ? x - prev : x;
    prev = x;
    toT = t[j];
  }
  return toT === fromT ? undefined : { increase: total, fromT, toT };
}

/** Per-second rate of a counter over (from, to]; NaN when fewer than two usable samples. */
export function rate(points: SeriesPoints, range: TimeRange): number {
  const inc = counterIncrease(points, range);
  return inc === undefined ? NaN : (inc.increase * 1000) / (inc.toT - inc.fromT);
}

/**
 * Counter increase from `prev`'s last sample to `cur`'s last sample, from rollups alone.
 * Without a reset in `cur` every value is >= prev.last, so the increase is cur.last - prev.last: exact.
 * A value below prev.last (min < prev.last) means a reset. With one reset whose pre-reset peak exceeds the
 * final value, max is that peak and (max - prev.last) + last is exact; otherwise the pre-reset part is
 * unknown and only last (the growth since the reset) is counted, a lower bound.
 */
export function rollupIncrease(prev: RollupBucket, cur: RollupBucket): number {
  if (cur.min >= prev.last) return cur.last - prev.last;
  return cur.max > cur.last ? cur.max - prev.last + cur.last : cur.last;
}

/**
 * Per-second counter rate for each bucket, over (previous bucket's lastT, this bucket's lastT], with
 * rollupIncrease's exactness. Index 0 and empty buckets are NaN (no earlier sample to measure from).
 */
export function rollupRates(buckets: readonly RollupBucket[]): Float64Array {
  const out = new Float64Array(buckets.length).fill(NaN);
  let prev: RollupBucket | undefined;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (b.count === 0) continue;
    if (prev !== undefined) out[i] = (rollupIncrease(prev, b) * 1000) / (b.lastT - prev.lastT);
    prev = b;
  }
  return out;
}

/**
 * Per-second counter rate at each point from the sample before it, a drop counted as a reset from 0.
 * Index 0 and NaN samples (and the sample after one) give NaN.
 */
export function pointRates(points: SeriesPoints): Float64Array {
  const { t, v } = points;
  const out = new Float64Array(t.length).fill(NaN);
  for (let i = 1; i < t.length; i++) {
    const prev = v[i - 1];
    const x = v[i];
    if (x !== x || prev !== prev) continue;
    out[i] = ((x >= prev ? x - prev : x) * 1000) / (t[i] - t[i - 1]);
  }
  return out;
}
