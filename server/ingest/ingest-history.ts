/**
 * The ingest rate over the last hour, for the overview's graph: the pipeline's committed-points
 * counter sampled every `everyMs`, kept as points per second between samples in a ring of `keep`.
 * This node's intake (like the counters it samples).
 */
export interface RatePoint {
  /** ms since the epoch, end of the interval */
  t: number;
  points_per_s: number;
}

export class IngestHistory {
  private readonly samples: RatePoint[] = [];
  private last: { t: number; committed: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly committedPoints: () => number, private readonly opts: { everyMs: number; keep: number } = { everyMs: 10_000, keep: 360 }) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.opts.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(now = Date.now()): void {
    const committed = this.committedPoints();
    if (this.last && now > this.last.t) {
      this.samples.push({ t: now, points_per_s: ((committed - this.last.committed) * 1000) / (now - this.last.t) });
      if (this.samples.length > this.opts.keep) this.samples.shift();
    }
    this.last = { t: now, committed };
  }

  history(): RatePoint[] {
    return [...this.samples];
  }
}
