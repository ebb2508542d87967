/**
 * Bit-level writer and reader for the series codecs (xor-chunk, rollup bucket runs).
 *
 * Bits are packed most significant first, so a stream is readable byte by byte in a hex dump and other
 * languages can decode it with the usual big-endian bit reader. Everything runs on 32-bit integer ops:
 * a 64-bit quantity travels as two halves (hi, lo), never as a BigInt, because these loops run once per
 * stored point.
 */
import { AppError } from '../../errors.js';

const TWO_32 = 4294967296;

/** Thrown when a stream ends early or holds an impossible value: stored bytes are damaged or not ours. */
export function corruptSeries(message: string): AppError {
  return new AppError('SERIES_DATA_CORRUPT', 'internal', message);
}

/** Int32 slots a writer's position takes (`saveState`). */
export const WRITER_INTS = 5;

/**
 * Growable MSB-first bit writer. Bits collect in a 32-bit accumulator and land in the buffer a word at a time.
 * The stream occupies buf[start..end): its own buffer here; a subclass may place it in a shared one (the
 * open series heads, series/byte-arena.ts) and move it when `grow` is called.
 */
export class BitWriter {
  protected buf: Uint8Array;
  protected start = 0;
  protected end: number;
  /** Offset in `buf` after the bytes already flushed. */
  protected len = 0;
  /** Pending bits, right-aligned; fewer than 32 of them. */
  protected acc = 0;
  protected accBits = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(Math.max(8, initialBytes));
    this.end = this.buf.length;
  }

  /** Bits written so far. */
  get bitLength(): number {
    return (this.len - this.start) * 8 + this.accBits;
  }

  /** Bytes `writeTo` will produce (the last byte zero-padded). */
  get byteLength(): number {
    return this.len - this.start + ((this.accBits + 7) >>> 3);
  }

  writeBit(bit: number): void {
    this.writeBits(bit & 1, 1);
  }

  /** Writes the low `n` bits of `value`, 0 <= n <= 32. */
  writeBits(value: number, n: number): void {
    if (n === 0) return;
    const v = n === 32 ? value >>> 0 : value & ((1 << n) - 1);
    const free = 32 - this.accBits;
    if (n < free) {
      this.acc = (this.acc << n) | v;
      this.accBits += n;
      return;
    }
    // The accumulator fills up: emit one whole word and keep the rest of `v`.
    const rest = n - free;
    const word = free === 32 ? v : (this.acc << free) | (v >>> rest);
    this.pushWord(word);
    this.acc = rest === 0 ? 0 : v & ((1 << rest) - 1);
    this.accBits = rest;
  }

  /** Writes the low `n` bits (0..64) of the 64-bit value hi:lo. */
  writeBits64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.writeBits(hi, n - 32);
      this.writeBits(lo, 32);
    } else {
      this.writeBits(lo, n);
    }
  }

  /** LEB128 unsigned varint (as Go's binary.PutUvarint), written as 8-bit groups into the bit stream. */
  writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 128) | 0x80, 8);
      x = Math.floor(x / 128);
    }
    this.writeBits(x, 8);
  }

  /** Copies the stream (last byte zero-padded) into `out` at `offset`; returns the offset after it. */
  writeTo(out: Uint8Array, offset: number): number {
    out.set(this.buf.subarray(this.start, this.len), offset);
    let at = offset + this.len - this.start;
    let bits = this.accBits;
    if (bits > 0) {
      const word = this.acc << (32 - bits);
      for (let shift = 24; bits > 0; shift -= 8, bits -= 8) out[at++] = (word >>> shift) & 0xff;
    }
    return at;
  }

  /** A fresh copy of the stream. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.writeTo(out, 0);
    return out;
  }

  /** The position as WRITER_INTS int32s at ints[i..] (for writers in a shared buffer; the buffer is not saved). */
  saveState(ints: Int32Array, i: number): void {
    ints[i] = this.start;
    ints[i + 1] = this.len;
    ints[i + 2] = this.end;
    ints[i + 3] = this.acc;
    ints[i + 4] = this.accBits;
  }

  loadState(ints: Int32Array, i: number): void {
    this.start = ints[i];
    this.len = ints[i + 1];
    this.end = ints[i + 2];
    this.acc = ints[i + 3];
    this.accBits = ints[i + 4];
  }

  /** Makes room for at least 4 more bytes after `len`: here, a buffer twice the size. */
  protected grow(): void {
    const bigger = new Uint8Array(this.buf.length * 2);
    bigger.set(this.buf);
    this.buf = bigger;
    this.end = bigger.length;
  }

  private pushWord(word: number): void {
    if (this.len + 4 > this.end) this.grow();
    const b = this.buf;
    const at = this.len;
    b[at] = word >>> 24;
    b[at + 1] = (word >>> 16) & 0xff;
    b[at + 2] = (word >>> 8) & 0xff;
    b[at + 3] = word & 0xff;
    this.len = at + 4;
  }
}

/** MSB-first bit reader over a byte range. Reading past the end throws SERIES_DATA_CORRUPT. */
export class BitReader {
  private readonly buf: Uint8Array;
  private readonly endByte: number;
  private readonly endBit: number;
  private pos: number;
  /** Result halves of the last `readBits64` (fields, not a returned pair, so the hot path allocates nothing). */
  hi = 0;
  lo = 0;

  constructor(bytes: Uint8Array, startByte = 0, endByte = bytes.length) {
    this.buf = bytes;
    this.endByte = endByte;
    this.endBit = endByte * 8;
    this.pos = startByte * 8;
  }

  /** Bits consumed from the start of the underlying array. */
  get bitPosition(): number {
    return this.pos;
  }

  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  readBit(): number {
    const p = this.pos;
    if (p >= this.endBit) throw corruptSeries('series data ends early');
    this.pos = p + 1;
    return (this.buf[p >>> 3] >>> (7 - (p & 7))) & 1;
  }

  /** Reads `n` bits (0..32) as an unsigned integer. */
  readBits(n: number): number {
    if (n === 0) return 0;
    const p = this.pos;
    if (p + n > this.endBit) throw corruptSeries('series data ends early');
    this.pos = p + n;
    const i = p >>> 3;
    const off = p & 7;
    const b = this.buf;
    let window: number;
    if (i + 5 <= this.endByte) {
      // 40 bits hold any 32-bit field at any bit offset.
      window = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) << off;
      if (off !== 0) window |= b[i + 4] >>> (8 - off);
    } else {
      window = 0;
      for (let k = 0; k < 5; k++) {
        const byte = i + k < this.endByte ? b[i + k] : 0;
        const shift = 24 - 8 * k + off;
        window |= shift >= 0 ? (shift < 32 ? byte << shift : 0) : byte >>> -shift;
      }
    }
    return window >>> (32 - n);
  }

  /** Reads `n` bits (0..64) into `this.hi` / `this.lo`. */
  readBits64(n: number): void {
    if (n > 32) {
      this.hi = this.readBits(n - 32);
      this.lo = this.readBits(32);
    } else {
      this.hi = 0;
      this.lo = this.readBits(n);
    }
  }

  readUvarint(): number {
    let x = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.readBits(8);
      x += (byte & 0x7f) * scale;
      if (byte < 0x80) return x;
      scale *= 128;
    }
    // 8 groups carry 56 bits; the codecs never write more than 53.
    throw corruptSeries('varint too long');
  }
}

/** Bytes `putUvarint` needs for x. */
export function uvarintSize(x: number): number {
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 128);
    n++;
  }
  return n;
}

/** Byte-aligned LEB128 into `out` at `offset`; returns the offset after it. Same bytes as `writeUvarint`. */
export function putUvarint(out: Uint8Array, offset: number, x: number): number {
  while (x >= 0x80) {
    out[offset++] = (x % 128) | 0x80;
    x = Math.floor(x / 128);
  }
  out[offset++] = x;
  return offset;
}

/** Splits a safe integer (possibly negative) into 64-bit two's complement halves. */
export function splitInt64(x: number, into: { hi: number; lo: number }): void {
  const hi = Math.floor(x / TWO_32);
  into.hi = hi >>> 0;
  into.lo = (x - hi * TWO_32) >>> 0;
}

/** Inverse of `splitInt64` for values within the safe-integer range. */
export function joinInt64(hi: number, lo: number): number {
  return (hi | 0) * TWO_32 + (lo >>> 0);
}
