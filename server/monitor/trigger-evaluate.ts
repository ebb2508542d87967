/**
 * Pure trigger evaluation: an expression over a host's recent points gives true, false or
 * undefined (not enough data to say), and a trigger's state moves on that. No I/O, no clock:
 * `now` comes in, so the same inputs always give the same answer.
 */
import type { Labels } from '../../protocol/messages.js';
import type { CompareOp, Selector, TriggerExpr } from './trigger-expression.js';

/** Recent points of one series, oldest first. */
export interface SeriesWindow {
  labels: Labels;
  ts: number[];
  vs: number[];
}

/** Where an evaluation reads a host's points: every series of a metric whose labels include the selector's. */
export interface PointSource {
  series(metric: string): readonly SeriesWindow[] | undefined;
}

export type Truth = boolean | undefined;

export const SEVERITIES = ['info', 'warning', 'average', 'high', 'disaster'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

function matches(labels: Labels, want: Labels | undefined): boolean {
  if (!want) return true;
  for (const k in want) if (labels[k] !== want[k]) return false;
  return true;
}

function compare(v: number, op: CompareOp, t: number): boolean {
  switch (op) {
    case '>':
      return v > t;
    case '>=':
      return v >= t;
    case '<':
      return v < t;
    case '<=':
      return v <= t;
    case '==':
      return v === t;
    case '!=':
      return v !== t;
  }
}

/** First index with ts[i] > from (binary search: windows are sorted by time). */
function firstAfter(ts: number[], from: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] > from) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The value a function gives over the selected series, or undefined without data. With several
 * matching series, last/change follow the newest point and avg/min/max/count take all points.
 */
export function functionValue(
  fn: 'last' | 'avg' | 'min' | 'max' | 'count' | 'change',
  sel: Selector,
  windowMs: number,
  src: PointSource,
  now: number,
): number | undefined {
  const all = src.series(sel.metric);
  const from = now - windowMs;
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let lastT = -Infinity;
  let last = NaN;
  let prev = NaN;
  let firstT = Infinity;
  let first = NaN;
  if (all) {
    for (const s of all) {
      if (!matches(s.labels, sel.labels) || !s.ts.length) continue;
      const end = s.ts.length - 1;
      if (s.ts[end] > lastT) {
        lastT = s.ts[end];
        last = s.vs[end];
        prev = end > 0 ? s.vs[end - 1] : NaN;
      }
      if (fn === 'last') continue;
      if (fn === 'change' && !windowMs) continue;
      for (let i = firstAfter(s.ts, from); i <= end; i++) {
        const v = s.vs[i];
        n++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        if (s.ts[i] < firstT) {
          firstT = s.ts[i];
          first = v;
        }
      }
    }
  }
  switch (fn) {
    case 'last':
      return lastT === -Infinity ? undefined : last;
    case 'count':
      return n;
    case 'avg':
      return n ? sum / n : undefined;
    case 'min':
      return n ? min : undefined;
    case 'max':
      return n ? max : undefined;
    case 'change':
      if (!windowMs) return Number.isNaN(prev) ? undefined : last - prev;
      return n >= 2 ? last - first : undefined;
  }
}

/** True when no matching point lies within the window. */
export function noData(sel: Selector, windowMs: number, src: PointSource, now: number): boolean {
  const all = src.series(sel.metric);
  if (!all) return true;
  const from = now - windowMs;
  for (const s of all) if (matches(s.labels, sel.labels) && s.ts.length && s.ts[s.ts.length - 1] > from) return false;
  return true;
}

/** Three-valued logic: `and` is false if any part is false, `or` true if any part is true, else unknown wins. */
export function evaluate(expr: TriggerExpr, src: PointSource, now: number): Truth {
  switch (expr.kind) {
    case 'cmp': {
      const v = functionValue(expr.fn, expr.sel, expr.windowMs, src, now);
      return v === undefined ? undefined : compare(v, expr.op, expr.threshold);
    }
    case 'nodata':
      return noData(expr.sel, expr.windowMs, src, now);
    case 'and': {
      let unknown = false;
      for (const a of expr.args) {
        const r = evaluate(a, src, now);
        if (r === false) return false;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : true;
    }
    case 'or': {
      let unknown = false;
      for (const a of expr.args) {
        const r = evaluate(a, src, now);
        if (r === true) return true;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : false;
    }
  }
}

export type TriggerState = 'ok' | 'problem';

/**
 * One step of a trigger: OK turns PROBLEM when the problem expression is true. PROBLEM turns OK when
 * the recovery expression is true, or, without one, when the problem expression is false (hysteresis:
 * e.g. problem at > 90, recovery at < 80). Unknown never changes the state.
 */
export function nextState(state: TriggerState, problem: Truth, recovery: Truth | null): TriggerState {
  if (state === 'ok') return problem === true ? 'problem' : 'ok';
  if (recovery === null) return problem === false ? 'ok' : 'problem';
  return recovery === true ? 'ok' : 'problem';
}

/** The first number an expression compares against, for problem messages ("value 3 >= 2"). */
export function firstValue(expr: TriggerExpr, src: PointSource, now: number): number | undefined {
  if (expr.kind === 'cmp') return functionValue(expr.fn, expr.sel, expr.windowMs, src, now);
  if (expr.kind === 'nodata') return undefined;
  for (const a of expr.args) {
    const v = firstValue(a, src, now);
    if (v !== undefined) return v;
  }
  return undefined;
}
