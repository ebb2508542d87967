/**
 * Metric store benchmark: writes 1,000 series x 1 day of 10 s points (8.64 M points) through the Postgres
 * metric store as the ingest pipeline would (20,000-point writes, each a transaction with its write-ahead
 * row; checkpoints folding them into chunk rows as they fall due), then prints points/s written and the
 * bytes per raw point and per rollup bucket each tier takes on disk (table + indexes + TOAST), and the p99
 * of a 30-day range query for one series answered from the rollup tiers.
 *
 * Runs on PGlite always, and on the Postgres server named by DATABASE_URL when it is set (a fresh
 * database aw_bench_<random> there, dropped at the end).
 *   npm run bench:store                     PGlite only
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:store
 * BENCH_SERIES and BENCH_DAYS shrink or grow the write part.
 *
 * Then the stores side by side on a Telegraf-shaped set pushed through /api/v1/write (bench/store-peers.ts):
 * AutoWatch on Postgres (DATABASE_URL, else PGlite), on QuestDB (../shared/questdb) and VictoriaMetrics.
 *   npm run bench:store -- --peers-only --hosts 200 --hours 6     the 21.6 M points
 *   flags: --hosts 20 --hours 6 --stores postgres,questdb,victoria --concurrency 8 --steps-per-request 140
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Bench } from 'tinybench';
import { openDb, type Db } from '../server/store/db.js';
import { migrate } from '../server/store/migrate.js';
import type { IngestBatch } from '../server/store/metric-store.js';
import { PostgresMetricStore } from '../server/store/postgres/chunk-store.js';
import { bytesCounter, constant, cpuPercent, DAY_OF_10S, memoryBytes, SAMPLE_START_MS, seededRandom } from '../server/store/series/sample-series.js';
import { parseTiers } from '../server/store/series/tiers.js';
import { runPeers, type PeerOptions } from './store-peers.js';

const SERIES = Number(process.env.BENCH_SERIES ?? 1000);
const DAYS = Number(process.env.BENCH_DAYS ?? 1);
const SERIES_PER_HOST = 50;
const WRITE_POINTS = 20_000;
const QUERY_SERIES_DAYS = 30;
const tiers = parseTiers('raw:2d,1m:30d,1h:3y');

/**
 * The mix of series an agent reports: mostly gauges with one decimal (CPU %, load), memory and disk in
 * bytes, sizes that never change, and some counters. Each series gets its own seed.
 */
function seriesValues(i: number, n: number): Float64Array {
  const rnd = seededRandom(1000 + i);
  const kind = i % 10;
  if (kind < 4) return cpuPercent(n, rnd);
  if (kind < 7) return memoryBytes(n, rnd);
  if (kind < 9) return constant(n, 1e9 + i * 4096);
  return bytesCounter(n, rnd);
}

interface Target {
  name: string;
  db: Db;
  close(): Promise<void>;
}

async function targets(): Promise<Target[]> {
  const out: Target[] = [];
  const lite = await openDb({});
  out.push({ name: 'PGlite', db: lite, close: () => lite.close() });
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `aw_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    const db = await openDb({ databaseUrl: u.toString() });
    out.push({
      name: 'Postgres',
      db,
      close: async () => {
        await db.close();
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    });
  } else {
    console.log('DATABASE_URL is not set: Postgres server skipped (set it to measure a real server too).');
  }
  return out;
}

/** Writes `days` of 10 s points for `series` series as agent batches grouped into pipeline-sized writes. */
async function writeSeries(store: PostgresMetricStore, series: number, days: number, start: number, names: (i: number) => string): Promise<number> {
  const n = DAY_OF_10S * days;
  const values = Array.from({ length: series }, (_, i) => seriesValues(i, n));
  const hosts = Array.from({ length: Math.ceil(series / SERIES_PER_HOST) }, () => randomUUID());
  let batchId = 0;
  let pending: IngestBatch[] = [];
  let pendingPoints = 0;
  let written = 0;
  for (let k = 0; k < n; k++) {
    const t = start + k * 10_000;
    for (let h = 0; h < hosts.length; h++) {
      const points = [];
      for (let i = h * SERIES_PER_HOST; i < Math.min(series, (h + 1) * SERIES_PER_HOST); i++) points.push({ name: names(i), t, v: values[i][k] });
      pending.push({ agentId: hosts[h], hostId: hosts[h], batch: ++batchId, points });
      pendingPoints += points.length;
      if (pendingPoints >= WRITE_POINTS) {
        await store.write(pending);
        written += pendingPoints;
        pending = [];
        pendingPoints = 0;
      }
    }
  }
  if (pending.length) await store.write(pending);
  return written + pendingPoints;
}

async function tierSizes(db: Db): Promise<Array<{ tier: string; bytes: number; rows: number; items: number; encoded: number }>> {
  const out = [];
  for (const t of tiers) {
    const rel = `metric_chunks_t${t.id}`;
    const { rows } = await db.query<{ bytes: number; rows: number; items: number; encoded: number }>(
      `SELECT pg_total_relation_size('${rel}')::bigint AS bytes, count(*)::int AS rows, coalesce(sum(n), 0)::bigint AS items,
              coalesce(sum(octet_length(data)), 0)::bigint AS encoded FROM ${rel}`,
    );
    out.push({ tier: t.label, bytes: Number(rows[0].bytes), rows: rows[0].rows, items: Number(rows[0].items), encoded: Number(rows[0].encoded) });
  }
  return out;
}

/**
 * Bytes per point/bucket of the chunk rows from `since` on (the 30-day series): their encoded data plus,
 * per row, the overhead (tuple header, key columns, index entry, page slack) the 1-day load's relations
 * show after VACUUM FULL: (bytes on disk - encoded bytes) / rows.
 */
async function steadyState(db: Db, load: Awaited<ReturnType<typeof tierSizes>>, since: number) {
  const out = [];
  for (const [i, t] of tiers.entries()) {
    const { rows } = await db.query<{ rows: number; items: number; encoded: number }>(
      `SELECT count(*)::int AS rows, coalesce(sum(n), 0)::bigint AS items, coalesce(sum(octet_length(data)), 0)::bigint AS encoded
         FROM metric_chunks_t${t.id} WHERE chunk_start >= $1`,
      [since - t.chunkMs],
    );
    const r = { rows: rows[0].rows, items: Number(rows[0].items), encoded: Number(rows[0].encoded) };
    const overhead = (load[i].bytes - load[i].encoded) / load[i].rows;
    out.push({
      tier: t.label,
      'chunk rows': r.rows,
      [t.widthMs ? 'buckets' : 'points']: r.items,
      'items per row': Math.round(r.items / r.rows),
      'row overhead B': Math.round(overhead),
      'B per point/bucket': +((r.encoded + overhead * r.rows) / r.items).toFixed(3),
    });
  }
  return out;
}

async function run(target: Target): Promise<void> {
  const { db } = target;
  await migrate(db);
  const store = await PostgresMetricStore.open(db, {
    tiers,
    writer: 'bench',
    checkpointMs: 60_000,
    checkpointPoints: 500_000,
    maxSeriesPerHost: 10_000,
  });
  const began = performance.now();
  const points = await writeSeries(store, SERIES, DAYS, SAMPLE_START_MS, (i) => `bench.s${i % SERIES_PER_HOST}`);
  const acked = performance.now();
  await store.close();
  const folded = performance.now();
  console.log(
    `\n## ${target.name}: ${SERIES} series x ${DAYS} d of 10 s points = ${points.toLocaleString('en')} points\n` +
      `written and acknowledged in ${((acked - began) / 1000).toFixed(1)} s: ${Math.round(points / ((acked - began) / 1000)).toLocaleString('en')} points/s ` +
      `(${Math.round(points / ((folded - began) / 1000)).toLocaleString('en')} points/s including the final checkpoint)`,
  );

  const before = await tierSizes(db);
  await db.exec('VACUUM FULL metric_chunks_t0, metric_chunks_t60, metric_chunks_t3600');
  const after = await tierSizes(db);
  console.table(
    after.map((s, i) => ({
      tier: s.tier,
      'chunk rows': s.rows,
      [s.tier === 'raw' ? 'points' : 'buckets']: s.items,
      'bytes on disk': s.bytes,
      'B per point/bucket': +(s.bytes / s.items).toFixed(3),
      // The encoded data alone: what full chunk rows approach once row overhead is spread over them.
      'encoded B per point/bucket': +(s.encoded / s.items).toFixed(3),
      'B per point/bucket before VACUUM FULL': +(before[i].bytes / before[i].items).toFixed(3),
    })),
  );

  // 30 days of one host's series (one of each kind, in the mix's proportions), then range queries over
  // all 30 days for one series. These rows are also the steady state of the rollup tiers: a 1 h row of
  // the 1-day load holds 24 of its 360 buckets, these hold up to 360.
  const qstore = await PostgresMetricStore.open(db, { tiers, writer: 'bench-q', checkpointMs: 60_000, checkpointPoints: 500_000, maxSeriesPerHost: 10_000 });
  const qstart = SAMPLE_START_MS + 40 * 86_400_000;
  const qseries = 10;
  await writeSeries(qstore, qseries, QUERY_SERIES_DAYS, qstart, (i) => `month.s${i}`);
  await qstore.checkpoint();
  console.log(
    `\n${qseries} series x ${QUERY_SERIES_DAYS} d (rows as full as a month makes them): bytes per item = encoded data + the row overhead measured above`,
  );
  console.table(await steadyState(db, after, qstart));
  const { rows } = await db.query<{ host_id: string }>(`SELECT host_id FROM metric_series WHERE name = 'month.s0'`);
  const hostId = rows[0].host_id;
  const from = qstart;
  const to = qstart + QUERY_SERIES_DAYS * 86_400_000 - 1;
  const bench = new Bench({ time: 2000, warmupTime: 300 });
  const shapes: Array<[string, number]> = [
    ['max_points=1000 (1 h tier)', 1000],
    ['max_points=50000 (1 min tier)', 50_000],
  ];
  const answered = new Map<string, string>();
  for (const [label, maxPoints] of shapes) {
    bench.add(`30-day query, ${label}`, async () => {
      const r = await qstore.query({ hostId, name: 'month.s0', from, to, maxPoints });
      answered.set(label, `${r[0].tier}, ${r[0].points.length} points`);
    });
  }
  await bench.run();
  console.table(
    bench.tasks.map((task) => {
      const r = task.result as any;
      return {
        query: task.name,
        answer: answered.get(task.name.replace('30-day query, ', '')),
        'mean ms': +r.latency.mean.toFixed(3),
        'p99 ms': +r.latency.p99.toFixed(3),
        samples: r.latency.samplesCount ?? r.latency.samples?.length,
      };
    }),
  );
  await qstore.close();
}

const { values: flags } = parseArgs({
  options: {
    'peers-only': { type: 'boolean', default: false },
    hosts: { type: 'string', default: '20' },
    hours: { type: 'string', default: '6' },
    stores: { type: 'string', default: 'postgres,questdb,victoria' },
    concurrency: { type: 'string', default: '8' },
    'steps-per-request': { type: 'string', default: '140' },
  },
});
console.log(`node ${process.version}; figures measured while the machine does whatever else it does: say so when quoting them.`);
if (!flags['peers-only']) {
  const measured = await targets();
  for (const target of measured) {
    try {
      await run(target);
    } finally {
      await target.close();
    }
  }
}
await runPeers({
  hosts: Number(flags.hosts),
  hours: Number(flags.hours),
  concurrency: Number(flags.concurrency),
  stepsPerRequest: Number(flags['steps-per-request']),
  databaseUrl: process.env.DATABASE_URL,
  stores: flags.stores!.split(',') as PeerOptions['stores'],
});
