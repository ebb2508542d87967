import { afterAll, describe, expect, it } from 'vitest';
import {
  HOUR_MS,
  MINUTE_MS,
  type RollupBucket,
  addPoint,
  bucketStart,
  decodeBuckets,
  emptyBucket,
  encodeBuckets,
  mergeBuckets,
  rollBuckets,
  rollPoints,
} from './rollup.js';
import { DAY_OF_10S, SAMPLE_START_MS, bytesCounter, constant, cpuPercent, memoryBytes, regularTimes, seededRandom } from './sample-series.js';

/** Buckets compared field by field with Object.is, so -0 and NaN count. */
function expectSameBuckets(got: readonly RollupBucket[], want: readonly RollupBucket[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    for (const k of ['start', 'min', 'max', 'sum', 'count', 'last', 'lastT'] as const) {
      if (!Object.is(got[i][k], want[i][k])) throw new Error(`bucket ${i} ${k}: got ${got[i][k]}, want ${want[i][k]}`);
    }
  }
}

function bucketOf(start: number, points: Array<[number, number]>): RollupBucket {
  const b = emptyBucket(start);
  for (const [t, v] of points) addPoint(b, t, v);
  return b;
}

describe('bucketStart', () => {
  it('floors to a multiple of the width, exactly, over the whole range', () => {
    expect(bucketStart(SAMPLE_START_MS + 59_999, MINUTE_MS)).toBe(SAMPLE_START_MS);
    expect(bucketStart(SAMPLE_START_MS + 60_000, MINUTE_MS)).toBe(SAMPLE_START_MS + 60_000);
    expect(bucketStart(-1, MINUTE_MS)).toBe(-60_000);
    expect(bucketStart(-60_000, MINUTE_MS)).toBe(-60_000);
    const top = Math.floor(Number.MAX_SAFE_INTEGER / HOUR_MS) * HOUR_MS;
    expect(bucketStart(top - 1, HOUR_MS)).toBe(top - HOUR_MS);
    expect(bucketStart(Number.MAX_SAFE_INTEGER, HOUR_MS)).toBe(top);
  });
});

describe('addPoint / rollPoints', () => {
  it('keeps a single spike in a flat-0 day: max 100 at 1 min and 1 h, exact mean', () => {
    const t = regularTimes(DAY_OF_10S);
    const v = new Float64Array(DAY_OF_10S);
    const spikeAt = 4321;
    v[spikeAt] = 100;
    const minutes = rollPoints({ t, v }, MINUTE_MS);
    const hours = rollBuckets(minutes, HOUR_MS);
    expect(minutes.length).toBe(1440);
    expect(hours.length).toBe(24);
    const spikeHour = hours.find((h) => h.max > 0)!;
    expect(spikeHour).toMatchObject({ min: 0, max: 100, sum: 100, count: 360 });
    expect(spikeHour.start).toBe(bucketStart(t[spikeAt], HOUR_MS));
    expect(spikeHour.sum / spikeHour.count).toBe(100 / 360);
    expect(hours.filter((h) => h.max !== 0).length).toBe(1);
    // Stored and read back, a year later.
    expectSameBuckets(decodeBuckets(encodeBuckets(hours, HOUR_MS)).buckets, hours);
    // Direct 1 h rollup agrees with 1 min -> 1 h.
    expectSameBuckets(rollPoints({ t, v }, HOUR_MS), hours);
  });

  it('keeps a one-second spike in 1 s data', () => {
    const n = 3600;
    const t = regularTimes(n, 1000);
    const v = new Float64Array(n).fill(3);
    v[1800] = 99.5;
    const [hour] = rollBuckets(rollPoints({ t, v }, MINUTE_MS), HOUR_MS);
    expect(hour).toMatchObject({ min: 3, max: 99.5, count: 3600, sum: 3 * 3599 + 99.5, last: 3, lastT: t[n - 1] });
  });

  it('takes min, max, sum, count and the latest point as last, whatever the arrival order', () => {
    const b = bucketOf(0, [
      [30, 5],
      [10, -2],
      [50, 7],
      [20, 9],
    ]);
    expect(b).toEqual({ start: 0, min: -2, max: 9, sum: 19, count: 4, last: 7, lastT: 50 });
  });

  it('gives the same bucket for any arrival order, ties on t and -0 included', () => {
    const rnd = seededRandom(17);
    for (let round = 0; round < 500; round++) {
      const pts: Array<[number, number]> = [];
      for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n; i++) {
        pts.push([Math.floor(rnd() * 4), [0, -0, 1, -1, 2.5, Math.floor(rnd() * 100)][Math.floor(rnd() * 6)]]);
      }
      const ref = bucketOf(0, pts);
      for (let k = 0; k < 5; k++) {
        const shuffled = pts
          .map((p) => [rnd(), p] as const)
          .sort((a, b) => a[0] - b[0])
          .map(([, p]) => p);
        expectSameBuckets([bucketOf(0, shuffled)], [ref]);
      }
    }
  });

  it('skips NaN and drops buckets that held only NaN', () => {
    const t = [0, 10_000, 60_000, 70_000, 120_000];
    const v = [1, NaN, NaN, NaN, 4];
    const buckets = rollPoints({ t, v }, MINUTE_MS);
    expect(buckets.map((b) => [b.start, b.count, b.sum])).toEqual([
      [0, 1, 1],
      [120_000, 1, 4],
    ]);
  });

  it('keeps -0 and infinities exact', () => {
    expect(Object.is(bucketOf(0, [[1, -0]]).sum, -0)).toBe(true);
    expect(
      Object.is(
        bucketOf(0, [
          [1, 0],
          [2, -0],
        ]).min,
        -0,
      ),
    ).toBe(true);
    expect(
      Object.is(
        bucketOf(0, [
          [1, -0],
          [2, 0],
        ]).max,
        0,
      ),
    ).toBe(true);
    expect(
      bucketOf(0, [
        [1, Infinity],
        [2, 1],
      ]),
    ).toMatchObject({ max: Infinity, min: 1, sum: Infinity });
  });

  it('rejects unsorted points', () => {
    expect(() => rollPoints({ t: [2000, 1000], v: [1, 2] }, MINUTE_MS)).toThrow(expect.objectContaining({ code: 'SERIES_BAD_BUCKET' }));
  });
});

describe('mergeBuckets', () => {
  const rnd = seededRandom(7);
  const start = SAMPLE_START_MS;
  function randomPart(integers: boolean): RollupBucket {
    const n = Math.floor(rnd() * 6);
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const t = start + Math.floor(rnd() * 20); // few distinct times: ties on lastT happen
      const v = integers ? Math.floor((rnd() - 0.5) * 1000) : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 10);
      pts.push([t, rnd() < 0.05 ? -0 : v]);
    }
    return bucketOf(start, pts);
  }

  it('is associative and order-independent, and equals rolling the union (integer values: exact sums)', () => {
    for (let round = 0; round < 3000; round++) {
      const parts = [randomPart(true), randomPart(true), randomPart(true)];
      const [a, b, c] = parts;
      const ref = mergeBuckets(mergeBuckets(a, b), c);
      for (const [x, y, z] of [
        [a, b, c],
        [a, c, b],
        [b, a, c],
        [b, c, a],
        [c, a, b],
        [c, b, a],
      ]) {
        expectSameBuckets([mergeBuckets(x, mergeBuckets(y, z))], [ref]);
        expectSameBuckets([mergeBuckets(mergeBuckets(x, y), z)], [ref]);
      }
      expect(a).toEqual(parts[0]); // inputs untouched
    }
  });

  it('with arbitrary floats: exact except the rounding of sum', () => {
    for (let round = 0; round < 3000; round++) {
      const [a, b, c] = [randomPart(false), randomPart(false), randomPart(false)];
      const left = mergeBuckets(mergeBuckets(a, b), c);
      const right = mergeBuckets(a, mergeBuckets(c, b));
      const { sum: ls, ...l } = left;
      const { sum: rs, ...r } = right;
      expect(l).toEqual(r);
      const scale = Math.abs(a.sum) + Math.abs(b.sum) + Math.abs(c.sum);
      expect(Math.abs(ls - rs)).toBeLessThanOrEqual(1e-12 * scale);
    }
  });

  it('rejects buckets of different starts', () => {
    expect(() => mergeBuckets(emptyBucket(0), emptyBucket(60_000))).toThrow(expect.objectContaining({ code: 'SERIES_BAD_BUCKET' }));
  });
});

describe('rollBuckets', () => {
  it('1 min -> 1 h equals rolling the points at 1 h (integer data, exact sums)', () => {
    const t = regularTimes(DAY_OF_10S, 10_000, 500, seededRandom(3));
    const v = memoryBytes(DAY_OF_10S);
    expectSameBuckets(rollBuckets(rollPoints({ t, v }, MINUTE_MS), HOUR_MS), rollPoints({ t, v }, HOUR_MS));
  });

  it('1 min -> 1 h on decimals: exact min, max, count, last; sum to rounding', () => {
    const t = regularTimes(DAY_OF_10S);
    const v = cpuPercent(DAY_OF_10S);
    const viaMinutes = rollBuckets(rollPoints({ t, v }, MINUTE_MS), HOUR_MS);
    const direct = rollPoints({ t, v }, HOUR_MS);
    for (let i = 0; i < direct.length; i++) {
      expect({ ...viaMinutes[i], sum: 0 }).toEqual({ ...direct[i], sum: 0 });
      expect(viaMinutes[i].sum).toBeCloseTo(direct[i].sum, 6);
    }
  });

  it('rejects a coarse width that source buckets straddle', () => {
    const minutes = rollPoints({ t: [0, 50_000, 60_000, 110_000], v: [1, 2, 3, 4] }, MINUTE_MS);
    expect(() => rollBuckets(minutes, 90_000)).toThrow(expect.objectContaining({ code: 'SERIES_BAD_BUCKET' }));
  });
});

describe('encodeBuckets / decodeBuckets', () => {
  it('round-trips empty runs, single buckets, count-1 and empty buckets', () => {
    expect(decodeBuckets(encodeBuckets([], MINUTE_MS))).toEqual({ widthMs: MINUTE_MS, buckets: [] });
    const runs: RollupBucket[][] = [
      [bucketOf(0, [[5, 1.5]])],
      [
        bucketOf(60_000, [[60_001, -0]]),
        emptyBucket(120_000),
        bucketOf(600_000, [
          [659_999, NaN],
          [600_000, 2],
        ]),
      ],
      [
        bucketOf(SAMPLE_START_MS, [
          [SAMPLE_START_MS + 1, Infinity],
          [SAMPLE_START_MS + 2, -Infinity],
        ]),
      ],
    ];
    for (const run of runs) {
      const out = decodeBuckets(encodeBuckets(run, MINUTE_MS));
      expect(out.widthMs).toBe(MINUTE_MS);
      expectSameBuckets(out.buckets, run);
    }
  });

  it('round-trips thousands of random runs (gaps, varying counts, jittered lastT, special values)', () => {
    const rnd = seededRandom(5150);
    const specials = [NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 0.1 + 0.2];
    for (let round = 0; round < 2000; round++) {
      const width = [1000, MINUTE_MS, HOUR_MS][Math.floor(rnd() * 3)];
      const n = Math.floor(rnd() * 80);
      const run: RollupBucket[] = [];
      let start = bucketStart(Math.floor(rnd() * 2 ** 42), width);
      for (let i = 0; i < n; i++) {
        start += width * (rnd() < 0.8 ? 1 : 2 + Math.floor(rnd() ** 3 * 1e6));
        const points = Math.floor(rnd() * 8);
        const pts: Array<[number, number]> = [];
        for (let j = 0; j < points; j++) {
          const t = start + Math.floor(rnd() * width);
          const v = rnd() < 0.05 ? specials[Math.floor(rnd() * specials.length)] : Math.round(rnd() * 1e4) / 10 ** Math.floor(rnd() * 4);
          pts.push([t, v]);
        }
        run.push(bucketOf(start, pts));
      }
      const out = decodeBuckets(encodeBuckets(run, width));
      expect(out.widthMs).toBe(width);
      expectSameBuckets(out.buckets, run);
    }
  });

  it('round-trips values whose deltas jump between 0 and 50 bits (every width of the adaptive delta code)', () => {
    const rnd = seededRandom(4242);
    for (let round = 0; round < 300; round++) {
      const exp = Math.floor(rnd() * 4);
      const run: RollupBucket[] = [];
      let level = 0;
      for (let i = 0; i < 200; i++) {
        // Runs of steady widths, then a jump to another: the code's width must follow both ways.
        if (rnd() < 0.1) level = Math.floor(rnd() * 50);
        const pts: Array<[number, number]> = [];
        for (let j = 0; j < 1 + Math.floor(rnd() * 4); j++) {
          const m = Math.floor(rnd() * 2 ** level) * (rnd() < 0.5 ? -1 : 1);
          pts.push([i * HOUR_MS + j, m / 10 ** exp]);
        }
        run.push(bucketOf(i * HOUR_MS, pts));
      }
      expectSameBuckets(decodeBuckets(encodeBuckets(run, HOUR_MS)).buckets, run);
    }
  });

  it('still reads format 2 (fixed delta code), written before the adaptive one', () => {
    // encodeBuckets output of format 2 for 20 minutes of cpuPercent with a 100.25 spike (the fixture's source below).
    const format2 = Buffer.from(
      'AhTg1APg6dINBtCGA0A1GZmZmZmaQDuZmZmZmZpAYoZmZmZmZoRnDPw/oNAMuZmZmZmZhIEWfFOA5+EDR3QbPC4iiLKDg5EEcShQ1HHwiyGqDMCKI2oKDhwQTCvjgQjyJKEY5KE7qGXhINBY0Ub0F6JJkf4dEHMYk6hxKRS6HSFCAQfSJHJ4hyC/gvBcFib+Xr+czMzMzM3l6+m///////5jEl2Ax4bAeIvFIgSiB6nr4hEY0GPUpfJ4',
      'base64',
    );
    const t = regularTimes(120);
    const v = cpuPercent(t.length);
    v[100] = 100.25;
    const want = rollPoints({ t, v }, MINUTE_MS);
    expect(format2[0]).toBe(2);
    expectSameBuckets(decodeBuckets(format2).buckets, want);
    expect(encodeBuckets(want, MINUTE_MS)[0]).toBe(3);
  });

  it('rejects buckets it cannot store faithfully', () => {
    const bad = expect.objectContaining({ code: 'SERIES_BAD_BUCKET' });
    expect(() => encodeBuckets([bucketOf(1, [[1, 1]])], MINUTE_MS)).toThrow(bad); // misaligned start
    expect(() => encodeBuckets([{ ...bucketOf(0, [[1, 1]]), lastT: 60_000 }], MINUTE_MS)).toThrow(bad);
    expect(() => encodeBuckets([{ ...bucketOf(0, [[1, 1]]), max: 2 }], MINUTE_MS)).toThrow(bad);
    expect(() => encodeBuckets([bucketOf(60_000, [[60_001, 1]]), bucketOf(0, [[1, 1]])], MINUTE_MS)).toThrow(bad);
    expect(() => encodeBuckets([], 0)).toThrow(bad);
  });

  it('throws SERIES_DATA_CORRUPT on foreign or truncated bytes', () => {
    const t = regularTimes(DAY_OF_10S);
    const bytes = encodeBuckets(rollPoints({ t, v: cpuPercent(DAY_OF_10S) }, MINUTE_MS), MINUTE_MS);
    const corrupt = expect.objectContaining({ code: 'SERIES_DATA_CORRUPT' });
    expect(() => decodeBuckets(bytes.subarray(0, bytes.length >> 1))).toThrow(corrupt);
    expect(() => decodeBuckets(Uint8Array.of(0x01, 0))).toThrow(corrupt);
    expect(() => decodeBuckets(new Uint8Array(0))).toThrow(corrupt);
  });

  describe('bytes per bucket, one day of 10 s data', () => {
    const n = DAY_OF_10S;
    const t = regularTimes(n);
    // Bounds: figures measured when this was written plus ~15% margin.
    const cases: Array<[string, Float64Array, number, number]> = [
      ['constant', constant(n), 1.1, 3.0],
      ['cpu % (1 decimal)', cpuPercent(n), 6.9, 11.2],
      ['memory bytes (4 KiB pages)', memoryBytes(n), 7.2, 15.8],
      ['byte counter (noisy rate)', bytesCounter(n), 15.0, 19.7],
    ];
    const rows: Record<string, { '1 min B/bucket': string; '1 h B/bucket': string }> = {};
    for (const [name, v, minuteBound, hourBound] of cases) {
      it(`${name}: 1 min <= ${minuteBound}, 1 h <= ${hourBound} B/bucket`, () => {
        const minutes = rollPoints({ t, v }, MINUTE_MS);
        const hours = rollBuckets(minutes, HOUR_MS);
        const m = encodeBuckets(minutes, MINUTE_MS);
        const h = encodeBuckets(hours, HOUR_MS);
        expectSameBuckets(decodeBuckets(m).buckets, minutes);
        expectSameBuckets(decodeBuckets(h).buckets, hours);
        const perMinute = m.length / minutes.length;
        const perHour = h.length / hours.length;
        rows[name] = { '1 min B/bucket': perMinute.toFixed(2), '1 h B/bucket': perHour.toFixed(2) };
        expect(perMinute).toBeLessThanOrEqual(minuteBound);
        expect(perHour).toBeLessThanOrEqual(hourBound);
      });
    }
    // The table is a by-product of the bounded cases above, not a test of its own.
    afterAll(() => console.table(rows));
  });
});
