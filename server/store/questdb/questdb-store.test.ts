/**
 * The QuestDB adapter against a real QuestDB (QUESTDB_URL=http://host:9000; reads on QUESTDB_PG_URL or
 * port 8812 of the same host); `make test` starts ../shared/questdb and sets both. Without QUESTDB_URL
 * these tests are skipped and say why. The same data goes to the Postgres store too: both must answer
 * alike. Each run has its own table prefix and drops its tables at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../../../test/support/requires.js';
import { openTestDb, type TestDb } from '../../../test/support/test-db.js';
import type { IngestBatch, MetricStore, SeriesQuery } from '../metric-store.js';
import { PostgresMetricStore } from '../postgres/chunk-store.js';
import { parseTiers } from '../series/tiers.js';
import { InvalidWriteError } from '../metric-store.js';
import { partitioning, QuestDbMetricStore, questDbPgUrl } from './questdb-store.js';

const url = process.env.QUESTDB_URL;

const HOUR = 3_600_000;

needs('questdb').describe('QuestDB adapter', () => {
  const tiers = parseTiers('raw:2d,1m:30d,1h:3y');
  let quest: QuestDbMetricStore;
  let postgres: PostgresMetricStore;
  let testDb: TestDb;
  const host = randomUUID();
  // Recent data: QuestDB's TTLs are relative to the newest row, and chooseTier to the clock.
  const T0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;

  beforeAll(async () => {
    quest = await QuestDbMetricStore.open({
      httpUrl: url!,
      pgUrl: process.env.QUESTDB_PG_URL ?? questDbPgUrl(url!),
      tiers,
      prefix: `awt_${randomBytes(4).toString('hex')}`,
    });
    testDb = await openTestDb();
    postgres = await PostgresMetricStore.open(testDb.db, { tiers, writer: 'qdb-compare', checkpointMs: 1e9, checkpointPoints: 1e9, maxSeriesPerHost: 100 });
    const points: IngestBatch['points'] = [];
    for (let i = 0; i < 3 * 3600; i++) {
      const t = T0 + i * 1000;
      points.push({ name: 'latency', t, v: i === 4000 ? 100 : 0 });
      if (i % 10 === 0) points.push({ name: 'net.tx', labels: { dev: 'eth0' }, t, v: i < 5000 ? 1e6 + i * 5 : (i - 5000) * 5 + 5 });
    }
    const batches = [];
    for (let i = 0; i < points.length; i += 5000) batches.push({ agentId: host, hostId: host, batch: i, points: points.slice(i, i + 5000) });
    for (const store of [quest, postgres] as MetricStore[]) {
      await store.write(batches);
      await store.write(batches.slice(0, 2)); // a resend after a lost ack
    }
    // Materialized views refresh asynchronously: wait until the 1 h tier holds every point.
    const end = Date.now() + 60_000;
    for (;;) {
      const r = await quest.query({ hostId: host, name: 'latency', from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 3 });
      if (r[0]?.points.reduce((a, p) => a + p.count, 0) === 3 * 3600) break;
      if (Date.now() > end) throw new Error('QuestDB materialized views did not catch up within 60 s');
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 120_000);

  afterAll(async () => {
    await quest?.dropTables();
    await quest?.close();
    await postgres?.close();
    await testDb?.close();
  });

  const same = async (q: Omit<SeriesQuery, 'hostId'>) => {
    const [a, b] = await Promise.all([quest.query({ hostId: host, ...q }), postgres.query({ hostId: host, ...q })]);
    expect(a).toEqual(b);
    return a;
  };

  it('keeps the spike and the exact mean in the 1 h tier, resends counted once, as Postgres does', async () => {
    const hours = await same({ name: 'latency', from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 3 });
    expect(hours[0].tier).toBe('1h');
    expect(hours[0].points[1]).toEqual({ t: T0 + HOUR, min: 0, max: 100, avg: 100 / 3600, count: 3600 });
  });

  it('answers raw, 1 min and widened queries and counter rates like the Postgres store', async () => {
    await same({ name: 'latency', from: T0 + HOUR, to: T0 + HOUR + 600_000, maxPoints: 1000 });
    await same({ name: 'latency', from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 200 });
    await same({ name: 'latency', from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 1 });
    const rates = await same({ name: 'net.tx', labels: { dev: 'eth0' }, from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 2000, fn: 'rate' });
    // +50 every 10 s (5/s), except at the reset (t = T0 + 5000 s): counted from 0, it rose by 5 (0.5/s).
    const off = rates[0].points.filter((p) => Math.abs(p.avg - 5) > 1e-9);
    expect(off.map((p) => [p.t, p.avg])).toEqual([[T0 + 5000 * 1000, 0.5]]);
    expect(await quest.names(host)).toEqual(['latency', 'net.tx']);
  });

  it('takes a 4xx from QuestDB as an invalid write (not an outage) and sends nothing of it later', async () => {
    const prefix = `awt_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: process.env.QUESTDB_PG_URL ?? questDbPgUrl(url!), max: 1 });
    // A points table whose v cannot take a number: QuestDB answers 400 to every point.
    await pool.query(
      `CREATE TABLE ${prefix}_points (host SYMBOL, series SYMBOL, v IPv4, sample_ts TIMESTAMP, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL`,
    );
    const refusing = await QuestDbMetricStore.open({
      httpUrl: url!,
      pgUrl: process.env.QUESTDB_PG_URL ?? questDbPgUrl(url!),
      tiers: parseTiers('raw:2d'),
      prefix,
    });
    try {
      const write = refusing.write([{ agentId: host, hostId: host, batch: 1, points: [{ name: 'm', t: T0, v: 1 }] }]);
      await expect(write).rejects.toBeInstanceOf(InvalidWriteError);
      await expect(write).rejects.toThrow(/QuestDB refused the points \(HTTP 400\): [\s\S]*column: v/);
      // The refused rows left the client's buffer: the next write carries only its own.
      await expect(refusing.write([])).resolves.toBeUndefined();
    } finally {
      await refusing.dropTables();
      await refusing.close();
      await pool.end();
    }
  });
});

describe('QuestDB partitioning', () => {
  it('keeps 3y as 36 months and 30d as 30 days, as docs/questdb.md says', () => {
    expect(partitioning(parseTiers('raw:2d,1m:30d,1h:3y')[2].retentionMs)).toBe('PARTITION BY MONTH TTL 36 MONTHS');
    expect(partitioning(parseTiers('raw:2d,1m:30d,1h:3y')[1].retentionMs)).toBe('PARTITION BY DAY TTL 30 DAYS');
  });
});
