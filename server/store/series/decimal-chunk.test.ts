import { afterAll, describe, expect, it } from 'vitest';
import { DECIMAL_CHUNK_FORMAT, decimalExponent, decodeRawChunk, encodeDecimalChunk, encodeRawChunk } from './decimal-chunk.js';
import { XOR_CHUNK_FORMAT, XorChunkEncoder } from './xor-chunk.js';
import { regularTimes, seededRandom } from './sample-series.js';
import { telegrafSet } from './telegraf-set.js';
import { parseLineProtocol } from '../../ingest/line-protocol.js';

/** Asserts the stored chunk reads back exactly: timestamps by value, values bit for bit. */
function expectRoundTrip(t: ArrayLike<number>, v: ArrayLike<number>): Uint8Array {
  const bytes = encodeRawChunk(t, v);
  const out = decodeRawChunk(bytes);
  expect(out.t.length).toBe(t.length);
  const want = new BigUint64Array(Float64Array.from(v).buffer);
  const got = new BigUint64Array(Float64Array.from(out.v).buffer);
  for (let i = 0; i < t.length; i++) {
    if (out.t[i] !== t[i] || want[i] !== got[i]) throw new Error(`point ${i}: wrote (${t[i]}, ${v[i]}) read (${out.t[i]}, ${out.v[i]})`);
  }
  return bytes;
}

const figures: Record<string, number> = {};
afterAll(() => console.table(figures));

describe('decimal chunk (format 3)', () => {
  it('takes a value as decimal only when m / 10^k gives back its bits', () => {
    expect(decimalExponent(23.45)).toBe(2);
    expect(decimalExponent(0)).toBe(0);
    expect(decimalExponent(17179869184)).toBe(0);
    expect(decimalExponent(-0.001)).toBe(3);
    expect(decimalExponent(-0)).toBe(-1); // an integer mantissa has no sign for zero
    expect(decimalExponent(0.1 + 0.2)).toBe(-1); // 0.30000000000000004 needs 17 digits
    expect(decimalExponent(1e308)).toBe(-1);
    expect(decimalExponent(5e-324)).toBe(-1);
    expect(decimalExponent(2 ** 49)).toBe(-1); // past the mantissa bound
    expect(decimalExponent(1 / 3)).toBe(-1);
  });

  it('round-trips short decimals through the decimal code, and is much smaller than Gorilla on them', () => {
    const rnd = seededRandom(7);
    const t = regularTimes(720);
    const v = Array.from({ length: 720 }, () => Math.round(rnd() * 10000) / 100);
    const bytes = expectRoundTrip(t, v);
    expect(bytes[0]).toBe(DECIMAL_CHUNK_FORMAT);
    // Mixed exponents in one chunk: 3, 3.5, 3.25, 3.125 are coded at k = 3.
    expect(expectRoundTrip([1, 2, 3, 4], [3, 3.5, 3.25, 3.125])[0]).toBe(DECIMAL_CHUNK_FORMAT);
    // Counters coded as delta-of-delta, integers in 4 KiB steps, negative mantissas, one point.
    expectRoundTrip(
      regularTimes(500),
      Array.from({ length: 500 }, (_, i) => 1e12 + i * 123_456 + (i % 7)),
    );
    expectRoundTrip(
      regularTimes(500),
      Array.from({ length: 500 }, (_, i) => 4096 * Math.round(1e6 + 1000 * Math.sin(i))),
    );
    expectRoundTrip(
      regularTimes(300),
      Array.from({ length: 300 }, (_, i) => -1.5 * i),
    );
    expectRoundTrip([5], [42]);
    expectRoundTrip([0, 2 ** 53 - 1], [0.01, 0.02]);
  });

  it('keeps the Gorilla chunk when a value is not exactly decimal, so adversarial floats come back bit for bit', () => {
    const rnd = seededRandom(9);
    const adversarial = [-0, 5e-324, 2.2250738585072014e-308, 1e308, -1.7976931348623157e308, 0.1 + 0.2, Math.PI, 1 / 3, 2 ** 53, 123456789.12345679];
    for (const bad of adversarial) {
      const v = Array.from({ length: 100 }, (_, i) => (i === 50 ? bad : i / 4));
      expect(encodeDecimalChunk(regularTimes(100), v)).toBeUndefined();
      expect(expectRoundTrip(regularTimes(100), v)[0]).toBe(XOR_CHUNK_FORMAT);
    }
    // Random doubles of every exponent (finite: the protocol refuses the rest), and 15-17 digit decimals.
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    const random = Array.from({ length: 1000 }, () => {
      do {
        words[0] = (rnd() * 2 ** 32) >>> 0;
        words[1] = (rnd() * 2 ** 32) >>> 0;
      } while (!Number.isFinite(bits[0]));
      return bits[0];
    });
    expectRoundTrip(regularTimes(1000), random);
    expectRoundTrip(
      regularTimes(1000),
      Array.from({ length: 1000 }, () => Number((rnd() * 1000).toPrecision(15 + Math.floor(rnd() * 3)))),
    );
  });

  it('reads chunks stored before this format (format 1 bytes written by the Gorilla encoder)', () => {
    // XorChunkEncoder output for 23.45, 23.5, -0, 1e308, 5e-324, 0.1 + 0.2 every 10 s from 2024-06-01.
    const fixture = Buffer.from('010680a8e288fd314037733333333333904e829c04700dee077ffc399e70bd7915c1ffff0e679c2f5e450bcf02', 'hex');
    const out = decodeRawChunk(fixture);
    expect([...out.t]).toEqual([0, 1, 2, 3, 4, 5].map((i) => 1717200000000 + i * 10000));
    expect([...out.v].map((x) => (Object.is(x, -0) ? '-0' : x))).toEqual([23.45, 23.5, '-0', 1e308, 5e-324, 0.1 + 0.2]);
    // And the encoder still writes exactly those bytes: the fixture pins the old format.
    const enc = new XorChunkEncoder();
    out.t.forEach((t, i) => enc.append(t, out.v[i]));
    expect(Buffer.from(enc.bytes()).equals(fixture)).toBe(true);
  });

  it('refuses bytes that are not a chunk with SERIES_DATA_CORRUPT', () => {
    const good = encodeRawChunk(
      regularTimes(720),
      Array.from({ length: 720 }, (_, i) => (i * 7) % 100),
    );
    expect(good[0]).toBe(DECIMAL_CHUNK_FORMAT);
    const cases = [new Uint8Array(), Uint8Array.of(9, 1), good.subarray(0, good.length - 3), Uint8Array.from([...good.subarray(0, 3), 7, ...good.subarray(4)])];
    const flipped = Uint8Array.from(good);
    flipped[good.length - 2] ^= 0xff;
    cases.push(flipped);
    for (const bad of cases) expect(() => decodeRawChunk(bad)).toThrow(expect.objectContaining({ code: 'SERIES_DATA_CORRUPT' }));
  });

  it('stores the Telegraf-shaped set in under 0.8 B/point (Gorilla: about 1.16), every value exact', () => {
    const hosts = 4;
    const set = telegrafSet(hosts, 2, Date.UTC(2024, 5, 1));
    const bySeries = new Map<string, { t: number[]; v: number[] }>();
    for (let k = 0; k < set.steps; k++) {
      for (const p of parseLineProtocol(set.lines(k, 0, hosts), 0)) {
        const key = `${p.name}${JSON.stringify(p.labels)}`;
        let s = bySeries.get(key);
        if (!s) bySeries.set(key, (s = { t: [], v: [] }));
        s.t.push(p.t);
        s.v.push(p.v);
      }
    }
    let points = 0;
    let bytes = 0;
    let gorilla = 0;
    for (const s of bySeries.values()) {
      points += s.t.length;
      bytes += expectRoundTrip(s.t, s.v).length;
      const enc = new XorChunkEncoder();
      s.t.forEach((t, i) => enc.append(t, s.v[i]));
      gorilla += enc.bytes().length;
    }
    expect(points).toBe(set.points);
    figures['Telegraf-shaped set, 2 h chunks: B/point'] = +(bytes / points).toFixed(3);
    figures['the same, Gorilla chunks (format 1)'] = +(gorilla / points).toFixed(3);
    expect(bytes / points).toBeLessThan(0.8);
    expect(bytes).toBeLessThan(gorilla * 0.75);
  });
});
