import { describe, expect, it } from 'vitest';
import { isSnapshot, mergeBucketRuns, mergePoints, PendingPoints, sortUnique } from './pending-points.js';
import { rollPoints } from './rollup.js';
import { RAW_CHUNK_MS } from './tiers.js';

const col = (p: { t: ArrayLike<number>; v: ArrayLike<number> }) => Array.from(p.t, (t, i) => [t, p.v[i]]);

describe('PendingPoints', () => {
  it('folds points into the finest tier as they arrive, in any order, and rolls coarser tiers from it', () => {
    const p = new PendingPoints(RAW_CHUNK_MS);
    const points: Array<[number, number]> = [];
    for (let i = 0; i < 720; i++) points.push([i * 10_000, (i * 7) % 13]);
    // Arrival order shuffled (a resent older batch lands after newer points).
    const shuffled = [...points.slice(300), ...points.slice(0, 300)];
    for (const [t, v] of shuffled) p.add(5, t, v);
    expect(p.size).toBe(720);
    const minutes = p.buckets(5, [60_000]);
    const expected = rollPoints({ t: points.map((x) => x[0]), v: points.map((x) => x[1]) }, 60_000);
    expect(minutes).toEqual(expected);
    const hours = p.buckets(5, [60_000, 3_600_000]);
    expect(hours).toEqual(rollPoints({ t: points.map((x) => x[0]), v: points.map((x) => x[1]) }, 3_600_000));
    expect(col(p.rawPoints(5))).toEqual(points);
    expect(p.buckets(6, [60_000])).toEqual([]);
  });
});

describe('PendingPoints heads', () => {
  it('keeps one point per timestamp (the first), late points included, and detaches closed spans', () => {
    const p = new PendingPoints(RAW_CHUNK_MS);
    p.add(1, 20_000, 2);
    p.add(1, 30_000, 3);
    p.add(1, 30_000, 99); // the same timestamp again
    p.add(1, 10_000, 1); // late, beside the coded points
    p.add(1, 10_000, 98);
    p.add(1, RAW_CHUNK_MS + 5, 4); // the next span: a second head
    expect(col(p.rawPoints(1))).toEqual([
      [10_000, 1],
      [20_000, 2],
      [30_000, 3],
      [RAW_CHUNK_MS + 5, 4],
    ]);
    const closed = p.detach(RAW_CHUNK_MS);
    expect(col(closed.rawPoints(1))).toEqual([
      [10_000, 1],
      [20_000, 2],
      [30_000, 3],
    ]);
    expect(col(p.rawPoints(1))).toEqual([[RAW_CHUNK_MS + 5, 4]]);
    expect(p.size).toBe(1);
  });

  it('detaches when most heads close (a span boundary) by handing over its table, and goes on with the open ones', () => {
    const p = new PendingPoints(RAW_CHUNK_MS);
    for (let id = 1; id <= 4; id++) for (let i = 0; i < 50; i++) p.add(id, 1_000 + i * 10_000, id * 1000 + i);
    p.add(4, RAW_CHUNK_MS + 10, 7); // series 4 also has a head in the next span
    p.add(2, 500, 1.5); // a late point in a closing head
    const closed = p.detach(RAW_CHUNK_MS);
    expect(closed.size).toBe(201);
    expect(p.size).toBe(1);
    expect([...closed.seriesIds()].sort()).toEqual([1, 2, 3, 4]);
    expect([...p.seriesIds()]).toEqual([4]);
    expect(col(closed.rawPoints(2))[0]).toEqual([500, 1.5]);
    expect(col(closed.rawPoints(4))).toEqual(Array.from({ length: 50 }, (_, i) => [1_000 + i * 10_000, 4000 + i]));
    // Both go on independently.
    p.add(4, RAW_CHUNK_MS + 20, 8);
    p.add(5, RAW_CHUNK_MS + 30, 9);
    expect(col(p.rawPoints(4))).toEqual([
      [RAW_CHUNK_MS + 10, 7],
      [RAW_CHUNK_MS + 20, 8],
    ]);
    expect(col(p.rawPoints(5))).toEqual([[RAW_CHUNK_MS + 30, 9]]);
    expect(col(closed.rawPoints(1))).toHaveLength(50);
    expect(p.detach(2 * RAW_CHUNK_MS).size).toBe(3);
    expect(p.size).toBe(0);
  });

  it('restores a snapshot to the same points, and a point given twice (snapshot and a later row) once', () => {
    const p = new PendingPoints(RAW_CHUNK_MS);
    for (let i = 0; i < 100; i++) p.add(i % 7, 1_000_000 + i * 1000, i % 3 === 0 ? NaN : i / 10);
    p.add(3, 1_000_500, -0); // late
    const part = p.snapshot([...p.seriesIds()]);
    expect(isSnapshot(part)).toBe(true);
    expect(isSnapshot(new Uint8Array(new Float64Array([5, 1000, 1]).buffer))).toBe(false);
    const q = new PendingPoints(RAW_CHUNK_MS);
    q.restore(part);
    q.add(3, 1_000_500, 7); // replayed again from its write-ahead row
    for (let id = 0; id < 7; id++) {
      expect(col(q.rawPoints(id))).toEqual(col(p.rawPoints(id)));
      expect(q.buckets(id, [60_000])).toEqual(p.buckets(id, [60_000]));
    }
  });
});

describe('PendingPoints memory', () => {
  it('keeps every point bit for bit while heads grow, move, close and free their regions, and compacts what they leave', () => {
    const p = new PendingPoints(RAW_CHUNK_MS);
    const expected = new Map<number, Array<[number, number]>>();
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    // 4,000 series x 300 points, interleaved as agents send them: heads grow through many regions.
    for (let i = 0; i < 300; i++) {
      for (let id = 1; id <= 4000; id++) {
        words[0] = next();
        words[1] = id % 4 === 0 ? next() : 0x40590000 + (next() & 0xff); // full-precision and few-bit values
        const t = RAW_CHUNK_MS - 150 * 10_000 + i * 10_000; // half the points fall in the next span
        p.add(id, t, bits[0]);
        let list = expected.get(id);
        if (!list) expected.set(id, (list = []));
        list.push([t, bits[0]]);
      }
    }
    const live = p.snapshot([...p.seriesIds()]).length;
    // Compacted: the arena holds little beyond the streams themselves (without compaction it was 3x).
    expect(p.byteLength).toBeLessThan(live * 1.8 + 4000 * 160);
    const closed = p.detach(RAW_CHUNK_MS);
    // The closed heads gave their regions back: new series need no more memory (the arena is compacted).
    const before = p.byteLength;
    for (let id = 5001; id <= 6000; id++) {
      p.add(id, RAW_CHUNK_MS + 1, id);
      expected.set(id, [[RAW_CHUNK_MS + 1, id]]);
    }
    expect(p.byteLength).toBeLessThanOrEqual(before);
    const bitsOf = (x: number) => {
      bits[0] = x;
      return `${words[1]}:${words[0]}`;
    };
    const wrong: string[] = [];
    for (const [id, points] of expected) {
      const got = [...col(closed.rawPoints(id)), ...col(p.rawPoints(id))];
      if (got.length !== points.length) wrong.push(`series ${id}: ${got.length} points, expected ${points.length}`);
      for (let i = 0; i < points.length && wrong.length < 5; i++) {
        if (got[i]?.[0] !== points[i][0] || bitsOf(got[i][1]) !== bitsOf(points[i][1])) wrong.push(`series ${id} point ${i}: ${got[i]} for ${points[i]}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(closed.size + p.size).toBe(4000 * 300 + 1000);
  });
});

describe('merging', () => {
  it('sortUnique keeps the first point of a timestamp', () => {
    expect(col(sortUnique([30, 10, 20, 10], [3, 1, 2, 9]))).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
    ]);
  });

  it('mergePoints interleaves and keeps the stored point on a tie', () => {
    expect(col(mergePoints({ t: [10, 30], v: [1, 3] }, { t: [5, 10, 20, 40], v: [0, 9, 2, 4] }))).toEqual([
      [5, 0],
      [10, 1],
      [20, 2],
      [30, 3],
      [40, 4],
    ]);
  });

  it('mergeBucketRuns combines buckets of the same start exactly', () => {
    const a = rollPoints({ t: [0, 10, 60_000], v: [1, 5, 2] }, 60_000);
    const b = rollPoints({ t: [20, 120_000], v: [9, 3] }, 60_000);
    expect(mergeBucketRuns(a, b)).toEqual([
      { start: 0, min: 1, max: 9, sum: 15, count: 3, last: 9, lastT: 20 },
      { start: 60_000, min: 2, max: 2, sum: 2, count: 1, last: 2, lastT: 60_000 },
      { start: 120_000, min: 3, max: 3, sum: 3, count: 1, last: 3, lastT: 120_000 },
    ]);
  });
});
