/**
 * Runs PromQL over the metric store: parse, load each selector's series once (the store picks the
 * storage tier), evaluate at each step, and shape the answer as Prometheus' query API does.
 *
 * Tier use: a range query reads the coarsest rollup tier whose buckets are no wider than its step
 * (a 30-day graph at a 1 h step reads 1 h buckets) and raw points when they are no more numerous
 * than that; an instant query reads the finest tier that answers in at most MAX_POINTS per series.
 */
import type { Labels } from '../../protocol/messages.js';
import type { MetricReader } from '../ingest/metric-reader.js';
import type { SeriesResult } from '../store/metric-store.js';
import { seriesKey } from '../store/series/series-rules.js';
import { bucketsTouched, type Tier } from '../store/series/tiers.js';
import { badData, parsePromQL, type Expr } from './promql-parse.js';
import { evaluate, labelsKey, LOOKBACK_MS, type LoadedData, type LoadedSeries, type Value } from './promql-eval.js';
import { compareLabels, type CatalogSeries, type SeriesCatalog } from './series-catalog.js';

/** Most points per series read from the store for one selector. */
export const MAX_POINTS = 50_000;
/** Prometheus refuses range queries of more steps than this; so does AutoWatch. */
export const MAX_STEPS = 11_000;

export interface EngineDeps {
  metrics: MetricReader;
  catalog: SeriesCatalog;
  tiers: readonly Tier[];
}

type PromSample = [number, string];
export type QueryData =
  | { resultType: 'scalar'; result: PromSample }
  | { resultType: 'vector'; result: Array<{ metric: Labels; value: PromSample }> }
  | { resultType: 'matrix'; result: Array<{ metric: Labels; values: PromSample[] }> };

export async function instantQuery(deps: EngineDeps, text: string, at: number): Promise<QueryData> {
  const expr = parsePromQL(text);
  const data = await load(deps, expr, at, at, undefined);
  const v = evaluate(expr, at, data);
  if (v.kind === 'scalar') return { resultType: 'scalar', result: [at / 1000, formatValue(v.v)] };
  return {
    resultType: 'vector',
    result: [...v.samples].sort((a, b) => compareLabels(a.labels, b.labels)).map((s) => ({ metric: s.labels, value: [at / 1000, formatValue(s.v)] })),
  };
}

export async function rangeQuery(deps: EngineDeps, text: string, start: number, end: number, stepMs: number): Promise<QueryData> {
  if (end < start) throw badData('end timestamp must not be before start time');
  if (stepMs <= 0) throw badData('zero or negative query resolution step widths are not accepted. Try a positive integer');
  if ((end - start) / stepMs > MAX_STEPS) {
    throw badData(`exceeded maximum resolution of ${MAX_STEPS} points per timeseries. Try decreasing the query resolution (?step=XX)`);
  }
  const expr = parsePromQL(text);
  const data = await load(deps, expr, start, end, stepMs);
  const series = new Map<string, { metric: Labels; values: PromSample[] }>();
  for (let at = start; at <= end; at += stepMs) {
    const v: Value = evaluate(expr, at, data);
    const samples = v.kind === 'scalar' ? [{ labels: {}, v: v.v }] : v.samples;
    for (const s of samples) {
      const key = labelsKey(s.labels);
      let out = series.get(key);
      if (!out) series.set(key, (out = { metric: s.labels, values: [] }));
      out.values.push([at / 1000, formatValue(s.v)]);
    }
  }
  return { resultType: 'matrix', result: [...series.values()].sort((a, b) => compareLabels(a.metric, b.metric)) };
}

/** Loads the series of every selector and range function in the expression. */
async function load(deps: EngineDeps, expr: Expr, start: number, end: number, stepMs: number | undefined): Promise<LoadedData> {
  const data: LoadedData = new Map();
  const leaves: Array<Extract<Expr, { kind: 'selector' | 'call' }>> = [];
  const walk = (e: Expr): void => {
    if (e.kind === 'selector' || e.kind === 'call') leaves.push(e);
    else if (e.kind === 'negate') walk(e.expr);
    else if (e.kind === 'aggregate') {
      if (e.param) walk(e.param);
      walk(e.expr);
    } else if (e.kind === 'binary') {
      walk(e.lhs);
      walk(e.rhs);
    }
  };
  walk(expr);
  for (const leaf of leaves) {
    const window = leaf.kind === 'call' ? leaf.rangeMs : LOOKBACK_MS;
    // One lookback more: a counter's baseline is the sample before its window.
    const from = start - window - LOOKBACK_MS;
    const counter = leaf.kind === 'call' && (leaf.fn === 'rate' || leaf.fn === 'irate' || leaf.fn === 'increase');
    const selected = await deps.catalog.select(leaf.matchers);
    data.set(leaf, await loadSeries(deps.metrics, selected, from, end, maxPoints(deps.tiers, from, end, stepMs), counter));
  }
  return data;
}

/** The answer size that makes the store pick the coarsest rollup tier no wider than the step. */
export function maxPoints(tiers: readonly Tier[], from: number, to: number, stepMs: number | undefined): number {
  if (stepMs === undefined) return MAX_POINTS;
  const fitting = tiers.filter((t) => t.widthMs > 0 && t.widthMs <= stepMs);
  if (!fitting.length) return MAX_POINTS;
  return Math.min(MAX_POINTS, bucketsTouched(from, to, fitting[fitting.length - 1].widthMs));
}

async function loadSeries(
  store: MetricReader,
  selected: CatalogSeries[],
  from: number,
  to: number,
  maxPoints: number,
  counter: boolean,
): Promise<LoadedSeries[]> {
  // One store query per (host, metric name); the answer's series are then matched to the selected ones.
  const groups = new Map<string, CatalogSeries[]>();
  for (const s of selected) {
    const key = JSON.stringify([s.hostId, s.name]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const out: LoadedSeries[] = [];
  for (const members of groups.values()) {
    const { hostId, name } = members[0];
    const q = { hostId, name, from, to, maxPoints };
    const answer = await store.query(q);
    const rates = counter && answer.some((a) => a.stepMs > 0) ? await store.query({ ...q, fn: 'rate' }) : [];
    const byKey = new Map(members.map((m) => [seriesKey(hostId, name, m.labels), m]));
    for (const a of answer) {
      const member = byKey.get(seriesKey(hostId, name, a.labels));
      if (!member) continue;
      const r = rates.find((x) => seriesKey(hostId, name, x.labels) === seriesKey(hostId, name, a.labels));
      out.push(loaded(member.prom, a, r));
    }
  }
  return out;
}

function loaded(labels: Labels, a: SeriesResult, rates: SeriesResult | undefined): LoadedSeries {
  const p = a.points;
  return {
    labels,
    stepMs: a.stepMs,
    t: p.map((x) => x.t),
    avg: p.map((x) => x.avg),
    min: p.map((x) => x.min),
    max: p.map((x) => x.max),
    count: p.map((x) => x.count),
    ...(a.stepMs > 0 ? { rates: { t: rates?.points.map((x) => x.t) ?? [], v: rates?.points.map((x) => x.avg) ?? [] } } : {}),
  };
}

/** As Prometheus writes sample values: shortest decimal form, NaN, +Inf, -Inf. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
