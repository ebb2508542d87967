/**
 * The server's own health in the Prometheus text format, for GET /metrics: agents, frames, points,
 * the ingest queue, store write and checkpoint times, refusals, HTTP requests, and Node's defaults
 * (event-loop lag, heap, GC). A registry of its own per server, never prom-client's global one, so
 * two servers in one process (tests, a cluster on one machine) keep their figures apart.
 * Gateway and pipeline keep plain counters of their own; they are read at scrape time, so the hot
 * paths pay nothing for being watched.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayStats } from '../gateway/gateway.js';
import type { PipelineStats } from '../ingest/pipeline.js';

export interface SelfMetricSources {
  gateway: { readonly stats: GatewayStats };
  pipeline: { snapshot(): PipelineStats };
}

/** Seconds: a store write is a transaction (ms); a checkpoint of a large fleet takes seconds. */
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CHECKPOINT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class SelfMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly storeWrites: Histogram;
  private readonly checkpoints: Histogram;
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;

  constructor() {
    const registers = [this.registry];
    this.storeWrites = new Histogram({
      name: 'aw_store_write_duration_seconds',
      help: 'Time to write one group of batches to the metric store',
      buckets: WRITE_BUCKETS,
      registers,
    });
    this.checkpoints = new Histogram({
      name: 'aw_store_checkpoint_duration_seconds',
      help: 'Time to fold pending points into chunk rows',
      buckets: CHECKPOINT_BUCKETS,
      registers,
    });
    this.httpRequests = new Counter({
      name: 'aw_http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the gateway's and the pipeline's figures at each scrape (they are built after the store this times). */
  watch({ gateway, pipeline }: SelfMetricSources): void {
    const registers = [this.registry];
    /** A counter whose total another part keeps: copied in at each scrape. */
    const mirrored = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });

    gauge('aw_agents_connected', 'Agents connected to this node that completed the handshake', () => gateway.stats.authenticated);
    gauge('aw_gateway_connections', 'Open agent WebSocket connections, handshake done or not', () => gateway.stats.connections);
    mirrored('aw_gateway_frames_received_total', 'Frames received from agents', () => gateway.stats.framesIn);
    mirrored('aw_gateway_frames_sent_total', 'Frames sent to agents', () => gateway.stats.framesOut);
    new Counter({
      name: 'aw_gateway_refusals_total',
      help: 'Connections closed and frames refused, by code',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, n] of Object.entries(gateway.stats.rejections)) this.inc({ code }, n);
      },
    });
    mirrored('aw_ingest_points_total', 'Metric points written to the store', () => pipeline.snapshot().committedPoints);
    mirrored('aw_ingest_batches_refused_total', 'Batches refused for resend because the store could not write them', () => pipeline.snapshot().refusedBatches);
    gauge('aw_ingest_queue_points', 'Points accepted and waiting to be written', () => pipeline.snapshot().queuedPoints);
    gauge('aw_ingest_queue_batches', 'Batches accepted and waiting to be written', () => pipeline.snapshot().queuedBatches);
  }

  /** A router observer. Routes are templates (`/api/v1/hosts/:id`), so labels stay few. */
  readonly observeRequest = (done: { method: string; route: { path: string } | undefined; status: number }): void => {
    this.httpRequests.inc({ method: done.method, route: done.route?.path ?? 'unmatched', status: String(done.status) });
  };

  /** A checkpoint hook for the metric store. */
  readonly observeCheckpoint = (ms: number): void => {
    this.checkpoints.observe(ms / 1000);
  };

  /** An ingest pipeline listener: every store write timed (failed writes too: a slow failure is what to see). */
  readonly observeWrite = (w: { ms: number }): void => {
    this.storeWrites.observe(w.ms / 1000);
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
