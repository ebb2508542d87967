/**
 * Metric batches not yet acknowledged by the server. The newest `memoryBatches` stay in memory;
 * older ones spill to segment files in the state folder, bounded by `maxFileBytes` (past it the
 * oldest segment is dropped and counted). A batch keeps its id for life, so a resend after a lost
 * ack is recognised and stored once by the server. On stop the memory part is written to disk
 * too, so a restarted agent sends what it had.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import type { MetricPoint } from '../protocol/messages.js';

export interface SpooledBatch {
  batch: number;
  points: MetricPoint[];
}

export interface SpoolOptions {
  /** Folder for spilled segments; none means memory only. */
  dir?: string;
  memoryBatches: number;
  maxFileBytes: number;
}

interface Segment {
  file: string;
  bytes: number;
  batches: number;
  points: number;
}

export class Spool {
  private mem: SpooledBatch[] = [];
  private readonly inFlight = new Set<number>();
  private readonly notBefore = new Map<number, number>();
  private segments: Segment[] = [];
  private segmentSeq = 0;
  droppedPoints = 0;

  constructor(private readonly opts: SpoolOptions) {
    if (opts.dir) {
      mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
      for (const name of readdirSync(opts.dir)
        .filter((f) => /^spool-\d+\.bin$/.test(f))
        .sort()) {
        const file = join(opts.dir, name);
        try {
          const batches = unpack(readFileSync(file)) as SpooledBatch[];
          this.segments.push({ file, bytes: statSync(file).size, batches: batches.length, points: countPoints(batches) });
          this.segmentSeq = Math.max(this.segmentSeq, Number(name.slice(6, -4)));
        } catch {
          unlinkSync(file); // a torn segment from a crash: nothing in it can be trusted
        }
      }
    }
  }

  /** Batches waiting, in memory and on disk. */
  get size(): number {
    return this.mem.length + this.segments.reduce((n, s) => n + s.batches, 0);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  add(batch: SpooledBatch): void {
    this.mem.push(batch);
    if (this.mem.length > this.opts.memoryBatches) this.spill();
  }

  /** The oldest batch that may be sent now: not in flight and not told to wait. */
  nextReady(now: number): SpooledBatch | undefined {
    if (this.mem.length < this.opts.memoryBatches / 2 && this.segments.length) this.loadOldestSegment();
    for (const b of this.mem) {
      if (this.inFlight.has(b.batch)) continue;
      const wait = this.notBefore.get(b.batch);
      if (wait !== undefined && wait > now) continue;
      return b;
    }
    return undefined;
  }

  sent(batch: number): void {
    this.inFlight.add(batch);
    this.notBefore.delete(batch);
  }

  acked(batch: number): void {
    this.inFlight.delete(batch);
    this.notBefore.delete(batch);
    const i = this.mem.findIndex((b) => b.batch === batch);
    if (i >= 0) this.mem.splice(i, 1);
  }

  retryAt(batch: number, at: number): void {
    this.inFlight.delete(batch);
    this.notBefore.set(batch, at);
  }

  /** The server said this batch can never be accepted (invalid): keep it no longer. */
  drop(batch: number): void {
    const b = this.mem.find((x) => x.batch === batch);
    if (b) this.droppedPoints += b.points.length;
    this.acked(batch);
  }

  /** Connection lost: whatever was in flight goes out again on the next connection. */
  requeueInFlight(): void {
    this.inFlight.clear();
  }

  /** Write everything to disk (on stop). */
  persist(): void {
    if (!this.opts.dir || !this.mem.length) return;
    this.writeSegment(this.mem);
    this.mem = [];
    this.inFlight.clear();
  }

  private spill(): void {
    if (!this.opts.dir) {
      // Memory only: the oldest batch makes room.
      const old = this.mem.findIndex((b) => !this.inFlight.has(b.batch));
      if (old >= 0) this.droppedPoints += this.mem.splice(old, 1)[0].points.length;
      return;
    }
    const half = Math.max(1, Math.floor(this.opts.memoryBatches / 2));
    const out: SpooledBatch[] = [];
    const keep: SpooledBatch[] = [];
    for (const b of this.mem) (out.length < half && !this.inFlight.has(b.batch) ? out : keep).push(b);
    if (!out.length) return;
    this.mem = keep;
    this.writeSegment(out);
  }

  private writeSegment(batches: SpooledBatch[]): void {
    const dir = this.opts.dir!;
    const name = `spool-${String(++this.segmentSeq).padStart(10, '0')}.bin`;
    const bytes = pack(batches);
    writeFileSync(join(dir, `${name}.tmp`), bytes, { mode: 0o600 });
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
    this.segments.push({ file: join(dir, name), bytes: bytes.length, batches: batches.length, points: countPoints(batches) });
    let total = this.segments.reduce((n, s) => n + s.bytes, 0);
    while (total > this.opts.maxFileBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      unlinkSync(oldest.file);
      this.droppedPoints += oldest.points;
      total -= oldest.bytes;
    }
  }

  private loadOldestSegment(): void {
    const seg = this.segments.shift()!;
    try {
      const batches = unpack(readFileSync(seg.file)) as SpooledBatch[];
      this.mem = [...batches, ...this.mem];
    } finally {
      unlinkSync(seg.file);
    }
  }
}

const countPoints = (batches: SpooledBatch[]) => batches.reduce((n, b) => n + b.points.length, 0);
