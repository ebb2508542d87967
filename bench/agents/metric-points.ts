/**
 * What a simulated agent reports: the series a Linux host agent collects (cpu, memory, file
 * systems, network, disks, load), then per-CPU and per-process series when a frame asks for more.
 * Label objects are shared between frames: only t and v change.
 */
import type { Labels, MetricPoint } from '../../protocol/messages.js';

interface SeriesShape {
  name: string;
  labels?: Labels;
  /** Typical magnitude, so values look like what they name. */
  scale: number;
}

const HOST_SERIES: SeriesShape[] = [
  { name: 'cpu.usage_pct', labels: { cpu: 'total' }, scale: 100 },
  { name: 'cpu.iowait_pct', labels: { cpu: 'total' }, scale: 10 },
  { name: 'mem.used_bytes', scale: 8e9 },
  { name: 'mem.available_bytes', scale: 8e9 },
  { name: 'mem.swap_used_bytes', scale: 1e8 },
  { name: 'fs.used_pct', labels: { mount: '/' }, scale: 100 },
  { name: 'fs.used_bytes', labels: { mount: '/' }, scale: 5e10 },
  { name: 'fs.used_pct', labels: { mount: '/var' }, scale: 100 },
  { name: 'fs.inodes_used_pct', labels: { mount: '/' }, scale: 100 },
  { name: 'net.rx_bytes', labels: { iface: 'eth0' }, scale: 1e12 },
  { name: 'net.tx_bytes', labels: { iface: 'eth0' }, scale: 1e12 },
  { name: 'net.rx_errors', labels: { iface: 'eth0' }, scale: 10 },
  { name: 'disk.read_bytes', labels: { device: 'sda' }, scale: 1e11 },
  { name: 'disk.write_bytes', labels: { device: 'sda' }, scale: 1e11 },
  { name: 'disk.io_time_ms', labels: { device: 'sda' }, scale: 1e7 },
  { name: 'load.1m', scale: 4 },
  { name: 'load.5m', scale: 4 },
  { name: 'load.15m', scale: 4 },
  { name: 'proc.count', scale: 400 },
  { name: 'system.uptime_s', scale: 1e7 },
];

/** Series number i: the host series first, then per-CPU, then per-process ones. */
function shapeOf(i: number): SeriesShape {
  if (i < HOST_SERIES.length) return HOST_SERIES[i];
  const k = i - HOST_SERIES.length;
  if (k < 64) return { name: 'cpu.usage_pct', labels: { cpu: String(k) }, scale: 100 };
  return { name: 'proc.rss_bytes', labels: { process: `worker-${k - 64}` }, scale: 1e9 };
}

/** Makes frames of `count` points for one agent. */
export class MetricFrameMaker {
  private readonly shapes: SeriesShape[];

  constructor(count: number) {
    this.shapes = Array.from({ length: count }, (_, i) => shapeOf(i));
  }

  points(t: number): MetricPoint[] {
    const out = new Array<MetricPoint>(this.shapes.length);
    for (let i = 0; i < this.shapes.length; i++) {
      const s = this.shapes[i];
      const v = Math.round(Math.random() * s.scale * 100) / 100;
      out[i] = s.labels ? { name: s.name, labels: s.labels, t, v } : { name: s.name, t, v };
    }
    return out;
  }
}
