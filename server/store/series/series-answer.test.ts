import { describe, expect, it } from 'vitest';
import { answerFromBuckets, answerFromPoints } from './series-answer.js';
import { rollPoints } from './rollup.js';

describe('series answers', () => {
  const t = Array.from({ length: 12 }, (_, i) => i * 10_000);
  // A counter: +30 per 10 s, reset to 0 after the 6th sample, then +30 again.
  const v = t.map((_, i) => (i < 6 ? 1000 + i * 30 : (i - 6) * 30));

  it('raw points inside the range, as min = max = avg and count 1', () => {
    const a = answerFromPoints({ t, v }, 20_000, 40_000, 0);
    expect(a).toEqual({ stepMs: 0, points: [20_000, 30_000, 40_000].map((x, i) => ({ t: x, min: v[i + 2], max: v[i + 2], avg: v[i + 2], count: 1 })) });
  });

  it('rate from raw points counts a reset from 0', () => {
    const a = answerFromPoints({ t, v }, 0, 110_000, 0, 'rate');
    expect(a.points).toHaveLength(11);
    // The sample at the reset is 0: an increase of 0 since the restart, rate 0; every other step 3/s.
    expect(a.points.map((p) => p.avg)).toEqual([3, 3, 3, 3, 3, 0, 3, 3, 3, 3, 3]);
  });

  it('buckets widened to a step, with the exact mean', () => {
    const buckets = rollPoints({ t, v: t.map((_, i) => i) }, 10_000);
    const a = answerFromBuckets(buckets, 0, 119_999, 10_000, 60_000);
    expect(a).toEqual({
      stepMs: 60_000,
      points: [
        { t: 0, min: 0, max: 5, avg: 2.5, count: 6 },
        { t: 60_000, min: 6, max: 11, avg: 8.5, count: 6 },
      ],
    });
  });
});
