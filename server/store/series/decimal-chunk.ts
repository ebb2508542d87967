/**
 * A raw chunk coded as VictoriaMetrics codes a block (lib/decimal, lib/encoding): when every value of the
 * chunk is exactly m / 10^k for integers m (one k for the chunk), the values are stored as those integer
 * mantissas, delta or delta-of-delta coded as zigzag varints, and the whole chunk body then goes through
 * a general compressor (brotli, in Node's zlib; zstd, which VictoriaMetrics uses, is not in Node 20). Metrics are mostly
 * such values: percentages with 2 decimals, byte gauges, counters, and their deltas repeat, which the
 * compressor finds where Gorilla's bit codes cannot.
 *
 * Exact: a value is taken as decimal only when m / 10^k gives back its very bits (so -0, 1e308 and values
 * needing 17 significant digits are not); a chunk holding one value that is not decimal is not coded this
 * way. `encodeRawChunk` keeps whichever of this and the Gorilla chunk (xor-chunk.ts, format 1) is smaller,
 * and `decodeRawChunk` reads both, so chunks written before this format still read.
 *
 * Byte layout (format 3):
 *   byte 0    0x03, the format tag (0x01 Gorilla chunk, 0x02 rollup run)
 *   uvarint   point count n (>= 1)
 *   byte      compressor: 0 none, 1 brotli
 *   body, compressed as that byte says:
 *     uvarint t0, uvarint (t1 - t0), then zigzag varint delta-of-delta of each later timestamp
 *     byte    value code: k (0..15) = mantissas delta coded, 16 + k = delta-of-delta coded
 *     uvarint step s: the greatest common divisor of the coded differences (1 when all are 0)
 *     zigzag varint m0, then the zigzag varint deltas / s (or (m1 - m0) / s, then the deltas of the deltas / s)
 * Varints are LEB128; zigzag maps 0, -1, 1, -2 ... to 0, 1, 2, 3 ... Mantissas are below 2^49 in magnitude,
 * so every delta of deltas and its zigzag stay safe integers.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { corruptSeries } from './bitstream.js';
import { decodeXorChunk, XOR_CHUNK_FORMAT, XorChunkEncoder, type DecodedChunk } from './xor-chunk.js';

export const DECIMAL_CHUNK_FORMAT = 0x03;

const MAX_EXP = 15;
const MAX_MANTISSA = 2 ** 49;
const POW10 = Array.from({ length: MAX_EXP + 1 }, (_, k) => 10 ** k);
const DOD = 16;
const enum Compressor {
  None = 0,
  Brotli = 1,
}
/** A chunk body inflates to at most this: 10 bytes a varint, 3 varints a point, at most 2^20 points. */
const MAX_BODY = 32 * 2 ** 20;
/** Bodies shorter than this are stored as they are (see encodeDecimalChunk): at most this many bytes given up. */
const BROTLI_MIN_BODY = 48;

/** Smallest k in 0..15 with v === m / 10^k for an integer m, |m| < 2^49; -1 when none. */
export function decimalExponent(v: number): number {
  if (v === 0) return Object.is(v, -0) ? -1 : 0;
  for (let k = 0; k <= MAX_EXP; k++) {
    const m = Math.round(v * POW10[k]);
    if (Math.abs(m) >= MAX_MANTISSA) return -1;
    if (m / POW10[k] === v) return k;
  }
  return -1;
}

/** Mantissas of all values at one exponent, or undefined when one of them is not exactly decimal. */
function mantissas(v: ArrayLike<number>): { k: number; m: Float64Array } | undefined {
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    // Most values fit the exponent found so far; only the others pay the search.
    const p = POW10[k];
    const m = Math.round(v[i] * p);
    if (m / p === v[i] && Math.abs(m) < MAX_MANTISSA && !Object.is(v[i], -0)) continue;
    const ki = decimalExponent(v[i]);
    if (ki < 0) return undefined;
    if (ki > k) k = ki;
  }
  const p = POW10[k];
  const m = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    m[i] = Math.round(v[i] * p);
    // A value fitting at a smaller k may still miss at this one (its mantissa grew past the bound).
    if (m[i] / p !== v[i] || !(Math.abs(m[i]) < MAX_MANTISSA)) return undefined;
  }
  return { k, m };
}

class VarintWriter {
  buf: Uint8Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  /** u: a non-negative safe integer. */
  uvarint(u: number): void {
    if (this.len + 10 > this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2 + 16);
      grown.set(this.buf);
      this.buf = grown;
    }
    while (u >= 0x80) {
      this.buf[this.len++] = (u % 0x80) | 0x80;
      u = Math.floor(u / 0x80);
    }
    this.buf[this.len++] = u;
  }
  varint(d: number): void {
    this.uvarint(d >= 0 ? d * 2 : -d * 2 - 1);
  }
}

class VarintReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  uvarint(): number {
    let u = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw corruptSeries('decimal chunk ends inside a varint');
      const b = this.buf[this.pos++];
      u += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) throw corruptSeries('decimal chunk varint too long');
    }
    return u;
  }
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw corruptSeries('decimal chunk ends early');
    return this.buf[this.pos++];
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Bytes the zigzag varint of d takes. */
function varintSize(d: number): number {
  let u = d >= 0 ? d * 2 : -d * 2 - 1;
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 0x80);
    n++;
  }
  return n;
}

/** Format 3 bytes for the points, or undefined when their values are not all exactly decimal. */
export function encodeDecimalChunk(t: ArrayLike<number>, v: ArrayLike<number>): Uint8Array | undefined {
  const n = t.length;
  if (n === 0 || n !== v.length) return undefined;
  const dec = mantissas(v);
  if (!dec) return undefined;
  const { k, m } = dec;
  // Gauges wander (delta is smaller), counters rise at a steady rate (delta-of-delta is smaller).
  let deltaBytes = 0;
  let dodBytes = 0;
  for (let i = 1; i < n; i++) {
    deltaBytes += varintSize(m[i] - m[i - 1]);
    if (i >= 2) dodBytes += varintSize(m[i] - 2 * m[i - 1] + m[i - 2]);
  }
  const useDod = n > 2 && dodBytes + varintSize(m[1] - m[0]) < deltaBytes;
  const w = new VarintWriter(n * 4 + 32);
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    if (!Number.isSafeInteger(ti) || ti < 0 || (i > 0 && ti <= t[i - 1])) return undefined;
    if (i === 0) w.uvarint(ti);
    else if (i === 1) w.uvarint(ti - t[0]);
    else w.varint(ti - 2 * t[i - 1] + t[i - 2]);
  }
  // Differences share a factor when values move in steps (bytes in 4 KiB pages, uptime in 10 s):
  // coding them divided by it saves the compressor from learning the zero bits.
  const diff = (i: number) => (useDod && i >= 2 ? m[i] - 2 * m[i - 1] + m[i - 2] : m[i] - m[i - 1]);
  let step = 0;
  for (let i = 1; i < n && step !== 1; i++) step = gcd(step, Math.abs(diff(i)));
  if (step === 0) step = 1;
  w.uvarint(useDod ? DOD + k : k);
  w.uvarint(step);
  w.varint(m[0]);
  for (let i = 1; i < n; i++) w.varint(diff(i) / step);
  const body = w.buf.subarray(0, w.len);

  let packed: Uint8Array = body;
  let compressor = Compressor.None;
  // Brotli at quality 5: as fast as deflate at level 9 here and 1-2 % smaller; quality 11 would save
  // another 14 % at 30 times the time (measured on the Telegraf-shaped set, 720-point chunks).
  // Below BROTLI_MIN_BODY bytes (a head of a few points, as a clean stop writes them by the hundred
  // thousand) Brotli's framing outweighs what it saves, and each call has a fixed cost: not tried.
  if (body.length >= BROTLI_MIN_BODY) {
    const brotli = brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length, [constants.BROTLI_PARAM_LGWIN]: 16 },
    });
    if (brotli.length < packed.length) [packed, compressor] = [brotli, Compressor.Brotli];
  }

  const head = new VarintWriter(12);
  head.buf[head.len++] = DECIMAL_CHUNK_FORMAT;
  head.uvarint(n);
  head.buf[head.len++] = compressor;
  const out = new Uint8Array(head.len + packed.length);
  out.set(head.buf.subarray(0, head.len));
  out.set(packed, head.len);
  return out;
}

export function decodeDecimalChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes[0] !== DECIMAL_CHUNK_FORMAT) throw corruptSeries(`not a decimal chunk (format byte ${bytes[0]})`);
  const head = new VarintReader(bytes);
  head.byte();
  const n = head.uvarint();
  const compressor = head.byte();
  if (n < 1 || n > 2 ** 20) throw corruptSeries(`decimal chunk claims ${n} points`);
  const packed = bytes.subarray(head.pos);
  let body: Uint8Array;
  try {
    if (compressor === Compressor.None) body = packed;
    else if (compressor === Compressor.Brotli) body = brotliDecompressSync(packed, { maxOutputLength: MAX_BODY });
    else throw corruptSeries(`decimal chunk names compressor ${compressor}`);
  } catch (err) {
    throw err instanceof Error && (err as { code?: string }).code === 'SERIES_DATA_CORRUPT'
      ? err
      : corruptSeries(`decimal chunk does not inflate: ${(err as Error).message}`);
  }
  const r = new VarintReader(body);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (i === 0) ts[0] = r.uvarint();
    else if (i === 1) ts[1] = ts[0] + r.uvarint();
    else ts[i] = 2 * ts[i - 1] - ts[i - 2] + r.varint();
    if (i > 0 && !(ts[i] > ts[i - 1])) throw corruptSeries('decimal chunk timestamps do not increase');
  }
  if (!Number.isSafeInteger(ts[n - 1])) throw corruptSeries('decimal chunk timestamp out of range');
  const code = r.byte();
  const k = code % DOD;
  if (code >= 2 * DOD || k > MAX_EXP) throw corruptSeries(`decimal chunk value code ${code}`);
  const useDod = code >= DOD;
  const step = r.uvarint();
  if (step < 1 || step >= MAX_MANTISSA * 4) throw corruptSeries(`decimal chunk step ${step}`);
  const p = POW10[k];
  let m = r.varint();
  let delta = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      const d = r.varint() * step;
      delta = useDod && i >= 2 ? delta + d : d;
      m += delta;
    }
    if (!(Math.abs(m) < MAX_MANTISSA)) throw corruptSeries('decimal chunk mantissa out of range');
    vs[i] = m / p;
  }
  if (!r.done) throw corruptSeries('decimal chunk has bytes after its last value');
  return { t: ts, v: vs };
}

/** The stored bytes of a raw chunk: the smaller of the decimal chunk (when the values allow) and the Gorilla chunk. */
export function encodeRawChunk(t: ArrayLike<number>, v: ArrayLike<number>): Uint8Array {
  const gorilla = new XorChunkEncoder(t.length);
  for (let i = 0; i < t.length; i++) gorilla.append(t[i], v[i]);
  const xor = gorilla.bytes();
  const decimal = encodeDecimalChunk(t, v);
  return decimal && decimal.length < xor.length ? decimal : xor;
}

/** Decodes a raw chunk of either format. Throws SERIES_DATA_CORRUPT on anything else. */
export function decodeRawChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes.length > 0 && bytes[0] === DECIMAL_CHUNK_FORMAT) return decodeDecimalChunk(bytes);
  if (bytes.length > 0 && bytes[0] === XOR_CHUNK_FORMAT) return decodeXorChunk(bytes);
  throw corruptSeries(`not a raw chunk (format byte ${bytes.length === 0 ? 'missing' : bytes[0]})`);
}
