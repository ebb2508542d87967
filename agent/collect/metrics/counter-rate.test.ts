import { describe, expect, it } from 'vitest';
import { counterRate, percentOf } from './counter-rate.js';

describe('counterRate', () => {
  it('divides the increase by the elapsed seconds', () => {
    expect(counterRate(100, 400, 3)).toBe(100);
    expect(counterRate(5, 5, 1)).toBe(0);
  });

  it('skips a counter that went backwards (wrap or reset) instead of going negative', () => {
    expect(counterRate(2 ** 32 - 10, 20, 10)).toBeUndefined();
  });

  it('skips when no time passed or the clock went back', () => {
    expect(counterRate(1, 2, 0)).toBeUndefined();
    expect(counterRate(1, 2, -1)).toBeUndefined();
  });
});

describe('percentOf', () => {
  it('is undefined for an empty whole', () => {
    expect(percentOf(1, 4)).toBe(25);
    expect(percentOf(0, 0)).toBeUndefined();
  });
});
