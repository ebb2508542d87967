import { describe, expect, it } from 'vitest';
import { cpusFromDmi, dmiSizeBytes, memoryModulesFromDmi, psusFromDmi, systemFromDmi } from './dmi-inventory.js';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { parseDmidecode } from './parse-dmidecode.js';

const GiB = 2 ** 30;
const server = async () => parseDmidecode(await fixtureText('dmidecode-physical-server.txt'));

describe('systemFromDmi', () => {
  it('reads vendor, model, serial and a lower-cased uuid', async () => {
    expect(systemFromDmi(await server())).toEqual({
      vendor: 'Supermicro',
      model: 'SYS-2029U-TR4',
      serial: 'S292395X0A17654',
      uuid: '00000000-0000-0000-0000-3cecef1a2b3c',
    });
  });

  it('turns what dmidecode prints for absent values into null, and is all null without a type 1 record', () => {
    const records = parseDmidecode(
      'Handle 0x0001, DMI type 1, 27 bytes\nSystem Information\n\tManufacturer: QEMU\n\tProduct Name: Standard PC\n\tSerial Number: Not Specified\n\tUUID: Not Settable\n',
    );
    expect(systemFromDmi(records)).toEqual({ vendor: 'QEMU', model: 'Standard PC', serial: null, uuid: null });
    expect(systemFromDmi([])).toEqual({ vendor: null, model: null, serial: null, uuid: null });
  });
});

describe('cpusFromDmi', () => {
  it('lists both sockets of the server', async () => {
    const socket = (n: number) => ({ socket: `CPU${n}`, model: 'Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz', cores: 24, threads: 48, mhz: 3000 });
    expect(cpusFromDmi(await server())).toEqual([socket(1), socket(2)]);
  });

  it('skips an empty socket', () => {
    const records = parseDmidecode(
      'Handle 0x0058, DMI type 4, 48 bytes\nProcessor Information\n\tSocket Designation: CPU3\n\tVersion: Not Specified\n\tCurrent Speed: Unknown\n\tStatus: Unpopulated\n',
    );
    expect(cpusFromDmi(records)).toEqual([]);
  });
});

describe('memoryModulesFromDmi', () => {
  it('lists the 12 installed DIMMs of 24 slots with every field', async () => {
    const modules = memoryModulesFromDmi(await server());
    expect(modules).toHaveLength(12);
    expect(modules.reduce((sum, m) => sum + m.sizeBytes, 0)).toBe(384 * GiB);
    expect(modules[0]).toEqual({
      slot: 'P1-DIMMA1',
      sizeBytes: 32 * GiB,
      type: 'DDR4',
      speedMts: 2933,
      vendor: 'Samsung',
      serial: '3A2F1C0B',
      // The fixture pads part numbers with spaces, as SPD data does.
      partNumber: 'M393A4K40DB2-CVF',
    });
    expect(modules.at(-1)).toEqual({
      slot: 'P2-DIMMF1',
      sizeBytes: 32 * GiB,
      type: 'DDR4',
      speedMts: 2933,
      vendor: 'Micron',
      serial: '1E8A33C5',
      partNumber: '36ASF4G72PZ-2G9E2',
    });
    expect(modules.map((m) => m.slot)).not.toContain('P1-DIMMA2');
  });

  it('reads the older MB/MHz spelling and makes reused locators unique with the bank', () => {
    const dimm = (bank: string) =>
      `Handle 0x1${bank.length}00, DMI type 17, 40 bytes\nMemory Device\n\tSize: 16384 MB\n\tLocator: DIMM 0\n\tBank Locator: ${bank}\n\tType: DDR4\n\tSpeed: 2666 MHz\n\tManufacturer: Kingston\n\tSerial Number: 1A2B3C4D\n\tPart Number: KSM26RD8/16HDI\n`;
    const modules = memoryModulesFromDmi(parseDmidecode(`${dimm('BANK 0')}\n${dimm('BANK 10')}`));
    expect(modules.map((m) => [m.slot, m.sizeBytes, m.speedMts])).toEqual([
      ['BANK 0 DIMM 0', 16 * GiB, 2666],
      ['BANK 10 DIMM 0', 16 * GiB, 2666],
    ]);
  });
});

describe('psusFromDmi', () => {
  it('lists both power supplies', async () => {
    const psu = (n: number, serial: string) => ({
      name: `PSU${n}`,
      vendor: 'SUPERMICRO',
      model: 'PWS-1K62A-1R',
      serial,
      maxWatts: 1600,
      status: 'Present, OK',
    });
    expect(psusFromDmi(await server())).toEqual([psu(1, 'P1K6AC7I18B4021'), psu(2, 'P1K6AC7I18B4022')]);
  });
});

describe('dmiSizeBytes', () => {
  it('uses powers of 1024 and rejects non-sizes', () => {
    expect(dmiSizeBytes('1 TB')).toBe(2 ** 40);
    expect(dmiSizeBytes('512 kB')).toBe(512 * 1024);
    expect(dmiSizeBytes('No Module Installed')).toBeNull();
    expect(dmiSizeBytes(undefined)).toBeNull();
  });
});
