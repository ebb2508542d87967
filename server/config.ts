/** Every setting of the server: its env variable, its default, in one place. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from './paths.js';
import { parseNetworks, type Network } from './monitor/egress-policy.js';
import { DEFAULT_TIERS_SPEC, parseDuration, parseTiers, type Tier } from './store/series/tiers.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Postgres server; unset means the embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Nodes with the same name on one Redis form a cluster; its keys and channels are prefixed with it. */
  clusterName: string;
  questdbUrl: string | undefined;
  /** QuestDB's Postgres wire endpoint for reads; defaults to QUESTDB_URL's host on port 8812. */
  questdbPgUrl: string | undefined;
  metricsStore: 'postgres' | 'questdb';
  logLevel: string;
  /** Approve newly enrolled agents at once (demo); otherwise they wait for an admin. */
  autoApprove: boolean;
  gateway: {
    maxFrameBytes: number;
    clockSkewMs: number;
    idleTimeoutS: number;
    /** Token bucket per agent: sustained frames per second and burst size. */
    rateFramesPerS: number;
    rateBurst: number;
    /** Refuse connections past this count: one process must stay clear of its open-file limit. */
    maxAgents: number;
    /** Stop accepting metrics from an agent whose outgoing buffer is above this. */
    maxBufferedBytes: number;
    /** Collection and heartbeat intervals agents are told to use. */
    agentIntervalS: number;
    agentHeartbeatS: number;
  };
  ingest: {
    /** Bounded queue between gateway and store, in points. */
    queuePoints: number;
    batchPoints: number;
    /** Store write attempts before the frames are refused and left for the agent to resend. */
    writeAttempts: number;
    /** Local disk for accepted batches while the metric store is unreachable; 0 turns it off. */
    outageQueueBytes: number;
  };
  metrics: {
    /** Raw points and rollup tiers with their retention, finest first (AW_METRICS_TIERS). */
    tiers: Tier[];
    /** Closed chunks are written and open ones snapshotted this often, or once this many points were logged. */
    checkpointMs: number;
    checkpointPoints: number;
    /** A cluster: every checkpoint also writes the open chunks, so other nodes read recent points. */
    writeOpenHeads: boolean;
    /** New series past this many per host are rejected. */
    seriesPerHost: number;
    /** How often retention runs. */
    retentionMs: number;
  };
  api: {
    /** Dashboard sessions last this long from login. */
    sessionTtlS: number;
    /** One-time login links (first admin, new users without a password) last this long. */
    oneTimeLoginTtlS: number;
    /** Signed requests: the X-AW-Timestamp may differ from the server clock by this much either way. */
    signatureSkewS: number;
    /** Token buckets per remote address (every request) and per caller (session or API key). */
    rateAddressPerS: number;
    rateAddressBurst: number;
    rateCallerPerS: number;
    rateCallerBurst: number;
    /** Failed logins an address or a username may make before waiting (one more each loginRefillS). */
    loginFailures: number;
    loginRefillS: number;
    /** On start, make the first admin when there is none and print a one-time login link. */
    bootstrapAdmin: boolean;
    /** The URL people open the dashboard at (links printed by the server and the CLI); http://HOST:PORT/ otherwise. */
    publicUrl: string | undefined;
  };
  monitor: {
    /** An active agent not heard for this long is an "agent unreachable" problem. */
    unreachableS: number;
    /** How often nodata and unreachable triggers are checked. */
    nodataTickMs: number;
    /** Notification delivery: attempts before giving up, first retry delay (doubling each time). */
    deliveryAttempts: number;
    deliveryBackoffMs: number;
    /** Webhook and SMTP calls give up after this long. */
    deliveryTimeoutMs: number;
    /** Internal networks notifications may reach all the same (AW_NOTIFY_ALLOW_NETWORKS, CIDRs); none by default. */
    notifyAllowNetworks: Network[];
  };
  tasks: {
    /** Largest file an upload may bring (file pushes). */
    fileMaxBytes: number;
    /** Agents downloading task files at once from this node; more are told to retry. */
    maxDownloads: number;
    /** stdout and stderr of a task run are each kept up to this; the rest is cut and marked. */
    outputCapBytes: number;
    /** The agent bundle served at /downloads/autowatch-agent.mjs and pushed by agent-upgrade tasks. */
    agentBundlePath: string;
  };
}

type Env = Record<string, string | undefined>;

/** Files a process keeps for itself beyond agent sockets: database pools, Redis, logs, API clients, task files. */
const RESERVED_FILES = 500;

/**
 * Agents one process holds by default: its open-file limit less a reserve, since every agent is a socket
 * and at the limit accept() fails with EMFILE (uWS then spins). 18,000 where the limit cannot be read.
 */
function defaultMaxAgents(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Math.max(100, Number(m[1]) - RESERVED_FILES);
  } catch {
    // not Linux: no /proc
  }
  return 18_000;
}

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function clusterName(raw: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(raw)) throw new Error(`AW_CLUSTER must be 1-40 of a-z 0-9 _ -, got "${raw}"`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const metricsStore = env.METRICS_STORE ?? (env.QUESTDB_URL ? 'questdb' : 'postgres');
  if (metricsStore !== 'postgres' && metricsStore !== 'questdb') {
    throw new Error(`METRICS_STORE must be postgres or questdb, got "${metricsStore}"`);
  }
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 8080),
    dataDir: resolve(env.DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    clusterName: clusterName(env.AW_CLUSTER ?? 'autowatch'),
    questdbUrl: env.QUESTDB_URL || undefined,
    questdbPgUrl: env.QUESTDB_PG_URL || undefined,
    metricsStore,
    logLevel: env.LOG_LEVEL ?? 'info',
    autoApprove: bool(env, 'AW_AUTO_APPROVE', false),
    gateway: {
      maxFrameBytes: int(env, 'AW_MAX_FRAME_BYTES', 1024 * 1024, 64),
      clockSkewMs: int(env, 'AW_CLOCK_SKEW_S', 300, 1) * 1000,
      idleTimeoutS: int(env, 'AW_IDLE_TIMEOUT_S', 120, 8),
      rateFramesPerS: int(env, 'AW_AGENT_RATE', 20, 1),
      rateBurst: int(env, 'AW_AGENT_BURST', 100, 1),
      maxAgents: int(env, 'AW_MAX_AGENTS', defaultMaxAgents(), 1),
      maxBufferedBytes: int(env, 'AW_MAX_BUFFERED_BYTES', 512 * 1024, 1024),
      agentIntervalS: int(env, 'AW_AGENT_INTERVAL_S', 10, 1),
      agentHeartbeatS: int(env, 'AW_AGENT_HEARTBEAT_S', 30, 1),
    },
    ingest: {
      queuePoints: int(env, 'AW_INGEST_QUEUE_POINTS', 1_000_000, 1),
      batchPoints: int(env, 'AW_BATCH_POINTS', 20_000, 1),
      writeAttempts: int(env, 'AW_WRITE_ATTEMPTS', 3, 1),
      outageQueueBytes: int(env, 'AW_OUTAGE_QUEUE_MB', 1024, 0) * 2 ** 20,
    },
    metrics: {
      tiers: parseTiers(env.AW_METRICS_TIERS || DEFAULT_TIERS_SPEC),
      // Alone, a node writes a chunk once, when its span closes (its queries see the open heads in
      // memory). Other nodes read a node's newest points from its chunk rows: in a cluster, every
      // checkpoint also rewrites the open chunks that got points, so checkpoint often, at that price.
      checkpointMs: int(env, 'AW_METRICS_CHECKPOINT_S', env.REDIS_URL ? 10 : 300, 1) * 1000,
      checkpointPoints: int(env, 'AW_METRICS_CHECKPOINT_POINTS', 3_000_000, 1),
      writeOpenHeads: Boolean(env.REDIS_URL),
      seriesPerHost: int(env, 'AW_SERIES_PER_HOST', 10_000, 1),
      retentionMs: parseDuration(env.AW_RETENTION_EVERY || '1h', 'AW_RETENTION_EVERY'),
    },
    api: {
      sessionTtlS: int(env, 'AW_SESSION_TTL_S', 12 * 3600, 60),
      oneTimeLoginTtlS: int(env, 'AW_ONE_TIME_LOGIN_TTL_S', 3600, 60),
      signatureSkewS: int(env, 'AW_SIGNATURE_SKEW_S', 300, 1),
      rateAddressPerS: int(env, 'AW_RATE_ADDRESS_PER_S', 50, 1),
      rateAddressBurst: int(env, 'AW_RATE_ADDRESS_BURST', 200, 1),
      rateCallerPerS: int(env, 'AW_RATE_CALLER_PER_S', 20, 1),
      rateCallerBurst: int(env, 'AW_RATE_CALLER_BURST', 100, 1),
      loginFailures: int(env, 'AW_LOGIN_FAILURES', 10, 1),
      loginRefillS: int(env, 'AW_LOGIN_REFILL_S', 30, 1),
      bootstrapAdmin: bool(env, 'AW_BOOTSTRAP_ADMIN', true),
      publicUrl: env.AW_PUBLIC_URL || undefined,
    },
    monitor: {
      unreachableS: int(env, 'AW_MONITOR_UNREACHABLE_S', 120, 1),
      nodataTickMs: int(env, 'AW_MONITOR_NODATA_TICK_MS', 5000, 100),
      deliveryAttempts: int(env, 'AW_MONITOR_DELIVERY_ATTEMPTS', 8, 1),
      deliveryBackoffMs: int(env, 'AW_MONITOR_DELIVERY_BACKOFF_MS', 2000, 10),
      deliveryTimeoutMs: int(env, 'AW_MONITOR_DELIVERY_TIMEOUT_MS', 10_000, 100),
      notifyAllowNetworks: parseNetworks(env.AW_NOTIFY_ALLOW_NETWORKS ?? '', 'AW_NOTIFY_ALLOW_NETWORKS'),
    },
    tasks: {
      fileMaxBytes: int(env, 'AW_TASK_FILE_MAX_MB', 1024, 1) * 2 ** 20,
      maxDownloads: int(env, 'AW_TASK_MAX_DOWNLOADS', 64, 1),
      // A final result carries both streams in one frame: each must stay under half of it.
      agentBundlePath: resolve(env.AW_AGENT_BUNDLE || join(PROJECT_ROOT, 'dist', 'autowatch-agent.mjs')),
      outputCapBytes: Math.max(
        64,
        Math.min(int(env, 'AW_TASK_OUTPUT_CAP_BYTES', 256 * 1024, 64), Math.floor((int(env, 'AW_MAX_FRAME_BYTES', 1024 * 1024, 64) - 64 * 1024) / 2)),
      ),
    },
  };
}
