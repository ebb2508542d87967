import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { parseDmidecode } from './parse-dmidecode.js';

describe('parseDmidecode', () => {
  it('splits the physical-server output into one record per structure', async () => {
    const records = parseDmidecode(await fixtureText('dmidecode-physical-server.txt'));
    const countOf = (type: number) => records.filter((r) => r.type === type).length;
    expect(records).toHaveLength(33);
    expect([countOf(1), countOf(4), countOf(12), countOf(16), countOf(17), countOf(32), countOf(39)]).toEqual([1, 2, 1, 2, 24, 1, 2]);
  });

  it('reads handle, type, title and fields of a record', async () => {
    const [system] = parseDmidecode(await fixtureText('dmidecode-physical-server.txt'));
    expect(system).toEqual({
      handle: '0x0001',
      type: 1,
      title: 'System Information',
      fields: {
        Manufacturer: 'Supermicro',
        'Product Name': 'SYS-2029U-TR4',
        Version: '0123456789',
        'Serial Number': 'S292395X0A17654',
        UUID: '00000000-0000-0000-0000-3CECEF1A2B3C',
        'Wake-up Type': 'Power Switch',
        'SKU Number': 'To be filled by O.E.M.',
        Family: 'SMC X11',
      },
      lists: {},
    });
  });

  it('collects indented lines under their key', async () => {
    const cpu = parseDmidecode(await fixtureText('dmidecode-physical-server.txt')).find((r) => r.type === 4)!;
    expect(cpu.lists.Flags).toHaveLength(28);
    expect(cpu.lists.Flags[0]).toBe('FPU (Floating-point unit on-chip)');
    expect(cpu.lists.Characteristics).toEqual([
      '64-bit capable',
      'Multi-Core',
      'Hardware Thread',
      'Execute Protection',
      'Enhanced Virtualization',
      'Power/Performance Control',
    ]);
    // A key after a list is a field again.
    expect(cpu.fields.Version).toBe('Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz');
  });

  it('finds no records in what dmidecode printed on this VM, which has no SMBIOS', async () => {
    const stdout = await fixtureText('vm/commands/dmidecode.stdout');
    expect(stdout).toContain('Scanning /dev/mem for entry point.');
    expect(parseDmidecode(stdout)).toEqual([]);
  });
});
