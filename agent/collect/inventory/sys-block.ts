import { classifyDisk, isPseudoDisk } from './disk-type.js';
import type { Disk } from '../../../protocol/inventory-report.js';

/** The /sys/block/<name> files read for one disk when lsblk is not installed. */
export interface SysBlockFiles {
  /** In 512-byte sectors, whatever the device's sector size. */
  size?: string;
  'queue/rotational'?: string;
  'device/model'?: string;
  'device/serial'?: string;
  'device/wwid'?: string;
}

export const SYS_BLOCK_FILES: (keyof SysBlockFiles)[] = ['size', 'queue/rotational', 'device/model', 'device/serial', 'device/wwid'];

const text = (value: string | undefined) => (value !== undefined && value.trim() !== '' ? value.trim() : null);

/**
 * One disk from sysfs. /sys/block lists whole devices only (partitions live under them), so no type
 * check is needed; sysfs has no transport, so NVMe is recognised by name.
 */
export function diskFromSysBlock(name: string, files: SysBlockFiles): Disk | undefined {
  const sizeBytes = Number(files.size) * 512;
  // LVM/md volumes and optical drives sit in /sys/block too; lsblk would have typed them apart.
  if (isPseudoDisk(name) || /^(dm-|md|sr)\d+$/.test(name) || !(sizeBytes > 0)) return undefined;
  const model = text(files['device/model']);
  const rotational = files['queue/rotational'] === undefined ? null : files['queue/rotational'].trim() === '1';
  return {
    name,
    model,
    serial: text(files['device/serial']),
    sizeBytes,
    type: classifyDisk({ name, model, transport: null, rotational }),
    rotational,
    wwn: text(files['device/wwid']),
  };
}
