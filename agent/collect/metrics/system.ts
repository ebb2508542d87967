import type { MetricPoint } from '../../../protocol/messages.js';
import { metricPoint } from './metric-catalog.js';

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
}

/** /proc/loadavg: "0.61 0.24 0.08 1/136 13163"; only the three averages matter here. */
export function parseLoadavg(text: string): LoadAverage | undefined {
  const fields = text.trim().split(/\s+/).slice(0, 3);
  if (fields.length < 3 || !fields.every(isDecimal)) return undefined;
  const [load1, load5, load15] = fields.map(Number);
  return { load1, load5, load15 };
}

/** /proc/uptime: "9741.40 19208.25"; the first figure is seconds since boot. */
export function parseUptime(text: string): number | undefined {
  const field = text.trim().split(/\s+/)[0];
  return isDecimal(field) ? Number(field) : undefined;
}

// Number('') is 0, so an empty or truncated file must be caught before conversion.
const isDecimal = (field: string) => /^\d+(\.\d+)?$/.test(field);

export function loadPoints(load: LoadAverage, t: number): MetricPoint[] {
  return [metricPoint('system.load1', t, load.load1), metricPoint('system.load5', t, load.load5), metricPoint('system.load15', t, load.load15)];
}

export function uptimePoints(uptimeS: number, t: number): MetricPoint[] {
  return [metricPoint('system.uptime_s', t, uptimeS)];
}
