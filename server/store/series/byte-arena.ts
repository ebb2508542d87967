/**
 * Bit streams of many small chunks in one shared buffer: the open series heads (pending-points.ts), where a
 * Uint8Array each (with its ArrayBuffer, two objects and ~150 B of heap before the first byte) at 10^5-10^6
 * open series cost more than the points. Regions grow by half from 32 B and are reused through a free list per
 * size; the buffer grows by a quarter when full and never shrinks (heads close and free their regions
 * every chunk span, and new heads take them again; when a quarter of it is free, the owner compacts it).
 */
import { BitWriter } from './bitstream.js';

const FIRST_REGION = 32;
const MAX_BYTES = 2 ** 31 - 1;

/** The region a full one of `size` bytes moves to: half as large again (a doubling leaves a quarter of the bytes unused on average). */
function regionAfter(size: number): number {
  return Math.ceil((size * 1.5) / 8) * 8;
}

export class ByteArena {
  bytes: Uint8Array;
  private top = 0;
  /** Free region offsets by size. */
  private readonly free = new Map<number, number[]>();
  /** Bytes in free regions. */
  private freeBytes = 0;

  constructor(initialBytes = 1 << 16) {
    this.bytes = new Uint8Array(initialBytes);
  }

  /**
   * Whether over a quarter of the arena (and 1 MiB) is free regions: a stream that grew left each smaller
   * region behind, and only a new stream takes those again. The owner then copies its live regions into a
   * new arena (pending-points.ts).
   */
  get wasteful(): boolean {
    return this.freeBytes > 1 << 20 && this.freeBytes > this.top / 4;
  }

  /** Bytes in regions in use. */
  get liveBytes(): number {
    return this.top - this.freeBytes;
  }

  /** Offset of a region of `size` bytes (a size `regionAfter` gives); `bytes` may be a new, larger array after. */
  alloc(size: number): number {
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) {
      this.freeBytes -= size;
      return reused;
    }
    // Offsets are kept in Int32Array columns.
    if (this.top + size > MAX_BYTES) throw new Error(`series heads need more than ${MAX_BYTES} bytes in one process`);
    if (this.top + size > this.bytes.length) {
      // A quarter more each time: a doubling would leave up to half of a large arena unused.
      const length = Math.max(this.top + size, Math.ceil((this.bytes.length * 1.25) / 4096) * 4096);
      const bigger = new Uint8Array(length);
      bigger.set(this.bytes.subarray(0, this.top));
      this.bytes = bigger;
    }
    const at = this.top;
    this.top += size;
    return at;
  }

  release(at: number, size: number): void {
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(at);
    this.freeBytes += size;
  }

  /** Bytes taken from the system for regions, in use or free. */
  get byteLength(): number {
    return this.bytes.length;
  }
}

/**
 * A BitWriter whose stream is a region of an arena, moved to a region half as large again when full. Its
 * position is loaded and saved per head (`loadState` / `saveState`); loading re-reads the arena's buffer,
 * which another head's growth may have replaced.
 */
export class ArenaWriter extends BitWriter {
  constructor(private readonly arena: ByteArena) {
    super(8);
  }

  /** Starts an empty stream in a new region. */
  open(): void {
    this.start = this.arena.alloc(FIRST_REGION);
    this.len = this.start;
    this.end = this.start + FIRST_REGION;
    this.acc = 0;
    this.accBits = 0;
    this.buf = this.arena.bytes;
  }

  override loadState(ints: Int32Array, i: number): void {
    super.loadState(ints, i);
    this.buf = this.arena.bytes;
  }

  /** The stream's state is another arena's (its bytes in `from`): copies the bytes into a region here. */
  moveFrom(from: Uint8Array): void {
    const size = this.end - this.start;
    const at = this.arena.alloc(size);
    const to = (this.buf = this.arena.bytes);
    // Short streams byte by byte: a subarray object per copy cost more than the copy (compacting 100,000
    // heads of ~110 B: 45 ms with subarrays for all, 30 ms so).
    const n = this.len - this.start;
    if (n > 64) to.set(from.subarray(this.start, this.len), at);
    else for (let k = 0; k < n; k++) to[at + k] = from[this.start + k];
    this.len = at + (this.len - this.start);
    this.start = at;
    this.end = at + size;
  }

  /** Gives the stream's region back to the arena. */
  close(): void {
    this.arena.release(this.start, this.end - this.start);
  }

  protected override grow(): void {
    const size = this.end - this.start;
    const bigger = regionAfter(size);
    const at = this.arena.alloc(bigger);
    const bytes = this.arena.bytes;
    bytes.copyWithin(at, this.start, this.len);
    this.arena.release(this.start, size);
    this.len = at + (this.len - this.start);
    this.start = at;
    this.end = at + bigger;
    this.buf = bytes;
  }
}
