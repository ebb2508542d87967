import { describe, expect, it } from 'vitest';
import { WriteBatcher } from './write-batcher.js';

describe('WriteBatcher', () => {
  it('writes items added within the window in one call and answers each', async () => {
    const calls: number[][] = [];
    const b = new WriteBatcher<number, number>(async (items) => (calls.push(items), items.map((i) => (i % 2 ? i * 10 : undefined))), {
      maxItems: 100,
      maxWaitMs: 5,
    });
    const answers = await Promise.all([1, 2, 3].map((i) => b.add(i)));
    expect(calls).toEqual([[1, 2, 3]]);
    expect(answers).toEqual([10, undefined, 30]);
  });

  it('flushes at maxItems and passes a failed write to every caller of that batch', async () => {
    const b = new WriteBatcher<number, number>(
      async (items) => {
        if (items.includes(3)) throw new Error('store down');
        return items;
      },
      { maxItems: 2, maxWaitMs: 1000 },
    );
    const first = Promise.all([b.add(1), b.add(2)]);
    const second = Promise.allSettled([b.add(3), b.add(4)]);
    expect(await first).toEqual([1, 2]);
    expect((await second).map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
