/**
 * What the ingest pipeline and the API need from a metric store. Postgres (compact chunk rows and
 * rollup tiers, postgres/chunk-store.ts) and QuestDB (questdb/) implement it; nothing else knows which.
 */
import type { Labels, MetricPoint } from '../../protocol/messages.js';

/** One agent batch, stored all or nothing, once: (agentId, batch) is the idempotency key. */
export interface IngestBatch {
  agentId: string;
  hostId: string;
  batch: number;
  points: MetricPoint[];
}

export interface SeriesQuery {
  hostId: string;
  name: string;
  /** Series whose labels include these. */
  labels?: Labels;
  from: number;
  to: number;
  /** Most points per series in the answer; buckets widen to fit. */
  maxPoints: number;
  /** `rate`: per-second increase of a counter, resets counted from 0. */
  fn?: 'rate';
}

export interface SeriesPoint {
  t: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** Who a series is: its host, metric name and labels. */
export interface SeriesIdentity {
  hostId: string;
  name: string;
  labels: Labels;
}

export interface SeriesResult {
  name: string;
  labels: Labels;
  /** The storage tier that answered: `raw`, `1m`, `1h`... */
  tier: string;
  /** Bucket width of the answer in ms; 0 when points are raw. */
  stepMs: number;
  points: SeriesPoint[];
}

/**
 * The store refused a write as invalid (QuestDB answered 4xx; Postgres raised a data exception or an
 * integrity violation, SQLSTATE 22xxx/23xxx): the same points sent again would be refused again, so the
 * pipeline finds the batches at fault instead of retrying. Any other error may pass (an outage, a timeout).
 */
export class InvalidWriteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidWriteError';
  }
}

export interface MetricStore {
  /**
   * Durably stores the batches; batches already stored are skipped. Throws when nothing was stored:
   * InvalidWriteError when the points themselves were refused.
   */
  write(batches: IngestBatch[]): Promise<void>;
  query(q: SeriesQuery): Promise<SeriesResult[]>;
  /** Metric names known for a host (for pickers), or for every host when hostId is omitted. */
  names(hostId?: string): Promise<string[]>;
  /** Every series of these metric names, on every host (catalogues: the Prometheus API's /series). */
  listSeries?(names: readonly string[]): Promise<SeriesIdentity[]>;
  /** Drops what each tier keeps no longer (run on a schedule, once per cluster). */
  retain?(now: number): Promise<RetentionReport>;
  close(): Promise<void>;
}

export interface RetentionReport {
  /** Per tier label: chunk rows (or partitions) dropped, and the time before which data is gone. */
  tiers: Array<{ tier: string; dropped: number; before: number }>;
  /** Committed batch ids forgotten (older than the raw tier's retention). */
  batchIds: number;
}
