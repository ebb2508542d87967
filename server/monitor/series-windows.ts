/**
 * Recent points of one host's series, only for the metrics its triggers read, only as far back
 * as the widest window asks (two points kept at least, for last() and change()). Memory stays
 * proportional to what triggers need, not to what agents send.
 */
import type { Labels, MetricPoint } from '../../protocol/messages.js';
import type { PointSource, SeriesWindow } from './trigger-evaluate.js';

const labelKey = (labels: Labels | undefined): string => {
  if (!labels) return '';
  const keys = Object.keys(labels);
  if (!keys.length) return '';
  keys.sort();
  let out = '';
  for (const k of keys) out += `${k}=${labels[k]}\u0000`;
  return out;
};

export class HostSeries implements PointSource {
  private readonly byMetric = new Map<string, { keep: number; series: Map<string, SeriesWindow>; list: SeriesWindow[] }>();

  /** Keep points of `metric` for `windowMs` (the widest any trigger of this host reads). */
  want(metric: string, windowMs: number): void {
    const m = this.byMetric.get(metric);
    if (m) m.keep = Math.max(m.keep, windowMs);
    else this.byMetric.set(metric, { keep: windowMs, series: new Map(), list: [] });
  }

  wants(metric: string): boolean {
    return this.byMetric.has(metric);
  }

  metrics(): IterableIterator<string> {
    return this.byMetric.keys();
  }

  /** Adds a point if a trigger reads its metric; false otherwise. Out-of-order points are placed in order. */
  add(p: MetricPoint): boolean {
    const m = this.byMetric.get(p.name);
    if (!m) return false;
    const key = labelKey(p.labels);
    let s = m.series.get(key);
    if (!s) {
      s = { labels: p.labels ?? {}, ts: [], vs: [] };
      m.series.set(key, s);
      m.list.push(s);
    }
    let i = s.ts.length;
    while (i > 0 && s.ts[i - 1] > p.t) i--;
    if (i > 0 && s.ts[i - 1] === p.t) s.vs[i - 1] = p.v;
    else if (i === s.ts.length) {
      s.ts.push(p.t);
      s.vs.push(p.v);
    } else {
      s.ts.splice(i, 0, p.t);
      s.vs.splice(i, 0, p.v);
    }
    this.trim(s, m.keep, p.t);
    return true;
  }

  series(metric: string): readonly SeriesWindow[] | undefined {
    return this.byMetric.get(metric)?.list;
  }

  private trim(s: SeriesWindow, keep: number, newest: number): void {
    const from = newest - keep;
    let drop = 0;
    while (drop < s.ts.length - 2 && s.ts[drop] <= from) drop++;
    // Splice in chunks so a long window does not shift its array on every point.
    if (drop > 32 || (drop > 0 && drop * 4 > s.ts.length)) {
      s.ts.splice(0, drop);
      s.vs.splice(0, drop);
    }
  }
}
