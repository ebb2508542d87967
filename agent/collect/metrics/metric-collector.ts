import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { COLLECTORS, type CollectorName, type MetricPoint } from '../../../protocol/messages.js';
import { cpuPoints, parseProcStat, type CpuTimes } from './cpu.js';
import { diskIoPoints, parseDiskstats, selectMonitoredDisks, type DiskCounters } from './disk-io.js';
import { filesystemPoints, parseMounts, selectMonitoredMounts, type FsUsage, type MountEntry } from './filesystems.js';
import { memoryPoints, parseMeminfo, swapPoints } from './memory.js';
import { networkPoints, parseNetDev, selectMonitoredInterfaces, type InterfaceCounters } from './network.js';
import { loadPoints, parseLoadavg, parseUptime, uptimePoints } from './system.js';

export interface MetricCollectorOptions {
  /** Where procfs is mounted; an agent in a container reads the host's at e.g. /host/proc. */
  procRoot?: string;
  /** statfs of one mount point; replaceable so tests need no real mounts. */
  statfs?: (mountPoint: string) => Promise<FsUsage>;
  /** How long one mount may take to answer statfs before this round goes on without it. */
  statfsTimeoutMs?: number;
}

export interface MetricCollector {
  /**
   * One round of samples stamped `now` (ms epoch), of every collector or only of those named. Rates
   * appear from a collector's second round on. Rounds of the same collector must not overlap;
   * rounds of disjoint collector sets may.
   */
  collect(now: number, only?: readonly CollectorName[]): Promise<MetricPoint[]>;
}

/** A counter reading and when it was taken, so each source's rate uses its own interval. */
interface Reading<T> {
  at: number;
  counters: T;
}

const readStatfs = async (mountPoint: string): Promise<FsUsage> => {
  const s = await statfs(mountPoint);
  return { blockSize: s.bsize, blocks: s.blocks, blocksFree: s.bfree, blocksAvailable: s.bavail, files: s.files, filesFree: s.ffree };
};

export function createMetricCollector(opts: MetricCollectorOptions = {}): MetricCollector {
  const procRoot = opts.procRoot ?? '/proc';
  const statfsOf = opts.statfs ?? readStatfs;
  const statfsTimeoutMs = opts.statfsTimeoutMs ?? 5_000;
  const readProc = (file: string) => readFile(join(procRoot, file), 'utf8').catch(() => undefined);

  let cpu: Reading<Map<string, CpuTimes>> | undefined;
  let disks: Reading<Map<string, DiskCounters>> | undefined;
  let nets: Reading<Map<string, InterfaceCounters>> | undefined;
  // A statfs that never returns pins a libuv thread; asking the same mount again would pin another.
  const statfsInFlight = new Set<string>();

  async function filesystemRound(mounts: MountEntry[], now: number): Promise<MetricPoint[]> {
    const results = await Promise.all(
      mounts.map(async (mount) => {
        if (statfsInFlight.has(mount.mountPoint)) return [];
        statfsInFlight.add(mount.mountPoint);
        const pending = statfsOf(mount.mountPoint).finally(() => statfsInFlight.delete(mount.mountPoint));
        const usage = await withTimeout(pending, statfsTimeoutMs).catch(() => undefined);
        return usage ? filesystemPoints(mount, usage, now) : [];
      }),
    );
    return results.flat();
  }

  return {
    async collect(now, only = COLLECTORS) {
      const on = new Set<CollectorName>(only);
      const files: Array<[CollectorName, string]> = [
        ['cpu', 'stat'],
        ['memory', 'meminfo'],
        ['load', 'loadavg'],
        ['uptime', 'uptime'],
        ['filesystem', 'self/mounts'],
        ['disk', 'diskstats'],
        ['network', 'net/dev'],
      ];
      const [stat, meminfo, loadavg, uptime, mounts, diskstats, netdev] = await Promise.all(
        files.map(([collector, file]) => (on.has(collector) ? readProc(file) : undefined)),
      );
      // Each source stands alone: a missing file (diskstats in some containers) costs only its own metrics.
      const points: MetricPoint[] = [];

      if (stat !== undefined) {
        const cur = parseProcStat(stat);
        if (cpu) points.push(...cpuPoints(cpu.counters, cur, now));
        cpu = { at: now, counters: cur };
      }
      if (meminfo !== undefined) {
        const fields = parseMeminfo(meminfo);
        points.push(...memoryPoints(fields, now), ...swapPoints(fields, now));
      }
      const load = loadavg === undefined ? undefined : parseLoadavg(loadavg);
      if (load) points.push(...loadPoints(load, now));
      const uptimeS = uptime === undefined ? undefined : parseUptime(uptime);
      if (uptimeS !== undefined) points.push(...uptimePoints(uptimeS, now));
      if (diskstats !== undefined) {
        const cur = selectMonitoredDisks(parseDiskstats(diskstats));
        if (disks) points.push(...diskIoPoints(disks.counters, cur, (now - disks.at) / 1000, now));
        disks = { at: now, counters: cur };
      }
      if (netdev !== undefined) {
        const cur = selectMonitoredInterfaces(parseNetDev(netdev));
        if (nets) points.push(...networkPoints(nets.counters, cur, (now - nets.at) / 1000, now));
        nets = { at: now, counters: cur };
      }
      if (mounts !== undefined) points.push(...(await filesystemRound(selectMonitoredMounts(parseMounts(mounts)), now)));
      return points;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
