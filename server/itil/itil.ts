/**
 * The ITIL processes of one server node (docs/itil.md), built on the monitor's incidents, the
 * task service and the CMDB: incident management (priority, assignee, escalation) problem management (known errors), change management (change requests), release management,
 * service availability and the reports. The escalation
 * timer runs on the node holding the monitor lease.
 */
import type { Logger } from '../log.js';
import type { Monitor } from '../monitor/monitor.js';
import type { Db } from '../store/db.js';
import { IncidentManagement } from './incident-management.js';
import { KnownErrors } from './known-errors.js';
import type { ChangeRequests } from './changes.js';
import { Releases } from './releases.js';
import { Reports } from './reports.js';
import { Services } from './services.js';
import type { MetricStore } from '../store/metric-store.js';
import type { TaskService } from '../tasks/task-service.js';

export interface ItilDeps {
  db: Db;
  log: Logger;
  monitor: Monitor;
  /** Does this node hold the monitor lease? Escalations fire on that node only. */
  leader(): boolean;
  tickMs: number;
  /** Where the checks' status history is read from (service availability). */
  metrics: MetricStore;
  /** Change requests, built before the task service (which admits tasks under them). */
  changes: ChangeRequests;
  /** The task service releases run through. */
  tasks: TaskService;
  /** Size of an uploaded file of the task file store, null when absent. */
  fileSize(sha256: string): Promise<number | null>;
}

export class Itil {
  readonly incidents: IncidentManagement;
  readonly knownErrors: KnownErrors;
  readonly changes: ChangeRequests;
  readonly releases: Releases;
  readonly services: Services;
  readonly reports: Reports;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: ItilDeps) {
    this.incidents = new IncidentManagement(deps.db, deps.log, deps.monitor.notifier, deps.monitor.maintenance);
    this.knownErrors = new KnownErrors(deps.db);
    this.changes = deps.changes;
    this.releases = new Releases(deps.db, deps.log, deps.tasks, this.changes, deps.fileSize);
    this.services = new Services(deps.db, deps.metrics);
    this.reports = new Reports(deps.db);
    deps.monitor.problemOpened.push(
      (p) => this.incidents.onProblemOpened(p),
      (p) => this.knownErrors.onProblemOpened(p),
    );
  }

  async start(): Promise<void> {
    await this.releases.start();
    this.timer = setInterval(() => {
      if (!this.deps.leader()) return;
      this.ticking ??= this.incidents
        .escalate()
        .then(() => undefined)
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'escalation timer failed; retrying at the next tick'))
        .finally(() => (this.ticking = undefined));
    }, this.deps.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.releases.stop();
    await this.ticking;
  }
}
