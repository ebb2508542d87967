/**
 * The Prometheus-compatible API end to end: a real server on real Postgres, two hosts enrolled through
 * the real route, points written through the server's metric store, queries over HTTP with an API key.
 * Answers are checked against exact numbers and against GET /api/v1/series/query for the same data.
 */
import { needs } from '../support/requires.js';
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { enrollAgent } from '../support/server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let t: ApiServer;
let auth: Record<string, string>;
let web1: string;
let web2: string;
const now = Date.now();
/** An hour boundary three hours ago: cpu and net series fill [base, base + 1 h). */
const base = now - (now % HOUR) - 3 * HOUR;

beforeAll(async () => {
  t = await startApiServer();
  web1 = (await enrollAgent(t, 'web-01')).hostId;
  web2 = (await enrollAgent(t, 'web-02')).hostId;
  const { key, secret } = await new ApiKeyStore(t.server.deps.db).create({
    name: 'grafana',
    scopes: ['metrics:read'],
    ownerId: null,
    expiresAt: null,
    createdBy: 'test',
  });
  auth = { authorization: `Bearer ${key.id}.${secret}` };
  const one = [];
  const two = [];
  for (let i = 0; i < 360; i++) {
    const ts = base + i * 10_000;
    // Every minute: one 90 and five 10s (mean 23.33..., max 90).
    one.push({ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: ts, v: i % 6 === 0 ? 90 : 10 });
    two.push({ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: ts, v: 50 });
    // A counter: +50 every 10 s, restarting from 0 half way.
    one.push({ name: 'net.tx-bytes', t: ts, v: i < 180 ? 1e6 + i * 50 : (i - 180) * 50 + 50 });
  }
  // Two stored names that map to one Prometheus name.
  one.push({ name: 'disk.used', labels: { mount: '/' }, t: base, v: 1 }, { name: 'disk_used', labels: { mount: '/' }, t: base, v: 2 });
  // 40 hours at one point a minute, the value the minute of the hour; the last hour only half full.
  const long = [];
  for (let m = 0; m < 39 * 60 + 30; m++) long.push({ name: 'mem.free', t: base + HOUR - 40 * HOUR + m * MINUTE, v: m % 60 });
  await t.server.deps.metrics.write([
    { agentId: randomUUID(), hostId: web1, batch: 1, points: one },
    { agentId: randomUUID(), hostId: web2, batch: 1, points: two },
    { agentId: randomUUID(), hostId: web1, batch: 2, points: long },
  ]);
});
afterAll(async () => {
  await t?.close();
});

const prom = async (path: string, params: Record<string, string | string[]>, method: 'GET' | 'POST' = 'GET') => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  const res =
    method === 'GET'
      ? await fetch(`${t.http}/prometheus/api/v1${path}?${q}`, { headers: auth })
      : await fetch(`${t.http}/prometheus/api/v1${path}`, {
          method,
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: q.toString(),
        });
  return { status: res.status, body: (await res.json()) as any };
};
const instant = async (query: string, at: number) => {
  const r = await prom('/query', { query, time: String(at / 1000) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.status).toBe('success');
  return r.body.data;
};
/** host -> value of an instant vector. */
const byHost = (data: any) => Object.fromEntries(data.result.map((s: any) => [s.metric.host ?? JSON.stringify(s.metric), Number(s.value[1])]));

describe('Prometheus instant queries', () => {
  it('selects by name and label, host as its hostname, with Prometheus labels and values', async () => {
    const at = base + 30 * MINUTE + 5000;
    const data = await instant('cpu_usage_pct{host="web-01"}', at);
    expect(data).toEqual({
      resultType: 'vector',
      result: [{ metric: { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' }, value: [at / 1000, '90'] }],
    });
    expect(byHost(await instant('cpu_usage_pct{host!="web-01",cpu=~"tot.*"}', at))).toEqual({ 'web-02': 50 });
    expect(byHost(await instant(`cpu_usage_pct{host_id="${web2}"}`, at))).toEqual({ 'web-02': 50 });
    expect((await instant('cpu_usage_pct{host!~"web-.*"}', at)).result).toEqual([]);
    // Past the 5 minute lookback nothing is left.
    expect((await instant('cpu_usage_pct', base + HOUR + 6 * MINUTE)).result).toEqual([]);
  });

  it('evaluates *_over_time over the window (t - range, t]', async () => {
    const at = base + 30 * MINUTE;
    // Samples 175..180: 10, 10, 10, 10, 10, 90.
    expect(byHost(await instant('max_over_time(cpu_usage_pct[1m])', at))).toEqual({ 'web-01': 90, 'web-02': 50 });
    expect(byHost(await instant('min_over_time(cpu_usage_pct[1m])', at))).toEqual({ 'web-01': 10, 'web-02': 50 });
    expect(byHost(await instant('avg_over_time(cpu_usage_pct{host="web-01"}[1m])', at))['web-01']).toBeCloseTo(140 / 6, 12);
    expect(byHost(await instant('sum_over_time(cpu_usage_pct[1m])', at))).toEqual({ 'web-01': 140, 'web-02': 300 });
    expect(byHost(await instant('count_over_time(cpu_usage_pct[1m])', at))).toEqual({ 'web-01': 6, 'web-02': 6 });
    expect(byHost(await instant('last_over_time(cpu_usage_pct[1m])', at - 10_000))).toEqual({ 'web-01': 10, 'web-02': 50 });
    const r = await instant('max_over_time(cpu_usage_pct{host="web-01"}[1m])', at);
    expect(r.result[0].metric).toEqual({ host: 'web-01', host_id: web1, cpu: 'total' });
  });

  it('turns a counter into rate, irate and increase across its reset', async () => {
    const at = base + 32 * MINUTE;
    expect(byHost(await instant('rate(net_tx_bytes[5m])', at))).toEqual({ 'web-01': 5 });
    expect(byHost(await instant('irate(net_tx_bytes[1m])', at))).toEqual({ 'web-01': 5 });
    expect(byHost(await instant('increase(net_tx_bytes[5m])', at))).toEqual({ 'web-01': 1500 });
  });

  it('aggregates with by and without, topk and bottomk', async () => {
    const at = base + 30 * MINUTE;
    const one = async (q: string) => (await instant(q, at)).result;
    expect(await one('sum by (cpu) (cpu_usage_pct)')).toEqual([{ metric: { cpu: 'total' }, value: [at / 1000, '140'] }]);
    expect(await one('sum(cpu_usage_pct)')).toEqual([{ metric: {}, value: [at / 1000, '140'] }]);
    expect(await one('avg(cpu_usage_pct)')).toEqual([{ metric: {}, value: [at / 1000, '70'] }]);
    expect(await one('min without (host, host_id) (cpu_usage_pct)')).toEqual([{ metric: { cpu: 'total' }, value: [at / 1000, '50'] }]);
    expect(await one('max by (host) (cpu_usage_pct)')).toEqual([
      { metric: { host: 'web-01' }, value: [at / 1000, '90'] },
      { metric: { host: 'web-02' }, value: [at / 1000, '50'] },
    ]);
    expect(await one('count(cpu_usage_pct)')).toEqual([{ metric: {}, value: [at / 1000, '2'] }]);
    expect((await one('topk(1, cpu_usage_pct)')).map((s: any) => s.metric)).toEqual([
      { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' },
    ]);
    expect((await one('bottomk(1, cpu_usage_pct)')).map((s: any) => s.metric.host)).toEqual(['web-02']);
  });

  it('does arithmetic and comparisons with scalars and between vectors on matching labels', async () => {
    const at = base + 30 * MINUTE;
    expect(await instant('1 + 2 * 3', at)).toEqual({ resultType: 'scalar', result: [at / 1000, '7'] });
    expect(byHost(await instant('cpu_usage_pct * 2 > 100', at))).toEqual({ 'web-01': 180 });
    expect(byHost(await instant('cpu_usage_pct > bool 60', at))).toEqual({ 'web-01': 1, 'web-02': 0 });
    // A filtering comparison keeps the metric name; arithmetic drops it.
    expect((await instant('cpu_usage_pct > 60', at)).result[0].metric.__name__).toBe('cpu_usage_pct');
    expect((await instant('-cpu_usage_pct{host="web-02"} / 10', at)).result).toEqual([
      { metric: { host: 'web-02', host_id: web2, cpu: 'total' }, value: [at / 1000, '-5'] },
    ]);
    expect((await instant('sum by (cpu) (cpu_usage_pct{host="web-01"}) - sum by (cpu) (cpu_usage_pct{host="web-02"})', at)).result).toEqual([
      { metric: { cpu: 'total' }, value: [at / 1000, '40'] },
    ]);
    // Different hosts never match one to one.
    expect((await instant('cpu_usage_pct{host="web-01"} + cpu_usage_pct{host="web-02"}', at)).result).toEqual([]);
    expect(byHost(await instant('cpu_usage_pct == cpu_usage_pct', at))).toEqual({ 'web-01': 90, 'web-02': 50 });
  });

  it('answers POST form bodies as GET', async () => {
    const at = base + 30 * MINUTE;
    const r = await prom('/query', { query: 'sum(cpu_usage_pct)', time: String(at / 1000) }, 'POST');
    expect(r.body).toEqual({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [at / 1000, '140'] }] } });
  });

  it("refuses what it does not support with Prometheus' bad_data naming the construct, and callers without a key", async () => {
    const cases: Array<[string, RegExp]> = [
      ['cpu_usage_pct offset 5m', /offset modifier/],
      ['abs(cpu_usage_pct)', /function abs\(\)/],
      ['cpu_usage_pct[5m:1m]', /subqueries/],
      ['cpu_usage_pct and cpu_usage_pct', /and operator/],
      ['cpu_usage_pct + on(host) cpu_usage_pct', /on\(\)\/ignoring\(\)/],
      ['quantile(0.9, cpu_usage_pct)', /aggregation quantile/],
      ['cpu_usage_pct[5m]', /range vector outside a range function/],
      ['sum(cpu_usage_pct', /parse error/],
      ['1 > 2', /bool modifier/],
    ];
    for (const [query, message] of cases) {
      const r = await prom('/query', { query, time: '1' });
      expect(r.status, query).toBe(400);
      expect(r.body.status).toBe('error');
      expect(r.body.errorType).toBe('bad_data');
      expect(r.body.error, query).toMatch(message);
    }
    expect((await prom('/query', {})).body.error).toMatch(/"query"/);
    expect((await prom('/query_range', { query: 'cpu_usage_pct', start: '10', end: '1', step: '15s' })).body.errorType).toBe('bad_data');
    expect((await prom('/query_range', { query: 'cpu_usage_pct', start: '1', end: '1000000', step: '1s' })).body.error).toMatch(/11000 points/);
    const anon = await fetch(`${t.http}/prometheus/api/v1/query?query=up`);
    expect(anon.status).toBe(401);
    // Basic auth carries an API key on /prometheus only, never a session token.
    const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`grafana:${secret}`).toString('base64')}` });
    const key = auth.authorization.slice('Bearer '.length);
    expect((await fetch(`${t.http}/prometheus/api/v1/query?query=1`, { headers: basic(key) })).status).toBe(200);
    expect((await fetch(`${t.http}/prometheus/api/v1/query?query=1`, { headers: basic(t.admin.token) })).status).toBe(401);
    expect((await t.call('GET', '/api/v1/series/query?host=' + web1 + '&metric=x', { headers: basic(key) })).body.error?.code).toBe('CREDENTIALS_MALFORMED');
  });
});

/** GET /api/v1/series/query points of one host's metric. */
const seriesQuery = async (host: string, metric: string, from: number, to: number, maxPoints: number) => {
  const r = await t.call('GET', `/api/v1/series/query?host=${host}&metric=${metric}&from=${from}&to=${to}&max_points=${maxPoints}`, { headers: t.admin.auth });
  expect(r.status).toBe(200);
  return r.body.data.series[0];
};

describe('Prometheus range queries', () => {
  it('step 10 s reads raw points, step 1 min 1-minute buckets: the values of /api/v1/series/query', async () => {
    const raw = await prom('/query_range', {
      query: 'cpu_usage_pct{host="web-01"}',
      start: String(base / 1000),
      end: String((base + 10 * MINUTE) / 1000),
      step: '10s',
    });
    const rawRef = await seriesQuery(web1, 'cpu.usage_pct', base, base + 10 * MINUTE, 1000);
    expect(rawRef.tier).toBe('raw');
    expect(raw.body.data.resultType).toBe('matrix');
    expect(raw.body.data.result[0].values).toEqual(rawRef.points.map((p: any) => [p.t / 1000, String(p.avg)]));

    const end = base + 59 * MINUTE;
    const minutes = await prom(
      '/query_range',
      { query: 'cpu_usage_pct{host="web-01"}', start: String(base / 1000), end: String(end / 1000), step: '60s' },
      'POST',
    );
    const ref = await seriesQuery(web1, 'cpu.usage_pct', base, base + HOUR - 1, 60);
    expect(ref.tier).toBe('1m');
    expect(minutes.body.data.result).toEqual([
      { metric: { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' }, values: ref.points.map((p: any) => [p.t / 1000, String(p.avg)]) },
    ]);
    const max = await prom('/query_range', {
      query: 'max_over_time(cpu_usage_pct{host="web-01"}[1m])',
      start: String(base / 1000),
      end: String(end / 1000),
      step: '1m',
    });
    expect(max.body.data.result[0].values).toEqual(ref.points.map((p: any) => [p.t / 1000, String(p.max)]));
    expect(max.body.data.result[0].values.every((v: any) => v[1] === '90')).toBe(true);
  });

  it('a 30-day graph reads 1 h buckets: true max, true mean and counts from the stored rollups', async () => {
    const end = base;
    const start = end - 30 * 24 * HOUR;
    const range = (query: string) => prom('/query_range', { query, start: String(start / 1000), end: String(end / 1000), step: '1h' });
    const ref = await seriesQuery(web1, 'mem.free', start, end + HOUR - 1, 800);
    expect(ref.tier).toBe('1h');
    expect(ref.points).toHaveLength(40);
    const max = (await range('max_over_time(mem_free[1h])')).body.data.result[0].values;
    expect(max).toEqual(ref.points.map((p: any) => [p.t / 1000, String(p.max)]));
    expect(max.map((v: any) => v[1])).toEqual(Array(40).fill('59').fill('29', 39));
    const count = (await range('count_over_time(mem_free[1h])')).body.data.result[0].values;
    expect(count.map((v: any) => v[1])).toEqual(Array(40).fill('60').fill('30', 39));
    // The last two hours: 60 points of mean 29.5 and 30 of mean 14.5: the true mean is 24.5, not (29.5 + 14.5) / 2.
    const mean = (await range('avg_over_time(mem_free[2h])')).body.data.result[0].values;
    expect(mean[mean.length - 1]).toEqual([end / 1000, '24.5']);
    const min = (await range('min_over_time(mem_free[1h])')).body.data.result[0].values;
    expect(min.every((v: any) => v[1] === '0')).toBe(true);
  });
});

describe('Prometheus series, labels and label values', () => {
  it('lists series by matchers, the names map reversible through aw_metric when two names collide', async () => {
    const r = await prom('/series', { 'match[]': ['cpu_usage_pct', '{__name__=~"disk.*"}'] });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual(
      expect.arrayContaining([
        { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' },
        { __name__: 'cpu_usage_pct', host: 'web-02', host_id: web2, cpu: 'total' },
        { __name__: 'disk_used', host: 'web-01', host_id: web1, aw_metric: 'disk.used', mount: '/' },
        { __name__: 'disk_used', host: 'web-01', host_id: web1, aw_metric: 'disk_used', mount: '/' },
      ]),
    );
    expect(r.body.data).toHaveLength(4);
    expect(byHost(await instant('disk_used{aw_metric="disk.used"}', base))).toEqual({ 'web-01': 1 });
    expect((await prom('/series', {})).body).toEqual({ status: 'error', errorType: 'bad_data', error: 'no match[] parameter provided' });
  });

  it('lists label names and values', async () => {
    expect((await prom('/labels', {})).body.data).toEqual(['__name__', 'aw_metric', 'cpu', 'host', 'host_id', 'mount']);
    expect((await prom('/labels', { 'match[]': 'cpu_usage_pct' })).body.data).toEqual(['__name__', 'cpu', 'host', 'host_id']);
    expect((await prom('/label/host/values', {})).body.data).toEqual(['web-01', 'web-02']);
    expect((await prom('/label/host/values', { 'match[]': 'mem_free' })).body.data).toEqual(['web-01']);
    expect((await prom('/label/__name__/values', {})).body.data).toEqual(['cpu_usage_pct', 'disk_used', 'mem_free', 'net_tx_bytes']);
    const info = await prom('/status/buildinfo', {});
    expect(info.body.status).toBe('success');
    expect(info.body.data.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

/** promtool (Debian's `prometheus` package) as a real Prometheus client, when the machine has it. */
const promtoolHelp = (() => {
  try {
    return execFileSync('promtool', ['--help-long'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
})();

needs('promtool').describe('promtool against /prometheus', () => {
  const run = async (...args: string[]) => {
    const [cmd, ...rest] = args;
    const config = withHttpConfig ? [`--http.config.file=${httpConfigFile()}`] : [];
    const { stdout } = await promisify(execFile)('promtool', ['query', cmd, '-o', 'json', ...config, ...rest], { encoding: 'utf8' });
    return JSON.parse(stdout);
  };
  // Newer promtool reads a Bearer credential from an HTTP config file; 2.42 (Debian 12) only takes
  // credentials from the URL, sent as Basic auth: the API key as the password.
  const withHttpConfig = promtoolHelp?.includes('--http.config.file');
  const server = () =>
    withHttpConfig ? `${t.http}/prometheus` : `http://promtool:${auth.authorization.slice('Bearer '.length)}@${t.http.slice('http://'.length)}/prometheus`;

  it('query range: the values of /api/v1/series/query, raw and 1-minute buckets', async () => {
    const end = base + 59 * MINUTE;
    const ref = await seriesQuery(web1, 'cpu.usage_pct', base, base + HOUR - 1, 60);
    const out = await run('range', `--start=${base / 1000}`, `--end=${end / 1000}`, '--step=1m', server(), 'cpu_usage_pct{host="web-01"}');
    expect(out).toEqual([
      { metric: { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' }, values: ref.points.map((p: any) => [p.t / 1000, String(p.avg)]) },
    ]);
    const max = await run('range', `--start=${base / 1000}`, `--end=${end / 1000}`, '--step=1m', server(), 'max_over_time(cpu_usage_pct{host="web-01"}[1m])');
    expect(max[0].values).toEqual(ref.points.map((p: any) => [p.t / 1000, String(p.max)]));
    const long = await seriesQuery(web1, 'mem.free', base - 30 * 24 * HOUR, base + HOUR - 1, 800);
    const hourly = await run(
      'range',
      `--start=${(base - 30 * 24 * HOUR) / 1000}`,
      `--end=${base / 1000}`,
      '--step=1h',
      server(),
      'avg_over_time(mem_free[1h])',
    );
    expect(hourly[0].values).toEqual(long.points.map((p: any) => [p.t / 1000, String(p.avg)]));
  });

  it('query instant: the raw point /api/v1/series/query holds at that time', async () => {
    const at = base + 20 * MINUTE;
    const ref = await seriesQuery(web2, 'cpu.usage_pct', at - 10_000, at, 1000);
    const out = await run('instant', `--time=${at / 1000}`, server(), 'cpu_usage_pct{host="web-02"}');
    expect(out).toEqual([
      { metric: { __name__: 'cpu_usage_pct', host: 'web-02', host_id: web2, cpu: 'total' }, value: [at / 1000, String(ref.points.at(-1).avg)] },
    ]);
    expect(await run('instant', `--time=${at / 1000}`, server(), 'sum(cpu_usage_pct)')).toEqual([{ metric: {}, value: [at / 1000, '140'] }]);
  });

  it('query series and labels', async () => {
    const series = await run('series', '--match=cpu_usage_pct', server());
    expect(series).toEqual([
      { __name__: 'cpu_usage_pct', host: 'web-01', host_id: web1, cpu: 'total' },
      { __name__: 'cpu_usage_pct', host: 'web-02', host_id: web2, cpu: 'total' },
    ]);
    expect(await run('labels', server(), 'host')).toEqual(['web-01', 'web-02']);
  });
});

let configFile: string | undefined;
function httpConfigFile(): string {
  if (!configFile) {
    configFile = join(t.dataDir, 'promtool-http.yml');
    writeFileSync(configFile, `authorization:\n  type: Bearer\n  credentials: ${auth.authorization.slice('Bearer '.length)}\n`);
  }
  return configFile;
}
