import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskIoPoints, parseDiskstats, selectMonitoredDisks, type DiskCounters } from './disk-io.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const counters = (c: Partial<DiskCounters>): DiskCounters => ({ reads: 0, readSectors: 0, writes: 0, writeSectors: 0, ioTicksMs: 0, ...c });

describe('parseDiskstats', () => {
  it('reads every device of this machine', () => {
    const disks = parseDiskstats(fixture('vm/proc/diskstats'));
    expect([...disks.keys()]).toEqual(['loop0', 'loop1', 'loop2', 'loop3', 'loop4', 'loop5', 'loop6', 'loop7', 'vda', 'zram0']);
    expect(disks.get('vda')).toEqual({ reads: 111709, readSectors: 3403594, writes: 26964, writeSectors: 2313648, ioTicksMs: 9892 });
  });

  it('reads the 14-column format of kernels before 4.18', () => {
    const disks = parseDiskstats('   8       0 sda 10 0 80 5 20 0 160 7 0 12 12\n');
    expect(disks.get('sda')).toEqual({ reads: 10, readSectors: 80, writes: 20, writeSectors: 160, ioTicksMs: 12 });
  });
});

describe('selectMonitoredDisks', () => {
  it('drops loop and zram devices of this machine', () => {
    expect([...selectMonitoredDisks(parseDiskstats(fixture('vm/proc/diskstats'))).keys()]).toEqual(['vda']);
  });

  it('keeps whole devices and drops their partitions under every naming scheme', () => {
    const names = [
      'sda',
      'sda1',
      'sda2',
      'nvme0n1',
      'nvme0n1p1',
      'nvme0n10',
      'mmcblk0',
      'mmcblk0p1',
      'dm-0',
      'dm-1',
      'dm-10',
      'md0',
      'md0p1',
      'md10',
      'ram0',
      'sr0',
    ];
    const disks = new Map(names.map((n) => [n, counters({})]));
    expect([...selectMonitoredDisks(disks).keys()]).toEqual(['sda', 'nvme0n1', 'nvme0n10', 'mmcblk0', 'dm-0', 'dm-1', 'dm-10', 'md0', 'md10', 'sr0']);
  });
});

describe('diskIoPoints', () => {
  const pointValue = (points: ReturnType<typeof diskIoPoints>, name: string) => points.find((p) => p.name === name)?.v;

  it('turns two real readings 4.59 s apart into rates (300 MiB written then read)', () => {
    const before = selectMonitoredDisks(parseDiskstats(fixture('vm/proc/diskstats')));
    const after = selectMonitoredDisks(parseDiskstats(fixture('vm-later/proc/diskstats')));
    const points = diskIoPoints(before, after, 4.59, 2);
    expect(points.every((p) => p.labels?.device === 'vda' && p.t === 2)).toBe(true);
    expect(pointValue(points, 'disk.reads_per_s')).toBeCloseTo(393 / 4.59, 10);
    expect(pointValue(points, 'disk.writes_per_s')).toBeCloseTo(301 / 4.59, 10);
    expect(pointValue(points, 'disk.read_bytes_per_s')).toBeCloseTo((615728 * 512) / 4.59, 6);
    expect(pointValue(points, 'disk.write_bytes_per_s')).toBeCloseTo((614408 * 512) / 4.59, 6);
    expect(pointValue(points, 'disk.util_pct')).toBeCloseTo((540 / 4590) * 100, 10);
  });

  it('skips only the counter that went backwards', () => {
    const prev = new Map([['sda', counters({ reads: 2 ** 32 - 5, writes: 10 })]]);
    const cur = new Map([['sda', counters({ reads: 3, writes: 20 })]]);
    const points = diskIoPoints(prev, cur, 1, 0);
    expect(pointValue(points, 'disk.reads_per_s')).toBeUndefined();
    expect(pointValue(points, 'disk.writes_per_s')).toBe(10);
    expect(points.every((p) => p.v >= 0)).toBe(true);
  });

  it('caps util at 100 % and waits for a second reading of a new device', () => {
    const prev = new Map([['sda', counters({ ioTicksMs: 0 })]]);
    const cur = new Map([
      ['sda', counters({ ioTicksMs: 1010 })],
      ['sdb', counters({ ioTicksMs: 5 })],
    ]);
    const points = diskIoPoints(prev, cur, 1, 0);
    expect(pointValue(points, 'disk.util_pct')).toBe(100);
    expect(points.some((p) => p.labels?.device === 'sdb')).toBe(false);
  });
});
