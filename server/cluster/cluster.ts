/**
 * Several identical server nodes sharing Postgres and Redis (no consensus of our own). With REDIS_URL:
 * Every key and channel starts with `aw:<cluster name>:` (AW_CLUSTER), so deployments can share a Redis.
 *  - presence: `agent:<id>` → the node holding the agent (expiring, refreshed); an agent that
 *    reconnects to another node moves its key, and the old node is told to drop its stale session;
 *  - relay: a message for an agent held elsewhere is published on that node's channel
 *    `node:<id>`, and domain events (a revoke, a config change) on `events` reach every node;
 *  - registry: `nodes:<id>` describes each live node (expiring, refreshed), `node-ids` lists their ids;
 *  - leases: jobs that must run once per cluster (retention, nodata) run on the lease holder;
 *  - shared figures: `shared:<topic>` holds each node's latest figure of a kind (the overview's busiest
 *    hosts and ingest rate), so any node can answer for the fleet.
 * Without Redis the node is a cluster of one: everything is local and every lease is held.
 * When Redis is unreachable a node keeps serving its own agents and says so in `status()`.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { DomainEvents, EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { MessageTypeCode } from '../../protocol/messages.js';
import type { Presence } from './presence.js';

export type Delivery = 'local' | 'relayed' | 'offline';

export interface ClusterStatus {
  mode: 'single' | 'redis';
  nodeId: string;
  redis: 'up' | 'down' | 'none';
  detail?: string;
}

/** This node's agent sessions (the gateway's), which the cluster delivers to and announces. */
export interface LocalSessions {
  readonly stats: { authenticated: number };
  sendTo(agentId: string, type: MessageTypeCode, message: unknown): boolean;
  isOnline(agentId: string): boolean;
  onlineAgentIds(): Iterable<string>;
  dropSession(agentId: string, reason: string, replacedAt: number): void;
}

export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  port: number;
  startedAt: string;
  agents: number;
}

interface Relay {
  kind: 'send' | 'replaced';
  agentId: string;
  type?: MessageTypeCode;
  message?: unknown;
  /** For `replaced`: when the new session started (ms). */
  at?: number;
}

const PRESENCE_TTL_S = 90;
const PRESENCE_REFRESH_MS = 30_000;
const NODE_TTL_S = 15;
const NODE_REFRESH_MS = 5_000;

// Deletes or extends a key only while it still names this node (another may have taken it over).
const DEL_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export class Lease {
  private holding = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: Cluster,
    readonly name: string,
    private readonly ttlMs: number,
  ) {}

  /** Does this node hold the lease right now? Jobs check it each time they would run. */
  get held(): boolean {
    return this.holding;
  }

  start(): this {
    const tick = () => void this.renew().finally(() => (this.timer = setTimeout(tick, this.ttlMs / 3).unref()));
    tick();
    return this;
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.holding) void this.cluster.releaseLease(this.name);
    this.holding = false;
  }

  private async renew(): Promise<void> {
    this.holding = await this.cluster.acquireLease(this.name, this.ttlMs, this.holding);
  }
}

export class Cluster implements Presence {
  readonly nodeId: string;
  /** Known once the node listens (start): until then it holds no sessions. */
  private sessions: LocalSessions | undefined;
  private port = 0;
  private readonly redis: Redis | undefined;
  private readonly sub: Redis | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly leases: Lease[] = [];
  private redisUp = false;
  private lastRedisError = '';
  private readonly startedAt = new Date().toISOString();
  private readonly prefix: string;
  private readonly agentKey = (id: string) => `${this.prefix}agent:${id}`;
  private readonly nodeKey = (id: string) => `${this.prefix}nodes:${id}`;
  private readonly nodeIdsKey = () => `${this.prefix}node-ids`;
  private readonly nodeChannel = (id: string) => `${this.prefix}node:${id}`;
  private readonly leaseKey = (name: string) => `${this.prefix}lease:${name}`;
  private readonly sharedKey = (topic: string) => `${this.prefix}shared:${topic}`;
  private get eventsChannel() {
    return `${this.prefix}events`;
  }

  constructor(private readonly deps: { redisUrl?: string; clusterName: string; bus: EventBus; log: Logger; nodeId?: string }) {
    this.nodeId = deps.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.prefix = `aw:${deps.clusterName}:`;
    if (!deps.redisUrl) return;
    const options = { maxRetriesPerRequest: 1, commandTimeout: 2000, enableOfflineQueue: false, lazyConnect: true };
    this.redis = new Redis(deps.redisUrl, options);
    this.sub = new Redis(deps.redisUrl, { ...options, commandTimeout: undefined });
    for (const [name, client] of [
      ['commands', this.redis],
      ['subscriber', this.sub],
    ] as const) {
      client.on('ready', () => {
        if (name === 'commands') this.redisUp = true;
        deps.log.info({ node: this.nodeId, client: name }, 'redis connected');
      });
      client.on('error', (err) => {
        if (name === 'commands') this.redisUp = false;
        if (err.message !== this.lastRedisError) deps.log.warn({ err: err.message, client: name }, "redis unreachable: serving this node's own agents");
        this.lastRedisError = err.message;
      });
      client.on('end', () => name === 'commands' && (this.redisUp = false));
    }
  }

  get mode(): 'single' | 'redis' {
    return this.redis ? 'redis' : 'single';
  }

  /** Joins the cluster as the node serving these sessions on this port (it listens by now). */
  async start(node: { sessions: LocalSessions; port: number }): Promise<void> {
    this.sessions = node.sessions;
    this.port = node.port;
    if (!this.redis || !this.sub) return;
    this.sub.on('message', (channel, raw) => this.onMessage(channel, raw));
    // Subscriptions are re-made by ioredis after a reconnect.
    await Promise.allSettled([this.redis.connect(), this.sub.connect()]);
    await this.sub
      .subscribe(this.nodeChannel(this.nodeId), this.eventsChannel)
      .catch((err) => this.deps.log.warn({ err: err.message }, 'redis subscribe failed'));
    this.deps.bus.relay((name, payload) => this.publishEvent(name, payload));
    this.timers.push(setInterval(() => void this.refreshPresence(), PRESENCE_REFRESH_MS).unref());
    this.timers.push(setInterval(() => void this.registerNode(), NODE_REFRESH_MS).unref());
    await this.registerNode();
  }

  status(): ClusterStatus {
    if (!this.redis) return { mode: 'single', nodeId: this.nodeId, redis: 'none' };
    return this.redisUp
      ? { mode: 'redis', nodeId: this.nodeId, redis: 'up' }
      : {
          mode: 'redis',
          nodeId: this.nodeId,
          redis: 'down',
          detail: `redis unreachable (${this.lastRedisError || 'connecting'}): this node serves its own agents only`,
        };
  }

  /** Sends to an agent on whichever node holds it. */
  async sendToAgent(agentId: string, type: MessageTypeCode, message: unknown): Promise<Delivery> {
    if (this.sessions?.sendTo(agentId, type, message)) return 'local';
    if (!this.redis) return 'offline';
    const owner = await this.call(() => this.redis!.get(this.agentKey(agentId)));
    if (!owner || owner === this.nodeId) return 'offline';
    const receivers = await this.call(() =>
      this.redis!.publish(this.nodeChannel(owner), JSON.stringify({ kind: 'send', agentId, type, message } satisfies Relay)),
    );
    return receivers ? 'relayed' : 'offline';
  }

  /** Which of these agents are connected to some node. */
  async onlineOf(agentIds: string[]): Promise<Set<string>> {
    const out = new Set(agentIds.filter((id) => this.heldHere(id)));
    const rest = agentIds.filter((id) => !out.has(id));
    if (!this.redis || !rest.length) return out;
    const owners = await this.call(() => this.redis!.mget(rest.map(this.agentKey)));
    if (!owners) return out;
    // A node killed without a goodbye leaves its presence keys behind until they expire: only
    // agents held by a node that is still registered count.
    const nodes = [...new Set(owners.filter((o): o is string => !!o))];
    const alive = nodes.length ? await this.call(() => this.redis!.mget(nodes.map(this.nodeKey))) : [];
    const live = new Set(nodes.filter((_, i) => alive?.[i]));
    owners.forEach((owner, i) => owner && live.has(owner) && out.add(rest[i]));
    return out;
  }

  heldHere(agentId: string): boolean {
    return this.sessions?.isOnline(agentId) ?? false;
  }

  async nodes(): Promise<NodeInfo[]> {
    const self: NodeInfo = this.describe();
    if (!this.redis) return [self];
    // The ids from a set, not a SCAN of the key space (which holds a presence key per agent: 57,000 keys).
    const ids = await this.call(() => this.redis!.smembers(this.nodeIdsKey()));
    if (!ids?.length) return [self];
    const values = (await this.call(() => this.redis!.mget(ids.map(this.nodeKey)))) ?? [];
    // A node gone without a goodbye: its description expired; its id leaves the set too.
    const gone = ids.filter((_, i) => !values[i]);
    if (gone.length && values.length) void this.call(() => this.redis!.srem(this.nodeIdsKey(), ...gone));
    const found = values.filter((v): v is string => !!v).map((v) => JSON.parse(v) as NodeInfo);
    return found.some((n) => n.id === this.nodeId) ? found : [...found, self];
  }

  /**
   * Publishes this node's figure for `topic`. Readers take it for `ttlMs` after it was published, so
   * a node that stopped still counts for what it did in that time.
   */
  async share(topic: string, value: unknown, ttlMs: number): Promise<void> {
    if (!this.redis) return;
    const key = this.sharedKey(topic);
    await this.call(() =>
      this.redis!.multi()
        .hset(key, this.nodeId, JSON.stringify({ at: Date.now(), value }))
        .pexpire(key, ttlMs)
        .exec(),
    );
  }

  /** The other nodes' figures for `topic` published in the last `maxAgeMs` (none without Redis). */
  async sharedByOthers<T>(topic: string, maxAgeMs: number): Promise<T[]> {
    if (!this.redis) return [];
    const key = this.sharedKey(topic);
    const all = await this.call(() => this.redis!.hgetall(key));
    const out: T[] = [];
    const stale: string[] = [];
    for (const [node, raw] of Object.entries(all ?? {})) {
      if (node === this.nodeId) continue;
      const { at, value } = JSON.parse(raw) as { at: number; value: T };
      if (Date.now() - at > maxAgeMs) stale.push(node);
      else out.push(value);
    }
    // Each restart is a new node id: forget the old ones' entries once they no longer count.
    if (stale.length) void this.call(() => this.redis!.hdel(key, ...stale));
    return out;
  }

  /** A lease named `name`, renewed every ttl/3 while this node lives. */
  lease(name: string, ttlMs: number): Lease {
    const lease = new Lease(this, name, ttlMs).start();
    this.leases.push(lease);
    return lease;
  }

  agentOnline(agentId: string): void {
    if (!this.redis) return;
    void this.call(async () => {
      const previous = await this.redis!.set(this.agentKey(agentId), this.nodeId, 'EX', PRESENCE_TTL_S, 'GET');
      // The agent moved here from a node that may still hold a half-dead session: tell it.
      if (previous && previous !== this.nodeId) {
        await this.redis!.publish(this.nodeChannel(previous), JSON.stringify({ kind: 'replaced', agentId, at: Date.now() } satisfies Relay));
      }
    });
  }

  agentOffline(agentId: string): void {
    if (!this.redis) return;
    void this.call(() => this.redis!.eval(DEL_IF_OWNER, 1, this.agentKey(agentId), this.nodeId));
  }

  async acquireLease(name: string, ttlMs: number, holding: boolean): Promise<boolean> {
    if (!this.redis) return true;
    const key = this.leaseKey(name);
    const result = await this.call(async () => {
      if (holding && (await this.redis!.eval(EXTEND_IF_OWNER, 1, key, this.nodeId, ttlMs)) === 1) return true;
      return (await this.redis!.set(key, this.nodeId, 'PX', ttlMs, 'NX')) === 'OK';
    });
    // Redis unreachable: nobody can prove they hold it, so nobody runs the job (it runs again later).
    return result === true;
  }

  async releaseLease(name: string): Promise<void> {
    await this.call(() => this.redis!.eval(DEL_IF_OWNER, 1, this.leaseKey(name), this.nodeId));
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.leases.forEach((l) => l.stop());
    this.deps.bus.relay(undefined);
    if (!this.redis) return;
    await this.call(async () => {
      const pipeline = this.redis!.pipeline().del(this.nodeKey(this.nodeId)).srem(this.nodeIdsKey(), this.nodeId);
      for (const id of this.sessions?.onlineAgentIds() ?? []) pipeline.eval(DEL_IF_OWNER, 1, this.agentKey(id), this.nodeId);
      await pipeline.exec();
    });
    this.sub!.disconnect();
    this.redis.disconnect();
  }

  private describe(): NodeInfo {
    return { id: this.nodeId, host: hostname(), pid: process.pid, port: this.port, startedAt: this.startedAt, agents: this.sessions?.stats.authenticated ?? 0 };
  }

  private async registerNode(): Promise<void> {
    await this.call(() =>
      this.redis!.multi().set(this.nodeKey(this.nodeId), JSON.stringify(this.describe()), 'EX', NODE_TTL_S).sadd(this.nodeIdsKey(), this.nodeId).exec(),
    );
  }

  private async refreshPresence(): Promise<void> {
    const ids = [...(this.sessions?.onlineAgentIds() ?? [])];
    for (let at = 0; at < ids.length; at += 1000) {
      const pipeline = this.redis!.pipeline();
      for (const id of ids.slice(at, at + 1000)) pipeline.set(this.agentKey(id), this.nodeId, 'EX', PRESENCE_TTL_S);
      if (!(await this.call(() => pipeline.exec()))) return;
    }
  }

  private publishEvent(name: keyof DomainEvents, payload: unknown): void {
    void this.call(() => this.redis!.publish(this.eventsChannel, JSON.stringify({ from: this.nodeId, name, payload })));
  }

  private onMessage(channel: string, raw: string): void {
    try {
      if (channel === this.eventsChannel) {
        const e = JSON.parse(raw) as { from: string; name: keyof DomainEvents; payload: never };
        if (e.from !== this.nodeId) this.deps.bus.receive(e.name, e.payload);
        return;
      }
      const m = JSON.parse(raw) as Relay;
      if (m.kind === 'send') this.sessions?.sendTo(m.agentId, m.type!, m.message);
      else if (m.kind === 'replaced') this.sessions?.dropSession(m.agentId, 'the agent connected to another node', m.at ?? 0);
    } catch (err) {
      this.deps.log.warn({ err, channel }, 'bad cluster message ignored');
    }
  }

  /** A Redis call that never throws: unreachable Redis degrades the node, it does not stop it. */
  private async call<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (!this.redisUp) return undefined;
    try {
      return await fn();
    } catch (err) {
      this.deps.log.debug({ err: (err as Error).message }, 'redis call failed');
      return undefined;
    }
  }
}
