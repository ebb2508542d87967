import { describe, expect, it } from 'vitest';
import { LookupBatcher } from './lookup-batcher.js';

describe('LookupBatcher', () => {
  it('answers concurrent lookups with one fetch per window, duplicates included, unknown keys undefined', async () => {
    const fetches: string[][] = [];
    const b = new LookupBatcher<string, number>(
      async (keys) => {
        fetches.push(keys);
        return new Map(keys.filter((k) => k !== 'x').map((k) => [k, k.length]));
      },
      { maxKeys: 100, maxWaitMs: 5 },
    );
    const answers = await Promise.all(['a', 'bb', 'a', 'x', 'ccc'].map((k) => b.get(k)));
    expect(answers).toEqual([1, 2, 1, undefined, 3]);
    expect(fetches).toEqual([['a', 'bb', 'x', 'ccc']]);
  });

  it('splits at maxKeys and rejects every waiter of a failed fetch', async () => {
    const fetches: number[] = [];
    const b = new LookupBatcher<number, number>(
      async (keys) => {
        fetches.push(keys.length);
        if (keys.includes(13)) throw new Error('db down');
        return new Map(keys.map((k) => [k, k * 2]));
      },
      { maxKeys: 10, maxWaitMs: 5 },
    );
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => b.get(i)));
    expect(fetches).toEqual([10, 10, 5]);
    expect(results.filter((r) => r.status === 'rejected').length).toBe(10);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 0 });
    expect(results[24]).toEqual({ status: 'fulfilled', value: 48 });
  });
});
