/** What the generator's parent process and its workers tell each other over the fork IPC channel. */

export interface BenchAgent {
  agentId: string;
  /** HMAC key, hex. */
  secret: string;
  hostname: string;
  localAddress: string;
}

/** Parent → worker: everything a worker needs; all times are epoch ms shared by every process. */
export interface WorkerStart {
  type: 'start';
  url: string;
  agents: BenchAgent[];
  ratePerS: number;
  points: number;
  /** Connects are spread evenly over [startAt, startAt + rampMs). */
  startAt: number;
  rampMs: number;
  /** The measurement window: drops count in it, sending stops at its end. */
  windowStart: number;
  windowEnd: number;
  /** How long to wait for outstanding acks after sending stops. */
  drainMs: number;
}

/** Parent → worker: stop now (interrupted run); the worker still reports what it has. */
export interface WorkerAbort {
  type: 'abort';
}

export type WorkerParentMessage = WorkerStart | WorkerAbort;

/** Cumulative counters of one worker (the parent sums them). */
export interface WorkerCounters {
  /** Agents with a live connection that has received its config. */
  connected: number;
  /** `connected` when the window ended. */
  connectedAtWindowEnd: number;
  /** Agents whose connection closed unexpectedly during the window (each counted once). */
  dropped: number;
  /** Distinct batches sent at least once, and distinct batches acked. */
  framesSent: number;
  framesAcked: number;
  /** Batches sent again after a refusal or a reconnect. */
  resends: number;
  /** Acked batches not yet counted: sent and waiting. */
  outstanding: number;
  /** Points of the distinct batches sent: an upper bound on what may be stored. */
  pointsSent: number;
  pointsAcked: number;
  /** Points whose ack arrived inside the window: the sustained throughput. */
  pointsAckedInWindow: number;
  /** Refusals by code (`refused:RATE_LIMITED`), closes by code (`close:4012 SERVER_FULL`), and the like. */
  errors: Record<string, number>;
}

export interface WorkerProgress {
  type: 'progress';
  counters: WorkerCounters;
}

export interface WorkerFinal {
  type: 'final';
  counters: WorkerCounters;
  /** Ack latency histogram (histogram.ts buckets) of batches first sent inside the window. */
  latency: number[];
  /** Acks slower than SLOW_ACK_MS by 10 s of the window the batch was sent in (sim-agent.ts). */
  slow: number[];
  rssMb: number;
}

export interface WorkerFailed {
  type: 'failed';
  message: string;
}

/** Worker → parent once its modules are loaded: it can take a start time in the near future. */
export interface WorkerReady {
  type: 'ready';
}

export type WorkerMessage = WorkerReady | WorkerProgress | WorkerFinal | WorkerFailed;

export function emptyCounters(): WorkerCounters {
  return {
    connected: 0,
    connectedAtWindowEnd: 0,
    dropped: 0,
    framesSent: 0,
    framesAcked: 0,
    resends: 0,
    outstanding: 0,
    pointsSent: 0,
    pointsAcked: 0,
    pointsAckedInWindow: 0,
    errors: {},
  };
}

export function sumCounters(all: WorkerCounters[]): WorkerCounters {
  const sum = emptyCounters();
  for (const c of all) {
    sum.connected += c.connected;
    sum.connectedAtWindowEnd += c.connectedAtWindowEnd;
    sum.dropped += c.dropped;
    sum.framesSent += c.framesSent;
    sum.framesAcked += c.framesAcked;
    sum.resends += c.resends;
    sum.outstanding += c.outstanding;
    sum.pointsSent += c.pointsSent;
    sum.pointsAcked += c.pointsAcked;
    sum.pointsAckedInWindow += c.pointsAckedInWindow;
    for (const [k, n] of Object.entries(c.errors)) sum.errors[k] = (sum.errors[k] ?? 0) + n;
  }
  return sum;
}
