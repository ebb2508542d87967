import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { memoryModulesFromLshw, memoryTotalFromLshw, parseLshw, systemFromLshw, type LshwNode } from './parse-lshw.js';

describe('lshw on this VM', () => {
  it('walks every node of the tree', async () => {
    const nodes = parseLshw(await fixtureText('vm/commands/lshw.json'));
    expect(nodes).toHaveLength(17);
    expect(nodes[0].class).toBe('system');
    expect(nodes.map((n) => n.class)).toContain('processor');
  });

  it('finds no vendor, model, serial or uuid: the VM has no SMBIOS', async () => {
    expect(systemFromLshw(parseLshw(await fixtureText('vm/commands/lshw.json')))).toEqual({ vendor: null, model: null, serial: null, uuid: null });
  });

  it('reads the installed memory and finds no DIMM banks', async () => {
    const nodes = parseLshw(await fixtureText('vm/commands/lshw.json'));
    expect(memoryTotalFromLshw(nodes)).toBe(25769803776);
    expect(memoryModulesFromLshw(nodes)).toEqual([]);
  });
});

describe('lshw on a physical server', () => {
  // Node shapes as lshw B.02.19 prints them for SMBIOS type 1 and type 17 data.
  const root: LshwNode = {
    id: 'db01',
    class: 'system',
    product: 'PowerEdge R740 (SKU=0715;ModelName=PowerEdge R740)',
    vendor: 'Dell Inc.',
    serial: '7XK2QM2',
    configuration: { uuid: '4C4C4544-0058-4B10-8032-B7C04F514D32' },
    children: [
      {
        id: 'core',
        class: 'bus',
        children: [
          {
            id: 'memory',
            class: 'memory',
            description: 'System Memory',
            size: 68719476736,
            children: [
              {
                id: 'bank:0',
                class: 'memory',
                description: 'DIMM DDR4 Synchronous Registered (Buffered) 2933 MHz (0.3 ns)',
                product: 'HMA84GR7CJR4N-WM',
                vendor: 'Hynix',
                serial: '32F1A7B0',
                slot: 'A1',
                size: 34359738368,
                clock: 2933000000,
              },
              { id: 'bank:1', class: 'memory', description: '[empty]', slot: 'A2' },
              {
                id: 'bank:2',
                class: 'memory',
                description: 'DIMM DDR4 Synchronous Registered (Buffered) 2933 MHz (0.3 ns)',
                product: 'HMA84GR7CJR4N-WM',
                vendor: 'Hynix',
                serial: '32F1A7C4',
                slot: 'B1',
                size: 34359738368,
                clock: 2933000000,
              },
            ],
          },
        ],
      },
    ],
  };
  const nodes = parseLshw(JSON.stringify([root]));

  it('reads the identity from the root node', () => {
    expect(systemFromLshw(nodes)).toEqual({
      vendor: 'Dell Inc.',
      model: 'PowerEdge R740 (SKU=0715;ModelName=PowerEdge R740)',
      serial: '7XK2QM2',
      uuid: '4c4c4544-0058-4b10-8032-b7c04f514d32',
    });
  });

  it('reads populated banks and skips empty ones', () => {
    expect(memoryTotalFromLshw(nodes)).toBe(64 * 2 ** 30);
    expect(memoryModulesFromLshw(nodes)).toEqual([
      { slot: 'A1', sizeBytes: 32 * 2 ** 30, type: 'DDR4', speedMts: 2933, vendor: 'Hynix', serial: '32F1A7B0', partNumber: 'HMA84GR7CJR4N-WM' },
      { slot: 'B1', sizeBytes: 32 * 2 ** 30, type: 'DDR4', speedMts: 2933, vendor: 'Hynix', serial: '32F1A7C4', partNumber: 'HMA84GR7CJR4N-WM' },
    ]);
  });

  it('yields no nodes for the invalid JSON older lshw builds print', () => {
    expect(parseLshw('{ "id" : "a" } { "id" : "b" }')).toEqual([]);
    expect(parseLshw('')).toEqual([]);
  });
});
