/**
 * Incident management on top of the monitor's incidents: a priority (impact x urgency, defaulted
 * from the most severe trigger), an assignee, time to acknowledge and to resolve against the
 * priority's targets, and escalation rules run on a timer by the holder of the monitor lease. Every
 * step goes on the incident's timeline (monitor_incident_events) with who and when. An incident
 * whose hosts are all in a maintenance window does not escalate while they are (said once per rule
 * on its timeline); a rule held so fires once the window is over, if the incident still qualifies.
 */
import { randomUUID } from 'node:crypto';
import { AppError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { MaintenanceStore } from '../monitor/maintenance.js';
import type { Notifier } from '../monitor/notifier.js';
import type { Severity } from '../monitor/trigger-evaluate.js';
import {
  addTimeline,
  findIncident,
  incidentNotFound,
  setIncidentAssignee,
  setIncidentPriority,
  type IncidentRecord,
  type ProblemRecord,
} from '../monitor/problem-store.js';
import type { IncidentState } from '../monitor/incident-state.js';
import type { Db, Queryable } from '../store/db.js';
import { recordOf, recordsOf, type RecordOf } from '../store/rows.js';
import { againstTarget, classify, DEFAULT_SETTINGS, priorityOf, raised, type ItilSettings, type Level, type Priority } from './priority.js';

interface EscalationRuleRow {
  id: string;
  priority: Priority;
  kind: 'acknowledge' | 'resolve';
  after_s: number;
  channel_id: string;
  raise_priority: boolean;
  created_at: Date;
  created_by: string;
}

export type EscalationRule = RecordOf<EscalationRuleRow>;

/** What a rule is made of (the rest is the store's). */
export type EscalationRuleInput = Omit<EscalationRule, 'id' | 'createdAt' | 'createdBy'>;

/** A rule whose time has come for an incident: the incident, the rule, its channel's name and the host's. */
interface DueEscalationRow {
  id: string;
  title: string;
  host_id: string | null;
  severity: Severity;
  state: IncidentState;
  priority: Priority;
  opened_at: Date;
  rule_id: string;
  rule_kind: 'acknowledge' | 'resolve';
  after_s: number;
  channel_id: string;
  raise_priority: boolean;
  channel_name: string;
  hostname: string | null;
}

type DueEscalation = RecordOf<DueEscalationRow>;

export const escalationRuleNotFound = () => notFound('escalation rule', 'ESCALATION_RULE_NOT_FOUND');

export class IncidentManagement {
  private cached: { doc: ItilSettings; version: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly notifier: Notifier,
    private readonly maintenance: Pick<MaintenanceStore, 'active'>,
  ) {}

  // --- settings ------------------------------------------------------------------------------

  async settings(): Promise<{ doc: ItilSettings; version: number }> {
    if (this.cached) return this.cached;
    const r = await this.db.query<{ doc: ItilSettings; version: number }>('SELECT doc, version FROM itil_settings WHERE id = 1');
    return (this.cached = r.rows[0] ?? { doc: DEFAULT_SETTINGS, version: 0 });
  }

  async saveSettings(doc: ItilSettings, version: number | undefined, by: string): Promise<{ doc: ItilSettings; version: number }> {
    const r = await this.db.query<{ doc: ItilSettings; version: number }>(
      `INSERT INTO itil_settings (id, doc, updated_by) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET doc = $1, updated_by = $2, updated_at = now(), version = itil_settings.version + 1
         WHERE $3::int IS NULL OR itil_settings.version = $3
       RETURNING doc, version`,
      [JSON.stringify(doc), by, version ?? null],
    );
    if (!r.rows[0]) throw new AppError('PRECONDITION_FAILED', 'precondition_failed', 'the settings changed since you read them');
    this.cached = undefined;
    return r.rows[0];
  }

  // --- priority and assignee -------------------------------------------------------------------

  async get(id: string, q: Queryable = this.db): Promise<IncidentRecord> {
    const incident = await findIncident(q, id);
    if (!incident) throw incidentNotFound();
    return incident;
  }

  /** A problem opened (and joined or opened an incident): the priority follows its most severe trigger unless a person set it. */
  async onProblemOpened(p: ProblemRecord): Promise<void> {
    const incidentId = p.incidentId;
    if (!incidentId) return;
    const { doc } = await this.settings();
    await this.db.tx(async (q) => {
      const i = await findIncident(q, incidentId, true);
      if (!i || i.priorityManual) return;
      const c = classify(doc, i.severity);
      if (c.priority === i.priority && c.impact === i.impact && c.urgency === i.urgency) return;
      await setIncidentPriority(q, i.id, { ...c, manual: false });
      await addTimeline(q, i.id, 'priority', 'system', `${c.priority} (impact ${c.impact}, urgency ${c.urgency}) from severity ${i.severity}`);
    });
  }

  /** A person sets the priority: from impact and urgency through the matrix, or directly. */
  async setPriority(id: string, set: { impact?: Level; urgency?: Level; priority?: Priority }, actor: string, comment: string): Promise<IncidentRecord> {
    const { doc } = await this.settings();
    return this.db.tx(async (q) => {
      const i = await findIncident(q, id, true);
      if (!i) throw incidentNotFound();
      const impact = set.impact ?? i.impact ?? classify(doc, i.severity).impact;
      const urgency = set.urgency ?? i.urgency ?? classify(doc, i.severity).urgency;
      const priority = set.priority ?? priorityOf(doc, impact, urgency);
      await setIncidentPriority(q, id, { impact, urgency, priority, manual: true });
      await addTimeline(
        q,
        id,
        'priority',
        actor,
        `${i.priority ?? 'none'} -> ${priority} (impact ${impact}, urgency ${urgency})${comment ? `: ${comment}` : ''}`,
      );
      return this.get(id, q);
    });
  }

  async assign(id: string, userId: string | null, actor: string): Promise<IncidentRecord> {
    return this.db.tx(async (q) => {
      let name = 'nobody';
      if (userId) {
        const u = await q.query<{ username: string }>('SELECT username FROM users WHERE id = $1 AND disabled_at IS NULL', [userId]);
        if (!u.rows[0]) throw new AppError('ASSIGNEE_NOT_FOUND', 'invalid', 'no active user has this id', { field: 'body.user_id' });
        name = `user:${u.rows[0].username}`;
      }
      if (!(await setIncidentAssignee(q, id, userId))) throw incidentNotFound();
      await addTimeline(q, id, 'assigned', actor, `assigned to ${name}`);
      return this.get(id, q);
    });
  }

  /** Time to acknowledge and to resolve against the priority's targets (null without a priority). */
  async measures(i: IncidentRecord, now = Date.now()) {
    if (!i.priority) return null;
    const t = (await this.settings()).doc.targets[i.priority];
    const opened = i.openedAt.getTime();
    return {
      timeToAcknowledge: againstTarget(opened, i.acknowledgedAt?.getTime() ?? null, t.acknowledge_s, now),
      timeToResolve: againstTarget(opened, i.resolvedAt?.getTime() ?? null, t.resolve_s, now),
    };
  }

  /** The escalations an incident had: which rule, when, of what kind, to which channel. */
  async escalationsOf(incidentId: string) {
    const r = await this.db.query<{ rule_id: string; at: Date; kind: string; channel_id: string }>(
      `SELECT e.rule_id, e.at, r.kind, r.channel_id FROM itil_escalations e JOIN itil_escalation_rules r ON r.id = e.rule_id WHERE e.incident_id = $1 ORDER BY e.at`,
      [incidentId],
    );
    return recordsOf(r.rows);
  }

  // --- escalation rules ------------------------------------------------------------------------

  async listRules(): Promise<EscalationRule[]> {
    return recordsOf((await this.db.query<EscalationRuleRow>('SELECT * FROM itil_escalation_rules ORDER BY priority, kind, after_s, id')).rows);
  }

  async createRule(r: EscalationRuleInput, by: string): Promise<EscalationRule> {
    await this.mustHaveChannel(r.channelId);
    const made = await this.db.query<EscalationRuleRow>(
      'INSERT INTO itil_escalation_rules (id, priority, kind, after_s, channel_id, raise_priority, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
      [randomUUID(), r.priority, r.kind, r.afterS, r.channelId, r.raisePriority, by],
    );
    return recordOf(made.rows[0]);
  }

  /** Changes a rule in place: incidents it fired for already are not notified again (it fires once per incident). */
  async updateRule(id: string, r: EscalationRuleInput): Promise<EscalationRule> {
    await this.mustHaveChannel(r.channelId);
    const u = await this.db.query<EscalationRuleRow>(
      'UPDATE itil_escalation_rules SET priority = $2, kind = $3, after_s = $4, channel_id = $5, raise_priority = $6 WHERE id = $1 RETURNING *',
      [id, r.priority, r.kind, r.afterS, r.channelId, r.raisePriority],
    );
    if (!u.rows[0]) throw escalationRuleNotFound();
    return recordOf(u.rows[0]);
  }

  private async mustHaveChannel(channelId: string): Promise<void> {
    const c = await this.db.query('SELECT 1 FROM monitor_channels WHERE id = $1', [channelId]);
    if (!c.rows.length) throw new AppError('CHANNEL_NOT_FOUND', 'invalid', 'no notification channel has this id', { field: 'body.channel_id' });
  }

  async deleteRule(id: string): Promise<void> {
    const r = await this.db.query('DELETE FROM itil_escalation_rules WHERE id = $1', [id]);
    if (!r.rowCount) throw escalationRuleNotFound();
  }

  // --- the escalation timer --------------------------------------------------------------------

  /**
   * Fires every rule whose time has come for an incident still not acknowledged (or not resolved):
   * notifies the rule's channel, raises the priority if the rule says so, notes it on the timeline.
   * Each rule fires once per incident (itil_escalations). Returns how many fired.
   */
  async escalate(): Promise<number> {
    const due = await this.db.query<DueEscalationRow>(
      `SELECT i.id, i.title, i.host_id, i.severity, i.state, i.priority, i.opened_at, r.id AS rule_id, r.kind AS rule_kind, r.after_s, r.channel_id, r.raise_priority, c.name AS channel_name,
              (SELECT hostname FROM hosts h WHERE h.id = i.host_id) AS hostname
       FROM itil_escalation_rules r
       JOIN monitor_incidents i ON i.priority = r.priority
       JOIN monitor_channels c ON c.id = r.channel_id
       WHERE ((r.kind = 'acknowledge' AND i.state = 'open' AND i.acknowledged_at IS NULL) OR (r.kind = 'resolve' AND i.state IN ('open', 'acknowledged')))
         AND i.opened_at <= now() - make_interval(secs => r.after_s)
         AND NOT EXISTS (SELECT 1 FROM itil_escalations e WHERE e.incident_id = i.id AND e.rule_id = r.id)
       ORDER BY i.opened_at, r.after_s LIMIT 500`,
    );
    let fired = 0;
    const inMaintenance = new Map<string, boolean>();
    for (const d of recordsOf(due.rows)) {
      if (!inMaintenance.has(d.id)) inMaintenance.set(d.id, await this.allHostsInMaintenance(d));
      if (inMaintenance.get(d.id)) {
        await this.hold(d);
        continue;
      }
      const done = await this.db.tx(async (q) => {
        const claimed = await q.query('INSERT INTO itil_escalations (incident_id, rule_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [d.id, d.ruleId]);
        if (!claimed.rowCount) return false; // another node (or tick) fired it
        const what = d.ruleKind === 'acknowledge' ? 'acknowledged' : 'resolved';
        const priority = d.raisePriority ? raised(d.priority) : d.priority;
        if (priority !== d.priority) {
          await setIncidentPriority(q, d.id, { priority, manual: true });
          await addTimeline(q, d.id, 'priority', 'system', `${d.priority} -> ${priority}: not ${what} within ${d.afterS} s`);
        }
        // The webhook's JSON, spelled as the API spells it (JSON.stringify writes the times ISO).
        const sent = await this.notifier.enqueueTo(
          d.channelId,
          'escalation',
          {
            incident: { id: d.id, title: d.title, priority, severity: d.severity, state: d.state, opened_at: d.openedAt },
            escalation: { rule_id: d.ruleId, kind: d.ruleKind, after_s: d.afterS },
            host: { id: d.hostId, hostname: d.hostname },
            sent_at: new Date().toISOString(),
          },
          q,
        );
        await addTimeline(
          q,
          d.id,
          'escalated',
          'system',
          `not ${what} within ${d.afterS} s: ${sent ? 'notified' : 'channel disabled, not notified:'} ${d.channelName}`,
        );
        return true;
      });
      if (done) fired++;
    }
    if (fired) {
      this.notifier.kick();
      this.log.warn({ fired }, 'incidents escalated');
    }
    return fired;
  }

  /** The incident's hosts (its own and its problems') are all in an active maintenance window; false for an incident without hosts. */
  private async allHostsInMaintenance(i: { id: string }): Promise<boolean> {
    const r = await this.db.query<{ host_id: string }>(
      'SELECT host_id FROM monitor_problems WHERE incident_id = $1 UNION SELECT host_id FROM monitor_incidents WHERE id = $1 AND host_id IS NOT NULL',
      [i.id],
    );
    if (!r.rows.length) return false;
    for (const { host_id } of r.rows) if (!(await this.maintenance.active(host_id))) return false;
    return true;
  }

  /** A rule due for an incident in maintenance: not fired; the timeline says so once per rule. */
  private async hold(d: DueEscalation): Promise<void> {
    await this.db.tx(async (q) => {
      const first = await q.query('INSERT INTO itil_escalation_holds (incident_id, rule_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [d.id, d.ruleId]);
      if (!first.rowCount) return;
      const what = d.ruleKind === 'acknowledge' ? 'acknowledged' : 'resolved';
      await addTimeline(
        q,
        d.id,
        'escalation_held',
        'system',
        `not ${what} within ${d.afterS} s, but every host is in a maintenance window: not escalated to ${d.channelName} while it lasts`,
      );
    });
  }
}
