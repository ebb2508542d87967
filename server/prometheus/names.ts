/**
 * How AutoWatch series look to Prometheus clients. Metric names may hold `.` and `-`, which PromQL
 * names cannot: both become `_` (`cpu.usage_pct` → `cpu_usage_pct`; `:` is kept). The way back is
 * not computed but looked up: the catalogue maps each stored name forward and keeps the ones that
 * match, so every stored name stays reachable. Two stored names that map to one Prometheus name
 * (`disk.used` and `disk_used`) are told apart by the label `aw_metric`, the stored name.
 *
 * The host is two labels: `host` (its hostname, from the hosts table) and `host_id`. A series label
 * that would clash with those, with `aw_metric`, or use Prometheus' reserved `__` prefix is shown as
 * `exported_<name>`, as Prometheus itself does with clashing target labels.
 */
import type { Labels } from '../../protocol/messages.js';

export const promMetricName = (name: string): string => name.replace(/[.-]/g, '_');

const OURS = new Set(['host', 'host_id', 'aw_metric']);

export const promLabelName = (key: string): string => (OURS.has(key) || key.startsWith('__') ? `exported_${key}` : key);

export interface SeriesOwner {
  hostId: string;
  hostname: string | undefined;
  name: string;
  labels: Labels;
  /** More than one stored name maps to this series' Prometheus name. */
  nameShared: boolean;
}

/** The Prometheus label set of a stored series, `__name__` included. */
export function promLabels(s: SeriesOwner): Labels {
  const out: Labels = { __name__: promMetricName(s.name) };
  if (s.hostname !== undefined) out.host = s.hostname;
  out.host_id = s.hostId;
  if (s.nameShared) out.aw_metric = s.name;
  for (const [k, v] of Object.entries(s.labels)) out[promLabelName(k)] = v;
  return out;
}
