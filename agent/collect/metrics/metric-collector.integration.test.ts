import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createMetricCollector } from './metric-collector.js';

describe('createMetricCollector on this machine', () => {
  it('reads real /proc and statfs twice and reports sane values', async () => {
    const collector = createMetricCollector();
    await collector.collect(Date.now());
    await sleep(1_100);
    const points = await collector.collect(Date.now());

    const cpuTotal = points.find((p) => p.name === 'cpu.usage_pct' && p.labels?.cpu === 'total');
    expect(cpuTotal).toBeDefined();
    expect(cpuTotal!.v).toBeGreaterThanOrEqual(0);
    expect(cpuTotal!.v).toBeLessThanOrEqual(100);
    expect(points.find((p) => p.name === 'mem.total_bytes')!.v).toBeGreaterThan(0);
    expect(points.some((p) => p.name.startsWith('fs.') && p.labels?.mount === '/')).toBe(true);
    expect(points.filter((p) => p.name.endsWith('_per_s') && p.v < 0)).toEqual([]);
  });
});
