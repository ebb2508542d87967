/**
 * GET /metrics as Prometheus scrapes it (Bearer API key with `server:read`), against a real server,
 * a real agent runtime over WebSocket and the real Postgres store: the counters move with what
 * happened (points stored, frames, a refused connection, HTTP requests), and strangers get 401.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { enrollAgent } from '../support/server.js';
import { testRuntime } from '../support/agent-runtime.js';
import { until } from '../support/until.js';
import { startApiServer, type ApiServer } from './api-client.js';

/** One sample's value from the text format: `name{labels} value`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: ApiServer;
  let runtime: AgentRuntime | undefined;
  let scrapeKey: string;
  let otherKey: string;

  beforeAll(async () => {
    // A checkpoint every second, so the checkpoint histogram gets observations during the test.
    t = await startApiServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1', AW_METRICS_CHECKPOINT_S: '1' });
    const keys = new ApiKeyStore(t.server.deps.db);
    const scrape = await keys.create({ name: 'prometheus', scopes: ['server:read'], ownerId: null, expiresAt: null, createdBy: 'test' });
    scrapeKey = `${scrape.key.id}.${scrape.secret}`;
    const other = await keys.create({ name: 'reader', scopes: ['metrics:read'], ownerId: null, expiresAt: null, createdBy: 'test' });
    otherKey = `${other.key.id}.${other.secret}`;
  }, 180_000);
  afterAll(async () => {
    await runtime?.stop();
    await t?.close();
  });

  const scrape = async () => {
    const res = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${scrapeKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    return res.text();
  };

  it('refuses anonymous scrapes with 401 and keys without server:read with 403', async () => {
    const anon = await fetch(`${t.http}/metrics`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const other = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(other.status).toBe(403);
    expect(((await other.json()) as any).error.details.needed_scope).toBe('server:read');
  });

  it('counts agents, frames, points, refusals, store writes, checkpoints and HTTP requests as they happen', async () => {
    const before = await scrape();
    expect(sample(before, 'aw_agents_connected')).toBe(0);
    expect(sample(before, 'aw_ingest_points_total')).toBe(0);
    expect(sample(before, 'aw_gateway_frames_received_total')).toBe(0);
    expect(before).toContain('nodejs_eventloop_lag_seconds ');

    // An agent id nobody enrolled: refused at the handshake, counted by its code.
    const stranger = new WebSocket(`${t.ws}?agent=${randomUUID()}`);
    stranger.on('error', () => undefined);
    await new Promise((resolve) => stranger.once('close', resolve));

    const agent = await enrollAgent(t, 'scraped');
    let n = 0;
    runtime = testRuntime(t.ws, agent, {
      collect: async (now) => [
        { name: 'a', t: now, v: ++n },
        { name: 'b', t: now, v: n },
      ],
    });
    runtime.start();
    const stored = async () =>
      (await t.server.deps.metrics.query({ hostId: agent.hostId, name: 'a', from: 0, to: Date.now() + 60_000, maxPoints: 10_000 }))[0]?.points.length ?? 0;
    await until('three collections stored', async () => (await stored()) >= 3);
    await until('a checkpoint ran', async () => (sample(await scrape(), 'aw_store_checkpoint_duration_seconds_count') ?? 0) >= 1);
    await runtime.stop();
    runtime = undefined;
    await until('the agent is gone', async () => sample(await scrape(), 'aw_agents_connected') === 0);

    const after = await scrape();
    const stats = t.server.deps.gateway.stats;
    const points = sample(after, 'aw_ingest_points_total')!;
    // Two points a collection, every one of them written: the counter is what the store holds.
    expect(points).toBe(2 * (await stored()));
    expect(points).toBeGreaterThanOrEqual(6);
    expect(sample(after, 'aw_gateway_frames_received_total')).toBe(stats.framesIn);
    expect(stats.framesIn).toBeGreaterThanOrEqual(4); // hello and three metric batches at least
    expect(sample(after, 'aw_gateway_frames_sent_total')).toBe(stats.framesOut);
    expect(sample(after, 'aw_gateway_refusals_total{code="AGENT_UNKNOWN"}')).toBe(1);
    expect(sample(after, 'aw_ingest_queue_points')).toBe(0);
    expect(sample(after, 'aw_store_write_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'aw_store_write_duration_seconds_sum')).toBeGreaterThan(0);
    // The scrapes before this one, by route template and status.
    expect(sample(after, 'aw_http_requests_total{method="GET",route="/metrics",status="200"}')).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'aw_http_requests_total{method="POST",route="/api/v1/agents/enroll",status="201"}')).toBe(1);
  }, 120_000);
});
