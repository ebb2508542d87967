/**
 * The raw tier's chunk rows on a Telegraf-shaped set, through the real store and database: decimal chunks
 * (series/decimal-chunk.ts) where the values allow, each value read back as it was written.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.js';
import { parseLineProtocol } from '../../ingest/line-protocol.js';
import type { IngestBatch } from '../metric-store.js';
import { parseTiers } from '../series/tiers.js';
import { telegrafSet } from '../series/telegraf-set.js';
import { PostgresMetricStore } from './chunk-store.js';

let testDb: TestDb;
beforeAll(async () => {
  testDb = await openTestDb();
});
afterAll(async () => {
  await testDb?.close();
});

describe('raw chunk rows', () => {
  it('hold the Telegraf-shaped set in under 0.8 encoded B/point, and answer every value exactly', async () => {
    const store = await PostgresMetricStore.open(testDb.db, {
      tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
      writer: `test-${randomUUID()}`,
      checkpointMs: 3_600_000,
      checkpointPoints: 10_000_000,
      maxSeriesPerHost: 1000,
      headBusyMs: 0, // the checkpoint below writes every chunk, though its points came just now
    });
    const start = Date.UTC(2026, 0, 5);
    const set = telegrafSet(2, 2, start);
    const hosts = set.hostNames.map(() => randomUUID());
    const written = new Map<string, number[]>();
    let batch = 0;
    for (let k = 0; k < set.steps; k++) {
      const batches: IngestBatch[] = hosts.map((hostId) => ({ agentId: hostId, hostId, batch: ++batch, points: [] }));
      for (const p of parseLineProtocol(set.lines(k, 0, set.hosts), 0)) {
        const h = set.hostNames.indexOf(p.labels.host);
        const labels = { ...p.labels };
        delete labels.host;
        batches[h].points.push({ name: p.name, labels, t: p.t, v: p.v });
        const key = `${h}/${p.name}/${JSON.stringify(labels)}`;
        written.set(key, [...(written.get(key) ?? []), p.v]);
      }
      await store.write(batches);
    }
    await store.checkpoint();
    const { rows } = await testDb.db.query<{ n: number; bytes: number }>(
      'SELECT sum(n)::bigint AS n, sum(octet_length(data))::bigint AS bytes FROM metric_chunks WHERE tier = 0',
    );
    expect(Number(rows[0].n)).toBe(set.points);
    expect(Number(rows[0].bytes) / set.points).toBeLessThan(0.8);

    for (const key of ['0/cpu.usage_idle/{"cpu":"cpu-total"}', '1/mem.used/{}', '1/net.bytes_recv/{"interface":"eth0"}', '0/system.load15/{}']) {
      const [h, name, labels] = key.split('/');
      const answer = await store.query({
        hostId: hosts[Number(h)],
        name,
        labels: JSON.parse(labels),
        from: start,
        to: start + 2 * 3_600_000,
        maxPoints: 10_000,
      });
      expect(answer[0].tier).toBe('raw');
      expect(answer[0].points.map((p) => p.max)).toEqual(written.get(key));
    }
    await store.close();
  });
});
