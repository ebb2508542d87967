/**
 * The ITIL processes of one server node (docs/itil.md), built on the monitor's incidents, the
 * task service and the CMDB: incident management (priority, assignee, escalation) problem management (known errors) and change management (change requests). The escalation
 * timer runs on the node holding the monitor lease.
 */
import type { Logger } from '../log.js';
import type { Monitor } from '../monitor/monitor.js';
import type { Db } from '../store/db.js';
import { IncidentManagement } from './incident-management.js';
import { KnownErrors } from './known-errors.js';
import { ChangeRequests } from './changes.js';

export interface ItilDeps {
  db: Db;
  log: Logger;
  monitor: Monitor;
  /** Does this node hold the monitor lease? Escalations fire on that node only. */
  leader(): boolean;
  tickMs: number;
}

export class Itil {
  readonly incidents: IncidentManagement;
  readonly knownErrors: KnownErrors;
  readonly changes: ChangeRequests;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: ItilDeps) {
    this.incidents = new IncidentManagement(deps.db, deps.log, deps.monitor.notifier);
    this.knownErrors = new KnownErrors(deps.db);
    this.changes = new ChangeRequests(deps.db);
    deps.monitor.problemOpened.push((p) => this.incidents.onProblemOpened(p), (p) => this.knownErrors.onProblemOpened(p));
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.deps.leader()) return;
      this.ticking ??= this.incidents.escalate()
        .then(() => undefined)
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'escalation timer failed; retrying at the next tick'))
        .finally(() => (this.ticking = undefined));
    }, this.deps.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
  }
}
