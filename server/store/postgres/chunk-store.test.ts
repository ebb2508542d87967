/**
 * The Postgres metric store against a real database (PGlite, or the Postgres server named by
 * DATABASE_URL): durability of acknowledged points across an unclean stop, batch dedupe, rollups,
 * retention, tier choice, counter rates, and the series limit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db.js';
import { InvalidWriteError, type IngestBatch } from '../metric-store.js';
import { parseTiers } from '../series/tiers.js';
import { HEAD_BUSY_MS, HEAD_GRACE_MS, pointsInWriteAheadRows, PostgresMetricStore, type ChunkStoreOptions } from './chunk-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5); // a Monday 00:00, aligned to every chunk span

let testDb: TestDb;
beforeAll(async () => {
  testDb = await openTestDb();
});
afterAll(async () => {
  await testDb?.close();
});

function options(over: Partial<ChunkStoreOptions> = {}): ChunkStoreOptions {
  return {
    tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
    writer: `test-${randomUUID()}`,
    checkpointMs: 3_600_000, // never on its own during a test: tests call checkpoint() when they mean it
    checkpointPoints: 10_000_000,
    maxSeriesPerHost: 1000,
    // Every closed head is written at the next checkpoint, busy or not ('keeps a closed head ...' tests the default).
    headBusyMs: 0,
    ...over,
  };
}

let batchSeq = 0;
function batch(hostId: string, points: IngestBatch['points'], agentId = hostId): IngestBatch {
  return { agentId, hostId, batch: ++batchSeq, points };
}

/** Points every stepMs over [start, start + spanMs) from f(t). */
function series(name: string, start: number, spanMs: number, stepMs: number, f: (t: number, i: number) => number) {
  const out: IngestBatch['points'] = [];
  for (let t = start, i = 0; t < start + spanMs; t += stepMs, i++) out.push({ name, t, v: f(t, i) });
  return out;
}

async function writeInBatches(store: PostgresMetricStore, hostId: string, points: IngestBatch['points'], per = 500) {
  for (let i = 0; i < points.length; i += per) await store.write([batch(hostId, points.slice(i, i + per))]);
}

describe('PostgresMetricStore', () => {
  it('keeps every acknowledged point through an unclean stop (no checkpoint, no close), rollups included', async () => {
    const opts = options();
    const host = randomUUID();
    const first = await PostgresMetricStore.open(testDb.db, opts);
    const points = series('cpu', T0, HOUR, 10_000, (_, i) => i % 7);
    await writeInBatches(first, host, points, 60);
    // The process dies: memory is gone, nothing was folded into chunks.
    first.abandon();
    const { rows } = await testDb.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM metric_chunks mc JOIN metric_series s ON s.id = mc.series_id WHERE s.host_id = $1',
      [host],
    );
    expect(rows[0].n).toBe(0);

    const second = await PostgresMetricStore.open(testDb.db, opts);
    const raw = await second.query({ hostId: host, name: 'cpu', from: T0, to: T0 + HOUR, maxPoints: 10_000 });
    expect(raw[0].tier).toBe('raw');
    expect(raw[0].points.map((p) => p.max)).toEqual(points.map((p) => p.v));
    const minutes = await second.query({ hostId: host, name: 'cpu', from: T0, to: T0 + HOUR - 1, maxPoints: 60 });
    expect(minutes[0].tier).toBe('1m');
    expect(minutes[0].points).toHaveLength(60);
    expect(minutes[0].points.every((p) => p.count === 6)).toBe(true);

    // And after folding, the same answers come from the chunk rows alone.
    await second.checkpoint();
    const { rows: wal } = await testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_wal WHERE writer = $1', [opts.writer]);
    expect(wal[0].n).toBe(0);
    await second.close();
    const third = await PostgresMetricStore.open(testDb.db, opts);
    expect((await third.query({ hostId: host, name: 'cpu', from: T0, to: T0 + HOUR, maxPoints: 10_000 }))[0].points).toEqual(raw[0].points);
    expect((await third.query({ hostId: host, name: 'cpu', from: T0, to: T0 + HOUR - 1, maxPoints: 60 }))[0].points).toEqual(minutes[0].points);
    await third.close();
  });

  it('counts a batch resent after a lost ack once, in raw points and in every rollup', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    const b = batch(
      host,
      series('load', T0, 10 * 60_000, 10_000, () => 2),
    );
    await store.write([b]);
    await store.write([b]); // the ack was lost; the agent sends it again
    await store.write([b, b]); // even twice in one flush
    await store.checkpoint();
    await store.write([b]); // and after it was folded into chunks
    const hour = await store.query({ hostId: host, name: 'load', from: T0, to: T0 + HOUR - 1, maxPoints: 1 });
    expect(hour[0].tier).toBe('1h');
    expect(hour[0].points).toEqual([{ t: T0, min: 2, max: 2, avg: 2, count: 60 }]);
    const raw = await store.query({ hostId: host, name: 'load', from: T0, to: T0 + HOUR, maxPoints: 1000 });
    expect(raw[0].points).toHaveLength(60);
    await store.close();
  });

  it('stores the new batch of a write that also holds a resent one, and the resent one once, with each batch id recorded once', async () => {
    const opts = options();
    const store = await PostgresMetricStore.open(testDb.db, opts);
    const host = randomUUID();
    const old = batch(
      host,
      series('load', T0, 5 * 60_000, 10_000, () => 1),
    );
    const fresh = batch(
      host,
      series('load', T0 + 5 * 60_000, 5 * 60_000, 10_000, () => 3),
    );
    await store.write([old]);
    // One statement takes a write of new batches; a resent one makes it roll back, and the write goes batch by batch.
    await store.write([old, fresh]);
    const raw = await store.query({ hostId: host, name: 'load', from: T0, to: T0 + 10 * 60_000, maxPoints: 1000 });
    expect(raw[0].points.map((p) => p.avg)).toEqual([...Array(30).fill(1), ...Array(30).fill(3)]);
    const { rows } = await testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_batches WHERE agent_id = $1', [host]);
    expect(rows[0].n).toBe(2);
    // 24 bytes a point (series id, time, value): the rolled-back statement left no row.
    const wal = await testDb.db.query<{ n: number }>('SELECT (sum(octet_length(data)) / 24)::int AS n FROM metric_wal WHERE writer = $1', [opts.writer]);
    expect(wal.rows[0].n).toBe(60);
    await store.close();
  });

  it('distortion: a 1 s spike in a flat series keeps its max and the exact mean in the 1 h tier after raw data expired', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    // Retention horizons are per tier for the whole store: this test's data lies well before the others'.
    const T0 = Date.UTC(2025, 9, 6);
    const spikeAt = T0 + 5 * HOUR + 1234 * 1000;
    // Three hours of 1 s samples, flat at 0 but for one second at 100.
    const points = series('latency', T0 + 4 * HOUR, 3 * HOUR, 1000, (t) => (t === spikeAt ? 100 : 0));
    await writeInBatches(store, host, points, 2000);
    await store.checkpoint();

    const report = await store.retain(T0 + 4 * HOUR + 3 * DAY);
    expect(report.tiers.find((t) => t.tier === 'raw')!.dropped).toBeGreaterThan(0);
    const { rows } = await testDb.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = $1 AND c.tier = 0',
      [host],
    );
    expect(rows[0].n).toBe(0);

    // Asking for raw resolution still cannot get raw points: the answer comes from the finest tier left.
    const fine = await store.query({ hostId: host, name: 'latency', from: T0 + 4 * HOUR, to: T0 + 7 * HOUR - 1, maxPoints: 100_000 });
    expect(fine[0].tier).toBe('1m');
    expect(Math.max(...fine[0].points.map((p) => p.max))).toBe(100);

    const hours = await store.query({ hostId: host, name: 'latency', from: T0 + 4 * HOUR, to: T0 + 7 * HOUR - 1, maxPoints: 3 });
    expect(hours[0].tier).toBe('1h');
    expect(hours[0].points).toEqual([
      { t: T0 + 4 * HOUR, min: 0, max: 0, avg: 0, count: 3600 },
      { t: T0 + 5 * HOUR, min: 0, max: 100, avg: 100 / 3600, count: 3600 },
      { t: T0 + 6 * HOUR, min: 0, max: 0, avg: 0, count: 3600 },
    ]);
    // Widened past the tier (all in one 4 h bucket): still the spike and the exact mean of all 10 800 samples.
    const whole = await store.query({ hostId: host, name: 'latency', from: T0 + 4 * HOUR, to: T0 + 7 * HOUR - 1, maxPoints: 1 });
    expect(whole[0].stepMs).toBe(4 * HOUR);
    expect(whole[0].points).toEqual([{ t: T0 + 4 * HOUR, min: 0, max: 100, avg: 100 / 10_800, count: 10_800 }]);
    await store.close();
  });

  it('gives the right rate for a counter across a reset, from raw points and from rollups', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    // 10 per second, every 10 s, for 2 h; the process restarts at 50 min: the counter starts again from 0.
    const resetAt = T0 + 50 * 60_000;
    const points = series('net.bytes', T0, 2 * HOUR, 10_000, (t) => (t < resetAt ? 1_000_000 + (t - T0) / 100 : (t - resetAt) / 100 + 100));
    await writeInBatches(store, host, points);
    const raw = await store.query({ hostId: host, name: 'net.bytes', from: T0, to: T0 + 2 * HOUR, maxPoints: 10_000, fn: 'rate' });
    expect(raw[0].tier).toBe('raw');
    expect(raw[0].points).toHaveLength(points.length - 1);
    // Every step is +100 in 10 s except the reset, where the counter went 1_000_000+... -> 100: 100 since the reset.
    expect(raw[0].points.every((p) => p.avg === 10)).toBe(true);

    await store.checkpoint();
    const minutes = await store.query({ hostId: host, name: 'net.bytes', from: T0, to: T0 + 2 * HOUR - 1, maxPoints: 200, fn: 'rate' });
    expect(minutes[0].tier).toBe('1m');
    expect(minutes[0].points).toHaveLength(119);
    expect(minutes[0].points.every((p) => Math.abs(p.avg - 10) < 1e-9)).toBe(true);
    await store.close();
  });

  it('picks the finest tier that fits max_points and that retention has not cut', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    await writeInBatches(
      store,
      host,
      series('mem', T0, 2 * DAY, 60_000, (_, i) => i),
      2000,
    );
    const q = (from: number, to: number, maxPoints: number) => store.query({ hostId: host, name: 'mem', from, to, maxPoints });
    expect((await q(T0, T0 + HOUR, 100))[0].tier).toBe('raw');
    expect((await q(T0, T0 + DAY, 100))[0].tier).toBe('1h');
    const day = await q(T0, T0 + DAY - 1, 1440);
    expect(day[0].tier).toBe('raw'); // 1 min data: raw holds 1440 points, which fit
    const widened = await q(T0, T0 + 2 * DAY - 1, 24);
    expect(widened[0].tier).toBe('1h');
    expect(widened[0].stepMs).toBe(2 * HOUR);
    expect(widened[0].points).toHaveLength(24);
    expect(widened[0].points[0]).toEqual({ t: T0, min: 0, max: 119, avg: 59.5, count: 120 });
    await store.close();
  });

  it('merges a late point into a chunk already written', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    await writeInBatches(
      store,
      host,
      series('disk', T0, HOUR, 10_000, () => 1),
    );
    await store.checkpoint();
    await store.write([batch(host, [{ name: 'disk', t: T0 + 5_000, v: 9 }])]);
    await store.checkpoint();
    const raw = await store.query({ hostId: host, name: 'disk', from: T0, to: T0 + 20_000, maxPoints: 100 });
    expect(raw[0].points.map((p) => [p.t - T0, p.max])).toEqual([
      [0, 1],
      [5_000, 9],
      [10_000, 1],
      [20_000, 1],
    ]);
    const minute = await store.query({ hostId: host, name: 'disk', from: T0, to: T0 + 59_999, maxPoints: 1 });
    expect(minute[0].points[0]).toMatchObject({ max: 9, count: 7 });
    await store.close();
  });

  it('writes each chunk once, when its span closes: checkpoints before write no chunk row, and a restart restores the open heads', async () => {
    const host = randomUUID();
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    let clock = T0 + 30 * 60_000;
    const opts = options({ now: () => clock });
    /** Points of every series, every 10 s over [from, from + spanMs). */
    const writeAll = async (store: PostgresMetricStore, from: number, spanMs: number) => {
      for (let at = from; at < from + spanMs; at += 60_000) {
        await store.write([
          batch(
            host,
            names.flatMap((name) => series(name, at, Math.min(60_000, from + spanMs - at), 10_000, (t) => t / 1000)),
          ),
        ]);
      }
    };
    const chunkRows = async () =>
      (
        await testDb.db.query<{ tier: number; name: string; xmin: string }>(
          'SELECT c.tier, s.name, c.xmin::text AS xmin FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = $1 ORDER BY 1, 2',
          [host],
        )
      ).rows;
    const walRows = async () =>
      (await testDb.db.query<{ bytes: number }>('SELECT length(data) AS bytes FROM metric_wal WHERE writer = $1', [opts.writer])).rows;

    const first = await PostgresMetricStore.open(testDb.db, opts);
    await writeAll(first, T0, 5 * 60_000);
    await first.checkpoint();
    await writeAll(first, T0 + 5 * 60_000, 5 * 60_000);
    await first.checkpoint();
    // The chunk span [T0, T0 + 2 h) is open: no chunk row was written, by either checkpoint.
    expect(await chunkRows()).toEqual([]);
    // The write-ahead rows are one snapshot of the open heads, far smaller than the 24 B a point logged.
    const wal = await walRows();
    expect(wal).toHaveLength(1);
    expect(wal[0].bytes).toBeLessThan((names.length * 60 * 24) / 4);

    // The process dies; the next one replays the snapshot and answers every point, raw and rolled up.
    first.abandon();
    // (Every other test's store closed, so these are the only points held in write-ahead rows.)
    expect(await pointsInWriteAheadRows(testDb.db)).toBe(names.length * 60);
    const second = await PostgresMetricStore.open(testDb.db, opts);
    const raw = await second.query({ hostId: host, name: 's7', from: T0, to: T0 + HOUR, maxPoints: 10_000 });
    expect(raw[0].points.map((p) => p.max)).toEqual(Array.from({ length: 60 }, (_, i) => T0 / 1000 + i * 10));
    const minutes = await second.query({ hostId: host, name: 's7', from: T0, to: T0 + 10 * 60_000 - 1, maxPoints: 10 });
    expect(minutes[0]).toMatchObject({ tier: '1m' });
    expect(minutes[0].points.map((p) => p.count)).toEqual(Array(10).fill(6));

    // Past the span's end and its grace: the next checkpoint writes the chunk, one row per series and tier.
    clock = T0 + 2 * HOUR + HEAD_GRACE_MS + 60_000;
    await writeAll(second, T0 + 2 * HOUR, 5 * 60_000);
    await second.checkpoint();
    const written = await chunkRows();
    expect(written).toHaveLength(3 * names.length);
    expect(new Set(written.map((r) => r.tier))).toEqual(new Set([0, 60, 3600]));
    // Later checkpoints, with points in the new open span, leave those rows alone.
    await writeAll(second, T0 + 2 * HOUR + 5 * 60_000, 5 * 60_000);
    await second.checkpoint();
    clock += 10 * 60_000;
    await second.checkpoint();
    expect(await chunkRows()).toEqual(written);

    const all = await second.query({ hostId: host, name: 's7', from: T0, to: T0 + 3 * HOUR, maxPoints: 10_000 });
    expect(all[0].points).toHaveLength(120);
    const hours = await second.query({ hostId: host, name: 's7', from: T0, to: T0 + 3 * HOUR - 1, maxPoints: 3 });
    expect(hours[0].points.map((p) => p.count)).toEqual([60, 60]);
    await second.close();
  });

  it('keeps a closed head open while points still arrive for it (a backfill) and writes it once they stop, or after two busy checkpoints', async () => {
    const host = randomUUID();
    let clock = T0 + DAY; // every span of T0's day has closed
    const store = await PostgresMetricStore.open(testDb.db, options({ headBusyMs: HEAD_BUSY_MS, now: () => clock }));
    const rows = async (name: string) =>
      (
        await testDb.db.query<{ n: number; xmin: string }>(
          'SELECT c.n, c.xmin::text AS xmin FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = $1 AND s.name = $2 AND c.tier = 0',
          [host, name],
        )
      ).rows;
    const count = async (name: string) => (await store.query({ hostId: host, name, from: T0, to: T0 + HOUR, maxPoints: 10_000 }))[0].points.length;
    // 'steady' gets points at every checkpoint; 'done' gets them once.
    await store.write([batch(host, [...series('steady', T0, 60_000, 10_000, () => 1), ...series('done', T0, 60_000, 10_000, () => 2)])]);
    clock += HEAD_BUSY_MS + 1;
    await store.write([
      batch(
        host,
        series('steady', T0 + 60_000, 60_000, 10_000, () => 1),
      ),
    ]);
    await store.checkpoint();
    // Idle for longer than HEAD_BUSY_MS: written. Busy: kept, and every point still answers.
    expect((await rows('done')).map((r) => r.n)).toEqual([6]);
    expect(await rows('steady')).toEqual([]);
    expect(await count('steady')).toBe(12);
    await store.write([
      batch(
        host,
        series('steady', T0 + 120_000, 60_000, 10_000, () => 1),
      ),
    ]);
    await store.checkpoint();
    expect(await rows('steady')).toEqual([]);
    // A third busy checkpoint writes it all the same (a head cannot stay open for ever).
    await store.write([
      batch(
        host,
        series('steady', T0 + 180_000, 60_000, 10_000, () => 1),
      ),
    ]);
    await store.checkpoint();
    const written = await rows('steady');
    expect(written.map((r) => r.n)).toEqual([24]);
    // Written once: later checkpoints without its points leave the row alone.
    clock += HEAD_BUSY_MS + 1;
    await store.checkpoint();
    expect(await rows('steady')).toEqual(written);
    expect(await count('steady')).toBe(24);
    await store.close();
  });

  it('writes the closing heads of more series than one statement takes, every one, in one transaction', async () => {
    // 3 hosts x 900 series = 2,700 series: more than one slice of the fold (2,000 series a statement).
    const hosts = [randomUUID(), randomUUID(), randomUUID()];
    let clock = T0 + 30 * 60_000;
    const opts = options({ now: () => clock });
    const store = await PostgresMetricStore.open(testDb.db, opts);
    for (const host of hosts) {
      const points = Array.from({ length: 900 }, (_, i) => series(`m${i}`, T0, 60_000, 20_000, (t) => i + t / 1e12)).flat();
      await writeInBatches(store, host, points, 2700);
    }
    clock = T0 + 2 * HOUR + HEAD_GRACE_MS + 60_000;
    await store.checkpoint();
    const { rows } = await testDb.db.query<{ tier: number; n: number; total: number; tx: number }>(
      `SELECT c.tier, count(*)::int AS n, sum(c.n)::int AS total, count(DISTINCT c.xmin::text)::int AS tx
         FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = ANY($1::uuid[]) GROUP BY 1 ORDER BY 1`,
      [hosts],
    );
    // One row per series and tier; 3 raw points and one 1 m and one 1 h bucket each; all from one transaction.
    expect(rows).toEqual([
      { tier: 0, n: 2700, total: 8100, tx: 1 },
      { tier: 60, n: 2700, total: 2700, tx: 1 },
      { tier: 3600, n: 2700, total: 2700, tx: 1 },
    ]);
    const txs = await testDb.db.query<{ n: number }>(
      'SELECT count(DISTINCT c.xmin::text)::int AS n FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = ANY($1::uuid[])',
      [hosts],
    );
    expect(txs.rows[0].n).toBe(1);
    const [last] = await store.query({ hostId: hosts[2], name: 'm899', from: T0, to: T0 + HOUR, maxPoints: 100 });
    expect(last.points.map((p) => p.t)).toEqual([T0, T0 + 20_000, T0 + 40_000]);
    await store.close();
  });

  it('answers every acknowledged point while checkpoints write closing chunks meanwhile', async () => {
    const host = randomUUID();
    let clock = T0;
    const store = await PostgresMetricStore.open(testDb.db, options({ now: () => clock }));
    let acked = 0;
    let writing = true;
    // Points every 10 min; the clock follows, so a chunk closes every 12 points and checkpoints write it.
    const writer = (async () => {
      for (let i = 0; i < 120; i++) {
        await store.write([batch(host, [{ name: 'x', t: T0 + i * 600_000, v: i }])]);
        acked = i + 1;
        clock = T0 + i * 600_000;
        if (i % 3 === 0) void store.checkpoint();
      }
      writing = false;
    })();
    const answers: number[] = [];
    while (writing) {
      const before = acked;
      const [x] = await store.query({ hostId: host, name: 'x', from: T0, to: T0 + DAY, maxPoints: 10_000 });
      const n = x?.points.length ?? 0;
      // Never fewer than were acknowledged before the query began, never more than exist.
      expect(n).toBeGreaterThanOrEqual(before);
      expect(n).toBeLessThanOrEqual(acked);
      answers.push(n);
    }
    await writer;
    await store.checkpoint();
    expect((await store.query({ hostId: host, name: 'x', from: T0, to: T0 + DAY, maxPoints: 10_000 }))[0].points).toHaveLength(120);
    expect(answers.length).toBeGreaterThan(10);
    await store.close();
  });

  it('in a cluster, writes the open heads that got points at every checkpoint, each point counted once', async () => {
    const host = randomUUID();
    const store = await PostgresMetricStore.open(testDb.db, options({ writeOpenHeads: true, now: () => T0 + 30 * 60_000 }));
    const rows = async () =>
      (
        await testDb.db.query<{ name: string; xmin: string }>(
          'SELECT s.name, c.xmin::text AS xmin FROM metric_chunks c JOIN metric_series s ON s.id = c.series_id WHERE s.host_id = $1 AND c.tier = 0 ORDER BY 1',
          [host],
        )
      ).rows;
    await store.write([batch(host, [...series('a', T0, 60_000, 10_000, () => 1), ...series('b', T0, 60_000, 10_000, () => 1)])]);
    await store.checkpoint();
    const first = await rows();
    expect(first.map((r) => r.name)).toEqual(['a', 'b']);
    // Only the series that got points since is rewritten; nothing is counted twice.
    await store.write([
      batch(
        host,
        series('a', T0 + 60_000, 60_000, 10_000, () => 1),
      ),
    ]);
    await store.checkpoint();
    const second = await rows();
    expect(second[0].xmin).not.toBe(first[0].xmin);
    expect(second[1].xmin).toBe(first[1].xmin);
    const [a] = await store.query({ hostId: host, name: 'a', from: T0, to: T0 + HOUR - 1, maxPoints: 1 });
    expect(a.points[0].count).toBe(12);
    await store.close();
  });

  it('stores points that share a labels object (as line protocol gives them) in their own series, by name and labels', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options());
    const host = randomUUID();
    const cpu0 = { cpu: '0' };
    const cpu1 = { cpu: '1' };
    // The fields of one line follow one another with one labels object; the next line has another.
    const step = (t: number, names: string[]) => [cpu0, cpu1].flatMap((labels, k) => names.map((name, n) => ({ name, labels, t, v: 10 * k + n })));
    await store.write([
      batch(
        host,
        [0, 1, 2].flatMap((i) => step(T0 + i * 10_000, ['user', 'system'])),
      ),
    ]);
    // Series known now, and a new one (idle) among them.
    await store.write([
      batch(
        host,
        [3, 4].flatMap((i) => step(T0 + i * 10_000, ['user', 'system', 'idle'])),
      ),
    ]);
    const values = async (name: string, labels: Record<string, string>) =>
      (await store.query({ hostId: host, name, labels, from: T0, to: T0 + HOUR, maxPoints: 100 }))[0].points.map((p) => p.max);
    expect(await values('user', cpu0)).toEqual([0, 0, 0, 0, 0]);
    expect(await values('system', cpu0)).toEqual([1, 1, 1, 1, 1]);
    expect(await values('idle', cpu0)).toEqual([2, 2]);
    expect(await values('user', cpu1)).toEqual([10, 10, 10, 10, 10]);
    expect(await values('system', cpu1)).toEqual([11, 11, 11, 11, 11]);
    expect(await values('idle', cpu1)).toEqual([12, 12]);
    await store.close();
  });

  it('rejects series past the per-host limit and invalid names, keeping the rest', async () => {
    const store = await PostgresMetricStore.open(testDb.db, options({ maxSeriesPerHost: 3 }));
    const host = randomUUID();
    const points = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, t: T0, v: 1 }));
    // An invalid name is refused as an invalid write (never dropped in silence); past the limit, dropped and counted.
    await expect(store.write([batch(host, [{ name: '9bad name', t: T0, v: 1 }])])).rejects.toThrow(InvalidWriteError);
    await store.write([batch(host, points)]);
    expect(await store.names(host)).toEqual(['a', 'b', 'c']);
    expect(store.rejections).toEqual({ overLimit: 2, invalid: 1 });
    // Still refused later, and a restarted store counts the host's series from the table.
    await store.write([batch(host, [{ name: 'd', t: T0 + 10_000, v: 1 }])]);
    expect(store.rejections.overLimit).toBe(3);
    await store.close();
    const again = await PostgresMetricStore.open(testDb.db, options({ maxSeriesPerHost: 3 }));
    await again.write([
      batch(host, [
        { name: 'f', t: T0, v: 1 },
        { name: 'a', t: T0 + 10_000, v: 2 },
      ]),
    ]);
    expect(await again.names(host)).toEqual(['a', 'b', 'c']);
    expect(again.rejections.overLimit).toBe(1);
    await again.close();
  });

  it('counts series that existed before it first saw the host once, when some of a new batch exist already', async () => {
    const host = randomUUID();
    const other = await PostgresMetricStore.open(testDb.db, options({ maxSeriesPerHost: 6 }));
    const store = await PostgresMetricStore.open(testDb.db, options({ maxSeriesPerHost: 6 }));
    const write = (s: typeof store, names: string[], t: number) =>
      s.write([
        batch(
          host,
          names.map((name) => ({ name, t, v: t })),
          randomUUID(),
        ),
      ]);
    await write(other, ['b', 'c'], T0);
    // First sight here: the host has 2 series; a and d are made, b and c found (inserted elsewhere), 4 in all.
    await write(store, ['a', 'b', 'c', 'd'], T0 + 10_000);
    await write(store, ['e', 'f', 'g'], T0 + 20_000);
    expect(await store.names(host)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(store.rejections.overLimit).toBe(1);
    const { rows } = await testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_series WHERE host_id = $1', [host]);
    expect(rows[0].n).toBe(6);
    await store.close();
    await other.close();
  });
});
