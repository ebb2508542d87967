/**
 * Rollup tiers: per fixed-width bucket, the exact min, max, sum, count and last value of the points in it,
 * so a one-second spike still shows as the hour's max a year later and means stay exact (sum / count).
 *
 * Buckets are aligned to the epoch: a bucket of width W starts at a multiple of W. NaN points are skipped:
 * NaN marks "no value" (as Prometheus' staleness marker) and would poison min, max and sum.
 *
 * Encoded run of buckets (one tier, one series, one chunk), byte layout (format 3):
 *   byte 0        0x03, the format tag (an XOR chunk starts 0x01; format 2, still read, differs only in
 *                 the delta code of its value streams)
 *   uvarint       bucket count
 *   uvarint       width in ms
 *   uvarint       start of the first bucket / width (only when count > 0)
 *   bit stream, most significant bit first, zero-padded to a byte, per bucket:
 *     start       first bucket: from the header; later: 0 -> previous start + width,
 *                 1 + uvarint g -> previous start + (g + 2) * width (a gap of g + 1 empty buckets)
 *     count       first bucket: uvarint; later: 0 -> same as previous, 1 + uvarint count
 *     lastT       as offset lastT - start: first bucket uvarint; later 0 -> same offset as the previous
 *                 bucket, 1 + uvarint zigzag(offset - previous offset) (jittered samples move it by a few ms)
 *     values      count == 1: one value on the min stream (min = max = sum = last for a single point);
 *                 otherwise a value on each of the min, max and sum streams, then last: 0 -> last is max
 *                 (always, for a counter without reset), 10 -> last is min, 11 + a value on the last stream
 *   each of the four streams is coded as in float-stream.ts (XOR or decimal-mantissa delta), with the
 *   adaptive delta code (format 2: the fixed one), which saves 1-2 bytes an hour bucket
 * Regular buckets with a steady count and a steady last-point offset cost 3 bits plus their values.
 */
import { AppError } from '../../errors.js';
import { BitReader, BitWriter, corruptSeries, putUvarint, uvarintSize } from './bitstream.js';
import { FloatStreamDecoder, FloatStreamEncoder } from './float-stream.js';
import type { SeriesPoints } from './points.js';

export const ROLLUP_RUN_FORMAT = 0x03;
/** The earlier format: value streams with float-stream's fixed delta code. Read, no longer written. */
const ROLLUP_RUN_FORMAT_FIXED_DELTAS = 0x02;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface RollupBucket {
  /** Bucket start, ms since the epoch, a multiple of the tier's width. */
  start: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  /** Value of the latest point in the bucket, and its timestamp (for merging late partial buckets). */
  last: number;
  lastT: number;
}

function badBucket(message: string): AppError {
  return new AppError('SERIES_BAD_BUCKET', 'invalid', message);
}

// Messages are built in these helpers, not at the throw sites: template literals inside the loops below
// kept V8 from optimising them well (rollBuckets ran 5x slower, measured).
function unsorted(what: string, x: number, prev: number): AppError {
  return badBucket(`${what} are not sorted by time (${x} after ${prev})`);
}

function badWidth(widthMs: number): AppError {
  return badBucket(`bucket width ${widthMs} is not a positive integer`);
}

function straddles(b: RollupBucket, widthMs: number): AppError {
  return badBucket(`bucket at ${b.start} straddles a ${widthMs} ms boundary; the coarse width must be a multiple`);
}

const alignedStart = (b: RollupBucket, widthMs: number) => Number.isSafeInteger(b.start) && b.start >= 0 && b.start % widthMs === 0;
const lastInside = (b: RollupBucket, widthMs: number) => b.lastT >= b.start && b.lastT < b.start + widthMs;
const validCount = (b: RollupBucket) => Number.isSafeInteger(b.count) && b.count >= 0;
const singlePointAgrees = (b: RollupBucket) => b.count !== 1 || (Object.is(b.min, b.max) && Object.is(b.min, b.sum) && Object.is(b.min, b.last));

/** Whether encodeBuckets can store b faithfully after a bucket starting at prevStart. */
function storable(b: RollupBucket, widthMs: number, prevStart: number): boolean {
  return alignedStart(b, widthMs) && b.start > prevStart && lastInside(b, widthMs) && validCount(b) && singlePointAgrees(b);
}

function unstorable(b: RollupBucket, widthMs: number, prevStart: number): AppError {
  if (!alignedStart(b, widthMs)) {
    return badBucket(`bucket start ${b.start} is not a non-negative multiple of ${widthMs}`);
  }
  if (b.start <= prevStart) return badBucket(`bucket starts are not increasing (${b.start} after ${prevStart})`);
  if (!lastInside(b, widthMs)) return badBucket(`bucket at ${b.start}: lastT ${b.lastT} is outside it`);
  if (!validCount(b)) return badBucket(`bucket at ${b.start}: bad count ${b.count}`);
  return badBucket(`bucket at ${b.start} counts one point but min, max, sum and last differ`);
}

/** Start of the width-ms bucket holding t. Uses `%`, which is exact on doubles, unlike floor(t / width). */
export function bucketStart(t: number, widthMs: number): number {
  const r = t % widthMs;
  return r < 0 ? t - r - widthMs : t - r;
}

/** A bucket with no points yet: neutral min/max, NaN last. */
export function emptyBucket(start: number): RollupBucket {
  return { start, min: Infinity, max: -Infinity, sum: 0, count: 0, last: NaN, lastT: start };
}

/**
 * Folds point (t, v) into `bucket` IN PLACE and returns it: ingest keeps one open bucket per series and
 * tier, and a fresh object per point would be garbage on the hottest path. The caller picks the bucket
 * (t must fall inside it); points may arrive in any order, `last` follows the latest t.
 */
export function addPoint(bucket: RollupBucket, t: number, v: number): RollupBucket {
  if (v !== v) return bucket;
  if (bucket.count === 0) {
    // Assign rather than accumulate from the neutral values, so a lone -0 stays -0 in sum.
    bucket.min = v;
    bucket.max = v;
    bucket.sum = v;
    bucket.count = 1;
    bucket.last = v;
    bucket.lastT = t;
    return bucket;
  }
  if (v < bucket.min) bucket.min = v;
  else if (v > bucket.max) bucket.max = v;
  else if (v === 0) {
    // -0 and 0 compare equal; Math.min/max order them, so the result does not depend on arrival order.
    bucket.min = Math.min(bucket.min, v);
    bucket.max = Math.max(bucket.max, v);
  }
  bucket.sum += v;
  bucket.count++;
  if (t > bucket.lastT) {
    bucket.last = v;
    bucket.lastT = t;
  } else if (t === bucket.lastT) {
    // Two points at one instant: keep the larger, as mergeBuckets does, so arrival order does not matter.
    bucket.last = Math.max(bucket.last, v);
  }
  return bucket;
}

/**
 * Combines two partial aggregates of the same bucket (e.g. a late batch and what was stored) into a new
 * bucket. Commutative; associative except that float addition rounds (sum is exact while partial sums
 * are exactly representable, e.g. integers below 2^53).
 */
export function mergeBuckets(a: RollupBucket, b: RollupBucket): RollupBucket {
  if (a.start !== b.start) throw badBucket(`cannot merge buckets starting ${a.start} and ${b.start}`);
  return foldInto({ ...a }, b);
}

/** mergeBuckets' arithmetic, folding b into acc in place (rollBuckets folds 60 buckets into one). */
function foldInto(acc: RollupBucket, b: RollupBucket): RollupBucket {
  if (b.count === 0) return acc;
  if (acc.count === 0) {
    acc.min = b.min;
    acc.max = b.max;
    acc.sum = b.sum;
    acc.count = b.count;
    acc.last = b.last;
    acc.lastT = b.lastT;
    return acc;
  }
  acc.min = Math.min(acc.min, b.min);
  acc.max = Math.max(acc.max, b.max);
  acc.sum += b.sum;
  acc.count += b.count;
  if (b.lastT > acc.lastT) {
    acc.last = b.last;
    acc.lastT = b.lastT;
  } else if (b.lastT === acc.lastT) {
    // Ties keep the larger value so the outcome does not depend on argument order.
    acc.last = Math.max(acc.last, b.last);
  }
  return acc;
}

/** Buckets of width widthMs over points sorted by time (as a decoded chunk is), oldest first. */
export function rollPoints(points: SeriesPoints, widthMs: number): RollupBucket[] {
  const { t, v } = points;
  const out: RollupBucket[] = [];
  let open: RollupBucket | undefined;
  let prevT = -Infinity;
  for (let i = 0; i < t.length; i++) {
    const ti = t[i];
    if (ti < prevT) throw unsorted('points', ti, prevT);
    prevT = ti;
    if (open === undefined || ti >= open.start + widthMs) {
      open = emptyBucket(bucketStart(ti, widthMs));
      out.push(open);
    }
    addPoint(open, ti, v[i]);
  }
  // A bucket whose points were all NaN holds nothing worth storing.
  return out.some((b) => b.count === 0) ? out.filter((b) => b.count > 0) : out;
}

/**
 * Re-buckets a finer tier into a coarser one (1 min -> 1 h): buckets sorted by start, widthMs a multiple of
 * their width. Returns new objects; the input is untouched.
 */
export function rollBuckets(buckets: readonly RollupBucket[], widthMs: number): RollupBucket[] {
  const out: RollupBucket[] = [];
  let open: RollupBucket | undefined;
  let prevStart = -Infinity;
  for (const b of buckets) {
    if (b.start < prevStart) throw unsorted('buckets', b.start, prevStart);
    prevStart = b.start;
    const start = bucketStart(b.start, widthMs);
    if (b.count > 0 && bucketStart(b.lastT, widthMs) !== start) throw straddles(b, widthMs);
    if (open === undefined || open.start !== start) {
      open = emptyBucket(start);
      out.push(open);
    }
    foldInto(open, b);
  }
  return out.some((b) => b.count === 0) ? out.filter((b) => b.count > 0) : out;
}

/** Encodes a run of buckets of one tier (sorted by start, aligned to widthMs). Layout in the header comment. */
export function encodeBuckets(buckets: readonly RollupBucket[], widthMs: number): Uint8Array {
  if (!Number.isSafeInteger(widthMs) || widthMs <= 0) throw badWidth(widthMs);
  const w = new BitWriter(buckets.length * 8 + 16);
  const mins = new FloatStreamEncoder(true);
  const maxs = new FloatStreamEncoder(true);
  const sums = new FloatStreamEncoder(true);
  const lasts = new FloatStreamEncoder(true);
  let prevStart = -1;
  let prevCount = 0;
  let prevOffset = 0;
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i];
    if (!storable(b, widthMs, prevStart)) throw unstorable(b, widthMs, prevStart);
    const offset = b.lastT - b.start;
    if (i === 0) {
      w.writeUvarint(b.count);
      w.writeUvarint(offset);
    } else {
      const gap = (b.start - prevStart) / widthMs;
      if (gap === 1) w.writeBits(0, 1);
      else {
        w.writeBits(1, 1);
        w.writeUvarint(gap - 2);
      }
      if (b.count === prevCount) w.writeBits(0, 1);
      else {
        w.writeBits(1, 1);
        w.writeUvarint(b.count);
      }
      if (offset === prevOffset) w.writeBits(0, 1);
      else {
        const d = offset - prevOffset;
        w.writeBits(1, 1);
        w.writeUvarint(d >= 0 ? d * 2 : -d * 2 - 1);
      }
    }
    prevStart = b.start;
    prevCount = b.count;
    prevOffset = offset;
    mins.write(w, b.min);
    if (b.count !== 1) {
      maxs.write(w, b.max);
      sums.write(w, b.sum);
      if (Object.is(b.last, b.max)) w.writeBits(0, 1);
      else if (Object.is(b.last, b.min)) w.writeBits(0b10, 2);
      else {
        w.writeBits(0b11, 2);
        lasts.write(w, b.last);
      }
    }
  }
  const firstIndex = buckets.length > 0 ? buckets[0].start / widthMs : 0;
  const head = 1 + uvarintSize(buckets.length) + uvarintSize(widthMs) + (buckets.length > 0 ? uvarintSize(firstIndex) : 0);
  const out = new Uint8Array(head + w.byteLength);
  out[0] = ROLLUP_RUN_FORMAT;
  let at = putUvarint(out, 1, buckets.length);
  at = putUvarint(out, at, widthMs);
  if (buckets.length > 0) putUvarint(out, at, firstIndex);
  w.writeTo(out, head);
  return out;
}

/** Decodes `encodeBuckets` output. Throws SERIES_DATA_CORRUPT on bytes that are not a valid run. */
export function decodeBuckets(bytes: Uint8Array): { widthMs: number; buckets: RollupBucket[] } {
  if (bytes.length === 0 || (bytes[0] !== ROLLUP_RUN_FORMAT && bytes[0] !== ROLLUP_RUN_FORMAT_FIXED_DELTAS)) {
    throw corruptSeries(`not a rollup run (format byte ${bytes.length === 0 ? 'missing' : bytes[0]})`);
  }
  const adaptive = bytes[0] === ROLLUP_RUN_FORMAT;
  const r = new BitReader(bytes, 1);
  const n = r.readUvarint();
  const widthMs = r.readUvarint();
  if (widthMs === 0) throw corruptSeries('rollup run with zero width');
  const buckets: RollupBucket[] = [];
  if (n === 0) return { widthMs, buckets };
  // Every bucket after the first takes at least 4 bits; refuse counts the bytes cannot hold.
  if (r.bitsLeft < (n - 1) * 4) throw corruptSeries(`rollup run claims ${n} buckets but holds ${r.bitsLeft} bits`);
  const mins = new FloatStreamDecoder(adaptive);
  const maxs = new FloatStreamDecoder(adaptive);
  const sums = new FloatStreamDecoder(adaptive);
  const lasts = new FloatStreamDecoder(adaptive);
  let start = r.readUvarint() * widthMs;
  let count = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      count = r.readUvarint();
      offset = r.readUvarint();
    } else {
      start += r.readBit() === 0 ? widthMs : (r.readUvarint() + 2) * widthMs;
      if (r.readBit() === 1) count = r.readUvarint();
      if (r.readBit() === 1) {
        const u = r.readUvarint();
        offset += u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
    if (offset < 0 || offset >= widthMs || !Number.isSafeInteger(start + offset)) {
      throw corruptSeries('rollup bucket out of range');
    }
    const min = mins.read(r);
    if (count === 1) {
      buckets.push({ start, min, max: min, sum: min, count, last: min, lastT: start + offset });
    } else {
      const max = maxs.read(r);
      const sum = sums.read(r);
      const last = r.readBit() === 0 ? max : r.readBit() === 0 ? min : lasts.read(r);
      buckets.push({ start, min, max, sum, count, last, lastT: start + offset });
    }
  }
  return { widthMs, buckets };
}
