/**
 * The metric store failing in the middle of a flush, with a real server, a real agent runtime over
 * WebSocket and the real store underneath. The fault is injected by a wrapper because a database
 * cannot be made to fail at one exact write on demand: once after committing (the answer lost on
 * the way back, as when a connection drops after COMMIT) and once before writing anything.
 * Either way the agent must be told to resend, and every point must end up stored exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import type { IngestBatch, MetricStore } from '../../server/store/metric-store.js';
import { enrollAgent, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';
import { testRuntime } from '../support/agent-runtime.js';

class FaultyStore implements MetricStore {
  writes = 0;
  injected: string[] = [];

  constructor(
    private readonly inner: MetricStore,
    private readonly faults: Map<number, 'after-commit' | 'before-write'>,
  ) {}

  async write(batches: IngestBatch[]): Promise<void> {
    const fault = this.faults.get(++this.writes);
    if (fault === 'before-write') {
      this.injected.push(fault);
      throw new Error('injected: connection refused before the write');
    }
    await this.inner.write(batches);
    if (fault === 'after-commit') {
      this.injected.push(fault);
      throw new Error('injected: connection lost after COMMIT');
    }
  }

  query = (...args: Parameters<MetricStore['query']>) => this.inner.query(...args);
  names = (hostId: string) => this.inner.names(hostId);
  close = () => this.inner.close();
}

describe('metric store failing mid-flush', () => {
  let t: TestServer;
  let runtime: AgentRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    await t?.close();
  });

  it('refuses the batches, the agent resends them, and each point is stored once', async () => {
    let store: FaultyStore | undefined;
    t = await startTestServer(
      // One write attempt: a failure goes straight back to the agent as a refusal to resend.
      { AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1', AW_WRITE_ATTEMPTS: '1' },
      {
        wrapMetrics: (inner) =>
          (store = new FaultyStore(
            inner,
            new Map([
              [3, 'after-commit'],
              [5, 'before-write'],
              [6, 'after-commit'],
            ]),
          )),
      },
    );
    const enrolled = await enrollAgent(t);
    let produced = 0;
    runtime = testRuntime(t.ws, enrolled, {
      collect: async (now) => [
        { name: 'test.counter', t: now, v: ++produced },
        { name: 'test.double', t: now, v: produced * 2 },
      ],
    });
    runtime.start();

    await until('all three faults injected', () => store!.injected.length === 3);
    const target = produced;
    const stored = async (name: string) =>
      (await t.server.deps.metrics.query({ hostId: enrolled.hostId, name, from: 0, to: Date.now() + 60_000, maxPoints: 10_000 }))[0]?.points ?? [];
    await until('every point up to the last fault stored', async () => (await stored('test.counter')).filter((p) => p.max <= target).length >= target);
    await runtime.stop();
    runtime = undefined;

    expect(store!.injected).toEqual(['after-commit', 'before-write', 'after-commit']);
    expect(t.server.deps.pipeline.snapshot().refusedBatches).toBeGreaterThanOrEqual(3);
    for (const [name, factor] of [
      ['test.counter', 1],
      ['test.double', 2],
    ] as const) {
      const points = await stored(name);
      const values = points
        .map((p) => p.max)
        .sort((a, b) => a - b)
        .filter((v) => v <= target * factor);
      // 1..target exactly once: nothing lost to the failed flushes, nothing doubled by the resends.
      expect(values).toEqual(Array.from({ length: target }, (_, i) => (i + 1) * factor));
      expect(points.every((p) => p.count === 1)).toBe(true);
    }
  }, 60_000);
});
