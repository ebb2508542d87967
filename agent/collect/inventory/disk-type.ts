import type { DiskType } from '../../../protocol/inventory-report.js';

/** Models hypervisors and clouds give their virtual disks. */
const VIRTUAL_MODEL = /QEMU|VBOX|VMware|Virtual|Msft|Google PersistentDisk|Amazon Elastic Block Store|Xen|KVM/i;

/**
 * The kind of disk. Virtual is decided first: hypervisors report most virtual disks as rotational, and
 * cloud block storage as NVMe, and neither says anything about the hardware underneath.
 */
export function classifyDisk(disk: { name: string; model: string | null; transport: string | null; rotational: boolean | null }): DiskType {
  if (/^(vd|xvd)[a-z]/.test(disk.name) || VIRTUAL_MODEL.test(disk.model ?? '') || disk.transport === 'virtio') return 'virtual';
  if (disk.transport === 'nvme' || disk.name.startsWith('nvme')) return 'nvme';
  if (disk.transport === 'usb') return 'usb';
  if (disk.rotational === false) return 'ssd';
  if (disk.rotational === true) return 'hdd';
  return 'unknown';
}

/** Devices that are memory or files, not disks, even where the kernel types them "disk". */
export const isPseudoDisk = (name: string) => /^(loop|ram|zram)\d+$/.test(name);
