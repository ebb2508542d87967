/**
 * Group commit against the real Postgres store (PGlite, or the server named by DATABASE_URL): an idle
 * writer writes at once, with no batch timer (timers are frozen here, so a write that waited for one
 * would never come), and batches offered while a write is in flight go together in the next write.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDb, type TestDb } from '../../test/support/test-db.js';
import type { IngestBatch, MetricStore } from '../store/metric-store.js';
import { PostgresMetricStore } from '../store/postgres/chunk-store.js';
import { parseTiers } from '../store/series/tiers.js';
import { IngestPipeline } from './pipeline.js';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await openTestDb();
});
afterAll(async () => {
  await testDb?.close();
});

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('IngestPipeline group commit', () => {
  it('writes at once when idle and gathers the batches offered during a write into one write', async () => {
    const store = await PostgresMetricStore.open(testDb.db, {
      tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
      writer: `pipeline-${randomUUID()}`,
      checkpointMs: 3_600_000,
      checkpointPoints: 1e7,
      maxSeriesPerHost: 100,
    });
    /** Batches per store write, in call order; a write waits for `gate` before going to the store. */
    const writes: number[] = [];
    let gate: Promise<void> = Promise.resolve();
    const recording: MetricStore = {
      write: async (batches: IngestBatch[]) => {
        writes.push(batches.length);
        await gate;
        return store.write(batches);
      },
      query: (q) => store.query(q),
      names: (h) => store.names(h),
      close: () => store.close(),
    };
    const host = randomUUID();
    const t0 = Date.UTC(2026, 0, 5);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const pipeline = new IngestPipeline(recording, { queuePoints: 1e6, batchPoints: 1e6, writeAttempts: 1, writers: 1 }, pino({ level: 'silent' }));
      const offer = (batch: number) =>
        new Promise<void>((resolve, reject) => {
          const accepted = pipeline.offer({
            agentId: host,
            hostId: host,
            batch,
            points: [{ name: 'm', t: t0 + batch * 1000, v: batch }],
            committed: resolve,
            refused: () => reject(new Error('refused')),
            invalid: (reason) => reject(new Error(reason)),
          });
          if (!accepted) reject(new Error('queue full'));
        });

      // Idle writer: the batch is written and committed without any timer firing.
      await offer(1);
      expect(writes).toEqual([1]);

      // A write in flight: what is offered meanwhile waits for it, then goes as one write.
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      const inFlight = offer(2);
      while (writes.length < 2) await nextTurn();
      const gathered = Array.from({ length: 10 }, (_, i) => offer(3 + i));
      for (let i = 0; i < 5; i++) await nextTurn();
      expect(writes).toEqual([1, 1]);
      release();
      await Promise.all([inFlight, ...gathered]);
      expect(writes).toEqual([1, 1, 10]);
      expect(pipeline.snapshot()).toMatchObject({ committedBatches: 12, flushes: 3, queuedBatches: 0 });
    } finally {
      vi.useRealTimers();
    }
    const [stored] = await store.query({ hostId: host, name: 'm', from: t0, to: t0 + 60_000, maxPoints: 100 });
    expect(stored.points.map((p) => p.max)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await store.close();
  });

  it('tells its write listeners of each write as it ends, committed before the batches are acknowledged, failed ones too', async () => {
    let failNext = true;
    const stored: IngestBatch[] = [];
    const flaky: MetricStore = {
      write: async (batches: IngestBatch[]) => {
        if (failNext) {
          failNext = false;
          throw new Error('store unreachable');
        }
        stored.push(...batches);
      },
      query: async () => [],
      names: async () => [],
      close: async () => undefined,
    };
    const pipeline = new IngestPipeline(flaky, { queuePoints: 1e6, batchPoints: 1e6, writeAttempts: 2, writers: 1 }, pino({ level: 'silent' }));
    const heard: { batches: number[]; committed: boolean; acknowledged: boolean }[] = [];
    let acknowledged = false;
    const unsubscribe = pipeline.onWrite((w) => heard.push({ batches: w.batches.map((b) => b.batch), committed: w.committed, acknowledged }));
    pipeline.onWrite(() => {
      throw new Error('a broken listener');
    });
    const host = randomUUID();
    await new Promise<void>((resolve, reject) => {
      pipeline.offer({
        agentId: host,
        hostId: host,
        batch: 7,
        points: [{ name: 'm', t: 1, v: 1 }],
        committed: () => {
          acknowledged = true;
          resolve();
        },
        refused: () => reject(new Error('refused')),
        invalid: (reason) => reject(new Error(reason)),
      });
    });
    expect(heard).toEqual([
      { batches: [7], committed: false, acknowledged: false },
      { batches: [7], committed: true, acknowledged: false },
    ]);
    // A listener that throws changes nothing for the batches: stored once, acknowledged once.
    expect(stored.map((b) => b.batch)).toEqual([7]);
    unsubscribe();
    await new Promise<void>((resolve) => {
      pipeline.offer({
        agentId: host,
        hostId: host,
        batch: 8,
        points: [{ name: 'm', t: 2, v: 2 }],
        committed: resolve,
        refused: () => undefined,
        invalid: () => undefined,
      });
    });
    expect(heard).toHaveLength(2);
  });
});
