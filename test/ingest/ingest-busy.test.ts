/**
 * A full ingest queue under load: the gateway refuses a metrics frame at once, before checking its points
 * (refusals must be cheap, or refusing takes the CPU the writes need), and tells the agent to come back
 * in 2-8 s, spread (a fixed 1 s brought every refused frame back each second, and goodput collapsed).
 * The store is held by a gate, because a real database cannot be made slow on demand; everything else
 * is real: server, WebSocket, agent link, Postgres or PGlite underneath.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import { MessageType } from '../../protocol/messages.js';
import type { IngestBatch, MetricStore } from '../../server/store/metric-store.js';
import { enrollAgent, startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

class GatedStore implements MetricStore {
  writes = 0;
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));

  constructor(private readonly inner: MetricStore) {}

  async write(batches: IngestBatch[]): Promise<void> {
    this.writes++;
    await this.gate;
    await this.inner.write(batches);
  }

  release(): void {
    this.open();
  }

  query = (...args: Parameters<MetricStore['query']>) => this.inner.query(...args);
  names = (hostId: string) => this.inner.names(hostId);
  close = () => this.inner.close();
}

describe('ingest queue full', () => {
  let t: TestServer;
  let link: AgentLink | undefined;
  let store: GatedStore | undefined;
  afterAll(async () => {
    store?.release();
    link?.close();
    await t?.close();
  });

  it('refuses metrics before checking them, with a spread retry time, and takes them again once there is room', async () => {
    t = await startTestServer({ AW_AUTO_APPROVE: 'true', AW_INGEST_QUEUE_POINTS: '10' }, { wrapMetrics: (inner) => (store = new GatedStore(inner)) });
    const agent = await enrollAgent(t);
    link = new AgentLink({ url: t.ws, credentials: agent, hello: { agentVersion: 'test', hostname: 'busy' } });
    await new Promise<void>((resolve) => link!.once('config', () => resolve()));
    const refusals: Array<{ seq?: number; code: string; retryAfterMs?: number }> = [];
    const acks = new Set<number>();
    link.on('refused', (e) => refusals.push(e));
    link.on('ack', (a: { seq: number }) => acks.add(a.seq));
    const now = Date.now();
    const points = (batch: number) => Array.from({ length: 10 }, (_, i) => ({ name: 'busy.test', labels: { i: String(i) }, t: now + batch, v: i }));

    // The first batch goes to the (held) writer, the second fills the queue.
    const first = link.send(MessageType.metrics, { batch: 1, points: points(1) });
    await until('the writer holds the first batch', () => store!.writes === 1);
    const second = link.send(MessageType.metrics, { batch: 2, points: points(2) });
    // Points that would be refused as invalid if they were looked at: the full queue answers first.
    const third = link.send(MessageType.metrics, { batch: 3, points: [{ name: '9 not a metric name', t: now, v: 1 }] });
    const fourth = link.send(MessageType.metrics, { batch: 4, points: points(4) });
    await until('both refused', () => refusals.length === 2, 10_000);
    expect(refusals.map((r) => [r.seq, r.code])).toEqual([
      [third, 'INGEST_BUSY'],
      [fourth, 'INGEST_BUSY'],
    ]);
    for (const r of refusals) {
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(2000);
      expect(r.retryAfterMs).toBeLessThanOrEqual(8000);
    }

    // Room again: the held batches are stored and acknowledged, and the refused one is taken when resent.
    store!.release();
    await until('the queued batches acknowledged', () => acks.has(first) && acks.has(second), 10_000);
    const again = link.send(MessageType.metrics, { batch: 4, points: points(4) });
    await until('the resent batch acknowledged', () => acks.has(again), 10_000);
    const stored = await t.server.deps.metrics.query({ hostId: agent.hostId, name: 'busy.test', from: now, to: now + 10, maxPoints: 1000 });
    expect(stored.reduce((n, s) => n + s.points.reduce((m, p) => m + p.count, 0), 0)).toBe(30);
  });
});
