import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuPoints, parseProcStat } from './cpu.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const pointValue = (points: ReturnType<typeof cpuPoints>, name: string, cpu: string) => points.find((p) => p.name === name && p.labels?.cpu === cpu)?.v;

describe('parseProcStat', () => {
  it('reads the aggregate and per-cpu lines of this machine', () => {
    const cpus = parseProcStat(fixture('vm/proc/stat'));
    expect([...cpus.keys()]).toEqual(['total', '0', '1']);
    expect(cpus.get('total')).toEqual({ user: 10906, nice: 0, system: 6933, idle: 1920825, iowait: 583, irq: 0, softirq: 167, steal: 19 });
    expect(cpus.get('1')).toEqual({ user: 6012, nice: 0, system: 3566, idle: 961059, iowait: 541, irq: 0, softirq: 100, steal: 12 });
  });

  it('treats columns an old kernel does not print as zero', () => {
    expect(parseProcStat('cpu  1 2 3 4 5 6 7\n').get('total')).toEqual({
      user: 1,
      nice: 2,
      system: 3,
      idle: 4,
      iowait: 5,
      irq: 6,
      softirq: 7,
      steal: 0,
    });
  });
});

describe('cpuPoints', () => {
  const before = parseProcStat(fixture('vm/proc/stat'));
  const after = parseProcStat(fixture('vm-later/proc/stat'));

  it('turns two real readings into shares of the elapsed ticks', () => {
    const points = cpuPoints(before, after, 1000);
    // total: user 558, system 35, idle 265, iowait 47, softirq 1 → 906 ticks.
    expect(pointValue(points, 'cpu.usage_pct', 'total')).toBeCloseTo((594 / 906) * 100, 10);
    expect(pointValue(points, 'cpu.user_pct', 'total')).toBeCloseTo((558 / 906) * 100, 10);
    expect(pointValue(points, 'cpu.system_pct', 'total')).toBeCloseTo((36 / 906) * 100, 10);
    expect(pointValue(points, 'cpu.iowait_pct', 'total')).toBeCloseTo((47 / 906) * 100, 10);
    expect(pointValue(points, 'cpu.steal_pct', 'total')).toBe(0);
    // cpu0: user 259, system 21, idle 175 → 455 ticks.
    expect(pointValue(points, 'cpu.usage_pct', '0')).toBeCloseTo((280 / 455) * 100, 10);
    expect(points).toHaveLength(3 * 5);
    expect(points.every((p) => p.t === 1000)).toBe(true);
  });

  it('counts nice as user and interrupts as system', () => {
    const prev = parseProcStat('cpu  0 0 0 0 0 0 0 0\n');
    const cur = parseProcStat('cpu  10 10 10 40 10 5 5 10\n');
    const points = cpuPoints(prev, cur, 0);
    expect(pointValue(points, 'cpu.user_pct', 'total')).toBe(20);
    expect(pointValue(points, 'cpu.system_pct', 'total')).toBe(20);
    expect(pointValue(points, 'cpu.steal_pct', 'total')).toBe(10);
    expect(pointValue(points, 'cpu.usage_pct', 'total')).toBe(50);
  });

  it('skips a cpu whose counters went backwards instead of reporting negative shares', () => {
    const prev = parseProcStat('cpu  100 0 100 100 50 0 0 0\ncpu0 100 0 100 100 50 0 0 0\n');
    const cur = parseProcStat('cpu  200 0 200 200 60 0 0 0\ncpu0 200 0 200 200 40 0 0 0\n');
    const points = cpuPoints(prev, cur, 0);
    expect(points.some((p) => p.labels?.cpu === '0')).toBe(false);
    expect(points.filter((p) => p.labels?.cpu === 'total')).toHaveLength(5);
    expect(points.every((p) => p.v >= 0)).toBe(true);
  });

  it('emits nothing when no tick passed or the cpu is new', () => {
    const same = parseProcStat('cpu  1 1 1 1 1 1 1 1\n');
    expect(cpuPoints(same, same, 0)).toEqual([]);
    expect(cpuPoints(new Map(), same, 0)).toEqual([]);
  });
});
