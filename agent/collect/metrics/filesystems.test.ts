import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { filesystemPoints, parseMounts, selectMonitoredMounts } from './filesystems.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

describe('parseMounts', () => {
  it("reads every line of this machine's /proc/self/mounts", () => {
    const mounts = parseMounts(fixture('vm/proc/self/mounts'));
    expect(mounts).toHaveLength(20);
    expect(mounts[0]).toEqual({ device: 'proc', mountPoint: '/proc', fsType: 'proc' });
    expect(mounts).toContainEqual({ device: '/dev/vda', mountPoint: '/', fsType: 'ext4' });
  });

  it('decodes the octal escapes the kernel uses for spaces', () => {
    expect(parseMounts('/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n')).toEqual([{ device: '/dev/sdb1', mountPoint: '/mnt/my disk', fsType: 'ext4' }]);
  });
});

describe('selectMonitoredMounts', () => {
  it('keeps only the real filesystem of this machine', () => {
    expect(selectMonitoredMounts(parseMounts(fixture('vm/proc/self/mounts')))).toEqual([{ device: '/dev/vda', mountPoint: '/', fsType: 'ext4' }]);
  });

  it('keeps overlay only as the root, drops remote and read-only image filesystems', () => {
    const mounts = parseMounts(
      [
        'overlay / overlay rw 0 0',
        'overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0',
        'nas:/export /mnt/nas nfs4 rw 0 0',
        '/dev/loop3 /snap/core/123 squashfs ro 0 0',
        '/dev/mapper/vg-data /data xfs rw 0 0',
        'rpool/home /home zfs rw 0 0',
      ].join('\n'),
    );
    expect(selectMonitoredMounts(mounts).map((m) => m.mountPoint)).toEqual(['/', '/data', '/home']);
  });

  it('keeps the last entry of a mount point mounted over', () => {
    const mounts = parseMounts('/dev/sda1 /srv ext4 rw 0 0\n/dev/sdb1 /srv xfs rw 0 0\n');
    expect(selectMonitoredMounts(mounts)).toEqual([{ device: '/dev/sdb1', mountPoint: '/srv', fsType: 'xfs' }]);
  });
});

describe('filesystemPoints', () => {
  const mount = { device: '/dev/vda', mountPoint: '/', fsType: 'ext4' };
  const labels = { mount: '/', device: '/dev/vda' };

  it('computes sizes in bytes and used % the way df does', () => {
    const usage = { blockSize: 4096, blocks: 1000, blocksFree: 300, blocksAvailable: 250, files: 100, filesFree: 40 };
    expect(filesystemPoints(mount, usage, 9)).toEqual([
      { name: 'fs.size_bytes', labels, t: 9, v: 1000 * 4096 },
      { name: 'fs.used_bytes', labels, t: 9, v: 700 * 4096 },
      { name: 'fs.free_bytes', labels, t: 9, v: 250 * 4096 },
      { name: 'fs.used_pct', labels, t: 9, v: (700 / 950) * 100 },
      { name: 'fs.inodes_total', labels, t: 9, v: 100 },
      { name: 'fs.inodes_used', labels, t: 9, v: 60 },
      { name: 'fs.inodes_used_pct', labels, t: 9, v: 60 },
    ]);
  });

  it('leaves out the inode share on filesystems without an inode table', () => {
    const usage = { blockSize: 4096, blocks: 10, blocksFree: 5, blocksAvailable: 5, files: 0, filesFree: 0 };
    const names = filesystemPoints(mount, usage, 0).map((p) => p.name);
    expect(names).not.toContain('fs.inodes_used_pct');
    expect(names).toContain('fs.inodes_total');
  });
});
