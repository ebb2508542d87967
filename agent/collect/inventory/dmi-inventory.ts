import type { CpuSocket, HardwareIdentity, MemoryModule, PowerSupply } from '../../../protocol/inventory-report.js';
import type { DmiRecord } from './parse-dmidecode.js';

/** What dmidecode prints when the firmware left a string or value out; kept apart from vendor junk. */
const DMIDECODE_ABSENT = new Set(['Not Specified', 'Not Provided', 'Not Settable', 'Not Present', 'Unknown', '<BAD INDEX>', '<OUT OF SPEC>']);

/** A field's value, or null when dmidecode says there is none. */
export function dmiValue(record: DmiRecord, key: string): string | null {
  const value = record.fields[key];
  return value === undefined || value === '' || DMIDECODE_ABSENT.has(value) ? null : value;
}

/** "3000 MHz", "2933 MT/s", "1600 W", "24" → the leading number; null for anything else. */
export function dmiNumber(record: DmiRecord, key: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\b/.exec(dmiValue(record, key) ?? '');
  return match ? Number(match[1]) : null;
}

const UNIT_BYTES: Record<string, number> = { bytes: 1, kB: 2 ** 10, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };

/** dmidecode sizes ("32 GB", "16384 MB") are powers of 1024; "No Module Installed" is null. */
export function dmiSizeBytes(value: string | undefined): number | null {
  const match = /^(\d+)\s*(bytes|kB|KB|MB|GB|TB)$/.exec(value ?? '');
  return match ? Number(match[1]) * UNIT_BYTES[match[2]] : null;
}

const ofType = (records: DmiRecord[], type: number) => records.filter((r) => r.type === type);

/** Type 1, System Information. */
export function systemFromDmi(records: DmiRecord[]): HardwareIdentity {
  const system = ofType(records, 1)[0];
  if (!system) return { vendor: null, model: null, serial: null, uuid: null };
  return {
    vendor: dmiValue(system, 'Manufacturer'),
    model: dmiValue(system, 'Product Name'),
    serial: dmiValue(system, 'Serial Number'),
    uuid: dmiValue(system, 'UUID')?.toLowerCase() ?? null,
  };
}

/** Type 4, Processor Information: populated sockets only. */
export function cpusFromDmi(records: DmiRecord[]): CpuSocket[] {
  return ofType(records, 4)
    .filter((r) => (r.fields.Status ?? '').startsWith('Populated'))
    .map((r) => ({
      socket: dmiValue(r, 'Socket Designation') ?? r.handle,
      model: dmiValue(r, 'Version') ?? dmiValue(r, 'Family'),
      cores: dmiNumber(r, 'Core Count'),
      threads: dmiNumber(r, 'Thread Count'),
      mhz: dmiNumber(r, 'Current Speed'),
    }));
}

/**
 * Type 17, Memory Device: installed modules. The slot is the Locator; where boards reuse a Locator per
 * bank ("DIMM 0" in "BANK 0" and "BANK 1") the bank is prefixed so slots stay unique keys for the diff.
 */
export function memoryModulesFromDmi(records: DmiRecord[]): MemoryModule[] {
  const installed = ofType(records, 17).filter((r) => dmiSizeBytes(r.fields.Size) !== null);
  const locatorCount = new Map<string, number>();
  for (const r of installed) {
    const locator = dmiValue(r, 'Locator') ?? r.handle;
    locatorCount.set(locator, (locatorCount.get(locator) ?? 0) + 1);
  }
  return installed.map((r) => {
    const locator = dmiValue(r, 'Locator') ?? r.handle;
    const bank = dmiValue(r, 'Bank Locator');
    return {
      slot: locatorCount.get(locator)! > 1 && bank ? `${bank} ${locator}` : locator,
      sizeBytes: dmiSizeBytes(r.fields.Size)!,
      type: dmiValue(r, 'Type'),
      // dmidecode before 3.2 printed the same figure as "MHz".
      speedMts: dmiNumber(r, 'Speed'),
      vendor: dmiValue(r, 'Manufacturer'),
      serial: dmiValue(r, 'Serial Number'),
      partNumber: dmiValue(r, 'Part Number'),
    };
  });
}

/** Type 39, System Power Supply: supplies present in their bays. */
export function psusFromDmi(records: DmiRecord[]): PowerSupply[] {
  return ofType(records, 39)
    .filter((r) => !(r.fields.Status ?? '').startsWith('Not Present'))
    .map((r) => ({
      name: dmiValue(r, 'Location') ?? dmiValue(r, 'Name'),
      vendor: dmiValue(r, 'Manufacturer'),
      model: dmiValue(r, 'Model Part Number') ?? dmiValue(r, 'Name'),
      serial: dmiValue(r, 'Serial Number'),
      maxWatts: dmiNumber(r, 'Max Power Capacity'),
      status: dmiValue(r, 'Status'),
    }));
}
