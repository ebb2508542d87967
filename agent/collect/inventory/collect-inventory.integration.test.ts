import { describe, expect, it } from 'vitest';
import { collectInventory } from './collect-inventory.js';

describe('collectInventory on this machine', () => {
  it('runs the real tools and files and produces a plausible report', async () => {
    const report = await collectInventory();
    expect(report.system.hostname).not.toBe('');
    expect(report.os.kernel).not.toBe('');
    expect(report.cpus.length).toBeGreaterThan(0);
    expect(report.memory.totalBytes).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
