/**
 * The monitoring domain of one server node, wired from its parts: templates -> agent
 * configurations (versioned by hash, pushed when they change), ingested points -> trigger engine ->
 * problems and incidents -> notifications, a timer for nodata and unreachable agents, and
 * maintenance windows that keep problems quiet.
 */
import type { Config } from '../config.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { ConfigMessage } from '../../protocol/messages.js';
import type { Presence } from '../cluster/presence.js';
import type { Db } from '../store/db.js';
import type { IngestBatch } from '../store/metric-store.js';
import { recordsOf, type RecordOf } from '../store/rows.js';
import { EgressPolicy } from './egress-policy.js';
import { MaintenanceStore } from './maintenance.js';
import { Notifier } from './notifier.js';
import { expandMacros, macroValue } from './problem-macros.js';
import { ProblemStore, type ProblemRecord } from './problem-store.js';
import { agentMonitoring, compileTriggers, type CompiledTrigger } from './template-model.js';
import { TemplateChanges } from './template-changes.js';
import { TemplateStore, type GroupsOfHost } from './template-store.js';
import { TriggerEngine } from './trigger-engine.js';
import type { Severity, TriggerState } from './trigger-evaluate.js';
import { selectorsOf, type TriggerExpr } from './trigger-expression.js';

export interface MonitorDeps {
  db: Db;
  bus: EventBus;
  log: Logger;
  config: Config;
  /** Which agents have a live session, here (their data arrives here, so their nodata triggers are ours) or on any node. */
  presence: Pick<Presence, 'onlineOf' | 'heldHere'>;
  /** Does this node hold the cluster's monitor lease (hosts no node holds, unreachable agents)? */
  leader?(): boolean;
  groupsOfHost?: GroupsOfHost;
}

export const UNREACHABLE_REF = 'agent.unreachable';

interface AgentRow {
  id: string;
  host_id: string;
  /** Epoch ms: a number costs the driver nothing to read, where 57,000 Dates took ~100 ms a read. */
  last_seen_ms: number | null;
}

type ActiveAgent = RecordOf<AgentRow>;

/**
 * The active agents (id, host, last seen) are read again once their copy is this many ms old per agent,
 * and at once after an approval or revocation on any node. A read costs ~2 µs of this thread per agent
 * (~120 ms at 57,000, which every node paid every 5 s tick before), so the timer spends at most ~0.2 %
 * of the thread on it at any fleet size; 1,000 agents are read every tick, 57,000 once a minute.
 * Between reads, live sessions (presence) say who is heard.
 */
const ROSTER_MS_PER_AGENT = 1;

export class Monitor {
  readonly templates: TemplateStore;
  readonly templateChanges: TemplateChanges;
  readonly problems: ProblemStore;
  readonly notifier: Notifier;
  readonly maintenance: MaintenanceStore;
  readonly engine: TriggerEngine;
  /** Config version last handed to each agent of this node. */
  private readonly pushed = new Map<string, string>();
  /** When this node last had a session of, or data from, each agent. */
  private readonly heard = new Map<string, number>();
  private readonly unreachable = new Map<string, boolean>();
  /** Told of every problem opened, once it sits in its incident (incident management sets priorities, links known errors). */
  readonly problemOpened: ((p: ProblemRecord) => Promise<void>)[] = [];
  /** Set by stop(): a long sweep (thousands of agents going unreachable at once) ends early rather than holding the shutdown. */
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private ticking: Promise<void> | undefined;
  private roster: { agents: ActiveAgent[]; at: number } | undefined;

  constructor(private readonly deps: MonitorDeps) {
    const groups = deps.groupsOfHost ?? (async () => []);
    this.templates = new TemplateStore(deps.db, groups);
    this.templateChanges = new TemplateChanges(deps.db, this.templates);
    this.problems = new ProblemStore(deps.db);
    this.maintenance = new MaintenanceStore(deps.db, groups);
    const m = deps.config.monitor;
    this.notifier = new Notifier(deps.db, deps.log, {
      attempts: m.deliveryAttempts,
      backoffMs: m.deliveryBackoffMs,
      timeoutMs: m.deliveryTimeoutMs,
      egress: new EgressPolicy(m.notifyAllowNetworks),
    });
    this.engine = new TriggerEngine({
      log: deps.log,
      load: async (hostId) => {
        const triggers = compileTriggers(await this.templates.forHost(hostId));
        const open = await this.problems.openRefs(hostId);
        open.delete(UNREACHABLE_REF);
        return { triggers, openRefs: open };
      },
      transition: (hostId, trigger, to, value) => this.recordTransition(hostId, trigger, to, value),
      orphaned: async (hostId, ref) => {
        const p = await this.problems.recover(hostId, ref, null);
        if (p) await this.notify('recovery', p);
      },
    });
  }

  async start(): Promise<void> {
    // Hosts with templates are watched from the start: their nodata triggers fire even if no data ever comes.
    const linked = await this.deps.db.query<{ host_id: string }>('SELECT DISTINCT host_id::text AS host_id FROM monitor_template_hosts');
    for (const r of linked.rows) void this.engine.watch(r.host_id);
    for (const r of (
      await this.deps.db.query<{ host_id: string }>(`SELECT host_id::text AS host_id FROM monitor_problems WHERE trigger_ref = $1 AND resolved_at IS NULL`, [
        UNREACHABLE_REF,
      ])
    ).rows) {
      this.unreachable.set(r.host_id, true);
    }
    const unsubscribe = [
      this.deps.bus.on('monitor.templates', () => {
        this.templates.invalidate();
        this.engine.invalidate();
      }),
      this.deps.bus.on('agent.approved', () => (this.roster = undefined)),
      this.deps.bus.on('agent.revoked', () => (this.roster = undefined)),
    ];
    this.unsubscribe = () => unsubscribe.forEach((off) => off());
    this.notifier.start();
    this.timer = setInterval(() => {
      this.ticking ??= this.tick()
        // A database outage: health says so; the next tick tries again.
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'monitor timer failed; retrying at the next tick'))
        .finally(() => (this.ticking = undefined));
    }, this.deps.config.monitor.nodataTickMs);
    this.timer.unref();
  }

  /**
   * The first step of a shutdown: no new timer sweep, and the one under way ends early, so the
   * shutdown's other steps (final writes on the same database) do not queue behind it. Triggers on
   * the data still being written keep being evaluated until stop().
   */
  halt(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  async stop(): Promise<void> {
    this.halt();
    this.unsubscribe?.();
    await this.ticking;
    await this.engine.settle();
    await this.notifier.stop();
  }

  /** Points just stored (the ingest pipeline's committed writes) are evaluated against triggers. */
  readonly stored = (batches: readonly IngestBatch[]): void => {
    const now = Date.now();
    for (const b of batches) this.heard.set(b.agentId, now);
    this.engine.onBatches(batches);
  };

  // --- agent configuration -----------------------------------------------------------------

  /** The gateway's config handler: intervals plus the monitoring items of the agent's host. */
  async agentConfig(agent: { agentId: string; hostId: string }): Promise<Omit<ConfigMessage, 'state'>> {
    const { monitoring, version } = agentMonitoring(await this.templates.forHost(agent.hostId));
    this.pushed.set(agent.agentId, version);
    this.heard.set(agent.agentId, Date.now());
    return {
      intervalS: this.deps.config.gateway.agentIntervalS,
      heartbeatS: this.deps.config.gateway.agentHeartbeatS,
      version,
      monitoring: monitoring as unknown as Record<string, unknown>,
    };
  }

  /** After templates changed: reload triggers, push new configurations to the agents they touch. */
  async templatesChanged(templateIds: string[]): Promise<void> {
    const { hostIds, groups } = await this.templates.affectedHosts(templateIds);
    await this.hostsChanged(hostIds, groups);
  }

  /**
   * The templates of these hosts (or, with `groups`, of any host: group members are the CMDB's to
   * know) may have changed: triggers reload, and each agent whose configuration version differs
   * from what it was given is told (on whichever node holds it) to fetch the new one.
   */
  async hostsChanged(hostIds: string[], groups: boolean): Promise<void> {
    // Every node (this one included) reloads its triggers.
    this.deps.bus.emit('monitor.templates', {});
    const agents = await this.deps.db.query<{ id: string; host_id: string }>(
      `SELECT id::text AS id, host_id::text AS host_id FROM agents WHERE state = 'active' AND ($2 OR host_id = ANY($1::uuid[]))`,
      [hostIds, groups],
    );
    const versions = new Map<string, string>();
    for (const a of agents.rows) {
      let v = versions.get(a.host_id);
      if (v === undefined) {
        v = agentMonitoring(await this.templates.forHost(a.host_id)).version;
        versions.set(a.host_id, v);
      }
      if (this.pushed.get(a.id) !== v) this.deps.bus.emit('agent.config', { agentId: a.id });
    }
    for (const h of hostIds) void this.engine.watch(h);
  }

  // --- problems ----------------------------------------------------------------------------

  private async recordTransition(
    hostId: string,
    trigger: Pick<CompiledTrigger, 'ref' | 'templateId' | 'name' | 'severity' | 'expression'> & { problem?: TriggerExpr },
    to: TriggerState,
    value: number | null,
  ): Promise<void> {
    if (to === 'problem') {
      const suppressed = await this.maintenance.active(hostId);
      const name = await this.problemName(hostId, trigger, value);
      const p = await this.problems.open({
        hostId,
        triggerRef: trigger.ref,
        templateId: trigger.templateId || null,
        name,
        severity: trigger.severity,
        expression: trigger.expression,
        value,
        suppressed,
      });
      if (p) {
        this.deps.log.warn({ host: hostId, trigger: trigger.ref, severity: p.severity, suppressed }, `problem: ${p.name}`);
        for (const listener of this.problemOpened) {
          await listener(p).catch((err) => this.deps.log.error({ err, problem: p.id }, 'a problem listener failed'));
        }
        if (!suppressed) await this.notify('problem', p);
      }
    } else {
      const p = await this.problems.recover(hostId, trigger.ref, value);
      if (p) {
        this.deps.log.info({ host: hostId, trigger: trigger.ref }, `recovered: ${p.name}`);
        if (!p.suppressed) await this.notify('recovery', p);
      }
    }
  }

  /** The trigger's name with its macros expanded (docs/monitoring.md lists them). */
  private async problemName(hostId: string, trigger: { name: string; severity: Severity; problem?: TriggerExpr }, value: number | null): Promise<string> {
    if (!trigger.name.includes('{')) return trigger.name;
    const host = await this.deps.db.query<{ hostname: string }>('SELECT hostname FROM hosts WHERE id = $1', [hostId]);
    return expandMacros(trigger.name, {
      'HOST.NAME': host.rows[0]?.hostname ?? hostId,
      'HOST.ID': hostId,
      // The metric the trigger's first function reads, e.g. web_port.status.
      'ITEM.KEY': trigger.problem ? (selectorsOf(trigger.problem)[0]?.sel.metric ?? '') : '',
      'ITEM.VALUE': macroValue(value),
      'TRIGGER.SEVERITY': trigger.severity,
    });
  }

  async acknowledge(problemId: string, actor: string, comment: string): Promise<ProblemRecord> {
    const p = await this.problems.acknowledge(problemId, actor, comment);
    if (!p.suppressed) await this.notify('acknowledge', p, { actor, comment });
    return p;
  }

  private async notify(event: 'problem' | 'recovery' | 'acknowledge', p: ProblemRecord, extra: Record<string, unknown> = {}): Promise<void> {
    await this.notifier.enqueue({
      event,
      severity: p.severity,
      problemId: p.id,
      body: { problem: problemPayload(p), host: { id: p.hostId, hostname: p.hostName }, ...extra, sent_at: new Date().toISOString() },
    });
  }

  // --- the timer: nodata triggers and unreachable agents -----------------------------------

  /**
   * In a cluster each host is evaluated once: by the node its agent is connected to (only that node
   * sees its data), or, when no node holds it (agent gone, host without agent), by the lease holder,
   * which also checks reachability. A node alone holds the lease.
   */
  async tick(): Promise<void> {
    const agents = await this.activeAgents((this.roster?.agents.length ?? 0) * ROSTER_MS_PER_AGENT);
    const leader = this.deps.leader?.() ?? true;
    const here = new Set<string>();
    for (const a of agents) if (this.deps.presence.heldHere(a.id)) here.add(a.hostId);
    if (!leader) {
      await this.engine.tick((hostId) => here.has(hostId));
      return;
    }
    // Only the lease holder asks where the other agents are (one Redis round trip for all of them).
    const online = await this.deps.presence.onlineOf(agents.map((a) => a.id));
    const connected = new Set<string>();
    for (const a of agents) if (online.has(a.id)) connected.add(a.hostId);
    // Ours: held here, or held by no node (a host held here is also connected: `here` decides first).
    await this.engine.tick((hostId) => here.has(hostId) || !connected.has(hostId));
    await this.checkUnreachable(agents, online);
  }

  /** The active agents, read again when the copy in memory is older than maxAgeMs or was invalidated. */
  private async activeAgents(maxAgeMs: number): Promise<ActiveAgent[]> {
    if (!this.roster || Date.now() - this.roster.at > maxAgeMs) {
      const at = Date.now();
      const { rows } = await this.deps.db.query<AgentRow>(
        `SELECT id::text AS id, host_id::text AS host_id, (extract(epoch FROM last_seen_at) * 1000)::float8 AS last_seen_ms
           FROM agents WHERE state = 'active'`,
      );
      this.roster = { agents: recordsOf(rows), at };
    }
    return this.roster.agents;
  }

  private async checkUnreachable(agents: ActiveAgent[], online: Set<string>): Promise<void> {
    const now = Date.now();
    const windowMs = this.deps.config.monitor.unreachableS * 1000;
    for (const a of agents) if (online.has(a.id)) this.heard.set(a.id, now);
    const lastContact = (a: ActiveAgent) => Math.max(this.heard.get(a.id) ?? 0, a.lastSeenMs ?? 0);
    // 0: never connected, nothing to miss yet.
    const isGone = (last: number) => last > 0 && now - last > windowMs;
    // Last-seen times read up to a minute ago could call an agent gone early (a node that has just taken
    // the lease has not heard the others' agents yet): read them again before raising a problem.
    const stale = now - (this.roster?.at ?? 0) > this.deps.config.monitor.nodataTickMs;
    if (stale && agents.some((a) => isGone(lastContact(a)) && !this.unreachable.get(a.hostId))) agents = await this.activeAgents(0);
    const trigger = {
      ref: UNREACHABLE_REF,
      templateId: '',
      name: 'Agent unreachable',
      severity: 'high' as Severity,
      expression: `no contact with the agent for ${this.deps.config.monitor.unreachableS} s`,
    };
    let recorded = 0;
    for (const a of agents) {
      // What is left is picked up by the next lease holder: open problems are re-read at its start.
      if (this.stopping) return;
      const last = lastContact(a);
      const gone = isGone(last);
      const was = this.unreachable.get(a.hostId) ?? false;
      if (gone === was) continue;
      this.unreachable.set(a.hostId, gone);
      // PGlite answers within the same turn of the event loop: let sockets and timers run now and then.
      if (++recorded % 50 === 0) await new Promise((r) => setImmediate(r));
      try {
        await this.recordTransition(a.hostId, trigger, gone ? 'problem' : 'ok', gone ? Math.round((now - last) / 1000) : null);
      } catch (err) {
        this.unreachable.set(a.hostId, was);
        this.deps.log.error({ err, agent: a.id }, 'recording agent reachability failed');
      }
    }
  }
}

/** The problem as a notification carries it: the webhook's JSON (and the delivery log's), spelled as the API spells it; times are written ISO by JSON.stringify. */
function problemPayload(p: ProblemRecord) {
  return {
    id: p.id,
    host_id: p.hostId,
    host_name: p.hostName,
    trigger_ref: p.triggerRef,
    template_id: p.templateId,
    name: p.name,
    severity: p.severity,
    expression: p.expression,
    opened_at: p.openedAt,
    value: p.value,
    resolved_at: p.resolvedAt,
    recovery_value: p.recoveryValue,
    suppressed: p.suppressed,
    acknowledged_at: p.acknowledgedAt,
    acknowledged_by: p.acknowledgedBy,
    incident_id: p.incidentId,
  };
}
