import { describe, expect, it } from 'vitest';
import { FleetUsage } from './fleet-usage.js';

const batch = (hostId: string, points: { name: string; labels?: Record<string, string>; v: number }[]) => ({
  agentId: `a-${hostId}`,
  hostId,
  batch: 1,
  points: points.map((p) => ({ ...p, t: 0 })),
});

describe('FleetUsage', () => {
  it('ranks hosts by their latest CPU, memory and fullest filesystem, highest first', () => {
    const u = new FleetUsage();
    u.observe(
      [
        batch('a', [
          { name: 'cpu.usage_pct', labels: { cpu: 'total' }, v: 20 },
          { name: 'cpu.usage_pct', labels: { cpu: '0' }, v: 99 },
          { name: 'mem.used_pct', v: 70 },
        ]),
        batch('b', [
          { name: 'cpu.usage_pct', labels: { cpu: 'total' }, v: 90 },
          { name: 'fs.used_pct', labels: { mount: '/' }, v: 40 },
          { name: 'fs.used_pct', labels: { mount: '/data' }, v: 95 },
        ]),
        batch('c', [
          { name: 'cpu.usage_pct', labels: { cpu: 'total' }, v: 50 },
          { name: 'fs.used_pct', labels: { mount: '/' }, v: 60 },
        ]),
      ],
      1000,
    );
    // A later point replaces the host's figure; a per-core CPU series is not the host's CPU.
    u.observe([batch('a', [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, v: 75 }])], 2000);
    expect(u.top('cpu', 2, 2000).map((e) => [e.hostId, e.value])).toEqual([
      ['b', 90],
      ['a', 75],
    ]);
    expect(u.top('memory', 5, 2000).map((e) => [e.hostId, e.value])).toEqual([['a', 70]]);
    expect(u.top('disk', 5, 2000).map((e) => [e.hostId, e.value])).toEqual([
      ['b', 95],
      ['c', 60],
    ]);
  });

  it('leaves out hosts silent for more than ten minutes', () => {
    const u = new FleetUsage();
    u.observe([batch('old', [{ name: 'mem.used_pct', v: 99 }])], 0);
    u.observe([batch('new', [{ name: 'mem.used_pct', v: 10 }])], 11 * 60_000);
    expect(u.top('memory', 5, 11 * 60_000).map((e) => e.hostId)).toEqual(['new']);
  });

  it('keeps the top n of 50,000 hosts in one pass', () => {
    const u = new FleetUsage();
    u.observe(
      Array.from({ length: 50_000 }, (_, i) => batch(`h${i}`, [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, v: ((i * 7919) % 50_000) / 500 }])),
      0,
    );
    const started = performance.now();
    const top = u.top('cpu', 5, 0);
    const ms = performance.now() - started;
    expect(top.map((e) => e.value)).toEqual([...top.map((e) => e.value)].sort((x, y) => y - x));
    expect(top[0].value).toBe(Math.max(...Array.from({ length: 50_000 }, (_, i) => ((i * 7919) % 50_000) / 500)));
    expect(ms).toBeLessThan(100);
  });
});
