/**
 * A Prometheus-compatible query API at /prometheus/api/v1, for Grafana's Prometheus data source and
 * other Prometheus clients (promtool). Authenticated like the rest of the API (Bearer API key with
 * metrics:read), but answered in Prometheus' JSON, success and error alike:
 * `{status:"success",data:…}` / `{status:"error",errorType:"bad_data",error:"…"}`. Parameters come
 * from the query string or, for POST, a form body, as Prometheus takes them. See docs/prometheus.md.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { AppError, isServerFault } from '../errors.js';
import { statusOf } from '../http/error-answer.js';
import type { RequestContext } from '../http/route.js';
import { route } from '../http/route.js';
import { instantQuery, rangeQuery, type EngineDeps } from '../prometheus/promql-engine.js';
import { badData, parseDurationText, parsePromQL, type Matcher } from '../prometheus/promql-parse.js';
import { promMetricName } from '../prometheus/names.js';
import type { CatalogSeries, SeriesCatalog } from '../prometheus/series-catalog.js';
import type { ApiDeps } from './deps.js';

const BASE = '/prometheus/api/v1';
/** The Prometheus API version whose answers these follow (Grafana reads it to pick features). */
const PROMETHEUS_API_VERSION = '2.53.0';

type Params = URLSearchParams;

const param = (description: string) => Type.Optional(Type.Unknown({ description }));
const MATCH = { 'match[]': param('series selector, repeatable, e.g. cpu_usage_pct{host="web-01"}') };
const TIME_RANGE = { start: param('RFC 3339 or unix seconds (ignored: the whole index is listed)'), end: param('as start (ignored)') };

/** Query schemas stay open: Prometheus clients send parameters AutoWatch has no use for (timeout, limit, stats). */
const open = (props: Record<string, TSchema>) => Type.Object(props, { additionalProperties: true });

export function prometheusRoutes(deps: ApiDeps & { catalog: SeriesCatalog }) {
  const engine: EngineDeps = { metrics: deps.metrics, catalog: deps.catalog, tiers: deps.config.metrics.tiers };

  const endpoints: Array<{ path: string; summary: string; query: TSchema; answer: (p: Params, ctx: RequestContext) => Promise<unknown> | unknown }> = [
    {
      path: `${BASE}/query`,
      summary: 'Prometheus instant query: the PromQL subset of docs/prometheus.md evaluated at one time',
      query: open({ query: param('PromQL expression'), time: param('RFC 3339 or unix seconds (default: now)') }),
      answer: (p) => instantQuery(engine, required(p, 'query'), time(p, 'time', Date.now())),
    },
    {
      path: `${BASE}/query_range`,
      summary: 'Prometheus range query: the PromQL subset evaluated at start, start+step, ... end, from the rollup tier that fits the step',
      query: open({
        query: param('PromQL expression'),
        start: param('RFC 3339 or unix seconds'),
        end: param('RFC 3339 or unix seconds'),
        step: param('duration (15s, 1h) or seconds'),
      }),
      answer: (p) => {
        const start = time(p, 'start');
        const end = time(p, 'end');
        return rangeQuery(engine, required(p, 'query'), start, end, step(p));
      },
    },
    {
      path: `${BASE}/series`,
      summary: 'Prometheus series: the label sets of the series the match[] selectors name',
      query: open({ ...MATCH, ...TIME_RANGE }),
      answer: async (p) => {
        if (!p.getAll('match[]').length) throw badData('no match[] parameter provided');
        return (await selectAll(engine.catalog, p)).map((s) => s.prom);
      },
    },
    {
      path: `${BASE}/labels`,
      summary: 'Prometheus label names: of every series, or of those match[] names',
      query: open({ ...MATCH, ...TIME_RANGE }),
      answer: async (p) => {
        const names = new Set<string>();
        for (const s of await selectAll(engine.catalog, p)) for (const k of Object.keys(s.prom)) names.add(k);
        return [...names].sort();
      },
    },
    {
      path: `${BASE}/label/:name/values`,
      summary: 'Prometheus label values: of one label name (__name__: metric names), over every series or those match[] names',
      query: open({ ...MATCH, ...TIME_RANGE }),
      answer: async (p, ctx) => {
        const name = (ctx.params as { name: string }).name;
        if (name === '__name__' && !p.getAll('match[]').length) return [...new Set((await deps.metrics.names()).map(promMetricName))].sort();
        const values = new Set<string>();
        for (const s of await selectAll(engine.catalog, p)) if (s.prom[name] !== undefined) values.add(s.prom[name]);
        return [...values].sort();
      },
    },
    {
      path: `${BASE}/status/buildinfo`,
      summary: 'Prometheus build information: the Prometheus API version these answers follow, and the AutoWatch version',
      query: open({}),
      answer: () => ({
        version: PROMETHEUS_API_VERSION,
        revision: `autowatch-${deps.version}`,
        branch: 'autowatch',
        buildUser: 'autowatch',
        buildDate: '',
        goVersion: 'none (AutoWatch, Node.js)',
      }),
    },
  ];

  return endpoints.flatMap((e) =>
    (['GET', 'POST'] as const).map((method) =>
      route({
        method,
        path: e.path,
        summary: e.summary,
        description:
          'Answers in Prometheus\' JSON: `{status:"success",data}`, errors `{status:"error",errorType:"bad_data",error}` (400). ' +
          (method === 'POST' ? 'Parameters in the query string or an application/x-www-form-urlencoded body.' : ''),
        tag: 'prometheus',
        scope: 'metrics:read',
        params: e.path.includes(':name') ? Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) : undefined,
        query: e.query,
        bodyType: method === 'POST' ? 'text' : undefined,
        produces: 'application/json',
        response: Type.String(),
        handler: async (ctx) => {
          try {
            const data = await e.answer(paramsOf(ctx), ctx);
            return JSON.stringify({ status: 'success', data });
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            ctx.setStatus(statusOf(err));
            return JSON.stringify({ status: 'error', errorType: isServerFault(err) ? 'internal' : 'bad_data', error: err.message });
          }
        },
      }),
    ),
  );
}

/** Query string and form body together; the body wins, as in Prometheus (Go's FormValue). */
function paramsOf(ctx: RequestContext): Params {
  const out = new URLSearchParams();
  const form = typeof ctx.body === 'string' && ctx.body ? new URLSearchParams(ctx.body) : undefined;
  for (const [k, v] of Object.entries((ctx.query ?? {}) as Record<string, unknown>)) {
    if (form?.has(k)) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.append(k, String(x));
  }
  for (const [k, v] of form ?? []) out.append(k, v);
  return out;
}

function required(p: Params, name: string): string {
  const v = p.get(name);
  if (v === null || v === '') throw badData(`invalid parameter "${name}": missing`);
  return v;
}

/** A Prometheus timestamp (unix seconds, fractions allowed, or RFC 3339) in ms. */
function time(p: Params, name: string, fallback?: number): number {
  const v = p.get(name);
  if (v === null || v === '') {
    if (fallback === undefined) throw badData(`invalid parameter "${name}": missing`);
    return fallback;
  }
  if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badData(`invalid parameter "${name}": cannot parse "${v}" to a valid timestamp`);
  return t;
}

function step(p: Params): number {
  const v = required(p, 'step');
  try {
    return parseDurationText(v);
  } catch {
    throw badData(`invalid parameter "step": cannot parse "${v}" to a valid duration`);
  }
}

/** The union of the series every match[] selector names (no match[]: every series). */
async function selectAll(catalog: SeriesCatalog, p: Params): Promise<CatalogSeries[]> {
  const selectors = p.getAll('match[]').map(selectorMatchers);
  if (!selectors.length) return catalog.select([]);
  const seen = new Map<string, CatalogSeries>();
  for (const matchers of selectors) for (const s of await catalog.select(matchers)) seen.set(JSON.stringify(s.prom), s);
  return [...seen.values()];
}

function selectorMatchers(text: string): Matcher[] {
  const e = parsePromQL(text);
  if (e.kind !== 'selector') throw badData(`invalid parameter "match[]": ${JSON.stringify(text)} is not a series selector`);
  return e.matchers;
}
