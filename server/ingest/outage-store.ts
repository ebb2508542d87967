/**
 * A metric store that outlives its database: while the store underneath is unreachable, accepted
 * batches go to a durable local queue (outage-queue.ts) and are acknowledged from there; a replay loop
 * writes them back in order once the store answers again. While anything is queued, new batches
 * queue behind it, so the store receives them in the order they were accepted. Errors that are not
 * about reachability (a bug, a bad batch) still fail the write, as before.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import type { Logger } from '../log.js';
import type { IngestBatch, MetricStore, SeriesQuery } from '../store/metric-store.js';
import { isUnavailableError } from '../store/unavailable.js';
import type { OutageQueue } from './outage-queue.js';

export interface OutageStatus {
  /** The store underneath is failing (since `since`). */
  down: boolean;
  since: string | null;
  lastError: string | null;
  queuedRecords: number;
  queuedBytes: number;
  replayedRecords: number;
}

export class OutageTolerantStore implements MetricStore {
  private downSince: Date | null = null;
  private lastError: string | null = null;
  private replaying: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private replayed = 0;

  constructor(
    private readonly inner: MetricStore,
    private readonly queue: OutageQueue,
    private readonly log: Logger,
    private readonly opts: { retryMs: number; deadLetterDir: string },
  ) {
    if (queue.length) {
      log.warn({ records: queue.length }, 'replaying metric batches queued during an earlier outage');
      this.replay();
    }
  }

  async write(batches: IngestBatch[]): Promise<void> {
    if (!this.queue.length) {
      try {
        await this.inner.write(batches);
        return;
      } catch (err) {
        if (!isUnavailableError(err)) throw err;
        this.markDown(err);
      }
    }
    this.queue.append(batches);
    this.replay();
  }

  query(q: SeriesQuery) {
    return this.inner.query(q);
  }

  names(hostId?: string) {
    return this.inner.names(hostId);
  }

  listSeries(names: readonly string[]) {
    if (!this.inner.listSeries) throw new Error('the metric store underneath cannot list series');
    return this.inner.listSeries(names);
  }

  retain(now: number) {
    if (!this.inner.retain) throw new Error('the metric store underneath has no retention');
    return this.inner.retain(now);
  }

  status(): OutageStatus {
    return {
      down: this.downSince !== null,
      since: this.downSince?.toISOString() ?? null,
      lastError: this.lastError,
      queuedRecords: this.queue.length,
      queuedBytes: this.queue.bytes,
      replayedRecords: this.replayed,
    };
  }

  /** Waits until the queue is empty (tests, and a graceful stop that can wait). */
  async drained(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.queue.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return this.queue.length === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.replaying;
    this.queue.close();
    await this.inner.close();
  }

  private markDown(err: unknown): void {
    this.lastError = (err as Error).message;
    if (this.downSince) return;
    this.downSince = new Date();
    this.log.error({ err }, 'metric store unreachable: queueing accepted batches locally');
  }

  private replay(): void {
    this.replaying ??= this.replayLoop().finally(() => (this.replaying = undefined));
  }

  private async replayLoop(): Promise<void> {
    for (let record = this.queue.peek(); record && !this.closed; record = this.queue.peek()) {
      try {
        await this.inner.write(record);
      } catch (err) {
        if (isUnavailableError(err)) {
          this.markDown(err);
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, this.opts.retryMs);
          });
          continue;
        }
        // Not an outage: this record will never go in. Keep it for a person, and go on.
        const file = join(this.opts.deadLetterDir, `rejected-${Date.now()}.msgpack`);
        writeFileSync(file, pack(record), { mode: 0o600 });
        this.log.error({ err, file, batches: record.length }, 'queued metric batches rejected by the store; kept in a file');
      }
      this.queue.shift();
      this.replayed++;
      if (this.downSince && !this.queue.length) {
        this.log.warn({ since: this.downSince, replayed: this.replayed }, 'metric store reachable again; outage queue replayed');
        this.downSince = null;
        this.lastError = null;
      }
    }
  }
}
