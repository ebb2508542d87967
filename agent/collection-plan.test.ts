import { describe, expect, it } from 'vitest';
import { collectionPlan, readCollectorSchedules } from './collection-plan.js';

describe('collectionPlan', () => {
  it('runs every collector in one round at the default interval when the configuration names none', () => {
    expect(collectionPlan(10, [])).toEqual([{ intervalS: 10 }]);
  });

  it('runs named collectors at their interval and the rest together at the default one', () => {
    expect(
      collectionPlan(10, [
        { name: 'cpu', intervalS: 2 },
        { name: 'network', intervalS: 2 },
        { name: 'disk', intervalS: 60 },
      ]),
    ).toEqual([
      { intervalS: 2, only: ['cpu', 'network'] },
      { intervalS: 10, only: ['memory', 'load', 'uptime', 'filesystem'] },
      { intervalS: 60, only: ['disk'] },
    ]);
  });

  it('puts a collector named at the default interval into the default round', () => {
    expect(collectionPlan(10, [{ name: 'cpu', intervalS: 10 }])).toEqual([
      { intervalS: 10, only: ['cpu', 'memory', 'load', 'uptime', 'disk', 'filesystem', 'network'] },
    ]);
  });
});

describe('readCollectorSchedules', () => {
  it('keeps known collectors with a whole interval of at least 1 s and reports the rest', () => {
    const { schedules, skipped } = readCollectorSchedules({
      collectors: [
        { name: 'cpu', intervalS: 2 },
        { name: 'gpu', intervalS: 2 },
        { name: 'load', intervalS: 0 },
      ],
    });
    expect(schedules).toEqual([{ name: 'cpu', intervalS: 2 }]);
    expect(skipped).toHaveLength(2);
    expect(readCollectorSchedules({ items: [] })).toEqual({ schedules: [], skipped: [] });
  });
});
