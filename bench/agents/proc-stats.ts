/**
 * Figures read from /proc: CPU time (utime + stime) and resident memory of a set of processes (the
 * servers, the generator's workers), and the whole machine's busy time. RSS is sampled every second and
 * the peak of the sum is kept, so it works for servers the generator did not start too (whose VmHWM may
 * date from an earlier run).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds used by a process so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based, man proc).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds every core of the machine has spent busy (not idle, not waiting on disk) since boot. */
export function machineBusySeconds(): number {
  // First line: cpu user nice system idle iowait irq softirq steal ...
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - ticks[3] - ticks[4]) / CLOCK_TICKS;
}

export function rssMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export class ProcessSampler {
  private peakRssMb = 0;
  private cpuAtStart: number[] | undefined;
  private windowStartedAt = 0;
  private cpuPct: number | null = null;
  private timer: NodeJS.Timeout | undefined;

  /** CPU seconds used in the window by processes no longer followed (a restarted server). */
  private carriedCpu = 0;
  /** Each process's CPU seconds when last read (every second): what it used before it exited. */
  private lastCpu = new Map<number, number>();

  constructor(private pids: number[]) {}

  /** Follows replacement processes (a restart), keeping the window's CPU used by the old ones. */
  follow(pids: number[]): void {
    if (this.cpuAtStart) this.carriedCpu += this.usedSinceStart();
    this.pids = pids;
    if (this.cpuAtStart) this.cpuAtStart = pids.map(() => 0);
  }

  start(): void {
    if (!this.pids.length) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  windowStart(): void {
    this.cpuAtStart = this.pids.map((p) => cpuSeconds(p) ?? 0);
    this.windowStartedAt = performance.now();
  }

  windowEnd(): void {
    if (!this.cpuAtStart) return;
    const seconds = (performance.now() - this.windowStartedAt) / 1000;
    const used = this.carriedCpu + this.usedSinceStart();
    this.cpuPct = seconds > 0 ? (used / seconds) * 100 : null;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Peak of the summed RSS (MB) and CPU over the window (% of one core, summed); null without pids. */
  figures(): { rssMb: number | null; cpuPct: number | null } {
    if (!this.pids.length) return { rssMb: null, cpuPct: null };
    this.sample();
    return { rssMb: Math.round(this.peakRssMb), cpuPct: this.cpuPct === null ? null : Math.round(this.cpuPct * 10) / 10 };
  }

  /** CPU seconds the followed processes used since the window started (a process gone: up to its last reading). */
  private usedSinceStart(): number {
    return this.pids.reduce((sum, p, i) => sum + Math.max(0, this.cpuOf(p, this.cpuAtStart![i]) - this.cpuAtStart![i]), 0);
  }

  private cpuOf(pid: number, fallback: number): number {
    const now = cpuSeconds(pid);
    if (now !== null) this.lastCpu.set(pid, now);
    return now ?? this.lastCpu.get(pid) ?? fallback;
  }

  private sample(): void {
    const sum = this.pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0);
    if (sum > this.peakRssMb) this.peakRssMb = sum;
    for (const p of this.pids) this.cpuOf(p, 0);
  }
}

/** The machine's CPU over the window, % of one core summed over its cores: shows when the box, not a server, is the limit. */
export class MachineSampler {
  private startedAt = 0;
  private busyAtStart = 0;
  private pct: number | null = null;

  windowStart(): void {
    this.startedAt = performance.now();
    this.busyAtStart = machineBusySeconds();
  }

  windowEnd(): void {
    if (!this.startedAt || this.pct !== null) return;
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.pct = seconds > 0 ? Math.round(((machineBusySeconds() - this.busyAtStart) / seconds) * 1000) / 10 : null;
  }

  figures(): { cpuPct: number | null; cores: number } {
    return { cpuPct: this.pct, cores: availableParallelism() };
  }
}
