import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../../protocol/messages.js';
import { METRIC_CATALOG, type MetricName } from './metric-catalog.js';
import { createMetricCollector } from './metric-collector.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const usage = { blockSize: 4096, blocks: 1000, blocksFree: 400, blocksAvailable: 300, files: 50, filesFree: 10 };
const find = (points: MetricPoint[], name: MetricName, labels: Record<string, string> = {}) =>
  points.find((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels?.[k] === v));

describe('createMetricCollector over captured /proc files', () => {
  let procRoot: string;

  beforeEach(async () => {
    procRoot = await mkdtemp(join(tmpdir(), 'autowatch-proc-'));
    await cp(join(fixtures, 'vm/proc'), procRoot, { recursive: true });
  });
  afterEach(() => rm(procRoot, { recursive: true, force: true }));

  // The counters of vm-later/ were read 4.59 s after those of vm/.
  const advance = () => cp(join(fixtures, 'vm-later/proc'), procRoot, { recursive: true });

  it('returns only the non-rate metrics on the first call, then rates too', async () => {
    const collector = createMetricCollector({ procRoot, statfs: async () => usage });
    const first = await collector.collect(1_000);
    expect(first.some((p) => /^(cpu|disk|net)\./.test(p.name))).toBe(false);
    expect(find(first, 'mem.total_bytes')?.v).toBe(24684084 * 1024);
    expect(find(first, 'swap.used_pct')?.v).toBe(0);
    expect(find(first, 'system.load1')?.v).toBe(0.61);
    expect(find(first, 'system.uptime_s')?.v).toBe(9741.4);
    expect(find(first, 'fs.used_pct', { mount: '/', device: '/dev/vda' })?.v).toBeCloseTo((600 / 900) * 100, 10);
    expect(first.every((p) => p.t === 1_000)).toBe(true);

    await advance();
    const second = await collector.collect(1_000 + 4_590);
    expect(find(second, 'cpu.usage_pct', { cpu: 'total' })?.v).toBeCloseTo((594 / 906) * 100, 10);
    expect(find(second, 'disk.write_bytes_per_s', { device: 'vda' })?.v).toBeCloseTo((614408 * 512) / 4.59, 6);
    expect(find(second, 'net.rx_bytes_per_s', { iface: 'eth0' })?.v).toBe(0);
    expect(find(second, 'net.rx_bytes_per_s', { iface: 'lo' })).toBeUndefined();
    expect(second.some((p) => p.labels?.device?.startsWith('loop'))).toBe(false);
  });

  it('emits only catalogued names, each with the label keys the catalog lists', async () => {
    const collector = createMetricCollector({ procRoot, statfs: async () => usage });
    await collector.collect(0);
    await advance();
    const points = await collector.collect(4_590);
    for (const p of points) {
      const spec = METRIC_CATALOG[p.name as MetricName];
      expect(spec, p.name).toBeDefined();
      expect(Object.keys(p.labels ?? {}).sort(), p.name).toEqual([...spec.labels].sort());
      expect(Number.isFinite(p.v), p.name).toBe(true);
    }
  });

  it('collects only the named collectors, each keeping its own counters between its rounds', async () => {
    const collector = createMetricCollector({ procRoot, statfs: async () => usage });
    const prefixes = (points: MetricPoint[]) => [...new Set(points.map((p) => p.name.split('.')[0]))].sort();
    expect(prefixes(await collector.collect(0, ['memory', 'load']))).toEqual(['mem', 'swap', 'system']);
    expect(await collector.collect(0, ['cpu'])).toEqual([]);
    await advance();
    expect(prefixes(await collector.collect(4_590, ['cpu']))).toEqual(['cpu']);
    // network's first round: no rate yet, whatever other collectors did before.
    expect(await collector.collect(4_590, ['network'])).toEqual([]);
  });

  it('goes on without a source that cannot be read', async () => {
    await rm(join(procRoot, 'diskstats'));
    await rm(join(procRoot, 'meminfo'));
    const points = await createMetricCollector({ procRoot, statfs: async () => usage }).collect(0);
    expect(points.some((p) => p.name.startsWith('mem.'))).toBe(false);
    expect(find(points, 'system.load1')).toBeDefined();
    expect(find(points, 'fs.size_bytes', { mount: '/' })).toBeDefined();
  });

  it('gives up on a mount whose statfs hangs and does not ask it again while the call is pending', async () => {
    let calls = 0;
    const hanging = () => {
      calls++;
      return new Promise<typeof usage>(() => {});
    };
    const collector = createMetricCollector({ procRoot, statfs: hanging, statfsTimeoutMs: 20 });
    const first = await collector.collect(0);
    expect(first.some((p) => p.name.startsWith('fs.'))).toBe(false);
    expect(find(first, 'mem.total_bytes')).toBeDefined();
    await collector.collect(1_000);
    expect(calls).toBe(1);
  });

  it('skips rates for a counter that went backwards', async () => {
    const collector = createMetricCollector({ procRoot, statfs: async () => usage });
    await advance();
    await collector.collect(0);
    await cp(join(fixtures, 'vm/proc'), procRoot, { recursive: true }); // older counters: a reset
    const points = await collector.collect(5_000);
    expect(points.filter((p) => /^(cpu|disk|net)\./.test(p.name) && p.v < 0)).toEqual([]);
    expect(find(points, 'disk.reads_per_s', { device: 'vda' })).toBeUndefined();
    expect(find(points, 'cpu.usage_pct', { cpu: 'total' })).toBeUndefined();
  });
});
