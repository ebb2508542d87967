import type { InterfaceAddresses } from './interface-addresses.js';
import type { Nic } from '../../../protocol/inventory-report.js';

/** The /sys/class/net/<name> files read for one interface; undefined where the read failed. */
export interface SysNetFiles {
  address?: string;
  /** Mb/s; -1 or unreadable (EINVAL) while the link is down or for virtual devices. */
  speed?: string;
  /** Present only when a bus device backs the interface; DRIVER= names its driver. */
  deviceUevent?: string;
}

/**
 * One NIC, or undefined when the interface is not worth a CMDB entry: loopback, and virtual interfaces
 * (veth, ifb, tun) without an address. Virtual ones that carry addresses (bond0, br0, vlan) are kept,
 * because that is where a bonded server's IPs live.
 */
export function buildNic(name: string, sys: SysNetFiles, addresses: InterfaceAddresses | undefined): Nic | undefined {
  if (name === 'lo' || addresses?.loopback) return undefined;
  const ips = addresses?.ips ?? [];
  if (sys.deviceUevent === undefined && ips.length === 0) return undefined;
  const sysMac = sys.address?.trim().toLowerCase();
  const speed = Number(sys.speed?.trim());
  return {
    name,
    mac: sysMac && sysMac !== '00:00:00:00:00:00' ? sysMac : (addresses?.mac ?? null),
    ips,
    speedMbps: Number.isInteger(speed) && speed > 0 ? speed : null,
    driver: /^DRIVER=(.+)$/m.exec(sys.deviceUevent ?? '')?.[1].trim() ?? null,
  };
}
