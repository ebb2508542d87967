/**
 * One simulated agent: an AgentLink (the real agent's connection code) plus a spool of unacked
 * batches. It sends a metrics frame every 1/rate seconds, resends a refused batch (same id) after
 * the server's retryAfterMs, keeps unacked batches across a reconnect and sends them again, and
 * reconnects after an unexpected close with exponential backoff and full jitter.
 */
import { AgentLink } from '../../agent/link.js';
import { FATAL_CLOSE_CODES, closeCodeName } from '../../protocol/close-codes.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { reconnectDelay } from '../../agent/reconnect-delay.js';
import { MessageType, type ErrorMessage, type MetricPoint } from '../../protocol/messages.js';
import type { LatencyHistogram } from './histogram.js';
import type { BenchAgent, WorkerCounters } from './ipc.js';
import type { MetricFrameMaker } from './metric-points.js';

/** What every agent of a worker shares. */
export interface AgentContext {
  url: string;
  intervalMs: number;
  windowStart: number;
  windowEnd: number;
  frames: MetricFrameMaker;
  counters: WorkerCounters;
  latency: LatencyHistogram;
  /** Batches first sent inside the window and acknowledged after more than SLOW_ACK_MS, by 10 s of the window they were sent in. */
  slow: number[];
}

/** An acknowledgement slower than the p99 target: `slow` tells when in the window they happen. */
export const SLOW_ACK_MS = 100;

interface Batch {
  id: number;
  points: MetricPoint[];
  /** Sequence number on the current link; -1 when not on the wire. */
  seq: number;
  sentAt: number;
  everSent: boolean;
  /** First sent inside the window: its latency is part of the figures. */
  inWindow: boolean;
  retry: NodeJS.Timeout | undefined;
}

/** A spool this long means the server has stopped answering this agent; older batches are dropped. */
const SPOOL_MAX = 1000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;

export function countError(counters: WorkerCounters, key: string, n = 1): void {
  counters.errors[key] = (counters.errors[key] ?? 0) + n;
}

export class SimAgent {
  private link: AgentLink | undefined;
  private welcomed = false;
  private configured = false;
  private attempt = 0;
  /** Closed by a server shutting down, and not connected since. */
  private afterShutdown = false;
  private nextBatchId = 1;
  /** Unacked batches, oldest first (Map keeps insertion order). */
  private readonly spool = new Map<number, Batch>();
  private onWire = new Map<number, Batch>();
  private connectTimer: NodeJS.Timeout | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private closing = false;
  private droppedCounted = false;

  constructor(
    private readonly agent: BenchAgent,
    private readonly ctx: AgentContext,
  ) {}

  get isOpen(): boolean {
    return this.link !== undefined;
  }

  /** Batches this agent still waits for an ack of, on a live connection. */
  get awaiting(): number {
    return this.configured ? this.spool.size : 0;
  }

  get unacked(): { sent: number; unsent: number } {
    let sent = 0;
    for (const b of this.spool.values()) if (b.everSent) sent++;
    return { sent, unsent: this.spool.size - sent };
  }

  get spooled(): number {
    return this.spool.size;
  }

  connectAfter(delayMs: number): void {
    if (this.stopped) return;
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      this.connect();
    }, delayMs);
  }

  /** No new batches from now on, and no reconnects; refused batches are still resent. */
  stopSending(): void {
    this.stopped = true;
    clearTimeout(this.sendTimer);
    clearInterval(this.sendTimer);
    clearTimeout(this.connectTimer);
  }

  close(): void {
    this.stopSending();
    this.closing = true;
    for (const b of this.spool.values()) clearTimeout(b.retry);
    this.link?.close(1000, 'bench done');
  }

  terminate(): void {
    this.link?.terminate();
  }

  private connect(): void {
    if (this.stopped) return;
    const link = new AgentLink({
      url: this.ctx.url,
      credentials: { agentId: this.agent.agentId, secret: Buffer.from(this.agent.secret, 'hex') },
      hello: { agentVersion: 'bench-0.1.0', hostname: this.agent.hostname, os: 'linux', arch: 'x64' },
      localAddress: this.agent.localAddress,
    });
    this.link = link;
    this.onWire = new Map();
    link.on('ready', () => {
      if (link === this.link) this.welcomed = true;
    });
    link.on('config', () => {
      if (link !== this.link || this.configured) return;
      this.configured = true;
      this.ctx.counters.connected++;
      this.attempt = 0;
      this.afterShutdown = false;
      this.startSending();
      for (const b of this.spool.values()) if (b.seq < 0 && !b.retry) this.transmit(b);
    });
    link.on('ack', ({ seq }) => {
      if (link === this.link) this.onAck(seq);
    });
    link.on('refused', (error) => {
      if (link === this.link) this.onRefused(error);
    });
    link.on('close', (code, reason) => {
      if (link === this.link) this.onClose(code, reason);
    });
  }

  private startSending(): void {
    if (this.sending || this.stopped) return;
    this.sending = true;
    // A random phase, as real agents started at different times have.
    this.sendTimer = setTimeout(() => {
      this.tick();
      this.sendTimer = setInterval(() => this.tick(), this.ctx.intervalMs);
    }, Math.random() * this.ctx.intervalMs);
  }

  private tick(): void {
    if (this.stopped) return;
    if (this.spool.size >= SPOOL_MAX) {
      const oldest = this.spool.values().next().value as Batch;
      clearTimeout(oldest.retry);
      this.spool.delete(oldest.id);
      if (oldest.seq >= 0) this.onWire.delete(oldest.seq);
      countError(this.ctx.counters, 'spool_overflow');
    }
    const batch: Batch = {
      id: this.nextBatchId++,
      points: this.ctx.frames.points(Date.now()),
      seq: -1,
      sentAt: 0,
      everSent: false,
      inWindow: false,
      retry: undefined,
    };
    this.spool.set(batch.id, batch);
    if (this.configured) this.transmit(batch);
  }

  private transmit(b: Batch): void {
    const seq = this.link ? this.link.send(MessageType.metrics, { batch: b.id, points: b.points }) : -1;
    if (seq < 0) return;
    const now = Date.now();
    if (b.everSent) {
      this.ctx.counters.resends++;
    } else {
      b.everSent = true;
      b.inWindow = now >= this.ctx.windowStart && now < this.ctx.windowEnd;
      this.ctx.counters.framesSent++;
      this.ctx.counters.pointsSent += b.points.length;
    }
    b.seq = seq;
    b.sentAt = now;
    this.onWire.set(seq, b);
  }

  private onAck(seq: number): void {
    const b = this.onWire.get(seq);
    if (!b) return; // the hello's ack
    this.onWire.delete(seq);
    this.spool.delete(b.id);
    const now = Date.now();
    if (b.inWindow) {
      this.ctx.latency.record(now - b.sentAt);
      if (now - b.sentAt > SLOW_ACK_MS) {
        const slot = Math.floor((b.sentAt - this.ctx.windowStart) / 10_000);
        this.ctx.slow[slot] = (this.ctx.slow[slot] ?? 0) + 1;
      }
    }
    const c = this.ctx.counters;
    c.framesAcked++;
    c.pointsAcked += b.points.length;
    if (now >= this.ctx.windowStart && now < this.ctx.windowEnd) c.pointsAckedInWindow += b.points.length;
  }

  private onRefused(error: ErrorMessage): void {
    countError(this.ctx.counters, `refused:${error.code}`);
    const b = error.seq === undefined ? undefined : this.onWire.get(error.seq);
    if (!b) return;
    this.onWire.delete(b.seq);
    b.seq = -1;
    if (error.retryAfterMs === undefined) {
      // The server will never take it: count it lost rather than waiting for it.
      this.spool.delete(b.id);
      countError(this.ctx.counters, `lost:${error.code}`);
      return;
    }
    b.retry = setTimeout(() => {
      b.retry = undefined;
      if (this.configured && this.spool.has(b.id)) this.transmit(b);
    }, error.retryAfterMs);
  }

  private onClose(code: number, reason: string): void {
    const c = this.ctx.counters;
    if (this.configured) c.connected--;
    const wasWelcomed = this.welcomed;
    this.link = undefined;
    this.welcomed = false;
    this.configured = false;
    for (const b of this.onWire.values()) b.seq = -1;
    this.onWire = new Map();
    if (this.closing) return;
    const name = closeCodeName(code);
    // 1006 has no name: the socket error (timeout, ECONNRESET, ...) says what happened.
    countError(c, `close:${code} ${name ?? reason.slice(0, 60)}`.trimEnd());
    const now = Date.now();
    if (wasWelcomed && !this.droppedCounted && now >= this.ctx.windowStart && now < this.ctx.windowEnd) {
      this.droppedCounted = true;
      c.dropped++;
    }
    if (this.stopped || FATAL_CLOSE_CODES.has(code)) return;
    if (code === CloseCode.SERVER_SHUTDOWN) this.afterShutdown = true;
    const delay = reconnectDelay(code, this.attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS, Math.random, this.afterShutdown);
    this.attempt = Math.min(this.attempt + 1, 16);
    this.connectAfter(delay);
  }
}
