/**
 * What the ingest pipeline and the API need from a metric store. Postgres (raw table today,
 * compressed chunks and rollup tiers next) and QuestDB implement it; nothing else knows which.
 */
import type { Labels, MetricPoint } from '../protocol/messages.js';

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
}

export interface SeriesPoint {
  t: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

export interface SeriesResult {
  name: string;
  labels: Labels;
  /** Bucket width of the answer in ms; 0 when points are raw. */
  stepMs: number;
  points: SeriesPoint[];
}

export interface MetricStore {
  /** Durably stores the batches; batches already stored are skipped. Throws when nothing was stored. */
  write(batches: IngestBatch[]): Promise<void>;
  query(q: SeriesQuery): Promise<SeriesResult[]>;
  /** Metric names known for a host, for pickers. */
  names(hostId: string): Promise<string[]>;
  close(): Promise<void>;
}
