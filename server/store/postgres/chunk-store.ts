/**
 * The Postgres metric store: compact chunk rows, rollup tiers computed as points arrive, durable acks.
 *
 * Write: each batch's id goes into ingest_batches and the points of the batches not seen before go into
 * one write-ahead row (metric_wal), in one transaction; only after COMMIT are they appended to their
 * series' open raw chunk in memory (a Gorilla-coded head, series/pending-points.ts) and the write
 * resolves, so an acknowledged point is on disk and a resent batch is never counted twice.
 * Checkpoint (every checkpointMs, or when enough points were logged since the last one): the heads whose
 * chunk span has closed (its end plus HEAD_GRACE_MS has passed) are written, each chunk once, with their
 * rollup buckets merged into the rollup rows; the open heads are re-logged compactly as snapshot rows in
 * metric_wal and the write-ahead rows before them deleted; all in one transaction. Points for a chunk
 * already written (late ones) are merged into its row the same way. In a cluster (writeOpenHeads) every
 * head is written at every checkpoint, so other nodes read recent points from the rows.
 * Start: write-ahead rows (snapshots and writes since) are replayed into memory.
 * Query: chunk rows plus the heads the rows do not hold yet (see metric_checkpoints).
 */
import type { Db, Queryable } from '../db.js';
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
import { decodeRawChunk, encodeRawChunk } from '../series/decimal-chunk.js';
import { decodeBuckets, encodeBuckets, rollBuckets, rollPoints, type RollupBucket } from '../series/rollup.js';
import { isSnapshot, mergeBucketRuns, mergePoints, PendingPoints } from '../series/pending-points.js';
import { chooseTier, chunkStartOf, RAW_CHUNK_MS, type Tier, type TierEstimate } from '../series/tiers.js';
import { answerFromBuckets, answerFromPoints } from '../series/series-answer.js';
import type { SeriesPoints } from '../series/points.js';
import { SeriesIndex, type SeriesRejections } from './series-index.js';
import { runRetention } from './retention.js';

export interface ChunkStoreOptions {
  tiers: Tier[];
  /** Names this process's write-ahead rows; a restarted process with the same name replays them. */
  writer: string;
  checkpointMs: number;
  /** Checkpoint early once this many points were logged since the last checkpoint. */
  checkpointPoints: number;
  maxSeriesPerHost: number;
  /** Write every head at every checkpoint, open ones too (a cluster: other nodes read the rows). */
  writeOpenHeads?: boolean;
  /** A closed head that got points this recently stays open through a checkpoint (default HEAD_BUSY_MS). */
  headBusyMs?: number;
  /** The clock that decides when a chunk span has closed (tests set it). */
  now?: () => number;
  log?: Logger;
  /** Told how long each checkpoint that folded points took (self-monitoring). */
  onCheckpoint?: (ms: number) => void;
}

/** Points in memory and the write-ahead rows they came from. */
interface PendingSet {
  generation: number;
  points: PendingPoints;
  seqs: number[];
}

/** What a checkpoint writes: closed heads, and the snapshot of the open ones that replaces `seqs`. */
interface FoldSet extends PendingSet {
  /** Series whose heads were open at the cut. */
  openSeries: number[];
  /** Their heads, taken after the cut (so perhaps with later points too: replay keeps a point once). */
  snapshot?: Uint8Array[];
}

/** A chunk span closes this long after its end: points a little late still join the head. */
export const HEAD_GRACE_MS = 10 * 60_000;
/**
 * A closed head that got points this recently stays open through the checkpoint (points still arrive for
 * it: a backfill), so its chunk is written once rather than at every checkpoint and merged each time.
 */
export const HEAD_BUSY_MS = 5_000;
/** Series per snapshot row, taken between two turns of the event loop. */
const SNAPSHOT_SLICE = 2000;
/** Write-ahead rows read at a time while replaying. */
const REPLAY_PAGE_ROWS = 64;
/** In the error a one-statement write fails with when a batch was stored before (it then rolls back). */
const RESENT_BATCH = 'aw-resent-batch';

/** A write-ahead row as committed: its seq and its (series id, time, value) triples. */
interface WalRow {
  seq: number;
  data: Float64Array;
}

interface ChunkKey {
  tier: number;
  seriesId: number;
  chunkStart: number;
}

export class PostgresMetricStore implements MetricStore {
  private readonly series: SeriesIndex;
  private readonly rollupWidths: number[];
  private active!: PendingSet;
  /** Taken out of `active` by a checkpoint that has not committed yet (retried by the next one). */
  private folding: FoldSet | undefined;
  /** The set the last checkpoint wrote, kept while queries run: one that read its rows before the commit needs it. */
  private lastFolded: PendingSet | undefined;
  /** Queries reading chunk rows now. */
  private readers = 0;
  /** Points in write-ahead rows since the last checkpoint took its snapshot. */
  private loggedPoints = 0;
  private generation = 0;
  private serial: Promise<unknown> = Promise.resolve();
  private checkpointRun: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A write failed after perhaps committing: its write-ahead row may be missing from memory. */
  private suspect = false;
  private closed = false;
  private horizonCache: { at: number; byTier: Map<number, number> } | undefined;

  private constructor(
    private readonly db: Db,
    private readonly opts: ChunkStoreOptions,
  ) {
    this.series = new SeriesIndex(db, opts.maxSeriesPerHost, opts.log);
    this.rollupWidths = opts.tiers.slice(1).map((t) => t.widthMs);
  }

  /** Creates the tier partitions, replays write-ahead rows a dead process left, starts checkpointing. */
  static async open(db: Db, opts: ChunkStoreOptions): Promise<PostgresMetricStore> {
    const store = new PostgresMetricStore(db, opts);
    await ensurePartitions(db, opts.tiers);
    const { rows } = await db.query<{ generation: number }>('SELECT generation FROM metric_checkpoints WHERE writer = $1', [opts.writer]);
    store.generation = rows[0]?.generation ?? 0;
    store.active = store.newSet();
    const replayed = await store.replay();
    if (replayed) opts.log?.info({ writeAheadRows: replayed, points: store.active.points.size }, 'metric store: replayed the write-ahead rows');
    store.timer = setInterval(() => store.checkpointSoon(), opts.checkpointMs);
    store.timer.unref();
    return store;
  }

  get rejections(): SeriesRejections {
    return this.series.rejections;
  }

  async write(batches: IngestBatch[]): Promise<void> {
    try {
      await this.writeBatches(batches);
    } catch (err) {
      throw asInvalidWrite(err);
    }
  }

  private async writeBatches(batches: IngestBatch[]): Promise<void> {
    if (!batches.length) return;
    if (this.closed) throw new Error('metric store is closed');
    const ids = await this.series.resolve(batches);
    await this.exclusive(async () => {
      if (this.suspect) await this.reconcile();
      try {
        const wal = (await this.writeFresh(batches, ids)) ?? (await this.writeDeduplicated(batches, ids));
        if (wal.data.length) this.apply(wal.seq, wal.data);
      } catch (err) {
        this.suspect = true;
        throw err;
      }
    });
    if (this.loggedPoints >= this.opts.checkpointPoints) {
      // Far behind: make the writer wait rather than let the write-ahead rows grow without bound.
      if (this.loggedPoints >= 4 * this.opts.checkpointPoints) await this.checkpoint();
      else this.checkpointSoon();
    }
  }

  /**
   * The usual write, in one statement (one round trip, one commit): every batch is new, so its id and the
   * write-ahead row of all its points commit together. Undefined, with nothing written, when a batch was
   * stored before (a resend) or appears twice: the statement then fails on purpose and rolls back.
   */
  private async writeFresh(batches: IngestBatch[], ids: number[][]): Promise<WalRow | undefined> {
    if (new Set(batches.map(batchKey)).size < batches.length) return undefined;
    const data = walData(batches, ids, () => true);
    try {
      const { rows } = await this.db.query<{ seq: number | null }>(
        `WITH fresh AS (
           INSERT INTO ingest_batches (agent_id, batch_id) SELECT * FROM unnest($1::uuid[], $2::bigint[])
           ON CONFLICT DO NOTHING RETURNING 1),
         wal AS (
           INSERT INTO metric_wal (writer, data) SELECT $3, decode($4, 'base64') WHERE $5::boolean RETURNING seq)
         SELECT CASE WHEN (SELECT count(*) FROM fresh) = $6::bigint THEN (SELECT seq FROM wal)
                ELSE ('${RESENT_BATCH}: ' || (SELECT count(*) FROM fresh))::bigint END AS seq`,
        [...batchIds(batches), this.opts.writer, base64(data), data.length > 0, batches.length],
      );
      // No write-ahead row (no point had a series): seq null, data empty, nothing to apply.
      return { seq: Number(rows[0].seq), data };
    } catch (err) {
      if (err instanceof Error && err.message.includes(RESENT_BATCH)) return undefined;
      throw err;
    }
  }

  /** The write when some batch may be stored already: its points are left out, each batch's taken once. */
  private writeDeduplicated(batches: IngestBatch[], ids: number[][]): Promise<WalRow> {
    return this.db.tx(async (q) => {
      const fresh = await q.query<{ agent_id: string; batch_id: number }>(
        `INSERT INTO ingest_batches (agent_id, batch_id)
         SELECT * FROM unnest($1::uuid[], $2::bigint[]) ON CONFLICT DO NOTHING RETURNING agent_id, batch_id`,
        batchIds(batches),
      );
      const isFresh = new Set(fresh.rows.map((r) => batchKey({ agentId: r.agent_id, batch: r.batch_id })));
      // Deleting the key means a batch sent twice in one write is taken once.
      const data = walData(batches, ids, (b) => isFresh.delete(batchKey(b)));
      if (data.length === 0) return { seq: 0, data };
      const { rows } = await q.query<{ seq: number }>(`INSERT INTO metric_wal (writer, data) VALUES ($1, decode($2, 'base64')) RETURNING seq`, [
        this.opts.writer,
        base64(data),
      ]);
      return { seq: Number(rows[0].seq), data };
    });
  }

  /** Writes the closed heads and snapshots the open ones now (also run on a timer and by close). */
  checkpoint(): Promise<void> {
    this.checkpointRun ??= this.runCheckpoint(this.closed || !!this.opts.writeOpenHeads).finally(() => (this.checkpointRun = undefined));
    return this.checkpointRun;
  }

  async query(q: SeriesQuery): Promise<SeriesResult[]> {
    const { rows: series } = await this.db.query<{ id: number; name: string; labels: Labels }>(
      'SELECT id, name, labels FROM metric_series WHERE host_id = $1 AND name = $2 AND labels @> $3::jsonb ORDER BY id',
      [q.hostId, q.name, JSON.stringify(q.labels ?? {})],
    );
    if (!series.length) return [];
    const answer = await this.answer(q, series, false);
    // The raw count was an estimate (points spread evenly over their chunks); never answer past max_points.
    if (answer[0].tier === this.opts.tiers[0].label && answer.some((a) => a.points.length > q.maxPoints)) {
      return this.answer(q, series, true);
    }
    return answer;
  }

  private async answer(q: SeriesQuery, series: Array<{ id: number; name: string; labels: Labels }>, skipRaw: boolean): Promise<SeriesResult[]> {
    const ids = series.map((s) => s.id);
    const tiers = this.opts.tiers;
    const horizons = await this.horizons();
    const est: TierEstimate[] = tiers.map((t) => ({ count: 0, droppedBefore: horizons.get(t.id) ?? 0 }));
    if (skipRaw) est[0].count = Infinity;
    else if (est[0].droppedBefore <= q.from) est[0].count = await this.rawEstimate(ids, q.from, q.to, this.inMemory());
    const choice = chooseTier(tiers, est, q.from, q.to, q.maxPoints);
    const tier = tiers[choice.tier];
    // One statement, so one snapshot: the chunks, and the last checkpoint generation they hold.
    const read = () =>
      this.db.query<{ series_id: number | null; data: string | null; generation: number | null }>(
        `SELECT series_id, chunk_start, encode(data, 'base64') AS data, NULL::bigint AS generation FROM metric_chunks
        WHERE tier = $1 AND series_id = ANY($2::bigint[]) AND chunk_start > $3::bigint - $5::bigint AND chunk_start <= $4
       UNION ALL
       SELECT NULL, NULL, NULL, generation FROM metric_checkpoints WHERE writer = $6
       ORDER BY 1, 2`,
        [tier.id, ids, q.from, q.to, tier.chunkMs, this.opts.writer],
      );
    let rows: Awaited<ReturnType<typeof read>>['rows'];
    let sets: PendingSet[];
    let folded: number;
    this.readers++;
    try {
      do {
        ({ rows } = await read());
        folded = Number(rows.find((r) => r.generation !== null)?.generation ?? 0);
        // Memory is taken after the rows (a checkpoint moves heads out of the active set): every set the
        // rows do not hold yet must still be here. Two checkpoints committed meanwhile: read again.
        sets = this.inMemory().filter((s) => s.generation > folded);
        // (Checkpoint generations follow one another: a gap means a set written and dropped meanwhile.)
      } while (this.lastFolded !== undefined && this.lastFolded.generation > folded + 1);
    } finally {
      if (--this.readers === 0) this.lastFolded = undefined;
    }
    const chunks = new Map<number, Uint8Array[]>();
    for (const r of rows) {
      if (r.series_id === null) continue;
      let list = chunks.get(r.series_id);
      if (!list) chunks.set(r.series_id, (list = []));
      list.push(fromBase64(r.data!));
    }
    const tierIndex = choice.tier;
    return series.map((s) => {
      const stored = chunks.get(s.id) ?? [];
      if (tier.widthMs === 0) {
        let points: SeriesPoints = concatPoints(stored.map(decodeRawChunk));
        for (const set of sets) points = mergePoints(points, set.points.rawPoints(s.id));
        const a = answerFromPoints(points, q.from, q.to, choice.stepMs, q.fn);
        return { name: s.name, labels: s.labels, tier: tier.label, stepMs: a.stepMs, points: a.points };
      }
      let buckets: RollupBucket[] = stored.flatMap((d) => decodeBuckets(d).buckets);
      for (const set of sets) buckets = mergeBucketRuns(buckets, set.points.buckets(s.id, this.rollupWidths.slice(0, tierIndex)));
      const a = answerFromBuckets(buckets, q.from, q.to, tier.widthMs, choice.stepMs, q.fn);
      return { name: s.name, labels: s.labels, tier: tier.label, stepMs: a.stepMs, points: a.points };
    });
  }

  async names(hostId?: string): Promise<string[]> {
    const { rows } =
      hostId === undefined
        ? await this.db.query<{ name: string }>('SELECT DISTINCT name FROM metric_series ORDER BY name')
        : await this.db.query<{ name: string }>('SELECT DISTINCT name FROM metric_series WHERE host_id = $1 ORDER BY name', [hostId]);
    return rows.map((r) => r.name);
  }

  async listSeries(names: readonly string[]): Promise<SeriesIdentity[]> {
    const { rows } = await this.db.query<{ host_id: string; name: string; labels: Labels }>(
      'SELECT host_id, name, labels FROM metric_series WHERE name = ANY($1::text[]) ORDER BY id',
      [names],
    );
    return rows.map((r) => ({ hostId: r.host_id, name: r.name, labels: r.labels }));
  }

  async retain(now: number): Promise<RetentionReport> {
    const report = await runRetention(this.db, this.opts.tiers, now);
    this.horizonCache = undefined;
    return report;
  }

  /**
   * Clean stop: write every head, open ones too, so the rows hold every point and the next start has
   * nothing to replay (the slot may never be taken again; later points of those chunks are merged in).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.exclusive(async () => {
      this.closed = true;
    });
    try {
      // A checkpoint already running leaves the open heads; the one after it writes them.
      await this.checkpointRun?.catch(() => undefined);
      await this.checkpoint();
    } catch (err) {
      // The write-ahead rows are still there; the next start replays them.
      this.opts.log?.warn({ err }, 'metric store: final checkpoint failed; pending points stay in the write-ahead rows');
    }
  }

  /**
   * Stops timers without folding anything, as if the process had died: tests use it to prove that
   * acknowledged points come back from the write-ahead rows.
   */
  abandon(): void {
    clearInterval(this.timer);
    this.closed = true;
  }

  private newSet(): PendingSet {
    return { generation: ++this.generation, points: new PendingPoints(this.opts.tiers[0].chunkMs), seqs: [] };
  }

  /** Sets of points held in memory, oldest first; each holds points of generations the rows may lack. */
  private inMemory(): PendingSet[] {
    return [this.lastFolded, this.folding, this.active].filter((s): s is PendingSet => s !== undefined);
  }

  /** Runs fn after every earlier exclusive section: writes, replays and set swaps never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private apply(seq: number, data: Float64Array): void {
    const p = this.active.points;
    p.touchTime = (this.opts.now ?? Date.now)();
    for (let k = 0; k < data.length; k += 3) p.add(data[k], data[k + 1], data[k + 2]);
    this.active.seqs.push(seq);
    this.loggedPoints += data.length / 3;
  }

  /** Reads this writer's write-ahead rows into memory, page by page. Returns how many there were. */
  private async replay(): Promise<number> {
    let after = 0;
    let n = 0;
    for (;;) {
      const { rows } = await this.db.query<{ seq: number; data: string }>(
        `SELECT seq, encode(data, 'base64') AS data FROM metric_wal WHERE writer = $1 AND seq > $2 ORDER BY seq LIMIT ${REPLAY_PAGE_ROWS}`,
        [this.opts.writer, after],
      );
      if (!rows.length) return n;
      n += await this.applyWal(rows.map((r) => ({ seq: Number(r.seq), data: fromBase64(r.data) })));
      after = Number(rows[rows.length - 1].seq);
    }
  }

  /** This writer's write-ahead rows other than `known`, in commit order. */
  private async walRows(known: number[]): Promise<Array<{ seq: number; data: Uint8Array }>> {
    const { rows } = await this.db.query<{ seq: number; data: string }>(
      `SELECT seq, encode(data, 'base64') AS data FROM metric_wal WHERE writer = $1 AND NOT (seq = ANY($2::bigint[])) ORDER BY seq`,
      [this.opts.writer, known],
    );
    return rows.map((r) => ({ seq: Number(r.seq), data: fromBase64(r.data) }));
  }

  private async applyWal(rows: Array<{ seq: number; data: Uint8Array }>): Promise<number> {
    for (const r of rows) {
      this.loggedPoints += addWalRow(this.active.points, r.data);
      this.active.seqs.push(r.seq);
    }
    return rows.length;
  }

  /** After a write whose outcome is unknown: take in write-ahead rows that committed without being applied. */
  private async reconcile(): Promise<void> {
    const known = [...(this.folding?.seqs ?? []), ...this.active.seqs];
    const missed = await this.applyWal(await this.walRows(known));
    if (missed) this.opts.log?.warn({ writeAheadRows: missed }, 'metric store: took in writes that committed while their answer was lost');
    this.suspect = false;
  }

  private checkpointSoon(): void {
    if (this.closed && !this.loggedPoints) return;
    this.checkpoint().catch((err) => this.opts.log?.warn({ err }, 'metric store checkpoint failed; will retry'));
  }

  /** @param everyHead write the open heads too (a cluster, or a clean stop). */
  private async runCheckpoint(everyHead: boolean): Promise<void> {
    // A checkpoint that failed is retried first, as it was: its snapshot matches the rows it deletes.
    if (this.folding) await this.foldPending();
    await this.exclusive(async () => {
      if (this.suspect) await this.reconcile();
      const now = (this.opts.now ?? Date.now)();
      const closed = everyHead
        ? this.active.points.detach(Infinity)
        : this.active.points.detach(chunkStartOf(now - HEAD_GRACE_MS, this.opts.tiers[0].chunkMs), now - (this.opts.headBusyMs ?? HEAD_BUSY_MS));
      if (!closed.size && !this.loggedPoints) return;
      this.folding = {
        generation: this.active.generation,
        points: closed,
        seqs: this.active.seqs,
        openSeries: [...this.active.points.seriesIds()],
      };
      this.active.generation = ++this.generation;
      this.active.seqs = [];
      this.loggedPoints = 0;
    });
    if (!this.folding) return;
    const started = performance.now();
    await this.foldPending();
    this.opts.onCheckpoint?.(performance.now() - started);
  }

  private async foldPending(): Promise<void> {
    const set = this.folding!;
    // Heads only grow until the next checkpoint detaches them: taken now, in slices while writes go on,
    // they hold every point of the rows the fold deletes.
    if (!set.snapshot) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < set.openSeries.length; i += SNAPSHOT_SLICE) {
        if (i > 0) await nextTurn();
        parts.push(this.active.points.snapshot(set.openSeries.slice(i, i + SNAPSHOT_SLICE)));
      }
      set.snapshot = parts;
    }
    const snapshotSeqs = await this.fold(set);
    // The next checkpoint's snapshot replaces this one.
    this.active.seqs.push(...snapshotSeqs);
    this.lastFolded = this.readers ? this.folding : undefined;
    this.folding = undefined;
  }

  /**
   * Writes a set's closed heads into chunk rows (merged with what a row already holds), inserts its
   * snapshot rows and deletes the write-ahead rows they replace, in one transaction. Returns the snapshot rows' seqs.
   * The chunks go FOLD_SLICE series a statement: a slice's points are decoded, encoded and sent, then
   * dropped, so a checkpoint after a span boundary (every head closes) or a clean stop holds one slice in
   * memory, not every head's points at once (720 points x 16 B a series late in a span: GBs at fleet size).
   */
  private async fold(set: FoldSet): Promise<number[]> {
    const ids = [...set.points.seriesIds()].sort((a, b) => a - b);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.tx(async (q) => {
          for (let i = 0; i < ids.length; i += FOLD_SLICE) {
            // Frames, acks and queries keep flowing between slices.
            if (i > 0) await nextTurn();
            await writeChunks(q, this.chunkWork(set.points, ids.slice(i, i + FOLD_SLICE)));
          }
          // A row a snapshot part, a statement each: all parts in one statement made one message of
          // megabytes, whose submission (mostly its socket write) held the thread up to 0.85 s at 125,000
          // series on a saturated machine (profiled); acks go on between parts.
          const snapshotSeqs: number[] = [];
          for (const part of set.snapshot ?? []) {
            const { rows } = await q.query<{ seq: number }>(`INSERT INTO metric_wal (writer, data) VALUES ($1, decode($2, 'base64')) RETURNING seq`, [
              this.opts.writer,
              base64(part),
            ]);
            snapshotSeqs.push(Number(rows[0].seq));
          }
          await q.query('DELETE FROM metric_wal WHERE writer = $1 AND seq = ANY($2::bigint[])', [this.opts.writer, set.seqs]);
          await q.query(
            `INSERT INTO metric_checkpoints (writer, generation) VALUES ($1, $2)
             ON CONFLICT (writer) DO UPDATE SET generation = EXCLUDED.generation`,
            [this.opts.writer, set.generation],
          );
          return snapshotSeqs;
        });
      } catch (err) {
        if (!(err instanceof ChunkRace) || attempt >= 5) throw err;
      }
    }
  }

  /**
   * Which chunk rows these series (ascending) touch, with what each gets, in (series, tier, start) order:
   * the order rows are locked in, slice after slice, so two writers never wait on each other in a circle.
   */
  private chunkWork(points: PendingPoints, ids: number[]): ChunkWork {
    const keys: ChunkKey[] = [];
    const rawAdd: Array<SeriesPoints | undefined> = [];
    const bucketAdd: Array<RollupBucket[] | undefined> = [];
    const tiers = this.opts.tiers;
    for (const seriesId of ids) {
      const raw = points.rawPoints(seriesId);
      for (const [chunkStart, from, to] of splitByChunk(raw.t, tiers[0].chunkMs)) {
        keys.push({ tier: 0, seriesId, chunkStart });
        rawAdd.push({ t: (raw.t as Float64Array).subarray(from, to), v: (raw.v as Float64Array).subarray(from, to) });
        bucketAdd.push(undefined);
      }
      let buckets: RollupBucket[] = [];
      for (let i = 1; i < tiers.length; i++) {
        buckets = i === 1 ? rollPoints(raw, tiers[1].widthMs) : rollBuckets(buckets, tiers[i].widthMs);
        for (const [chunkStart, from, to] of splitByChunk(
          buckets.map((b) => b.start),
          tiers[i].chunkMs,
        )) {
          keys.push({ tier: tiers[i].id, seriesId, chunkStart });
          rawAdd.push(undefined);
          bucketAdd.push(buckets.slice(from, to));
        }
      }
    }
    return { keys, rawAdd, bucketAdd };
  }

  /** Raw points the fullest series holds in [from, to]: each chunk's count scaled by the part of its span the range covers. */
  private async rawEstimate(ids: number[], from: number, to: number, pending: PendingSet[]): Promise<number> {
    const span = this.opts.tiers[0].chunkMs;
    const { rows } = await this.db.query<{ series_id: number; n: number }>(
      `SELECT series_id, ceil(sum(n::float8 * (least($3::bigint + 1, chunk_start + $4::bigint) - greatest($2::bigint, chunk_start)) / $4::bigint))::bigint AS n
         FROM metric_chunks
        WHERE tier = 0 AND series_id = ANY($1::bigint[]) AND chunk_start > $2::bigint - $4::bigint AND chunk_start <= $3
        GROUP BY series_id`,
      [ids, from, to, span],
    );
    const perSeries = new Map<number, number>(rows.map((r) => [r.series_id, Number(r.n)]));
    for (const set of pending) {
      for (const id of ids) {
        const t = set.points.rawPoints(id).t;
        let k = 0;
        for (let i = 0; i < t.length; i++) if (t[i] >= from && t[i] <= to) k++;
        if (k) perSeries.set(id, (perSeries.get(id) ?? 0) + k);
      }
    }
    return perSeries.size ? Math.max(...perSeries.values()) : 0;
  }

  /** Retention horizons per tier id, re-read at most every HORIZON_TTL_MS (another node may have run retention). */
  private async horizons(): Promise<Map<number, number>> {
    if (this.horizonCache && Date.now() - this.horizonCache.at < HORIZON_TTL_MS) return this.horizonCache.byTier;
    const { rows } = await this.db.query<{ tier: number; dropped_before: number }>('SELECT tier, dropped_before FROM metric_tier_horizons');
    const byTier = new Map(rows.map((r) => [r.tier, Number(r.dropped_before)]));
    this.horizonCache = { at: Date.now(), byTier };
    return byTier;
  }
}

/** A query reaching past a horizon another node just moved may take a tier that lost data for this long. */
const HORIZON_TTL_MS = 30_000;
/** Series a checkpoint writes in one statement, and between two turns of the event loop. */
const FOLD_SLICE = 2000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

class ChunkRace extends Error {}

/** A batch as `ingest_batches` keys it: agent and batch id. */
const batchKey = (b: Pick<IngestBatch, 'agentId' | 'batch'>) => `${b.agentId}/${b.batch}`;
/** The agent ids and batch ids of the batches, as the two arrays `ingest_batches` inserts take. */
const batchIds = (batches: IngestBatch[]): [string[], number[]] => [batches.map((b) => b.agentId), batches.map((b) => b.batch)];

/** The (series id, time, value) triples of the batches `take` keeps, leaving out points without a series. */
function walData(batches: IngestBatch[], ids: number[][], take: (b: IngestBatch) => boolean): Float64Array {
  let n = 0;
  for (const b of batches) n += b.points.length;
  const data = new Float64Array(n * 3);
  let k = 0;
  batches.forEach((b, i) => {
    if (!take(b)) return;
    const sids = ids[i];
    for (let j = 0; j < b.points.length; j++) {
      if (sids[j] < 0) continue;
      data[k++] = sids[j];
      data[k++] = b.points[j].t;
      data[k++] = b.points[j].v;
    }
  });
  return data.subarray(0, k);
}

/**
 * Byte strings go to the database as base64 text decoded by SQL: PGlite turns a bytea parameter into hex
 * one byte at a time in JavaScript, which took most of the write time (profiled); base64 is native here.
 */
function base64(bytes: ArrayBufferView): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Reading goes the same way (encode(data, 'base64') in SQL), for the same reason. */
function fromBase64(text: string): Uint8Array {
  return Buffer.from(text, 'base64');
}

/** Adds a write-ahead row's points (a snapshot part, or (series id, t, v) triples); returns how many triples it held. */
function addWalRow(points: PendingPoints, data: Uint8Array): number {
  if (isSnapshot(data)) {
    points.restore(data);
    return 0;
  }
  // Copy: the driver's buffer may not be 8-byte aligned for a Float64Array view.
  const triples = new Float64Array(Uint8Array.from(data).buffer);
  for (let k = 0; k < triples.length; k += 3) points.add(triples[k], triples[k + 1], triples[k + 2]);
  return triples.length / 3;
}

/**
 * Points held only in write-ahead rows (acknowledged, not yet in a chunk row), every writer's, each
 * once: what the next start of each writer replays. For counting (bench:agents' stored points).
 */
export async function pointsInWriteAheadRows(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ writer: string; data: string }>(`SELECT writer, encode(data, 'base64') AS data FROM metric_wal ORDER BY writer, seq`);
  const byWriter = new Map<string, PendingPoints>();
  for (const r of rows) {
    let points = byWriter.get(r.writer);
    if (!points) byWriter.set(r.writer, (points = new PendingPoints(RAW_CHUNK_MS)));
    addWalRow(points, fromBase64(r.data));
  }
  let n = 0;
  for (const points of byWriter.values()) for (const id of points.seriesIds()) n += points.rawPoints(id).t.length;
  return n;
}

const keyString = (k: ChunkKey) => `${k.tier}/${k.seriesId}/${k.chunkStart}`;

/** Runs of a sorted time column falling in one chunk each: [chunkStart, from, to). */
function* splitByChunk(t: ArrayLike<number>, chunkMs: number): Generator<[number, number, number]> {
  let i = 0;
  while (i < t.length) {
    const start = chunkStartOf(t[i], chunkMs);
    let j = i + 1;
    while (j < t.length && t[j] < start + chunkMs) j++;
    yield [start, i, j];
    i = j;
  }
}

function concatPoints(chunks: SeriesPoints[]): SeriesPoints {
  if (chunks.length === 1) return chunks[0];
  const n = chunks.reduce((a, c) => a + c.t.length, 0);
  const t = new Float64Array(n);
  const v = new Float64Array(n);
  let k = 0;
  for (const c of chunks) {
    t.set(c.t, k);
    v.set(c.v, k);
    k += c.t.length;
  }
  return { t, v };
}

/** What a fold writes for some series: chunk keys, and each key's new raw points or rollup buckets. */
interface ChunkWork {
  keys: ChunkKey[];
  rawAdd: Array<SeriesPoints | undefined>;
  bucketAdd: Array<RollupBucket[] | undefined>;
}

/** Merges the work into the chunk rows (locked, read, merged, written back; new rows inserted). */
async function writeChunks(q: Queryable, { keys, rawAdd, bucketAdd }: ChunkWork): Promise<void> {
  if (!keys.length) return;
  const stored = await loadChunks(q, keys);
  const tier: number[] = [];
  const sid: number[] = [];
  const start: number[] = [];
  const n: number[] = [];
  const data: string[] = [];
  const isNew: boolean[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const old = stored.get(keyString(key));
    let encoded: Uint8Array;
    let count: number;
    if (key.tier === 0) {
      const merged = mergePoints(old ? decodeRawChunk(old) : { t: [], v: [] }, rawAdd[i]!);
      encoded = encodeRawChunk(merged.t, merged.v);
      count = merged.t.length;
    } else {
      const merged = mergeBucketRuns(old ? decodeBuckets(old).buckets : [], bucketAdd[i]!);
      encoded = encodeBuckets(merged, key.tier * 1000);
      count = merged.length;
    }
    tier.push(key.tier);
    sid.push(key.seriesId);
    start.push(key.chunkStart);
    n.push(count);
    data.push(base64(encoded));
    isNew.push(!old);
  }
  const pick = <T>(xs: T[], wantNew: boolean) => xs.filter((_, i) => isNew[i] === wantNew);
  if (isNew.includes(false)) {
    await q.query(
      `UPDATE metric_chunks c SET n = u.n, data = decode(u.data, 'base64')
         FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::int[], $5::text[]) AS u(tier, sid, start, n, data)
        WHERE c.tier = u.tier AND c.series_id = u.sid AND c.chunk_start = u.start`,
      [pick(tier, false), pick(sid, false), pick(start, false), pick(n, false), pick(data, false)],
    );
  }
  if (isNew.includes(true)) {
    const inserted = await q.query(
      `INSERT INTO metric_chunks (tier, series_id, chunk_start, n, data)
       SELECT tier, sid, start, n, decode(data, 'base64')
         FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::int[], $5::text[]) AS u(tier, sid, start, n, data)
       ON CONFLICT DO NOTHING`,
      [pick(tier, true), pick(sid, true), pick(start, true), pick(n, true), pick(data, true)],
    );
    // Another node made one of these chunks meanwhile: start over, reading it this time.
    if (inserted.rowCount !== isNew.filter(Boolean).length) throw new ChunkRace();
  }
}

async function loadChunks(q: Queryable, keys: ChunkKey[]): Promise<Map<string, Uint8Array>> {
  const { rows } = await q.query<{ tier: number; series_id: number; chunk_start: number; data: string }>(
    `SELECT c.tier, c.series_id, c.chunk_start, encode(c.data, 'base64') AS data FROM metric_chunks c
       JOIN unnest($1::int[], $2::bigint[], $3::bigint[]) AS k(tier, sid, start)
         ON c.tier = k.tier AND c.series_id = k.sid AND c.chunk_start = k.start
      ORDER BY c.series_id, c.tier, c.chunk_start
      FOR UPDATE OF c`,
    [keys.map((k) => k.tier), keys.map((k) => k.seriesId), keys.map((k) => k.chunkStart)],
  );
  return new Map(rows.map((r) => [`${r.tier}/${r.series_id}/${Number(r.chunk_start)}`, fromBase64(r.data)]));
}

/** One partition per tier (its size on disk is then its own), rows up to a page kept inline and uncompressed. */
async function ensurePartitions(db: Db, tiers: readonly Tier[]): Promise<void> {
  await db.tx(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [0x4157_0020]);
    for (const t of tiers) {
      const name = `metric_chunks_t${t.id}`;
      // Encoded chunks do not compress further; EXTERNAL skips the attempt, and toast_tuple_target keeps
      // rows of a few KB inline instead of splitting them into TOAST rows with their own overhead.
      await q.exec(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF metric_chunks FOR VALUES IN (${t.id}) WITH (toast_tuple_target = 8160);
         ALTER TABLE ${name} ALTER COLUMN data SET STORAGE EXTERNAL;`,
      );
    }
  });
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity violation): these points will never go in. */
function asInvalidWrite(err: unknown): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return err;
  return new InvalidWriteError(`Postgres refused the points: ${(err as Error).message} (SQLSTATE ${code})`, { cause: err });
}
