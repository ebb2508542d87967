import type { MetricPoint } from '../../../protocol/messages.js';
import { percentOf } from './counter-rate.js';
import { metricPoint } from './metric-catalog.js';

/**
 * /proc/meminfo as numbers keyed by the kernel's field names. "kB" values become bytes (the kernel's kB
 * is 1024); unit-less fields (HugePages_Total, …) stay counts.
 */
export function parseMeminfo(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([^:]+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    fields[match[1]] = match[3] ? value * 1024 : value;
  }
  return fields;
}

/** Memory figures; used follows free(1): what cannot be handed to new work without swapping. */
export function memoryPoints(meminfo: Record<string, number>, t: number): MetricPoint[] {
  const total = meminfo.MemTotal;
  if (total === undefined) return [];
  const buffers = meminfo.Buffers ?? 0;
  const cached = meminfo.Cached ?? 0;
  // Kernels before 3.14 have no MemAvailable: estimate it the way free(1) did then.
  const available = meminfo.MemAvailable ?? (meminfo.MemFree ?? 0) + buffers + cached + (meminfo.SReclaimable ?? 0);
  const used = Math.max(0, total - available);
  const points = [
    metricPoint('mem.total_bytes', t, total),
    metricPoint('mem.used_bytes', t, used),
    metricPoint('mem.available_bytes', t, available),
    metricPoint('mem.cached_bytes', t, cached),
    metricPoint('mem.buffers_bytes', t, buffers),
  ];
  const usedPct = percentOf(used, total);
  if (usedPct !== undefined) points.push(metricPoint('mem.used_pct', t, usedPct));
  return points;
}

export function swapPoints(meminfo: Record<string, number>, t: number): MetricPoint[] {
  const total = meminfo.SwapTotal;
  if (total === undefined) return [];
  const used = Math.max(0, total - (meminfo.SwapFree ?? 0));
  return [
    metricPoint('swap.total_bytes', t, total),
    metricPoint('swap.used_bytes', t, used),
    // A host without swap uses none of it: 0 keeps "swap.used_pct > 80" alerts quiet and the series whole.
    metricPoint('swap.used_pct', t, percentOf(used, total) ?? 0),
  ];
}
