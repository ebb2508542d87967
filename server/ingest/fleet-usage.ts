/**
 * The latest CPU, memory and disk use of every host, in memory, as the ingest pipeline stores points: the
 * overview's "busiest hosts" without reading the metric store (a query per host would not stay fast
 * with 50,000 hosts). A host's disk use is its fullest filesystem. Only what this node ingested: in a
 * cluster each node knows its own agents' hosts, and FleetFigures merges the nodes' rankings. Pure
 * apart from the clock passed in.
 */
import type { IngestBatch } from '../store/metric-store.js';

export type UsageKind = 'cpu' | 'memory' | 'disk';

interface HostUsage {
  at: number;
  cpu?: number;
  memory?: number;
  /** Latest use per mount; the fullest one counts. */
  mounts?: Map<string, number>;
}

export interface UsageEntry {
  hostId: string;
  value: number;
  at: number;
}

/** Hosts silent for longer than this drop out of the ranking: an old figure is no longer "use". */
export const STALE_MS = 10 * 60_000;

export class FleetUsage {
  private readonly hosts = new Map<string, HostUsage>();

  observe(batches: readonly IngestBatch[], now = Date.now()): void {
    for (const b of batches) {
      let u: HostUsage | undefined;
      for (const p of b.points) {
        const kind =
          p.name === 'cpu.usage_pct'
            ? p.labels?.cpu === undefined || p.labels.cpu === 'total'
              ? 'cpu'
              : null
            : p.name === 'mem.used_pct'
              ? 'memory'
              : p.name === 'fs.used_pct'
                ? 'disk'
                : null;
        if (kind === null || !Number.isFinite(p.v)) continue;
        u ??= this.entry(b.hostId);
        u.at = now;
        if (kind === 'disk') (u.mounts ??= new Map()).set(p.labels?.mount ?? p.labels?.path ?? '', p.v);
        else u[kind] = p.v;
      }
    }
  }

  /** The `n` hosts using the most of `kind`, highest first; one pass, no sort of the fleet. */
  top(kind: UsageKind, n: number, now = Date.now()): UsageEntry[] {
    const best: UsageEntry[] = [];
    for (const [hostId, u] of this.hosts) {
      if (now - u.at > STALE_MS) continue;
      const value = kind === 'disk' ? maxOf(u.mounts) : u[kind];
      if (value === undefined || (best.length === n && value <= best[n - 1].value)) continue;
      let i = best.length;
      while (i > 0 && best[i - 1].value < value) i--;
      best.splice(i, 0, { hostId, value, at: u.at });
      if (best.length > n) best.pop();
    }
    return best;
  }

  private entry(hostId: string): HostUsage {
    let u = this.hosts.get(hostId);
    if (!u) {
      u = { at: 0 };
      this.hosts.set(hostId, u);
    }
    return u;
  }
}

function maxOf(m: Map<string, number> | undefined): number | undefined {
  if (!m) return undefined;
  let max: number | undefined;
  for (const v of m.values()) if (max === undefined || v > max) max = v;
  return max;
}
