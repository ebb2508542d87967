import { afterAll, describe, expect, it } from 'vitest';
import { XorChunkEncoder, decodeXorChunk, xorChunkCount } from './xor-chunk.js';
import { DAY_OF_10S, bytesCounter, constant, cpuPercent, memoryBytes, rawRatio, regularTimes, seededRandom } from './sample-series.js';

/** Float64 whose raw bits are hi:lo (NaN payloads included). */
function fromBits(hi: number, lo: number): number {
  const u = new Uint32Array(2);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  u[little ? 1 : 0] = hi;
  u[little ? 0 : 1] = lo;
  return new Float64Array(u.buffer)[0];
}

function encode(t: ArrayLike<number>, v: ArrayLike<number>): Uint8Array {
  const enc = new XorChunkEncoder();
  for (let i = 0; i < t.length; i++) enc.append(t[i], v[i]);
  expect(enc.count).toBe(t.length);
  return enc.bytes();
}

/** Asserts the decoded chunk equals the input exactly: timestamps by value, values bit for bit. */
function expectRoundTrip(t: ArrayLike<number>, v: ArrayLike<number>): Uint8Array {
  const bytes = encode(t, v);
  const out = decodeXorChunk(bytes);
  expect(out.t.length).toBe(t.length);
  const want = new Uint32Array(Float64Array.from(v).buffer);
  const got = new Uint32Array(out.v.buffer);
  for (let i = 0; i < t.length; i++) {
    if (out.t[i] !== t[i] || want[2 * i] !== got[2 * i] || want[2 * i + 1] !== got[2 * i + 1]) {
      throw new Error(`point ${i}: wrote (${t[i]}, ${v[i]}) read (${out.t[i]}, ${out.v[i]})`);
    }
  }
  return bytes;
}

const SPECIALS = [
  0,
  -0,
  NaN,
  fromBits(0x7ff00000, 1), // signalling NaN with a payload
  fromBits(0xfff80000, 0xdeadbeef), // negative quiet NaN with a payload
  Infinity,
  -Infinity,
  Number.MIN_VALUE, // smallest denormal
  -Number.MIN_VALUE,
  2.2250738585072009e-308, // largest denormal
  2.2250738585072014e-308, // smallest normal
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e300,
  1e-300,
  -1e-300,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  0.1 + 0.2,
  0.1,
  23.4,
  -23.4,
  1 / 3,
  Math.PI,
  4096 * 1_572_864,
];

describe('XorChunkEncoder / decodeXorChunk', () => {
  it('round-trips an empty chunk and a single point', () => {
    const empty = new XorChunkEncoder().bytes();
    expect(xorChunkCount(empty)).toBe(0);
    expect(decodeXorChunk(empty).t.length).toBe(0);
    expectRoundTrip([1_717_200_000_000], [42.5]);
    expectRoundTrip([0], [NaN]);
  });

  it('round-trips special values bit for bit, in every order', () => {
    const rnd = seededRandom(21);
    for (let round = 0; round < 200; round++) {
      const v = SPECIALS.map(() => SPECIALS[Math.floor(rnd() * SPECIALS.length)]);
      expectRoundTrip(regularTimes(v.length), v);
    }
    expectRoundTrip(regularTimes(SPECIALS.length), SPECIALS);
  });

  it('round-trips each special value after runs of decimals (decimal state to XOR and back)', () => {
    for (const s of SPECIALS) {
      const v = [12.3, 12.4, 12.5, s, 12.6, 12.6, s, s, 12.7, 0.5, s];
      expectRoundTrip(regularTimes(v.length), v);
    }
  });

  it('round-trips every delta-of-delta bucket edge, gaps of days, and the timestamp range ends', () => {
    const deltas = [
      10_000,
      10_000,
      1,
      8193,
      1,
      -8190 + 8192,
      16_385,
      1,
      65_537,
      1,
      131_073,
      1,
      524_289,
      1,
      1_048_577,
      1,
      86_400_000 * 3,
      1,
      86_400_000 * 400,
      1,
      10_000,
    ];
    const t = [1_700_000_000_000];
    for (const d of deltas) t.push(t[t.length - 1] + d);
    expectRoundTrip(
      t,
      t.map((_, i) => i),
    );

    // dod exactly at each bucket's limits: +2^(n-1) and -(2^(n-1) - 1), and one past.
    for (const bits of [14, 17, 20]) {
      const half = 2 ** (bits - 1);
      for (const dod of [half, half + 1, -(half - 1), -half]) {
        const base = 2 ** 21;
        const ts = [0, base, 2 * base, 3 * base + dod, 4 * base + dod + dod];
        expectRoundTrip(ts, [1, 2, 3, 4, 5]);
      }
    }
    expectRoundTrip([0, 1, 2, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER], [1, 2, 3, 4, 5]);
    expectRoundTrip([5, Number.MAX_SAFE_INTEGER - 5, Number.MAX_SAFE_INTEGER], [1, 2, 3]);
  });

  it('rejects equal, decreasing and invalid timestamps with stable codes, and stays usable', () => {
    const enc = new XorChunkEncoder();
    enc.append(1000, 1);
    enc.append(2000, 2);
    expect(() => enc.append(2000, 3)).toThrow(expect.objectContaining({ code: 'SERIES_OUT_OF_ORDER', kind: 'invalid' }));
    expect(() => enc.append(1500, 3)).toThrow(expect.objectContaining({ code: 'SERIES_OUT_OF_ORDER' }));
    for (const bad of [NaN, 2500.5, -1, Infinity, 2 ** 53]) {
      expect(() => enc.append(bad, 3)).toThrow(expect.objectContaining({ code: 'SERIES_BAD_TIMESTAMP' }));
    }
    enc.append(3000, 3);
    expect(enc.count).toBe(3);
    expect([enc.firstT, enc.lastT]).toEqual([1000, 3000]);
    const out = decodeXorChunk(enc.bytes());
    expect([...out.t]).toEqual([1000, 2000, 3000]);
    expect([...out.v]).toEqual([1, 2, 3]);
  });

  it('keeps appending after bytes(); every snapshot decodes', () => {
    const enc = new XorChunkEncoder(2);
    const t = regularTimes(500);
    const v = cpuPercent(500);
    for (let i = 0; i < 500; i++) {
      enc.append(t[i], v[i]);
      if (i % 37 === 0) {
        const snap = decodeXorChunk(enc.bytes());
        expect(snap.t.length).toBe(i + 1);
        expect(snap.v[i]).toBe(v[i]);
      }
    }
    expectRoundTrip(t, v);
  });

  it('round-trips thousands of random series (seeded)', () => {
    const rnd = seededRandom(1234);
    for (let s = 0; s < 3000; s++) {
      const n = Math.floor(rnd() ** 2 * 400);
      const t = randomTimes(rnd, n);
      const v = randomValues(rnd, n);
      expectRoundTrip(t, v);
    }
  });

  it('throws SERIES_DATA_CORRUPT on foreign, truncated or garbage bytes, never anything else', () => {
    const bytes = expectRoundTrip(regularTimes(1000), cpuPercent(1000));
    const corrupt = expect.objectContaining({ code: 'SERIES_DATA_CORRUPT' });
    expect(() => decodeXorChunk(new Uint8Array(0))).toThrow(corrupt);
    expect(() => decodeXorChunk(Uint8Array.of(0x02, 0))).toThrow(corrupt);
    expect(() => decodeXorChunk(bytes.subarray(0, bytes.length >> 1))).toThrow(corrupt);
    expect(() => decodeXorChunk(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0x7f))).toThrow(corrupt);

    const rnd = seededRandom(99);
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + Math.floor(rnd() * 64)).map(() => Math.floor(rnd() * 256));
      junk[0] = 0x01;
      try {
        decodeXorChunk(junk);
      } catch (err) {
        expect(err).toMatchObject({ code: 'SERIES_DATA_CORRUPT' });
      }
    }
  });
});

describe('bytes per point, 8640 points of 10 s data (one day)', () => {
  const n = DAY_OF_10S;
  // Bounds are the figures measured when this was written plus ~15% margin; see the printed table.
  const cases: Array<[string, Float64Array, number, number]> = [
    // name, values, bound on regular timestamps, bound with 0..20 ms timestamp jitter
    ['constant', constant(n), 0.3, 2.3],
    ['cpu % (1 decimal)', cpuPercent(n), 1.6, 3.6],
    ['memory bytes (4 KiB pages)', memoryBytes(n), 1.1, 3.2],
    ['byte counter (noisy rate)', bytesCounter(n), 5.4, 7.5],
    ['raw ratio (full-precision floats)', rawRatio(n), 7.0, 9.1],
  ];
  const regular = regularTimes(n);
  const jittered = regularTimes(n, 10_000, 20);
  const rows: Record<string, { 'B/pt': string; 'B/pt, 20 ms jitter': string }> = {};

  for (const [name, v, bound, jitterBound] of cases) {
    it(`${name}: <= ${bound} B/pt`, () => {
      const a = expectRoundTrip(regular, v).length / n;
      const b = expectRoundTrip(jittered, v).length / n;
      rows[name] = { 'B/pt': a.toFixed(3), 'B/pt, 20 ms jitter': b.toFixed(3) };
      expect(a).toBeLessThanOrEqual(bound);
      expect(b).toBeLessThanOrEqual(jitterBound);
    });
  }

  // The table is a by-product of the bounded cases above, not a test of its own.
  afterAll(() => console.table(rows));
});

/** Timestamps from a random mixture: regular, jittered, irregular, huge gaps. */
function randomTimes(rnd: () => number, n: number): number[] {
  const t: number[] = [];
  let now = Math.floor(rnd() * 2 ** 41);
  const step = [1, 1000, 10_000, 60_000, 1 + Math.floor(rnd() * 1e6)][Math.floor(rnd() * 5)];
  const style = Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    t.push(now);
    let d = step;
    if (style === 1) d += Math.floor(rnd() * 50);
    else if (style === 2) d = 1 + Math.floor(rnd() ** 4 * 2 ** (1 + Math.floor(rnd() * 40)));
    else if (style === 3 && rnd() < 0.05) d = Math.floor(rnd() * 86_400_000 * 30) + 1;
    now += d;
  }
  return t;
}

/** Values from a random mixture, per series and per point, to stress the decimal and XOR paths together. */
function randomValues(rnd: () => number, n: number): Float64Array {
  const v = new Float64Array(n);
  const bits = new Uint32Array(v.buffer);
  const k = Math.floor(rnd() * 8);
  const scale = 10 ** k;
  const purity = rnd(); // how often the series keeps to its own style
  const style = Math.floor(rnd() * 6);
  let walk = Math.round((rnd() - 0.5) * 1e6);
  for (let i = 0; i < n; i++) {
    const pick = rnd() < purity ? style : Math.floor(rnd() * 9);
    switch (pick) {
      case 0: // decimal random walk at exponent k
        walk += Math.round((rnd() - 0.5) * 200);
        v[i] = walk / scale;
        break;
      case 1: // repeat
        v[i] = i > 0 ? v[i - 1] : 1;
        break;
      case 2: // page-aligned bytes
        v[i] = Math.floor(rnd() * 4e6) * 4096;
        break;
      case 3: // float sums of decimals: a few ulps off a decimal
        v[i] = Math.round(rnd() * 1e4) / 10 + Math.round(rnd() * 1e4) / 100 + 0.1;
        break;
      case 4: // large integers of either sign
        v[i] = (rnd() < 0.5 ? -1 : 1) * Math.floor(rnd() * 2 ** 53);
        break;
      case 5: // tiny and huge decimals
        v[i] = (Math.round(rnd() * 1e5) / 1e5) * 10 ** Math.floor(rnd() * 40 - 20);
        break;
      case 6: // random bit patterns: NaN payloads, infinities, denormals
        bits[2 * i] = Math.floor(rnd() * 2 ** 32);
        bits[2 * i + 1] = Math.floor(rnd() * 2 ** 32);
        break;
      case 7:
        v[i] = SPECIALS[Math.floor(rnd() * SPECIALS.length)];
        break;
      default: // full-precision ratio
        v[i] = rnd();
    }
  }
  return v;
}
