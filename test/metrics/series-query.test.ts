/**
 * GET /api/v1/series/query end to end: a real server, points written through its metric store, the
 * answer's tier, step, envelope and rate; bad input answered 400 without touching anything.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

const MINUTE = 60_000;
let t: ApiServer;
const host = randomUUID();
const now = Date.now();
const start = now - (now % MINUTE) - 60 * MINUTE;

beforeAll(async () => {
  t = await startApiServer();
  const points = [];
  for (let i = 0; i < 360; i++) {
    const ts = start + i * 10_000;
    points.push({ name: 'cpu.busy', labels: { cpu: 'total' }, t: ts, v: i % 6 === 0 ? 90 : 10 });
    // A counter that restarts half way: +50 every 10 s.
    points.push({ name: 'net.tx', t: ts, v: i < 180 ? 1e6 + i * 50 : (i - 180) * 50 + 50 });
  }
  await t.server.deps.metrics.write([{ agentId: randomUUID(), hostId: host, batch: 1, points }]);
});
afterAll(async () => {
  await t?.close();
});

const query = (params: Record<string, string | number>, auth = t.admin.auth) =>
  t.call('GET', `/api/v1/series/query?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`, { headers: auth });

describe('GET /api/v1/series/query', () => {
  it('answers raw points when they fit, 1 min buckets with the true envelope when they do not', async () => {
    const raw = await query({ host, metric: 'cpu.busy', from: start, to: start + 60 * MINUTE - 1, max_points: 1000 });
    expect(raw.status).toBe(200);
    expect(raw.body.data.series).toHaveLength(1);
    expect(raw.body.data.series[0]).toMatchObject({ labels: { cpu: 'total' }, tier: 'raw', step_ms: 0 });
    expect(raw.body.data.series[0].points).toHaveLength(360);

    const minutes = await query({ host, metric: 'cpu.busy', labels: '{"cpu":"total"}', from: start, to: start + 60 * MINUTE - 1, max_points: 60 });
    const s = minutes.body.data.series[0];
    expect(s).toMatchObject({ tier: '1m', step_ms: MINUTE });
    expect(s.points).toHaveLength(60);
    // Each minute: one 90 and five 10s. Max keeps the peak an average would hide.
    expect(s.points[0]).toEqual({ t: start, min: 10, max: 90, avg: (90 + 50) / 6, count: 6 });

    const dashboard = await t.call('GET', `/api/v1/hosts/${host}/metrics?name=cpu.busy&from=${start}&to=${start + 60 * MINUTE - 1}&max_points=60`, {
      headers: t.admin.auth,
    });
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.data.series[0].points).toEqual(s.points);
  });

  it('fn=rate turns a counter into a rate, across its reset', async () => {
    const r = await query({ host, metric: 'net.tx', from: start, to: start + 60 * MINUTE, fn: 'rate' });
    expect(r.status).toBe(200);
    const points = r.body.data.series[0].points;
    expect(points).toHaveLength(359);
    expect(points.every((p: any) => p.avg === 5)).toBe(true);
    const perMinute = await query({ host, metric: 'net.tx', from: start, to: start + 60 * MINUTE - 1, max_points: 60, fn: 'rate' });
    expect(perMinute.body.data.series[0].tier).toBe('1m');
    expect(perMinute.body.data.series[0].points.every((p: any) => Math.abs(p.avg - 5) < 1e-9)).toBe(true);
  });

  it('refuses bad input with a code, and callers without metrics:read', async () => {
    expect((await query({ host: 'not-a-uuid', metric: 'cpu.busy' })).status).toBe(400);
    const backwards = await query({ host, metric: 'cpu.busy', from: start + 1000, to: start });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error?.code).toBe('VALIDATION_FAILED');
    expect((await query({ host, metric: 'cpu.busy', labels: '{"bad key":"x"}' })).body.error?.code).toBe('VALIDATION_FAILED');
    expect((await query({ host, metric: 'cpu.busy', fn: 'sum' })).status).toBe(400);
    expect((await query({ host, metric: 'cpu.busy' }, {})).status).toBe(401);
  });

  it('answers an empty list for a metric the host never sent', async () => {
    const r = await query({ host, metric: 'nothing.here' });
    expect(r.status).toBe(200);
    expect(r.body.data.series).toEqual([]);
  });
});
