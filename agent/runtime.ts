/**
 * The agent's life: connect, follow the server's configuration, collect on a timer, spool every
 * batch until the server acknowledges it, reconnect with exponential backoff and full jitter.
 * Collection never waits for the network: a batch goes to the spool first, the link takes from it.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { FATAL_CLOSE_CODES, closeCodeName } from '../protocol/close-codes.js';
import { CloseCode } from '../protocol/close-codes.js';
import { reconnectDelay } from './reconnect-delay.js';
import {
  MessageType,
  type CollectorName,
  type CollectorSchedule,
  type ConfigMessage,
  type ErrorMessage,
  type HelloMessage,
  type MetricPoint,
} from '../protocol/messages.js';
import { collectionPlan, readCollectorSchedules, type CollectionRound } from './collection-plan.js';
import { AgentLink } from './link.js';
import type { Spool } from './spool.js';
import type { TaskAgent } from './tasks/task-agent.js';

export interface AgentRuntimeOptions {
  server: string;
  agentId: string;
  secret: Buffer;
  hello: Omit<HelloMessage, 'protocol'>;
  spool: Spool;
  log: Logger;
  /** Metrics of this machine, of all built-in collectors or only those named; called every interval. */
  collect(now: number, only?: readonly CollectorName[]): Promise<MetricPoint[]>;
  /** Told of every configuration the server sends (the check scheduler applies its monitoring part). */
  onConfig?(config: ConfigMessage): void;
  /** Hardware and OS report; sent at start, daily and when it changes. */
  inventory?(): Promise<Record<string, unknown>>;
  intervalS?: number;
  /** Frames in flight without an ack. */
  window?: number;
  backoff?: { baseMs: number; capMs: number };
  localAddress?: string;
  /** How often the inventory is collected again to see whether it changed (sent only if it did). */
  inventoryCheckMs?: number;
  /** Runs signed tasks from the server (none when absent: task frames are ignored). */
  tasks?: TaskAgent;
}

const INVENTORY_EVERY_MS = 24 * 3600 * 1000;
const INVENTORY_CHECK_MS = 15 * 60 * 1000;
const ACK_TIMEOUT_MS = 60_000;

export class AgentRuntime extends EventEmitter<{ connected: []; disconnected: [number]; fatal: [number, string] }> {
  private link: AgentLink | undefined;
  /** Unknown until the server's first config: points collected meanwhile are kept, not thrown away. */
  private state: ConfigMessage['state'] | 'unknown' = 'unknown';
  private intervalS: number;
  private heartbeatS = 30;
  private attempt = 0;
  /** Closed by a server shutting down, and not connected since. */
  private afterShutdown = false;
  private awaitingConfig = true;
  private stopped = false;
  private readonly inFlight = new Map<number, { batch: number; sentAt: number }>();
  private lastBatch = 0;
  private lastInventoryHash = '';
  private lastInventoryAt = 0;
  private lastInventoryCheckAt = 0;
  private inventorySeq = -1;
  /** Collectors the server's configuration runs at their own interval. */
  private collectors: CollectorSchedule[] = [];
  /** Version of the configuration last applied; the hello carries it so an unchanged one is not sent again. */
  private configVersion: string | undefined;
  private collectTimers: NodeJS.Timeout[] = [];
  /** Bumped when the collection plan changes: rounds of an older plan do not schedule themselves again. */
  private planGeneration = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentRuntimeOptions) {
    super();
    this.intervalS = opts.intervalS ?? 10;
    opts.tasks?.attach({ send: (type, message) => (this.link?.ready ? this.link.send(type, message) : -1) });
  }

  get connected(): boolean {
    return !!this.link?.ready;
  }

  start(): void {
    this.connect();
    this.scheduleCollect();
    this.sweepTimer = setInterval(() => this.resendStale(), 5_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.collectTimers.forEach(clearTimeout);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.sweepTimer);
    this.link?.close(1000, 'agent stopping');
    this.opts.spool.persist();
  }

  /** Points produced off the collection timer (check results): spooled and sent like collected ones. */
  submit(points: MetricPoint[]): void {
    if (!points.length || this.stopped || this.state === 'pending') return;
    this.opts.spool.add({ batch: this.nextBatchId(), points });
    this.pump();
  }

  /** Batch ids: ms clock × 1000 plus a counter, strictly increasing, unique across restarts. */
  private nextBatchId(): number {
    this.lastBatch = Math.max(this.lastBatch + 1, Date.now() * 1000);
    return this.lastBatch;
  }

  private connect(): void {
    if (this.stopped) return;
    this.awaitingConfig = true;
    const link = new AgentLink({
      url: this.opts.server,
      credentials: { agentId: this.opts.agentId, secret: this.opts.secret },
      hello: this.configVersion === undefined ? this.opts.hello : { ...this.opts.hello, configVersion: this.configVersion },
      localAddress: this.opts.localAddress,
    });
    this.link = link;
    link.on('config', (c) => this.onConfig(c));
    link.on('ack', ({ seq }) => this.onAck(seq));
    link.on('refused', (e) => this.onRefused(e));
    link.on('task', (m) => this.opts.tasks?.onTask(m));
    link.on('close', (code, reason) => this.onClose(link, code, reason));
  }

  private onConfig(config: ConfigMessage): void {
    const justConnected = this.awaitingConfig;
    this.awaitingConfig = false;
    this.attempt = 0;
    this.afterShutdown = false;
    this.state = config.state;
    // Without `monitoring` the server says: the version named in the hello is still current.
    const collectors = config.monitoring ? this.readCollectors(config.monitoring) : this.collectors;
    if (config.monitoring) this.configVersion = config.version;
    if (config.intervalS !== this.intervalS || JSON.stringify(collectors) !== JSON.stringify(this.collectors)) {
      this.intervalS = config.intervalS;
      this.collectors = collectors;
      this.scheduleCollect();
    }
    if (config.heartbeatS !== this.heartbeatS || !this.heartbeatTimer) {
      this.heartbeatS = config.heartbeatS;
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(
        () => this.link?.send(MessageType.heartbeat, { uptimeS: Math.round(process.uptime()), spooled: this.opts.spool.size }),
        this.heartbeatS * 1000,
      );
    }
    this.opts.log.info({ state: config.state, intervalS: config.intervalS, version: config.version }, 'configuration from server');
    this.opts.onConfig?.(config);
    if (justConnected) {
      this.opts.tasks?.onConnected();
      this.emit('connected');
    }
    void this.sendInventory(false);
    this.pump();
  }

  private onAck(seq: number): void {
    if (this.opts.tasks?.onAck(seq)) return;
    if (seq === this.inventorySeq) {
      this.inventorySeq = -1;
      return;
    }
    const f = this.inFlight.get(seq);
    if (!f) return;
    this.inFlight.delete(seq);
    this.opts.spool.acked(f.batch);
    this.pump();
  }

  private onRefused(e: ErrorMessage): void {
    if (this.opts.tasks?.onRefused(e.seq, e.retryAfterMs)) return;
    if (e.seq !== undefined && e.seq === this.inventorySeq) {
      // Forget the refused report so the next check sends it again instead of thinking it landed.
      this.inventorySeq = -1;
      this.lastInventoryHash = '';
      this.opts.log.warn({ code: e.code }, `server refused the inventory report: ${e.message}`);
      return;
    }
    const f = e.seq === undefined ? undefined : this.inFlight.get(e.seq);
    if (!f) {
      this.opts.log.warn({ code: e.code, seq: e.seq }, e.message);
      return;
    }
    this.inFlight.delete(e.seq!);
    if (e.retryAfterMs === undefined) {
      this.opts.log.error({ code: e.code, batch: f.batch }, `server refused a batch for good: ${e.message}`);
      this.opts.spool.drop(f.batch);
    } else {
      this.opts.spool.retryAt(f.batch, Date.now() + e.retryAfterMs);
      setTimeout(() => this.pump(), e.retryAfterMs).unref();
    }
  }

  private onClose(link: AgentLink, code: number, reason: string): void {
    if (link !== this.link) return;
    this.inFlight.clear();
    this.opts.spool.requeueInFlight();
    this.inventorySeq = -1;
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.opts.log.error({ code, reason: closeCodeName(code) }, `server refused this agent: ${reason}`);
      this.emit('fatal', code, reason);
      return;
    }
    this.emit('disconnected', code);
    const { baseMs, capMs } = this.opts.backoff ?? { baseMs: 1000, capMs: 60_000 };
    if (code === CloseCode.SERVER_SHUTDOWN) this.afterShutdown = true;
    const delay = reconnectDelay(code, this.attempt++, baseMs, capMs, Math.random, this.afterShutdown);
    this.opts.log.warn({ code, reason, retryInMs: delay }, 'disconnected');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private readCollectors(monitoring: Record<string, unknown>): CollectorSchedule[] {
    const { schedules, skipped } = readCollectorSchedules(monitoring);
    if (skipped.length) this.opts.log.warn({ skipped }, 'ignoring collectors this agent does not have');
    return schedules;
  }

  /** One timer per round of the collection plan; a new plan replaces the old timers at once. */
  private scheduleCollect(): void {
    this.collectTimers.forEach(clearTimeout);
    this.collectTimers = [];
    if (this.stopped) return;
    const generation = ++this.planGeneration;
    const plan = collectionPlan(this.intervalS, this.collectors);
    plan.forEach((round, i) => this.scheduleRound(round, i, generation));
  }

  private scheduleRound(round: CollectionRound, slot: number, generation: number): void {
    // Aligned to the interval so samples of a fleet land in the same buckets.
    const ms = round.intervalS * 1000;
    this.collectTimers[slot] = setTimeout(
      () => {
        void this.collectOnce(round.only).finally(() => {
          if (generation === this.planGeneration && !this.stopped) this.scheduleRound(round, slot, generation);
        });
      },
      ms - (Date.now() % ms),
    );
  }

  private async collectOnce(only: CollectorName[] | undefined): Promise<void> {
    try {
      const points = await this.opts.collect(Date.now(), only);
      // A pending agent's points would be refused; anything else (active, or not yet told) is kept.
      if (points.length && this.state !== 'pending') this.opts.spool.add({ batch: this.nextBatchId(), points });
    } catch (err) {
      this.opts.log.error({ err }, 'collection failed');
    }
    const now = Date.now();
    if (now - this.lastInventoryAt > INVENTORY_EVERY_MS) void this.sendInventory(true);
    else if (now - this.lastInventoryCheckAt > (this.opts.inventoryCheckMs ?? INVENTORY_CHECK_MS)) void this.sendInventory(false);
    this.pump();
  }

  private pump(): void {
    const link = this.link;
    if (!link?.ready || this.state !== 'active') return;
    const window = this.opts.window ?? 8;
    const now = Date.now();
    while (this.inFlight.size < window) {
      const b = this.opts.spool.nextReady(now);
      if (!b) return;
      const seq = link.send(MessageType.metrics, { batch: b.batch, points: b.points });
      if (seq < 0) return;
      this.opts.spool.sent(b.batch);
      this.inFlight.set(seq, { batch: b.batch, sentAt: now });
    }
  }

  /** Frames the server never answered (dropped under backpressure): send them again. */
  private resendStale(): void {
    const limit = Date.now() - ACK_TIMEOUT_MS;
    for (const [seq, f] of this.inFlight) {
      if (f.sentAt < limit) {
        this.inFlight.delete(seq);
        this.opts.spool.retryAt(f.batch, 0);
      }
    }
    this.pump();
  }

  private async sendInventory(force: boolean): Promise<void> {
    if (!this.opts.inventory || !this.link?.ready || this.inventorySeq >= 0) return;
    this.lastInventoryCheckAt = Date.now();
    try {
      const report = await this.opts.inventory();
      const { collectedAt: _ignored, ...stable } = report;
      const hash = createHash('sha256').update(JSON.stringify(stable)).digest('hex');
      if (!force && hash === this.lastInventoryHash) return;
      const seq = this.link?.send(MessageType.inventory, { report }) ?? -1;
      if (seq < 0) return;
      this.inventorySeq = seq;
      this.lastInventoryHash = hash;
      this.lastInventoryAt = Date.now();
    } catch (err) {
      this.opts.log.error({ err }, 'inventory collection failed');
    }
  }
}
