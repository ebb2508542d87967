/**
 * The overview's figures for the whole fleet: each node knows only what it ingested (FleetUsage,
 * IngestHistory), so every 10 s, on the clock's marks, each node samples its rate and publishes its
 * busiest hosts and rate history to the others (Cluster.share, through Redis); the node answering
 * the overview merges theirs with its own. Alone (no Redis), the node's figures are the fleet's.
 */
import { STALE_MS, type FleetUsage, type UsageEntry, type UsageKind } from './fleet-usage.js';
import type { IngestHistory, RatePoint } from './ingest-history.js';

export interface NodeFigures {
  busiest: Record<UsageKind, UsageEntry[]>;
  history: RatePoint[];
}

/** What FleetFigures needs of the cluster (Cluster, or nothing shared for a node alone). */
export interface FigureExchange {
  share(topic: string, value: unknown, ttlMs: number): Promise<void>;
  sharedByOthers<T>(topic: string, maxAgeMs: number): Promise<T[]>;
}

const TOPIC = 'overview';
const KINDS: UsageKind[] = ['cpu', 'memory', 'disk'];
/** A stopped node's figures count while they cover the last hour (the graph's span). */
const HOUR_MS = 3_600_000;

/**
 * Several nodes' figures as one: the `top` busiest hosts of all (a host that moved between nodes
 * counts with its newest figure), and the rates summed per 10 s mark. Marks newer than the latest
 * one every live node has published are left out, so the newest point is not a partial sum.
 */
export function mergeFigures(nodes: NodeFigures[], top: number, everyMs: number, now: number): NodeFigures {
  const busiest = {} as NodeFigures['busiest'];
  for (const kind of KINDS) {
    const newest = new Map<string, UsageEntry>();
    for (const e of nodes.flatMap((n) => n.busiest[kind])) {
      if (now - e.at > STALE_MS) continue;
      const seen = newest.get(e.hostId);
      if (!seen || e.at > seen.at) newest.set(e.hostId, e);
    }
    busiest[kind] = [...newest.values()].sort((a, b) => b.value - a.value).slice(0, top);
  }
  const sums = new Map<number, number>();
  let upTo = Infinity;
  for (const n of nodes) {
    const byMark = new Map(n.history.map((p) => [Math.round(p.t / everyMs) * everyMs, p.pointsPerS]));
    for (const [t, v] of byMark) if (t > now - HOUR_MS) sums.set(t, (sums.get(t) ?? 0) + v);
    const latest = Math.max(...byMark.keys());
    if (latest >= now - 2 * everyMs) upTo = Math.min(upTo, latest);
  }
  const history = [...sums]
    .filter(([t]) => t <= upTo)
    .sort((a, b) => a[0] - b[0])
    .map(([t, pointsPerS]) => ({ t, pointsPerS }));
  return { busiest, history };
}

export class FleetFigures {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly usage: FleetUsage,
    private readonly rate: IngestHistory,
    private readonly exchange: FigureExchange,
    private readonly opts = { top: 5, everyMs: 10_000 },
  ) {}

  start(): void {
    this.rate.sample();
    const tick = () => {
      this.rate.sample();
      void this.exchange.share(TOPIC, this.local(), HOUR_MS);
      this.timer = setTimeout(tick, this.untilNextMark()).unref();
    };
    this.timer = setTimeout(tick, this.untilNextMark()).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** This node's figures merged with the ones the other nodes published. */
  async fleet(now = Date.now()): Promise<NodeFigures> {
    const others = await this.exchange.sharedByOthers<NodeFigures>(TOPIC, HOUR_MS);
    return mergeFigures([this.local(now), ...others], this.opts.top, this.opts.everyMs, now);
  }

  private local(now = Date.now()): NodeFigures {
    return {
      busiest: {
        cpu: this.usage.top('cpu', this.opts.top, now),
        memory: this.usage.top('memory', this.opts.top, now),
        disk: this.usage.top('disk', this.opts.top, now),
      },
      history: this.rate.history(),
    };
  }

  private untilNextMark(): number {
    return this.opts.everyMs - (Date.now() % this.opts.everyMs);
  }
}
