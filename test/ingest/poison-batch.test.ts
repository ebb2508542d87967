/**
 * Poison versus outage, with a real server, real agent runtimes over WebSocket and the real Postgres
 * store: a batch holding text the store cannot keep (a label value with U+0000, which jsonb cannot store:
 * SQLSTATE 22P05) is refused to its own agent once with PAYLOAD_INVALID and dropped there, while every
 * other batch, the same agent's later ones included, is stored and acknowledged. A store that keeps
 * failing otherwise makes /api/v1/health report the metric store degraded, with the reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import type { IngestBatch, MetricStore } from '../../server/store/metric-store.js';
import { enrollAgent, startTestServer, type TestServer } from '../support/server.js';
import { testRuntime } from '../support/agent-runtime.js';
import { until } from '../support/until.js';

let t: TestServer | undefined;
let runtimes: AgentRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes) await r.stop();
  runtimes = [];
  await t?.close();
  t = undefined;
});

const stored = async (hostId: string, name: string) =>
  (await t!.server.deps.metrics.query({ hostId, name, from: 0, to: Date.now() + 60_000, maxPoints: 10_000 }))[0]?.points ?? [];

describe('a batch the metric store refuses as invalid', () => {
  it('is refused to its own agent once with PAYLOAD_INVALID; every other point is stored', async () => {
    t = await startTestServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1' });
    const honest = await enrollAgent(t, 'honest');
    const poisoner = await enrollAgent(t, 'poisoner');
    let honestN = 0;
    let poisonN = 0;
    const h = testRuntime(t.ws, honest, { collect: async (now) => [{ name: 'good', t: now, v: ++honestN }] });
    const p = testRuntime(t.ws, poisoner, {
      collect: async (now) => {
        poisonN++;
        return poisonN === 1
          ? [
              { name: 'good', t: now, v: poisonN },
              { name: 'bad', labels: { a: 'x\u0000y' }, t: now, v: 1 },
            ]
          : [{ name: 'good', t: now, v: poisonN }];
      },
    });
    runtimes = [h, p];
    h.start();
    p.start();

    await until(
      'both agents stored 4 points after the poison',
      async () => (await stored(honest.hostId, 'good')).length >= 4 && (await stored(poisoner.hostId, 'good')).some((x) => x.max >= 5),
    );
    const gateway = t.server.deps.gateway.stats;
    expect(gateway.rejections.PAYLOAD_INVALID).toBe(1);
    expect(gateway.rejections.STORE_UNAVAILABLE).toBeUndefined();
    // The gateway refuses text the stores cannot keep before it reaches the pipeline; what a store itself
    // refuses (split, refused once, the rest stored) is test/metrics/metric-store-suite.test.ts.
    expect(t.server.deps.pipeline.snapshot()).toMatchObject({ invalidBatches: 0, refusedBatches: 0 });
    // The poisoned batch went as a whole (its good point too); the agent's later batches were stored.
    const poisonerValues = (await stored(poisoner.hostId, 'good')).map((x) => x.max);
    expect(poisonerValues).not.toContain(1);
    expect(poisonerValues).toContain(2);
    expect(await stored(poisoner.hostId, 'bad')).toEqual([]);
    const honestValues = (await stored(honest.hostId, 'good')).map((x) => x.max);
    expect(honestValues.slice(0, 4)).toEqual([1, 2, 3, 4]);
    const health = (await (await fetch(`${t.http}/api/v1/health`)).json()) as any;
    expect(health.data.checks.metric_store?.ok ?? true).toBe(true);
  }, 60_000);
});

describe('a metric store that keeps failing', () => {
  it('shows in /api/v1/health as degraded, with the reason, until a write succeeds', async () => {
    let failing = true;
    const wrap = (inner: MetricStore): MetricStore => ({
      write: (batches: IngestBatch[]) => (failing ? Promise.reject(new Error('HTTP request failed, statusCode=503')) : inner.write(batches)),
      query: (q) => inner.query(q),
      names: (hostId) => inner.names(hostId),
      close: () => inner.close(),
    });
    t = await startTestServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1', AW_WRITE_ATTEMPTS: '1' }, { wrapMetrics: wrap });
    const agent = await enrollAgent(t);
    let n = 0;
    const r = testRuntime(t.ws, agent, { collect: async (now) => [{ name: 'm', t: now, v: ++n }] });
    runtimes = [r];
    r.start();
    const health = async () => (await (await fetch(`${t!.http}/api/v1/health`)).json()) as any;
    await until('a write failed', () => t!.server.deps.pipeline.snapshot().writeFailures > 0);
    const down = await health();
    expect(down.data.status).toBe('degraded');
    expect(down.data.checks.metric_store).toEqual({
      ok: false,
      detail: expect.stringMatching(/^writes failing since .*: HTTP request failed, statusCode=503$/),
    });
    failing = false;
    await until('points stored again', async () => (await stored(agent.hostId, 'm')).length > 0);
    const up = await health();
    expect(up.data.checks.metric_store?.ok ?? true).toBe(true);
  }, 60_000);
});
