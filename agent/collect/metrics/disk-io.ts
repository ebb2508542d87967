import type { MetricPoint } from '../../../protocol/messages.js';
import { counterRate } from './counter-rate.js';
import { metricPoint, type MetricName } from './metric-catalog.js';

/** Cumulative counters of one block device from /proc/diskstats. */
export interface DiskCounters {
  reads: number;
  readSectors: number;
  writes: number;
  writeSectors: number;
  /** Milliseconds the device had at least one request in flight. */
  ioTicksMs: number;
}

/** diskstats counts in 512-byte sectors whatever the device's real sector size. */
const SECTOR_BYTES = 512;

/**
 * /proc/diskstats, every device. Columns after major, minor, name: reads, reads merged, sectors read,
 * ms reading, writes, writes merged, sectors written, ms writing, in flight, ms doing I/O, …
 */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const disks = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    disks.set(f[2], {
      reads: Number(f[3]),
      readSectors: Number(f[5]),
      writes: Number(f[7]),
      writeSectors: Number(f[9]),
      ioTicksMs: Number(f[12]),
    });
  }
  return disks;
}

/** RAM-backed and loop devices: their traffic is memory or file traffic counted elsewhere. */
const NOT_A_DISK = /^(loop|ram|zram|fd)\d+$/;

/**
 * Whole devices only (sda, nvme0n1, dm-0, md0), not partitions: partition traffic is already inside its
 * disk's, and %util is a property of the device's queue. A partition is recognised as another listed
 * device's name plus a number (sda1, nvme0n1p2, mmcblk0p1), which holds for every naming scheme without
 * reading /sys. dm and md devices stay: they are the volumes people size and alert on.
 */
export function selectMonitoredDisks(disks: Map<string, DiskCounters>): Map<string, DiskCounters> {
  const selected = new Map<string, DiskCounters>();
  for (const [name, counters] of disks) {
    if (NOT_A_DISK.test(name) || isPartitionOfListedDisk(name, disks)) continue;
    selected.set(name, counters);
  }
  return selected;
}

function isPartitionOfListedDisk(name: string, disks: Map<string, DiskCounters>): boolean {
  // All trailing digits go, so dm-10 yields "dm-" and is not mistaken for a partition of dm-1.
  const stem = /^(.*\D)\d+$/.exec(name)?.[1];
  if (stem === undefined) return false;
  if (disks.has(stem)) return true; // sda1 -> sda
  // Disk names ending in a digit put a "p" before the partition number: nvme0n1p2, mmcblk0p1, md0p1.
  const disk = stem.slice(0, -1);
  return stem.endsWith('p') && /\d$/.test(disk) && disks.has(disk);
}

export function diskIoPoints(prev: Map<string, DiskCounters>, cur: Map<string, DiskCounters>, elapsedS: number, t: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const [device, now] of cur) {
    const before = prev.get(device);
    if (!before) continue;
    const labels = { device };
    const push = (name: MetricName, rate: number | undefined) => {
      if (rate !== undefined) points.push(metricPoint(name, t, rate, labels));
    };
    push('disk.reads_per_s', counterRate(before.reads, now.reads, elapsedS));
    push('disk.writes_per_s', counterRate(before.writes, now.writes, elapsedS));
    push('disk.read_bytes_per_s', scaled(counterRate(before.readSectors, now.readSectors, elapsedS), SECTOR_BYTES));
    push('disk.write_bytes_per_s', scaled(counterRate(before.writeSectors, now.writeSectors, elapsedS), SECTOR_BYTES));
    // Busy ms per elapsed ms; capped because the two clocks are read at slightly different moments.
    const busyMsPerS = counterRate(before.ioTicksMs, now.ioTicksMs, elapsedS);
    push('disk.util_pct', busyMsPerS === undefined ? undefined : Math.min(100, busyMsPerS / 10));
  }
  return points;
}

const scaled = (rate: number | undefined, factor: number) => (rate === undefined ? undefined : rate * factor);
