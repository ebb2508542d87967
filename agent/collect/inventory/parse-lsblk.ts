import { classifyDisk, isPseudoDisk } from './disk-type.js';
import type { Disk } from '../../../protocol/inventory-report.js';

interface LsblkDevice {
  name?: string;
  model?: string | null;
  serial?: string | null;
  size?: number | string | null;
  rota?: boolean | string | null;
  type?: string;
  wwn?: string | null;
  tran?: string | null;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
// util-linux before 2.33 printed every JSON value as a string ("1", "480103981056").
const bool = (value: unknown) => (value === true || value === '1' ? true : value === false || value === '0' ? false : null);

/**
 * Physical disks from `lsblk -J -b -o NAME,MODEL,SERIAL,SIZE,ROTA,TYPE,WWN,TRAN`. Only top-level devices
 * of type disk: partitions, md arrays and LVM volumes hang below them as children, CD drives are "rom".
 * A disk of size 0 has no medium (empty card reader) and is left out. undefined means unparsable output.
 */
export function disksFromLsblk(json: string): Disk[] | undefined {
  let parsed: { blockdevices?: LsblkDevice[] };
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed?.blockdevices)) return undefined;
  const disks: Disk[] = [];
  for (const device of parsed.blockdevices) {
    const name = text(device.name);
    const sizeBytes = Number(device.size);
    if (!name || device.type !== 'disk' || isPseudoDisk(name) || !(sizeBytes > 0)) continue;
    const model = text(device.model);
    const rotational = bool(device.rota);
    disks.push({
      name,
      model,
      serial: text(device.serial),
      sizeBytes,
      type: classifyDisk({ name, model, transport: text(device.tran), rotational }),
      rotational,
      wwn: text(device.wwn),
    });
  }
  return disks.sort((a, b) => a.name.localeCompare(b.name));
}
