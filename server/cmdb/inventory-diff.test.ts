import { describe, expect, it } from 'vitest';
import { diffComponents, reportFields, type HeldComponent } from './inventory-diff.js';

const held = (kind: any, slot: string, attrs: Record<string, unknown>, source = 'agent'): HeldComponent => ({
  id: `${kind}-${slot}`,
  kind,
  slot,
  attrs,
  source,
});

describe('diffComponents', () => {
  it('finds added, removed and changed components, attribute by attribute', () => {
    const d = diffComponents(
      [held('disk', 'sda', { size_bytes: 1 }), held('disk', 'sdb', { size_bytes: 2 }), held('nic', 'eth0', { mac: 'a', ips: ['10.0.0.1/24'] })],
      [
        { kind: 'disk', slot: 'sda', attrs: { size_bytes: 1 } },
        { kind: 'nic', slot: 'eth0', attrs: { mac: 'a', ips: ['10.0.0.2/24'] } },
        { kind: 'gpu', slot: '0000:3b:00.0', attrs: { model: 'T4' } },
      ],
    );
    expect(d.added.map((c) => c.slot)).toEqual(['0000:3b:00.0']);
    expect(d.removed.map((c) => c.slot)).toEqual(['sdb']);
    expect(d.changed.map((c) => c.changes)).toEqual([[{ field: 'ips', old: ['10.0.0.1/24'], new: ['10.0.0.2/24'] }]]);
  });

  it('leaves components entered by hand alone', () => {
    expect(diffComponents([held('psu', 'PSU1', {}, 'manual')], []).removed).toEqual([]);
  });
});

describe('reportFields', () => {
  it('keeps unknowns and junk identifiers from erasing what is held', () => {
    const f = reportFields({
      collectedAt: 0,
      system: { vendor: null, model: null, serial: 'Default string', uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', machineId: 'uninitialized', hostname: 'h' },
      os: { name: null, version: null, kernel: '6.1', arch: 'x86_64' },
      cpus: [],
      memory: { totalBytes: null, modules: [{ slot: 'A1', sizeBytes: 8, type: null, speedMts: null, vendor: null, serial: null, partNumber: null }] },
      disks: [],
      nics: [],
    });
    expect(f).toEqual({ hostname: 'h', kernel: '6.1', arch: 'x86_64', memoryBytes: 8 });
  });
});
