/**
 * Metric retention on a timer: drops what has aged out of each tier. Run by one node of a cluster,
 * the holder of its lease; a failed run is retried at the next one.
 */
import type { Logger } from '../log.js';
import type { MetricStore } from '../store/metric-store.js';

export class MetricRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { metrics: MetricStore; lease: { readonly held: boolean }; everyMs: number; log: Logger }) {}

  start(): void {
    const { metrics, lease, log } = this.deps;
    this.timer = setInterval(() => {
      if (!lease.held) return;
      metrics.retain?.(Date.now()).then(
        (report) => log.info({ report }, 'metric retention ran'),
        (err) => log.warn({ err }, 'metric retention failed; next run retries'),
      );
    }, this.deps.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
