import { describe, expect, it } from 'vitest';
import { mergeFigures, type NodeFigures } from './fleet-figures.js';

const NOW = 1_700_000_000_000 - (1_700_000_000_000 % 10_000);
const node = (cpu: [string, number, number][], history: [number, number][]): NodeFigures => ({
  busiest: { cpu: cpu.map(([hostId, value, at]) => ({ hostId, value, at })), memory: [], disk: [] },
  history: history.map(([t, pointsPerS]) => ({ t, pointsPerS })),
});

describe('mergeFigures', () => {
  it('ranks the busiest hosts of all nodes, a moved host by its newest figure, stale ones left out', () => {
    const a = node(
      [
        ['web-1', 90, NOW - 60_000],
        ['db-1', 80, NOW - 1000],
        ['old', 99, NOW - 11 * 60_000],
      ],
      [],
    );
    const b = node(
      [
        ['web-1', 20, NOW - 1000],
        ['api-1', 85, NOW - 1000],
      ],
      [],
    );
    expect(mergeFigures([a, b], 5, 10_000, NOW).busiest.cpu.map((e) => [e.hostId, e.value])).toEqual([
      ['api-1', 85],
      ['db-1', 80],
      ['web-1', 20],
    ]);
    expect(mergeFigures([a, b], 2, 10_000, NOW).busiest.cpu.map((e) => e.hostId)).toEqual(['api-1', 'db-1']);
  });

  it('sums the rates per 10 s mark, and leaves out marks a live node has not published yet', () => {
    // Sampled a few ms after each mark; node b has not yet published its newest sample.
    const a = node(
      [],
      [
        [NOW - 20_000 + 3, 100],
        [NOW - 10_000 + 2, 110],
        [NOW + 4, 120],
      ],
    );
    const b = node(
      [],
      [
        [NOW - 20_000 + 9, 50],
        [NOW - 10_000 + 7, 40],
      ],
    );
    // A node stopped half an hour ago still counts for what it did then.
    const gone = node([], [[NOW - 1_800_000 + 1, 7]]);
    expect(mergeFigures([a, b, gone], 5, 10_000, NOW + 5).history).toEqual([
      { t: NOW - 1_800_000, pointsPerS: 7 },
      { t: NOW - 20_000, pointsPerS: 150 },
      { t: NOW - 10_000, pointsPerS: 150 },
    ]);
  });
});
