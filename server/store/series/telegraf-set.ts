/**
 * A seeded Telegraf-shaped data set (not used at runtime): per host 50 series of what Telegraf's cpu, mem,
 * disk, net, diskio and system inputs report every 10 s, written as the InfluxDB line protocol Telegraf
 * sends. CPU percentages and load averages carry 2 decimals, memory and disk sizes are integer byte gauges
 * (in 4 KiB pages), byte and packet counters rise monotonically, uptime counts seconds. The bench feeds
 * the same lines to every store it compares, and the codec tests measure bytes per point on it.
 */
import { seededRandom } from './sample-series.js';

export const SERIES_PER_HOST = 50;
export const TELEGRAF_STEP_MS = 10_000;

interface Measurement {
  name: string;
  tags: string;
  fields: Array<{ name: string; int: boolean }>;
}

const f = (names: string, int: boolean) => names.split(' ').map((name) => ({ name, int }));

const MEASUREMENTS: Measurement[] = [
  {
    name: 'cpu',
    tags: 'cpu=cpu-total',
    fields: f('usage_user usage_system usage_idle usage_iowait usage_nice usage_irq usage_softirq usage_steal usage_guest usage_guest_nice', false),
  },
  { name: 'mem', tags: '', fields: f('total available used free cached buffered active inactive', true) },
  { name: 'disk', tags: 'device=sda1,fstype=ext4,path=/', fields: f('total free used inodes_total inodes_free inodes_used', true) },
  { name: 'disk', tags: 'device=sdb1,fstype=xfs,path=/data', fields: f('total free used inodes_total inodes_free inodes_used', true) },
  { name: 'net', tags: 'interface=eth0', fields: f('bytes_sent bytes_recv packets_sent packets_recv err_in err_out drop_in drop_out', true) },
  { name: 'diskio', tags: 'name=sda', fields: f('reads writes read_bytes write_bytes read_time write_time', true) },
  { name: 'system', tags: '', fields: [...f('load1 load5 load15', false), ...f('uptime n_cpus n_users', true)] },
];

const round2 = (x: number) => Math.round(x * 100) / 100;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const PAGE = 4096;
const pages = (bytes: number) => Math.floor(bytes / PAGE) * PAGE;

/** One host's state, advanced one 10 s step at a time. */
class HostState {
  private readonly rnd: () => number;
  private readonly memTotal: number;
  private memUsed: number;
  private cached: number;
  private readonly diskTotal: number[];
  private diskUsed: number[];
  private inodesUsed: number[];
  private readonly counters = new Float64Array(14);
  private user = 20;
  private system = 5;
  private iowait = 1;
  private load = [1, 1, 1];
  private uptime: number;
  private readonly cpus: number;

  constructor(seed: number) {
    const rnd = (this.rnd = seededRandom(seed));
    this.cpus = [2, 4, 8, 16][Math.floor(rnd() * 4)];
    this.memTotal = this.cpus * 4 * 1024 ** 3;
    this.memUsed = Math.floor(((0.3 + 0.3 * rnd()) * this.memTotal) / PAGE) * PAGE;
    this.cached = Math.floor((0.2 * this.memTotal) / PAGE) * PAGE;
    this.diskTotal = [50 * 1024 ** 3, 500 * 1024 ** 3];
    this.diskUsed = this.diskTotal.map((t) => Math.floor(((0.2 + 0.5 * rnd()) * t) / PAGE) * PAGE);
    this.inodesUsed = [150_000 + Math.floor(rnd() * 50_000), 20_000 + Math.floor(rnd() * 5_000)];
    this.uptime = Math.floor(rnd() * 3e6);
    for (let i = 0; i < this.counters.length; i++) this.counters[i] = Math.floor(rnd() * 1e9);
  }

  /** Values of the 50 fields for the next step, in MEASUREMENTS order. */
  step(): number[][] {
    const r = this.rnd;
    this.user = clamp(this.user + (r() - 0.5) * 6 + (20 - this.user) * 0.05, 0, 90);
    this.system = clamp(this.system + (r() - 0.5) * 2 + (5 - this.system) * 0.1, 0, 30);
    this.iowait = clamp(this.iowait + (r() - 0.5) + (1 - this.iowait) * 0.2, 0, 20);
    const user = round2(this.user);
    const system = round2(this.system);
    const iowait = round2(this.iowait);
    const softirq = round2(r() * 0.5);
    const steal = r() < 0.9 ? 0 : round2(r() * 0.3);
    const idle = round2(100 - user - system - iowait - softirq - steal);
    const cpu = [user, system, idle, iowait, 0, 0, softirq, steal, 0, 0];

    this.memUsed = pages(clamp(this.memUsed + Math.round((r() - 0.5) * 2000) * PAGE, 0.1 * this.memTotal, 0.9 * this.memTotal));
    if (r() < 0.2) this.cached = pages(clamp(this.cached + Math.round((r() - 0.4) * 200) * PAGE, 0, 0.4 * this.memTotal));
    const free = this.memTotal - this.memUsed - this.cached;
    const mem = [
      this.memTotal,
      free + this.cached,
      this.memUsed,
      free,
      this.cached,
      64 * 1024 ** 2,
      this.memUsed * 0.75 - ((this.memUsed * 0.75) % PAGE),
      this.cached,
    ];

    const disk = this.diskTotal.map((total, d) => {
      this.diskUsed[d] += Math.round(r() * 64) * PAGE;
      if (r() < 0.05) this.inodesUsed[d] += Math.round((r() - 0.3) * 20);
      const inodesTotal = d === 0 ? 3_276_800 : 32_768_000;
      return [total, total - this.diskUsed[d], this.diskUsed[d], inodesTotal, inodesTotal - this.inodesUsed[d], this.inodesUsed[d]];
    });

    const c = this.counters;
    const rise = (i: number, mean: number) => (c[i] += Math.round(mean * (0.5 + r())));
    const net = [rise(0, 2e5), rise(1, 8e5), rise(2, 400), rise(3, 900), c[4], c[5], r() < 0.01 ? ++c[6] : c[6], c[7]];
    const diskio = [rise(8, 30), rise(9, 120), (c[10] += Math.round(r() * 60) * 4096), (c[11] += Math.round(r() * 240) * 4096), rise(12, 40), rise(13, 300)];

    this.load = this.load.map((l, i) => clamp(l + (((this.user + this.system) / 100) * this.cpus - l) * [0.15, 0.03, 0.01][i] + (r() - 0.5) * 0.1, 0, 64));
    this.uptime += 10;
    const system2 = [round2(this.load[0]), round2(this.load[1]), round2(this.load[2]), this.uptime, this.cpus, 2];
    return [cpu, mem, disk[0], disk[1], net, diskio, system2];
  }
}

export interface TelegrafSet {
  hosts: number;
  steps: number;
  start: number;
  points: number;
  /** Host names, `tg-<i>`. */
  hostNames: string[];
  /** Line protocol (ns timestamps) for one step of a range of hosts, `lines(step, from, to)`. */
  lines(step: number, fromHost: number, toHost: number): string;
}

/**
 * `hosts` hosts x `hours` of 10 s points from `start`; generating step k needs every step before it, so
 * steps are produced in order (one state per host).
 */
export function telegrafSet(hosts: number, hours: number, start: number, seed = 15): TelegrafSet {
  const states = Array.from({ length: hosts }, (_, i) => new HostState(seed * 100_003 + i));
  const steps = Math.round((hours * 3_600_000) / TELEGRAF_STEP_MS);
  const hostNames = Array.from({ length: hosts }, (_, i) => `tg-${i}`);
  let current = -1;
  let values: number[][][] = [];
  return {
    hosts,
    steps,
    start,
    points: hosts * steps * SERIES_PER_HOST,
    hostNames,
    lines(step, fromHost, toHost) {
      if (step !== current) {
        if (step !== current + 1) throw new Error(`steps are generated in order: asked ${step} after ${current}`);
        values = states.map((s) => s.step());
        current = step;
      }
      const ts = `${BigInt(start + step * TELEGRAF_STEP_MS) * 1_000_000n}`;
      let out = '';
      for (let h = fromHost; h < toHost; h++) {
        const v = values[h];
        MEASUREMENTS.forEach((m, i) => {
          const fields = m.fields.map((fd, j) => `${fd.name}=${fd.int ? `${v[i][j]}i` : v[i][j]}`).join(',');
          out += `${m.name},${m.tags ? `${m.tags},` : ''}host=${hostNames[h]} ${fields} ${ts}\n`;
        });
      }
      return out;
    },
  };
}
