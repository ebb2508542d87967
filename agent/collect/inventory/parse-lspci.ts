import type { Gpu, RaidArray } from '../../../protocol/inventory-report.js';

export interface PciDevice {
  slot: string;
  className: string;
  vendor: string | null;
  device: string | null;
}

/**
 * `lspci -mm -D`: slot, then quoted class, vendor, device, optional -rREV/-pPROGIF, quoted subsystem
 * vendor and device.
 */
export function parseLspciMachine(text: string): PciDevice[] {
  const devices: PciDevice[] = [];
  for (const line of text.split('\n')) {
    const slot = /^(\S+)\s/.exec(line)?.[1];
    if (!slot) continue;
    const quoted = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1].trim());
    if (quoted.length < 3) continue;
    devices.push({ slot, className: quoted[0], vendor: quoted[1] || null, device: quoted[2] || null });
  }
  return devices;
}

/** Display controllers, the server's BMC graphics included: the CMDB records what is in the box. */
export function gpusFromPci(devices: PciDevice[]): Gpu[] {
  return devices
    .filter((d) => /^(VGA compatible|3D|Display) controller/.test(d.className))
    .map((d) => ({ pciSlot: d.slot, vendor: d.vendor, model: d.device }));
}

export function raidControllersFromPci(devices: PciDevice[]): RaidArray[] {
  return devices
    .filter((d) => d.className.startsWith('RAID bus controller'))
    .map((d) => ({ kind: 'hardware', pciSlot: d.slot, vendor: d.vendor, model: d.device }));
}
