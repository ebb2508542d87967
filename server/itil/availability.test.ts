import { describe, expect, it } from 'vitest';
import { foldInto, periodStart, periodsBetween, serviceState, slotState, tallyPeriod, type SlotStats } from './availability.js';

describe('availability rules', () => {
  it('judges a slot from its min, max and count', () => {
    expect(slotState(undefined)).toBe('unknown');
    expect(slotState({ min: 3, max: 3, count: 4 })).toBe('unknown');
    expect(slotState({ min: 0, max: 3, count: 4 })).toBe('down');
    expect(slotState({ min: 0, max: 2, count: 2 })).toBe('down');
    expect(slotState({ min: 0, max: 1, count: 2 })).toBe('up');
  });

  it('combines members: all must be up, or any one is enough', () => {
    expect(serviceState(['up', 'unknown', 'down'], 'all')).toBe('down');
    expect(serviceState(['up', 'unknown'], 'all')).toBe('unknown');
    expect(serviceState(['down', 'unknown', 'up'], 'any')).toBe('up');
    expect(serviceState(['down', 'unknown'], 'any')).toBe('down');
    expect(serviceState(['unknown'], 'any')).toBe('unknown');
  });

  it('cuts UTC days, ISO weeks (Monday) and months', () => {
    const t = Date.UTC(2024, 1, 29, 13, 5); // Thursday 29 Feb 2024
    expect(new Date(periodStart('day', t)).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(periodStart('week', t)).toISOString()).toBe('2024-02-26T00:00:00.000Z');
    expect(new Date(periodStart('month', t)).toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(periodsBetween('month', t, Date.UTC(2024, 3, 1)).map(([s, e]) => [new Date(s).getUTCMonth(), new Date(e).getUTCMonth()])).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('folds finer buckets into wider slots and merges down runs', () => {
    const a = new Map<number, SlotStats>();
    for (const [t, v] of [
      [0, 0],
      [60_000, 2],
      [120_000, 2],
      [180_000, 0],
    ] as const)
      foldInto(a, t, 60_000, { min: v, max: v, count: 1 });
    const tally = tallyPeriod([a], 'all', 0, 300_000, 60_000);
    expect(tally).toEqual({ upMs: 120_000, downMs: 120_000, unknownMs: 60_000, down: [[60_000, 180_000]] });
    const wide = new Map<number, SlotStats>();
    for (const [t, s] of a) foldInto(wide, t, 3_600_000, s);
    expect(wide.get(0)).toEqual({ min: 0, max: 2, count: 4 });
  });
});
