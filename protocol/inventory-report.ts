/**
 * The hardware/OS report the agent sends to the CMDB. Unknown values are null rather than absent so a diff
 * tells "the source stopped saying" apart from "the field was never part of the report". Lists are sorted
 * the same way on every run so an unchanged machine yields an unchanged report.
 */
export interface InventoryReport {
  /** ms since the Unix epoch, like every other timestamp on the wire. */
  collectedAt: number;
  system: SystemIdentity;
  os: OsInfo;
  cpus: CpuSocket[];
  memory: { totalBytes: number | null; modules: MemoryModule[] };
  disks: Disk[];
  nics: Nic[];
  raid?: RaidArray[];
  gpus?: Gpu[];
  psus?: PowerSupply[];
}

export interface SystemIdentity {
  vendor: string | null;
  model: string | null;
  serial: string | null;
  /** Lower-case: dmidecode prints upper case, sysfs lower case, and the server compares them. */
  uuid: string | null;
  machineId: string | null;
  hostname: string;
}

/** The part of the identity firmware reports; each source (dmidecode, lshw, sysfs) yields one. */
export type HardwareIdentity = Pick<SystemIdentity, 'vendor' | 'model' | 'serial' | 'uuid'>;

export interface OsInfo {
  name: string | null;
  version: string | null;
  kernel: string;
  arch: string;
}

export interface CpuSocket {
  socket: string;
  model: string | null;
  cores: number | null;
  threads: number | null;
  mhz: number | null;
}

export interface MemoryModule {
  slot: string;
  sizeBytes: number;
  type: string | null;
  speedMts: number | null;
  vendor: string | null;
  serial: string | null;
  partNumber: string | null;
}

export type DiskType = 'ssd' | 'hdd' | 'nvme' | 'virtual' | 'usb' | 'unknown';

export interface Disk {
  name: string;
  model: string | null;
  serial: string | null;
  sizeBytes: number;
  type: DiskType;
  rotational: boolean | null;
  wwn: string | null;
}

export interface Nic {
  name: string;
  mac: string | null;
  /** Addresses with prefix length ("192.0.2.2/24"); IPv6 link-local left out (derived from the MAC). */
  ips: string[];
  speedMbps: number | null;
  driver: string | null;
}

export type RaidArray =
  | { kind: 'software'; name: string; level: string | null; members: string[]; state: 'active' | 'degraded' | 'inactive'; sizeBytes: number | null }
  | { kind: 'hardware'; pciSlot: string; vendor: string | null; model: string | null };

export interface Gpu {
  pciSlot: string;
  vendor: string | null;
  model: string | null;
}

export interface PowerSupply {
  name: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  maxWatts: number | null;
  status: string | null;
}
