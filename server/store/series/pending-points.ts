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
import { ArenaWriter, ByteArena } from './byte-arena.js';
import { decodeXorChunk, ENCODER_FLOATS, ENCODER_INTS, XorChunkEncoder } from './xor-chunk.js';
import { mergeBuckets, rollBuckets, rollPoints, type RollupBucket } from './rollup.js';
import { chunkStartOf } from './tiers.js';
import { putUvarint, uvarintSize } from './bitstream.js';
import type { SeriesPoints } from './points.js';

/**
 * First 8 bytes of a snapshot row: a NaN as a little-endian float64 (payload "AWHEAD"), which a
 * write-ahead row of (series id, t, v) float64 triples can never start with (series ids are positive
 * integers).
 */
/** Checkpoints a closed head may stay through while points still arrive for it; at the next it is written. */
const MAX_DEFERRALS = 2;

const SNAPSHOT_MAGIC = Uint8Array.of(0x41, 0x57, 0x48, 0x45, 0x41, 0x44, 0xf8, 0x7f);

/** Points older than their head's last coded one, uncoded, in arrival order. */
interface LatePoints {
  t: number[];
  v: number[];
}

/**
 * The open part of one raw chunk of one series is a head: a row of columns (the chunk's start, the next
 * head of the series, an XOR encoder's state) plus its bit stream in the arena, and late points beside it
 * in a map (rare). No object per head: 10^5-10^6 of them as objects (encoder, writer, value state, typed
 * array, boxed numbers) took ~600 B each and most of the GC's marking (bench/pending-memory.bench.ts).
 */
export class PendingPoints {
  /** First head per series; nearly always the only one, two around a chunk boundary. */
  private readonly series = new Map<number, number>();
  private points = 0;
  private arena = new ByteArena();
  private writer = new ArenaWriter(this.arena);
  /** Every head is appended and read through this one encoder, loaded from its row and saved back. */
  private encoder = new XorChunkEncoder(0, this.writer);
  private capacity = 64;
  private ints = new Int32Array(this.capacity * ENCODER_INTS);
  private floats = new Float64Array(this.capacity * ENCODER_FLOATS);
  private chunkStarts = new Float64Array(this.capacity);
  /** The series' next head, or -1. */
  private nexts = new Int32Array(this.capacity);
  /** When each head last got a point (`touchTime` then), and how often a detach has kept it though closed. */
  private touchedAt = new Float64Array(this.capacity);
  private deferrals = new Uint8Array(this.capacity);
  /** The time `add` stamps on the heads it appends to: the store sets it before a write's points. */
  touchTime = 0;
  private rows = 0;
  private readonly freeRows: number[] = [];
  private readonly late = new Map<number, LatePoints>();

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
    let row = first ?? -1;
    while (row >= 0 && this.chunkStarts[row] !== start) row = this.nexts[row];
    if (row < 0) {
      row = this.newHead(start);
      if (first === undefined) this.series.set(seriesId, row);
      else this.nexts[this.lastOf(first)] = row;
    }
    this.touchedAt[row] = this.touchTime;
    const enc = this.encoder.load(this.ints, this.floats, row);
    const last = enc.lastT;
    if (!(t <= last)) {
      enc.append(t, v);
      enc.save(this.ints, this.floats, row);
      this.points++;
      if (this.arena.wasteful) this.compact();
    } else if (t !== last) {
      // The same timestamp again: the first point stays (as mergePoints keeps the stored one).
      let late = this.late.get(row);
      if (!late) this.late.set(row, (late = { t: [], v: [] }));
      late.t.push(t);
      late.v.push(v);
      this.points++;
    }
  }

  /** The series' pending raw points sorted by time, one per timestamp (the first that came). */
  rawPoints(seriesId: number): SeriesPoints {
    const first = this.series.get(seriesId);
    if (first === undefined) return { t: [], v: [] };
    if (this.nexts[first] < 0) return this.pointsOf(first);
    return this.headsOf(first)
      .sort((a, b) => this.chunkStarts[a] - this.chunkStarts[b])
      .map((row) => this.pointsOf(row))
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

  /**
   * Moves the heads of chunks starting before `closedBefore` into a set of their own, and returns it. A
   * closed head that got a point after `busyAfter` stays (points still arrive for it: a backfill, a
   * late host), so its chunk is written once they stop rather than at every checkpoint and merged again;
   * at most MAX_DEFERRALS times running. When most heads close (every head does at a span boundary:
   * 380,000 at 19,000 agents), the open ones move to a new table instead, and the two sets trade places:
   * copying every closed head held the thread ~1.4 s.
   */
  detach(closedBefore: number, busyAfter = Infinity): PendingPoints {
    const closes = (row: number) => this.chunkStarts[row] < closedBefore && (this.touchedAt[row] <= busyAfter || this.deferrals[row] > MAX_DEFERRALS);
    let closing = 0;
    let staying = 0;
    for (const first of this.series.values()) {
      for (let row = first; row >= 0; row = this.nexts[row]) {
        // A closed head that is busy counts this detach, so it cannot stay for ever.
        if (this.chunkStarts[row] < closedBefore && this.touchedAt[row] > busyAfter) this.deferrals[row]++;
        if (closes(row)) closing++;
        else staying++;
      }
    }
    const out = new PendingPoints(this.chunkMs);
    out.touchTime = this.touchTime;
    if (closing <= staying) {
      if (closing) this.moveHeads(out, closes);
      return out;
    }
    this.moveHeads(out, (row) => !closes(row));
    // This object goes on as the open heads; `out`, holding the old table, leaves as the closed ones.
    const old = { ...this };
    Object.assign(this, out);
    Object.assign(out, old);
    return out;
  }

  /** Moves the heads for which `moves` holds, with their points, to `to`. */
  private moveHeads(to: PendingPoints, moves: (row: number) => boolean): void {
    for (const [id, first] of this.series) {
      if (this.nexts[first] < 0 && !moves(first)) continue; // one head, staying: nearly every series
      const heads = this.headsOf(first);
      const moving = heads.filter(moves);
      if (!moving.length) continue;
      const moved = moving.map((row) => {
        const size = this.sizeOf(row);
        this.points -= size;
        to.points += size;
        const at = to.adopt(this, row);
        this.freeHead(row);
        return at;
      });
      to.series.set(id, to.chain(moved));
      const rest = this.chain(heads.filter((row) => !moves(row)));
      if (rest >= 0) this.series.set(id, rest);
      else this.series.delete(id);
    }
  }

  /**
   * The heads of these series, compactly, as one snapshot part: SNAPSHOT_MAGIC, then per head uvarint
   * series id, uvarint length, the head as an XOR chunk. What `restore` reads back.
   */
  snapshot(seriesIds: readonly number[]): Uint8Array {
    // Sized first, then written in place: one array a part. A head with late points is re-coded once.
    const merged = new Map<number, XorChunkEncoder>();
    let size = SNAPSHOT_MAGIC.length;
    for (const id of seriesIds) {
      for (let row = this.series.get(id) ?? -1; row >= 0; row = this.nexts[row]) {
        const c = this.chunkOf(row, merged);
        size += uvarintSize(id) + uvarintSize(c.byteLength) + c.byteLength;
      }
    }
    const out = new Uint8Array(size);
    out.set(SNAPSHOT_MAGIC);
    let k = SNAPSHOT_MAGIC.length;
    for (const id of seriesIds) {
      for (let row = this.series.get(id) ?? -1; row >= 0; row = this.nexts[row]) {
        const c = this.chunkOf(row, merged);
        k = putUvarint(out, k, id);
        k = putUvarint(out, k, c.byteLength);
        k = c.writeTo(out, k);
      }
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

  /** Bytes held: the columns and the arena (the series map and late points not counted). */
  get byteLength(): number {
    return this.ints.byteLength + this.floats.byteLength + this.chunkStarts.byteLength + this.nexts.byteLength + this.arena.byteLength;
  }

  private newRow(): number {
    const row = this.freeRows.pop() ?? this.rows++;
    if (row >= this.capacity) this.growColumns();
    return row;
  }

  private newHead(chunkStart: number): number {
    const row = this.newRow();
    EMPTY.save(this.ints, this.floats, row);
    this.writer.open();
    this.writer.saveState(this.ints, row * ENCODER_INTS);
    this.chunkStarts[row] = chunkStart;
    this.nexts[row] = -1;
    this.touchedAt[row] = 0;
    this.deferrals[row] = 0;
    return row;
  }

  /** Takes row `row` of `from` (its state, stream and late points) as a new head here. */
  private adopt(from: PendingPoints, row: number): number {
    const to = this.newRow();
    from.encoder.load(from.ints, from.floats, row).save(this.ints, this.floats, to);
    this.writer.loadState(this.ints, to * ENCODER_INTS);
    this.writer.moveFrom(from.arena.bytes);
    this.writer.saveState(this.ints, to * ENCODER_INTS);
    this.chunkStarts[to] = from.chunkStarts[row];
    this.nexts[to] = -1;
    this.touchedAt[to] = from.touchedAt[row];
    this.deferrals[to] = from.deferrals[row];
    const late = from.late.get(row);
    if (late) this.late.set(to, late);
    return to;
  }

  private freeHead(row: number): void {
    this.writer.loadState(this.ints, row * ENCODER_INTS);
    this.writer.close();
    this.late.delete(row);
    this.freeRows.push(row);
  }

  /** Copies every head's stream into a new arena, back to back, leaving the free regions behind. */
  private compact(): void {
    const arena = new ByteArena(Math.ceil((this.arena.liveBytes * 1.25) / 4096) * 4096);
    const writer = new ArenaWriter(arena);
    for (const first of this.series.values()) {
      for (let row = first; row >= 0; row = this.nexts[row]) {
        writer.loadState(this.ints, row * ENCODER_INTS);
        writer.moveFrom(this.arena.bytes);
        writer.saveState(this.ints, row * ENCODER_INTS);
      }
    }
    this.arena = arena;
    this.writer = writer;
    this.encoder = new XorChunkEncoder(0, writer);
  }

  private growColumns(): void {
    // Half more each time (a doubling would leave up to half unused at 10^6 heads).
    const capacity = Math.ceil(this.capacity * 1.5);
    const grow = <A extends Int32Array | Float64Array | Uint8Array>(a: A, make: (n: number) => A, per: number): A => {
      const bigger = make(capacity * per);
      bigger.set(a);
      return bigger;
    };
    this.ints = grow(this.ints, (n) => new Int32Array(n), ENCODER_INTS);
    this.floats = grow(this.floats, (n) => new Float64Array(n), ENCODER_FLOATS);
    this.chunkStarts = grow(this.chunkStarts, (n) => new Float64Array(n), 1);
    this.nexts = grow(this.nexts, (n) => new Int32Array(n), 1);
    this.touchedAt = grow(this.touchedAt, (n) => new Float64Array(n), 1);
    this.deferrals = grow(this.deferrals, (n) => new Uint8Array(n), 1);
    this.capacity = capacity;
  }

  private sizeOf(row: number): number {
    return this.encoder.load(this.ints, this.floats, row).count + (this.late.get(row)?.t.length ?? 0);
  }

  private pointsOf(row: number): SeriesPoints {
    const coded = decodeXorChunk(this.encoder.load(this.ints, this.floats, row).bytes());
    const late = this.late.get(row);
    return late ? mergePoints(coded, sortUnique(late.t, late.v)) : coded;
  }

  /** The head as one XOR chunk: the shared encoder loaded with it, or a new one with its late points merged in. */
  private chunkOf(row: number, merged: Map<number, XorChunkEncoder>): XorChunkEncoder {
    if (!this.late.has(row)) return this.encoder.load(this.ints, this.floats, row);
    let enc = merged.get(row);
    if (!enc) {
      const p = this.pointsOf(row);
      enc = new XorChunkEncoder(p.t.length);
      for (let i = 0; i < p.t.length; i++) enc.append(p.t[i], p.v[i]);
      merged.set(row, enc);
    }
    return enc;
  }

  /** A series' heads as a list (rare paths: reads, checkpoints). */
  private headsOf(first: number): number[] {
    const out: number[] = [];
    for (let row = first; row >= 0; row = this.nexts[row]) out.push(row);
    return out;
  }

  private lastOf(first: number): number {
    let row = first;
    while (this.nexts[row] >= 0) row = this.nexts[row];
    return row;
  }

  /** Heads chained again, in the given order; the first, or -1. */
  private chain(rows: number[]): number {
    for (let i = 0; i < rows.length; i++) this.nexts[rows[i]] = i + 1 < rows.length ? rows[i + 1] : -1;
    return rows.length ? rows[0] : -1;
  }
}

/** A new head's encoder state (its writer position is set per head). */
const EMPTY = new XorChunkEncoder(0);

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
