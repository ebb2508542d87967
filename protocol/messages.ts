/**
 * The messages agents and server exchange. A frame (see frame.ts) carries one message type and a
 * msgpack payload whose shape is given here. docs/protocol.md documents the same, byte by byte.
 */

export const PROTOCOL_VERSION = 1;

export const MessageType = {
  /** server → agent, first frame of every connection: the session nonce every later tag covers. */
  welcome: 1,
  /** agent → server, first agent frame: who and what it is. */
  hello: 2,
  heartbeat: 3,
  metrics: 4,
  inventory: 5,
  /** server → agent: state (pending/active), intervals, monitoring configuration. */
  config: 6,
  /** server → agent: a task to run (carries its own ed25519 signature). */
  task: 7,
  /** agent → server: output chunks and the final result of a task. */
  taskResult: 8,
  /** either way: "frame seq was accepted (and committed, for data)". */
  ack: 9,
  /** either way: a frame was not accepted; `retryAfterMs` says when to send it again, if ever. */
  error: 10,
} as const;

export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeCode = (typeof MessageType)[MessageTypeName];

const NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([name, code]) => [code, name as MessageTypeName]));
export const messageTypeName = (code: number): MessageTypeName | undefined => NAMES.get(code);

/** Metric labels: small string maps, e.g. { cpu: "total" } or { mount: "/", device: "sda1" }. */
export type Labels = Record<string, string>;

/** One sample. `t` is milliseconds since the Unix epoch. */
export interface MetricPoint {
  name: string;
  labels?: Labels;
  t: number;
  v: number;
}

export interface WelcomeMessage {
  session: Uint8Array; // 16 random bytes
  serverTime: number;
  protocol: number;
}

export interface HelloMessage {
  protocol: number;
  agentVersion: string;
  hostname: string;
  os?: string;
  kernel?: string;
  arch?: string;
  machineId?: string;
  /** Id of the configuration the agent runs now (hash), so the server can skip an unchanged push. */
  configVersion?: string;
}

export interface HeartbeatMessage {
  uptimeS?: number;
  spooled?: number;
}

export interface MetricsMessage {
  /** Stable id of this batch, kept across resends so a batch is stored once. */
  batch: number;
  points: MetricPoint[];
}

export interface InventoryMessage {
  /** Full report; the server diffs it against the stored asset. */
  report: Record<string, unknown>;
}

/** Kinds of monitoring check an agent runs (plugins and built-in service checks). */
export const CHECK_TYPES = ['plugin', 'tcp', 'http', 'process', 'cert'] as const;

/** One monitoring check in ConfigMessage.monitoring.items, as the server computes it from templates. */
export interface CheckItem {
  key: string;
  type: (typeof CHECK_TYPES)[number];
  intervalS: number;
  timeoutS: number;
  command?: string;
  args?: string[];
  output?: 'nagios' | 'json' | 'auto';
  params?: Record<string, string | number | boolean>;
}

/** The agent's built-in metric collectors (agent/collect/metrics); a template's collector item names one. */
export const COLLECTORS = ['cpu', 'memory', 'load', 'uptime', 'disk', 'filesystem', 'network'] as const;
export type CollectorName = (typeof COLLECTORS)[number];

/** A built-in collector the configuration runs at its own interval (the others run at `intervalS`). */
export interface CollectorSchedule {
  name: CollectorName;
  intervalS: number;
}

export interface ConfigMessage {
  state: 'pending' | 'active';
  intervalS: number;
  heartbeatS: number;
  version?: string;
  /**
   * `{items: CheckItem[], collectors?: CollectorSchedule[]}`. Absent when the agent's hello named this
   * `version` already: the agent keeps running what it has.
   */
  monitoring?: Record<string, unknown>;
}

export interface AckMessage {
  seq: number;
}

export interface ErrorMessage {
  seq?: number;
  code: string;
  message: string;
  retryAfterMs?: number;
}

/**
 * agent → server, message type 8. `output` frames stream a run's output as it comes (live view);
 * `done` carries the final result with each stream capped at `outputCapBytes` (cut marked);
 * `refused` says the agent would not run the task (bad signature, expired, replayed, not allowed).
 */
export type TaskResultMessage =
  | { taskId: string; event: 'started' }
  | { taskId: string; event: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | {
      taskId: string;
      event: 'done';
      state: 'ok' | 'failed' | 'timed_out' | 'cancelled';
      exitCode: number | null;
      signal?: string;
      stdout: string;
      stderr: string;
      stdoutCut: boolean;
      stderrCut: boolean;
      durationMs: number;
      message?: string;
    }
  | { taskId: string; event: 'refused'; code: string; message: string };
