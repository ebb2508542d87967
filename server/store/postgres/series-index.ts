/**
 * The series model: (host, metric name, labels) -> series id, rows in metric_series, cached in memory.
 * Names and labels are checked again here (the gateway checks frames, but any writer goes through this):
 * a bad one makes the write an InvalidWriteError. Each host may hold at most `maxSeriesPerHost` series: points of a new series past the limit are
 * rejected (id -1) and counted, and the log names the host and metric once per series, so a runaway label
 * (a request id, a timestamp) cannot grow the store without bound.
 */
import type { Db } from '../db.js';
import type { Labels } from '../../../protocol/messages.js';
import { InvalidWriteError, type IngestBatch } from '../metric-store.js';
import { checkSeriesIdentity, hostSeriesKey, seriesKey } from '../series/series-rules.js';
import type { Logger } from '../../log.js';

export { seriesKey };

export interface SeriesRejections {
  /** Points dropped because their series would pass the host's series limit. */
  overLimit: number;
  /** Writes refused for a bad name or labels. */
  invalid: number;
}

interface NewSeries {
  hostId: string;
  name: string;
  labels: Labels;
}

interface SeriesRow {
  id: number;
  host_id: string;
  name: string;
  labels: Labels;
}

export class SeriesIndex {
  /** Host id -> (hostSeriesKey -> series id): the per-point lookup builds no host-qualified string. */
  private readonly ids = new Map<string, Map<string, number>>();
  private readonly perHost = new Map<string, number>();
  private readonly refused = new Map<string, 'overLimit'>();
  readonly rejections: SeriesRejections = { overLimit: 0, invalid: 0 };

  constructor(
    private readonly db: Db,
    private readonly maxSeriesPerHost: number,
    private readonly log?: Logger,
  ) {}

  /** Ids for every point of every batch (same shape as the input), creating series as needed; -1 = rejected. */
  async resolve(batches: IngestBatch[]): Promise<number[][]> {
    const out: number[][] = new Array(batches.length);
    // Known series first (nearly every point): no key outside the host's own map, no promise.
    let misses: Array<[number, number]> | undefined;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      const known = this.ids.get(b.hostId);
      const ids = (out[i] = new Array<number>(b.points.length));
      // Line protocol gives every point of a series in a body one labels object, and a line's fields
      // follow one another: once a labels object repeats from the point before, ids are kept by labels
      // object and name, and the points after build no key. (An agent's points each have their own.)
      let byLabels: Map<Labels, Map<string, number>> | undefined;
      for (let j = 0; j < b.points.length; j++) {
        const p = b.points[j];
        const labels = p.labels;
        if (!byLabels && labels && j > 0 && labels === b.points[j - 1].labels) byLabels = new Map();
        const names = labels && byLabels?.get(labels);
        let id = names?.get(p.name);
        if (id === undefined) {
          id = known?.get(hostSeriesKey(p.name, labels));
          if (id !== undefined && byLabels && labels) {
            if (names) names.set(p.name, id);
            else byLabels.set(labels, new Map([[p.name, id]]));
          }
        }
        if (id !== undefined) ids[j] = id;
        else (misses ??= []).push([i, j]);
      }
    }
    if (misses) await this.resolveMisses(batches, misses, out);
    return out;
  }

  private async resolveMisses(batches: IngestBatch[], misses: Array<[number, number]>, out: number[][]): Promise<void> {
    const missing = new Map<string, NewSeries>();
    for (const [i, j] of misses) {
      const b = batches[i];
      const p = b.points[j];
      const key = seriesKey(b.hostId, p.name, p.labels);
      if (missing.has(key) || this.refused.has(key)) continue;
      const problem = checkSeriesIdentity(p.name, p.labels);
      if (problem) {
        // Accepted points are never dropped in silence: the write is refused as invalid, and the
        // pipeline refuses the batch at fault to its sender while storing the others.
        this.rejections.invalid++;
        throw new InvalidWriteError(`Postgres cannot store series ${JSON.stringify(p.name)}: ${problem}`);
      }
      missing.set(key, { hostId: b.hostId, name: p.name, labels: p.labels ?? {} });
    }
    if (missing.size) await this.create([...missing.values()]);
    for (const [i, j] of misses) {
      const b = batches[i];
      const p = b.points[j];
      const id = this.idOf(b.hostId, p.name, p.labels);
      if (id !== undefined) out[i][j] = id;
      else {
        this.rejections[this.refused.get(seriesKey(b.hostId, p.name, p.labels))!]++;
        out[i][j] = -1;
      }
    }
  }

  private idOf(hostId: string, name: string, labels: Labels | undefined): number | undefined {
    return this.ids.get(hostId)?.get(hostSeriesKey(name, labels));
  }

  private remember(hostId: string, name: string, labels: Labels | undefined, id: number): void {
    let known = this.ids.get(hostId);
    if (!known) this.ids.set(hostId, (known = new Map()));
    // A copy of the key: taken from a decoded frame, it would be a slice keeping that whole frame's text alive.
    known.set(Buffer.from(hostSeriesKey(name, labels)).toString(), id);
  }

  private refuse(key: string, hostId: string, name: string, reason: string): void {
    this.refused.set(key, 'overLimit');
    this.log?.warn({ hostId, metric: name, reason }, 'metric series rejected; its points are dropped');
  }

  /**
   * Makes the series (and learns the ids of those another node or an earlier run made). A host's new
   * series that all fit under its limit are inserted at once, one statement for the lot (an agent's first
   * frames make all its series: 100,000 at once when a fleet connects); near the limit its existing rows
   * are read first, since they count already and are never refused.
   */
  private async create(series: NewSeries[]): Promise<void> {
    await this.countSeries(series);
    const wanted = new Map<string, number>();
    for (const s of series) wanted.set(s.hostId, (wanted.get(s.hostId) ?? 0) + 1);
    const roomy = (s: NewSeries) => this.perHost.get(s.hostId)! + wanted.get(s.hostId)! <= this.maxSeriesPerHost;
    const tight = series.filter((s) => !roomy(s));
    const allowed = series.filter(roomy);
    if (tight.length) await this.readExisting(tight);
    for (const s of allowed) this.perHost.set(s.hostId, this.perHost.get(s.hostId)! + 1);
    for (const s of tight) {
      if (this.idOf(s.hostId, s.name, s.labels) !== undefined) continue;
      const n = this.perHost.get(s.hostId)!;
      if (n >= this.maxSeriesPerHost) {
        this.refuse(
          seriesKey(s.hostId, s.name, s.labels),
          s.hostId,
          s.name,
          `SERIES_LIMIT: host already has ${n} series (limit ${this.maxSeriesPerHost}, AW_SERIES_PER_HOST)`,
        );
        continue;
      }
      this.perHost.set(s.hostId, n + 1);
      allowed.push(s);
    }
    if (!allowed.length) return;
    const inserted = await this.db
      .query<SeriesRow>(
        `INSERT INTO metric_series (host_id, name, labels)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])
         ON CONFLICT (host_id, name, labels) DO NOTHING
         RETURNING id, host_id, name, labels`,
        [allowed.map((s) => s.hostId), allowed.map((s) => s.name), allowed.map((s) => JSON.stringify(s.labels))],
      )
      .catch((err) => {
        // Nothing was made (one label Postgres cannot store refuses the statement): the series are counted
        // again when the write is retried, so uncount them now.
        for (const s of allowed) this.perHost.set(s.hostId, this.perHost.get(s.hostId)! - 1);
        throw err;
      });
    for (const r of inserted.rows) this.remember(r.host_id, r.name, r.labels, r.id);
    // Rows another node (or an earlier run) made: not inserted, so not counted again; read their ids.
    const existing = allowed.filter((s) => this.idOf(s.hostId, s.name, s.labels) === undefined);
    for (const s of existing) this.perHost.set(s.hostId, this.perHost.get(s.hostId)! - 1);
    if (!existing.length) return;
    await this.readExisting(existing);
    const gone = existing.find((s) => this.idOf(s.hostId, s.name, s.labels) === undefined);
    // Deleted between the two statements (retention of a removed host): the write fails and is retried.
    if (gone) throw new Error(`metric series ${JSON.stringify(gone.name)} of host ${gone.hostId} was neither made nor found`);
  }

  /** How many series each host of these has, read once per host. */
  private async countSeries(series: NewSeries[]): Promise<void> {
    const hosts = [...new Set(series.map((s) => s.hostId))].filter((h) => !this.perHost.has(h));
    if (!hosts.length) return;
    const { rows } = await this.db.query<{ host_id: string; n: number }>(
      'SELECT host_id, count(*)::int AS n FROM metric_series WHERE host_id = ANY($1::uuid[]) GROUP BY host_id',
      [hosts],
    );
    for (const h of hosts) this.perHost.set(h, 0);
    for (const r of rows) this.perHost.set(r.host_id, r.n);
  }

  private async readExisting(series: NewSeries[]): Promise<void> {
    const { rows } = await this.db.query<SeriesRow>(
      `SELECT s.id, s.host_id, s.name, s.labels FROM metric_series s
         JOIN unnest($1::uuid[], $2::text[], $3::jsonb[]) AS u(h, n, l) ON s.host_id = u.h AND s.name = u.n AND s.labels = u.l`,
      [series.map((s) => s.hostId), series.map((s) => s.name), series.map((s) => JSON.stringify(s.labels))],
    );
    for (const r of rows) this.remember(r.host_id, r.name, r.labels, r.id);
  }
}
