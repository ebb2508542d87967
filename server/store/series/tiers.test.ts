import { describe, expect, it } from 'vitest';
import { bucketsTouched, chooseTier, parseTiers, widenedStep } from './tiers.js';

const H = 3_600_000;
const M = 60_000;

describe('parseTiers', () => {
  it('reads the default spec', () => {
    expect(parseTiers('raw:2d,1m:30d,1h:3y').map((t) => [t.label, t.id, t.widthMs, t.retentionMs, t.chunkMs])).toEqual([
      ['raw', 0, 0, 2 * 86_400_000, 2 * H],
      ['1m', 60, M, 30 * 86_400_000, 360 * M],
      ['1h', 3600, H, 3 * 365 * 86_400_000, 360 * H],
    ]);
  });

  it('refuses specs that cannot work, naming the part', () => {
    expect(() => parseTiers('1m:30d')).toThrow(/start with raw/);
    expect(() => parseTiers('raw:2d,1m:30d,90s:40d')).toThrow(/larger multiple/);
    expect(() => parseTiers('raw:2d,1m:1d')).toThrow(/less time/);
    expect(() => parseTiers('raw:2x')).toThrow(/not a duration/);
    expect(() => parseTiers('raw:2d,1m')).toThrow(/width:retention/);
  });
});

describe('chooseTier', () => {
  const tiers = parseTiers('raw:2d,1m:30d,1h:3y');
  const est = (raw: number, rawDroppedBefore = 0) => [
    { count: raw, droppedBefore: rawDroppedBefore },
    { count: 0, droppedBefore: 0 },
    { count: 0, droppedBefore: 0 },
  ];

  it('takes raw points when they fit, else the finest rollup that fits', () => {
    expect(chooseTier(tiers, est(360), 0, H, 1000)).toEqual({ tier: 0, stepMs: 0 });
    expect(chooseTier(tiers, est(8640), 0, 86_400_000 - 1, 1440)).toEqual({ tier: 1, stepMs: M });
    expect(chooseTier(tiers, est(8640), 0, 86_400_000 - 1, 100)).toEqual({ tier: 2, stepMs: H });
  });

  it('skips a tier retention has cut inside the range', () => {
    expect(chooseTier(tiers, est(10, 5 * H), 4 * H, 6 * H, 1000)).toEqual({ tier: 1, stepMs: M });
  });

  it('widens the coarsest tier when nothing fits, never past max_points', () => {
    const c = chooseTier(tiers, est(1e9), 0, 400 * 86_400_000, 100);
    expect(c.tier).toBe(2);
    expect(c.stepMs % H).toBe(0);
    expect(bucketsTouched(0, 400 * 86_400_000, c.stepMs)).toBeLessThanOrEqual(100);
  });

  it('widenedStep accounts for epoch alignment at both ends', () => {
    // 4h..7h in 1 bucket: 3 h buckets would split it at 6 h, so 4 h.
    expect(widenedStep(4 * H, 7 * H - 1, 1, H)).toBe(4 * H);
    expect(bucketsTouched(4 * H, 7 * H - 1, 3 * H)).toBe(2);
  });
});
