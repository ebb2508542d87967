/**
 * One chunk of one series: (t, v) points packed Gorilla-style (Facebook's Gorilla paper, Prometheus
 * tsdb/chunkenc/xor.go), lossless. Timestamps are integer ms since the epoch, 0 <= t <= 2^53 - 1, strictly
 * increasing; values are any float64 (NaN payloads, -0, infinities and denormals come back bit for bit).
 *
 * Byte layout (format 1):
 *   byte 0        0x01, the format tag (a rollup run starts 0x02, so the two cannot be confused)
 *   uvarint       point count (LEB128, as Go's binary.PutUvarint)
 *   bit stream, most significant bit first, zero-padded to a byte:
 *     point 0     uvarint t0 as 8-bit groups, then the value's 64 raw bits
 *     point 1     uvarint (t1 - t0), then the value code
 *     point i>=2  delta-of-delta code, then the value code
 *   delta-of-delta (xor.go's buckets): 0 -> dod 0 | 10 +14 bits | 110 +17 | 1110 +20 | 1111 +64,
 *     two's complement; an n-bit field holds -(2^(n-1) - 1) .. 2^(n-1)
 *   value code: see float-stream.ts (XOR with window reuse, or a decimal-mantissa delta when shorter)
 *
 * Regular 10 s timestamps cost 1 bit a point; the value is usually 1..12 bits (measured figures in
 * xor-chunk.test.ts and bench/chunk-codec.bench.ts).
 */
import { AppError } from '../../errors.js';
import { BitReader, BitWriter, corruptSeries, joinInt64, putUvarint, splitInt64, uvarintSize, WRITER_INTS } from './bitstream.js';
import { FLOAT_STREAM_FLOATS, FLOAT_STREAM_INTS, FloatStreamDecoder, FloatStreamEncoder } from './float-stream.js';

export const XOR_CHUNK_FORMAT = 0x01;

/** Smallest possible stream: point 0 takes at least 72 bits, every later point at least 2. */
const MIN_BITS_FIRST = 72;
const MIN_BITS_NEXT = 2;

export interface DecodedChunk {
  /** Timestamps, ms since the epoch (integers; Float64Array because they exceed 32 bits). */
  t: Float64Array;
  v: Float64Array;
}

// Errors are built out of line: an inline `new AppError(template)` in append kept V8 from inlining the
// bit writes and made encoding 8x slower (measured).
function badTimestamp(t: number): AppError {
  return new AppError('SERIES_BAD_TIMESTAMP', 'invalid', `timestamp ${t} is not an integer ms epoch in 0..2^53-1`);
}

function outOfOrder(t: number, prevT: number): AppError {
  return new AppError(
    'SERIES_OUT_OF_ORDER',
    'invalid',
    `timestamp ${t} is not after the chunk's last timestamp ${prevT}; append points in increasing time order`,
  );
}

/** Scratch for one 64-bit split at a time (shared: one object per encoder would be 10^5-10^6 objects). */
const INT64 = { hi: 0, lo: 0 };

/** Int32 and float64 slots one encoder's state takes in columns (`save`). */
export const ENCODER_INTS = WRITER_INTS + FLOAT_STREAM_INTS + 1;
export const ENCODER_FLOATS = FLOAT_STREAM_FLOATS + 3;

/** Builds one chunk point by point; `bytes()` may be called at any time and appending may continue after. */
export class XorChunkEncoder {
  private readonly values = new FloatStreamEncoder();
  private n = 0;
  private first = NaN;
  private prevT = NaN;
  private prevDelta = 0;

  /**
   * `expectedPoints` only sizes the first buffer (about 2 bytes a point); the buffer grows as needed.
   * `w` is given when the stream lives in a shared buffer (series/pending-points.ts).
   */
  constructor(
    expectedPoints = 128,
    private readonly w = new BitWriter(expectedPoints * 2 + 16),
  ) {}

  /**
   * The state as numbers, row `row` of columns of ENCODER_INTS int32s and ENCODER_FLOATS float64s: the open
   * heads are kept so (pending-points.ts), one encoder loaded and saved around each append, because an object
   * graph per open series (encoder, writer, value state, buffer) cost ~600 B and GC time at 10^5-10^6 series.
   */
  save(ints: Int32Array, floats: Float64Array, row: number): void {
    const i = row * ENCODER_INTS;
    const f = row * ENCODER_FLOATS;
    this.w.saveState(ints, i);
    this.values.saveState(ints, i + WRITER_INTS, floats, f);
    ints[i + WRITER_INTS + FLOAT_STREAM_INTS] = this.n;
    floats[f + FLOAT_STREAM_FLOATS] = this.first;
    floats[f + FLOAT_STREAM_FLOATS + 1] = this.prevT;
    floats[f + FLOAT_STREAM_FLOATS + 2] = this.prevDelta;
  }

  load(ints: Int32Array, floats: Float64Array, row: number): this {
    const i = row * ENCODER_INTS;
    const f = row * ENCODER_FLOATS;
    this.w.loadState(ints, i);
    this.values.loadState(ints, i + WRITER_INTS, floats, f);
    this.n = ints[i + WRITER_INTS + FLOAT_STREAM_INTS];
    this.first = floats[f + FLOAT_STREAM_FLOATS];
    this.prevT = floats[f + FLOAT_STREAM_FLOATS + 1];
    this.prevDelta = floats[f + FLOAT_STREAM_FLOATS + 2];
    return this;
  }

  get count(): number {
    return this.n;
  }

  /** First timestamp, NaN while empty. */
  get firstT(): number {
    return this.first;
  }

  /** Last timestamp, NaN while empty. */
  get lastT(): number {
    return this.prevT;
  }

  /** Adds a point after the previous one. Throws SERIES_BAD_TIMESTAMP or SERIES_OUT_OF_ORDER. */
  append(t: number, v: number): void {
    if (!Number.isSafeInteger(t) || t < 0) throw badTimestamp(t);
    const w = this.w;
    const n = this.n;
    if (n === 0) {
      w.writeUvarint(t);
      this.first = t;
    } else {
      const delta = t - this.prevT;
      if (delta <= 0) throw outOfOrder(t, this.prevT);
      if (n === 1) w.writeUvarint(delta);
      else this.writeDeltaOfDelta(delta - this.prevDelta);
      this.prevDelta = delta;
    }
    this.prevT = t;
    this.values.write(w, v);
    this.n = n + 1;
  }

  /** The chunk as stored: header plus bit stream. A fresh array each call. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.writeTo(out, 0);
    return out;
  }

  /** Size of the chunk as stored. */
  get byteLength(): number {
    return 1 + uvarintSize(this.n) + this.w.byteLength;
  }

  /** Writes the chunk as stored at out[offset..]; returns the offset after it. */
  writeTo(out: Uint8Array, offset: number): number {
    out[offset] = XOR_CHUNK_FORMAT;
    return this.w.writeTo(out, putUvarint(out, offset + 1, this.n));
  }

  private writeDeltaOfDelta(dod: number): void {
    const w = this.w;
    if (dod === 0) {
      w.writeBits(0, 1);
    } else if (dod >= -8191 && dod <= 8192) {
      w.writeBits(0b10, 2);
      w.writeBits(dod, 14);
    } else if (dod >= -65535 && dod <= 65536) {
      w.writeBits(0b110, 3);
      w.writeBits(dod, 17);
    } else if (dod >= -524287 && dod <= 524288) {
      w.writeBits(0b1110, 4);
      w.writeBits(dod, 20);
    } else {
      w.writeBits(0b1111, 4);
      splitInt64(dod, INT64);
      w.writeBits64(INT64.hi, INT64.lo, 64);
    }
  }
}

/** Point count from the header alone, without decoding. */
export function xorChunkCount(bytes: Uint8Array): number {
  const r = openChunk(bytes);
  return r.readUvarint();
}

/** Decodes every point of a chunk. Throws SERIES_DATA_CORRUPT on bytes that are not a valid chunk. */
export function decodeXorChunk(bytes: Uint8Array): DecodedChunk {
  const r = openChunk(bytes);
  const n = r.readUvarint();
  if (n > 0 && r.bitsLeft < MIN_BITS_FIRST + (n - 1) * MIN_BITS_NEXT) {
    throw corruptSeries(`chunk claims ${n} points but holds only ${r.bitsLeft} bits`);
  }
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const values = new FloatStreamDecoder();
  let t = 0;
  let delta = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      t = r.readUvarint();
    } else {
      if (i === 1) delta = r.readUvarint();
      else delta += readDeltaOfDelta(r);
      if (!(delta > 0)) throw corruptSeries('chunk timestamps do not increase');
      t += delta;
    }
    ts[i] = t;
    vs[i] = values.read(r);
  }
  if (!Number.isSafeInteger(t)) throw corruptSeries('chunk timestamp out of range');
  return { t: ts, v: vs };
}

function openChunk(bytes: Uint8Array): BitReader {
  if (bytes.length === 0 || bytes[0] !== XOR_CHUNK_FORMAT) {
    throw corruptSeries(`not an XOR chunk (format byte ${bytes.length === 0 ? 'missing' : bytes[0]})`);
  }
  return new BitReader(bytes, 1);
}

function readDeltaOfDelta(r: BitReader): number {
  if (r.readBit() === 0) return 0;
  let size: number;
  if (r.readBit() === 0) size = 14;
  else if (r.readBit() === 0) size = 17;
  else if (r.readBit() === 0) size = 20;
  else {
    r.readBits64(64);
    return joinInt64(r.hi, r.lo);
  }
  const bits = r.readBits(size);
  // Fields are two's complement of `size` bits; the range is asymmetric as in xor.go (see bitRange there).
  return bits > 2 ** (size - 1) ? bits - 2 ** size : bits;
}
