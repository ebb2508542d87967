import { describe, expect, it } from 'vitest';
import { counterIncrease, rate, rollupIncrease, rollupRates } from './counter-rate.js';
import { MINUTE_MS, emptyBucket, rollPoints } from './rollup.js';
import { DAY_OF_10S, bytesCounter, regularTimes, seededRandom } from './sample-series.js';

const t = [0, 10_000, 20_000, 30_000, 40_000];

describe('rate', () => {
  it('is the slope of a steadily rising counter', () => {
    expect(rate({ t, v: [100, 150, 200, 250, 300] }, { from: 0, to: 40_000 })).toBe(5);
  });

  it('counts a drop as a restart from 0', () => {
    // 100 -> 200 -> 300, restart, 50 -> 150: increase 100 + 100 + 50 + 100 = 350 over 40 s.
    const points = { t, v: [100, 200, 300, 50, 150] };
    expect(counterIncrease(points, { from: 0, to: 40_000 })).toEqual({ increase: 350, fromT: 0, toT: 40_000 });
    expect(rate(points, { from: 0, to: 40_000 })).toBe(8.75);
  });

  it('takes its baseline from the last sample at or before `from`, so adjacent windows add up', () => {
    const n = 2000;
    const rnd = seededRandom(8);
    const ts = regularTimes(n, 10_000, 3000, rnd);
    const vs = new Float64Array(n);
    let c = 0;
    for (let i = 0; i < n; i++) {
      c = rnd() < 0.01 ? Math.floor(rnd() * 100) : c + Math.floor(rnd() * 1000);
      vs[i] = c;
    }
    const points = { t: ts, v: vs };
    const whole = counterIncrease(points, { from: ts[0], to: ts[n - 1] })!;
    let sum = 0;
    for (let from = ts[0]; from < ts[n - 1]; from += 300_000) {
      sum += counterIncrease(points, { from, to: Math.min(from + 300_000, ts[n - 1]) })?.increase ?? 0;
    }
    expect(sum).toBe(whole.increase);
  });

  it('uses the first sample inside the window when none precedes it', () => {
    const inc = counterIncrease({ t, v: [1, 2, 4, 8, 16] }, { from: -5, to: 20_000 });
    expect(inc).toEqual({ increase: 3, fromT: 0, toT: 20_000 });
  });

  it('skips NaN samples and is NaN with fewer than two usable samples', () => {
    expect(rate({ t, v: [10, NaN, 30, NaN, 50] }, { from: 0, to: 40_000 })).toBe(1);
    expect(rate({ t, v: [NaN, NaN, 30, NaN, 50] }, { from: -1, to: 40_000 })).toBe(1);
    expect(rate({ t, v: [10, NaN, NaN, NaN, NaN] }, { from: 0, to: 40_000 })).toBeNaN();
    expect(rate({ t, v: [10, 20, 30, 40, 50] }, { from: 40_000, to: 50_000 })).toBeNaN();
    expect(rate({ t: [], v: [] }, { from: 0, to: 1 })).toBeNaN();
  });
});

describe('rollupRates', () => {
  it('matches the point-level increase per bucket, across a reset', () => {
    const ts = regularTimes(DAY_OF_10S);
    const vs = bytesCounter(DAY_OF_10S); // integer bytes, one restart mid-day: exact arithmetic
    const buckets = rollPoints({ t: ts, v: vs }, MINUTE_MS);
    const rates = rollupRates(buckets);
    expect(rates[0]).toBeNaN();
    let resets = 0;
    for (let i = 1; i < buckets.length; i++) {
      const exact = counterIncrease({ t: ts, v: vs }, { from: buckets[i - 1].lastT, to: buckets[i].lastT })!;
      if (buckets[i].min < buckets[i - 1].last) resets++;
      expect(rollupIncrease(buckets[i - 1], buckets[i])).toBe(exact.increase);
      expect(rates[i]).toBe((exact.increase * 1000) / (exact.toT - exact.fromT));
    }
    expect(resets).toBe(1);
  });

  it('is a lower bound when a reset hides the pre-reset growth', () => {
    // Previous last 100; bucket sees 120 (peak), restart, 5, 300: true increase 20 + 5 + 295 = 320.
    const prev = rollPoints({ t: [0], v: [100] }, MINUTE_MS)[0];
    const cur = rollPoints({ t: [60_000, 70_000, 80_000], v: [120, 5, 300] }, MINUTE_MS)[0];
    expect(rollupIncrease(prev, cur)).toBe(300);
    // With the peak above the final value the pre-reset part is known: 100 -> 500, restart, 5 -> 300.
    const cur2 = rollPoints({ t: [60_000, 70_000, 80_000], v: [500, 5, 300] }, MINUTE_MS)[0];
    expect(rollupIncrease(prev, cur2)).toBe(400 + 300);
  });

  it('leaves empty buckets NaN and measures across them', () => {
    const a = rollPoints({ t: [50_000], v: [10] }, MINUTE_MS)[0];
    const c = rollPoints({ t: [170_000], v: [70] }, MINUTE_MS)[0];
    const rates = rollupRates([a, emptyBucket(60_000), c]);
    expect(rates[1]).toBeNaN();
    expect(rates[2]).toBe(0.5);
  });
});
