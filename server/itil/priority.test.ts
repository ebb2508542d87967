import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, againstTarget, classify, priorityOf, raised } from './priority.js';

describe('incident priority', () => {
  it('reads impact x urgency off the matrix', () => {
    expect(priorityOf(DEFAULT_SETTINGS, 'high', 'high')).toBe('P1');
    expect(priorityOf(DEFAULT_SETTINGS, 'medium', 'high')).toBe('P2');
    expect(priorityOf(DEFAULT_SETTINGS, 'low', 'low')).toBe('P4');
  });

  it('defaults from the trigger severity, through a configurable matrix', () => {
    expect(classify(DEFAULT_SETTINGS, 'disaster')).toEqual({ impact: 'high', urgency: 'high', priority: 'P1' });
    expect(classify(DEFAULT_SETTINGS, 'high').priority).toBe('P2');
    expect(classify(DEFAULT_SETTINGS, 'info').priority).toBe('P4');
    const strict = { ...DEFAULT_SETTINGS, matrix: { ...DEFAULT_SETTINGS.matrix, high: { high: 'P1', medium: 'P1', low: 'P2' } } } as typeof DEFAULT_SETTINGS;
    expect(classify(strict, 'high').priority).toBe('P1');
  });

  it('raises one step, never past P1', () => {
    expect(raised('P3')).toBe('P2');
    expect(raised('P1')).toBe('P1');
  });

  it('measures against a target: met, missed, or missed already while still running', () => {
    expect(againstTarget(0, 60_000, 120, 0)).toEqual({ seconds: 60, targetS: 120, met: true });
    expect(againstTarget(0, 180_000, 120, 0)).toEqual({ seconds: 180, targetS: 120, met: false });
    expect(againstTarget(0, null, 120, 60_000)).toEqual({ seconds: null, targetS: 120, met: null });
    expect(againstTarget(0, null, 120, 180_000)).toEqual({ seconds: null, targetS: 120, met: false });
  });
});
