/**
 * One suite, every metric store: the same points and the same assertions against the Postgres store and,
 * when QUESTDB_URL names a QuestDB (9.x), the QuestDB store. Without QUESTDB_URL the QuestDB half is
 * skipped and says so. Each QuestDB run has its own table prefix and drops its tables at the end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestPipeline, type PendingBatch } from '../../server/ingest/pipeline.js';
import type { Labels, MetricPoint } from '../../protocol/messages.js';
import type { IngestBatch, MetricStore, SeriesQuery } from '../../server/store/metric-store.js';
import { PostgresMetricStore } from '../../server/store/postgres/chunk-store.js';
import { QuestDbMetricStore, questDbPgUrl } from '../../server/store/questdb/questdb-store.js';
import { parseTiers } from '../../server/store/series/tiers.js';
import { needs, type OutsidePart } from '../support/requires.js';
import { openTestDb, type TestDb } from '../support/test-db.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const tiers = parseTiers('raw:2d,1m:30d,1h:3y');
const questdbUrl = process.env.QUESTDB_URL;

interface StoreUnderTest {
  store: MetricStore;
  /** A point this store refuses as invalid. */
  poison: MetricPoint;
  /** Lets retention drop what each tier keeps no longer (QuestDB's TTLs do it by themselves). */
  expire(): Promise<void>;
  close(): Promise<void>;
}

const stores: Array<{ kind: string; needs?: OutsidePart; lateDataLost?: string; open(): Promise<StoreUnderTest> }> = [
  {
    kind: 'postgres',
    async open() {
      const testDb: TestDb = await openTestDb();
      const store = await PostgresMetricStore.open(testDb.db, { tiers, writer: 'suite', checkpointMs: 1e9, checkpointPoints: 1e9, maxSeriesPerHost: 100 });
      return {
        store,
        // jsonb cannot hold U+0000: SQLSTATE 22P05.
        poison: { name: 'poison', labels: { a: 'nul\u0000' }, t: Date.now(), v: 1 },
        expire: async () => {
          await store.checkpoint();
          await store.retain(Date.now());
        },
        close: async () => {
          await store.close();
          await testDb.close();
        },
      };
    },
  },
  {
    kind: 'questdb',
    needs: 'questdb',
    // Measured on 9.3.5: the write is acknowledged, then the raw table's TTL (counted from its newest row)
    // drops the partition before the 1 min view reads it. Agents replaying a spool days old lose it.
    lateDataLost: "points older than the raw tier's TTL are dropped on arrival and never reach the 1 min / 1 h views",
    async open() {
      const store = await QuestDbMetricStore.open({
        httpUrl: questdbUrl!,
        pgUrl: process.env.QUESTDB_PG_URL ?? questDbPgUrl(questdbUrl!),
        tiers,
        prefix: `aws_${randomBytes(4).toString('hex')}`,
      });
      return {
        store,
        poison: { name: 'poison', t: Date.UTC(10000, 0, 1), v: 1 },
        expire: async () => undefined,
        close: async () => {
          await store.dropTables();
          await store.close();
        },
      };
    },
  },
];

/** Waits until the coarsest tier counts the points: QuestDB applies its WAL and fills its views after the ack. */
async function settled(store: MetricStore, q: Omit<SeriesQuery, 'maxPoints'>, count: number): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await store.query({ ...q, maxPoints: 1 });
    if (r.reduce((n, s) => n + s.points.reduce((a, p) => a + p.count, 0), 0) === count) return;
    if (Date.now() > end) throw new Error(`rollups of ${q.name} did not reach ${count} points within 60 s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

for (const kind of stores) {
  const lateData = kind.lateDataLost ? ` (SKIPPED on ${kind.kind}: ${kind.lateDataLost})` : '';
  (kind.needs ? needs(kind.needs).describe : describe)(`metric store suite: ${kind.kind}`, () => {
    let t: StoreUnderTest;
    const host = randomUUID();
    const agent = randomUUID();
    // Recent data: QuestDB's TTLs and chooseTier both look at the clock.
    const T0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

    beforeAll(async () => {
      t = await kind.open();
      const points: MetricPoint[] = [];
      for (let i = 0; i < 2 * 3600; i++) {
        const at = T0 + i * 1000;
        points.push({ name: 'latency', t: at, v: i === 4000 ? 100 : i % 7 });
        // +50 every 10 s, restarting at 50 half way: 5/s throughout, the reset counted from 0.
        if (i % 10 === 0) points.push({ name: 'net.tx', t: at, v: i < 3600 ? 1e6 + i * 5 : (i - 3600) * 5 + 50 });
      }
      const batches: IngestBatch[] = [];
      for (let i = 0; i < points.length; i += 2000) batches.push({ agentId: agent, hostId: host, batch: i, points: points.slice(i, i + 2000) });
      await t.store.write(batches);
      await t.store.write(batches.slice(1, 3)); // a resend after a lost ack
      await settled(t.store, { hostId: host, name: 'latency', from: T0, to: T0 + 2 * HOUR - 1 }, 2 * 3600);
    }, 120_000);

    afterAll(async () => {
      await t?.close();
    });

    it("lists metric names of every host and the series of given names (the Prometheus API's catalogue)", async () => {
      expect(await t.store.names()).toEqual(expect.arrayContaining(['latency', 'net.tx']));
      expect(await t.store.names(host)).toEqual(['latency', 'net.tx']);
      expect(await t.store.listSeries!(['net.tx', 'absent'])).toEqual([{ hostId: host, name: 'net.tx', labels: {} }]);
      expect(await t.store.listSeries!([])).toEqual([]);
    });

    it('stores a resent batch once and keeps exact min/max/sum/count at 1 min and 1 h', async () => {
      const [hours] = await t.store.query({ hostId: host, name: 'latency', from: T0, to: T0 + 2 * HOUR - 1, maxPoints: 2 });
      expect(hours.tier).toBe('1h');
      let sum = 0;
      for (let i = 3600; i < 7200; i++) sum += i === 4000 ? 100 : i % 7;
      expect(hours.points[1]).toEqual({ t: T0 + HOUR, min: 0, max: 100, avg: sum / 3600, count: 3600 });
      const [minutes] = await t.store.query({ hostId: host, name: 'latency', from: T0 + HOUR, to: T0 + 2 * HOUR - 1, maxPoints: 60 });
      expect(minutes.tier).toBe('1m');
      expect(minutes.points).toHaveLength(60);
      expect(minutes.points.reduce((n, p) => n + p.count, 0)).toBe(3600);
      // The spike at second 4000 is in minute 6 of the second hour (4000 - 3600 = 400 s).
      expect(minutes.points[6]).toMatchObject({ t: T0 + HOUR + 6 * MINUTE, max: 100, count: 60 });
      const [raw] = await t.store.query({ hostId: host, name: 'latency', from: T0 + HOUR, to: T0 + HOUR + 9_999, maxPoints: 100 });
      expect(raw).toMatchObject({ tier: 'raw', stepMs: 0 });
      expect(raw.points.map((p) => p.avg)).toEqual([3600 % 7, 3601 % 7, 3602 % 7, 3603 % 7, 3604 % 7, 3605 % 7, 3606 % 7, 3607 % 7, 3608 % 7, 3609 % 7]);
    });

    it('turns a counter into a rate across its reset', async () => {
      const [rates] = await t.store.query({ hostId: host, name: 'net.tx', from: T0, to: T0 + 2 * HOUR - 1, maxPoints: 1000, fn: 'rate' });
      expect(rates.tier).toBe('raw');
      expect(rates.points).toHaveLength(719);
      expect(rates.points.every((p) => p.avg === 5)).toBe(true);
    });

    it('keeps labels with , = space " \\ and newlines apart and returns them exactly', async () => {
      const awkward: Labels[] = [{ a: '1,b=2' }, { a: '1', b: '2' }, { a: 'x y', q: 'say "hi"' }, { a: 'C:\\new\nline\r\n}{/' }];
      const at = T0 + 30 * MINUTE;
      await t.store.write([{ agentId: agent, hostId: host, batch: 1e6, points: awkward.map((labels, i) => ({ name: 'awkward', labels, t: at, v: i })) }]);
      await settled(t.store, { hostId: host, name: 'awkward', from: at, to: at }, awkward.length);
      for (const [i, labels] of awkward.entries()) {
        const answer = await t.store.query({ hostId: host, name: 'awkward', labels, from: at, to: at, maxPoints: 10 });
        const exact = answer.filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
        expect(exact.map((s) => s.labels)).toEqual([labels]);
        expect(exact[0].points.map((p) => p.avg)).toEqual([i]);
      }
    });

    it.skipIf(lateData)(
      `keeps a 1 s spike, written 4 days late, as the hour's max and the exact mean after raw points expired${lateData}`,
      async () => {
        const start = T0 - 4 * DAY;
        const spikeAt = start + HOUR + 1234 * 1000;
        const points: MetricPoint[] = [];
        for (let at = start; at < start + 3 * HOUR; at += 1000) points.push({ name: 'old.latency', t: at, v: at === spikeAt ? 100 : 0 });
        for (let i = 0; i < points.length; i += 2000)
          await t.store.write([{ agentId: agent, hostId: host, batch: 2e6 + i, points: points.slice(i, i + 2000) }]);
        await settled(t.store, { hostId: host, name: 'old.latency', from: start, to: start + 3 * HOUR - 1 }, 3 * 3600);
        await t.expire();
        const [fine] = await t.store.query({ hostId: host, name: 'old.latency', from: start, to: start + 3 * HOUR - 1, maxPoints: 100_000 });
        expect(fine.tier).toBe('1m');
        expect(Math.max(...fine.points.map((p) => p.max))).toBe(100);
        const [hours] = await t.store.query({ hostId: host, name: 'old.latency', from: start, to: start + 3 * HOUR - 1, maxPoints: 3 });
        expect(hours.tier).toBe('1h');
        expect(hours.points).toEqual([
          { t: start, min: 0, max: 0, avg: 0, count: 3600 },
          { t: start + HOUR, min: 0, max: 100, avg: 100 / 3600, count: 3600 },
          { t: start + 2 * HOUR, min: 0, max: 0, avg: 0, count: 3600 },
        ]);
      },
      120_000,
    );

    it.skipIf(lateData)(
      `answers 30 days (written at once) from the 1 h tier, every hour exact${lateData}`,
      async () => {
        const start = T0 - 29 * DAY;
        const points: MetricPoint[] = [];
        // A point every 5 min: 12 an hour, valued by its minute of the day.
        for (let at = start; at < start + 29 * DAY; at += 5 * MINUTE) points.push({ name: 'month', t: at, v: ((at - start) / MINUTE) % 1440 });
        for (let i = 0; i < points.length; i += 2000)
          await t.store.write([{ agentId: agent, hostId: host, batch: 3e6 + i, points: points.slice(i, i + 2000) }]);
        await settled(t.store, { hostId: host, name: 'month', from: start, to: start + 29 * DAY - 1 }, points.length);
        const [month] = await t.store.query({ hostId: host, name: 'month', from: start, to: start + 29 * DAY - 1, maxPoints: 29 * 24 });
        expect(month).toMatchObject({ tier: '1h', stepMs: HOUR });
        expect(month.points).toHaveLength(29 * 24);
        expect(month.points.every((p) => p.count === 12)).toBe(true);
        // Hour h of a day holds minutes 60h, 60h+5 ... 60h+55: min 60h, max 60h+55, mean 60h+27.5.
        expect(month.points[30]).toEqual({ t: start + 30 * HOUR, min: 360, max: 415, avg: 387.5, count: 12 });
      },
      120_000,
    );

    it('refuses a batch the store finds invalid to its own agent, once, and stores every other', async () => {
      const log = pino({ level: 'silent' });
      const pipeline = new IngestPipeline(t.store, { queuePoints: 1e6, batchPoints: 1e6, writeAttempts: 3, writers: 1 }, log);
      const outcome = new Map<string, string[]>();
      const offer = (agentId: string, batch: number, points: MetricPoint[]) => {
        const say = (what: string) => outcome.set(`${agentId}/${batch}`, [...(outcome.get(`${agentId}/${batch}`) ?? []), what]);
        const pending: PendingBatch = {
          agentId,
          hostId: host,
          batch,
          points,
          committed: () => say('committed'),
          refused: () => say('refused'),
          invalid: (reason) => say(`invalid: ${reason}`),
        };
        expect(pipeline.offer(pending)).toBe(true);
      };
      const honest = [randomUUID(), randomUUID(), randomUUID()];
      const poisoner = randomUUID();
      const at = T0 + 45 * MINUTE;
      offer(honest[0], 1, [{ name: 'honest', t: at, v: 1 }]);
      offer(poisoner, 1, [{ name: 'honest', t: at + 1, v: 1000 }, t.poison]);
      offer(honest[1], 1, [{ name: 'honest', t: at + 2, v: 2 }]);
      offer(honest[2], 1, [{ name: 'honest', t: at + 3, v: 3 }]);
      await pipeline.drain();
      for (const a of honest) expect(outcome.get(`${a}/1`)).toEqual(['committed']);
      expect(outcome.get(`${poisoner}/1`)).toHaveLength(1);
      expect(outcome.get(`${poisoner}/1`)![0]).toMatch(/^invalid: (Postgres|QuestDB) (refused|cannot store)/);
      expect(pipeline.stats).toMatchObject({ committedBatches: 3, invalidBatches: 1, refusedBatches: 0 });
      expect(pipeline.writeFailure).toBeUndefined();
      await settled(t.store, { hostId: host, name: 'honest', from: at, to: at + 10 }, 3);
      const [stored] = await t.store.query({ hostId: host, name: 'honest', from: at, to: at + 10, maxPoints: 100 });
      expect(stored.points.map((p) => p.avg)).toEqual([1, 2, 3]);
    });
  });
}
