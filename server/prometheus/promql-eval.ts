/**
 * Evaluates a parsed PromQL expression at one instant over series already loaded from the store.
 * Pure: the engine (promql-engine.ts) loads each selector's series once and calls this per step.
 *
 * A loaded series is raw points (stepMs 0) or rollup buckets (stepMs > 0) as the store answered them:
 * a bucket counts as a sample stamped at its start, as GET /api/v1/series/query shows it, with its
 * min, max, mean and count; a window shorter than one bucket is widened to one bucket.
 */
import { counterIncrease, firstAfter } from '../store/series/counter-rate.js';
import type { Labels } from '../../protocol/messages.js';
import { badData, COMPARISONS, type BinaryOp, type Expr } from './promql-parse.js';

/** How far back an instant selector looks for the latest sample (Prometheus' default). */
export const LOOKBACK_MS = 5 * 60_000;

export interface LoadedSeries {
  /** Prometheus labels, `__name__` included. */
  labels: Labels;
  /** 0 for raw points; else the width of the buckets. */
  stepMs: number;
  t: number[];
  avg: number[];
  min: number[];
  max: number[];
  count: number[];
  /** Bucketed series read by rate functions: the store's counter rate (per second) of each bucket. */
  rates?: { t: number[]; v: number[] };
}

/** The series each selector or range function of the expression reads. */
export type LoadedData = Map<Expr, LoadedSeries[]>;

export interface Sample {
  labels: Labels;
  v: number;
}
export type Value = { kind: 'scalar'; v: number } | { kind: 'vector'; samples: Sample[] };

export function evaluate(expr: Expr, at: number, data: LoadedData): Value {
  switch (expr.kind) {
    case 'number':
      return { kind: 'scalar', v: expr.value };
    case 'selector':
      return { kind: 'vector', samples: latest(data.get(expr) ?? [], at) };
    case 'call':
      return { kind: 'vector', samples: overRange(expr.fn, expr.rangeMs, data.get(expr) ?? [], at) };
    case 'negate': {
      const v = evaluate(expr.expr, at, data);
      return v.kind === 'scalar' ? { kind: 'scalar', v: -v.v } : { kind: 'vector', samples: v.samples.map((s) => ({ labels: dropName(s.labels), v: -s.v })) };
    }
    case 'aggregate':
      return { kind: 'vector', samples: aggregate(expr, at, data) };
    case 'binary':
      return binary(expr.op, expr.bool, evaluate(expr.lhs, at, data), evaluate(expr.rhs, at, data));
  }
}

function latest(series: readonly LoadedSeries[], at: number): Sample[] {
  const out: Sample[] = [];
  for (const s of series) {
    const i = firstAfter(s.t, at) - 1;
    if (i >= 0 && s.t[i] > at - Math.max(LOOKBACK_MS, s.stepMs)) out.push({ labels: s.labels, v: s.avg[i] });
  }
  return out;
}

function overRange(fn: Extract<Expr, { kind: 'call' }>['fn'], rangeMs: number, series: readonly LoadedSeries[], at: number): Sample[] {
  const out: Sample[] = [];
  for (const s of series) {
    const from = at - Math.max(rangeMs, s.stepMs);
    const v = fn === 'rate' || fn === 'irate' || fn === 'increase' ? counterFn(fn, s, from, at) : bucketFn(fn, s, firstAfter(s.t, from), firstAfter(s.t, at));
    if (v !== undefined) out.push({ labels: dropName(s.labels), v });
  }
  return out;
}

/**
 * Counter functions by the AutoWatch counter rule (store/series/counter-rate.ts): no extrapolation;
 * the window's baseline is the last sample at or before its start; a drop is a reset from 0.
 * On buckets, from the store's per-bucket rates: rate is their mean, increase their sum over time.
 */
function counterFn(fn: 'rate' | 'irate' | 'increase', s: LoadedSeries, from: number, to: number): number | undefined {
  if (s.stepMs > 0) {
    const r = s.rates ?? { t: [], v: [] };
    const lo = firstAfter(r.t, from);
    const hi = firstAfter(r.t, to);
    if (hi <= lo) return undefined;
    if (fn === 'irate') return r.v[hi - 1];
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += r.v[i];
    return fn === 'rate' ? sum / (hi - lo) : (sum * s.stepMs) / 1000;
  }
  if (fn === 'irate') {
    const hi = firstAfter(s.t, to);
    if (hi - 2 < firstAfter(s.t, from)) return undefined;
    const prev = s.avg[hi - 2];
    const x = s.avg[hi - 1];
    return ((x >= prev ? x - prev : x) * 1000) / (s.t[hi - 1] - s.t[hi - 2]);
  }
  const inc = counterIncrease({ t: s.t, v: s.avg }, { from, to });
  if (!inc) return undefined;
  return fn === 'increase' ? inc.increase : (inc.increase * 1000) / (inc.toT - inc.fromT);
}

/** *_over_time over samples [lo, hi): exact from buckets too, through their min, max, sum and count. */
function bucketFn(fn: string, s: LoadedSeries, lo: number, hi: number): number | undefined {
  if (hi <= lo) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (let i = lo; i < hi; i++) {
    min = Math.min(min, s.min[i]);
    max = Math.max(max, s.max[i]);
    sum += s.avg[i] * s.count[i];
    count += s.count[i];
  }
  switch (fn) {
    case 'min_over_time':
      return min;
    case 'max_over_time':
      return max;
    case 'sum_over_time':
      return sum;
    case 'count_over_time':
      return count;
    case 'avg_over_time':
      return sum / count;
    default:
      // last_over_time: a bucket keeps no last value in its answer; its mean stands for it.
      return s.avg[hi - 1];
  }
}

function dropName(labels: Labels): Labels {
  if (!('__name__' in labels)) return labels;
  const { __name__: _, ...rest } = labels;
  return rest;
}

/** Labels as one string, for grouping and matching. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

function aggregate(expr: Extract<Expr, { kind: 'aggregate' }>, at: number, data: LoadedData): Sample[] {
  const inner = evaluate(expr.expr, at, data);
  if (inner.kind !== 'vector') throw badData(`${expr.op} expects a vector, got a scalar`);
  const g = expr.grouping;
  const groupLabels = (l: Labels): Labels => {
    const out: Labels = {};
    if (g && !g.without) {
      for (const k of g.labels) if (l[k] !== undefined) out[k] = l[k];
      return out;
    }
    for (const [k, v] of Object.entries(l)) if (k !== '__name__' && !g?.labels.includes(k)) out[k] = v;
    return g ? out : {};
  };
  const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
  for (const s of inner.samples) {
    const labels = groupLabels(s.labels);
    const key = labelsKey(labels);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels, samples: [] }));
    group.samples.push(s);
  }
  if (expr.op === 'topk' || expr.op === 'bottomk') {
    const k = evaluate(expr.param!, at, data);
    if (k.kind !== 'scalar') throw badData(`${expr.op}'s first argument must be a number`);
    const n = Math.floor(k.v);
    const sign = expr.op === 'topk' ? -1 : 1;
    return [...groups.values()].flatMap((grp) => [...grp.samples].sort((a, b) => sign * (a.v - b.v)).slice(0, Math.max(0, n)));
  }
  const op = expr.op;
  return [...groups.values()].map(({ labels, samples }) => {
    const vs = samples.map((s) => s.v);
    const sum = vs.reduce((a, b) => a + b, 0);
    const v = { sum, avg: sum / vs.length, min: Math.min(...vs), max: Math.max(...vs), count: vs.length }[op];
    return { labels, v };
  });
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '^': (a, b) => a ** b,
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
  '>': (a, b) => Number(a > b),
  '<': (a, b) => Number(a < b),
  '>=': (a, b) => Number(a >= b),
  '<=': (a, b) => Number(a <= b),
};

/**
 * Prometheus' rules: arithmetic drops the metric name; a comparison filters, keeping the left side's
 * sample (name and all), unless `bool` asks for 0/1; two vectors match one to one on all labels
 * but the name.
 */
function binary(op: BinaryOp, bool: boolean, lhs: Value, rhs: Value): Value {
  const f = ARITH[op];
  const comparison = (COMPARISONS as readonly string[]).includes(op);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    if (comparison && !bool) throw badData('comparisons between scalars must use the bool modifier');
    return { kind: 'scalar', v: f(lhs.v, rhs.v) };
  }
  const result = (labels: Labels, a: number, b: number, kept: number): Sample | undefined => {
    const x = f(a, b);
    if (!comparison) return { labels: dropName(labels), v: x };
    if (bool) return { labels: dropName(labels), v: x };
    return x ? { labels, v: kept } : undefined;
  };
  const out: Sample[] = [];
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') {
    for (const s of lhs.samples) pushIf(out, result(s.labels, s.v, rhs.v, s.v));
  } else if (lhs.kind === 'scalar' && rhs.kind === 'vector') {
    for (const s of rhs.samples) pushIf(out, result(s.labels, lhs.v, s.v, s.v));
  } else if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    const right = new Map<string, Sample>();
    for (const s of rhs.samples) {
      const key = labelsKey(dropName(s.labels));
      if (right.has(key))
        throw badData(`found duplicate series for the match group ${key} on the right hand-side of the operation; aggregate first (e.g. sum by (...))`);
      right.set(key, s);
    }
    const seen = new Set<string>();
    for (const s of lhs.samples) {
      const key = labelsKey(dropName(s.labels));
      const r = right.get(key);
      if (!r) continue;
      if (seen.has(key))
        throw badData(`found duplicate series for the match group ${key} on the left hand-side of the operation; aggregate first (e.g. sum by (...))`);
      seen.add(key);
      pushIf(out, result(s.labels, s.v, r.v, s.v));
    }
  }
  return { kind: 'vector', samples: out };
}

function pushIf(out: Sample[], s: Sample | undefined): void {
  if (s) out.push(s);
}
