/**
 * The ingest rate over the last hour, for the overview's graph: the pipeline's committed-points
 * counter sampled (by FleetFigures, on the clock's 10 s marks), kept as points per second between
 * samples in a ring of `keep`. This node's intake (like the counters it samples).
 */
export interface RatePoint {
  /** ms since the epoch, end of the interval */
  t: number;
  pointsPerS: number;
}

export class IngestHistory {
  private readonly samples: RatePoint[] = [];
  private last: { t: number; committed: number } | undefined;

  constructor(
    private readonly committedPoints: () => number,
    private readonly keep = 360,
  ) {}

  sample(now = Date.now()): void {
    const committed = this.committedPoints();
    if (this.last && now > this.last.t) {
      this.samples.push({ t: now, pointsPerS: ((committed - this.last.committed) * 1000) / (now - this.last.t) });
      if (this.samples.length > this.keep) this.samples.shift();
    }
    this.last = { t: now, committed };
  }

  history(): RatePoint[] {
    return [...this.samples];
  }
}
