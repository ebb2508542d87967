/** Command line of the agent load generator: parsed, defaulted and checked here, nowhere else. */
import { parseArgs } from 'node:util';

export interface BenchOptions {
  agents: number;
  durationS: number;
  /** Metrics frames per second per agent. */
  ratePerS: number;
  pointsPerFrame: number;
  /** Seconds over which connects are spread. */
  rampS: number;
  workers: number;
  /** An existing server (loopback only); otherwise the generator starts `servers` of its own. */
  target: { ws: string; http: string } | undefined;
  servers: number;
  /** Server processes to sample when the target is an existing server. */
  serverPids: number[];
  /** Postgres server to make the run's database in; undefined means PGlite (one server only). */
  databaseUrl: string | undefined;
  /** Multi-use enrollment token, to enroll agents on an existing server. */
  token: string | undefined;
  port: number | undefined;
  agentsPerAddress: number;
  drainS: number;
  /** Seconds into the window at which the started servers get SIGTERM and are started again. */
  restartAtS: number | undefined;
  /** Where the started servers keep metrics: the Postgres store, or QuestDB at `questdbUrl`. */
  metricsStore: 'postgres' | 'questdb';
  questdbUrl: string | undefined;
}

export const USAGE = `Usage: npm run bench:agents -- --agents N --duration S [options]
  --agents N              simulated agents (required)
  --duration S            measurement window in seconds, after the ramp (required)
  --rate R                metrics frames per second per agent (default 0.1)
  --points P              points per frame (default 20)
  --ramp S                spread connects over S seconds (default max(5, N/2000))
  --workers W             generator processes (default ceil(N/12500); at most 15000 agents each)
  --servers K             server processes started on one port with SO_REUSEPORT (default 1)
  --database-url URL      Postgres server for the run's fresh database (default with K > 1:
                          postgres://postgres@127.0.0.1:5432/postgres; with K = 1: embedded PGlite)
  --port PORT             port for the started servers (default: a free one)
  --url URL               use an existing server (loopback) instead of starting one; needs --token
  --token TOKEN           multi-use enrollment token for --url (agents enroll over HTTP)
  --server-pid PID[,PID]  server processes to sample for RSS and CPU with --url
  --agents-per-address N  client sockets per source address 127.0.0.x (default 10000)
  --drain S               wait at most S seconds for outstanding acks at the end (default 10)
  --restart-at S          S seconds into the window, restart the started servers (SIGTERM, then
                          start again on the same port); prints how long until every agent was back
                          and compares the points stored with the points acknowledged
  --metrics-store STORE   postgres (default) or questdb: the metric store of the started servers
  --questdb-url URL       QuestDB's HTTP address for --metrics-store questdb (default http://127.0.0.1:9000;
                          reads use QUESTDB_PG_URL or port 8812 of that host)`;

export const MAX_AGENTS_PER_WORKER = 15_000;
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

export class UsageError extends Error {}

function num(raw: string | undefined, name: string, fallback: number | undefined, check: (n: number) => boolean, want: string): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${want}, got "${raw}"`);
  return n;
}

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER) =>
  (n: number) =>
    Number.isInteger(n) && n >= min && n <= max;

function loopback(raw: string): { ws: string; http: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be a URL, got "${raw}"`);
  }
  // Loopback has no use for TLS: plain ws:// and http:// only.
  if (url.protocol !== 'ws:' && url.protocol !== 'http:') throw new UsageError('--url must be ws:// or http://');
  if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(url.hostname)) throw new UsageError('--url must point at a loopback IPv4 address');
  // Agents bind 127.0.0.x source addresses: the target must be IPv4 too.
  const host = `${url.hostname === 'localhost' ? '127.0.0.1' : url.hostname}${url.port ? `:${url.port}` : ''}`;
  return { ws: `ws://${host}/agent`, http: `http://${host}` };
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    options: {
      agents: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      points: { type: 'string' },
      ramp: { type: 'string' },
      workers: { type: 'string' },
      servers: { type: 'string' },
      'database-url': { type: 'string' },
      port: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      'server-pid': { type: 'string' },
      'agents-per-address': { type: 'string' },
      drain: { type: 'string' },
      'restart-at': { type: 'string' },
      'metrics-store': { type: 'string' },
      'questdb-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (v.help) throw new UsageError('');
  const agents = num(v.agents, 'agents', undefined, int(1, 1_000_000), 'an integer >= 1');
  const durationS = num(v.duration, 'duration', undefined, (n) => n > 0 && n <= 3600, 'seconds in (0, 3600]');
  const ratePerS = num(v.rate, 'rate', 0.1, (n) => n > 0 && n <= 1000, 'frames per second in (0, 1000]');
  const pointsPerFrame = num(v.points, 'points', 20, int(1, 50_000), 'an integer in [1, 50000]');
  const rampS = num(v.ramp, 'ramp', Math.max(5, agents / 2000), (n) => n >= 0 && n <= 3600, 'seconds in [0, 3600]');
  const workers = num(v.workers, 'workers', Math.ceil(agents / 12_500), int(1, 64), 'an integer in [1, 64]');
  if (Math.ceil(agents / workers) > MAX_AGENTS_PER_WORKER) {
    throw new UsageError(`${Math.ceil(agents / workers)} agents per worker exceed ${MAX_AGENTS_PER_WORKER} (open-file limit): raise --workers`);
  }
  const agentsPerAddress = num(v['agents-per-address'], 'agents-per-address', 10_000, int(1, 25_000), 'an integer in [1, 25000]');
  if (Math.ceil(agents / agentsPerAddress) > 250) throw new UsageError('more than 250 source addresses needed: raise --agents-per-address');
  const drainS = num(v.drain, 'drain', 10, (n) => n >= 0 && n <= 300, 'seconds in [0, 300]');

  const target = v.url === undefined ? undefined : loopback(v.url);
  if (target) {
    if (v.servers !== undefined || v.port !== undefined || v['database-url'] !== undefined) {
      throw new UsageError('--url uses an existing server: --servers, --port and --database-url do not apply');
    }
    if (!v.token) throw new UsageError('--url needs --token: a multi-use enrollment token of that server');
  } else if (v['server-pid'] !== undefined || v.token !== undefined) {
    throw new UsageError('--server-pid and --token apply only with --url');
  }
  const servers = num(v.servers, 'servers', 1, int(1, 16), 'an integer in [1, 16]');
  const serverPids = (v['server-pid'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => num(p, 'server-pid', undefined, int(1), 'process ids'));
  const databaseUrl = v['database-url'] ?? (servers > 1 ? DEFAULT_POSTGRES : undefined);
  if (databaseUrl && !/^postgres(ql)?:\/\/[^/]*(127\.\d+\.\d+\.\d+|localhost)(:\d+)?(\/|$)/.test(databaseUrl)) {
    throw new UsageError('--database-url must be a postgres:// URL on a loopback address');
  }
  const restartAtS =
    v['restart-at'] === undefined ? undefined : num(v['restart-at'], 'restart-at', undefined, (n) => n >= 0 && n < durationS, 'seconds within the window');
  if (restartAtS !== undefined && target) throw new UsageError('--restart-at restarts the servers the generator starts: not with --url');
  const port = v.port === undefined ? undefined : num(v.port, 'port', undefined, int(1, 65_535), 'a port number');
  const metricsStore = v['metrics-store'] ?? 'postgres';
  if (metricsStore !== 'postgres' && metricsStore !== 'questdb') throw new UsageError(`--metrics-store must be postgres or questdb, got "${metricsStore}"`);
  if (metricsStore === 'questdb' && target) throw new UsageError('--metrics-store applies to the servers the generator starts: not with --url');
  if (v['questdb-url'] !== undefined && metricsStore !== 'questdb') throw new UsageError('--questdb-url goes with --metrics-store questdb');
  const questdbUrl = metricsStore === 'questdb' ? (v['questdb-url'] ?? 'http://127.0.0.1:9000') : undefined;
  if (questdbUrl && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?\/?$/.test(questdbUrl))
    throw new UsageError('--questdb-url must be an http:// URL on a loopback address');
  return {
    agents,
    durationS,
    ratePerS,
    pointsPerFrame,
    rampS,
    workers,
    target,
    servers,
    serverPids,
    databaseUrl,
    metricsStore,
    questdbUrl,
    token: v.token,
    port,
    agentsPerAddress,
    drainS,
    restartAtS,
  };
}

/** Source address of agent number i: 127.0.0.2 onwards, `perAddress` agents each. */
export function sourceAddress(i: number, perAddress: number): string {
  return `127.0.0.${2 + Math.floor(i / perAddress)}`;
}
