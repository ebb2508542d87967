/**
 * Producer/consumer between the gateway and the metric store. The gateway offers batches to a
 * queue bounded in points (a full queue refuses, and the agent is told to retry later: memory
 * never grows without bound). Group commit: an idle writer takes what is queued at once (up to
 * `batchPoints`, offers of the same turn of the event loop together) and writes it in one transaction;
 * what arrives while every writer is busy gathers in the queue and goes in the next write. There is no
 * batch timer: an acknowledgement waits for the commit, not for a clock. Each batch's owner hears `committed` only after the
 * write is durable, and `refused` when the store kept failing, so the agent can send it again.
 * Poison versus outage: a write the store refuses as invalid (InvalidWriteError) is not retried but split
 * in halves until the batches at fault are alone; those are refused for good (`invalid`), every other
 * batch is stored and acknowledged. Anything else (unreachable, 5xx, timeout) is retried, then refused
 * for a resend later. Whoever needs the points as they are stored (triggers, the overview's usage, write
 * timings) subscribes with onWrite; the store itself is never wrapped for that.
 */
import type { Logger } from '../log.js';
import { InvalidWriteError, type IngestBatch, type MetricStore } from '../store/metric-store.js';

export interface PendingBatch extends IngestBatch {
  committed(): void;
  /** The store did not take the batch now: send it again after retryAfterMs. */
  refused(retryAfterMs: number): void;
  /** The store refused the batch's points as invalid: sending them again would never succeed. */
  invalid(reason: string): void;
}

/** Writes are failing: what the health check reports until a write succeeds again. */
export interface WriteFailure {
  since: string;
  reason: string;
}

export interface PipelineOptions {
  queuePoints: number;
  batchPoints: number;
  writeAttempts: number;
  /** Concurrent writers; 1 for the embedded store, which has one connection. */
  writers: number;
}

export interface PipelineStats {
  queuedPoints: number;
  queuedBatches: number;
  committedPoints: number;
  committedBatches: number;
  refusedBatches: number;
  /** Batches refused for good: the store found their points invalid. */
  invalidBatches: number;
  writeFailures: number;
  flushes: number;
}

/** One write to the store as it ended: committed (stored, about to be acknowledged) or failed. */
export interface StoreWrite {
  batches: readonly IngestBatch[];
  committed: boolean;
  ms: number;
}

const RETRY_AFTER_MS = 2000;

export class IngestPipeline {
  private queue: PendingBatch[] = [];
  private head = 0;
  private queuedPoints = 0;
  private activeWriters = 0;
  /** A pump is queued for the end of this turn, so the turn's offers go in one write. */
  private pumpQueued = false;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private failing: WriteFailure | undefined;
  private readonly writeListeners: Array<(w: StoreWrite) => void> = [];
  readonly stats: PipelineStats = {
    queuedPoints: 0,
    queuedBatches: 0,
    committedPoints: 0,
    committedBatches: 0,
    refusedBatches: 0,
    invalidBatches: 0,
    writeFailures: 0,
    flushes: 0,
  };

  constructor(
    private readonly store: MetricStore,
    private readonly opts: PipelineOptions,
    private readonly log: Logger,
  ) {}

  /** False when the queue has no room (or the pipeline is stopping): tell the agent to retry. */
  offer(batch: PendingBatch): boolean {
    const n = batch.points.length;
    if (this.stopping || (this.queuedPoints + n > this.opts.queuePoints && this.queuedPoints > 0)) return false;
    this.queue.push(batch);
    this.queuedPoints += n;
    this.schedule();
    return true;
  }

  /** The queue holds its maximum: an offer now would be refused. */
  get full(): boolean {
    return this.stopping || this.queuedPoints >= this.opts.queuePoints;
  }

  get pending(): number {
    return this.queuedPoints;
  }

  /** Stop taking batches and write everything already taken. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.pump();
    while (this.queue.length > this.head || this.activeWriters > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  snapshot(): PipelineStats {
    this.stats.queuedPoints = this.queuedPoints;
    this.stats.queuedBatches = this.queue.length - this.head;
    return { ...this.stats };
  }

  /** Told of every store write once it ends, before its batches are acknowledged. Returns the unsubscribe. */
  onWrite(listener: (w: StoreWrite) => void): () => void {
    this.writeListeners.push(listener);
    return () => {
      const i = this.writeListeners.indexOf(listener);
      if (i >= 0) this.writeListeners.splice(i, 1);
    };
  }

  /** Set while the last write stored none of its batches (for /api/v1/health). */
  get writeFailure(): WriteFailure | undefined {
    return this.failing;
  }

  private schedule(): void {
    if (this.pumpQueued || this.activeWriters >= this.opts.writers) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.activeWriters < this.opts.writers && this.queue.length > this.head) {
      const taken = this.take();
      this.activeWriters++;
      void this.write(taken).finally(() => {
        this.activeWriters--;
        // What gathered during this write goes now, in one write.
        this.pump();
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      });
    }
  }

  private take(): PendingBatch[] {
    const out: PendingBatch[] = [];
    let points = 0;
    while (this.head < this.queue.length && (out.length === 0 || points + this.queue[this.head].points.length <= this.opts.batchPoints)) {
      const b = this.queue[this.head++];
      points += b.points.length;
      out.push(b);
    }
    this.queuedPoints -= points;
    // Compact now and then so the array does not keep taken entries alive.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private async write(batches: PendingBatch[]): Promise<void> {
    const committed = await this.writeSplittingPoison(batches);
    if (committed) this.failing = undefined;
  }

  /** Writes the batches, retrying outages; on an invalid write, each half on its own. Returns how many committed. */
  private async writeSplittingPoison(batches: PendingBatch[]): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.store.write(batches);
        this.published(batches, true, started);
        this.stats.flushes++;
        for (const b of batches) {
          this.stats.committedBatches++;
          this.stats.committedPoints += b.points.length;
          b.committed();
        }
        return batches.length;
      } catch (err) {
        this.published(batches, false, started);
        this.stats.writeFailures++;
        if (err instanceof InvalidWriteError) {
          if (batches.length > 1) {
            const half = batches.length >> 1;
            return (await this.writeSplittingPoison(batches.slice(0, half))) + (await this.writeSplittingPoison(batches.slice(half)));
          }
          const b = batches[0];
          this.noteFailure(err);
          this.log.warn(
            { agent: b.agentId, host: b.hostId, batch: b.batch, points: b.points.length, reason: err.message },
            'metric store refused a batch as invalid; refused to its agent for good',
          );
          this.stats.invalidBatches++;
          b.invalid(err.message);
          return 0;
        }
        this.noteFailure(err);
        if (attempt >= this.opts.writeAttempts) {
          this.log.error({ err, batches: batches.length, attempt }, 'metric store write failed; batches refused for resend');
          for (const b of batches) {
            this.stats.refusedBatches++;
            b.refused(RETRY_AFTER_MS);
          }
          return 0;
        }
        this.log.warn({ err, attempt }, 'metric store write failed; retrying');
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  /** A listener's failure is its own: the batches are stored either way, so it is logged, never retried. */
  private published(batches: readonly IngestBatch[], committed: boolean, started: number): void {
    const w: StoreWrite = { batches, committed, ms: performance.now() - started };
    for (const listener of this.writeListeners) {
      try {
        listener(w);
      } catch (err) {
        this.log.error({ err }, 'a store write listener failed');
      }
    }
  }

  private noteFailure(err: unknown): void {
    this.failing = { since: this.failing?.since ?? new Date().toISOString(), reason: (err as Error)?.message ?? String(err) };
  }
}
