/**
 * Points acknowledged but not yet in a chunk row, per series, in memory: each series' open raw chunks
 * ("heads", as Prometheus keeps them: tsdb/head_append.go) Gorilla-coded as points arrive (about 2 B a
 * point, xor-chunk.ts), so memory grows with series rather than points. A point older than its head's
 * last one waits beside it, uncoded, and is merged in when the head is read. Rollup buckets are rolled
 * from a head's points when they are read. Queries merge these with the stored chunks; a checkpoint
 * takes the heads whose chunk span has closed (`detach`) and writes them once, and re-logs the open ones
 * compactly (`snapshot`, read back by `restore`) so the write-ahead rows behind them can go.
 * Pure: the store decides when to add, detach and snapshot.
 */
import { decodeXorChunk, XorChunkEncoder } from './xor-chunk.js';
import { mergeBuckets, rollBuckets, rollPoints, type RollupBucket } from './rollup.js';
import { chunkStartOf } from './tiers.js';
import { putUvarint, uvarintSize } from './bitstream.js';
import type { SeriesPoints } from './points.js';

/**
 * The open part of one raw chunk of one series: the coded points, plus points older than the coded ones'
 * last, uncoded, in arrival order. One object per open series (10^5-10^6 of them): it is the encoder
 * itself, and a second span's head (around a chunk boundary) hangs off `next` rather than in an array.
 */
class Head extends XorChunkEncoder {
  lateT: number[] | undefined;
  lateV: number[] | undefined;
  next: Head | undefined;

  constructor(readonly chunkStart: number) {
    super(HEAD_FIRST_POINTS);
  }

  add(t: number, v: number): void {
    const last = this.lastT;
    if (!(t <= last)) this.append(t, v);
    // The same timestamp again: the first point stays (as mergePoints keeps the stored one).
    else if (t !== last) {
      (this.lateT ??= []).push(t);
      (this.lateV ??= []).push(v);
    }
  }

  get size(): number {
    return this.count + (this.lateT?.length ?? 0);
  }

  points(): SeriesPoints {
    const coded = decodeXorChunk(this.bytes());
    return this.lateT ? mergePoints(coded, sortUnique(this.lateT, this.lateV!)) : coded;
  }

  /** The head as one XOR chunk: the coded points, or with the late ones merged in. */
  chunk(): XorChunkEncoder {
    if (!this.lateT) return this;
    const p = this.points();
    const enc = new XorChunkEncoder(p.t.length);
    for (let i = 0; i < p.t.length; i++) enc.append(p.t[i], p.v[i]);
    return enc;
  }
}

/** A series' heads as a list (rare paths: reads, checkpoints). */
function headsOf(first: Head | undefined): Head[] {
  const out: Head[] = [];
  for (let h = first; h; h = h.next) out.push(h);
  return out;
}

/** Heads chained again, in the given order. */
function chain(heads: Head[]): Head | undefined {
  for (let i = 0; i < heads.length; i++) heads[i].next = heads[i + 1];
  return heads[0];
}

/** A head starts with room for this many points (about 2 B each) and doubles as it fills. */
const HEAD_FIRST_POINTS = 16;

/**
 * First 8 bytes of a snapshot row: a NaN as a little-endian float64 (payload "AWHEAD"), which a
 * write-ahead row of (series id, t, v) float64 triples can never start with (series ids are positive
 * integers).
 */
const SNAPSHOT_MAGIC = Uint8Array.of(0x41, 0x57, 0x48, 0x45, 0x41, 0x44, 0xf8, 0x7f);

export class PendingPoints {
  /** First head per series; nearly always the only one, two around a chunk boundary. */
  private readonly series = new Map<number, Head>();
  private points = 0;

  /** @param chunkMs span of a raw chunk row: a head holds the points of one span. */
  constructor(private readonly chunkMs: number) {}

  /** Points held; a late point given twice counts twice until its head is read (an upper bound). */
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
    const start = chunkStartOf(t, this.chunkMs);
    const first = this.series.get(seriesId);
    let head = first;
    while (head !== undefined && head.chunkStart !== start) head = head.next;
    if (head === undefined) {
      head = new Head(start);
      if (first === undefined) this.series.set(seriesId, head);
      else {
        let last = first;
        while (last.next) last = last.next;
        last.next = head;
      }
    }
    const before = head.size;
    head.add(t, v);
    this.points += head.size - before;
  }

  /** The series' pending raw points sorted by time, one per timestamp (the first that came). */
  rawPoints(seriesId: number): SeriesPoints {
    const first = this.series.get(seriesId);
    if (first === undefined) return { t: [], v: [] };
    if (first.next === undefined) return first.points();
    return headsOf(first)
      .sort((a, b) => a.chunkStart - b.chunkStart)
      .map((h) => h.points())
      .reduce(mergePoints);
  }

  /**
   * The series' pending buckets of a rollup tier, sorted by start, rolled from its raw points (widths:
   * every rollup tier's width, finest first, up to the one wanted).
   */
  buckets(seriesId: number, widths: readonly number[]): RollupBucket[] {
    if (!widths.length || !this.series.has(seriesId)) return [];
    let out = rollPoints(this.rawPoints(seriesId), widths[0]);
    for (let i = 1; i < widths.length; i++) out = rollBuckets(out, widths[i]);
    return out;
  }

  /** Moves the heads of chunks starting before `closedBefore` into a set of their own, and returns it. */
  detach(closedBefore: number): PendingPoints {
    const out = new PendingPoints(this.chunkMs);
    for (const [id, first] of this.series) {
      if (first.chunkStart >= closedBefore && first.next === undefined) continue;
      const heads = headsOf(first);
      const closed = heads.filter((h) => h.chunkStart < closedBefore);
      if (!closed.length) continue;
      const open = chain(heads.filter((h) => h.chunkStart >= closedBefore));
      if (open) this.series.set(id, open);
      else this.series.delete(id);
      out.series.set(id, chain(closed)!);
      for (const h of closed) {
        this.points -= h.size;
        out.points += h.size;
      }
    }
    return out;
  }

  /**
   * The heads of these series, compactly, as one snapshot part: SNAPSHOT_MAGIC, then per head uvarint
   * series id, uvarint length, the head as an XOR chunk. What `restore` reads back.
   */
  snapshot(seriesIds: readonly number[]): Uint8Array {
    // Sized first, then written in place: one array a part, not a few per head.
    const chunks: XorChunkEncoder[] = [];
    const ids: number[] = [];
    let size = SNAPSHOT_MAGIC.length;
    for (const id of seriesIds) {
      for (let h = this.series.get(id); h; h = h.next) {
        const c = h.chunk();
        chunks.push(c);
        ids.push(id);
        size += uvarintSize(id) + uvarintSize(c.byteLength) + c.byteLength;
      }
    }
    const out = new Uint8Array(size);
    out.set(SNAPSHOT_MAGIC);
    let k = SNAPSHOT_MAGIC.length;
    for (let i = 0; i < chunks.length; i++) {
      k = putUvarint(out, k, ids[i]);
      k = putUvarint(out, k, chunks[i].byteLength);
      k = chunks[i].writeTo(out, k);
    }
    return out;
  }

  /** Adds the points of a snapshot part. */
  restore(part: Uint8Array): void {
    let k = SNAPSHOT_MAGIC.length;
    const uvarint = () => {
      let x = 0;
      for (let shift = 1; ; shift *= 128) {
        const b = part[k++];
        x += (b & 0x7f) * shift;
        if (b < 0x80) return x;
      }
    };
    while (k < part.length) {
      const id = uvarint();
      const length = uvarint();
      const p = decodeXorChunk(part.subarray(k, k + length));
      k += length;
      for (let i = 0; i < p.t.length; i++) this.add(id, p.t[i], p.v[i]);
    }
  }
}

/** Whether a write-ahead row is a snapshot part rather than (series id, t, v) triples. */
export function isSnapshot(row: Uint8Array): boolean {
  if (row.length < SNAPSHOT_MAGIC.length) return false;
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) if (row[i] !== SNAPSHOT_MAGIC[i]) return false;
  return true;
}

/** Points sorted by time, keeping the first of several at one timestamp (arrival order decides). */
export function sortUnique(t: ArrayLike<number>, v: ArrayLike<number>): SeriesPoints {
  const n = t.length;
  let sorted = true;
  for (let i = 1; i < n; i++)
    if (!(t[i] > t[i - 1])) {
      sorted = false;
      break;
    }
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
