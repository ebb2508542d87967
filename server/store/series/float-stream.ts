/**
 * Lossless float64 stream coding shared by xor-chunk (point values) and rollup (min/max/sum/last columns).
 *
 * Gorilla / Prometheus XOR coding alone spends ~50 bits on every change of a value like 23.4 -> 25.1,
 * because decimal fractions have long binary mantissas. Metrics are mostly short decimals, so a value may
 * instead be coded as the change of its decimal mantissa (the VictoriaMetrics lib/decimal idea): with
 * v ~ m / 10^k, send m - m_prev, plus the few-ulp gap to v when v is not exactly m / 10^k (float sums of
 * decimals, e.g. 0.1 + 0.2, land a few ulps off). The encoder takes whichever code is shortest per value;
 * every code is exact.
 *
 * Codes per value after the first (the first is its 64 raw bits):
 *   0                                  same bits as the previous value
 *   10   <delta>                       decimal: q = q_prev + unzigzag(u), m = q * 2^s, v = m / 10^k
 *   110  <sig bits>                    XOR with the previous value in the previous leading/trailing window
 *   1110 <5 leading><6 sig><sig bits>  XOR with a new window (sig 0 means 64), as Prometheus xor.go
 *   1111 <delta><gap>                  near-decimal: m as above, v = bits(m / 10^k) + unzigzag(g + 1)
 * <delta>, u = zigzag(q - q_prev):          0 +7 bits | 10 +12 | 110 +20 | 111 +6-bit length L, L bits
 *   or, in an adaptive stream (rollup columns, whose deltas are wider and vary less in width):
 *                                           0 +W bits | 10 +(W+3) bits | 11 +6-bit length L, L bits
 *   where W starts at 8 and follows the deltas' bit length L: W = L after an escape, W + 1 after a
 *   W+3 code, W - 1 after a delta of fewer than W - 2 bits (an hour's sum moves by 12-20 bits: the
 *   fixed code pays 23 for most of them, this about W + 1)
 * <gap>, g = zigzag(ulp distance) - 1:       0 +4 bits | 1 +14 bits
 * The ulp distance is the difference of the two doubles' bit patterns read as 64-bit integers.
 *
 * The decimal state (k, s, q_prev) is never sent. After the first value and after every XOR-coded value
 * both sides run `settle`: keep k if v fits at k, else take the smallest k in 0..15 where it fits, else the
 * decimal codes are off until a later value fits; then s = alignmentOf(m) (binary trailing zeros of m,
 * so byte counts in 4 KiB pages send page deltas) and q_prev = m / 2^s. v fits at k when, in IEEE double
 * arithmetic, m = round-half-up(v * 10^k) + 0 (no -0), |m| < 2^50, and the ulp distance from m / 10^k to
 * v is at most 8192. A decimal code is usable when v fits at the current k and 2^s divides m; it keeps k
 * and s and sets q_prev = m / 2^s. The |m| bound keeps every change and its zigzag below 2^52, inside the
 * safe-integer range.
 */
import { corruptSeries, type BitReader, type BitWriter } from './bitstream.js';

const MAX_EXP = 15;
const MAX_MANTISSA = 2 ** 50;
const MAX_GAP_ULPS = 8192;
const TWO_32 = 4294967296;
const POW10 = Array.from({ length: MAX_EXP + 1 }, (_, k) => 10 ** k);

// One scratch double viewed as two 32-bit halves; which half is high depends on the platform's byte order.
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

const POW2 = Array.from({ length: 25 }, (_, s) => 2 ** s);

// Outputs of `fitsAt`, module fields rather than a returned object so the per-value path allocates nothing.
let fitMantissa = 0;
let fitGap = 0;

/** Whether v (raw bits vh:vl) fits at exponent k (see header); sets fitMantissa and fitGap when it does. */
function fitsAt(vh: number, vl: number, v: number, k: number): boolean {
  const p = POW10[k];
  const m = Math.round(v * p) + 0;
  if (!(Math.abs(m) < MAX_MANTISSA)) return false;
  scratchF64[0] = m / p;
  const gap = (vh - scratchU32[HI]) * TWO_32 + (vl - scratchU32[LO]);
  if (gap > MAX_GAP_ULPS || gap < -MAX_GAP_ULPS) return false;
  fitMantissa = m;
  fitGap = gap;
  return true;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Binary alignment of a mantissa: its trailing zero bits rounded down to a multiple of 4, 0 below 8, at
 * most 24. Rounding and the floor of 8 keep a lucky extra zero in unaligned data from choosing a shift the
 * next value will not have.
 */
function alignmentOf(m: number): number {
  if (m === 0) return 0;
  const a = Math.abs(m);
  const lo = a >>> 0;
  const tz = lo !== 0 ? ctz32(lo) : 32 + ctz32(Math.floor(a / TWO_32));
  return tz < 8 ? 0 : Math.min(tz - (tz & 3), 24);
}

function zigzag(d: number): number {
  return d >= 0 ? d * 2 : -d * 2 - 1;
}

function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Bit length of a non-negative integer below 2^53. */
function bitLength(u: number): number {
  return u < TWO_32 ? 32 - Math.clz32(u) : 64 - Math.clz32(Math.floor(u / TWO_32));
}

function deltaCost(u: number): number {
  if (u < 0x80) return 8;
  if (u < 0x1000) return 14;
  if (u < 0x100000) return 23;
  return 9 + bitLength(u);
}

/** Extra bits of the adaptive code's second width (a delta a little wider than usual). */
const WIDER = 3;

/** Width of the adaptive delta code after a delta of bit length `len` was coded at width `width`. */
function nextWidth(width: number, len: number): number {
  if (len > width + WIDER) return len;
  if (len > width) return width + 1;
  return len < width - 2 ? width - 1 : width;
}

/** State both sides evolve identically; the decoder reproduces the encoder's decisions from values alone. */
class FloatStreamState {
  /** Adaptive stream: deltas use the adaptive code (see the header) instead of the fixed buckets. */
  constructor(protected readonly adaptive = false) {}
  /** Current width W of the adaptive delta code. */
  protected width = 8;
  protected started = false;
  protected prevHi = 0;
  protected prevLo = 0;
  /** XOR window from the last new-window code; leading < 0 means none yet. */
  protected leading = -1;
  protected trailing = 0;
  protected exp = 0;
  /** Binary shift: mantissas are coded divided by 2^shift (page-aligned byte counts lose 12 zero bits). */
  protected shift = 0;
  /** m_prev / 2^shift. */
  protected mant = 0;
  protected decimalOk = false;

  /** Re-derives the decimal state after a value that was not decimal-coded. */
  protected settle(vh: number, vl: number, v: number): void {
    if (!fitsAt(vh, vl, v, this.exp)) {
      let k = 0;
      while (k <= MAX_EXP && (k === this.exp || !fitsAt(vh, vl, v, k))) k++;
      if (k > MAX_EXP) {
        this.decimalOk = false;
        return;
      }
      this.exp = k;
    }
    this.shift = alignmentOf(fitMantissa);
    this.mant = fitMantissa / POW2[this.shift];
    this.decimalOk = true;
  }
}

/** Int32 and float64 slots an encoder's state takes in columns (`saveState`). */
export const FLOAT_STREAM_INTS = 8;
export const FLOAT_STREAM_FLOATS = 1;

/** Appends float64 values to a BitWriter; one instance per stream (per series column). */
export class FloatStreamEncoder extends FloatStreamState {
  /**
   * The state as numbers at ints[i..i+8) and floats[f] (series/pending-points.ts keeps the open heads'
   * states in columns rather than one object each); `loadState` continues from them.
   */
  saveState(ints: Int32Array, i: number, floats: Float64Array, f: number): void {
    ints[i] = this.width;
    ints[i + 1] = this.prevHi;
    ints[i + 2] = this.prevLo;
    ints[i + 3] = this.leading;
    ints[i + 4] = this.trailing;
    ints[i + 5] = this.exp;
    ints[i + 6] = this.shift;
    ints[i + 7] = (this.started ? 1 : 0) | (this.decimalOk ? 2 : 0);
    floats[f] = this.mant;
  }

  loadState(ints: Int32Array, i: number, floats: Float64Array, f: number): void {
    this.width = ints[i];
    this.prevHi = ints[i + 1];
    this.prevLo = ints[i + 2];
    this.leading = ints[i + 3];
    this.trailing = ints[i + 4];
    this.exp = ints[i + 5];
    this.shift = ints[i + 6];
    this.started = (ints[i + 7] & 1) !== 0;
    this.decimalOk = (ints[i + 7] & 2) !== 0;
    this.mant = floats[f];
  }

  write(w: BitWriter, v: number): void {
    scratchF64[0] = v;
    const hi = scratchU32[HI];
    const lo = scratchU32[LO];
    if (!this.started) {
      this.started = true;
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      // Kept as signed 32-bit (XOR is the same): small integers stay unboxed in the object, where
      // uint32 above 2^31 would each take a heap number (one encoder per open series, 10^5-10^6 of them).
      this.prevHi = hi | 0;
      this.prevLo = lo | 0;
      this.settle(hi, lo, v);
      return;
    }
    const xh = (hi ^ this.prevHi) >>> 0;
    const xl = (lo ^ this.prevLo) >>> 0;
    if (xh === 0 && xl === 0) {
      w.writeBits(0, 1);
      return;
    }
    this.prevHi = hi | 0;
    this.prevLo = lo | 0;

    let decimalCost = Infinity;
    let u = 0;
    let g = 0;
    let q = 0;
    if (this.decimalOk && fitsAt(hi, lo, v, this.exp) && fitMantissa % POW2[this.shift] === 0) {
      q = fitMantissa / POW2[this.shift];
      u = zigzag(q - this.mant);
      const cost = this.adaptive ? adaptiveCost(u, this.width) : deltaCost(u);
      if (fitGap === 0) decimalCost = 2 + cost;
      else {
        g = zigzag(fitGap) - 1;
        decimalCost = 4 + cost + (g < 16 ? 5 : 15);
      }
    }

    let lead = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trail = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (lead > 31) lead = 31; // 5-bit field, as xor.go
    const reuse = this.leading >= 0 && lead >= this.leading && trail >= this.trailing;
    const xorCost = reuse ? 3 + 64 - this.leading - this.trailing : 4 + 11 + 64 - lead - trail;

    if (decimalCost <= xorCost) {
      this.mant = q;
      if (fitGap === 0) {
        w.writeBits(0b10, 2);
        this.writeDelta(w, u);
      } else {
        w.writeBits(0b1111, 4);
        this.writeDelta(w, u);
        if (g < 16) w.writeBits(g, 5);
        else w.writeBits(0x4000 | g, 15);
      }
      return;
    }

    if (reuse) {
      w.writeBits(0b110, 3);
    } else {
      this.leading = lead;
      this.trailing = trail;
      w.writeBits(0b1110, 4);
      w.writeBits(lead, 5);
      w.writeBits((64 - lead - trail) & 63, 6); // 64 significant bits travel as 0
    }
    const t = this.trailing;
    const sig = 64 - this.leading - t;
    if (t === 0) w.writeBits64(xh, xl, sig);
    else if (t < 32) w.writeBits64(xh >>> t, (xl >>> t) | (xh << (32 - t)), sig);
    else w.writeBits64(0, xh >>> (t - 32), sig);
    this.settle(hi, lo, v);
  }

  private writeDelta(w: BitWriter, u: number): void {
    if (!this.adaptive) return writeDelta(w, u);
    const len = bitLength(u);
    if (len <= this.width) {
      w.writeBits(0, 1);
      w.writeBits64(Math.floor(u / TWO_32), u >>> 0, this.width);
    } else if (len <= this.width + WIDER) {
      w.writeBits(0b10, 2);
      w.writeBits64(Math.floor(u / TWO_32), u >>> 0, this.width + WIDER);
    } else {
      w.writeBits(0b11, 2);
      w.writeBits(len, 6);
      w.writeBits64(Math.floor(u / TWO_32), u >>> 0, len);
    }
    this.width = nextWidth(this.width, len);
  }
}

function adaptiveCost(u: number, width: number): number {
  const len = bitLength(u);
  return len <= width ? 1 + width : len <= width + WIDER ? 2 + width + WIDER : 8 + len;
}

function writeDelta(w: BitWriter, u: number): void {
  if (u < 0x80) {
    w.writeBits(u, 8); // leading 0 tag, then 7 bits
  } else if (u < 0x1000) {
    w.writeBits(0b10, 2);
    w.writeBits(u, 12);
  } else if (u < 0x100000) {
    w.writeBits(0b110, 3);
    w.writeBits(u, 20);
  } else {
    const len = bitLength(u);
    w.writeBits(0b111, 3);
    w.writeBits(len, 6);
    w.writeBits64(Math.floor(u / TWO_32), u >>> 0, len);
  }
}

/** Reads values written by FloatStreamEncoder; one instance per stream. */
export class FloatStreamDecoder extends FloatStreamState {
  private prev = 0;

  read(r: BitReader): number {
    if (!this.started) {
      this.started = true;
      this.prevHi = r.readBits(32);
      this.prevLo = r.readBits(32);
      return this.afterXor();
    }
    if (r.readBit() === 0) return this.prev;
    if (r.readBit() === 0) return this.readDecimal(r, false);
    let t: number;
    if (r.readBit() === 0) {
      if (this.leading < 0) throw corruptSeries('XOR window reused before one was set');
      t = this.trailing;
    } else if (r.readBit() === 0) {
      this.leading = r.readBits(5);
      let sig = r.readBits(6);
      if (sig === 0) sig = 64;
      if (this.leading + sig > 64) throw corruptSeries('impossible XOR window');
      this.trailing = t = 64 - this.leading - sig;
    } else {
      return this.readDecimal(r, true);
    }
    r.readBits64(64 - this.leading - t);
    let xh: number;
    let xl: number;
    if (t === 0) {
      xh = r.hi;
      xl = r.lo;
    } else if (t < 32) {
      xh = (r.hi << t) | (r.lo >>> (32 - t));
      xl = r.lo << t;
    } else {
      xh = r.lo << (t - 32);
      xl = 0;
    }
    this.prevHi = (this.prevHi ^ xh) >>> 0;
    this.prevLo = (this.prevLo ^ xl) >>> 0;
    return this.afterXor();
  }

  private afterXor(): number {
    scratchU32[HI] = this.prevHi;
    scratchU32[LO] = this.prevLo;
    const v = scratchF64[0];
    this.prev = v;
    this.settle(this.prevHi, this.prevLo, v);
    return v;
  }

  private readAdaptiveDelta(r: BitReader): number {
    let len = this.width;
    if (r.readBit() === 1) {
      if (r.readBit() === 0) len = this.width + WIDER;
      else {
        len = r.readBits(6);
        if (len <= this.width + WIDER || len > 53) throw corruptSeries('impossible delta length');
      }
    }
    r.readBits64(len);
    const u = r.hi * TWO_32 + r.lo;
    this.width = nextWidth(this.width, bitLength(u));
    return u;
  }

  private readDecimal(r: BitReader, near: boolean): number {
    if (!this.decimalOk) throw corruptSeries('decimal code without a decimal state');
    let u: number;
    if (this.adaptive) u = this.readAdaptiveDelta(r);
    else if (r.readBit() === 0) u = r.readBits(7);
    else if (r.readBit() === 0) u = r.readBits(12);
    else if (r.readBit() === 0) u = r.readBits(20);
    else {
      r.readBits64(r.readBits(6));
      u = r.hi * TWO_32 + r.lo;
    }
    const q = this.mant + unzigzag(u);
    this.mant = q;
    scratchF64[0] = (q * POW2[this.shift]) / POW10[this.exp];
    if (near) {
      const g = r.readBit() === 0 ? r.readBits(4) : r.readBits(14);
      const low = scratchU32[LO] + unzigzag(g + 1);
      const carry = Math.floor(low / TWO_32);
      scratchU32[LO] = low - carry * TWO_32;
      scratchU32[HI] = scratchU32[HI] + carry;
    }
    this.prevHi = scratchU32[HI];
    this.prevLo = scratchU32[LO];
    const v = scratchF64[0];
    this.prev = v;
    return v;
  }
}
