import type { MetricPoint } from '../../../protocol/messages.js';
import { percentOf } from './counter-rate.js';
import { metricPoint } from './metric-catalog.js';

export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** The numbers statfs(2) gives, in blocks of blockSize bytes. */
export interface FsUsage {
  blockSize: number;
  blocks: number;
  blocksFree: number;
  /** Free blocks an unprivileged user may take (the root reserve excluded). */
  blocksAvailable: number;
  files: number;
  filesFree: number;
}

/** The kernel writes space, tab, newline and backslash in mount fields as octal escapes (\040 …). */
const unescapeMountField = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** /proc/self/mounts (fstab format): device, mount point, type, options, dump, pass. */
export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType] = line.trim().split(/\s+/);
    if (!device || !mountPoint || !fsType) continue;
    entries.push({ device: unescapeMountField(device), mountPoint: unescapeMountField(mountPoint), fsType });
  }
  return entries;
}

/** Kernel views and memory-backed mounts: their "usage" says nothing about storage. */
const PSEUDO_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'ramfs',
  'cgroup',
  'cgroup2',
  'securityfs',
  'pstore',
  'debugfs',
  'tracefs',
  'configfs',
  'fusectl',
  'mqueue',
  'hugetlbfs',
  'bpf',
  'autofs',
  'binfmt_misc',
  'rpc_pipefs',
  'nsfs',
  'efivarfs',
  'selinuxfs',
  'fuse.lxcfs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  // Read-only images (snap packages) are always 100% full; alerting on them is noise.
  'squashfs',
  'iso9660',
]);

/** statfs on a hung server blocks a libuv thread for good, so remote filesystems are not polled. */
const REMOTE_FS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ncpfs',
  'afs',
  'ceph',
  'glusterfs',
  'fuse.glusterfs',
  'fuse.sshfs',
  'fuse.s3fs',
  'lustre',
  'davfs',
  '9p',
]);

/**
 * The mounts worth a usage series. overlay is kept only at "/" (an agent in a container sees its root
 * that way); elsewhere overlay mounts are container layers that repeat the host filesystem's numbers.
 * A mount point listed twice keeps its last entry, the one that shadows the others.
 */
export function selectMonitoredMounts(entries: MountEntry[]): MountEntry[] {
  const byMountPoint = new Map<string, MountEntry>();
  for (const entry of entries) {
    if (PSEUDO_FS.has(entry.fsType) || REMOTE_FS.has(entry.fsType)) continue;
    if (entry.fsType === 'overlay' && entry.mountPoint !== '/') continue;
    byMountPoint.delete(entry.mountPoint);
    byMountPoint.set(entry.mountPoint, entry);
  }
  return [...byMountPoint.values()];
}

export function filesystemPoints(mount: MountEntry, usage: FsUsage, t: number): MetricPoint[] {
  const labels = { mount: mount.mountPoint, device: mount.device };
  const size = usage.blocks * usage.blockSize;
  const used = (usage.blocks - usage.blocksFree) * usage.blockSize;
  const free = usage.blocksAvailable * usage.blockSize;
  const inodesUsed = usage.files - usage.filesFree;
  const points = [
    metricPoint('fs.size_bytes', t, size, labels),
    metricPoint('fs.used_bytes', t, used, labels),
    metricPoint('fs.free_bytes', t, free, labels),
    // df's formula: the root reserve counts neither as used nor as free, so a full disk reads 100%.
    metricPoint('fs.used_pct', t, percentOf(used, used + free) ?? 0, labels),
    metricPoint('fs.inodes_total', t, usage.files, labels),
    metricPoint('fs.inodes_used', t, inodesUsed, labels),
  ];
  const inodesPct = percentOf(inodesUsed, usage.files);
  if (inodesPct !== undefined) points.push(metricPoint('fs.inodes_used_pct', t, inodesPct, labels));
  return points;
}
