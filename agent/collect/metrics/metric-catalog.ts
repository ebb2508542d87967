import type { Labels, MetricPoint } from '../../../protocol/messages.js';

export interface MetricSpec {
  unit: 'percent' | 'bytes' | 'bytes/s' | 'ops/s' | 'packets/s' | 'count' | 'seconds' | 'load';
  /** Label keys every point of this metric carries. */
  labels: readonly string[];
  help: string;
}

/**
 * Every metric the built-in collectors emit. One table so the docs and the server's metric picker are
 * generated from the same list the code is type-checked against (metricPoint only accepts these names).
 */
export const METRIC_CATALOG = {
  'cpu.usage_pct': { unit: 'percent', labels: ['cpu'], help: 'Busy time: 100 minus idle and iowait. cpu is "total" or the cpu number.' },
  'cpu.user_pct': { unit: 'percent', labels: ['cpu'], help: 'User-space time, nice included.' },
  'cpu.system_pct': { unit: 'percent', labels: ['cpu'], help: 'Kernel time, hard and soft interrupts included.' },
  'cpu.iowait_pct': { unit: 'percent', labels: ['cpu'], help: 'Idle time with I/O outstanding.' },
  'cpu.steal_pct': { unit: 'percent', labels: ['cpu'], help: 'Time the hypervisor gave to other guests.' },

  'mem.total_bytes': { unit: 'bytes', labels: [], help: 'Memory the kernel can use (MemTotal).' },
  'mem.used_bytes': { unit: 'bytes', labels: [], help: 'Total minus available, as free(1) reports it.' },
  'mem.available_bytes': { unit: 'bytes', labels: [], help: 'Memory available for new work without swapping (MemAvailable).' },
  'mem.cached_bytes': { unit: 'bytes', labels: [], help: 'Page cache (Cached).' },
  'mem.buffers_bytes': { unit: 'bytes', labels: [], help: 'Block device buffers (Buffers).' },
  'mem.used_pct': { unit: 'percent', labels: [], help: 'used_bytes / total_bytes.' },

  'swap.total_bytes': { unit: 'bytes', labels: [], help: 'Swap space configured.' },
  'swap.used_bytes': { unit: 'bytes', labels: [], help: 'Swap total minus swap free.' },
  'swap.used_pct': { unit: 'percent', labels: [], help: 'used / total; 0 when there is no swap.' },

  'system.load1': { unit: 'load', labels: [], help: 'Load average over 1 minute.' },
  'system.load5': { unit: 'load', labels: [], help: 'Load average over 5 minutes.' },
  'system.load15': { unit: 'load', labels: [], help: 'Load average over 15 minutes.' },
  'system.uptime_s': { unit: 'seconds', labels: [], help: 'Seconds since boot.' },

  'fs.size_bytes': { unit: 'bytes', labels: ['mount', 'device'], help: 'Filesystem size.' },
  'fs.used_bytes': { unit: 'bytes', labels: ['mount', 'device'], help: 'Size minus free blocks.' },
  'fs.free_bytes': { unit: 'bytes', labels: ['mount', 'device'], help: 'Space available to unprivileged users (root reserve excluded).' },
  'fs.used_pct': { unit: 'percent', labels: ['mount', 'device'], help: 'used / (used + free), as df(1) computes it.' },
  'fs.inodes_total': { unit: 'count', labels: ['mount', 'device'], help: 'Inodes; 0 on filesystems without a fixed inode table.' },
  'fs.inodes_used': { unit: 'count', labels: ['mount', 'device'], help: 'Inodes in use.' },
  'fs.inodes_used_pct': { unit: 'percent', labels: ['mount', 'device'], help: 'inodes_used / inodes_total; absent when inodes_total is 0.' },

  'disk.reads_per_s': { unit: 'ops/s', labels: ['device'], help: 'Completed reads per second.' },
  'disk.writes_per_s': { unit: 'ops/s', labels: ['device'], help: 'Completed writes per second.' },
  'disk.read_bytes_per_s': { unit: 'bytes/s', labels: ['device'], help: 'Bytes read per second.' },
  'disk.write_bytes_per_s': { unit: 'bytes/s', labels: ['device'], help: 'Bytes written per second.' },
  'disk.util_pct': { unit: 'percent', labels: ['device'], help: 'Share of wall time the device had I/O in flight (iostat %util).' },

  'net.rx_bytes_per_s': { unit: 'bytes/s', labels: ['iface'], help: 'Bytes received per second.' },
  'net.tx_bytes_per_s': { unit: 'bytes/s', labels: ['iface'], help: 'Bytes sent per second.' },
  'net.rx_packets_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Packets received per second.' },
  'net.tx_packets_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Packets sent per second.' },
  'net.rx_errors_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Receive errors per second.' },
  'net.tx_errors_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Transmit errors per second.' },
  'net.rx_drops_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Received packets dropped per second.' },
  'net.tx_drops_per_s': { unit: 'packets/s', labels: ['iface'], help: 'Outgoing packets dropped per second.' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRIC_CATALOG;

export function metricPoint(name: MetricName, t: number, v: number, labels?: Labels): MetricPoint {
  return labels ? { name, labels, t, v } : { name, t, v };
}
