import type { MetricPoint } from '../../../protocol/messages.js';
import { metricPoint } from './metric-catalog.js';

/** Cumulative clock ticks per state, as /proc/stat counts them since boot. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

const FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/**
 * The cpu lines of /proc/stat, keyed "total" for the aggregate line and "0", "1", … per cpu.
 * guest/guest_nice are left out: the kernel already counts them inside user/nice.
 */
export function parseProcStat(text: string): Map<string, CpuTimes> {
  const cpus = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [label, ...values] = line.trim().split(/\s+/);
    const key = label === 'cpu' ? 'total' : label.slice(3);
    const times = {} as CpuTimes;
    FIELDS.forEach((field, i) => {
      // Older kernels lack the trailing columns (steal came in 2.6.11): absent means never counted.
      times[field] = Number(values[i] ?? 0);
    });
    cpus.set(key, times);
  }
  return cpus;
}

/**
 * Percent of time per state between two readings. Only tick ratios matter, so no elapsed time is needed.
 * A cpu whose counters went backwards (hotplug, the kernel's iowait accounting on tickless idle) is
 * skipped for this interval rather than reported with a negative share.
 */
export function cpuPoints(prev: Map<string, CpuTimes>, cur: Map<string, CpuTimes>, t: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const [cpu, now] of cur) {
    const before = prev.get(cpu);
    if (!before) continue;
    const d = {} as CpuTimes;
    let total = 0;
    let wentBackwards = false;
    for (const field of FIELDS) {
      d[field] = now[field] - before[field];
      if (d[field] < 0) wentBackwards = true;
      total += d[field];
    }
    if (wentBackwards || total <= 0) continue;
    const pct = (ticks: number) => (ticks / total) * 100;
    const labels = { cpu };
    points.push(
      metricPoint('cpu.usage_pct', t, pct(total - d.idle - d.iowait), labels),
      metricPoint('cpu.user_pct', t, pct(d.user + d.nice), labels),
      metricPoint('cpu.system_pct', t, pct(d.system + d.irq + d.softirq), labels),
      metricPoint('cpu.iowait_pct', t, pct(d.iowait), labels),
      metricPoint('cpu.steal_pct', t, pct(d.steal), labels),
    );
  }
  return points;
}
