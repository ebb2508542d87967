import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryPoints, parseMeminfo, swapPoints } from './memory.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const KIB = 1024;
const asRecord = (points: ReturnType<typeof memoryPoints>) => Object.fromEntries(points.map((p) => [p.name, p.v]));

describe('parseMeminfo', () => {
  const fields = parseMeminfo(fixture('vm/proc/meminfo'));

  it('turns kB fields of this machine into bytes', () => {
    expect(fields.MemTotal).toBe(24684084 * KIB);
    expect(fields.MemAvailable).toBe(24013564 * KIB);
    expect(fields['Active(anon)']).toBeGreaterThan(0);
    expect(fields.Hugepagesize).toBe(2048 * KIB);
  });

  it('keeps unit-less fields as counts', () => {
    expect(parseMeminfo('HugePages_Total:      16\n').HugePages_Total).toBe(16);
  });
});

describe('memoryPoints', () => {
  it('reports used as total minus available', () => {
    const m = asRecord(memoryPoints(parseMeminfo(fixture('vm/proc/meminfo')), 5));
    expect(m).toEqual({
      'mem.total_bytes': 24684084 * KIB,
      'mem.used_bytes': (24684084 - 24013564) * KIB,
      'mem.available_bytes': 24013564 * KIB,
      'mem.cached_bytes': 330504 * KIB,
      'mem.buffers_bytes': 1116 * KIB,
      'mem.used_pct': ((24684084 - 24013564) / 24684084) * 100,
    });
  });

  it('estimates available on kernels without MemAvailable', () => {
    const fields = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSReclaimable: 50 kB\n');
    const m = asRecord(memoryPoints(fields, 0));
    expect(m['mem.available_bytes']).toBe(400 * KIB);
    expect(m['mem.used_pct']).toBe(60);
  });

  it('emits nothing without MemTotal', () => {
    expect(memoryPoints({}, 0)).toEqual([]);
  });
});

describe('swapPoints', () => {
  it('reports 0% on this machine, which has no swap', () => {
    expect(asRecord(swapPoints(parseMeminfo(fixture('vm/proc/meminfo')), 0))).toEqual({
      'swap.total_bytes': 0,
      'swap.used_bytes': 0,
      'swap.used_pct': 0,
    });
  });

  it('reports used swap', () => {
    const s = asRecord(swapPoints(parseMeminfo('SwapTotal: 4000 kB\nSwapFree: 3000 kB\n'), 0));
    expect(s).toEqual({ 'swap.total_bytes': 4000 * KIB, 'swap.used_bytes': 1000 * KIB, 'swap.used_pct': 25 });
  });
});
