/**
 * The QuestDB metric store, for fleets past what one Postgres holds comfortably (docs/questdb.md).
 *
 * Write: ILP over HTTP (@questdb/nodejs-client), one request per store write, answered after QuestDB
 * committed it. Points go to `aw_points`, whose DEDUP UPSERT KEYS(ts, host, series) make a resent batch
 * replace its own rows instead of adding to them: idempotent without tracking batch ids.
 * Rollups: materialized views refreshed by QuestDB as rows arrive, each tier rolled from the one before with
 * SAMPLE BY (min of min, max of max, sum of sum and count, last of last), so they follow the deduplicated
 * points exactly. Retention: each table and view has a TTL; QuestDB drops whole partitions past it.
 * Read: the Postgres wire protocol; tier choice and answer shaping are the Postgres store's (tiers.ts,
 * series-answer.ts), so both stores answer a query alike.
 */
import { Sender } from '@questdb/nodejs-client';
import pg from 'pg';
import type { Labels } from '../../../protocol/messages.js';
import type { Logger } from '../../log.js';
import {
  InvalidWriteError,
  type IngestBatch,
  type MetricStore,
  type RetentionReport,
  type SeriesIdentity,
  type SeriesQuery,
  type SeriesResult,
} from '../metric-store.js';
import { answerFromBuckets, answerFromPoints } from '../series/series-answer.js';
import { checkSeriesIdentity, seriesKey } from '../series/series-rules.js';
import { bucketStart, type RollupBucket } from '../series/rollup.js';
import { chooseTier, type Tier, type TierEstimate } from '../series/tiers.js';

export interface QuestDbStoreOptions {
  /** ILP/HTTP endpoint, e.g. http://127.0.0.1:9000. */
  httpUrl: string;
  /** Postgres wire endpoint, e.g. postgres://admin:quest@127.0.0.1:8812/qdb. */
  pgUrl: string;
  tiers: Tier[];
  /** Table name prefix (tests use their own). */
  prefix?: string;
  log?: Logger;
}

const DAY_MS = 86_400_000;

/** A calendar month on average (365.25 / 12 days): 3y (3 × 365 days) is 36 months, as a reader expects. */
const MONTH_MS = (365.25 / 12) * DAY_MS;
/** QuestDB refuses designated timestamps after 9999-12-31, with a 500 that looks like an outage. */
const LAST_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Partitioning and TTL for a retention: TTL must be a whole number of partitions. */
export function partitioning(retentionMs: number): string {
  if (retentionMs < 365 * DAY_MS) return `PARTITION BY DAY TTL ${Math.max(1, Math.ceil(retentionMs / DAY_MS))} DAYS`;
  return `PARTITION BY MONTH TTL ${Math.ceil(retentionMs / MONTH_MS)} MONTHS`;
}

/** QuestDB's answer to a refused ILP request: `HTTP request failed, statusCode=400, error={"message":...}`. */
function refusal(err: unknown): InvalidWriteError | undefined {
  const m = /statusCode=(4\d\d), error=(.*)$/s.exec((err as Error)?.message ?? '');
  if (!m) return undefined;
  let reason = m[2];
  try {
    reason = (JSON.parse(m[2]) as { message?: string }).message ?? reason;
  } catch {
    // not JSON: QuestDB's text as it came
  }
  return new InvalidWriteError(`QuestDB refused the points (HTTP ${m[1]}): ${reason}`, { cause: err });
}

/** Default pg-wire URL next to an ILP/HTTP URL: same host, port 8812, QuestDB's default account. */
export function questDbPgUrl(httpUrl: string): string {
  const u = new URL(httpUrl);
  return `postgres://admin:quest@${u.hostname}:8812/qdb`;
}

/** A number of ms as a QuestDB timestamp literal (microseconds); only ever given integers we computed. */
function ts(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`not an integer time: ${ms}`);
  return `CAST(${ms * 1000} AS TIMESTAMP)`;
}

export class QuestDbMetricStore implements MetricStore {
  private readonly known = new Set<string>();
  private serial: Promise<unknown> = Promise.resolve();
  private readonly points: string;
  private readonly seriesTable: string;

  private constructor(
    private readonly sender: Sender,
    private readonly pool: pg.Pool,
    private readonly opts: QuestDbStoreOptions,
  ) {
    const prefix = opts.prefix ?? 'aw';
    this.points = `${prefix}_points`;
    this.seriesTable = `${prefix}_series`;
  }

  static async open(opts: QuestDbStoreOptions): Promise<QuestDbMetricStore> {
    const u = new URL(opts.httpUrl);
    const sender = await Sender.fromConfig(`${u.protocol.replace(':', '')}::addr=${u.hostname}:${u.port || 9000};auto_flush=off;`);
    const pool = new pg.Pool({ connectionString: opts.pgUrl, max: 4 });
    pool.on('error', () => undefined);
    const store = new QuestDbMetricStore(sender, pool, opts);
    await store.createTables();
    return store;
  }

  private tierTable(i: number): string {
    return i === 0 ? this.points : `${this.points}_${this.opts.tiers[i].label}`;
  }

  private async createTables(): Promise<void> {
    const { tiers } = this.opts;
    const q = (sql: string) => this.pool.query(sql);
    await q(
      `CREATE TABLE IF NOT EXISTS ${this.points} (host SYMBOL, series SYMBOL, v DOUBLE, sample_ts TIMESTAMP, ts TIMESTAMP)
       TIMESTAMP(ts) ${partitioning(tiers[0].retentionMs)} WAL DEDUP UPSERT KEYS(ts, host, series)`,
    );
    // One row per series (ts fixed at 0, so the upsert keeps it single): names and labels for lookups.
    await q(
      `CREATE TABLE IF NOT EXISTS ${this.seriesTable} (host SYMBOL, series SYMBOL, name SYMBOL, labels STRING, ts TIMESTAMP)
       TIMESTAMP(ts) PARTITION BY YEAR WAL DEDUP UPSERT KEYS(ts, host, series)`,
    );
    for (let i = 1; i < tiers.length; i++) {
      const from = this.tierTable(i - 1);
      const select =
        i === 1
          ? `SELECT ts, host, series, min(v) AS vmin, max(v) AS vmax, sum(v) AS vsum, count() AS n, last(v) AS vlast, max(sample_ts) AS last_ts FROM ${from}`
          : `SELECT ts, host, series, min(vmin) AS vmin, max(vmax) AS vmax, sum(vsum) AS vsum, sum(n) AS n, last(vlast) AS vlast, max(last_ts) AS last_ts FROM ${from}`;
      await q(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${this.tierTable(i)} AS (${select} SAMPLE BY ${tiers[i].label}) ${partitioning(tiers[i].retentionMs)}`);
    }
  }

  async write(batches: IngestBatch[]): Promise<void> {
    // One sender, one request at a time: the client's buffer is not shared between concurrent writes.
    const run = this.serial.then(() => this.send(batches));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async send(batches: IngestBatch[]): Promise<void> {
    for (const b of batches) {
      const late = b.points.find((p) => p.t > LAST_TIMESTAMP_MS);
      if (late) throw new InvalidWriteError(`QuestDB cannot store a point dated after 9999-12-31 (${late.name} at t=${late.t})`);
    }
    try {
      await this.sendRows(batches);
    } catch (err) {
      // A failed request leaves its rows (or half a row) in the client's buffer: never send them with the next.
      this.sender.reset();
      throw refusal(err) ?? err;
    }
  }

  private async sendRows(batches: IngestBatch[]): Promise<void> {
    const s = this.sender;
    const fresh: string[] = [];
    for (const b of batches) {
      for (const p of b.points) {
        const key = seriesKey(b.hostId, p.name, p.labels);
        if (!this.known.has(key)) {
          if (checkSeriesIdentity(p.name, p.labels)) continue;
          fresh.push(key);
          await s
            .table(this.seriesTable)
            .symbol('host', b.hostId)
            .symbol('series', key)
            .symbol('name', p.name)
            .stringColumn('labels', JSON.stringify(p.labels ?? {}))
            .at(0, 'ms');
        }
        await s.table(this.points).symbol('host', b.hostId).symbol('series', key).floatColumn('v', p.v).timestampColumn('sample_ts', p.t, 'ms').at(p.t, 'ms');
      }
    }
    await s.flush();
    for (const k of fresh) this.known.add(k);
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    const { rows } = await this.pool.query<{ series: string; labels: string; name: string }>(
      `SELECT series, name, labels FROM ${this.seriesTable} WHERE host = $1 AND name = $2`,
      [q.hostId, q.name],
    );
    const want = Object.entries(q.labels ?? {});
    const series = rows
      .map((r) => ({ key: r.series, name: r.name, labels: JSON.parse(r.labels) as Labels }))
      .filter((s) => want.every(([k, v]) => s.labels[k] === v))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
    if (!series.length) return [];
    const keys = series.map((s) => s.key);
    const tiers = this.opts.tiers;
    const now = Date.now();
    const inList = keys.map((_, i) => `$${i + 2}`).join(', ');
    const counted = await this.pool.query<{ series: string; n: number }>(
      `SELECT series, count() AS n FROM ${this.points} WHERE host = $1 AND series IN (${inList}) AND ts >= ${ts(q.from)} AND ts <= ${ts(q.to)}`,
      [q.hostId, ...keys],
    );
    // QuestDB drops partitions past the TTL by itself: data older than the retention may be gone.
    const est: TierEstimate[] = tiers.map((t) => ({ count: 0, droppedBefore: now - t.retentionMs }));
    est[0].count = Math.max(0, ...counted.rows.map((r) => Number(r.n)));
    const choice = chooseTier(tiers, est, q.from, q.to, q.maxPoints);
    const tier = tiers[choice.tier];
    if (tier.widthMs === 0) {
      const { rows: pts } = await this.pool.query<{ series: string; ts: Date; v: number }>(
        `SELECT series, ts, v FROM ${this.points} WHERE host = $1 AND series IN (${inList}) AND ts >= ${ts(q.from)} AND ts <= ${ts(q.to)} ORDER BY series, ts`,
        [q.hostId, ...keys],
      );
      return series.map((s) => {
        const mine = pts.filter((p) => p.series === s.key);
        const a = answerFromPoints({ t: mine.map((p) => p.ts.getTime()), v: mine.map((p) => p.v) }, q.from, q.to, choice.stepMs, q.fn);
        return { name: s.name, labels: s.labels, tier: tier.label, stepMs: a.stepMs, points: a.points };
      });
    }
    const { rows: bs } = await this.pool.query<{ series: string; ts: Date; vmin: number; vmax: number; vsum: number; n: number; vlast: number; last_ts: Date }>(
      `SELECT series, ts, vmin, vmax, vsum, n, vlast, last_ts FROM ${this.tierTable(choice.tier)}
        WHERE host = $1 AND series IN (${inList}) AND ts >= ${ts(bucketStart(q.from, choice.stepMs))} AND ts <= ${ts(q.to)} ORDER BY series, ts`,
      [q.hostId, ...keys],
    );
    return series.map((s) => {
      const buckets: RollupBucket[] = bs
        .filter((b) => b.series === s.key)
        .map((b) => ({ start: b.ts.getTime(), min: b.vmin, max: b.vmax, sum: b.vsum, count: Number(b.n), last: b.vlast, lastT: b.last_ts.getTime() }));
      const a = answerFromBuckets(buckets, q.from, q.to, tier.widthMs, choice.stepMs, q.fn);
      return { name: s.name, labels: s.labels, tier: tier.label, stepMs: a.stepMs, points: a.points };
    });
  }

  async names(hostId?: string): Promise<string[]> {
    const { rows } =
      hostId === undefined
        ? await this.pool.query<{ name: string }>(`SELECT DISTINCT name FROM ${this.seriesTable} ORDER BY name`)
        : await this.pool.query<{ name: string }>(`SELECT DISTINCT name FROM ${this.seriesTable} WHERE host = $1 ORDER BY name`, [hostId]);
    return rows.map((r) => r.name);
  }

  async listSeries(names: readonly string[]): Promise<SeriesIdentity[]> {
    if (!names.length) return [];
    const inList = names.map((_, i) => `$${i + 1}`).join(', ');
    // A series row is written again by every process that has not seen it yet: DISTINCT keeps one.
    const { rows } = await this.pool.query<{ host: string; name: string; labels: string }>(
      `SELECT DISTINCT host, name, labels FROM ${this.seriesTable} WHERE name IN (${inList})`,
      [...names],
    );
    return rows.map((r) => ({ hostId: r.host, name: r.name, labels: JSON.parse(r.labels) as Labels }));
  }

  /** Nothing to delete by hand: TTLs drop partitions. Reports the horizons the TTLs keep. */
  async retain(now: number): Promise<RetentionReport> {
    return { tiers: this.opts.tiers.map((t) => ({ tier: t.label, dropped: 0, before: now - t.retentionMs })), batchIds: 0 };
  }

  /** Drops the views and tables (tests, each run under its own prefix). */
  async dropTables(): Promise<void> {
    for (let i = this.opts.tiers.length - 1; i > 0; i--) await this.pool.query(`DROP MATERIALIZED VIEW IF EXISTS ${this.tierTable(i)}`);
    await this.pool.query(`DROP TABLE IF EXISTS ${this.points}`);
    await this.pool.query(`DROP TABLE IF EXISTS ${this.seriesTable}`);
  }

  async close(): Promise<void> {
    await this.serial;
    await this.sender.close();
    await this.pool.end();
  }
}
